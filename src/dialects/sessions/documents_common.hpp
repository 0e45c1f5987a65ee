#pragma once

// What agents.cpp, session_docs.cpp and documents.cpp share: the pydantic-style validator for
// the dialect's documents and the field checks common to agents and sessions.

#include <interlingua/dialects/sessions.hpp>

#include <charconv>
#include <chrono>
#include <cmath>
#include <initializer_list>

#include <interlingua/core/json_util.hpp>

#include "pyrepr.hpp"

namespace interlingua::dialects::sessions::docs {

using namespace core::json_util;

inline constexpr std::size_t max_name_chars = 120;
inline constexpr const char* default_model = "gpt-4o-mini";

// ---- issues ------------------------------------------------------------------------------------

inline std::string number_text(double d) {
  if (std::floor(d) == d && std::fabs(d) < 1e15) {
    return std::to_string(static_cast<long long>(d));
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);  // shortest form, as pydantic prints limits
  return std::string(buf, r.ptr);
}

inline std::string at(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

inline std::string item(const std::string& parent, std::size_t i) {
  return parent + "[" + std::to_string(i) + "]";
}

struct validator {
  std::vector<issue>& issues;

  bool fail(std::string type, std::string msg, std::string loc, const json& v) {
    issues.push_back(issue{std::move(type), std::move(msg), std::move(loc), py_str(v)});
    return false;
  }

  bool string(const json& v, const std::string& loc) {
    return v.is_string() || fail("string_type", "Input should be a valid string", loc, v);
  }

  bool boolean(const json& v, const std::string& loc) {
    return v.is_boolean() || fail("bool_type", "Input should be a valid boolean", loc, v);
  }

  bool object(const json& v, const std::string& loc) {
    return v.is_object() || fail("dict_type", "Input should be a valid dictionary", loc, v);
  }

  bool list(const json& v, const std::string& loc) {
    return v.is_array() || fail("list_type", "Input should be a valid list", loc, v);
  }

  // Integers, and floats with no fractional part (pydantic's lax mode takes 5.0 for 5).
  bool integer(const json& v, const std::string& loc) {
    if (v.is_number_integer() || v.is_number_unsigned()) {
      return true;
    }
    if (v.is_number_float()) {
      double d = v.get<double>();
      return (std::isfinite(d) && std::floor(d) == d) ||
             fail("int_from_float",
                  "Input should be a valid integer, got a number with a fractional part", loc, v);
    }
    return fail("int_type", "Input should be a valid integer", loc, v);
  }

  bool number(const json& v, const std::string& loc) {
    return v.is_number() || fail("float_type", "Input should be a valid number", loc, v);
  }

  // lo <= v <= hi (inclusive), or v < hi when `open_hi`.
  bool range(const json& v, const std::string& loc, double lo, double hi, bool open_hi = false) {
    double d = v.get<double>();
    if (d < lo) {
      return fail("greater_than_equal",
                  "Input should be greater than or equal to " + number_text(lo), loc, v);
    }
    if (open_hi && d >= hi) {
      return fail("less_than", "Input should be less than " + number_text(hi), loc, v);
    }
    if (d > hi) {
      return fail("less_than_equal", "Input should be less than or equal to " + number_text(hi),
                  loc, v);
    }
    return true;
  }

  bool literal(const json& v, const std::string& loc, std::initializer_list<const char*> allowed) {
    for (const char* a : allowed) {
      if (v.is_string() && text(v) == a) {
        return true;
      }
    }
    std::string msg = "Input should be ";
    std::size_t i = 0;
    for (const char* a : allowed) {
      msg += i == 0 ? "" : (i + 1 == allowed.size() ? " or " : ", ");
      msg += "'" + std::string(a) + "'";
      ++i;
    }
    return fail("literal_error", msg, loc, v);
  }

  bool uuid(const json& v, const std::string& loc) {
    return (v.is_string() && is_uuid(text(v))) ||
           fail("uuid_parsing", "Input should be a valid UUID", loc, v);
  }

  void missing(const json& parent, const std::string& loc) {
    fail("missing", "Field required", loc, parent);
  }
};

inline std::size_t characters(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    n += (c & 0xC0) != 0x80 ? 1 : 0;
  }
  return n;
}

// UUIDs are stored lower-case, as upstream prints them, so ids compare as text.
inline json lower_uuid(const json& v) {
  std::string s = text(v);
  for (auto& c : s) {
    c = (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return s;
}

// ---- shared field checks -----------------------------------------------------------------------

inline std::optional<json> body_object(std::string_view body, std::vector<issue>& issues) {
  validator v{issues};
  auto parsed = parse(body);
  if (!parsed) {
    v.fail("json_invalid", "JSON decode error", "body", json(std::string(body)));
    return std::nullopt;
  }
  if (!parsed->is_object()) {
    v.fail("model_attributes_type",
           "Input should be a valid dictionary or object to extract fields from", "body", *parsed);
    return std::nullopt;
  }
  return parsed;
}

inline checked<json> validation_failed(std::vector<issue> issues) {
  problem p;
  p.details = std::move(issues);
  return p;
}

inline problem bad_request(std::string message) {
  return problem{400, std::move(message), "http_400", {}};
}

// A settings knob of ChatInput (spec §1.1) with its range; kept when valid.
inline bool setting_ok(validator& v, const std::string& key, const json& x,
                       const std::string& loc) {
  struct span {
    const char* key;
    double lo, hi;
  };
  static constexpr span numbers[] = {
      {"temperature", 0, 5},
      {"top_p", 0, 1},
      {"min_p", 0, 1},
      {"frequency_penalty", -2, 2},
      {"presence_penalty", -2, 2},
      {"repetition_penalty", 0, 2},
      {"length_penalty", 0, 2},
  };
  for (const auto& s : numbers) {
    if (key == s.key) {
      return v.number(x, loc) && v.range(x, loc, s.lo, s.hi);
    }
  }
  if (key == "max_tokens") {
    return v.integer(x, loc) && v.range(x, loc, 1, 1e18);
  }
  if (key == "seed") {
    return v.integer(x, loc) && v.range(x, loc, -1, 1000);
  }
  if (key == "stop") {
    if (!v.list(x, loc)) {
      return false;
    }
    bool ok = true;
    for (std::size_t i = 0; i < x.size(); ++i) {
      ok = v.string(x[i], item(loc, i)) && ok;
    }
    if (x.size() > 4) {
      return v.fail(
          "too_long",
          "List should have at most 4 items after validation, not " + std::to_string(x.size()), loc,
          x);
    }
    return ok;
  }
  if (key == "logit_bias") {
    if (!v.object(x, loc)) {
      return false;
    }
    bool ok = true;
    for (const auto& [k, bias] : x.items()) {
      ok = v.number(bias, at(loc, k)) && v.range(bias, at(loc, k), -100, 100) && ok;
    }
    return ok;
  }
  // response_format: {"type":"text"|"json_object"|"json_schema"}, json_schema for the last.
  if (!v.object(x, loc)) {
    return false;
  }
  const json* type = member(x, "type");
  if (type && !v.literal(*type, at(loc, "type"), {"text", "json_object", "json_schema"})) {
    return false;
  }
  if (type && text(*type) == "json_schema") {
    const json* schema = member(x, "json_schema");
    if (!schema) {
      v.missing(x, at(loc, "json_schema"));
      return false;
    }
    return v.object(*schema, at(loc, "json_schema"));
  }
  return true;
}

// default_settings: the known knobs, validated; unknown keys and nulls dropped.
inline std::optional<json> settings_of(validator& v, const json& x, const std::string& loc) {
  if (!v.object(x, loc)) {
    return std::nullopt;
  }
  static constexpr const char* known[] = {"temperature",
                                          "top_p",
                                          "min_p",
                                          "frequency_penalty",
                                          "presence_penalty",
                                          "repetition_penalty",
                                          "length_penalty",
                                          "max_tokens",
                                          "seed",
                                          "stop",
                                          "logit_bias",
                                          "response_format"};
  json out = json::object();
  bool ok = true;
  for (const char* key : known) {
    const json* val = member(x, key);
    if (val == nullptr || val->is_null()) {
      continue;
    }
    if (setting_ok(v, key, *val, at(loc, key))) {
      out[key] = *val;
    } else {
      ok = false;
    }
  }
  return ok ? std::optional<json>(std::move(out)) : std::nullopt;
}

// Shallow merge of `patch` onto `base` when both are objects (upstream's jsonb `||`).
inline json merged(const json& base, const json& patch) {
  if (!base.is_object() || !patch.is_object()) {
    return patch;
  }
  json out = base;
  for (const auto& [k, val] : patch.items()) {
    out[k] = val;
  }
  return out;
}

// What upstream stores for omitted recall options ({}) reads back as these (spec §5.1).
inline json recall_defaults(const std::string& mode) {
  json out{{"limit", 10},
           {"lang", "en-US"},
           {"metadata_filter", json::object()},
           {"num_search_messages", 4},
           {"max_query_length", 1000},
           {"include_embeddings", true},
           {"mode", mode}};
  if (mode != "text") {
    out["confidence"] = 0.5;
    out["mmr_strength"] = 0.5;
  }
  if (mode == "hybrid") {
    out["alpha"] = 0.5;
    out["k_multiplier"] = 7;
  }
  if (mode != "vector") {
    out["trigram_similarity_threshold"] = nullptr;
  }
  return out;
}

}  // namespace interlingua::dialects::sessions::docs
