#include "validate_common.hpp"

// ChatInput and CreateToolRequest validation as upstream's pydantic models do it (spec §1, §2):
// every violation is collected as one issue, unknown keys are ignored, booleans are strict.
// Deliberate differences from pydantic's lax mode: numbers must be JSON numbers (pydantic would
// also coerce "0.5" or true), and union failures are reported once, at the field, instead of once
// per union member.

namespace interlingua::dialects::sessions {

namespace {

using namespace checks;

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
    {.key = "source",
     .type = kind::custom,
     .nullable = false,
     .required = true,
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
      check_fields(c, v[i], item(loc, i),
                   images ? fields(image_part_fields) : fields(text_part_fields));
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
    {.key = "image_url",
     .type = kind::custom,
     .nullable = false,
     .required = true,
     .check = check_image_url},
    {.key = "type", .type = kind::literal, .nullable = false, .allowed = image_url_type},
};
constexpr field tool_result_part_fields[] = {
    {.key = "tool_use_id", .type = kind::string, .nullable = false, .required = true},
    {.key = "type", .type = kind::literal, .nullable = false, .allowed = tool_result_type},
    {.key = "content",
     .type = kind::custom,
     .nullable = false,
     .required = true,
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
  std::string_view kind_of = type                       ? std::string_view(text(*type))
                             : member(p, "image_url")   ? "image_url"
                             : member(p, "tool_use_id") ? "tool_result"
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
    {.key = "messages",
     .type = kind::custom,
     .nullable = false,
     .required = true,
     .check = check_messages},
    {.key = "tools", .type = kind::custom, .check = check_list<check_tool_request>},
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
constexpr std::string_view setting_keys[] = {"temperature",
                                             "top_p",
                                             "max_tokens",
                                             "stop",
                                             "seed",
                                             "frequency_penalty",
                                             "presence_penalty",
                                             "logit_bias",
                                             "response_format",
                                             "min_p",
                                             "repetition_penalty",
                                             "length_penalty"};

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

using namespace checks;

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
