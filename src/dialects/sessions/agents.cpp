#include "documents_common.hpp"

// Agents: parse_agent (create, PUT, PATCH). Rules in documents.cpp's header comment.

namespace interlingua::dialects::sessions {

using namespace docs;

// ---- agents ------------------------------------------------------------------------------------

namespace {

json agent_defaults() {
  return json{{"name", ""},
              {"about", ""},
              {"model", default_model},
              {"instructions", ""},
              {"default_settings", nullptr},
              {"metadata", json::object()},
              {"default_system_template", nullptr},
              {"tools", json::array()}};
}

bool name_ok(validator& v, const json& x) {
  if (!v.string(x, "name")) {
    return false;
  }
  std::size_t n = characters(text(x));
  if (n == 0) {
    return v.fail("string_too_short", "String should have at least 1 character", "name", x);
  }
  if (n > max_name_chars) {
    return v.fail("string_too_long",
                  "String should have at most " + std::to_string(max_name_chars) + " characters",
                  "name", x);
  }
  return true;
}

bool instructions_ok(validator& v, const json& x) {
  if (x.is_string()) {
    return true;
  }
  if (!x.is_array()) {
    // One issue for the failed str | list[str] union, as validate.cpp reports unions.
    return v.fail("string_type", "Input should be a valid string or a list of strings",
                  "instructions", x);
  }
  bool ok = true;
  for (std::size_t i = 0; i < x.size(); ++i) {
    ok = v.string(x[i], item("instructions", i)) && ok;
  }
  return ok;
}

bool tools_ok(validator& v, const json& x) {
  if (!v.list(x, "tools")) {
    return false;
  }
  std::size_t before = v.issues.size();
  for (std::size_t i = 0; i < x.size(); ++i) {
    validate_tool(x[i], item("tools", i), v.issues);
  }
  return v.issues.size() == before;
}

// One field of the body onto `doc`; unknown keys are ignored (pydantic's extra=ignore).
void agent_field(validator& v, const std::string& key, const json& x, bool merge, json& doc) {
  if (key == "name") {
    if (name_ok(v, x)) {
      doc[key] = x;
    }
  } else if (key == "about" || key == "model") {
    if (v.string(x, key)) {
      doc[key] = x;
    }
  } else if (key == "default_system_template") {
    if (x.is_null() || v.string(x, key)) {
      doc[key] = x;
    }
  } else if (key == "instructions") {
    if (instructions_ok(v, x)) {
      doc[key] = x;
    }
  } else if (key == "metadata") {
    if (x.is_null()) {
      doc[key] = json::object();
    } else if (v.object(x, key)) {
      doc[key] = merge ? merged(doc[key], x) : x;
    }
  } else if (key == "default_settings") {
    if (x.is_null()) {
      doc[key] = nullptr;
    } else if (auto s = settings_of(v, x, key)) {
      doc[key] = merge ? merged(doc[key], *s) : *s;
    }
  } else if (key == "tools") {
    if (x.is_null()) {
      doc[key] = json::array();
    } else if (tools_ok(v, x)) {
      doc[key] = x;
    }
  }
}

}  // namespace

checked<json> parse_agent(std::string_view body, const json* base, bool patch) {
  std::vector<issue> issues;
  auto in = body_object(body, issues);
  if (!in) {
    return validation_failed(std::move(issues));
  }
  validator v{issues};
  bool merge = patch && base != nullptr && base->is_object();
  json doc = merge ? *base : agent_defaults();
  if (!merge && base != nullptr) {
    if (const json* tools = member(*base, "tools"); tools && tools->is_array()) {
      doc["tools"] = *tools;  // PUT replaces the agent's fields, not its tools
    }
  }
  if (!merge && member(*in, "name") == nullptr) {
    v.missing(*in, "name");
  }
  for (const auto& [key, x] : in->items()) {
    if (merge && x.is_null()) {
      continue;
    }
    agent_field(v, key, x, merge, doc);
  }
  if (!issues.empty()) {
    return validation_failed(std::move(issues));
  }
  return checked<json>(boost::system::in_place_value, std::move(doc));
}

}  // namespace interlingua::dialects::sessions
