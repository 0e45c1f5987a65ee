#include "validate_common.hpp"

// CreateToolRequest validation (spec §2): the tool union, each sub-object a model of its own.

namespace interlingua::dialects::sessions {

namespace {

using namespace checks;

// ---- tools (spec §2) --------------------------------------------------------------------------

constexpr std::string_view tool_types[] = {
    "function",          "integration",          "system",       "api_call",
    "computer_20241022", "text_editor_20241022", "bash_20241022"};
constexpr std::string_view resources[] = {"agent", "user",    "task", "execution",
                                          "doc",   "session", "job"};
constexpr std::string_view operations[] = {"create",  "update",        "patch",  "create_or_update",
                                           "embed",   "change_status", "search", "chat",
                                           "history", "delete",        "get",    "list"};
constexpr std::string_view subresources[] = {"tool", "doc", "execution", "transition"};
constexpr std::string_view methods[] = {"GET",  "POST",    "PUT",     "DELETE", "PATCH",
                                        "HEAD", "OPTIONS", "CONNECT", "TRACE"};
constexpr std::string_view providers[] = {
    "dummy", "weather",      "wikipedia",      "spider",      "brave",        "browserbase",
    "email", "mailgun",      "remote_browser", "llama_parse", "ffmpeg",       "cloudinary",
    "arxiv", "unstructured", "algolia",        "mcp",         "google_sheets"};
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
    {.key = "properties",
     .type = kind::custom,
     .nullable = false,
     .required = true,
     .check = check_properties},
    {.key = "required", .type = kind::custom, .nullable = false, .check = check_list<check_string>},
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
    {.key = "method",
     .type = kind::literal,
     .nullable = false,
     .allowed = methods,
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
    {.key = "params_schema",
     .type = kind::custom,
     .check = check_model<params_schema_name, params_schema_fields>},
    {.key = "follow_redirects", .type = kind::boolean},
    {.key = "timeout", .type = kind::integer},
    {.key = "include_response_content", .type = kind::boolean, .nullable = false},
};
constexpr field system_fields[] = {
    {.key = "resource",
     .type = kind::literal,
     .nullable = false,
     .allowed = resources,
     .required = true},
    {.key = "operation",
     .type = kind::literal,
     .nullable = false,
     .allowed = operations,
     .required = true},
    {.key = "resource_id", .type = kind::custom, .check = check_uuid},
    {.key = "subresource", .type = kind::literal, .allowed = subresources},
    {.key = "arguments", .type = kind::object},
};
constexpr field integration_fields[] = {
    {.key = "provider",
     .type = kind::literal,
     .nullable = false,
     .allowed = providers,
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
    {.key = "name",
     .type = kind::custom,
     .nullable = false,
     .required = true,
     .check = check_tool_name},
    {.key = "type",
     .type = kind::literal,
     .nullable = false,
     .allowed = tool_types,
     .required = true},
    {.key = "description", .type = kind::string},
    {.key = "function", .type = kind::custom, .check = check_model<function_name, function_fields>},
    {.key = "integration",
     .type = kind::custom,
     .check = check_model<integration_name, integration_fields>},
    {.key = "system", .type = kind::custom, .check = check_model<system_name, system_fields>},
    {.key = "api_call", .type = kind::custom, .check = check_model<api_call_name, api_call_fields>},
    {.key = "computer_20241022",
     .type = kind::custom,
     .check = check_model<computer_name, computer_fields>},
    {.key = "text_editor_20241022",
     .type = kind::custom,
     .check = check_model<text_editor_name, text_editor_fields>},
    {.key = "bash_20241022", .type = kind::custom, .check = check_model<bash_name, bash_fields>},
};

constexpr std::string_view tool_name = "CreateToolRequest";
constexpr auto check_tool = check_model<tool_name, tool_fields>;

}  // namespace

void checks::check_tool_request(checker& c, const json& v, const std::string& loc) {
  check_tool(c, v, loc);
}

void validate_tool(const json& tool, const std::string& loc, std::vector<issue>& issues) {
  checks::checker c(issues);
  checks::check_tool_request(c, tool, loc);
}

}  // namespace interlingua::dialects::sessions
