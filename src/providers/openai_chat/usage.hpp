#pragma once

#include <interlingua/core/json_view.hpp>
#include <interlingua/core/usage.hpp>

namespace interlingua::providers::openai_chat {

// OpenAI's prompt_tokens include cached tokens and completion_tokens include reasoning tokens;
// core keeps reasoning apart from visible output.
inline core::usage read_usage(core::json_view::value u) {
  using core::json_view::integer_or;
  core::usage out;
  out.input = integer_or(u, "prompt_tokens");
  std::int64_t completion = integer_or(u, "completion_tokens");
  if (auto details = u.member("prompt_tokens_details")) {
    out.cached = integer_or(details, "cached_tokens");
    out.cache_write = integer_or(details, "cache_write_tokens");
  }
  if (auto details = u.member("completion_tokens_details")) {
    out.reasoning = integer_or(details, "reasoning_tokens");
  }
  out.output = completion >= out.reasoning ? completion - out.reasoning : completion;
  return out;
}

inline core::finish_reason read_finish(std::string_view reason) {
  if (reason == "stop") {
    return core::finish_reason::stop;
  }
  if (reason == "length") {
    return core::finish_reason::length;
  }
  if (reason == "tool_calls" || reason == "function_call") {
    return core::finish_reason::tool_calls;
  }
  if (reason == "content_filter") {
    return core::finish_reason::content_filter;
  }
  return core::finish_reason::unknown;
}

// Reasoning text: OpenRouter/Ollama/vLLM spell it `reasoning`, DeepSeek and older vLLM
// `reasoning_content`.
inline core::json_view::value reasoning_text(core::json_view::value message) {
  if (auto r = core::json_view::member_string(message, "reasoning_content")) {
    return r;
  }
  return core::json_view::member_string(message, "reasoning");
}

}  // namespace interlingua::providers::openai_chat
