#include "parse_input.hpp"

#include <algorithm>

namespace interlingua::dialects::interactions {

namespace {

using core::json_view::member_string;
using core::json_view::string_or;
using core::json_view::value;

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

core::result<core::tool_decl> parse_declaration(value d, const std::string& where) {
  value name = member_string(d, "name");
  if (name.str().empty()) {
    return field_error(where + ".name", "is required");
  }
  value params = d.member("parameters");
  if (params && !params.is_object() && !params.is_null()) {
    return field_error(where + ".parameters", "must be a JSON Schema object");
  }
  return core::tool_decl{std::string(name.str()),
                         string_or(d, "description"),
                         params.is_object() ? json_text(params) : std::string{},
                         {},
                         {}};
}

// Everything but `type` is the built-in's settings, kept for a provider that can run it. As a
// tree, so the text is the old one: keys sorted, a repeated key's last value.
core::tool_decl builtin_declaration(value t, const std::string& type) {
  nlohmann::json options = core::json_view::to_json(t);
  options.erase("type");
  return core::tool_decl{string_or(t, "name"),
                         {},
                         {},
                         type,
                         options.empty() ? std::string{} : core::json_util::dump(options)};
}

core::result<core::tool_mode> parse_mode(value v, const std::string& param) {
  static const std::pair<std::string_view, core::tool_mode> modes[] = {
      {"auto", core::tool_mode::automatic},
      {"any", core::tool_mode::required},
      {"none", core::tool_mode::none},
      {"validated", core::tool_mode::validated}};
  for (const auto& [name, mode] : modes) {
    if (v.is_string() && v.str() == name) {
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
core::result<core::tool_choice> parse_allowed_tools(value choice,
                                                    const std::vector<core::tool_decl>& tools) {
  const std::string param = "generation_config.tool_choice.allowed_tools";
  value allowed = choice.member("allowed_tools");
  if (!allowed.is_object()) {
    return field_error(param, "must be an object {mode, tools}");
  }
  core::tool_choice out{core::tool_mode::automatic, {}};
  if (value mode = allowed.member("mode"); mode && !mode.is_null()) {
    auto m = parse_mode(mode, param + ".mode");
    if (!m) {
      return m.error();
    }
    out.mode = *m;
  }
  value names = allowed.member("tools");
  if (names && !names.is_null() && !names.is_array()) {
    return field_error(param + ".tools", "must be an array of function names");
  }
  if (!names.is_array()) {
    return out;
  }
  std::size_t i = 0;
  for (value n : names) {
    std::string at = param + ".tools[" + std::to_string(i++) + "]";
    if (!n.is_string()) {
      return field_error(at, "must be a function name");
    }
    std::string name(n.str());
    if (!declares_function(tools, name)) {
      return field_error(at, "\"" + name + "\" is not a function declared in tools");
    }
    out.allowed.push_back(std::move(name));
  }
  return out;
}

}  // namespace

core::result<std::vector<core::tool_decl>> parse_tools(value body) {
  std::vector<core::tool_decl> out;
  value tools = body.member("tools");
  if (!tools || tools.is_null()) {
    return out;
  }
  if (!tools.is_array()) {
    return field_error("tools", "must be an array");
  }
  std::size_t i = 0;
  for (value t : tools) {
    std::string where = "tools[" + std::to_string(i++) + "]";
    if (!t.is_object()) {
      return field_error(where, "must be an object");
    }
    if (value group = t.member("function_declarations"); group.is_array()) {
      std::size_t j = 0;
      for (value d : group) {
        auto decl =
            parse_declaration(d, where + ".function_declarations[" + std::to_string(j++) + "]");
        if (!decl) {
          return decl.error();
        }
        out.push_back(std::move(*decl));
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

core::result<core::tool_choice> parse_tool_choice(value body,
                                                  const std::vector<core::tool_decl>& tools) {
  value choice = body.member("generation_config").member("tool_choice");
  if (!choice || choice.is_null()) {
    return core::tool_choice{};
  }
  core::result<core::tool_choice> out = core::tool_choice{};
  if (choice.is_string()) {
    auto mode = parse_mode(choice, "generation_config.tool_choice");
    if (!mode) {
      return mode.error();
    }
    out = core::tool_choice{*mode, {}};
  } else if (choice.is_object()) {
    out = parse_allowed_tools(choice, tools);
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
