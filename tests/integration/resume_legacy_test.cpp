// Stream resumption (last_event_id) and the legacy "outputs" schema through the running gateway.

#include "harness.hpp"

namespace interlingua::testing {
namespace {

using nlohmann::json;

const std::string base = "/v1beta/interactions";
const fake::testing::header_list json_body{{"content-type", "application/json"}};

std::string text_after(const std::vector<std::pair<std::string, json>>& events, std::size_t from) {
  std::string text;
  for (std::size_t i = from; i < events.size(); ++i) {
    const auto& [type, payload] = events[i];
    if (type == "step.delta" && payload["delta"]["type"] == "text") {
      text += payload["delta"]["text"].get<std::string>();
    }
  }
  return text;
}

// A client that lost a stream after any event gets exactly the rest of the answer from
// GET ?stream=true&last_event_id, although the replay chunks the text differently.
TEST(StreamResume, ReplayResumesAfterEveryLiveEvent) {
  gateway_harness gw;
  auto live = gw.post(
      base, R"({"model":"gpt-test","input":"one two three four five","stream":true})", json_body);
  ASSERT_EQ(live.status, 200);
  auto events = sse_events(live.body);
  ASSERT_GE(events.size(), 6u);
  std::string id = events.front().second["interaction"]["id"];
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {  // the last is [DONE], without an id
    ASSERT_TRUE(events[i].second.contains("event_id")) << events[i].second.dump();
    std::string after = events[i].second["event_id"];
    auto r = gw.get(base + "/" + id + "?stream=true&last_event_id=" + after);
    ASSERT_EQ(r.status, 200) << after << ": " << r.body;
    auto rest = sse_events(r.body);
    EXPECT_EQ(text_after(rest, 0), text_after(events, i + 1)) << "after " << after;
    EXPECT_EQ(rest.back().second, "[DONE]");
  }
}

// An id the gateway never sent is the client's error, named, before any stream starts.
TEST(StreamResume, UnknownEventIdIsA400) {
  gateway_harness gw;
  auto made = json::parse(gw.post(base, R"({"model":"gpt-test","input":"hi"})", json_body).body);
  std::string path = base + "/" + made["id"].get<std::string>() + "?stream=true&last_event_id=";
  for (const char* bad : {"garbage", "s99", "s0.999999"}) {
    auto r = gw.get(path + bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_EQ(json::parse(r.body)["error"]["param"], "last_event_id") << bad;
  }
}

// Clients on the legacy schema (Api-Revision: 2026-05-07) get `outputs`, unary and streamed.
TEST(LegacySchema, ApiRevisionSelectsOutputs) {
  gateway_harness gw;
  fake::testing::header_list legacy{{"content-type", "application/json"},
                                    {"api-revision", "2026-05-07"}};
  auto unary = gw.post(base, R"({"model":"gpt-test","input":"old client"})", legacy);
  ASSERT_EQ(unary.status, 200) << unary.body;
  auto j = json::parse(unary.body);
  EXPECT_FALSE(j.contains("steps"));
  ASSERT_EQ(j["outputs"].size(), 1u);
  EXPECT_EQ(j["outputs"][0]["type"], "text");
  EXPECT_EQ(j["outputs"][0]["text"], "old client");
  // GET answers a legacy client in its schema too; a current client reads the same record as steps.
  auto got = json::parse(
      gw.get(base + "/" + j["id"].get<std::string>(), {{"api-revision", "2026-05-07"}}).body);
  EXPECT_EQ(got["outputs"], j["outputs"]);
  EXPECT_EQ(got["role"], "model");
  EXPECT_FALSE(got.contains("steps"));
  auto current = json::parse(gw.get(base + "/" + j["id"].get<std::string>()).body);
  EXPECT_EQ(current["steps"][0]["type"], "model_output");

  auto streamed =
      gw.post(base, R"({"model":"gpt-test","input":"old stream","stream":true})", legacy);
  ASSERT_EQ(streamed.status, 200);
  auto events = sse_events(streamed.body);
  ASSERT_GE(events.size(), 5u);
  EXPECT_EQ(events.front().first, "interaction.start");
  std::string text;
  for (const auto& [type, payload] : events) {
    EXPECT_NE(type.rfind("step.", 0), 0u) << "steps-schema event in a legacy stream: " << type;
    if (type == "content.delta" && payload["delta"]["type"] == "text") {
      text += payload["delta"]["text"].get<std::string>();
    }
  }
  EXPECT_EQ(text, "old stream");
  EXPECT_EQ(events[events.size() - 2].first, "interaction.complete");
}

// Without the opt-in, a client gets the steps schema (the current default).
TEST(LegacySchema, DefaultIsSteps) {
  gateway_harness gw;
  auto j =
      json::parse(gw.post(base, R"({"model":"gpt-test","input":"new client"})", json_body).body);
  EXPECT_TRUE(j.contains("steps"));
  EXPECT_FALSE(j.contains("outputs"));
}

}  // namespace
}  // namespace interlingua::testing
