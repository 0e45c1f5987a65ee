// Session chat through the running gateway: what is saved and when, error paths in the Julep
// envelope, render, the caller's own provider key, and history management.

#include "harness.hpp"

namespace interlingua::testing {
namespace {

using nlohmann::json;

const fake::testing::header_list json_body{{"content-type", "application/json"}};

struct chat_setup {
  std::string agent;
  std::string session;
};

chat_setup make_session(gateway_harness& gw) {
  auto agent = gw.post("/agents", R"({"name":"Ada","model":"gpt-test","instructions":"Be brief."})",
                       json_body);
  EXPECT_EQ(agent.status, 201) << agent.body;
  std::string agent_id = json::parse(agent.body)["id"];
  auto session =
      gw.post("/sessions", R"({"agent":")" + agent_id + R"(","situation":"testing"})", json_body);
  EXPECT_EQ(session.status, 201) << session.body;
  return {agent_id, json::parse(session.body)["id"]};
}

std::size_t history_size(gateway_harness& gw, const std::string& session) {
  auto r = gw.get("/sessions/" + session + "/history");
  EXPECT_EQ(r.status, 200) << r.body;
  return json::parse(r.body)["entries"].size();
}

// An upstream failure is an error in Julep's envelope, and nothing is saved.
TEST(SessionChat, UpstreamErrorSavesNothing) {
  gateway_harness gw;
  auto s = make_session(gw);
  gw.upstream().push({500, R"({"error":{"message":"model exploded","type":"server_error"}})"});
  auto r = gw.post("/sessions/" + s.session + "/chat",
                   R"({"messages":[{"role":"user","content":"hi"}]})", json_body);
  EXPECT_EQ(r.status, 503) << r.body;
  auto e = json::parse(r.body)["error"];
  EXPECT_NE(e["message"].get<std::string>().find("model exploded"), std::string::npos) << r.body;
  EXPECT_EQ(history_size(gw, s.session), 0u);
}

// A stream that fails midway is cut off (Julep sends no error event) and nothing is saved.
TEST(SessionChat, MidStreamFailureCutsAndSavesNothing) {
  gateway_harness gw;
  auto s = make_session(gw);
  fake::script broken{200, fixture("openai/stream_reasoning_text_usage.sse")};
  broken.fault_kind = fake::fault::reset_mid_stream;
  broken.fault_after_events = 3;
  gw.upstream().push(broken);
  auto r = gw.post("/sessions/" + s.session + "/chat",
                   R"({"messages":[{"role":"user","content":"hi"}],"stream":true})", json_body);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.error) << "the body should be cut off, got: " << r.body;
  EXPECT_EQ(history_size(gw, s.session), 0u);
}

// save:false answers without touching the history; the default saves both sides.
TEST(SessionChat, SaveFlag) {
  gateway_harness gw;
  auto s = make_session(gw);
  auto path = "/sessions/" + s.session + "/chat";
  EXPECT_EQ(gw.post(path, R"({"messages":[{"role":"user","content":"a"}],"save":false})", json_body)
                .status,
            201);
  EXPECT_EQ(history_size(gw, s.session), 0u);
  EXPECT_EQ(gw.post(path, R"({"messages":[{"role":"user","content":"b"}]})", json_body).status,
            201);
  EXPECT_EQ(history_size(gw, s.session), 2u);
  // Both saved entries name the chat's model (the agent's). An earlier version read it after
  // the request had been moved into the upstream call, and saved null.
  auto history = json::parse(gw.get("/sessions/" + s.session + "/history").body);
  for (const auto& entry : history["entries"]) {
    EXPECT_EQ(entry.value("model", json()), "gpt-test") << entry.dump();
  }
  // DELETE /history empties it and keeps the session.
  EXPECT_EQ(gw.del("/sessions/" + s.session + "/history").status, 202);
  EXPECT_EQ(history_size(gw, s.session), 0u);
  EXPECT_EQ(gw.get("/sessions/" + s.session).status, 200);
}

// A streamed chat frees its prompt once the answer begins (a long prompt is not held for the
// length of the stream), so what it saves must come from elsewhere: the client's message, the
// reply and the model are all in the history, and the next chat sends them upstream.
TEST(SessionChat, AStreamedChatSavesTheWholeExchange) {
  gateway_harness gw;
  auto s = make_session(gw);
  auto path = "/sessions/" + s.session + "/chat";
  const std::string long_message(40000, 'w');
  auto streamed = gw.post(
      path, R"({"messages":[{"role":"user","content":")" + long_message + R"("}],"stream":true})",
      json_body);
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  auto history = json::parse(gw.get("/sessions/" + s.session + "/history").body)["entries"];
  ASSERT_EQ(history.size(), 2u) << history.dump();
  for (const auto& entry : history) {
    EXPECT_EQ(entry.value("model", json()), "gpt-test") << entry.dump();
    EXPECT_EQ(entry["content"][0]["text"], long_message);  // the fake echoes the prompt
  }
  EXPECT_EQ(history[0]["role"], "user");
  EXPECT_EQ(history[1]["role"], "assistant");

  auto next = gw.post(path, R"({"messages":[{"role":"user","content":"and then?"}]})", json_body);
  ASSERT_EQ(next.status, 201) << next.body;
  auto sent = json::parse(gw.upstream().requests().back().body)["messages"];
  ASSERT_EQ(sent.size(), 4u) << sent.dump();  // system, the saved exchange, the new message
  EXPECT_EQ(sent[1]["content"], long_message);
  EXPECT_EQ(sent[2]["content"], long_message);
  EXPECT_EQ(sent[3]["content"], "and then?");
}

// render shows the prompt a chat would send, and neither calls the upstream nor saves.
TEST(SessionChat, RenderCallsNothing) {
  gateway_harness gw;
  auto s = make_session(gw);
  auto r = gw.post("/sessions/" + s.session + "/render",
                   R"({"messages":[{"role":"user","content":"hi"}]})", json_body);
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = json::parse(r.body);
  EXPECT_EQ(j["messages"][0]["role"], "system");
  EXPECT_NE(j["messages"][0]["content"].get<std::string>().find("Be brief."), std::string::npos);
  EXPECT_EQ(j["messages"][1]["content"], "hi");
  EXPECT_EQ(j["docs"], json::array());
  EXPECT_TRUE(gw.upstream().requests().empty());
  EXPECT_EQ(history_size(gw, s.session), 0u);
}

// Chat reads the session and agent documents through a per-thread cache of parsed documents: an
// edit of either must show in the very next prompt (the cache compares the stored text). One
// worker, so every render goes through the same thread's cache.
TEST(SessionChat, EditedAgentAndSessionShowInTheNextPrompt) {
  gateway_harness gw(gateway_options::with_env("IL_TEST_WORKERS", "1"));
  auto s = make_session(gw);
  const std::string render_path = "/sessions/" + s.session + "/render";
  const std::string input = R"({"messages":[{"role":"user","content":"hi"}]})";
  auto system_prompt = [&] {
    auto r = gw.post(render_path, input, json_body);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body)["messages"][0]["content"].get<std::string>();
  };
  std::string before = system_prompt();
  EXPECT_NE(before.find("Be brief."), std::string::npos) << before;
  auto edited = fake::testing::fetch(gw.client(), "PATCH", "/agents/" + s.agent,
                                     R"({"instructions":"Answer in verse."})", json_body);
  ASSERT_EQ(edited.status, 200) << edited.body;
  std::string after = system_prompt();
  EXPECT_EQ(after.find("Be brief."), std::string::npos) << after;
  EXPECT_NE(after.find("Answer in verse."), std::string::npos) << after;
  auto situation = fake::testing::fetch(gw.client(), "PATCH", "/sessions/" + s.session,
                                        R"({"situation":"a poetry reading"})", json_body);
  ASSERT_EQ(situation.status, 200) << situation.body;
  EXPECT_NE(system_prompt().find("a poetry reading"), std::string::npos);
}

// X-Custom-Api-Key replaces the configured provider key for that call only.
TEST(SessionChat, CustomApiKeyForOneCall) {
  gateway_harness gw;
  auto s = make_session(gw);
  auto path = "/sessions/" + s.session + "/chat";
  auto body = R"({"messages":[{"role":"user","content":"hi"}]})";
  fake::testing::header_list custom{{"content-type", "application/json"},
                                    {"x-custom-api-key", "sk-callers-own"}};
  ASSERT_EQ(gw.post(path, body, custom).status, 201);
  ASSERT_EQ(gw.post(path, body, json_body).status, 201);
  auto reqs = gw.upstream().requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].headers.at("authorization"), "Bearer sk-callers-own");
  EXPECT_EQ(reqs[1].headers.at("authorization"), "Bearer upstream-secret");
  // Never stored: the history holds messages only.
  EXPECT_EQ(gw.get("/sessions/" + s.session + "/history").body.find("sk-callers-own"),
            std::string::npos);
}

// Unknown ids are 404s in the envelope; ids that are not UUIDs are 422s naming the path.
TEST(SessionChat, UnknownAndMalformedIds) {
  gateway_harness gw;
  const std::string unknown = "0190f000-0000-7000-8000-0000000000aa";
  auto r = gw.post("/sessions/" + unknown + "/chat",
                   R"({"messages":[{"role":"user","content":"hi"}]})", json_body);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "http_404");
  EXPECT_EQ(gw.get("/agents/" + unknown).status, 404);
  auto bad = gw.get("/sessions/not-a-uuid");
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(json::parse(bad.body)["error"]["details"][0]["loc"], "path.session_id");
  // A session must name an agent that exists.
  auto orphan = gw.post("/sessions", R"({"agent":")" + unknown + R"("})", json_body);
  EXPECT_EQ(orphan.status, 404) << orphan.body;
  EXPECT_TRUE(gw.upstream().requests().empty());
}

// Deleting a session deletes its history; the SDK's /api base path reaches the same routes.
TEST(SessionChat, DeleteAndApiPrefix) {
  gateway_harness gw;
  auto s = make_session(gw);
  EXPECT_EQ(gw.post("/api/sessions/" + s.session + "/chat",
                    R"({"messages":[{"role":"user","content":"x"}]})", json_body)
                .status,
            201);
  auto del = gw.del("/api/sessions/" + s.session);
  EXPECT_EQ(del.status, 202);
  EXPECT_EQ(json::parse(del.body)["id"], s.session);
  EXPECT_EQ(gw.get("/sessions/" + s.session + "/history").status, 404);
}

}  // namespace
}  // namespace interlingua::testing
