// Gateway ⇄ fake provider over TLS: the first end-to-end Interactions path and its error paths.

#include "harness.hpp"

namespace interlingua::testing {
namespace {

using nlohmann::json;

const char* path = "/v3/compat/v1beta/interactions";

json body_json(const reply& r) {
  return json::parse(r.body, nullptr, false);
}

// A unary create reaches the upstream as a Chat Completions call and comes back in steps schema.
TEST(InteractionsE2E, UnaryCreate) {
  gateway_harness gw;
  auto r = gw.post(path, R"({"model":"gpt-test","input":"Hello there friend",
                             "system_instruction":"Be kind."})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/json");
  auto j = body_json(r);
  EXPECT_EQ(j["object"], "interaction");
  EXPECT_EQ(j["status"], "completed");
  EXPECT_EQ(j["model"], "gpt-test");
  EXPECT_EQ(j["id"].get<std::string>().rfind("v1_", 0), 0u);
  ASSERT_EQ(j["steps"].size(), 1u);
  EXPECT_EQ(j["steps"][0]["type"], "model_output");
  EXPECT_EQ(j["steps"][0]["content"][0]["text"], "Hello there friend");
  // The fake counts words: 2 (system) + 3 (user) in, 3 out.
  EXPECT_EQ(j["usage"]["total_input_tokens"], 5);
  EXPECT_EQ(j["usage"]["total_output_tokens"], 3);
  EXPECT_EQ(j["usage"]["total_tokens"], 8);

  auto seen = gw.upstream().requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].target, "/v1/chat/completions");
  EXPECT_EQ(seen[0].headers["authorization"], "Bearer upstream-secret");
  auto up = json::parse(seen[0].body);
  EXPECT_EQ(up["model"], "gpt-test");
  EXPECT_EQ(up["messages"][0], (json{{"role", "system"}, {"content", "Be kind."}}));
  EXPECT_EQ(up["messages"][1], (json{{"role", "user"}, {"content", "Hello there friend"}}));
}

// The plain /v1beta and /v1 paths serve the same API (SDK 3.x defaults to v1).
// A unary answer carries thought summaries only when thinking_summaries is "auto", like a stream.
TEST(InteractionsE2E, ThoughtSummariesOnlyWhenAsked) {
  gateway_harness gw;
  const std::string reasoned = R"({"id":"c","object":"chat.completion","created":1,"model":"o",
    "choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant",
    "reasoning_content":"Let me think.","content":"42"}}],
    "usage":{"prompt_tokens":3,"completion_tokens":9,"total_tokens":12,
    "completion_tokens_details":{"reasoning_tokens":7}}})";
  gw.upstream().push({200, reasoned});
  gw.upstream().push({200, reasoned});
  auto plain = body_json(gw.post(path, R"({"model":"gpt-test","input":"q"})"));
  auto asked = body_json(gw.post(path, R"({"model":"gpt-test","input":"q",
                                           "generation_config":{"thinking_summaries":"auto"}})"));
  ASSERT_EQ(plain["steps"][0]["type"], "thought");
  EXPECT_FALSE(plain["steps"][0].contains("summary")) << plain.dump();
  EXPECT_EQ(asked["steps"][0]["summary"][0]["text"], "Let me think.");
  EXPECT_EQ(plain["usage"]["total_thought_tokens"], 7);  // counted either way
}

TEST(InteractionsE2E, AllPathPrefixes) {
  gateway_harness gw;
  for (const char* p : {"/v1beta/interactions", "/v1/interactions", "/v3/compat/v1/interactions"}) {
    auto r = gw.post(p, R"({"model":"gpt-test","input":"hi"})");
    EXPECT_EQ(r.status, 200) << p << " " << r.body;
  }
}

// A streamed create follows spec §6 and its text and usage match the upstream's.
TEST(InteractionsE2E, StreamedCreate) {
  gateway_harness gw;
  auto r = gw.post(path, R"({"model":"gpt-test","input":"one two three four","stream":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "text/event-stream");
  auto events = sse_events(r.body);
  ASSERT_GE(events.size(), 6u);
  EXPECT_EQ(events[0].first, "interaction.created");
  EXPECT_EQ(events[1].first, "interaction.status_update");
  std::string text;
  for (auto& [type, payload] : events) {
    if (type == "step.delta" && payload["delta"]["type"] == "text") {
      text += payload["delta"]["text"].get<std::string>();
    }
  }
  EXPECT_EQ(text, "one two three four");
  auto& completed = events[events.size() - 2];
  EXPECT_EQ(completed.first, "interaction.completed");
  EXPECT_EQ(completed.second["interaction"]["status"], "completed");
  EXPECT_EQ(completed.second["interaction"]["usage"]["total_input_tokens"], 4);
  EXPECT_EQ(completed.second["interaction"]["usage"]["total_output_tokens"], 4);
  EXPECT_EQ(events.back().second, "[DONE]");
  // The gateway asked the upstream to stream with usage.
  auto up = json::parse(gw.upstream().requests().at(0).body);
  EXPECT_EQ(up["stream"], true);
  EXPECT_EQ(up["stream_options"]["include_usage"], true);
}

// An upstream 500 is a 503 in the caller's dialect, with the provider's message kept.
TEST(InteractionsE2E, Upstream500) {
  gateway_harness gw;
  gw.upstream().push(
      {500, R"({"error":{"message":"The server had an error","type":"server_error"}})"});
  auto r = gw.post(path, R"({"model":"gpt-test","input":"hi"})");
  EXPECT_EQ(r.status, 503);
  auto j = body_json(r);
  EXPECT_EQ(j["error"]["code"], "upstream_unavailable");
  EXPECT_EQ(j["error"]["message"], "The server had an error");
}

// An upstream 429 stays a 429 so SDKs back off, for streamed requests too (nothing was sent yet).
TEST(InteractionsE2E, Upstream429) {
  gateway_harness gw;
  fake::script s{429, fixture("openai/error_rate_limit.json")};
  s.headers = {{"retry-after", "3"}};
  gw.upstream().push(s);
  auto r = gw.post(path, R"({"model":"gpt-test","input":"hi","stream":true})");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(body_json(r)["error"]["code"], "rate_limited");
}

// A reset after the stream began becomes an in-band error event and a clean end of the response.
TEST(InteractionsE2E, UpstreamResetMidStream) {
  gateway_harness gw;
  fake::script s{200, fixture("openai/stream_reasoning_text_usage.sse")};
  s.fault_kind = fake::fault::reset_mid_stream;
  s.fault_after_events = 3;
  // A reset discards bytes the gateway has not read yet; the gap (also before the reset) lets
  // the events arrive well before it.
  s.gap = std::chrono::milliseconds(100);
  gw.upstream().push(s);
  auto r = gw.post(path, R"({"model":"gpt-test","input":"hi","stream":true})");
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(r.error) << r.error.message();  // the chunked response was terminated properly
  auto events = sse_events(r.body);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[events.size() - 2].first, "error");
  EXPECT_EQ(events[events.size() - 2].second["error"]["code"], "upstream_unavailable");
  EXPECT_EQ(events.back().second, "[DONE]");
  for (auto& e : events) {
    EXPECT_NE(e.first, "interaction.completed");
  }
}

// A reset before any response byte is an HTTP error, not a hung or empty response.
TEST(InteractionsE2E, UpstreamResetBeforeHeaders) {
  gateway_harness gw;
  fake::script s;
  s.fault_kind = fake::fault::reset_before_headers;
  gw.upstream().push(s);
  auto r = gw.post(path, R"({"model":"gpt-test","input":"hi"})");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(body_json(r)["error"]["code"], "upstream_unavailable");
}

// An upstream that accepts and then says nothing hits the first-byte deadline: a 504.
TEST(InteractionsE2E, UpstreamStallHitsTheDeadline) {
  gateway_harness gw(gateway_options::with_env("IL_TEST_FIRST_BYTE_MS", "200"));
  fake::script s;
  s.fault_kind = fake::fault::stall;
  s.fault_after_events = 0;
  s.first_byte_delay = std::chrono::milliseconds(60'000);
  gw.upstream().push(s);
  auto r = gw.post(path, R"({"model":"gpt-test","input":"hi"})");
  EXPECT_EQ(r.status, 504) << r.body;
  EXPECT_EQ(body_json(r)["error"]["code"], "upstream_timeout");
}

// An upstream that goes silent mid-stream hits the idle-gap deadline: an in-band error.
TEST(InteractionsE2E, UpstreamStallMidStream) {
  gateway_harness gw(gateway_options::with_env("IL_TEST_IDLE_GAP_MS", "200"));
  fake::script s{200, fixture("openai/stream_reasoning_text_usage.sse")};
  s.fault_kind = fake::fault::stall;
  s.fault_after_events = 3;
  gw.upstream().push(s);
  auto r = gw.post(path, R"({"model":"gpt-test","input":"hi","stream":true})");
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(r.error) << r.error.message();
  auto events = sse_events(r.body);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[events.size() - 2].second["error"]["code"], "upstream_timeout");
  EXPECT_EQ(events.back().second, "[DONE]");
}

// Garbage from the upstream in a 200 is a 502, never a 200 with an empty answer.
TEST(InteractionsE2E, UpstreamGarbage) {
  gateway_harness gw;
  gw.upstream().push({200, "this is not json", "application/json"});
  auto r = gw.post(path, R"({"model":"gpt-test","input":"hi"})");
  EXPECT_EQ(r.status, 502) << r.body;
}

// Bad client input is a 400 with a JSON error naming the field; nothing goes upstream.
TEST(InteractionsE2E, BadInput) {
  gateway_harness gw;
  auto r =
      gw.post(path, R"({"model":"gpt-test","input":"hi","generation_config":{"temperature":"x"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body_json(r)["error"]["code"], "invalid_request");
  EXPECT_NE(
      body_json(r)["error"]["message"].get<std::string>().find("generation_config.temperature"),
      std::string::npos);
  auto m = gw.post(path, "{oops");
  EXPECT_EQ(m.status, 400);
  EXPECT_TRUE(gw.upstream().requests().empty());
}

// A model no route serves is a 404 naming the model.
TEST(InteractionsE2E, UnknownModel) {
  gateway_harness gw;
  auto r = gw.post(path, R"({"model":"mistral-x","input":"hi"})");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(body_json(r)["error"]["message"].get<std::string>().find("mistral-x"),
            std::string::npos);
}

}  // namespace
}  // namespace interlingua::testing
