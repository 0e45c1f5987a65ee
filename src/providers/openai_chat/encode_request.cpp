#include <interlingua/providers/openai_chat.hpp>

#include <interlingua/core/json_util.hpp>

namespace interlingua::providers::openai_chat {

namespace {

using nlohmann::json;

const char* effort_name(core::reasoning_level level) {
  switch (level) {
    case core::reasoning_level::none: return "none";
    case core::reasoning_level::minimal: return "minimal";
    case core::reasoning_level::low: return "low";
    case core::reasoning_level::medium: return "medium";
    case core::reasoning_level::high: return "high";
    case core::reasoning_level::unset: break;
  }
  return nullptr;
}

core::result<json> media_block(const core::media_part& m) {
  if (m.kind != "image") {
    return core::make_error(core::error_kind::invalid_request,
                            "this model's provider (OpenAI Chat Completions) does not accept " +
                                m.kind + " input",
                            "input");
  }
  std::string url = m.uri.empty() ? "data:" + m.mime_type + ";base64," + m.data : m.uri;
  json block{{"type", "image_url"}, {"image_url", {{"url", std::move(url)}}}};
  return core::result<json>(boost::system::in_place_value, std::move(block));
}

// A user turn: plain string content when it is text only (what every compatible server accepts).
core::result<void> add_user_turn(const core::turn& t, json& messages) {
  json blocks = json::array();
  std::string text;
  bool only_text = true;
  for (const auto& p : t.parts) {
    if (const auto* tp = std::get_if<core::text_part>(&p)) {
      blocks.push_back({{"type", "text"}, {"text", tp->text}});
      text += tp->text;
    } else if (const auto* mp = std::get_if<core::media_part>(&p)) {
      auto block = media_block(*mp);
      if (!block) {
        return block.error();
      }
      blocks.push_back(std::move(*block));
      only_text = false;
    } else if (const auto* rp = std::get_if<core::tool_result_part>(&p)) {
      messages.push_back({{"role", "tool"}, {"tool_call_id", rp->call_id}, {"content", rp->content}});
    }
  }
  if (blocks.empty()) {
    return {};
  }
  if (only_text) {
    messages.push_back({{"role", "user"}, {"content", std::move(text)}});
  } else {
    messages.push_back({{"role", "user"}, {"content", std::move(blocks)}});
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
    messages.push_back({{"role", "system"}, {"content", request.system}});
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
  if (const char* effort = effort_name(p.reasoning)) {
    body["reasoning_effort"] = effort;
  }
}

json encode_tools(const std::vector<core::tool_decl>& tools) {
  json out = json::array();
  for (const auto& t : tools) {
    json fn{{"name", t.name}};
    if (!t.description.empty()) {
      fn["description"] = t.description;
    }
    auto params = t.parameters.empty() ? std::nullopt : core::json_util::parse(t.parameters);
    fn["parameters"] = params ? std::move(*params) : json{{"type", "object"}, {"properties", json::object()}};
    out.push_back({{"type", "function"}, {"function", std::move(fn)}});
  }
  return out;
}

}  // namespace

core::result<std::string> encode_body(const core::chat_request& request,
                                      const core::upstream_target& target) {
  auto messages = encode_messages(request);
  if (!messages) {
    return messages.error();
  }
  json body{{"model", target.model}, {"messages", std::move(*messages)}};
  encode_params(request.params, body);
  if (!request.tools.empty()) {
    body["tools"] = encode_tools(request.tools);
  }
  if (request.stream) {
    body["stream"] = true;
    // Without this, Chat Completions streams carry no usage at all.
    body["stream_options"] = {{"include_usage", true}};
  }
  return core::json_util::dump(body);
}

}  // namespace interlingua::providers::openai_chat
