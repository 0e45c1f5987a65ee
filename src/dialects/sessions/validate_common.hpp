#pragma once

// What validate.cpp (ChatInput) and validate_tools.cpp (CreateToolRequest) share: the
// pydantic-style checker and the declarative field tables it runs.

#include <interlingua/dialects/sessions.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>

#include <interlingua/core/json_util.hpp>

#include "pyrepr.hpp"

namespace interlingua::dialects::sessions::checks {

using core::json_util::member;
using core::json_util::text;
using choices = std::span<const std::string_view>;

inline constexpr double unbounded = std::numeric_limits<double>::infinity();

inline std::string at(const std::string& loc, std::string_view key) {
  return loc.empty() ? std::string(key) : loc + "." + std::string(key);
}

inline std::string item(const std::string& loc, std::size_t i) {
  return loc + "[" + std::to_string(i) + "]";
}

// An integral JSON float (max_tokens: 1e300 passes its range) as an int64 without overflow.
inline std::int64_t saturated(double d) {
  constexpr double limit = 9.2e18;
  return d >= limit ? INT64_MAX : d <= -limit ? INT64_MIN : static_cast<std::int64_t>(d);
}

// ---- how pydantic prints inputs and limits ----------------------------------------------------

// A limit as pydantic prints it (Rust's float Display): 5.0 → "5", 0.5 → "0.5".
inline std::string num_text(double v) {
  if (std::trunc(v) == v && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<long long>(v));
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

inline std::string literal_msg(choices allowed) {
  std::string msg = "Input should be ";
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    if (i > 0) {
      msg += i + 1 == allowed.size() ? " or " : ", ";
    }
    msg += "'" + std::string(allowed[i]) + "'";
  }
  return msg;
}

// ---- character classes of the two regexes ----------------------------------------------------

// Code points of a string (the JSON parser already refused ill-formed UTF-8).
inline std::vector<char32_t> code_points(std::string_view s) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    std::size_t len = b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : b < 0xF8 ? 4 : 1;
    char32_t cp = len == 1 ? b : b & (0x7F >> len);
    for (std::size_t k = 1; k < len && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

struct range {
  char32_t lo, hi;
};

inline bool in(std::span<const range> ranges, char32_t cp) {
  for (const auto& r : ranges) {
    if (cp >= r.lo && cp <= r.hi) {
      return true;
    }
  }
  return false;
}

// Non-ASCII code points that are not \w (letters, marks, digits, connectors): Latin-1 and general
// punctuation, symbols, currency, arrows to dingbats, CJK punctuation, private use, emoji. An
// approximation of the Unicode tables that is exact for ASCII and the common blocks.
inline constexpr range non_word[] = {
    {0x80, 0xA9},     {0xAB, 0xB4},       {0xB6, 0xB9},     {0xBB, 0xBF},     {0xD7, 0xD7},
    {0xF7, 0xF7},     {0x2000, 0x200B},   {0x200E, 0x203E}, {0x2041, 0x2053}, {0x2055, 0x206F},
    {0x20A0, 0x20CF}, {0x2190, 0x24B5},   {0x24EA, 0x2BFF}, {0x2E00, 0x2E2E}, {0x2E30, 0x2E7F},
    {0x3000, 0x3004}, {0x3008, 0x3020},   {0x3030, 0x3030}, {0x303D, 0x303F}, {0xE000, 0xF8FF},
    {0xFE10, 0xFE1F}, {0xFE30, 0xFE32},   {0xFE35, 0xFE4C}, {0xFE50, 0xFE6F}, {0xFEFF, 0xFEFF},
    {0xFF01, 0xFF0F}, {0xFF1A, 0xFF20},   {0xFF3B, 0xFF3E}, {0xFF40, 0xFF40}, {0xFF5B, 0xFF65},
    {0xFFF0, 0xFFFF}, {0x1F000, 0x1FAFF},
};

inline bool is_word(char32_t cp) {
  if (cp < 0x80) {
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
           cp == '_';
  }
  return !in(non_word, cp);
}

// ^[^\W0-9]\w*$ : a Python identifier.
inline bool identifier(const std::vector<char32_t>& cps) {
  if (cps.empty() || !is_word(cps[0]) || (cps[0] >= '0' && cps[0] <= '9')) {
    return false;
  }
  for (char32_t cp : cps) {
    if (!is_word(cp)) {
      return false;
    }
  }
  return true;
}

// Non-ASCII code points outside both classes of the model pattern (controls, spaces that are not
// Pattern_White_Space, format characters, currency, other numbers, modifier symbols, emoji).
inline constexpr range not_model_char[] = {
    {0x80, 0x84},     {0x86, 0xA0},       {0xA8, 0xA8},     {0xAD, 0xAD},     {0xAF, 0xAF},
    {0xB2, 0xB4},     {0xB7, 0xB9},       {0xBC, 0xBE},     {0x2000, 0x200D}, {0x202A, 0x202F},
    {0x205F, 0x206F}, {0x20A0, 0x20CF},   {0x3000, 0x3000}, {0xE000, 0xF8FF}, {0xFEFF, 0xFEFF},
    {0xFFF0, 0xFFFF}, {0x1F000, 0x1FAFF},
};

inline bool model_char(char32_t cp, bool first) {
  if (cp < 0x80) {
    bool space = cp == ' ' || (cp >= '\t' && cp <= '\r');
    bool later_only = (cp >= '0' && cp <= '9') || cp == '_';
    return space || (cp > 0x20 && cp < 0x7F && !(first && later_only));
  }
  return !in(not_model_char, cp) && !(first && cp >= 0x300 && cp <= 0x36F);
}

inline constexpr std::string_view model_pattern =
    "^[\\p{L}\\p{Nl}\\p{Pattern_Syntax}\\p{Pattern_White_Space}]+[\\p{ID_Start}\\p{Mn}\\p{Mc}"
    "\\p{Nd}\\p{Pc}\\p{Pattern_Syntax}\\p{Pattern_White_Space}]*$";

// ---- the checks -------------------------------------------------------------------------------

class checker {
 public:
  explicit checker(std::vector<issue>& out) : out_(out) {}

  void fail(std::string_view type, std::string msg, const std::string& loc, const json& input) {
    out_.push_back(issue{std::string(type), std::move(msg), loc, py_str(input)});
  }

  // The member `key` of `obj`; a missing required one is reported with `obj` as the input.
  const json* get(const json& obj, std::string_view key, const std::string& loc, bool required) {
    const json* v = member(obj, key);
    if (!v && required) {
      fail("missing", "Field required", at(loc, key), obj);
    }
    return v;
  }

  bool is(bool ok, std::string_view type, const char* msg, const std::string& loc, const json& v) {
    if (!ok) {
      fail(type, msg, loc, v);
    }
    return ok;
  }
  bool string(const json& v, const std::string& loc) {
    return is(v.is_string(), "string_type", "Input should be a valid string", loc, v);
  }
  bool strict_bool(const json& v, const std::string& loc) {
    return is(v.is_boolean(), "bool_type", "Input should be a valid boolean", loc, v);
  }
  bool object(const json& v, const std::string& loc) {
    return is(v.is_object(), "dict_type", "Input should be a valid dictionary", loc, v);
  }
  bool list(const json& v, const std::string& loc) {
    return is(v.is_array(), "list_type", "Input should be a valid list", loc, v);
  }
  bool model(const json& v, const std::string& loc, std::string_view name) {
    if (!v.is_object()) {
      fail("model_type", "Input should be a valid dictionary or instance of " + std::string(name),
           loc, v);
    }
    return v.is_object();
  }
  bool literal(const json& v, const std::string& loc, choices allowed) {
    for (auto a : allowed) {
      if (v.is_string() && text(v) == a) {
        return true;
      }
    }
    fail("literal_error", literal_msg(allowed), loc, v);
    return false;
  }

  std::optional<double> number(const json& v, const std::string& loc, double lo, double hi) {
    if (!v.is_number()) {
      fail("float_type", "Input should be a valid number", loc, v);
      return std::nullopt;
    }
    return bounded(v.get<double>(), v, loc, lo, hi);
  }

  // An integral float (5.0) is an integer, as in pydantic's lax mode; 5.5 is not.
  std::optional<double> integer(const json& v, const std::string& loc, double lo, double hi) {
    if (v.is_number_float() && std::trunc(v.get<double>()) != v.get<double>()) {
      fail("int_from_float", "Input should be a valid integer, got a number with a fractional part",
           loc, v);
      return std::nullopt;
    }
    if (!v.is_number()) {
      fail("int_type", "Input should be a valid integer", loc, v);
      return std::nullopt;
    }
    return bounded(v.get<double>(), v, loc, lo, hi);
  }

 private:
  std::optional<double> bounded(double d, const json& v, const std::string& loc, double lo,
                                double hi) {
    if (!(d >= lo)) {
      fail("greater_than_equal", "Input should be greater than or equal to " + num_text(lo), loc,
           v);
      return std::nullopt;
    }
    if (!(d <= hi)) {
      fail("less_than_equal", "Input should be less than or equal to " + num_text(hi), loc, v);
      return std::nullopt;
    }
    return d;
  }

  std::vector<issue>& out_;
};

inline bool hex_digits(std::string_view s) {
  for (char ch : s) {
    if (!std::isxdigit(static_cast<unsigned char>(ch))) {
      return false;
    }
  }
  return true;
}

// Canonical lower-case 8-4-4-4-12 text of a UUID in any form Python's UUID() reads: hyphenated,
// 32 hex digits, in braces, or with a urn:uuid: prefix.
inline std::optional<std::string> canonical_uuid(std::string_view s) {
  if (s.rfind("urn:uuid:", 0) == 0) {
    s.remove_prefix(9);
  } else if (s.size() == 38 && s.front() == '{' && s.back() == '}') {
    s = s.substr(1, 36);
  }
  std::string hex;
  if (s.size() == 36) {
    for (std::size_t i : {8u, 13u, 18u, 23u}) {
      if (s[i] != '-') {
        return std::nullopt;
      }
    }
    hex = std::string(s.substr(0, 8)) + std::string(s.substr(9, 4)) + std::string(s.substr(14, 4)) +
          std::string(s.substr(19, 4)) + std::string(s.substr(24));
  } else if (s.size() == 32) {
    hex = s;
  }
  if (hex.size() != 32 || !hex_digits(hex)) {
    return std::nullopt;
  }
  for (char& ch : hex) {
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

inline void check_uuid(checker& c, const json& v, const std::string& loc) {
  if (!v.is_string()) {
    c.fail("uuid_type", "UUID input should be a string, bytes or UUID object", loc, v);
  } else if (!canonical_uuid(text(v))) {
    c.fail("uuid_parsing", "Input should be a valid UUID", loc, v);
  }
}

// ---- declarative fields -----------------------------------------------------------------------

using check_fn = void (*)(checker&, const json& v, const std::string& loc);

enum class kind { boolean, number, integer, string, object, literal, string_map, custom };

struct field {
  std::string_view key;
  kind type;
  bool nullable = true;  // null accepted (an Optional field); StrictBool defaults are not
  double lo = -unbounded;
  double hi = unbounded;
  choices allowed = {};
  bool required = false;
  check_fn check = nullptr;  // kind::custom
};

inline void check_value(checker& c, const json& v, const std::string& loc, const field& f) {
  switch (f.type) {
    case kind::boolean:
      c.strict_bool(v, loc);
      return;
    case kind::number:
      c.number(v, loc, f.lo, f.hi);
      return;
    case kind::integer:
      c.integer(v, loc, f.lo, f.hi);
      return;
    case kind::string:
      c.string(v, loc);
      return;
    case kind::object:
      c.object(v, loc);
      return;
    case kind::literal:
      c.literal(v, loc, f.allowed);
      return;
    case kind::string_map:
      if (c.object(v, loc)) {
        for (const auto& [k, x] : v.items()) {
          c.string(x, at(loc, k));
        }
      }
      return;
    case kind::custom:
      f.check(c, v, loc);
      return;
  }
}

using fields = std::span<const field>;

inline void check_fields(checker& c, const json& obj, const std::string& loc, fields fs) {
  for (const auto& f : fs) {
    const json* v = c.get(obj, f.key, loc, f.required);
    if (v && !(v->is_null() && f.nullable)) {
      check_value(c, *v, at(loc, f.key), f);
    }
  }
}

// A list whose every item is checked by `each`.
template <void (*Each)(checker&, const json&, const std::string&)>
inline void check_list(checker& c, const json& v, const std::string& loc) {
  if (c.list(v, loc)) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      Each(c, v[i], item(loc, i));
    }
  }
}

inline void check_string(checker& c, const json& v, const std::string& loc) {
  c.string(v, loc);
}

// A CreateToolRequest (validate_tools.cpp), for the `tools` lists of ChatInput and agents.
void check_tool_request(checker& c, const json& v, const std::string& loc);

}  // namespace interlingua::dialects::sessions::checks
