#include <interlingua/dialects/sessions.hpp>

#include "pyrepr.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>

#include <interlingua/core/json_util.hpp>

// ChatInput and CreateToolRequest validation as upstream's pydantic models do it (spec §1, §2):
// every violation is collected as one issue, unknown keys are ignored, booleans are strict.
// Deliberate differences from pydantic's lax mode: numbers must be JSON numbers (pydantic would
// also coerce "0.5" or true), and union failures are reported once, at the field, instead of once
// per union member.

namespace interlingua::dialects::sessions {

namespace {

using core::json_util::member;
using core::json_util::text;
using choices = std::span<const std::string_view>;

constexpr double unbounded = std::numeric_limits<double>::infinity();

std::string at(const std::string& loc, std::string_view key) {
  return loc.empty() ? std::string(key) : loc + "." + std::string(key);
}

std::string item(const std::string& loc, std::size_t i) {
  return loc + "[" + std::to_string(i) + "]";
}

// An integral JSON float (max_tokens: 1e300 passes its range) as an int64 without overflow.
std::int64_t saturated(double d) {
  constexpr double limit = 9.2e18;
  return d >= limit ? INT64_MAX : d <= -limit ? INT64_MIN : static_cast<std::int64_t>(d);
}

// ---- how pydantic prints inputs and limits ----------------------------------------------------

// A limit as pydantic prints it (Rust's float Display): 5.0 → "5", 0.5 → "0.5".
std::string num_text(double v) {
  if (std::trunc(v) == v && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<long long>(v));
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string literal_msg(choices allowed) {
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
std::vector<char32_t> code_points(std::string_view s) {
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

bool in(std::span<const range> ranges, char32_t cp) {
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
constexpr range non_word[] = {
    {0x80, 0xA9},       {0xAB, 0xB4},       {0xB6, 0xB9},     {0xBB, 0xBF},     {0xD7, 0xD7},
    {0xF7, 0xF7},       {0x2000, 0x200B},   {0x200E, 0x203E}, {0x2041, 0x2053}, {0x2055, 0x206F},
    {0x20A0, 0x20CF},   {0x2190, 0x24B5},   {0x24EA, 0x2BFF}, {0x2E00, 0x2E2E}, {0x2E30, 0x2E7F},
    {0x3000, 0x3004},   {0x3008, 0x3020},   {0x3030, 0x3030}, {0x303D, 0x303F}, {0xE000, 0xF8FF},
    {0xFE10, 0xFE1F},   {0xFE30, 0xFE32},   {0xFE35, 0xFE4C}, {0xFE50, 0xFE6F}, {0xFEFF, 0xFEFF},
    {0xFF01, 0xFF0F},   {0xFF1A, 0xFF20},   {0xFF3B, 0xFF3E}, {0xFF40, 0xFF40}, {0xFF5B, 0xFF65},
    {0xFFF0, 0xFFFF},   {0x1F000, 0x1FAFF},
};

bool is_word(char32_t cp) {
  if (cp < 0x80) {
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
           cp == '_';
  }
  return !in(non_word, cp);
}

// ^[^\W0-9]\w*$ : a Python identifier.
bool identifier(const std::vector<char32_t>& cps) {
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
constexpr range not_model_char[] = {
    {0x80, 0x84},     {0x86, 0xA0},     {0xA8, 0xA8},     {0xAD, 0xAD},     {0xAF, 0xAF},
    {0xB2, 0xB4},     {0xB7, 0xB9},     {0xBC, 0xBE},     {0x2000, 0x200D}, {0x202A, 0x202F},
    {0x205F, 0x206F}, {0x20A0, 0x20CF}, {0x3000, 0x3000}, {0xE000, 0xF8FF}, {0xFEFF, 0xFEFF},
    {0xFFF0, 0xFFFF}, {0x1F000, 0x1FAFF},
};

bool model_char(char32_t cp, bool first) {
  if (cp < 0x80) {
    bool space = cp == ' ' || (cp >= '\t' && cp <= '\r');
    bool later_only = (cp >= '0' && cp <= '9') || cp == '_';
    return space || (cp > 0x20 && cp < 0x7F && !(first && later_only));
  }
  return !in(not_model_char, cp) && !(first && cp >= 0x300 && cp <= 0x36F);
}

constexpr std::string_view model_pattern =
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

  bool is(bool ok, std::string_view type, const char* msg, const std::string& loc,
          const json& v) {
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

bool hex_digits(std::string_view s) {
  for (char ch : s) {
    if (!std::isxdigit(static_cast<unsigned char>(ch))) {
      return false;
    }
  }
  return true;
}

// Canonical lower-case 8-4-4-4-12 text of a UUID in any form Python's UUID() reads: hyphenated,
// 32 hex digits, in braces, or with a urn:uuid: prefix.
std::optional<std::string> canonical_uuid(std::string_view s) {
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
    hex = std::string(s.substr(0, 8)) + std::string(s.substr(9, 4)) +
          std::string(s.substr(14, 4)) + std::string(s.substr(19, 4)) + std::string(s.substr(24));
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

void check_uuid(checker& c, const json& v, const std::string& loc) {
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

void check_value(checker& c, const json& v, const std::string& loc, const field& f) {
  switch (f.type) {
    case kind::boolean: c.strict_bool(v, loc); return;
    case kind::number: c.number(v, loc, f.lo, f.hi); return;
    case kind::integer: c.integer(v, loc, f.lo, f.hi); return;
    case kind::string: c.string(v, loc); return;
    case kind::object: c.object(v, loc); return;
    case kind::literal: c.literal(v, loc, f.allowed); return;
    case kind::string_map:
      if (c.object(v, loc)) {
        for (const auto& [k, x] : v.items()) {
          c.string(x, at(loc, k));
        }
      }
      return;
    case kind::custom: f.check(c, v, loc); return;
  }
}

using fields = std::span<const field>;

void check_fields(checker& c, const json& obj, const std::string& loc, fields fs) {
  for (const auto& f : fs) {
    const json* v = c.get(obj, f.key, loc, f.required);
    if (v && !(v->is_null() && f.nullable)) {
      check_value(c, *v, at(loc, f.key), f);
    }
  }
}

// A list whose every item is checked by `each`.
template <void (*Each)(checker&, const json&, const std::string&)>
void check_list(checker& c, const json& v, const std::string& loc) {
  if (c.list(v, loc)) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      Each(c, v[i], item(loc, i));
    }
  }
}

void check_string(checker& c, const json& v, const std::string& loc) { c.string(v, loc); }

// ---- messages (spec §1.2) ----------------------------------------------------------------------

constexpr std::string_view roles[] = {"user", "assistant", "system", "tool"};
constexpr std::string_view part_types[] = {"text", "image_url", "tool_result"};
constexpr std::string_view text_type[] = {"text"};
constexpr std::string_view image_type[] = {"image"};
constexpr std::string_view base64_type[] = {"base64"};
constexpr std::string_view image_url_type[] = {"image_url"};
constexpr std::string_view tool_result_type[] = {"tool_result"};
constexpr std::string_view details[] = {"low", "high", "auto"};

constexpr field text_part_fields[] = {
    {.key = "text", .type = kind::string, .nullable = false, .required = true},
    {.key = "type", .type = kind::literal, .nullable = false, .allowed = text_type},
};
constexpr field source_fields[] = {
    {.key = "type", .type = kind::literal, .nullable = false, .allowed = base64_type},
    {.key = "media_type", .type = kind::string, .nullable = false, .required = true},
    {.key = "data", .type = kind::string, .nullable = false, .required = true},
};

void check_source(checker& c, const json& v, const std::string& loc) {
  if (c.model(v, loc, "Source")) {
    check_fields(c, v, loc, source_fields);
  }
}

constexpr field image_part_fields[] = {
    {.key = "type", .type = kind::literal, .nullable = false, .allowed = image_type},
    {.key = "source", .type = kind::custom, .nullable = false, .required = true,
     .check = check_source},
};

// A tool result holds text parts or image parts, not both (two list types in the union).
void check_result_content(checker& c, const json& v, const std::string& loc) {
  if (!c.list(v, loc)) {
    return;
  }
  bool images = !v.empty() && v[0].is_object() && v[0].value("type", json()) == "image";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (c.model(v[i], item(loc, i), images ? "ContentItemModel" : "ContentItem")) {
      check_fields(c, v[i], item(loc, i), images ? fields(image_part_fields)
                                                 : fields(text_part_fields));
    }
  }
}

constexpr field image_url_fields[] = {
    {.key = "url", .type = kind::string, .nullable = false, .required = true},
    {.key = "detail", .type = kind::literal, .nullable = false, .allowed = details},
};

void check_image_url(checker& c, const json& v, const std::string& loc) {
  if (c.model(v, loc, "ImageUrl")) {
    check_fields(c, v, loc, image_url_fields);
  }
}

constexpr field image_url_part_fields[] = {
    {.key = "image_url", .type = kind::custom, .nullable = false, .required = true,
     .check = check_image_url},
    {.key = "type", .type = kind::literal, .nullable = false, .allowed = image_url_type},
};
constexpr field tool_result_part_fields[] = {
    {.key = "tool_use_id", .type = kind::string, .nullable = false, .required = true},
    {.key = "type", .type = kind::literal, .nullable = false, .allowed = tool_result_type},
    {.key = "content", .type = kind::custom, .nullable = false, .required = true,
     .check = check_result_content},
};

// `type` defaults per part shape, so a part without one is told apart by its keys.
void check_part(checker& c, const json& p, const std::string& loc) {
  if (!c.model(p, loc, "Content")) {
    return;
  }
  const json* type = member(p, "type");
  if (type && !c.literal(*type, at(loc, "type"), part_types)) {
    return;
  }
  std::string_view kind_of = type                             ? std::string_view(text(*type))
                             : member(p, "image_url")         ? "image_url"
                             : member(p, "tool_use_id")       ? "tool_result"
                                                              : "text";
  check_fields(c, p, loc,
               kind_of == "image_url"     ? fields(image_url_part_fields)
               : kind_of == "tool_result" ? fields(tool_result_part_fields)
                                          : fields(text_part_fields));
}

// string | string[] | ContentPart[] | null; a list is all strings or all parts.
void check_content(checker& c, const json& v, const std::string& loc) {
  if (v.is_string()) {
    return;
  }
  if (!v.is_array()) {
    c.fail("string_type", "Input should be a valid string, a list of strings or a list of parts",
           loc, v);
    return;
  }
  bool strings = !v.empty() && v[0].is_string();
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (strings) {
      c.string(v[i], item(loc, i));
    } else {
      check_part(c, v[i], item(loc, i));
    }
  }
}

// Any object is some ToolCall: every field of the Bash variant is optional (spec §2.3 quirk).
void check_tool_call(checker& c, const json& v, const std::string& loc) {
  c.model(v, loc, "ChosenFunctionCall");
}

constexpr field message_fields[] = {
    {.key = "role", .type = kind::literal, .nullable = false, .allowed = roles, .required = true},
    {.key = "tool_call_id", .type = kind::string},
    {.key = "content", .type = kind::custom, .check = check_content},
    {.key = "name", .type = kind::string},
    {.key = "continue", .type = kind::boolean},
    {.key = "tool_calls", .type = kind::custom, .check = check_list<check_tool_call>},
};

void check_message(checker& c, const json& v, const std::string& loc) {
  if (c.model(v, loc, "Message")) {
    check_fields(c, v, loc, message_fields);
  }
}

void check_messages(checker& c, const json& v, const std::string& loc) {
  if (!c.list(v, loc)) {
    return;
  }
  if (v.empty()) {
    c.fail("too_short", "List should have at least 1 item after validation, not 0", loc, v);
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    check_message(c, v[i], item(loc, i));
  }
}

// ---- tools (spec §2) --------------------------------------------------------------------------

constexpr std::string_view tool_types[] = {"function",          "integration",
                                           "system",            "api_call",
                                           "computer_20241022", "text_editor_20241022",
                                           "bash_20241022"};
constexpr std::string_view resources[] = {"agent", "user",    "task", "execution",
                                          "doc",   "session", "job"};
constexpr std::string_view operations[] = {"create", "update",        "patch",  "create_or_update",
                                           "embed",  "change_status", "search", "chat",
                                           "history", "delete",       "get",    "list"};
constexpr std::string_view subresources[] = {"tool", "doc", "execution", "transition"};
constexpr std::string_view methods[] = {"GET",  "POST",    "PUT",     "DELETE", "PATCH",
                                        "HEAD", "OPTIONS", "CONNECT", "TRACE"};
constexpr std::string_view providers[] = {
    "dummy",       "weather", "wikipedia",  "spider",       "brave",   "browserbase",
    "email",       "mailgun", "remote_browser", "llama_parse", "ffmpeg", "cloudinary",
    "arxiv",       "unstructured", "algolia", "mcp",         "google_sheets"};
constexpr std::string_view computer_type[] = {"computer_20241022"};
constexpr std::string_view text_editor_type[] = {"text_editor_20241022"};
constexpr std::string_view bash_type[] = {"bash_20241022"};
constexpr std::string_view object_type[] = {"object"};

void check_tool_name(checker& c, const json& v, const std::string& loc) {
  if (!c.string(v, loc)) {
    return;
  }
  auto cps = code_points(text(v));
  if (cps.size() > 40) {
    c.fail("string_too_long", "String should have at most 40 characters", loc, v);
  } else if (!identifier(cps)) {
    c.fail("string_pattern_mismatch", "String should match pattern '^[^\\W0-9]\\w*$'", loc, v);
  }
}

void check_secret_ref(checker& c, const json& v, const std::string& loc) {
  static constexpr field fields[] = {
      {.key = "name", .type = kind::string, .nullable = false, .required = true}};
  if (c.model(v, loc, "SecretRef")) {
    check_fields(c, v, loc, fields);
  }
}

void check_secrets(checker& c, const json& v, const std::string& loc) {
  if (c.object(v, loc)) {
    for (const auto& [alias, ref] : v.items()) {
      check_secret_ref(c, ref, at(loc, alias));
    }
  }
}

// What pydantic's AnyUrl refuses: no scheme, or a special scheme (http, ws, ftp) with no host.
std::optional<std::string> url_problem(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= 0x20) {
    s.remove_prefix(1);
  }
  if (s.empty()) {
    return "input is empty";
  }
  std::size_t colon = s.find(':');
  bool scheme = colon != std::string_view::npos && colon > 0 &&
                std::isalpha(static_cast<unsigned char>(s[0]));
  for (std::size_t i = 1; scheme && i < colon; ++i) {
    auto ch = static_cast<unsigned char>(s[i]);
    scheme = std::isalnum(ch) || ch == '+' || ch == '-' || ch == '.';
  }
  if (!scheme) {
    return "relative URL without a base";
  }
  std::string name(s.substr(0, colon));
  for (char& ch : name) {
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  if (name != "http" && name != "https" && name != "ws" && name != "wss" && name != "ftp") {
    return std::nullopt;
  }
  std::string_view rest = s.substr(colon + 1);
  while (!rest.empty() && (rest.front() == '/' || rest.front() == '\\')) {
    rest.remove_prefix(1);
  }
  std::string_view host = rest.substr(0, rest.find_first_of("/?#\\"));
  if (auto userinfo = host.rfind('@'); userinfo != std::string_view::npos) {
    host.remove_prefix(userinfo + 1);
  }
  if (auto port = host.rfind(':'); port != std::string_view::npos && host.find(']') > port) {
    if (!std::all_of(host.begin() + port + 1, host.end(),
                     [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); })) {
      return "invalid port number";
    }
    host = host.substr(0, port);
  }
  if (host.empty()) {
    return "empty host";
  }
  if (host.find_first_of(" <>^|%\t\n\r") != std::string_view::npos) {
    return "invalid domain character";
  }
  return std::nullopt;
}

void check_url(checker& c, const json& v, const std::string& loc) {
  if (!c.string(v, loc)) {
    return;
  }
  if (auto why = url_problem(text(v))) {
    c.fail("url_parsing", "Input should be a valid URL, " + *why, loc, v);
  }
}

void check_params(checker& c, const json& v, const std::string& loc) {
  if (!v.is_string() && !v.is_object()) {
    c.fail("string_type", "Input should be a valid string or a dictionary", loc, v);
  }
}

constexpr field property_fields[] = {
    {.key = "type", .type = kind::string, .nullable = false, .required = true},
    {.key = "description", .type = kind::string},
    {.key = "enum", .type = kind::custom, .check = check_list<check_string>},
};

void check_properties(checker& c, const json& v, const std::string& loc) {
  if (!c.object(v, loc)) {
    return;
  }
  for (const auto& [name, p] : v.items()) {
    if (c.model(p, at(loc, name), "ParameterSchemaProperty")) {
      check_fields(c, p, at(loc, name), property_fields);
    }
  }
}

constexpr field params_schema_fields[] = {
    {.key = "type", .type = kind::literal, .nullable = false, .allowed = object_type},
    {.key = "properties", .type = kind::custom, .nullable = false, .required = true,
     .check = check_properties},
    {.key = "required", .type = kind::custom, .nullable = false,
     .check = check_list<check_string>},
    {.key = "additionalProperties", .type = kind::boolean},
};

// Sub-objects of a tool, each a model of its own.
template <const std::string_view& Name, const auto& Fields>
void check_model(checker& c, const json& v, const std::string& loc) {
  if (c.model(v, loc, Name)) {
    check_fields(c, v, loc, Fields);
  }
}

constexpr std::string_view params_schema_name = "ParameterSchema";
constexpr field api_call_fields[] = {
    {.key = "method", .type = kind::literal, .nullable = false, .allowed = methods,
     .required = true},
    {.key = "url", .type = kind::custom, .nullable = false, .required = true, .check = check_url},
    {.key = "schema", .type = kind::object},
    {.key = "headers", .type = kind::string_map},
    {.key = "secrets", .type = kind::custom, .check = check_secrets},
    {.key = "content", .type = kind::string},
    {.key = "data", .type = kind::object},
    {.key = "files", .type = kind::object},
    {.key = "json", .type = kind::object},
    {.key = "cookies", .type = kind::string_map},
    {.key = "params", .type = kind::custom, .check = check_params},
    {.key = "params_schema", .type = kind::custom,
     .check = check_model<params_schema_name, params_schema_fields>},
    {.key = "follow_redirects", .type = kind::boolean},
    {.key = "timeout", .type = kind::integer},
    {.key = "include_response_content", .type = kind::boolean, .nullable = false},
};
constexpr field system_fields[] = {
    {.key = "resource", .type = kind::literal, .nullable = false, .allowed = resources,
     .required = true},
    {.key = "operation", .type = kind::literal, .nullable = false, .allowed = operations,
     .required = true},
    {.key = "resource_id", .type = kind::custom, .check = check_uuid},
    {.key = "subresource", .type = kind::literal, .allowed = subresources},
    {.key = "arguments", .type = kind::object},
};
constexpr field integration_fields[] = {
    {.key = "provider", .type = kind::literal, .nullable = false, .allowed = providers,
     .required = true},
    {.key = "method", .type = kind::string},
    {.key = "setup", .type = kind::object},
    {.key = "secrets", .type = kind::custom, .check = check_secrets},
    {.key = "arguments", .type = kind::object},
};
constexpr field function_fields[] = {
    {.key = "parameters", .type = kind::object},
};
constexpr field computer_fields[] = {
    {.key = "type", .type = kind::literal, .nullable = false, .allowed = computer_type},
    {.key = "name", .type = kind::string, .nullable = false},
    {.key = "display_width_px", .type = kind::integer, .nullable = false, .lo = 600},
    {.key = "display_height_px", .type = kind::integer, .nullable = false, .lo = 400},
    {.key = "display_number", .type = kind::integer, .nullable = false, .lo = 1, .hi = 10},
};
constexpr field text_editor_fields[] = {
    {.key = "type", .type = kind::literal, .nullable = false, .allowed = text_editor_type},
    {.key = "name", .type = kind::string, .nullable = false},
};
constexpr field bash_fields[] = {
    {.key = "type", .type = kind::literal, .nullable = false, .allowed = bash_type},
    {.key = "name", .type = kind::string, .nullable = false},
};

constexpr std::string_view function_name = "FunctionDef";
constexpr std::string_view integration_name = "IntegrationDef";
constexpr std::string_view system_name = "SystemDef";
constexpr std::string_view api_call_name = "ApiCallDef";
constexpr std::string_view computer_name = "Computer20241022Def";
constexpr std::string_view text_editor_name = "TextEditor20241022Def";
constexpr std::string_view bash_name = "Bash20241022Def";

// The server does not check that `type` matches the sub-object given (spec §2).
constexpr field tool_fields[] = {
    {.key = "name", .type = kind::custom, .nullable = false, .required = true,
     .check = check_tool_name},
    {.key = "type", .type = kind::literal, .nullable = false, .allowed = tool_types,
     .required = true},
    {.key = "description", .type = kind::string},
    {.key = "function", .type = kind::custom,
     .check = check_model<function_name, function_fields>},
    {.key = "integration", .type = kind::custom,
     .check = check_model<integration_name, integration_fields>},
    {.key = "system", .type = kind::custom, .check = check_model<system_name, system_fields>},
    {.key = "api_call", .type = kind::custom,
     .check = check_model<api_call_name, api_call_fields>},
    {.key = "computer_20241022", .type = kind::custom,
     .check = check_model<computer_name, computer_fields>},
    {.key = "text_editor_20241022", .type = kind::custom,
     .check = check_model<text_editor_name, text_editor_fields>},
    {.key = "bash_20241022", .type = kind::custom,
     .check = check_model<bash_name, bash_fields>},
};

constexpr std::string_view tool_name = "CreateToolRequest";
constexpr auto check_tool = check_model<tool_name, tool_fields>;

// ---- ChatInput (spec §1.1) --------------------------------------------------------------------

constexpr std::string_view tool_choices[] = {"auto", "none"};
constexpr std::string_view response_types[] = {"text", "json_object", "json_schema"};

void check_model_name(checker& c, const json& v, const std::string& loc) {
  if (!c.string(v, loc)) {
    return;
  }
  auto cps = code_points(text(v));
  bool ok = !cps.empty();
  for (std::size_t i = 0; ok && i < cps.size(); ++i) {
    ok = model_char(cps[i], i == 0);
  }
  if (cps.size() > 120) {
    c.fail("string_too_long", "String should have at most 120 characters", loc, v);
  } else if (!ok) {
    c.fail("string_pattern_mismatch",
           "String should match pattern '" + std::string(model_pattern) + "'", loc, v);
  }
}

void check_stop(checker& c, const json& v, const std::string& loc) {
  if (!c.list(v, loc)) {
    return;
  }
  if (v.size() > 4) {
    c.fail("too_long",
           "List should have at most 4 items after validation, not " + std::to_string(v.size()),
           loc, v);
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    c.string(v[i], item(loc, i));
  }
}

void check_logit_bias(checker& c, const json& v, const std::string& loc) {
  if (c.object(v, loc)) {
    for (const auto& [token, bias] : v.items()) {
      c.number(bias, at(loc, token), -100, 100);
    }
  }
}

// {"type":"text"|"json_object"} or {"type":"json_schema","json_schema":{...}}.
void check_response_format(checker& c, const json& v, const std::string& loc) {
  if (!c.model(v, loc, "SimpleCompletionResponseFormat")) {
    return;
  }
  const json* type = member(v, "type");
  if (type && !c.literal(*type, at(loc, "type"), response_types)) {
    return;
  }
  bool schema = type ? text(*type) == "json_schema" : false;
  if (const json* s = c.get(v, "json_schema", loc, schema); schema && s) {
    c.object(*s, at(loc, "json_schema"));
  }
}

// "auto" | "none" | {"function": {"name", "arguments"?} | null}; "required" is refused.
void check_tool_choice(checker& c, const json& v, const std::string& loc) {
  if (!v.is_object()) {
    c.literal(v, loc, tool_choices);
    return;
  }
  static constexpr field call_fields[] = {
      {.key = "name", .type = kind::string, .nullable = false, .required = true},
      {.key = "arguments", .type = kind::string},
  };
  const json* fn = member(v, "function");
  if (fn && !fn->is_null() && c.model(*fn, at(loc, "function"), "FunctionCallOption")) {
    check_fields(c, *fn, at(loc, "function"), call_fields);
  }
}

// Field order is the pydantic model's, so issues come out in the order upstream lists them.
constexpr field chat_input_fields[] = {
    {.key = "messages", .type = kind::custom, .nullable = false, .required = true,
     .check = check_messages},
    {.key = "tools", .type = kind::custom, .check = check_list<check_tool>},
    {.key = "tool_choice", .type = kind::custom, .check = check_tool_choice},
    {.key = "remember", .type = kind::boolean, .nullable = false},
    {.key = "recall", .type = kind::boolean, .nullable = false},
    {.key = "save", .type = kind::boolean, .nullable = false},
    {.key = "model", .type = kind::custom, .check = check_model_name},
    {.key = "stream", .type = kind::boolean, .nullable = false},
    {.key = "stop", .type = kind::custom, .nullable = false, .check = check_stop},
    {.key = "seed", .type = kind::integer, .lo = -1, .hi = 1000},
    {.key = "max_tokens", .type = kind::integer, .lo = 1},
    {.key = "logit_bias", .type = kind::custom, .check = check_logit_bias},
    {.key = "response_format", .type = kind::custom, .check = check_response_format},
    {.key = "agent", .type = kind::custom, .check = check_uuid},
    {.key = "repetition_penalty", .type = kind::number, .lo = 0, .hi = 2},
    {.key = "length_penalty", .type = kind::number, .lo = 0, .hi = 2},
    {.key = "min_p", .type = kind::number, .lo = 0, .hi = 1},
    {.key = "frequency_penalty", .type = kind::number, .lo = -2, .hi = 2},
    {.key = "presence_penalty", .type = kind::number, .lo = -2, .hi = 2},
    {.key = "temperature", .type = kind::number, .lo = 0, .hi = 5},
    {.key = "top_p", .type = kind::number, .lo = 0, .hi = 1},
    {.key = "metadata", .type = kind::object},
    {.key = "auto_run_tools", .type = kind::boolean, .nullable = false},
    {.key = "recall_tools", .type = kind::boolean, .nullable = false},
};

// The generation settings carried to the model (spec §1.4), by their ChatInput names.
constexpr std::string_view setting_keys[] = {
    "temperature",      "top_p",          "max_tokens",         "stop",
    "seed",             "frequency_penalty", "presence_penalty", "logit_bias",
    "response_format",  "min_p",          "repetition_penalty", "length_penalty"};

bool flag(const json& in, std::string_view key, bool fallback) {
  const json* v = member(in, key);
  return v && v->is_boolean() ? v->get<bool>() : fallback;
}

// The validated body as the dialect uses it. A setting sent as null is kept: it overrides the
// agent's default with "unset", as upstream's dict merge does.
chat_input chat_input_of(const json& in) {
  chat_input out;
  out.messages = *member(in, "messages");
  if (const json* tools = member(in, "tools"); tools && tools->is_array()) {
    out.tools = *tools;
  }
  out.tool_choice = in.value("tool_choice", json());
  out.save = flag(in, "save", true);
  out.recall = flag(in, "recall", true);
  out.recall_tools = flag(in, "recall_tools", true);
  out.stream = flag(in, "stream", false);
  if (const json* model = core::json_util::member_string(in, "model")) {
    out.model = text(*model);
  }
  if (const json* agent = core::json_util::member_string(in, "agent")) {
    out.agent = canonical_uuid(text(*agent));
  }
  out.metadata = in.value("metadata", json());
  for (auto key : setting_keys) {
    if (const json* v = member(in, key)) {
      bool integral = (key == "max_tokens" || key == "seed") && v->is_number_float();
      out.settings[std::string(key)] = integral ? json(saturated(v->get<double>())) : *v;
    }
  }
  return out;
}

}  // namespace

void validate_tool(const json& tool, const std::string& loc, std::vector<issue>& issues) {
  checker c(issues);
  check_tool(c, tool, loc);
}

checked<chat_input> parse_chat_input(std::string_view body) {
  std::vector<issue> issues;
  checker c(issues);
  auto parsed = core::json_util::parse(body);
  if (!parsed) {
    c.fail("json_invalid", "JSON decode error", "body", json(std::string(body)));
  } else if (!parsed->is_object()) {
    c.fail("model_attributes_type",
           "Input should be a valid dictionary or object to extract fields from", "body", *parsed);
  } else {
    check_fields(c, *parsed, "", chat_input_fields);
  }
  if (!issues.empty()) {
    return problem{422, "Validation error", "validation_error", std::move(issues)};
  }
  return chat_input_of(*parsed);
}

namespace {

std::optional<double> number_of(const json& settings, std::string_view key) {
  const json* v = member(settings, key);
  return v && v->is_number() ? std::optional<double>(v->get<double>()) : std::nullopt;
}

std::optional<std::int64_t> integer_of(const json& settings, std::string_view key) {
  const json* v = member(settings, key);
  if (v && v->is_number_float()) {
    return saturated(v->get<double>());
  }
  return core::json_util::integer(settings, key);
}

// The wrapper OpenAI takes ({"name","schema","strict"}) or, when a client sent the JSON Schema
// itself, that schema.
std::string schema_of(const json& format) {
  const json* wrapper = member(format, "json_schema");
  if (!wrapper || !wrapper->is_object()) {
    return {};
  }
  const json* schema = member(*wrapper, "schema");
  return core::json_util::dump(schema && schema->is_object() ? *schema : *wrapper);
}

void apply_response_format(const json& settings, core::response_format& out) {
  const json* format = member(settings, "response_format");
  if (!format) {
    return;
  }
  std::string type = format->is_object() ? core::json_util::string_or(*format, "type", "text") : "";
  out.json = type == "json_object" || type == "json_schema";
  out.schema = type == "json_schema" ? schema_of(*format) : std::string();
}

}  // namespace

// The settings are the agent's stored defaults merged with the request's, so types are checked
// again here; a key present as null clears the setting.
void apply_settings(const json& settings, core::chat_request& out) {
  auto& p = out.params;
  auto set = [&](std::string_view key, auto& field, auto value) {
    if (member(settings, key)) {
      field = value;
    }
  };
  set("temperature", p.temperature, number_of(settings, "temperature"));
  set("top_p", p.top_p, number_of(settings, "top_p"));
  set("frequency_penalty", p.frequency_penalty, number_of(settings, "frequency_penalty"));
  set("presence_penalty", p.presence_penalty, number_of(settings, "presence_penalty"));
  set("max_tokens", p.max_output_tokens, integer_of(settings, "max_tokens"));
  set("seed", p.seed, integer_of(settings, "seed"));
  if (const json* stop = member(settings, "stop")) {
    p.stop.clear();
    if (stop->is_string()) {
      p.stop.push_back(text(*stop));
    }
    for (const auto& s : stop->is_array() ? *stop : json::array()) {
      if (s.is_string()) {
        p.stop.push_back(text(s));
      }
    }
  }
  if (const json* bias = member(settings, "logit_bias")) {
    p.logit_bias = bias->is_object() && !bias->empty() ? core::json_util::dump(*bias) : "";
  }
  apply_response_format(settings, out.response_format);
  // min_p, repetition_penalty and length_penalty have no core field: dropped, as upstream drops
  // what the provider does not support.
}

}  // namespace interlingua::dialects::sessions
