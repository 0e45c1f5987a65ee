#include <interlingua/providers/openai_chat.hpp>

#include <interlingua/core/json_util.hpp>

#include "../codec.hpp"

#include "usage.hpp"

namespace interlingua::providers::openai_chat {

namespace {

using core::json_view::member_string;
using core::json_view::string_or;
using core::json_view::value;

void decode_tool_calls(value calls, int& index, core::event_list& out) {
  for (value call : calls) {
    value fn = call.member("function");
    if (!fn) {
      continue;
    }
    out.push_back(core::part_start{index, core::part_kind::tool_call, string_or(call, "id"),
                                   string_or(fn, "name")});
    if (value args = fn.member("arguments")) {
      // Some compatible servers send arguments as an object instead of JSON text.
      std::string text = args.is_string() ? std::string(args.str())
                                          : core::json_util::dump(core::json_view::to_json(args));
      out.push_back(core::tool_args_delta{index, std::move(text)});
    }
    out.push_back(core::part_stop{index});
    ++index;
  }
}

void decode_message(value message, core::event_list& out) {
  int index = 0;
  if (value reasoning = reasoning_text(message); !reasoning.str().empty()) {
    out.push_back(core::part_start{index, core::part_kind::thought, {}, {}});
    out.push_back(core::thought_delta{index, std::string(reasoning.str())});
    out.push_back(core::part_stop{index});
    ++index;
  }
  value content = member_string(message, "content");
  if (!content) {
    content = member_string(message, "refusal");
  }
  if (!content.str().empty()) {
    out.push_back(core::part_start{index, core::part_kind::text, {}, {}});
    out.push_back(core::text_delta{index, std::string(content.str())});
    out.push_back(core::part_stop{index});
    ++index;
  }
  if (value calls = message.member("tool_calls"); calls.is_array()) {
    decode_tool_calls(calls, index, out);
  }
}

}  // namespace

// Read through a json_view tape, not an nlohmann tree: this runs for every unary answer, and the
// tree's allocations were most of its cost (bench/RESULTS.md).
void decode_reply(std::string_view body, core::event_list& out) {
  auto& doc = scratch_document();
  if (!doc.parse(body) || !doc.root().is_object()) {
    out.push_back(core::stream_error{core::make_error(
        core::error_kind::upstream_error, "upstream answered with a body that is not JSON")});
    return;
  }
  value j = doc.root();
  if (j.member("error")) {
    out.push_back(core::stream_error{
        core::make_error(core::error_kind::upstream_error, "upstream error: " + error_message(j))});
    return;
  }
  out.push_back(core::message_start{string_or(j, "id"), string_or(j, "model")});
  value choice = j.member("choices").at(0);
  if (!choice.is_object()) {
    out.push_back(core::stream_error{
        core::make_error(core::error_kind::upstream_error, "upstream answer has no choices")});
    return;
  }
  if (value message = choice.member("message")) {
    decode_message(message, out);
  }
  if (value u = j.member("usage"); u.is_object()) {
    out.push_back(core::usage_update{read_usage(u)});
  }
  out.push_back(core::finish{read_finish(string_or(choice, "finish_reason", "stop"))});
}

core::error decode_error(int status, std::string_view body, std::optional<int> retry_after_s) {
  std::string message;
  auto& doc = scratch_document();
  if (doc.parse(body)) {
    message = error_message(doc.root());
  } else {
    message = std::string(body.substr(0, 512));
  }
  return core::error_from_upstream_status(status, std::move(message), retry_after_s);
}

}  // namespace interlingua::providers::openai_chat
