// Both dialects against the Anthropic and Gemini upstreams through the running gateway: text,
// streamed text, a tool-call round trip, thinking and an upstream error. In each cell the
// caller's answer has the right text, calls, status and usage, and the fake provider recorded a
// correct upstream request.

#include "harness.hpp"

#include <filesystem>

namespace interlingua::testing {
namespace {

using nlohmann::json;

const std::string interactions = "/v1beta/interactions";
const fake::testing::header_list json_body{{"content-type", "application/json"}};

struct upstream_kind {
  const char* name;
  const char* model;       // the public name routed to it
  const char* path_part;   // what the upstream request path must contain
  const char* key_header;  // the credential header and value
  const char* key_value;
  std::string tool_call_reply;   // a unary answer calling get_weather {"city":"Paris"}
  const char* thinking_fixture;  // captured stream with thinking, under ../shared
  int error_status;              // what the scripted error becomes for the caller
  fake::script error;
};

std::vector<upstream_kind> kinds() {
  return {
      {"anthropic",
       "claude-test",
       "/v1/messages",
       "x-api-key",
       "anthropic-secret",
       R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-test",
           "content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}],
           "stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":20,"output_tokens":10}})",
       "anthropic_stream_thinking_text.sse",
       503,
       {529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"}},
      {"gemini",
       "gemini/gemini-test",
       "/v1/models/gemini-test:",
       "x-goog-api-key",
       "gemini-secret",
       R"({"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"get_weather",
           "args":{"city":"Paris"}}}]},"finishReason":"STOP","index":0}],
           "usageMetadata":{"promptTokenCount":20,"candidatesTokenCount":10,"totalTokenCount":30}})",
       "gemini_stream_thinking_text.sse",
       429,
       {429,
        R"({"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}})"}},
  };
}

void PrintTo(const upstream_kind& k, std::ostream* os) {
  *os << k.name;
}

class ProviderMatrix : public ::testing::TestWithParam<upstream_kind> {
 protected:
  std::string create(const std::string& extra) {
    return R"({"model":")" + std::string(GetParam().model) + R"(")" + extra + "}";
  }
  void expect_upstream_request(const fake::recorded_request& up) {
    EXPECT_NE(up.target.find(GetParam().path_part), std::string::npos) << up.target;
    EXPECT_EQ(up.headers.count(GetParam().key_header) ? up.headers.at(GetParam().key_header) : "",
              GetParam().key_value);
  }
  gateway_harness gw;
};

std::string steps_text(const json& interaction) {
  std::string text;
  for (const auto& s : interaction["steps"]) {
    if (s["type"] == "model_output") {
      for (const auto& c : s["content"]) {
        text += c.value("text", "");
      }
    }
  }
  return text;
}

// Unary text: the echo's answer and its word-count usage come back.
TEST_P(ProviderMatrix, InteractionsUnaryText) {
  auto r = gw.post(interactions, create(R"(,"input":"one two three")"), json_body);
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = json::parse(r.body);
  EXPECT_EQ(j["status"], "completed");
  EXPECT_EQ(steps_text(j), "one two three");
  EXPECT_EQ(j["usage"]["total_input_tokens"], 3);
  EXPECT_EQ(j["usage"]["total_output_tokens"], 3);
  expect_upstream_request(gw.upstream().requests().at(0));
}

// Streamed text: step deltas add up to the answer; usage arrives with interaction.completed.
TEST_P(ProviderMatrix, InteractionsStreamedText) {
  auto r =
      gw.post(interactions, create(R"(,"input":"four five six seven","stream":true)"), json_body);
  ASSERT_EQ(r.status, 200);
  auto events = sse_events(r.body);
  std::string text;
  for (const auto& [type, payload] : events) {
    if (type == "step.delta" && payload["delta"]["type"] == "text") {
      text += payload["delta"]["text"].get<std::string>();
    }
  }
  EXPECT_EQ(text, "four five six seven");
  ASSERT_GE(events.size(), 2u);
  auto done = events[events.size() - 2];
  EXPECT_EQ(done.first, "interaction.completed");
  EXPECT_EQ(done.second["interaction"]["usage"]["total_output_tokens"], 4);
  expect_upstream_request(gw.upstream().requests().at(0));
}

// A tool call: requires_action, then the function_result goes back upstream in the provider's
// own shape, paired with the call.
TEST_P(ProviderMatrix, InteractionsToolRoundTrip) {
  gw.upstream().push({200, GetParam().tool_call_reply});
  const std::string tools = R"(,"tools":[{"type":"function","name":"get_weather",
      "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}])";
  auto first =
      json::parse(gw.post(interactions, create(R"(,"input":"weather?")" + tools), json_body).body);
  ASSERT_EQ(first["status"], "requires_action") << first.dump();
  json call;
  for (const auto& s : first["steps"]) {
    if (s["type"] == "function_call") {
      call = s;
    }
  }
  ASSERT_FALSE(call.is_null());
  EXPECT_EQ(call["name"], "get_weather");
  EXPECT_EQ(call["arguments"]["city"], "Paris");
  auto second = gw.post(
      interactions,
      create(R"(,"previous_interaction_id":")" + first["id"].get<std::string>() +
             R"(","input":[{"type":"function_result","call_id":")" + call["id"].get<std::string>() +
             R"(","name":"get_weather","result":"sunny"}])" + tools),
      json_body);
  ASSERT_EQ(second.status, 200) << second.body;
  auto up = gw.upstream().requests().back();
  expect_upstream_request(up);
  auto body = json::parse(up.body);
  if (std::string(GetParam().name) == "anthropic") {
    const auto& last = body["messages"].back();
    EXPECT_EQ(last["role"], "user");
    EXPECT_EQ(last["content"][0]["type"], "tool_result");
    EXPECT_EQ(last["content"][0]["tool_use_id"], call["id"]);
    EXPECT_EQ(body["messages"][1]["content"][0]["type"], "tool_use");
  } else {
    const auto& last = body["contents"].back();
    EXPECT_EQ(last["role"], "user");
    EXPECT_EQ(last["parts"][0]["functionResponse"]["name"], "get_weather");
    EXPECT_EQ(body["contents"][1]["parts"][0]["functionCall"]["name"], "get_weather");
  }
}

// Thinking (a captured provider stream): a thought step, then the answer, with thought tokens
// counted apart from the output where the provider reports them.
TEST_P(ProviderMatrix, InteractionsThinking) {
  std::filesystem::path captured =
      std::filesystem::path(IL_SHARED_DIR) / "fixtures" / "upstream" / GetParam().thinking_fixture;
  if (!std::filesystem::exists(captured)) {
    GTEST_SKIP() << "no ../shared fixtures here";
  }
  std::ifstream in(captured, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  gw.upstream().push({200, text.str(), "text/event-stream"});
  auto r = gw.post(
      interactions,
      create(
          R"(,"input":"think","stream":true,"generation_config":{"thinking_level":"high","thinking_summaries":"auto"})"),
      json_body);
  ASSERT_EQ(r.status, 200);
  auto events = sse_events(r.body);
  bool thought = false;
  bool output = false;
  for (const auto& [type, payload] : events) {
    if (type == "step.start") {
      thought = thought || payload["step"]["type"] == "thought";
      output = output || payload["step"]["type"] == "model_output";
    }
  }
  EXPECT_TRUE(thought);
  EXPECT_TRUE(output);
  auto done = events[events.size() - 2];
  ASSERT_EQ(done.first, "interaction.completed") << r.body;
  EXPECT_GT(done.second["interaction"]["usage"]["total_tokens"].get<int>(), 0);
  auto up = json::parse(gw.upstream().requests().at(0).body);
  if (std::string(GetParam().name) == "anthropic") {
    EXPECT_EQ(up["thinking"]["type"], "enabled");
  } else {
    EXPECT_TRUE(up["generationConfig"].contains("thinkingConfig")) << up.dump();
  }
}

// An upstream error keeps the provider's message and becomes the right status.
TEST_P(ProviderMatrix, InteractionsUpstreamError) {
  gw.upstream().push(GetParam().error);
  auto r = gw.post(interactions, create(R"(,"input":"hi")"), json_body);
  EXPECT_EQ(r.status, GetParam().error_status) << r.body;
  std::string message = json::parse(r.body)["error"]["message"];
  EXPECT_TRUE(message.find("Overloaded") != std::string::npos ||
              message.find("exhausted") != std::string::npos)
      << message;
}

// Session chat: unary and streamed against the same upstream, tool calls typed.
TEST_P(ProviderMatrix, SessionChat) {
  auto agent = gw.post(
      "/agents", R"({"name":"Ada","model":")" + std::string(GetParam().model) + R"("})", json_body);
  ASSERT_EQ(agent.status, 201) << agent.body;
  auto session = gw.post(
      "/sessions", R"({"agent":")" + json::parse(agent.body)["id"].get<std::string>() + R"("})",
      json_body);
  std::string chat = "/sessions/" + json::parse(session.body)["id"].get<std::string>() + "/chat";
  auto unary =
      gw.post(chat, R"({"messages":[{"role":"user","content":"hello gateway"}]})", json_body);
  ASSERT_EQ(unary.status, 201) << unary.body;
  EXPECT_EQ(json::parse(unary.body)["choices"][0]["message"]["content"], "hello gateway");
  expect_upstream_request(gw.upstream().requests().back());

  auto streamed =
      gw.post(chat, R"({"messages":[{"role":"user","content":"streamed words"}],"stream":true})",
              json_body);
  ASSERT_EQ(streamed.status, 200);
  std::string text;
  json last;
  for (std::size_t at = 0; (at = streamed.body.find("data: ", at)) != std::string::npos;) {
    auto end = streamed.body.find("\n\n", at);
    last = json::parse(streamed.body.substr(at + 6, end - at - 6));
    for (const auto& c : last["choices"]) {
      if (c["delta"]["content"].is_string()) {
        text += c["delta"]["content"].get<std::string>();
      }
    }
    at = end;
  }
  EXPECT_EQ(text, "streamed words");
  EXPECT_GT(last["usage"]["total_tokens"].get<int>(), 0);

  gw.upstream().push({200, GetParam().tool_call_reply});
  auto tool = gw.post(chat, R"({"messages":[{"role":"user","content":"weather?"}],
      "tools":[{"name":"get_weather","type":"function","function":{"parameters":{"type":"object"}}}]})",
                      json_body);
  ASSERT_EQ(tool.status, 201) << tool.body;
  auto choice = json::parse(tool.body)["choices"][0];
  EXPECT_EQ(choice["finish_reason"], "tool_calls");
  EXPECT_EQ(choice["message"]["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(
      json::parse(
          choice["message"]["tool_calls"][0]["function"]["arguments"].get<std::string>())["city"],
      "Paris");
}

// Session chat with thinking and with an upstream error: thoughts stay out of the content but
// count as completion tokens; the provider's error comes back in Julep's envelope, nothing saved.
TEST_P(ProviderMatrix, SessionChatThinkingAndError) {
  std::filesystem::path captured =
      std::filesystem::path(IL_SHARED_DIR) / "fixtures" / "upstream" / GetParam().thinking_fixture;
  if (!std::filesystem::exists(captured)) {
    GTEST_SKIP() << "no ../shared fixtures here";
  }
  auto agent = gw.post(
      "/agents", R"({"name":"Ada","model":")" + std::string(GetParam().model) + R"("})", json_body);
  auto session = gw.post(
      "/sessions", R"({"agent":")" + json::parse(agent.body)["id"].get<std::string>() + R"("})",
      json_body);
  std::string id = json::parse(session.body)["id"];
  std::ifstream in(captured, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  gw.upstream().push({200, text.str(), "text/event-stream"});
  auto thought =
      gw.post("/sessions/" + id + "/chat",
              R"({"messages":[{"role":"user","content":"think"}],"stream":true})", json_body);
  ASSERT_EQ(thought.status, 200);
  EXPECT_FALSE(thought.error) << thought.error.message();
  std::string content;
  for (std::size_t at = 0; (at = thought.body.find("data: ", at)) != std::string::npos;) {
    auto end = thought.body.find("\n\n", at);
    // Bound first: a range-for over a temporary's member dangles.
    json chunk = json::parse(thought.body.substr(at + 6, end - at - 6));
    for (const auto& c : chunk["choices"]) {
      if (c["delta"]["content"].is_string()) {
        content += c["delta"]["content"].get<std::string>();
      }
    }
    at = end;
  }
  EXPECT_FALSE(content.empty());  // the answer, without the thinking before it
  auto last = thought.body.rfind("data: ");
  ASSERT_NE(last, std::string::npos);
  auto final_chunk =
      json::parse(thought.body.substr(last + 6, thought.body.find("\n\n", last) - last - 6));
  EXPECT_GT(final_chunk["usage"]["completion_tokens"].get<int>(), 0);

  gw.upstream().push(GetParam().error);
  auto failed = gw.post("/sessions/" + id + "/chat",
                        R"({"messages":[{"role":"user","content":"hi"}]})", json_body);
  EXPECT_EQ(failed.status, GetParam().error_status) << failed.body;
  auto e = json::parse(failed.body)["error"];
  EXPECT_TRUE(e["message"].get<std::string>().find("Overloaded") != std::string::npos ||
              e["message"].get<std::string>().find("exhausted") != std::string::npos)
      << failed.body;
  // Only the successful chat was saved: its request and reply.
  EXPECT_EQ(json::parse(gw.get("/sessions/" + id + "/history").body)["entries"].size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Upstreams, ProviderMatrix, ::testing::ValuesIn(kinds()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace interlingua::testing
