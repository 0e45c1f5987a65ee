#include <interlingua/dialects/interactions.hpp>

#include "parse_input.hpp"

namespace interlingua::dialects::interactions {

namespace {

using core::json_view::string_or;
using core::json_view::value;
using nlohmann::json;

// An integer as nlohmann's get<std::int64_t>() reads it: an unsigned past INT64_MAX wraps to a
// negative (json_view's integer() clamps it). Requests were judged by the wrapped value.
std::int64_t wrapped_integer(value v) {
  return core::json_view::to_json(v).get<std::int64_t>();
}

core::result<void> parse_number(value cfg, std::string_view key, double lo, double hi,
                                std::optional<double>& out) {
  value v = cfg.member(key);
  if (!v || v.is_null()) {
    return {};
  }
  std::string param = "generation_config." + std::string(key);
  if (!v.is_number()) {
    return field_error(param, "must be a number");
  }
  double d = *v.number();
  if (d < lo || d > hi) {
    return field_error(param, "must be between " + json(lo).dump() + " and " + json(hi).dump());
  }
  out = d;
  return {};
}

core::result<void> parse_reasoning(value cfg, core::generation_params& p) {
  if (value level = cfg.member("thinking_level"); level && !level.is_null()) {
    static const std::pair<std::string_view, core::reasoning_level> names[] = {
        {"minimal", core::reasoning_level::minimal},
        {"low", core::reasoning_level::low},
        {"medium", core::reasoning_level::medium},
        {"high", core::reasoning_level::high}};
    bool known = false;
    for (const auto& [name, named] : names) {
      if (level.is_string() && level.str() == name) {
        p.reasoning = named;
        known = true;
      }
    }
    if (!known) {
      return field_error("generation_config.thinking_level",
                         "must be one of minimal, low, medium, high");
    }
  }
  if (value s = cfg.member("thinking_summaries"); s && !s.is_null()) {
    if (!s.is_string() || (s.str() != "auto" && s.str() != "none")) {
      return field_error("generation_config.thinking_summaries", "must be \"auto\" or \"none\"");
    }
    p.reasoning_summaries = s.str() == "auto";
  }
  return {};
}

core::result<void> parse_integers(value cfg, core::generation_params& p) {
  if (value v = cfg.member("max_output_tokens"); v && !v.is_null()) {
    if (!v.is_number_integer() || wrapped_integer(v) < 1) {
      return field_error("generation_config.max_output_tokens", "must be an integer >= 1");
    }
    p.max_output_tokens = wrapped_integer(v);
  }
  if (value v = cfg.member("seed"); v && !v.is_null()) {
    if (!v.is_number_integer()) {
      return field_error("generation_config.seed", "must be an integer");
    }
    // An unsigned past INT64_MAX has no 64-bit signed reading: it used to wrap to a negative
    // seed (18446744073709551615 became -1), which no caller meant.
    if (wrapped_integer(v) != v.integer()) {
      return field_error("generation_config.seed",
                         "must be an integer between -9223372036854775808 and "
                         "9223372036854775807");
    }
    p.seed = wrapped_integer(v);
  }
  return {};
}

core::result<void> parse_stop(value cfg, core::generation_params& p) {
  value v = cfg.member("stop_sequences");
  if (!v || v.is_null()) {
    return {};
  }
  if (!v.is_array()) {
    return field_error("generation_config.stop_sequences", "must be an array of strings");
  }
  for (value s : v) {
    if (!s.is_string()) {
      return field_error("generation_config.stop_sequences", "must be an array of strings");
    }
    p.stop.emplace_back(s.str());
  }
  return {};
}

core::result<void> parse_generation_config(value body, core::generation_params& p) {
  value cfg = body.member("generation_config");
  if (!cfg || cfg.is_null()) {
    return {};
  }
  if (!cfg.is_object()) {
    return field_error("generation_config", "must be an object");
  }
  for (auto step : {parse_number(cfg, "temperature", 0.0, 2.0, p.temperature),
                    parse_number(cfg, "top_p", 0.0, 1.0, p.top_p), parse_integers(cfg, p),
                    parse_stop(cfg, p), parse_reasoning(cfg, p)}) {
    if (!step) {
      return step.error();
    }
  }
  return {};
}

bool is_output_type(value type) {
  std::string_view t = type.str();
  return type.is_string() && (t == "text" || t == "image" || t == "audio" || t == "video");
}

bool is_schema_type(std::string_view t) {
  return t == "object" || t == "array" || t == "string" || t == "number" || t == "integer" ||
         t == "boolean" || t == "null";
}

// One typed entry of spec §4.7. Only text output exists here; JSON when its mime_type says so or
// when it carries a schema.
core::result<void> parse_typed_format(value f, const std::string& where, bool& seen_text,
                                      core::response_format& out) {
  std::string type = string_or(f, "type");
  if (type != "text") {
    return field_error(where + ".type", "\"" + type + "\" output is not supported; only text");
  }
  if (seen_text) {
    return field_error(where, "only one text format may be given");
  }
  seen_text = true;
  value mime = f.member("mime_type");
  if (mime && !mime.is_null() && !mime.is_string()) {
    return field_error(where + ".mime_type", "must be a string");
  }
  value schema = f.member("schema");
  if (schema && !schema.is_null() && !schema.is_object()) {
    return field_error(where + ".schema", "must be a JSON Schema object");
  }
  std::string_view m = mime.str();
  bool has_schema = schema.is_object();
  if (m == "application/json" || (m.empty() && has_schema)) {
    out.json = true;
    out.schema = has_schema && !schema.empty() ? json_text(schema) : std::string{};
    return {};
  }
  if (m != "text/plain" && !m.empty()) {
    return field_error(where + ".mime_type", "must be \"application/json\" or \"text/plain\"");
  }
  if (has_schema) {
    return field_error(where + ".schema", "needs mime_type \"application/json\"");
  }
  return {};
}

// A raw JSON Schema in `response_format` (legacy, spec §4.7): the reply is JSON matching it.
core::result<void> parse_raw_schema(value f, const std::string& legacy_mime,
                                    core::response_format& out) {
  if (value type = f.member("type"); type.is_string() && !is_schema_type(type.str())) {
    return field_error("response_format.type",
                       "must be text, image, audio, video or a JSON Schema type");
  }
  if (legacy_mime == "text/plain") {
    return field_error("response_mime_type",
                       "must be \"application/json\" when response_format is a JSON Schema");
  }
  out.json = true;
  out.schema = f.empty() ? std::string{} : json_text(f);
  return {};
}

// `response_format` (typed object, array of typed objects, or legacy raw schema) together with
// the legacy `response_mime_type`.
core::result<void> parse_response_format(value body, core::response_format& out) {
  std::string legacy_mime;
  if (value m = body.member("response_mime_type"); m && !m.is_null()) {
    if (!m.is_string() || (m.str() != "application/json" && m.str() != "text/plain")) {
      return field_error("response_mime_type", "must be \"application/json\" or \"text/plain\"");
    }
    legacy_mime = m.str();
    out.json = legacy_mime == "application/json";
  }
  value f = body.member("response_format");
  if (!f || f.is_null()) {
    return {};
  }
  bool seen_text = false;
  if (f.is_array()) {
    std::size_t i = 0;
    for (value entry : f) {
      std::string where = "response_format[" + std::to_string(i++) + "]";
      if (!is_output_type(entry.member("type"))) {
        return field_error(where + ".type", "must be text, image, audio or video");
      }
      if (auto r = parse_typed_format(entry, where, seen_text, out); !r) {
        return r;
      }
    }
    return {};
  }
  if (!f.is_object()) {
    return field_error("response_format", "must be an object or an array of objects");
  }
  if (is_output_type(f.member("type"))) {
    return parse_typed_format(f, "response_format", seen_text, out);
  }
  return parse_raw_schema(f, legacy_mime, out);
}

core::result<bool> parse_bool(value body, std::string_view key, bool fallback) {
  value v = body.member(key);
  if (!v || v.is_null()) {
    return fallback;
  }
  if (!v.is_boolean()) {
    return field_error(std::string(key), "must be a boolean");
  }
  return v.boolean();
}

core::result<void> parse_flags(value body, create_request& out) {
  auto stream = parse_bool(body, "stream", false);
  auto store = parse_bool(body, "store", true);
  auto background = parse_bool(body, "background", false);
  for (const auto* r : {&stream, &store, &background}) {
    if (!*r) {
      return r->error();
    }
  }
  out.chat.stream = *stream;
  out.store = *store;
  out.background = *background;
  if (value prev = body.member("previous_interaction_id"); prev && !prev.is_null()) {
    if (!prev.is_string() || prev.str().empty()) {
      return field_error("previous_interaction_id", "must be a non-empty string");
    }
    out.previous_interaction_id = prev.str();
  }
  if (!out.store && (out.background || !out.previous_interaction_id.empty())) {
    return field_error("store",
                       "store:false cannot be combined with background or previous_interaction_id");
  }
  return {};
}

core::result<void> parse_model(value body, create_request& out) {
  value model = body.member("model");
  if (!model || model.is_null()) {
    if (body.member("agent")) {
      return field_error("agent",
                         "agent interactions are not supported by this gateway; use model");
    }
    return field_error("model", "is required");
  }
  if (!model.is_string() || model.str().empty()) {
    return field_error("model", "must be a non-empty string");
  }
  out.chat.model = model.str();
  return {};
}

}  // namespace

// Read through a json_view tape, not an nlohmann tree (parse_input.hpp). The thread's document is
// reused across bodies; no value of it outlives this call.
core::result<create_request> parse_create(std::string_view text) {
  auto& doc = core::json_view::thread_scratch(core::json_view::scratch::request);
  if (!doc.parse(text)) {
    return core::make_error(core::error_kind::invalid_request, "request body is not valid JSON");
  }
  value body = doc.root();
  if (!body.is_object()) {
    return core::make_error(core::error_kind::invalid_request,
                            "request body must be a JSON object");
  }
  create_request out;
  for (auto step : {parse_model(body, out), parse_flags(body, out),
                    parse_system_instruction(body, out.chat.system),
                    parse_generation_config(body, out.chat.params),
                    parse_response_format(body, out.chat.response_format)}) {
    if (!step) {
      return step.error();
    }
  }
  value input = body.member("input");
  if (!input || input.is_null()) {
    if (out.previous_interaction_id.empty()) {
      return field_error("input", "is required");
    }
  } else if (auto turns = parse_input(input); !turns) {
    return turns.error();
  } else {
    out.chat.turns = std::move(*turns);
  }
  if (auto tools = parse_tools(body); !tools) {
    return tools.error();
  } else {
    out.chat.tools = std::move(*tools);
  }
  if (auto choice = parse_tool_choice(body, out.chat.tools); !choice) {
    return choice.error();
  } else {
    out.chat.tool_choice = std::move(*choice);
  }
  // Kept with the stored interaction (not inherited by later turns, spec §4.1).
  json config = json::object();
  for (const char* key : {"system_instruction", "tools", "generation_config", "response_format",
                          "response_mime_type", "service_tier"}) {
    if (value v = body.member(key); v && !v.is_null()) {
      config[key] = core::json_view::to_json(v);
    }
  }
  out.config = core::json_util::dump(config);
  return out;
}

}  // namespace interlingua::dialects::interactions
