#include <interlingua/providers/anthropic.hpp>

#include <algorithm>
#include <cctype>

#include <interlingua/core/json_util.hpp>
#include <interlingua/core/signature.hpp>

namespace interlingua::providers::anthropic {

namespace {

using nlohmann::json;

constexpr const char* provider_name = "this model's provider (Anthropic)";

// Appended to the system prompt when the client wants JSON but gave no schema (see header).
constexpr const char* json_instruction =
    "Respond with a single valid JSON object and nothing else: no prose, no code fences.";

// What this provider cannot do is the client's problem to fix: a 400 naming the field.
core::error refuse(const std::string& param, const std::string& message) {
  return core::make_error(core::error_kind::invalid_request, param + ": " + message, param);
}

core::result<json> ok(json j) {
  return core::result<json>(boost::system::in_place_value, std::move(j));
}

// "Image/PNG; x=1" -> "image/png": mime types are case-insensitive and may carry parameters.
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

bool is_http(std::string_view uri) {
  return uri.rfind("https://", 0) == 0 || uri.rfind("http://", 0) == 0;
}

// An inline media part, also when it came as a base64 data URL: {mime, base64 data}.
std::optional<std::pair<std::string, std::string>> inline_data(const core::media_part& m) {
  if (!m.data.empty()) {
    return std::pair{base_mime(m.mime_type), m.data};
  }
  std::string_view uri(m.uri);
  constexpr std::string_view marker = ";base64,";
  auto at = uri.find(marker);
  if (uri.rfind("data:", 0) != 0 || at == std::string_view::npos) {
    return std::nullopt;
  }
  return std::pair{base_mime(uri.substr(5, at - 5)), std::string(uri.substr(at + marker.size()))};
}

json base64_source(std::string mime, std::string data) {
  return {{"type", "base64"}, {"media_type", std::move(mime)}, {"data", std::move(data)}};
}

bool anthropic_image(const std::string& mime) {
  return mime == "image/jpeg" || mime == "image/png" || mime == "image/gif" || mime == "image/webp";
}

// Images inline (JPEG, PNG, GIF, WebP) or by http(s) URL, which Anthropic fetches itself;
// documents only as PDF, inline or by URL. Everything else is refused rather than sent to an API
// that rejects it.
core::result<json> media_block(const core::media_part& m) {
  auto inline_part = inline_data(m);
  std::string mime = inline_part ? inline_part->first : base_mime(m.mime_type);
  if (inline_part && mime.empty()) {
    return refuse("input", "inline " + m.kind + " data needs a mime_type");
  }
  const char* type = m.kind == "image" && anthropic_image(mime)          ? "image"
                     : m.kind == "document" && mime == "application/pdf" ? "document"
                                                                         : nullptr;
  if (type && inline_part) {
    return ok({{"type", type}, {"source", base64_source(mime, inline_part->second)}});
  }
  bool image_by_url = m.kind == "image" && (mime.empty() || anthropic_image(mime));
  if ((type || image_by_url) && is_http(m.uri)) {
    return ok({{"type", type ? type : "image"}, {"source", {{"type", "url"}, {"url", m.uri}}}});
  }
  std::string what = m.kind + (mime.empty() ? std::string{} : " (" + mime + ")") +
                     (inline_part || m.uri.empty() ? "" : " by uri \"" + m.uri + "\"");
  std::string accepted = m.kind == "image"      ? "; only JPEG, PNG, GIF and WebP images, inline "
                                                  "or by http(s) URL, are"
                         : m.kind == "document" ? "; only PDF documents, inline or by http(s) "
                                                  "URL, are"
                                                : "";
  return refuse("input",
                std::string(provider_name) + " does not accept " + what + " input" + accepted);
}

// Anthropic wants tool_use input as an object. A call cut at max_tokens carries arguments that are
// not JSON; it is sent back as {} because Anthropic cannot take the text and refusing would make
// the conversation impossible to continue.
json tool_input(const std::string& arguments) {
  auto parsed = arguments.empty() ? std::nullopt : core::json_util::parse(arguments);
  return parsed && parsed->is_object() ? std::move(*parsed) : json::object();
}

json tool_result_block(const core::tool_result_part& r) {
  json block{{"type", "tool_result"}, {"tool_use_id", r.call_id}};
  if (!r.content.empty()) {
    block["content"] = r.content;
  }
  if (r.is_error) {
    block["is_error"] = true;
  }
  return block;
}

// Thoughts go back only in the forms Anthropic can verify: signed thinking, or redacted thinking
// (whose opaque data core keeps in `signature`). Unsigned thoughts (another provider's reasoning,
// a client's summary, a signature another API issued — see core/signature.hpp) would be rejected
// and are dropped.
std::optional<json> thought_block(const core::thought_part& t) {
  std::string_view signature = core::signature_for("anthropic", t.signature);
  if (signature.empty() && !(t.redacted && t.signature.empty())) {
    return std::nullopt;
  }
  if (t.redacted) {
    return json{{"type", "redacted_thinking"},
                {"data", t.signature.empty() ? t.text : std::string(signature)}};
  }
  return json{{"type", "thinking"}, {"thinking", t.text}, {"signature", signature}};
}

// Messages alternate strictly between user and assistant: adjacent turns of one role become one
// message, tool turns are user turns, and a turn with nothing Anthropic can take (say, only
// unsigned thoughts) is skipped without splitting its neighbours. Within a user message Anthropic
// wants every tool_result before any other block, so they are kept apart and put first.
class message_builder {
 public:
  core::result<void> add(const core::turn& t) {
    bool assistant = t.who == core::role::assistant;
    json results = json::array();
    json blocks = json::array();
    for (const auto& p : t.parts) {
      auto added = assistant ? add_assistant_part(p, blocks) : add_user_part(p, results, blocks);
      if (!added) {
        return added;
      }
    }
    if (results.empty() && blocks.empty()) {
      return {};
    }
    if (pending_ && pending_assistant_ != assistant) {
      flush();
    }
    pending_ = true;
    pending_assistant_ = assistant;
    results_.insert(results_.end(), results.begin(), results.end());
    blocks_.insert(blocks_.end(), blocks.begin(), blocks.end());
    return {};
  }

  json take() {
    flush();
    return std::move(messages_);
  }

 private:
  static core::result<void> add_user_part(const core::part& p, json& results, json& blocks) {
    if (const auto* tp = std::get_if<core::text_part>(&p); tp && !tp->text.empty()) {
      blocks.push_back({{"type", "text"}, {"text", tp->text}});
    } else if (const auto* mp = std::get_if<core::media_part>(&p)) {
      auto block = media_block(*mp);
      if (!block) {
        return block.error();
      }
      blocks.push_back(std::move(*block));
    } else if (const auto* rp = std::get_if<core::tool_result_part>(&p)) {
      results.push_back(tool_result_block(*rp));
    }
    return {};
  }

  static core::result<void> add_assistant_part(const core::part& p, json& blocks) {
    if (const auto* tp = std::get_if<core::text_part>(&p); tp && !tp->text.empty()) {
      blocks.push_back({{"type", "text"}, {"text", tp->text}});
    } else if (const auto* th = std::get_if<core::thought_part>(&p)) {
      if (auto block = thought_block(*th)) {
        blocks.push_back(std::move(*block));
      }
    } else if (const auto* cp = std::get_if<core::tool_call_part>(&p)) {
      blocks.push_back({{"type", "tool_use"},
                        {"id", cp->id},
                        {"name", cp->name},
                        {"input", tool_input(cp->arguments)}});
    }
    return {};
  }

  void flush() {
    if (!pending_) {
      return;
    }
    results_.insert(results_.end(), blocks_.begin(), blocks_.end());
    messages_.push_back(
        {{"role", pending_assistant_ ? "assistant" : "user"}, {"content", std::move(results_)}});
    results_ = json::array();
    blocks_ = json::array();
    pending_ = false;
  }

  json messages_ = json::array();
  json results_ = json::array();  // tool_result blocks of the pending user message
  json blocks_ = json::array();   // every other block of the pending message
  bool pending_ = false;
  bool pending_assistant_ = false;
};

struct length_plan {
  std::int64_t max_tokens = default_max_tokens;
  std::int64_t budget = 0;  // thinking budget_tokens; 0 = no thinking
};

// max_tokens and the thinking budget together (the rules are in the header).
core::result<length_plan> plan_length(const core::generation_params& p) {
  const auto& cap = p.max_output_tokens;
  if (cap && *cap < 1) {
    return refuse("max_output_tokens", "must be at least 1");
  }
  std::int64_t budget = thinking_budget(p.reasoning);
  if (!cap) {
    return length_plan{default_max_tokens + budget, budget};
  }
  if (budget == 0 || *cap > budget) {
    return length_plan{*cap, budget};
  }
  if (*cap > min_thinking_budget) {
    return length_plan{*cap, *cap - 1};
  }
  return length_plan{min_thinking_budget + 1, min_thinking_budget};
}

void encode_params(const core::generation_params& p, const length_plan& length, json& body) {
  body["max_tokens"] = length.max_tokens;
  if (length.budget > 0) {
    body["thinking"] = {{"type", "enabled"}, {"budget_tokens", length.budget}};
  }
  if (p.temperature) {
    body["temperature"] = *p.temperature;
  }
  if (p.top_p) {
    body["top_p"] = *p.top_p;
  }
  if (!p.stop.empty()) {
    body["stop_sequences"] = p.stop;
  }
  // seed, frequency/presence penalty and logit_bias have no Anthropic counterpart: dropped.
}

core::result<json> encode_tool(const core::tool_decl& t, std::size_t i) {
  std::string param = "tools[" + std::to_string(i) + "]";
  if (!t.builtin.empty()) {
    return refuse(param, "built-in tool \"" + t.builtin + "\" needs a Gemini upstream");
  }
  json schema{{"type", "object"}, {"properties", json::object()}};
  if (!t.parameters.empty()) {
    auto parsed = core::json_util::parse(t.parameters);
    if (!parsed || !parsed->is_object()) {
      return refuse(param, "parameters must be a JSON Schema object");
    }
    schema = std::move(*parsed);
  }
  json out{{"name", t.name}};
  if (!t.description.empty()) {
    out["description"] = t.description;
  }
  out["input_schema"] = std::move(schema);
  return ok(std::move(out));
}

// Null: leave tool_choice out (Anthropic's default, auto). Validated has no Anthropic counterpart
// and is sent as auto.
json encode_tool_choice(const core::tool_choice& c) {
  switch (c.mode) {
    case core::tool_mode::none:
      return {{"type", "none"}};
    case core::tool_mode::required:
      if (c.allowed.size() == 1) {
        return {{"type", "tool"}, {"name", c.allowed[0]}};
      }
      return {{"type", "any"}};
    case core::tool_mode::unset:
      if (c.allowed.empty()) {
        return nullptr;
      }
      [[fallthrough]];
    case core::tool_mode::automatic:
    case core::tool_mode::validated:
      return {{"type", "auto"}};
  }
  return nullptr;
}

// Anthropic has no allowed-tools list: a choice restricted to several names (or an optional call
// to one) offers only those tools. A forced call to one name is {type: tool} and keeps them all.
bool offered(const core::tool_choice& c, const std::string& name) {
  if (c.allowed.empty() || c.mode == core::tool_mode::none ||
      (c.mode == core::tool_mode::required && c.allowed.size() == 1)) {
    return true;
  }
  return std::find(c.allowed.begin(), c.allowed.end(), name) != c.allowed.end();
}

// Pruning to names that are not declared would offer no tool at all (none ignores the names).
core::result<void> check_allowed(const core::chat_request& request) {
  if (request.tool_choice.mode == core::tool_mode::none) {
    return {};
  }
  for (const auto& name : request.tool_choice.allowed) {
    auto declared = std::find_if(request.tools.begin(), request.tools.end(),
                                 [&](const core::tool_decl& t) { return t.name == name; });
    if (declared == request.tools.end()) {
      return refuse("tool_choice", "allowed function \"" + name + "\" is not declared in tools");
    }
  }
  return {};
}

core::result<void> encode_tool_use(const core::chat_request& request, bool thinking, json& body) {
  const auto& choice = request.tool_choice;
  if (request.tools.empty()) {
    if (choice.mode == core::tool_mode::required) {
      return refuse("tool_choice", "a required tool call needs a function declared in tools");
    }
    return {};
  }
  if (thinking && choice.mode == core::tool_mode::required) {
    return refuse("tool_choice", std::string(provider_name) +
                                     " cannot force a tool call while reasoning; use automatic "
                                     "tool choice or reasoning none");
  }
  if (auto checked = check_allowed(request); !checked) {
    return checked;
  }
  json tools = json::array();
  for (std::size_t i = 0; i < request.tools.size(); ++i) {
    auto tool = encode_tool(request.tools[i], i);
    if (!tool) {
      return tool.error();
    }
    if (offered(choice, request.tools[i].name)) {
      tools.push_back(std::move(*tool));
    }
  }
  body["tools"] = std::move(tools);
  if (json c = encode_tool_choice(choice); !c.is_null()) {
    body["tool_choice"] = std::move(c);
  }
  return {};
}

core::result<void> encode_output(const core::chat_request& request, json& body) {
  std::string system = request.system;
  const auto& f = request.response_format;
  if (f.json && f.schema.empty()) {
    system += (system.empty() ? "" : "\n\n") + std::string(json_instruction);
  } else if (f.json) {
    auto schema = core::json_util::parse(f.schema);
    if (!schema || !schema->is_object()) {
      return refuse("response_format", "the schema must be a JSON Schema object");
    }
    body["output_config"] = {{"format", {{"type", "json_schema"}, {"schema", std::move(*schema)}}}};
  }
  if (!system.empty()) {
    body["system"] = std::move(system);
  }
  return {};
}

}  // namespace

std::int64_t thinking_budget(core::reasoning_level level) {
  switch (level) {
    case core::reasoning_level::minimal:
      return min_thinking_budget;
    case core::reasoning_level::low:
      return 2048;
    case core::reasoning_level::medium:
      return 8192;
    case core::reasoning_level::high:
      return 24576;
    case core::reasoning_level::none:
    case core::reasoning_level::unset:
      break;
  }
  return 0;
}

core::result<std::string> encode_body(const core::chat_request& request,
                                      const core::upstream_target& target) {
  message_builder messages;
  for (const auto& t : request.turns) {
    if (auto added = messages.add(t); !added) {
      return added.error();
    }
  }
  auto length = plan_length(request.params);
  if (!length) {
    return length.error();
  }
  json body{{"model", target.model}};
  for (auto step :
       {encode_output(request, body), encode_tool_use(request, length->budget > 0, body)}) {
    if (!step) {
      return step.error();
    }
  }
  body["messages"] = messages.take();
  encode_params(request.params, *length, body);
  if (request.stream) {
    body["stream"] = true;
  }
  return core::json_util::dump(body);
}

}  // namespace interlingua::providers::anthropic
