#include <interlingua/dialects/sessions.hpp>

#include <interlingua/core/json_util.hpp>

// Julep tools (CreateToolRequest, spec §2) as the functions the model is offered, and the model's
// calls back in Julep's typed shapes (spec §2.3). Upstream offers no tools on its default path
// and runs them itself on the auto-tools path; offering every tool as a function and returning
// the calls to the client is the deliberate superset of both (spec §2.2).
//
// The function offered upstream is always named by the tool's `name`; its description is the
// tool's `description` (else a short default per type). Its parameters (JSON Schema):
//
//   function              → function.parameters; {"type":"object","properties":{}} when absent
//   api_call              → api_call.params_schema; the same generic object when absent
//   system                → {"arguments": object}  (the arguments of <operation> on <resource>)
//   integration           → {"arguments": object}  (the arguments of the <provider> call)
//   computer_20241022     → {"action": enum key|type|cursor_position|mouse_move|left_click|
//                             right_click|middle_click|double_click|screenshot (required),
//                             "text": string, "coordinate": [x, y] integers}
//   text_editor_20241022  → {"command": enum str_replace|insert|view|undo_edit (required),
//                             "path": string (required), "file_text", "insert_line": integer,
//                             "new_str", "old_str", "view_range": integer[]}
//   bash_20241022         → {"command": string, "restart": boolean}
//   anything else         → the generic object
//
// A call comes back as ChosenFunctionCall for function, integration, system and api_call tools
// (and for names no offered tool has); as the bare ChosenComputer20241022, ChosenTextEditor20241022
// or ChosenBash20241022 object for those three when the arguments fit that shape. Arguments that
// do not fit (not JSON, a missing or unknown action or command) stay a ChosenFunctionCall, so
// nothing the model said is lost.

namespace interlingua::dialects::sessions {

namespace {

using core::json_util::member;
using core::json_util::string_or;

json generic_object() {
  return {{"type", "object"}, {"properties", json::object()}};
}

json object_schema(json properties, json required) {
  return {
      {"type", "object"}, {"properties", std::move(properties)}, {"required", std::move(required)}};
}

const json& computer_actions() {
  static const json actions = {"key",          "type",         "cursor_position",
                               "mouse_move",   "left_click",   "right_click",
                               "middle_click", "double_click", "screenshot"};
  return actions;
}

const json& editor_commands() {
  static const json commands = {"str_replace", "insert", "view", "undo_edit"};
  return commands;
}

json int_array() {
  return {{"type", "array"}, {"items", {{"type", "integer"}}}};
}

json computer_schema() {
  json coordinate = int_array();
  coordinate["minItems"] = 2;
  coordinate["maxItems"] = 2;
  coordinate["description"] = "[x, y] in pixels";
  return object_schema({{"action", {{"type", "string"}, {"enum", computer_actions()}}},
                        {"text", {{"type", "string"}}},
                        {"coordinate", std::move(coordinate)}},
                       {"action"});
}

json text_editor_schema() {
  json str = {{"type", "string"}};
  return object_schema({{"command", {{"type", "string"}, {"enum", editor_commands()}}},
                        {"path", str},
                        {"file_text", str},
                        {"insert_line", {{"type", "integer"}}},
                        {"new_str", str},
                        {"old_str", str},
                        {"view_range", int_array()}},
                       {"command", "path"});
}

json bash_schema() {
  return object_schema({{"command", {{"type", "string"}}}, {"restart", {{"type", "boolean"}}}},
                       json::array());
}

json arguments_schema(std::string description) {
  return object_schema(
      {{"arguments", {{"type", "object"}, {"description", std::move(description)}}}},
      json::array());
}

// The tool's sub-object (`function`, `system`, ...) named by its type; null when absent.
const json& spec_of(const json& tool, const std::string& type) {
  static const json none;
  const json* spec = member(tool, type);
  return spec && spec->is_object() ? *spec : none;
}

json object_member_or_generic(const json& spec, std::string_view key) {
  const json* m = member(spec, key);
  return m && m->is_object() ? *m : generic_object();
}

std::string what_it_calls(const json& spec, const std::string& type) {
  if (type == "system") {
    return string_or(spec, "operation") + " on " + string_or(spec, "resource");
  }
  std::string provider = string_or(spec, "provider");
  std::string method = string_or(spec, "method");
  return provider + (method.empty() ? "" : " " + method);
}

json parameters_of(const json& spec, const std::string& type) {
  if (type == "function") {
    return object_member_or_generic(spec, "parameters");
  }
  if (type == "api_call") {
    return object_member_or_generic(spec, "params_schema");
  }
  if (type == "system" || type == "integration") {
    return arguments_schema("The arguments of the " + what_it_calls(spec, type) + " call");
  }
  if (type == "computer_20241022") {
    return computer_schema();
  }
  if (type == "text_editor_20241022") {
    return text_editor_schema();
  }
  return type == "bash_20241022" ? bash_schema() : generic_object();
}

// What the model reads when the tool has no description of its own.
std::string default_description(const json& spec, const std::string& type) {
  if (type == "function") {
    return string_or(spec, "description");
  }
  if (type == "api_call") {
    return "HTTP " + string_or(spec, "method") + " " + string_or(spec, "url");
  }
  if (type == "system" || type == "integration") {
    return "Calls " + what_it_calls(spec, type) + ".";
  }
  if (type == "computer_20241022") {
    return "Use the mouse and keyboard of a " +
           std::to_string(core::json_util::integer_or(spec, "display_width_px", 1024)) + "x" +
           std::to_string(core::json_util::integer_or(spec, "display_height_px", 768)) +
           " display; coordinate is [x, y] in pixels.";
  }
  if (type == "text_editor_20241022") {
    return "View and edit the file at path: view, str_replace, insert or undo_edit.";
  }
  return type == "bash_20241022" ? "Run a command in a bash shell; restart restarts the shell."
                                 : std::string();
}

// ---- typed calls --------------------------------------------------------------------------------

bool one_of(const json& v, const json& allowed) {
  for (const auto& a : allowed) {
    if (v == a) {
      return true;
    }
  }
  return false;
}

bool int_list(const json& v) {
  if (!v.is_array()) {
    return false;
  }
  for (const auto& x : v) {
    if (!x.is_number_integer()) {
      return false;
    }
  }
  return true;
}

// `key` of `args` when it is absent, null or passes `ok`: copied into `out` (null if absent).
template <class Check>
bool take(const json& args, const char* key, Check ok, json& out) {
  const json* v = member(args, key);
  out[key] = v ? *v : json();
  return !v || v->is_null() || ok(*v);
}

bool is_string(const json& v) {
  return v.is_string();
}
bool is_integer(const json& v) {
  return v.is_number_integer();
}

std::optional<json> computer_call(const json& args) {
  const json* action = member(args, "action");
  if (!action || !one_of(*action, computer_actions())) {
    return std::nullopt;
  }
  json out{{"action", *action}};
  bool ok = take(args, "text", is_string, out) && take(args, "coordinate", int_list, out);
  return ok ? std::optional<json>(std::move(out)) : std::nullopt;
}

std::optional<json> text_editor_call(const json& args) {
  const json* command = member(args, "command");
  const json* path = member(args, "path");
  if (!command || !one_of(*command, editor_commands()) || !path || !path->is_string()) {
    return std::nullopt;
  }
  json out{{"command", *command}, {"path", *path}};
  bool ok = take(args, "file_text", is_string, out) && take(args, "insert_line", is_integer, out) &&
            take(args, "new_str", is_string, out) && take(args, "old_str", is_string, out) &&
            take(args, "view_range", int_list, out);
  return ok ? std::optional<json>(std::move(out)) : std::nullopt;
}

std::optional<json> bash_call(const json& args) {
  json out;
  const json* restart = member(args, "restart");
  if (restart && !restart->is_null() && !restart->is_boolean()) {
    return std::nullopt;
  }
  if (!take(args, "command", is_string, out)) {
    return std::nullopt;
  }
  out["restart"] = restart && restart->is_boolean() ? restart->get<bool>() : false;
  return out;
}

// Upstream serialises every spec key of ChosenFunctionCall, the unused ones as null.
json function_call(const core::tool_call_part& call) {
  return {{"type", "function"},
          {"function",
           {{"name", call.name}, {"arguments", call.arguments.empty() ? "{}" : call.arguments}}},
          {"id", call.id},
          {"integration", nullptr},
          {"system", nullptr},
          {"api_call", nullptr},
          {"computer_20241022", nullptr},
          {"text_editor_20241022", nullptr},
          {"bash_20241022", nullptr}};
}

std::string offered_type(const std::string& name, const json& offered_tools) {
  if (!offered_tools.is_array()) {
    return {};
  }
  for (const auto& tool : offered_tools) {
    if (string_or(tool, "name") == name) {
      return string_or(tool, "type");
    }
  }
  return {};
}

}  // namespace

core::tool_decl tool_of(const json& tool) {
  std::string type = string_or(tool, "type");
  const json& spec = spec_of(tool, type);
  core::tool_decl decl;
  decl.name = string_or(tool, "name");
  decl.description = string_or(tool, "description");
  if (decl.description.empty()) {
    decl.description = default_description(spec, type);
  }
  decl.parameters = core::json_util::dump(parameters_of(spec, type));
  return decl;
}

// "required" never gets here (422); a NamedToolChoice forces a call of the function it names,
// and one without a function leaves the provider's default.
void apply_tool_choice(const json& tool_choice, core::chat_request& out) {
  if (tool_choice.is_string()) {
    const auto& mode = core::json_util::text(tool_choice);
    if (mode == "auto" || mode == "none") {
      out.tool_choice = {mode == "auto" ? core::tool_mode::automatic : core::tool_mode::none, {}};
    }
    return;
  }
  const json* fn = member(tool_choice, "function");
  const json* name = fn ? core::json_util::member_string(*fn, "name") : nullptr;
  if (name) {
    out.tool_choice = {core::tool_mode::required, {core::json_util::text(*name)}};
  }
}

json typed_tool_call(const core::tool_call_part& call, const json& offered_tools) {
  std::string type = offered_type(call.name, offered_tools);
  bool typed =
      type == "computer_20241022" || type == "text_editor_20241022" || type == "bash_20241022";
  auto args =
      typed ? core::json_util::parse(call.arguments.empty() ? "{}" : call.arguments) : std::nullopt;
  if (args && args->is_object()) {
    auto shaped = type == "computer_20241022"      ? computer_call(*args)
                  : type == "text_editor_20241022" ? text_editor_call(*args)
                                                   : bash_call(*args);
    if (shaped) {
      return std::move(*shaped);
    }
  }
  return function_call(call);
}

}  // namespace interlingua::dialects::sessions
