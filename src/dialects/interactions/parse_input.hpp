#pragma once

#include <string>
#include <vector>

#include <interlingua/core/json_util.hpp>
#include <interlingua/core/json_view.hpp>
#include <interlingua/core/model.hpp>
#include <interlingua/core/result.hpp>

// The request is read through a json_view document, not an nlohmann tree: every Interactions
// request is parsed here, and the tree's allocations were most of the parse's cost.

namespace interlingua::dialects::interactions {

// A client error about one request field: "param: message", with `param` set for the renderer.
inline core::error field_error(const std::string& param, const std::string& message) {
  return core::make_error(core::error_kind::invalid_request, param + ": " + message, param);
}

// A value as JSON text (a schema or arguments kept as text): the text dumping the nlohmann tree
// gives, keys sorted and a repeated key's last value.
inline std::string json_text(core::json_view::value v) {
  return core::json_util::dump(core::json_view::to_json(v));
}

// Every `input` form of spec §4.2: a string, one content object, a content list (one user turn),
// a list of steps, or legacy {role, content} turns.
core::result<std::vector<core::turn>> parse_input(core::json_view::value input);
// Appends the turns of an array of steps (or legacy turns), as parse_input reads one; errors name
// them input[first], input[first + 1], ...: a list of steps may come from more than one document
// (a stored interaction's input and output).
core::result<void> append_steps(core::json_view::value steps, std::size_t first,
                                std::vector<core::turn>& turns);

// `system_instruction` as a string or a content object {parts:[{text}]} / {type:"text",text}.
core::result<void> parse_system_instruction(core::json_view::value body, std::string& out);

// `tools`: flat function declarations, `function_declarations` groups, and built-in tools
// (google_search, code_execution, ...) as core built-ins.
core::result<std::vector<core::tool_decl>> parse_tools(core::json_view::value body);

// `generation_config.tool_choice`: a mode string or {allowed_tools:{mode, tools:[names]}}; every
// allowed name must be a function declared in `tools`.
core::result<core::tool_choice> parse_tool_choice(core::json_view::value body,
                                                  const std::vector<core::tool_decl>& tools);

}  // namespace interlingua::dialects::interactions
