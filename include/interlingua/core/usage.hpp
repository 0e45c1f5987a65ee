#pragma once

#include <cstdint>

namespace interlingua::core {

// Token counts in one normalized meaning, whatever the provider:
//  input     every prompt token, cached ones included (OpenAI/Gemini style);
//  cached    the part of input read from a prompt cache;
//  output    visible output tokens, reasoning excluded;
//  reasoning thought/reasoning tokens, counted apart from output.
struct usage {
  std::int64_t input = 0;
  std::int64_t cached = 0;
  std::int64_t cache_write = 0;
  std::int64_t output = 0;
  std::int64_t reasoning = 0;
  std::int64_t tool_use = 0;

  std::int64_t total() const { return input + output + reasoning + tool_use; }
  bool operator==(const usage&) const = default;
};

}  // namespace interlingua::core
