#include "parse_input.hpp"

#include <algorithm>

#include <interlingua/core/json_util.hpp>

namespace interlingua::dialects::interactions {

namespace {

using nlohmann::json;
using namespace core::json_util;

// The provider-run tool types of spec §4.5. They reach core as built-ins; a provider that cannot
// run them refuses the request.
bool is_builtin(std::string_view type) {
  for (std::string_view b : {"google_search", "code_execution", "url_context", "computer_use",
                             "mcp_server", "file_search", "google_maps", "retrieval"}) {
    if (type == b) {
      return true;
    }
  }
  return false;
}

core::result<core::tool_decl> parse_declaration(const json& d, const std::string& where) {
  const json* name = member_string(d, "name");
  if (!name || text(*name).empty()) {
    return field_error(where + ".name", "is required");
  }
  const json* params = member(d, "parameters");
  if (params && !params->is_object() && !params->is_null()) {
    return field_error(where + ".parameters", "must be a JSON Schema object");
  }
  return core::tool_decl{name->get<std::string>(),
                         string_or(d, "description"),
                         params && params->is_object() ? dump(*params) : std::string{},
                         {},
                         {}};
}

// Everything but `type` is the built-in's settings, kept for a provider that can run it.
core::tool_decl builtin_declaration(const json& t, const std::string& type) {
  json options = t;
  options.erase("type");
  return core::tool_decl{
      string_or(t, "name"), {}, {}, type, options.empty() ? std::string{} : dump(options)};
}

core::result<core::tool_mode> parse_mode(const json& v, const std::string& param) {
  static const std::pair<std::string_view, core::tool_mode> modes[] = {
      {"auto", core::tool_mode::automatic},
      {"any", core::tool_mode::required},
      {"none", core::tool_mode::none},
      {"validated", core::tool_mode::validated}};
  for (const auto& [name, mode] : modes) {
    if (v.is_string() && text(v) == name) {
      return mode;
    }
  }
  return field_error(param, "must be one of auto, any, none, validated");
}

bool declares_function(const std::vector<core::tool_decl>& tools, const std::string& name) {
  return std::any_of(tools.begin(), tools.end(),
                     [&](const core::tool_decl& t) { return t.builtin.empty() && t.name == name; });
}

// {"allowed_tools":{"mode":<mode>,"tools":[names]}}; mode defaults to auto (restrict, not force).
core::result<core::tool_choice> parse_allowed_tools(const json& choice,
                                                    const std::vector<core::tool_decl>& tools) {
  const std::string param = "generation_config.tool_choice.allowed_tools";
  const json* allowed = member(choice, "allowed_tools");
  if (!allowed || !allowed->is_object()) {
    return field_error(param, "must be an object {mode, tools}");
  }
  core::tool_choice out{core::tool_mode::automatic, {}};
  if (const json* mode = member(*allowed, "mode"); mode && !mode->is_null()) {
    auto m = parse_mode(*mode, param + ".mode");
    if (!m) {
      return m.error();
    }
    out.mode = *m;
  }
  const json* names = member(*allowed, "tools");
  if (names && !names->is_null() && !names->is_array()) {
    return field_error(param + ".tools", "must be an array of function names");
  }
  for (std::size_t i = 0; names && names->is_array() && i < names->size(); ++i) {
    const json& n = (*names)[i];
    std::string at = param + ".tools[" + std::to_string(i) + "]";
    if (!n.is_string()) {
      return field_error(at, "must be a function name");
    }
    if (!declares_function(tools, text(n))) {
      return field_error(at, "\"" + text(n) + "\" is not a function declared in tools");
    }
    out.allowed.push_back(text(n));
  }
  return out;
}

}  // namespace

core::result<std::vector<core::tool_decl>> parse_tools(const json& body) {
  std::vector<core::tool_decl> out;
  const json* tools = member(body, "tools");
  if (!tools || tools->is_null()) {
    return out;
  }
  if (!tools->is_array()) {
    return field_error("tools", "must be an array");
  }
  for (std::size_t i = 0; i < tools->size(); ++i) {
    std::string where = "tools[" + std::to_string(i) + "]";
    const json& t = (*tools)[i];
    if (!t.is_object()) {
      return field_error(where, "must be an object");
    }
    if (const json* group = member(t, "function_declarations"); group && group->is_array()) {
      for (std::size_t j = 0; j < group->size(); ++j) {
        auto d = parse_declaration((*group)[j],
                                   where + ".function_declarations[" + std::to_string(j) + "]");
        if (!d) {
          return d.error();
        }
        out.push_back(std::move(*d));
      }
      continue;
    }
    std::string type = string_or(t, "type");
    if (is_builtin(type)) {
      out.push_back(builtin_declaration(t, type));
      continue;
    }
    if (type != "function") {
      return field_error(where + ".type", type.empty() ? std::string("is required")
                                                       : "unknown tool type \"" + type + "\"");
    }
    auto d = parse_declaration(t, where);
    if (!d) {
      return d.error();
    }
    out.push_back(std::move(*d));
  }
  return out;
}

core::result<core::tool_choice> parse_tool_choice(const json& body,
                                                  const std::vector<core::tool_decl>& tools) {
  const json* choice = member(body, "generation_config");
  choice = choice ? member(*choice, "tool_choice") : nullptr;
  if (!choice || choice->is_null()) {
    return core::tool_choice{};
  }
  core::result<core::tool_choice> out = core::tool_choice{};
  if (choice->is_string()) {
    auto mode = parse_mode(*choice, "generation_config.tool_choice");
    if (!mode) {
      return mode.error();
    }
    out = core::tool_choice{*mode, {}};
  } else if (choice->is_object()) {
    out = parse_allowed_tools(*choice, tools);
  } else {
    return field_error("generation_config.tool_choice",
                       "must be a mode string or an object {allowed_tools:{mode, tools}}");
  }
  // Forcing a call with nothing callable cannot be honoured by any upstream.
  if (out && out->mode == core::tool_mode::required &&
      std::none_of(tools.begin(), tools.end(), [](const auto& t) { return t.builtin.empty(); })) {
    return field_error("generation_config.tool_choice",
                       "\"any\" needs a function declared in tools");
  }
  return out;
}

}  // namespace interlingua::dialects::interactions
