#pragma once

// Shared between echo.cpp (request parsing) and echo_answers.cpp (per-API answer shapes).

#include "fake_internal.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace interlingua::fake::detail {

// What the echo answer is made of, already extracted from the request.
struct echo_request {
  std::string model;
  std::string text;                 // the answer: text of the last user message
  std::size_t input_tokens = 1;     // words across all message/system texts, min 1
  std::size_t output_tokens = 1;    // words in text, min 1
  std::vector<std::string> pieces;  // text split for streaming; concatenation == text
  std::uint64_t id = 0;
  std::int64_t created = 0;  // unix seconds
};

plan openai_answer(const echo_request& req, bool stream, bool include_usage);
plan anthropic_answer(const echo_request& req, bool stream);
// sse: `?alt=sse` framing; otherwise the streamed JSON array Gemini sends without it.
plan gemini_answer(const echo_request& req, bool stream, bool sse);

}  // namespace interlingua::fake::detail
