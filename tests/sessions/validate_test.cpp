#include <map>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <interlingua/dialects/sessions.hpp>

#include "../support/events.hpp"

namespace interlingua {
namespace {

using nlohmann::json;
namespace sessions = dialects::sessions;

const json& fixture(const std::string& name) {
  static std::map<std::string, json> loaded;
  auto it = loaded.find(name);
  if (it == loaded.end()) {
    it = loaded
             .emplace(name, json::parse(testing::read_file(std::string(IL_FIXTURES_DIR) +
                                                           "/sessions/" + name)))
             .first;
  }
  return it->second;
}

// A case's body: raw text when the fixture gives a string, else the JSON it gives.
std::string body_of(const json& c) {
  return c["body"].is_string() ? c["body"].get<std::string>() : c["body"].dump();
}

std::string describe(const std::vector<sessions::issue>& issues) {
  std::string out;
  for (const auto& i : issues) {
    out += "\n  " + i.loc + ": " + i.type + " (" + i.msg + ") received " + i.received;
  }
  return out;
}

// Every range edge, every union member and every strict boolean that upstream accepts is
// accepted (fixture "accept").
TEST(SessionsChatInput, AcceptedCases) {
  for (const auto& c : fixture("chat_input_cases.json").at("accept")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    auto r = sessions::parse_chat_input(body_of(c));
    EXPECT_TRUE(r) << (r ? "" : describe(r.error().details));
  }
}

// Just outside every range, and every malformed shape, is a 422 naming the field with the
// pydantic error type, and nothing else (fixture "reject").
TEST(SessionsChatInput, RejectedCases) {
  for (const auto& c : fixture("chat_input_cases.json").at("reject")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    auto r = sessions::parse_chat_input(body_of(c));
    ASSERT_FALSE(r);
    const auto& p = r.error();
    EXPECT_EQ(p.status, 422u);
    EXPECT_EQ(p.code, "validation_error");
    bool found = false;
    for (const auto& i : p.details) {
      found = found || (i.loc == c["loc"] && i.type == c["type"]);
    }
    EXPECT_TRUE(found) << "want " << c["loc"] << " " << c["type"] << ", got" << describe(p.details);
    EXPECT_EQ(p.details.size(), c.value("count", 1u)) << describe(p.details);
  }
}

// The whole 422 body as the routes send it: every violation, in field order, msg and received
// as upstream prints them (fixture "envelopes").
TEST(SessionsChatInput, RenderedEnvelopes) {
  for (const auto& c : fixture("settings_and_errors.json").at("envelopes")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    auto r = sessions::parse_chat_input(c["body"].dump());
    ASSERT_FALSE(r);
    auto out = sessions::render_problem(r.error());
    EXPECT_EQ(out.status, 422u);
    EXPECT_EQ(json::parse(out.body), c["expect"]);
  }
}

// The spec's full example: flags, model and metadata land in their fields, and settings hold
// only the generation fields the client sent.
TEST(SessionsChatInput, FieldsOfTheFullExample) {
  json body;
  for (const auto& c : fixture("chat_input_cases.json").at("accept")) {
    if (c["why"] == "the spec's full example") {
      body = c["body"];
    }
  }
  ASSERT_TRUE(body.is_object());
  auto r = sessions::parse_chat_input(body.dump());
  ASSERT_TRUE(r) << describe(r.error().details);
  EXPECT_EQ(r->messages, body["messages"]);
  EXPECT_EQ(r->model, "gpt-4o-mini");
  EXPECT_FALSE(r->recall);
  EXPECT_TRUE(r->save);
  EXPECT_FALSE(r->stream);
  EXPECT_TRUE(r->recall_tools);
  EXPECT_FALSE(r->agent);
  EXPECT_TRUE(r->tools.empty());
  EXPECT_TRUE(r->tool_choice.is_null());
  EXPECT_EQ(r->metadata, body["metadata"]);
  EXPECT_EQ(r->settings, (json{{"temperature", 0.3},
                               {"max_tokens", 256},
                               {"stop", {"\n\n"}},
                               {"seed", 7},
                               {"response_format", {{"type", "json_object"}}}}));
}

// Defaults when only messages are sent: save, recall, recall_tools on; stream off; no settings.
TEST(SessionsChatInput, Defaults) {
  auto r = sessions::parse_chat_input(R"({"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->save);
  EXPECT_TRUE(r->recall);
  EXPECT_TRUE(r->recall_tools);
  EXPECT_FALSE(r->stream);
  EXPECT_FALSE(r->model);
  EXPECT_TRUE(r->metadata.is_null());
  EXPECT_EQ(r->settings, json::object());
}

// Any UUID form Python reads names the same agent, so it is handed on in canonical form; a
// setting sent as null is kept to override the agent's default.
TEST(SessionsChatInput, AgentIsCanonicalAndNullSettingsAreKept) {
  auto r = sessions::parse_chat_input(
      R"({"messages":[{"role":"user"}],"agent":"{0190F000-0000-7000-8000-0000000000AA}",)"
      R"("temperature":null,"seed":7.0,"stream":true,"save":false})");
  ASSERT_TRUE(r) << describe(r.error().details);
  EXPECT_EQ(r->agent, "0190f000-0000-7000-8000-0000000000aa");
  EXPECT_EQ(r->settings, (json{{"temperature", nullptr}, {"seed", 7}}));
  EXPECT_TRUE(r->settings["seed"].is_number_integer());
  EXPECT_TRUE(r->stream);
  EXPECT_FALSE(r->save);
}

// The summary of what apply_settings put on the core request, to compare with a fixture.
json summary(const core::chat_request& req) {
  const auto& p = req.params;
  auto opt = [](const auto& o) { return o ? json(*o) : json(); };
  return {{"temperature", opt(p.temperature)},
          {"top_p", opt(p.top_p)},
          {"max_output_tokens", opt(p.max_output_tokens)},
          {"seed", opt(p.seed)},
          {"stop", p.stop},
          {"frequency_penalty", opt(p.frequency_penalty)},
          {"presence_penalty", opt(p.presence_penalty)},
          {"logit_bias", p.logit_bias.empty() ? json() : json::parse(p.logit_bias)},
          {"json", req.response_format.json},
          {"schema",
           req.response_format.schema.empty() ? json() : json::parse(req.response_format.schema)}};
}

// Merged settings onto the core request (fixture "settings"), including the knobs dropped.
TEST(SessionsApplySettings, Mappings) {
  for (const auto& c : fixture("settings_and_errors.json").at("settings")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    core::chat_request req;
    sessions::apply_settings(c["settings"], req);
    EXPECT_EQ(summary(req), c["expect"]);
  }
}

// A non-422 problem is the http_error envelope with code http_<status>.
TEST(SessionsErrors, NotFoundIsHttpError) {
  auto out = sessions::render_problem(sessions::not_found("session", "0190-x"));
  EXPECT_EQ(out.status, 404u);
  EXPECT_EQ(json::parse(out.body), (json{{"error",
                                          {{"message", "No session found: 0190-x"},
                                           {"code", "http_404"},
                                           {"type", "http_error"}}}}));
  EXPECT_EQ(sessions::not_found("agent", "a1").message, "No agent found: a1");
}

// A 400 built with only a status and message gets the http code, not validation_error.
TEST(SessionsErrors, OtherStatusGetsHttpCode) {
  sessions::problem p{400, "Streaming is not supported when auto_run_tools is enabled"};
  auto out = sessions::render_problem(p);
  EXPECT_EQ(out.status, 400u);
  EXPECT_EQ(json::parse(out.body)["error"]["code"], "http_400");
  EXPECT_EQ(json::parse(out.body)["error"]["type"], "http_error");
}

// An upstream error keeps the provider's message under the status its kind maps to.
TEST(SessionsErrors, UpstreamErrorKeepsProviderMessage) {
  auto e = core::error_from_upstream_status(429, "Rate limit reached for gpt-4o", 3);
  auto out = sessions::render_error(e);
  EXPECT_EQ(out.status, 429u);
  EXPECT_EQ(json::parse(out.body), (json{{"error",
                                          {{"message", "Rate limit reached for gpt-4o"},
                                           {"code", "http_429"},
                                           {"type", "http_error"}}}}));
  auto bad_gateway = sessions::render_error(
      core::make_error(core::error_kind::upstream_error, "upstream sent garbage"));
  EXPECT_EQ(bad_gateway.status, 502u);
  EXPECT_EQ(json::parse(bad_gateway.body)["error"]["code"], "http_502");
}

// An error with no message still tells the client something.
TEST(SessionsErrors, EmptyMessageGetsReasonPhrase) {
  auto out = sessions::render_error(core::make_error(core::error_kind::upstream_timeout, ""));
  EXPECT_EQ(out.status, 504u);
  EXPECT_EQ(json::parse(out.body)["error"]["message"], "Gateway Timeout");
}

}  // namespace
}  // namespace interlingua
