#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <interlingua/core/model.hpp>
#include <interlingua/core/result.hpp>

namespace interlingua::dialects::interactions {

// A client error about one request field: "param: message", with `param` set for the renderer.
inline core::error field_error(const std::string& param, const std::string& message) {
  return core::make_error(core::error_kind::invalid_request, param + ": " + message, param);
}

// Every `input` form of spec §4.2: a string, one content object, a content list (one user turn),
// a list of steps, or legacy {role, content} turns.
core::result<std::vector<core::turn>> parse_input(const nlohmann::json& input);

// `system_instruction` as a string or a content object {parts:[{text}]} / {type:"text",text}.
core::result<void> parse_system_instruction(const nlohmann::json& body, std::string& out);

// `tools`: flat function declarations, `function_declarations` groups, and built-in tools
// (google_search, code_execution, ...) as core built-ins.
core::result<std::vector<core::tool_decl>> parse_tools(const nlohmann::json& body);

// `generation_config.tool_choice`: a mode string or {allowed_tools:{mode, tools:[names]}}; every
// allowed name must be a function declared in `tools`.
core::result<core::tool_choice> parse_tool_choice(const nlohmann::json& body,
                                                  const std::vector<core::tool_decl>& tools);

}  // namespace interlingua::dialects::interactions
