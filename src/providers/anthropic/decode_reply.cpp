#include <interlingua/providers/anthropic.hpp>

#include "../codec.hpp"

#include <interlingua/core/json_util.hpp>
#include <interlingua/core/signature.hpp>

namespace interlingua::providers::anthropic {

namespace {

using core::json_view::string_or;
using core::json_view::value;

// One Messages content block as the events a stream of it gives. Server-tool and other unknown
// blocks are skipped without taking an index.
void decode_block(value block, int& index, core::event_list& out) {
  std::string_view type = block.member("type").str();
  if (type == "text") {
    out.push_back(core::part_start{index, core::part_kind::text, {}, {}});
    if (std::string_view t = block.member("text").str(); !t.empty()) {
      out.push_back(core::text_delta{index, std::string(t)});
    }
  } else if (type == "thinking") {
    out.push_back(core::part_start{index, core::part_kind::thought, {}, {}});
    if (std::string_view t = block.member("thinking").str(); !t.empty()) {
      out.push_back(core::thought_delta{index, std::string(t)});
    }
    if (std::string_view s = block.member("signature").str(); !s.empty()) {
      out.push_back(core::signature_delta{index, core::tag_signature("anthropic", s)});
    }
  } else if (type == "redacted_thinking") {
    out.push_back(core::part_start{index, core::part_kind::thought, {}, {}});
    out.push_back(core::redacted_thought{
        index, core::tag_signature("anthropic", block.member("data").str())});
  } else if (type == "tool_use") {
    out.push_back(core::part_start{index, core::part_kind::tool_call, string_or(block, "id"),
                                   string_or(block, "name")});
    value input = block.member("input");
    out.push_back(core::tool_args_delta{
        index,
        input && !input.is_null() ? core::json_util::dump(core::json_view::to_json(input)) : "{}"});
  } else {
    return;
  }
  out.push_back(core::part_stop{index});
  ++index;
}

core::error error_event(std::string type, std::string message) {
  auto kind = core::error_kind::upstream_error;
  if (type == "overloaded_error" || type == "api_error") {
    kind = core::error_kind::upstream_unavailable;
  } else if (type == "rate_limit_error") {
    kind = core::error_kind::rate_limited;
  } else if (type == "timeout_error") {
    kind = core::error_kind::upstream_timeout;
  }
  return core::make_error(kind, "upstream error" + (type.empty() ? "" : " (" + type + ")") + ": " +
                                    (message.empty() ? "no message" : message));
}

}  // namespace

// Counts come from the upstream's bytes: sums saturate rather than overflow, and a negative or
// inconsistent thinking count leaves the total in output.
core::usage usage_from_counts(std::int64_t input, std::int64_t cache_read, std::int64_t cache_write,
                              std::int64_t output, std::int64_t thinking) {
  auto add = [](std::int64_t a, std::int64_t b) {
    std::int64_t sum = 0;
    return __builtin_add_overflow(a, b, &sum) ? (b > 0 ? INT64_MAX : INT64_MIN) : sum;
  };
  core::usage out;
  out.input = add(add(input, cache_read), cache_write);
  out.cached = cache_read;
  out.cache_write = cache_write;
  out.reasoning = thinking < 0 || thinking > output ? 0 : thinking;
  out.output = output - out.reasoning;
  return out;
}

core::usage read_usage(value u) {
  using core::json_view::integer_or;
  return usage_from_counts(integer_or(u, "input_tokens"), integer_or(u, "cache_read_input_tokens"),
                           integer_or(u, "cache_creation_input_tokens"),
                           integer_or(u, "output_tokens"),
                           integer_or(u.member("output_tokens_details"), "thinking_tokens"));
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

core::error read_error_event(value event) {
  return error_event(string_or(event.member("error"), "type"), error_message(event));
}

// Read through a json_view tape, not an nlohmann tree, as the OpenAI decoders are: this runs for
// every unary answer.
void decode_reply(std::string_view body, core::event_list& out) {
  auto& doc = scratch_document();
  if (!doc.parse(body) || !doc.root().is_object()) {
    out.push_back(core::stream_error{core::make_error(
        core::error_kind::upstream_error, "upstream answered with a body that is not JSON")});
    return;
  }
  value j = doc.root();
  if (j.member("error") || j.member("type").str() == "error") {
    out.push_back(core::stream_error{read_error_event(j)});
    return;
  }
  value content = j.member("content");
  if (!content.is_array()) {
    out.push_back(core::stream_error{
        core::make_error(core::error_kind::upstream_error, "upstream answer has no content")});
    return;
  }
  out.push_back(core::message_start{string_or(j, "id"), string_or(j, "model")});
  int index = 0;
  for (value block : content) {
    decode_block(block, index, out);
  }
  if (value u = j.member("usage"); u.is_object()) {
    out.push_back(core::usage_update{read_usage(u)});
  }
  out.push_back(core::finish{read_stop_reason(j.member("stop_reason").str())});
}

core::error decode_error(int status, std::string_view body, std::optional<int> retry_after_s) {
  std::string message;
  auto& doc = scratch_document();
  if (doc.parse(body)) {
    message = error_message(doc.root());
  } else {
    // 413 comes from Cloudflare in front of the API and may be HTML.
    message = std::string(body.substr(0, 512));
  }
  return core::error_from_upstream_status(status, std::move(message), retry_after_s);
}

}  // namespace interlingua::providers::anthropic
