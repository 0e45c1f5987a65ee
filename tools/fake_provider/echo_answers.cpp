// Answer shapes of the three emulated APIs, unary and streamed. Field order follows the real
// providers (ordered_json) so captured traffic reads like the real thing.

#include "fake_echo.hpp"

namespace interlingua::fake::detail {
namespace {

using ojson = nlohmann::ordered_json;

std::string dump(const ojson& j) {
  return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

std::string sse_data(const ojson& j) {
  return "data: " + dump(j) + "\n\n";
}

std::string sse_event(const std::string& type, const ojson& j) {
  return "event: " + type + "\ndata: " + dump(j) + "\n\n";
}

plan unary(const ojson& body) {
  plan p;
  p.body = dump(body);
  return p;
}

plan streamed(std::vector<std::string> events, std::string content_type = "text/event-stream") {
  plan p;
  p.streamed = true;
  p.content_type = std::move(content_type);
  p.headers.emplace_back("Cache-Control", "no-cache");
  p.events = std::move(events);
  return p;
}

// --- OpenAI Chat Completions ---

ojson openai_usage(const echo_request& req) {
  return {{"prompt_tokens", req.input_tokens},
          {"completion_tokens", req.output_tokens},
          {"total_tokens", req.input_tokens + req.output_tokens},
          {"prompt_tokens_details", {{"cached_tokens", 0}}},
          {"completion_tokens_details", {{"reasoning_tokens", 0}}}};
}

ojson openai_chunk(const echo_request& req, ojson delta, const ojson& finish_reason,
                   bool include_usage) {
  ojson choice = {{"index", 0},
                  {"delta", std::move(delta)},
                  {"logprobs", nullptr},
                  {"finish_reason", finish_reason}};
  ojson chunk = {{"id", "chatcmpl-fake-" + std::to_string(req.id)},
                 {"object", "chat.completion.chunk"},
                 {"created", req.created},
                 {"model", req.model},
                 {"choices", ojson::array({std::move(choice)})}};
  if (include_usage) {
    chunk["usage"] = nullptr;  // the real API sends usage:null on every chunk but the last
  }
  return chunk;
}

plan openai_stream(const echo_request& req, bool include_usage) {
  std::vector<std::string> events;
  events.push_back(sse_data(
      openai_chunk(req, {{"role", "assistant"}, {"content", ""}}, nullptr, include_usage)));
  for (const auto& piece : req.pieces) {
    events.push_back(sse_data(openai_chunk(req, {{"content", piece}}, nullptr, include_usage)));
  }
  events.push_back(sse_data(openai_chunk(req, ojson::object(), "stop", include_usage)));
  if (include_usage) {
    ojson last = openai_chunk(req, ojson::object(), nullptr, false);
    last["choices"] = ojson::array();
    last["usage"] = openai_usage(req);
    events.push_back(sse_data(last));
  }
  events.emplace_back("data: [DONE]\n\n");
  return streamed(std::move(events));
}

// --- Anthropic Messages ---

ojson anthropic_usage(std::size_t input_tokens, std::size_t output_tokens) {
  return {{"input_tokens", input_tokens},
          {"output_tokens", output_tokens},
          {"cache_creation_input_tokens", 0},
          {"cache_read_input_tokens", 0}};
}

ojson anthropic_message(const echo_request& req, ojson content, const ojson& stop_reason,
                        ojson usage) {
  return {{"id", "msg_fake_" + std::to_string(req.id)},
          {"type", "message"},
          {"role", "assistant"},
          {"model", req.model},
          {"content", std::move(content)},
          {"stop_reason", stop_reason},
          {"stop_sequence", nullptr},
          {"usage", std::move(usage)}};
}

plan anthropic_stream(const echo_request& req) {
  std::vector<std::string> events;
  const ojson start =
      anthropic_message(req, ojson::array(), nullptr, anthropic_usage(req.input_tokens, 1));
  events.push_back(sse_event("message_start", {{"type", "message_start"}, {"message", start}}));
  events.push_back(
      sse_event("content_block_start", {{"type", "content_block_start"},
                                        {"index", 0},
                                        {"content_block", {{"type", "text"}, {"text", ""}}}}));
  for (const auto& piece : req.pieces) {
    events.push_back(
        sse_event("content_block_delta", {{"type", "content_block_delta"},
                                          {"index", 0},
                                          {"delta", {{"type", "text_delta"}, {"text", piece}}}}));
  }
  events.push_back(sse_event("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}}));
  events.push_back(sse_event("message_delta",
                             {{"type", "message_delta"},
                              {"delta", {{"stop_reason", "end_turn"}, {"stop_sequence", nullptr}}},
                              {"usage", {{"output_tokens", req.output_tokens}}}}));
  events.push_back(sse_event("message_stop", {{"type", "message_stop"}}));
  return streamed(std::move(events));
}

// --- Gemini ---

ojson gemini_response(const echo_request& req, const std::string& text, bool last,
                      std::size_t output_tokens) {
  ojson candidate = {{"content", {{"role", "model"}, {"parts", ojson::array({{{"text", text}}})}}}};
  if (last) {
    candidate["finishReason"] = "STOP";
  }
  candidate["index"] = 0;
  return {{"candidates", ojson::array({std::move(candidate)})},
          {"usageMetadata",
           {{"promptTokenCount", req.input_tokens},
            {"candidatesTokenCount", output_tokens},
            {"totalTokenCount", req.input_tokens + output_tokens}}},
          {"modelVersion", req.model},
          {"responseId", "fake-" + std::to_string(req.id)}};
}

// Every chunk carries usage, counting the candidate words streamed so far (like the real API).
std::vector<ojson> gemini_chunks(const echo_request& req) {
  std::vector<std::string> pieces = req.pieces;
  if (pieces.empty()) {
    pieces.emplace_back();  // the finishReason has to travel in some chunk
  }
  std::vector<ojson> chunks;
  std::string so_far;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    so_far += pieces[i];
    const bool last = i + 1 == pieces.size();
    const std::size_t words = last ? req.output_tokens : count_words(so_far);
    chunks.push_back(gemini_response(req, pieces[i], last, words));
  }
  return chunks;
}

plan gemini_stream(const echo_request& req, bool sse) {
  std::vector<std::string> events;
  const std::vector<ojson> chunks = gemini_chunks(req);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    if (sse) {
      events.push_back("data: " + dump(chunks[i]) + "\r\n\r\n");
    } else {
      events.push_back((i == 0 ? "[" : ",\r\n") + dump(chunks[i]));
    }
  }
  if (!sse) {
    events.emplace_back("]");
    return streamed(std::move(events), "application/json");
  }
  return streamed(std::move(events));
}

}  // namespace

plan openai_answer(const echo_request& req, bool stream, bool include_usage) {
  if (stream) {
    return openai_stream(req, include_usage);
  }
  const ojson message = {{"role", "assistant"}, {"content", req.text}};
  const ojson choice = {{"index", 0}, {"message", message}, {"finish_reason", "stop"}};
  return unary({{"id", "chatcmpl-fake-" + std::to_string(req.id)},
                {"object", "chat.completion"},
                {"created", req.created},
                {"model", req.model},
                {"choices", ojson::array({choice})},
                {"usage", openai_usage(req)}});
}

plan anthropic_answer(const echo_request& req, bool stream) {
  if (stream) {
    return anthropic_stream(req);
  }
  const ojson content = ojson::array({{{"type", "text"}, {"text", req.text}}});
  return unary(anthropic_message(req, content, "end_turn",
                                 anthropic_usage(req.input_tokens, req.output_tokens)));
}

plan gemini_answer(const echo_request& req, bool stream, bool sse) {
  if (stream) {
    return gemini_stream(req, sse);
  }
  return unary(gemini_response(req, req.text, true, req.output_tokens));
}

}  // namespace interlingua::fake::detail
