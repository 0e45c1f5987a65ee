#include <interlingua/providers/anthropic.hpp>

#include "../codec.hpp"

#include <interlingua/core/json_util.hpp>
#include <interlingua/core/signature.hpp>

namespace interlingua::providers::anthropic {

namespace {

using nlohmann::json;
using namespace core::json_util;
using providers::error_message;

// One Messages content block as the events a stream of it gives. Server-tool and other unknown
// blocks are skipped without taking an index.
void decode_block(const json& block, int& index, core::event_list& out) {
  std::string type = string_or(block, "type");
  if (type == "text") {
    out.push_back(core::part_start{index, core::part_kind::text, {}, {}});
    if (auto t = string_or(block, "text"); !t.empty()) {
      out.push_back(core::text_delta{index, std::move(t)});
    }
  } else if (type == "thinking") {
    out.push_back(core::part_start{index, core::part_kind::thought, {}, {}});
    if (auto t = string_or(block, "thinking"); !t.empty()) {
      out.push_back(core::thought_delta{index, std::move(t)});
    }
    if (auto s = string_or(block, "signature"); !s.empty()) {
      out.push_back(core::signature_delta{index, core::tag_signature("anthropic", s)});
    }
  } else if (type == "redacted_thinking") {
    out.push_back(core::part_start{index, core::part_kind::thought, {}, {}});
    out.push_back(
        core::redacted_thought{index, core::tag_signature("anthropic", string_or(block, "data"))});
  } else if (type == "tool_use") {
    out.push_back(core::part_start{index, core::part_kind::tool_call, string_or(block, "id"),
                                   string_or(block, "name")});
    const json* input = member(block, "input");
    out.push_back(core::tool_args_delta{index, input && !input->is_null() ? dump(*input) : "{}"});
  } else {
    return;
  }
  out.push_back(core::part_stop{index});
  ++index;
}

}  // namespace

core::usage read_usage(const json& u) {
  core::usage out;
  std::int64_t cache_read = integer_or(u, "cache_read_input_tokens");
  std::int64_t cache_write = integer_or(u, "cache_creation_input_tokens");
  out.input = integer_or(u, "input_tokens") + cache_read + cache_write;
  out.cached = cache_read;
  out.cache_write = cache_write;
  std::int64_t output = integer_or(u, "output_tokens");
  if (const auto* details = member(u, "output_tokens_details")) {
    out.reasoning = integer_or(*details, "thinking_tokens");
  }
  if (out.reasoning > output) {
    out.reasoning = 0;  // inconsistent counts: keep the total in output
  }
  out.output = output - out.reasoning;
  return out;
}

core::finish_reason read_stop_reason(std::string_view reason) {
  if (reason == "end_turn" || reason == "stop_sequence") {
    return core::finish_reason::stop;
  }
  if (reason == "max_tokens" || reason == "model_context_window_exceeded") {
    return core::finish_reason::length;
  }
  if (reason == "tool_use") {
    return core::finish_reason::tool_calls;
  }
  if (reason == "refusal") {
    return core::finish_reason::content_filter;
  }
  return core::finish_reason::unknown;  // pause_turn (server tools, never requested), future ones
}

core::error read_error_event(const json& event) {
  std::string type;
  if (const auto* e = member(event, "error")) {
    type = string_or(*e, "type");
  }
  auto kind = core::error_kind::upstream_error;
  if (type == "overloaded_error" || type == "api_error") {
    kind = core::error_kind::upstream_unavailable;
  } else if (type == "rate_limit_error") {
    kind = core::error_kind::rate_limited;
  } else if (type == "timeout_error") {
    kind = core::error_kind::upstream_timeout;
  }
  std::string message = error_message(event);
  return core::make_error(kind, "upstream error" + (type.empty() ? "" : " (" + type + ")") + ": " +
                                    (message.empty() ? "no message" : message));
}

void decode_reply(std::string_view body, core::event_list& out) {
  auto parsed = parse(body);
  if (!parsed || !parsed->is_object()) {
    out.push_back(core::stream_error{core::make_error(
        core::error_kind::upstream_error, "upstream answered with a body that is not JSON")});
    return;
  }
  const json& j = *parsed;
  if (member(j, "error") || string_or(j, "type") == "error") {
    out.push_back(core::stream_error{read_error_event(j)});
    return;
  }
  const json* content = member(j, "content");
  if (!content || !content->is_array()) {
    out.push_back(core::stream_error{
        core::make_error(core::error_kind::upstream_error, "upstream answer has no content")});
    return;
  }
  out.push_back(core::message_start{string_or(j, "id"), string_or(j, "model")});
  int index = 0;
  for (const auto& block : *content) {
    decode_block(block, index, out);
  }
  if (const auto* u = member(j, "usage"); u && u->is_object()) {
    out.push_back(core::usage_update{read_usage(*u)});
  }
  out.push_back(core::finish{read_stop_reason(string_or(j, "stop_reason"))});
}

core::error decode_error(int status, std::string_view body, std::optional<int> retry_after_s) {
  std::string message;
  if (auto parsed = parse(body)) {
    message = error_message(*parsed);
  } else {
    // 413 comes from Cloudflare in front of the API and may be HTML.
    message = std::string(body.substr(0, 512));
  }
  return core::error_from_upstream_status(status, std::move(message), retry_after_s);
}

}  // namespace interlingua::providers::anthropic
