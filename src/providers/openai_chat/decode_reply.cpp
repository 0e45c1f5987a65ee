#include <interlingua/providers/openai_chat.hpp>

#include "../codec.hpp"

#include "usage.hpp"

namespace interlingua::providers::openai_chat {

namespace {

using nlohmann::json;
using namespace core::json_util;
using providers::error_message;

void decode_tool_calls(const json& calls, int& index, core::event_list& out) {
  for (const auto& call : calls) {
    const json* fn = member(call, "function");
    if (!fn) {
      continue;
    }
    out.push_back(core::part_start{index, core::part_kind::tool_call, string_or(call, "id"),
                                   string_or(*fn, "name")});
    if (const auto* args = member(*fn, "arguments")) {
      // Some compatible servers send arguments as an object instead of JSON text.
      std::string text = args->is_string() ? args->get<std::string>() : dump(*args);
      out.push_back(core::tool_args_delta{index, std::move(text)});
    }
    out.push_back(core::part_stop{index});
    ++index;
  }
}

void decode_message(const json& message, core::event_list& out) {
  int index = 0;
  if (const auto* reasoning = reasoning_text(message); reasoning && !text(*reasoning).empty()) {
    out.push_back(core::part_start{index, core::part_kind::thought, {}, {}});
    out.push_back(core::thought_delta{index, reasoning->get<std::string>()});
    out.push_back(core::part_stop{index});
    ++index;
  }
  const json* content = member_string(message, "content");
  if (!content) {
    content = member_string(message, "refusal");
  }
  if (content && !text(*content).empty()) {
    out.push_back(core::part_start{index, core::part_kind::text, {}, {}});
    out.push_back(core::text_delta{index, content->get<std::string>()});
    out.push_back(core::part_stop{index});
    ++index;
  }
  if (const auto* calls = member(message, "tool_calls"); calls && calls->is_array()) {
    decode_tool_calls(*calls, index, out);
  }
}

}  // namespace

void decode_reply(std::string_view body, core::event_list& out) {
  auto parsed = parse(body);
  if (!parsed || !parsed->is_object()) {
    out.push_back(core::stream_error{core::make_error(
        core::error_kind::upstream_error, "upstream answered with a body that is not JSON")});
    return;
  }
  const json& j = *parsed;
  if (member(j, "error")) {
    out.push_back(core::stream_error{
        core::make_error(core::error_kind::upstream_error, "upstream error: " + error_message(j))});
    return;
  }
  out.push_back(core::message_start{string_or(j, "id"), string_or(j, "model")});
  const json* choices = member(j, "choices");
  if (!choices || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) {
    out.push_back(core::stream_error{
        core::make_error(core::error_kind::upstream_error, "upstream answer has no choices")});
    return;
  }
  const json& choice = (*choices)[0];
  if (const auto* message = member(choice, "message")) {
    decode_message(*message, out);
  }
  if (const auto* u = member(j, "usage"); u && u->is_object()) {
    out.push_back(core::usage_update{read_usage(*u)});
  }
  out.push_back(core::finish{read_finish(string_or(choice, "finish_reason", "stop"))});
}

core::error decode_error(int status, std::string_view body, std::optional<int> retry_after_s) {
  std::string message;
  if (auto parsed = parse(body)) {
    message = error_message(*parsed);
  } else {
    message = std::string(body.substr(0, 512));
  }
  return core::error_from_upstream_status(status, std::move(message), retry_after_s);
}

}  // namespace interlingua::providers::openai_chat
