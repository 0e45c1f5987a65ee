#include <interlingua/providers/openai_chat.hpp>

#include <algorithm>
#include <cctype>

#include <interlingua/core/json_util.hpp>

namespace interlingua::providers::openai_chat {

namespace {

using nlohmann::json;

const char* effort_name(core::reasoning_level level) {
  switch (level) {
    case core::reasoning_level::none:
      return "none";
    case core::reasoning_level::minimal:
      return "minimal";
    case core::reasoning_level::low:
      return "low";
    case core::reasoning_level::medium:
      return "medium";
    case core::reasoning_level::high:
      return "high";
    case core::reasoning_level::unset:
      break;
  }
  return nullptr;
}

// What this provider cannot do is the client's problem to fix: a 400 naming the field.
core::error refuse(const std::string& param, const std::string& message) {
  return core::make_error(core::error_kind::invalid_request, param + ": " + message, param);
}

// "Audio/MPEG; rate=1" -> "audio/mpeg": mime types are case-insensitive and may carry parameters.
std::string base_mime(std::string_view mime) {
  std::string out(mime.substr(0, mime.find(';')));
  while (!out.empty() && out.back() == ' ') {
    out.pop_back();
  }
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

const char* audio_format(const std::string& mime) {
  if (mime == "audio/wav" || mime == "audio/x-wav" || mime == "audio/wave") {
    return "wav";
  }
  if (mime == "audio/mp3" || mime == "audio/mpeg") {
    return "mp3";
  }
  return nullptr;
}

core::result<json> ok(json j) {
  return core::result<json>(boost::system::in_place_value, std::move(j));
}

std::string data_url(const core::media_part& m) {
  return "data:" + m.mime_type + ";base64," + m.data;
}

// OpenAI fetches image URLs itself: only http(s) and data URLs reach it (not gs:// or file ids).
bool fetchable(std::string_view uri) {
  return uri.rfind("https://", 0) == 0 || uri.rfind("http://", 0) == 0 ||
         uri.rfind("data:", 0) == 0;
}

core::result<json> image_block(const core::media_part& m) {
  if (!m.uri.empty() && !fetchable(m.uri)) {
    return refuse("input", "image uri \"" + m.uri +
                               "\" must be an http(s) or data URL for this model's provider "
                               "(OpenAI Chat Completions)");
  }
  std::string url = m.uri.empty() ? data_url(m) : m.uri;
  return ok({{"type", "image_url"}, {"image_url", {{"url", std::move(url)}}}});
}

// Images by URL or inline; audio only inline wav/mp3 (input_audio); documents only inline PDF
// (file). Everything else is refused rather than sent to an API that rejects or drops it.
core::result<json> media_block(const core::media_part& m) {
  std::string mime = base_mime(m.mime_type);
  if (!m.data.empty() && mime.empty()) {
    return refuse("input", "inline " + m.kind + " data needs a mime_type");
  }
  if (m.kind == "image") {
    return image_block(m);
  }
  const char* format = audio_format(mime);
  if (m.kind == "audio" && format && !m.data.empty()) {
    return ok({{"type", "input_audio"}, {"input_audio", {{"data", m.data}, {"format", format}}}});
  }
  if (m.kind == "document" && mime == "application/pdf" && !m.data.empty()) {
    return ok(
        {{"type", "file"}, {"file", {{"filename", "document.pdf"}, {"file_data", data_url(m)}}}});
  }
  std::string what = m.kind + (mime.empty() ? std::string{} : " (" + mime + ")") +
                     (m.data.empty() ? " by uri" : "");
  std::string accepted = m.kind == "audio"      ? "; only inline wav or mp3 audio is"
                         : m.kind == "document" ? "; only inline PDF documents are"
                                                : "";
  return refuse("input", "this model's provider (OpenAI Chat Completions) does not accept " + what +
                             " input" + accepted);
}

// {"content": content, "role": role}, built in place: nlohmann's initializer lists copy every
// element, and this is every request's message.
json message(const char* role, json content) {
  json::object_t m;
  m.emplace("content", std::move(content));
  m.emplace("role", role);
  return json(std::move(m));
}

bool is_media(const core::part& p) {
  return std::holds_alternative<core::media_part>(p);
}

// A user turn: plain string content when it is text only (what every compatible server accepts,
// and the usual case, built without the typed blocks); typed blocks when it carries media.
// Tool results become tool messages, in order, ahead of the user message.
core::result<void> add_user_turn(const core::turn& t, json& messages) {
  const bool only_text = std::none_of(t.parts.begin(), t.parts.end(), is_media);
  json blocks = json::array();
  std::string text;
  bool any_text = false;
  for (const auto& p : t.parts) {
    if (const auto* tp = std::get_if<core::text_part>(&p)) {
      if (only_text) {
        text += tp->text;
        any_text = true;
      } else {
        blocks.push_back({{"type", "text"}, {"text", tp->text}});
      }
    } else if (const auto* mp = std::get_if<core::media_part>(&p)) {
      auto block = media_block(*mp);
      if (!block) {
        return block.error();
      }
      blocks.push_back(std::move(*block));
    } else if (const auto* rp = std::get_if<core::tool_result_part>(&p)) {
      messages.push_back(
          {{"role", "tool"}, {"tool_call_id", rp->call_id}, {"content", rp->content}});
    }
  }
  if (only_text && any_text) {
    messages.push_back(message("user", std::move(text)));
  } else if (!only_text) {
    messages.push_back(message("user", std::move(blocks)));
  }
  return {};
}

void add_assistant_turn(const core::turn& t, json& messages) {
  std::string text;
  json calls = json::array();
  for (const auto& p : t.parts) {
    if (const auto* tp = std::get_if<core::text_part>(&p)) {
      text += tp->text;
    } else if (const auto* cp = std::get_if<core::tool_call_part>(&p)) {
      calls.push_back({{"id", cp->id},
                       {"type", "function"},
                       {"function", {{"name", cp->name}, {"arguments", cp->arguments}}}});
    }
  }
  json m{{"role", "assistant"}, {"content", text.empty() && !calls.empty() ? json() : json(text)}};
  if (!calls.empty()) {
    m["tool_calls"] = std::move(calls);
  }
  messages.push_back(std::move(m));
}

core::result<json> encode_messages(const core::chat_request& request) {
  json messages = json::array();
  if (!request.system.empty()) {
    messages.push_back(message("system", request.system));
  }
  for (const auto& t : request.turns) {
    if (t.who == core::role::assistant) {
      add_assistant_turn(t, messages);
      continue;
    }
    auto added = add_user_turn(t, messages);
    if (!added) {
      return added.error();
    }
  }
  return core::result<json>(boost::system::in_place_value, std::move(messages));
}

void encode_params(const core::generation_params& p, json& body) {
  if (p.temperature) {
    body["temperature"] = *p.temperature;
  }
  if (p.top_p) {
    body["top_p"] = *p.top_p;
  }
  if (p.max_output_tokens) {
    body["max_completion_tokens"] = *p.max_output_tokens;
  }
  if (p.seed) {
    body["seed"] = *p.seed;
  }
  if (!p.stop.empty()) {
    body["stop"] = p.stop;
  }
  if (p.frequency_penalty) {
    body["frequency_penalty"] = *p.frequency_penalty;
  }
  if (p.presence_penalty) {
    body["presence_penalty"] = *p.presence_penalty;
  }
  // The dialect hands over an object; anything else is dropped rather than sent to be refused.
  if (auto bias = p.logit_bias.empty() ? std::nullopt : core::json_util::parse(p.logit_bias);
      bias && bias->is_object()) {
    body["logit_bias"] = std::move(*bias);
  }
  if (const char* effort = effort_name(p.reasoning)) {
    body["reasoning_effort"] = effort;
  }
}

core::result<json> encode_tools(const std::vector<core::tool_decl>& tools) {
  json out = json::array();
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const auto& t = tools[i];
    if (!t.builtin.empty()) {
      return refuse("tools[" + std::to_string(i) + "]",
                    "built-in tool \"" + t.builtin + "\" needs a Gemini upstream");
    }
    json fn{{"name", t.name}};
    if (!t.description.empty()) {
      fn["description"] = t.description;
    }
    auto params = t.parameters.empty() ? std::nullopt : core::json_util::parse(t.parameters);
    fn["parameters"] =
        params ? std::move(*params) : json{{"type", "object"}, {"properties", json::object()}};
    out.push_back({{"type", "function"}, {"function", std::move(fn)}});
  }
  return ok(std::move(out));
}

json function_ref(const std::string& name) {
  return {{"type", "function"}, {"function", {{"name", name}}}};
}

// Chat Completions' allowed_tools restricts the callable set without changing `tools` (which
// keeps the prompt cache warm); "required" also forces a call.
json allowed_tools(const std::vector<std::string>& names, const char* mode) {
  json list = json::array();
  for (const auto& n : names) {
    list.push_back(function_ref(n));
  }
  return {{"type", "allowed_tools"},
          {"allowed_tools", {{"mode", mode}, {"tools", std::move(list)}}}};
}

// Validated has no Chat Completions counterpart short of strict schemas, which most client
// schemas do not satisfy; it is sent as auto. Null: leave tool_choice out (the default).
json encode_tool_choice(const core::tool_choice& c) {
  switch (c.mode) {
    case core::tool_mode::none:
      return "none";
    case core::tool_mode::required:
      if (c.allowed.empty()) {
        return "required";
      }
      return c.allowed.size() == 1 ? function_ref(c.allowed[0])
                                   : allowed_tools(c.allowed, "required");
    case core::tool_mode::unset:
      if (c.allowed.empty()) {
        return nullptr;
      }
      [[fallthrough]];
    case core::tool_mode::automatic:
    case core::tool_mode::validated:
      return c.allowed.empty() ? json("auto") : allowed_tools(c.allowed, "auto");
  }
  return nullptr;
}

core::result<void> encode_tool_use(const core::chat_request& request, json& body) {
  if (request.tools.empty()) {
    if (request.tool_choice.mode == core::tool_mode::required) {
      return refuse("tool_choice", "a required tool call needs a function declared in tools");
    }
    return {};
  }
  auto tools = encode_tools(request.tools);
  if (!tools) {
    return tools.error();
  }
  body["tools"] = std::move(*tools);
  if (json choice = encode_tool_choice(request.tool_choice); !choice.is_null()) {
    body["tool_choice"] = std::move(choice);
  }
  return {};
}

core::result<void> encode_response_format(const core::response_format& f, json& body) {
  if (!f.json) {
    return {};
  }
  if (f.schema.empty()) {
    body["response_format"] = {{"type", "json_object"}};
    return {};
  }
  auto schema = core::json_util::parse(f.schema);
  if (!schema || !schema->is_object()) {
    return refuse("response_format", "the schema must be a JSON Schema object");
  }
  body["response_format"] = {
      {"type", "json_schema"},
      {"json_schema", {{"name", "response"}, {"schema", std::move(*schema)}}}};
  return {};
}

}  // namespace

core::result<std::string> encode_body(const core::chat_request& request,
                                      const core::upstream_target& target) {
  auto messages = encode_messages(request);
  if (!messages) {
    return messages.error();
  }
  json::object_t fields;
  fields.emplace("messages", std::move(*messages));
  fields.emplace("model", target.model);
  json body(std::move(fields));
  encode_params(request.params, body);
  for (auto step :
       {encode_tool_use(request, body), encode_response_format(request.response_format, body)}) {
    if (!step) {
      return step.error();
    }
  }
  if (request.stream) {
    body["stream"] = true;
    // Without this, Chat Completions streams carry no usage at all.
    body["stream_options"] = {{"include_usage", true}};
  }
  return core::json_util::dump(body);
}

}  // namespace interlingua::providers::openai_chat
