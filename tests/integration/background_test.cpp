// Background interactions through the running gateway: answered at once, run detached, polled,
// followed as a stream, cancelled, and never left in_progress by a shutdown.

#include "harness.hpp"

#include <thread>

#include <interlingua/store/interactions.hpp>

namespace interlingua::testing {
namespace {

using nlohmann::json;

const std::string base = "/v1beta/interactions";
const fake::testing::header_list json_body{{"content-type", "application/json"}};

// A paced OpenAI stream whose text is "Hello, world" and usage 7 in / 3 out.
fake::script paced_stream(std::chrono::milliseconds gap) {
  std::string body;
  for (const char* piece : {"Hello", ", ", "world"}) {
    body += std::string(R"(data: {"choices":[{"index":0,"delta":{"content":")") + piece +
            R"("},"finish_reason":null}]})" + "\n\n";
  }
  body +=
      R"(data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}})"
      "\n\ndata: [DONE]\n\n";
  fake::script s{200, body};
  s.gap = gap;
  return s;
}

// An upstream that answers the headers and one delta, then says nothing more.
fake::script stalled_stream() {
  fake::script s = paced_stream(std::chrono::milliseconds(0));
  s.fault_kind = fake::fault::stall;
  s.fault_after_events = 1;
  return s;
}

std::string start(gateway_harness& gw, const std::string& extra = "") {
  auto r = gw.post(base, R"({"model":"gpt-test","input":"hi","background":true)" + extra + "}",
                   json_body);
  EXPECT_EQ(r.status, 200) << r.body;
  auto j = json::parse(r.body, nullptr, false);
  EXPECT_EQ(j["status"], "in_progress");
  return j.value("id", "");
}

// Polls GET until the interaction leaves in_progress (bounded: a hung run fails the test).
json wait_done(gateway_harness& gw, const std::string& id) {
  for (int i = 0; i < 1000; ++i) {
    auto r = gw.get(base + "/" + id);
    auto j = json::parse(r.body, nullptr, false);
    if (r.status != 200 || j["status"] != "in_progress") {
      return j;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "interaction " << id << " still in_progress";
  return {};
}

void wait_for_upstream_request(gateway_harness& gw) {
  for (int i = 0; i < 1000 && gw.upstream().requests().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_FALSE(gw.upstream().requests().empty());
}

std::string text_of(const json& interaction) {
  std::string text;
  for (const auto& step : interaction["steps"]) {
    if (step["type"] == "model_output") {
      for (const auto& c : step["content"]) {
        text += c.value("text", "");
      }
    }
  }
  return text;
}

std::string streamed_text(const std::vector<std::pair<std::string, json>>& events) {
  std::string text;
  for (const auto& [type, payload] : events) {
    if (type == "step.delta" && payload["delta"]["type"] == "text") {
      text += payload["delta"]["text"].get<std::string>();
    }
  }
  return text;
}

// The POST answers in_progress without waiting for the model; polling finds the finished
// interaction with its answer and usage, and the upstream was asked to stream.
TEST(BackgroundInteractions, AnswersAtOnceThenCompletes) {
  gateway_harness gw;
  gw.upstream().push(paced_stream(std::chrono::milliseconds(20)));
  std::string id = start(gw);
  ASSERT_FALSE(id.empty());
  auto done = wait_done(gw, id);
  EXPECT_EQ(done["status"], "completed");
  EXPECT_EQ(text_of(done), "Hello, world");
  EXPECT_EQ(done["usage"]["total_input_tokens"], 7);
  EXPECT_EQ(done["usage"]["total_output_tokens"], 3);
  EXPECT_EQ(json::parse(gw.upstream().requests().front().body)["stream"], true);
}

// A stalled upstream does not hold the POST: the answer comes at once. Cancel then stops the
// run and records it as cancelled; a second cancel finds nothing running.
TEST(BackgroundInteractions, CancelStopsARunningInteraction) {
  gateway_harness gw;
  gw.upstream().push(stalled_stream());
  std::string id = start(gw);
  wait_for_upstream_request(gw);
  auto r = gw.post(base + "/" + id + "/cancel", "", json_body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["status"], "cancelled");
  EXPECT_EQ(json::parse(gw.get(base + "/" + id).body)["status"], "cancelled");
  EXPECT_EQ(gw.post(base + "/" + id + "/cancel", "", json_body).status, 400);
}

// A running interaction cannot be continued yet: its answer would be missing from the history.
TEST(BackgroundInteractions, ContinuingARunningInteractionIsA400) {
  gateway_harness gw;
  gw.upstream().push(stalled_stream());
  std::string id = start(gw);
  auto r = gw.post(base,
                   R"({"model":"gpt-test","input":"next","previous_interaction_id":")" + id + "\"}",
                   json_body);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"]["param"], "previous_interaction_id");
  EXPECT_EQ(gw.post(base + "/" + id + "/cancel", "", json_body).status, 200);
}

// GET ?stream=true follows a run live: every event from created to [DONE], the whole text.
TEST(BackgroundInteractions, GetStreamFollowsTheRun) {
  gateway_harness gw;
  gw.upstream().push(paced_stream(std::chrono::milliseconds(30)));
  std::string id = start(gw);
  auto r = gw.get(base + "/" + id + "?stream=true");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "text/event-stream");
  auto events = sse_events(r.body);
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.front().first, "interaction.created");
  EXPECT_EQ(streamed_text(events), "Hello, world");
  EXPECT_EQ(events[events.size() - 2].first, "interaction.completed");
  EXPECT_EQ(events[events.size() - 2].second["interaction"]["status"], "completed");
  EXPECT_EQ(events.back().second, "[DONE]");
}

// background + stream: the POST itself follows the run.
TEST(BackgroundInteractions, StreamedPostFollowsTheRun) {
  gateway_harness gw;
  gw.upstream().push(paced_stream(std::chrono::milliseconds(10)));
  auto r = gw.post(base, R"({"model":"gpt-test","input":"hi","background":true,"stream":true})",
                   json_body);
  ASSERT_EQ(r.status, 200);
  auto events = sse_events(r.body);
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.front().second["interaction"]["status"], "in_progress");
  std::string id = events.front().second["interaction"]["id"];
  EXPECT_EQ(streamed_text(events), "Hello, world");
  EXPECT_EQ(wait_done(gw, id)["status"], "completed");
}

// The client that started a streamed background run may leave: the run goes on and is stored.
TEST(BackgroundInteractions, SurvivesTheClientLeaving) {
  gateway_harness gw;
  gw.upstream().push(paced_stream(std::chrono::milliseconds(150)));
  auto opts = gw.client();
  opts.timeout = std::chrono::milliseconds(100);  // gives up before the run ends
  auto r = fake::testing::fetch(
      opts, "POST", base, R"({"model":"gpt-test","input":"hi","background":true,"stream":true})",
      json_body);
  EXPECT_TRUE(r.error || r.timed_out);
  ASSERT_FALSE(r.body.empty());
  auto events = sse_events(r.body.substr(0, r.body.find("\n\n") + 2));
  std::string id = events.front().second["interaction"]["id"];
  auto done = wait_done(gw, id);
  EXPECT_EQ(done["status"], "completed");
  EXPECT_EQ(text_of(done), "Hello, world");
}

// An upstream error ends the run failed, with the provider's reason kept and shown.
TEST(BackgroundInteractions, UpstreamErrorFailsTheRun) {
  gateway_harness gw;
  gw.upstream().push({500, R"({"error":{"message":"the model fell over","type":"server_error"}})"});
  std::string id = start(gw);
  auto done = wait_done(gw, id);
  EXPECT_EQ(done["status"], "failed");
  EXPECT_NE(done["error"]["message"].get<std::string>().find("the model fell over"),
            std::string::npos)
      << done.dump();
  // The replay of a failed run ends as the live stream did: with the error event.
  auto events = sse_events(gw.get(base + "/" + id + "?stream=true").body);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[events.size() - 2].first, "error");
}

// DELETE of a running interaction stops it, and its end never brings the record back.
TEST(BackgroundInteractions, DeleteWhileRunningStaysDeleted) {
  gateway_harness gw;
  gw.upstream().push(stalled_stream());
  std::string id = start(gw);
  wait_for_upstream_request(gw);
  ASSERT_EQ(gw.del(base + "/" + id).status, 200);
  // Bounded wait for the stopped run to end, final write included.
  for (int i = 0; i < 1000 && gw.app().running_interactions() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(gw.app().running_interactions(), 0u);
  EXPECT_EQ(gw.get(base + "/" + id).status, 404);
  EXPECT_EQ(gw.post(base + "/" + id + "/cancel", "", json_body).status, 404);
}

// A follower of a run that gets cancelled sees it end as cancelled, not as an upstream error.
TEST(BackgroundInteractions, FollowerSeesTheCancel) {
  gateway_harness gw;
  gw.upstream().push(stalled_stream());
  std::string id = start(gw);
  wait_for_upstream_request(gw);
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    gw.post(base + "/" + id + "/cancel", "", json_body);
  });
  auto r = gw.get(base + "/" + id + "?stream=true");
  canceller.join();
  ASSERT_EQ(r.status, 200);
  auto events = sse_events(r.body);
  ASSERT_GE(events.size(), 3u);
  for (const auto& [type, payload] : events) {
    EXPECT_NE(type, "error") << payload.dump();
  }
  EXPECT_EQ(events[events.size() - 2].first, "interaction.completed");
  EXPECT_EQ(events[events.size() - 2].second["interaction"]["status"], "cancelled");
  auto stored = json::parse(gw.get(base + "/" + id).body);
  EXPECT_EQ(stored["status"], "cancelled");
  EXPECT_FALSE(stored.contains("error")) << stored.dump();
}

// What the provider cannot take is refused before a background run is promised.
TEST(BackgroundInteractions, ProviderRefusalsComeFirst) {
  gateway_harness gw;
  auto r = gw.post(base, R"({"model":"gpt-test","background":true,
                             "input":[{"type":"video","mime_type":"video/mp4","data":"AAAA"}]})",
                   json_body);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(gw.upstream().requests().empty());
}

// Checked before anything is stored: an unknown model, or background without storage.
TEST(BackgroundInteractions, RequestErrorsComeFirst) {
  gateway_harness gw;
  auto unknown = gw.post(base, R"({"model":"nope","input":"hi","background":true})", json_body);
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  auto unstored = gw.post(
      base, R"({"model":"gpt-test","input":"hi","background":true,"store":false})", json_body);
  EXPECT_EQ(unstored.status, 400) << unstored.body;
  EXPECT_TRUE(gw.upstream().requests().empty());
}

// Shutdown stops running interactions and records them failed with the reason: nothing stays
// in_progress in the store.
TEST(BackgroundInteractions, ShutdownRecordsRunningAsFailed) {
  std::string path;
  std::string id;
  {
    gateway_harness gw;
    gw.upstream().push(stalled_stream());
    id = start(gw);
    wait_for_upstream_request(gw);
    path = gw.store_path();
    EXPECT_TRUE(gw.app().shutdown(std::chrono::milliseconds(5000)));
    std::string error;
    auto db = store::open_sqlite(path, error);
    ASSERT_TRUE(db) << error;
    auto got = db->get(id, "");
    ASSERT_TRUE(got && got->has_value());
    EXPECT_EQ((*got)->status, "failed");
    EXPECT_NE((*got)->error.find("shut down"), std::string::npos) << (*got)->error;
  }
}

}  // namespace
}  // namespace interlingua::testing
