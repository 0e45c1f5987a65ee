#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <interlingua/dialects/interactions.hpp>

#include "interactions_stream_util.hpp"

namespace interlingua {
namespace {

using namespace dialects::interactions;
using nlohmann::json;

constexpr const char* fixture_name = "stream_thought_text_call.json";

core::reply folded() {
  core::accumulator acc;
  acc.on(testing::events_fixture(fixture_name));
  return acc.take();
}

std::string legacy_stream(const std::string& last_event_id = {}) {
  auto r = stream_renderer::make(testing::test_meta(),
                                 stream_options{true, schema::legacy, last_event_id});
  EXPECT_TRUE(r);
  std::string out;
  if (!r) {
    return out;
  }
  r->begin(out);
  for (const auto& e : testing::events_fixture(fixture_name)) {
    r->on(e, out);
  }
  r->complete(out);
  return out;
}

// Who gets the legacy schema (spec §9): the legacy revision, or the JS SDK 1.x by its label;
// not the Python SDK, whose 1.x versions read steps, and not 10.x.
TEST(InteractionsLegacy, WhoWantsLegacy) {
  EXPECT_TRUE(wants_legacy("2026-05-07", "", ""));
  EXPECT_TRUE(wants_legacy(" 2026-05-07 ", "", ""));
  EXPECT_TRUE(wants_legacy("", "google-genai-sdk/1.33.0 gl-node/v22.1.0", ""));
  EXPECT_TRUE(wants_legacy("", "", "google-genai-sdk/1.52.1 gl-node/v20.0.0"));
  EXPECT_FALSE(wants_legacy("", "", ""));
  EXPECT_FALSE(wants_legacy("2026-05-15", "", ""));
  EXPECT_FALSE(wants_legacy("", "google-genai-sdk/2.0.0 gl-node/v22.1.0", ""));
  EXPECT_FALSE(wants_legacy("", "google-genai-sdk/10.1.0 gl-node/v22.1.0", ""));
  EXPECT_FALSE(wants_legacy("", "", "google-genai-sdk/1.70.0 gl-python/3.12.3"));
  EXPECT_FALSE(wants_legacy("", "curl/8.5.0", "gl-node/v22"));
}

// The legacy unary answer is the flat `outputs` Content list with role "model" (spec §9),
// exactly as recorded in the fixture.
TEST(InteractionsLegacy, UnaryReplyMatchesFixture) {
  auto reply = folded();
  auto meta = testing::test_meta();
  meta.status = status_of(reply);
  auto got = json::parse(render_reply(meta, reply, schema::legacy));
  EXPECT_EQ(got, testing::interactions_fixture("legacy_reply.json")) << got.dump(1);
  EXPECT_FALSE(got.contains("steps"));
  // The steps schema stays the default.
  EXPECT_TRUE(json::parse(render_reply(meta, reply)).contains("steps"));
}

// The legacy stream uses the content.* events and sends a function call as ONE delta carrying
// the whole parsed call, which is what SDK 1.x user code reads.
TEST(InteractionsLegacy, StreamEventSequence) {
  auto events = testing::parse_sse(legacy_stream());
  std::vector<std::string> types;
  for (const auto& [type, payload] : events) {
    types.push_back(type);
    if (payload.is_object()) {
      EXPECT_EQ(payload["event_type"], type);
      EXPECT_TRUE(payload.contains("event_id")) << payload.dump();
    }
  }
  std::vector<std::string> expected{"interaction.start",    "interaction.status_update",
                                    "content.start",        "content.delta",
                                    "content.delta",        "content.delta",
                                    "content.stop",         "content.start",
                                    "content.delta",        "content.delta",
                                    "content.delta",        "content.stop",
                                    "content.start",        "content.delta",
                                    "content.stop",         "content.start",
                                    "content.delta",        "content.stop",  // the call: one delta
                                    "interaction.complete", "done"};
  ASSERT_EQ(types, expected);
  EXPECT_EQ(events[0].second["interaction"]["role"], "model");
  EXPECT_EQ(events[2].second, json::parse(R"({"index":0,"content":{"type":"thought"},
      "event_type":"content.start","event_id":"s0"})"));
  EXPECT_EQ(events[5].second["delta"],
            json::parse(R"({"type":"thought_signature","signature":"SIG-abc"})"));
  EXPECT_EQ(events[7].second["content"], json::parse(R"({"type":"text"})"));
  EXPECT_EQ(events[15].second["content"], json::parse(R"({"type":"function_call"})"));
  EXPECT_EQ(events[16].second, json::parse(R"({"index":3,"event_type":"content.delta",
      "event_id":"s3.27", "delta":{"type":"function_call","id":"call_7","name":"get_weather",
               "arguments":{"city":"Paris","unit":"c"}}})"));
  const auto& done = events[18].second["interaction"];
  EXPECT_EQ(done["status"], "requires_action");
  EXPECT_EQ(done["role"], "model");
  EXPECT_EQ(done["outputs"], json::array());
  EXPECT_EQ(done["usage"]["total_tokens"], 142);
  EXPECT_EQ(done["usage"]["total_reasoning_tokens"], 12);
  EXPECT_EQ(events.back().second, "[DONE]");
}

// Folding the legacy stream gives the legacy unary outputs: the two agree by construction.
TEST(InteractionsLegacy, StreamAgreesWithUnary) {
  std::map<int, json> items;
  for (const auto& [type, p] : testing::parse_sse(legacy_stream())) {
    if (type == "content.start") {
      items[p["index"].get<int>()] = p["content"];
    } else if (type == "content.delta") {
      json& item = items[p["index"].get<int>()];
      const json& d = p["delta"];
      if (d["type"] == "text") {
        item["text"] = item.value("text", "") + d["text"].get<std::string>();
      } else if (d["type"] == "thought_summary") {
        std::string text = item.contains("summary") ? item["summary"][0]["text"].get<std::string>()
                                                    : std::string();
        text += d["content"]["text"].get<std::string>();
        item["summary"] = json::array({{{"type", "text"}, {"text", text}}});
      } else if (d["type"] == "thought_signature") {
        item["signature"] = d["signature"];
      } else if (d["type"] == "function_call") {
        item = d;
      }
    }
  }
  json outputs = json::array();
  for (auto& [index, item] : items) {
    outputs.push_back(item);
  }
  EXPECT_EQ(outputs, testing::interactions_fixture("legacy_reply.json")["outputs"]);
}

// A resume point inside a call's arguments cannot split the legacy whole-call delta: the call
// goes out again, whole, so the client never sees half a call.
TEST(InteractionsLegacy, ResumeInsideACallResendsTheWholeCall) {
  auto events = testing::parse_sse(legacy_stream("s3.16"));
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[0].first, "content.delta");
  EXPECT_EQ(events[0].second["delta"]["arguments"], json::parse(R"({"city":"Paris","unit":"c"})"));
  EXPECT_EQ(events[1].first, "content.stop");
  // After the call's delta, it is not sent again.
  auto after = testing::parse_sse(legacy_stream("s3.27"));
  ASSERT_GE(after.size(), 1u);
  EXPECT_EQ(after[0].first, "content.stop");
}

}  // namespace
}  // namespace interlingua
