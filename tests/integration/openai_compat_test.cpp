// OpenAI-compatible servers beside OpenAI, through the running gateway: OpenRouter's comment
// lines and its errors inside a 200 stream, vLLM's bare error bodies, and the `reasoning` field of
// OpenRouter and Ollama. The captured bodies come from ../shared when it is present.

#include "harness.hpp"

#include "../support/events.hpp"

namespace interlingua::testing {
namespace {

using nlohmann::json;

const char* path = "/v1beta/interactions";

std::string create(const std::string& extra) {
  return R"({"model":"gpt-compat","input":"What is 2 + 2?")" + extra + "}";
}

// OpenRouter streams keep-alive comments and, on failure, an error object inside the 200 stream:
// the caller gets the text so far and an in-band error event with OpenRouter's message.
TEST(OpenAiCompat, OpenRouterErrorInside200Stream) {
  if (!have_shared()) {
    GTEST_SKIP() << "../shared not present";
  }
  gateway_harness gw;
  gw.upstream().push(
      {200, read_file(shared_fixture("openrouter_chat_stream_midstream_error.sse"))});
  auto r = gw.post(path, create(R"(,"stream":true)"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto events = sse_events(r.body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().first, "interaction.created");
  bool saw_error = false;
  for (const auto& [type, data] : events) {
    if (type == "error") {
      saw_error = true;
      EXPECT_NE(data.dump().find("Token limit reached"), std::string::npos) << data.dump();
    }
  }
  EXPECT_TRUE(saw_error) << r.body;
  EXPECT_EQ(gw.upstream().requests().size(), 1u);  // begun: never retried
}

// OpenRouter's `reasoning` deltas become a thought step (summaries asked for), its content the
// answer, with the usage of the last chunk.
TEST(OpenAiCompat, OpenRouterReasoningStream) {
  if (!have_shared()) {
    GTEST_SKIP() << "../shared not present";
  }
  gateway_harness gw;
  gw.upstream().push({200, read_file(shared_fixture("openrouter_chat_stream_reasoning.sse"))});
  auto r = gw.post(path, create(R"(,"stream":true,"store":false,
                                    "generation_config":{"thinking_summaries":"auto"})"));
  ASSERT_EQ(r.status, 200) << r.body;
  std::string thought, text;
  json usage;
  for (const auto& [type, data] : sse_events(r.body)) {
    if (type == "step.delta" && data["delta"]["type"] == "thought_summary") {
      thought += data["delta"]["content"].value("text", "");
    } else if (type == "step.delta" && data["delta"]["type"] == "text") {
      text += data["delta"].value("text", "");
    } else if (type == "interaction.completed") {
      usage = data["interaction"]["usage"];
    }
  }
  EXPECT_FALSE(thought.empty()) << r.body;
  EXPECT_EQ(text, "2 + 2 = 4");
  EXPECT_EQ(usage["total_input_tokens"], 43) << usage.dump();
}

// Ollama answers with `reasoning` beside a tool call: a thought step, then the function call.
TEST(OpenAiCompat, OllamaReasoningWithToolCall) {
  if (!have_shared()) {
    GTEST_SKIP() << "../shared not present";
  }
  gateway_harness gw;
  gw.upstream().push(
      {200, read_file(shared_fixture("ollama_chat_nonstream_tool_call_reasoning.json"))});
  auto r = gw.post(path, create(R"(,"generation_config":{"thinking_summaries":"auto"},
      "tools":[{"type":"function","name":"final_result","parameters":{"type":"object"}}])"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = json::parse(r.body);
  EXPECT_EQ(j["status"], "requires_action");
  ASSERT_EQ(j["steps"].size(), 2u) << r.body;
  EXPECT_EQ(j["steps"][0]["type"], "thought");
  EXPECT_EQ(j["steps"][1]["type"], "function_call");
  EXPECT_EQ(j["steps"][1]["name"], "final_result");
  EXPECT_EQ(j["steps"][1]["arguments"], (json{{"city", "Paris"}, {"country", "France"}}));
  EXPECT_EQ(j["usage"]["total_input_tokens"], 206);
  EXPECT_EQ(j["usage"]["total_output_tokens"], 194);
}

// vLLM's bare error body (no "error" envelope) keeps its message and its status's meaning, in
// both dialects.
TEST(OpenAiCompat, VllmBareErrorBody) {
  gateway_harness gw;
  gw.upstream().push({404, fixture("openai/error_vllm_bare.json")});
  auto r = gw.post(path, create(""));
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"]["message"], "The model `nope` does not exist.");
}

}  // namespace
}  // namespace interlingua::testing
