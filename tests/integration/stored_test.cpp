// Stored interactions through the running gateway: GET, DELETE, replay, previous_interaction_id
// and ownership by gateway key.

#include "harness.hpp"

namespace interlingua::testing {
namespace {

using nlohmann::json;

const std::string base = "/v1beta/interactions";

json create(gateway_harness& gw, const std::string& body,
            const fake::testing::header_list& h = {}) {
  fake::testing::header_list headers{{"content-type", "application/json"}};
  headers.insert(headers.end(), h.begin(), h.end());
  auto r = gw.post(base, body, headers);
  EXPECT_EQ(r.status, 200) << r.body;
  return json::parse(r.body, nullptr, false);
}

// A stored interaction can be read back, then deleted once; afterwards it is gone.
TEST(StoredInteractions, GetThenDelete) {
  gateway_harness gw;
  auto made = create(gw, R"({"model":"gpt-test","input":"remember this","system_instruction":"S",
                             "generation_config":{"temperature":0.5}})");
  std::string id = made["id"];
  auto got = gw.get(base + "/" + id + "?stream=false");
  ASSERT_EQ(got.status, 200) << got.body;
  auto j = json::parse(got.body);
  EXPECT_EQ(j["id"], id);
  EXPECT_EQ(j["status"], "completed");
  EXPECT_EQ(j["steps"], made["steps"]);
  EXPECT_EQ(j["usage"], made["usage"]);
  EXPECT_EQ(j["system_instruction"], "S");  // the request's config is kept and echoed
  EXPECT_EQ(j["generation_config"]["temperature"], 0.5);
  auto with_input = json::parse(gw.get(base + "/" + id + "?include_input=true").body);
  ASSERT_EQ(with_input["steps"].size(), 2u);
  EXPECT_EQ(with_input["steps"][0]["type"], "user_input");
  EXPECT_EQ(with_input["steps"][0]["content"][0]["text"], "remember this");

  auto del = gw.del(base + "/" + id);
  EXPECT_EQ(del.status, 200);
  EXPECT_EQ(del.body, "{}");
  EXPECT_EQ(gw.del(base + "/" + id).status, 404);
  EXPECT_EQ(gw.get(base + "/" + id).status, 404);
}

// store:false keeps nothing and returns no id.
TEST(StoredInteractions, StoreFalseKeepsNothing) {
  gateway_harness gw;
  auto made = create(gw, R"({"model":"gpt-test","input":"forget this","store":false})");
  EXPECT_FALSE(made.contains("id"));
  EXPECT_EQ(made["status"], "completed");
}

// A streamed interaction is stored too, and GET ?stream=true replays it as §6 events.
TEST(StoredInteractions, StreamedIsStoredAndReplayed) {
  gateway_harness gw;
  auto r = gw.post(base, R"({"model":"gpt-test","input":"stream me please","stream":true})");
  ASSERT_EQ(r.status, 200);
  auto live = sse_events(r.body);
  std::string id = live.front().second["interaction"]["id"];
  auto replay = gw.get(base + "/" + id + "?stream=true");
  ASSERT_EQ(replay.status, 200);
  EXPECT_EQ(replay.headers["content-type"], "text/event-stream");
  auto events = sse_events(replay.body);
  std::string text;
  for (auto& [type, payload] : events) {
    if (type == "step.delta" && payload["delta"]["type"] == "text") {
      text += payload["delta"]["text"].get<std::string>();
    }
  }
  EXPECT_EQ(text, "stream me please");
  EXPECT_EQ(events[events.size() - 2].first, "interaction.completed");
  EXPECT_EQ(events[events.size() - 2].second["interaction"]["usage"],
            live[live.size() - 2].second["interaction"]["usage"]);
}

// A stream frees its request's prompt once the answer begins (a long prompt is not held for the
// length of the stream): the stored input is a copy of its own, whole, and a continuation sends
// it upstream again.
TEST(StoredInteractions, AStreamedLongPromptIsStoredWhole) {
  gateway_harness gw;
  const std::string long_input(40000, 'p');
  auto r = gw.post(base, R"({"model":"gpt-test","input":")" + long_input + R"(","stream":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto live = sse_events(r.body);
  ASSERT_FALSE(live.empty());
  std::string id = live.front().second["interaction"]["id"];
  auto got = gw.get(base + "/" + id + "?include_input=true");
  ASSERT_EQ(got.status, 200) << got.body;
  auto steps = json::parse(got.body)["steps"];
  ASSERT_EQ(steps.size(), 2u) << got.body.substr(0, 200);
  EXPECT_EQ(steps[0]["type"], "user_input");
  EXPECT_EQ(steps[0]["content"][0]["text"], long_input);

  create(gw, R"({"model":"gpt-test","input":"and?","previous_interaction_id":")" + id + "\"}");
  auto up = json::parse(gw.upstream().requests().back().body)["messages"];
  ASSERT_EQ(up.size(), 3u);
  EXPECT_EQ(up[0]["content"], long_input);
  EXPECT_EQ(up[1]["content"], long_input);  // the fake echoed it
  EXPECT_EQ(up[2]["content"], "and?");
}

// previous_interaction_id sends the earlier exchange upstream; the system instruction is not
// inherited (spec §4.1).
TEST(StoredInteractions, PreviousInteractionCarriesHistory) {
  gateway_harness gw;
  auto first = create(
      gw, R"({"model":"gpt-test","input":"My name is Ada","system_instruction":"Be terse."})");
  auto second =
      create(gw, R"({"model":"gpt-test","input":"What is my name?","previous_interaction_id":")" +
                     first["id"].get<std::string>() + "\"}");
  EXPECT_EQ(second["previous_interaction_id"], first["id"]);
  auto up = json::parse(gw.upstream().requests().back().body);
  json expected = json::array({{{"role", "user"}, {"content", "My name is Ada"}},
                               {{"role", "assistant"}, {"content", "My name is Ada"}},
                               {{"role", "user"}, {"content", "What is my name?"}}});
  EXPECT_EQ(up["messages"], expected);
  // A third turn walks the whole chain.
  create(gw, R"({"model":"gpt-test","input":"Again?","previous_interaction_id":")" +
                 second["id"].get<std::string>() + "\"}");
  EXPECT_EQ(json::parse(gw.upstream().requests().back().body)["messages"].size(), 5u);
}

// An unknown previous_interaction_id is a 404 naming the field, and nothing goes upstream.
TEST(StoredInteractions, UnknownPreviousInteraction) {
  gateway_harness gw;
  auto r =
      gw.post(base, R"({"model":"gpt-test","input":"hi","previous_interaction_id":"v1_nope"})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(r.body)["error"]["param"], "previous_interaction_id");
  EXPECT_TRUE(gw.upstream().requests().empty());
}

// Another gateway key's interaction does not exist for you: GET, DELETE, continue are 404.
TEST(StoredInteractions, OtherKeysInteractionsAreInvisible) {
  gateway_options o;
  o.env = {{"IL_TEST_GATEWAY_KEY", "key-a"}, {"IL_TEST_GATEWAY_KEY2", "key-b"}};
  gateway_harness gw(o);
  auto mine = create(gw, R"({"model":"gpt-test","input":"secret"})", {{"x-goog-api-key", "key-a"}});
  std::string path = base + "/" + mine["id"].get<std::string>();
  EXPECT_EQ(gw.get(path, {{"x-goog-api-key", "key-b"}}).status, 404);
  EXPECT_EQ(gw.del(path, {{"x-goog-api-key", "key-b"}}).status, 404);
  auto cont = gw.post(base,
                      R"({"model":"gpt-test","input":"x","previous_interaction_id":")" +
                          mine["id"].get<std::string>() + "\"}",
                      {{"content-type", "application/json"}, {"x-goog-api-key", "key-b"}});
  EXPECT_EQ(cont.status, 404);
  EXPECT_EQ(gw.get(path, {{"x-goog-api-key", "key-a"}}).status, 200);
}

// Cancel is for running background interactions; a finished one says so with a 400.
TEST(StoredInteractions, CancelFinishedIsAClientError) {
  gateway_harness gw;
  auto made = create(gw, R"({"model":"gpt-test","input":"done already"})");
  auto r = gw.post(base + "/" + made["id"].get<std::string>() + "/cancel", "");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(gw.post(base + "/v1_unknown/cancel", "").status, 404);
}

}  // namespace
}  // namespace interlingua::testing
