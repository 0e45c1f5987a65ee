// Encoding core requests as Anthropic Messages requests: the mappings fixture, headers,
// sampling, thinking budgets, tools and their refusals, response formats, media.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <interlingua/core/json_util.hpp>
#include <interlingua/providers/anthropic.hpp>

#include "../support/events.hpp"

namespace interlingua {
namespace {

using nlohmann::json;
using testing::read_file;

const auto codec = providers::anthropic::make_codec();

const json& mappings() {
  static const json m =
      json::parse(read_file(std::string(IL_FIXTURES_DIR) + "/anthropic/encode_mappings.json"));
  return m;
}

core::tool_mode mode_named(const std::string& name) {
  if (name == "automatic") {
    return core::tool_mode::automatic;
  }
  if (name == "required") {
    return core::tool_mode::required;
  }
  if (name == "none") {
    return core::tool_mode::none;
  }
  return name == "validated" ? core::tool_mode::validated : core::tool_mode::unset;
}

core::reasoning_level level_named(const std::string& name) {
  for (auto [n, l] : {std::pair{"none", core::reasoning_level::none},
                      std::pair{"minimal", core::reasoning_level::minimal},
                      std::pair{"low", core::reasoning_level::low},
                      std::pair{"medium", core::reasoning_level::medium},
                      std::pair{"high", core::reasoning_level::high}}) {
    if (name == n) {
      return l;
    }
  }
  return core::reasoning_level::unset;
}

core::media_part media_of(const json& c) {
  return {c["kind"].get<std::string>(), c["mime_type"].get<std::string>(),
          c["data"].get<std::string>(), c["uri"].get<std::string>()};
}

// A fixture part: {"text"} | {"thought","signature","redacted"?} | {"call":{}} | {"result":{}}.
core::part part_of(const json& p) {
  if (p.contains("thought")) {
    return core::thought_part{p["thought"], p["signature"], p.value("redacted", false)};
  }
  if (p.contains("call")) {
    const json& c = p["call"];
    return core::tool_call_part{c["id"], c["name"], c["arguments"]};
  }
  if (p.contains("result")) {
    const json& r = p["result"];
    return core::tool_result_part{r["call_id"], r["name"], r["content"],
                                  r.value("is_error", false)};
  }
  return core::text_part{p["text"]};
}

core::turn turn_of(const json& t) {
  std::string who = t["role"];
  core::turn out{who == "assistant" ? core::role::assistant
                 : who == "tool"    ? core::role::tool
                                    : core::role::user,
                 {}};
  for (const auto& p : t["parts"]) {
    out.parts.push_back(part_of(p));
  }
  return out;
}

core::chat_request hello() {
  core::chat_request req;
  req.turns.push_back({core::role::user, {core::text_part{"Hi"}}});
  return req;
}

core::tool_decl function(const std::string& name) {
  return {name, "", "", "", ""};
}

// The encoded body, null when encoding failed.
json body_of(const core::chat_request& req) {
  auto body = providers::anthropic::encode_body(req, {"claude-up", "", {}});
  EXPECT_TRUE(body) << body.error().message;
  return body ? json::parse(*body) : json();
}

core::error refusal_of(const core::chat_request& req) {
  auto body = providers::anthropic::encode_body(req, {"claude-up", "", {}});
  EXPECT_FALSE(body);
  return body ? core::error{} : body.error();
}

json member_or_null(const json& j, const std::string& key) {
  return j.contains(key) ? j[key] : json();
}

// Strict user/assistant alternation, tool results, thoughts carried back (fixture "conversation").
TEST(AnthropicEncode, ConversationMappings) {
  for (const auto& c : mappings().at("conversation")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    core::chat_request req;
    for (const auto& t : c["turns"]) {
      req.turns.push_back(turn_of(t));
    }
    EXPECT_EQ(body_of(req)["messages"], c["expect"]);
  }
}

// The request line, headers and the plain fields: system, sampling, stop, stream, the model.
TEST(AnthropicEncode, RequestAndHeaders) {
  auto req = hello();
  req.system = "Be brief.";
  req.params.temperature = 0.5;
  req.params.top_p = 0.9;
  req.params.stop = {"END", "STOP"};
  req.stream = true;
  auto up = codec->encode(req, {"claude-up", "sk-ant-test", {{"anthropic-beta", "x-2025"}}});
  ASSERT_TRUE(up) << up.error().message;
  EXPECT_EQ(up->method, "POST");
  EXPECT_EQ(up->path, "/messages");
  EXPECT_TRUE(up->stream);
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& h : up->headers) {
    headers.emplace_back(h.name, h.value);
  }
  EXPECT_EQ(headers,
            (std::vector<std::pair<std::string, std::string>>{{"content-type", "application/json"},
                                                              {"accept", "text/event-stream"},
                                                              {"x-api-key", "sk-ant-test"},
                                                              {"anthropic-version", "2023-06-01"},
                                                              {"anthropic-beta", "x-2025"}}));
  json body = json::parse(up->body);
  EXPECT_EQ(body["model"], "claude-up");
  EXPECT_EQ(body["system"], "Be brief.");
  EXPECT_EQ(body["temperature"], 0.5);
  EXPECT_EQ(body["top_p"], 0.9);
  EXPECT_EQ(body["stop_sequences"], json::array({"END", "STOP"}));
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["max_tokens"], 4096);
}

// A configured anthropic-version wins and is not sent twice; no key means no x-api-key.
TEST(AnthropicEncode, PinnedVersionAndNoKey) {
  auto up = codec->encode(hello(), {"claude-up", "", {{"Anthropic-Version", "2023-01-01"}}});
  ASSERT_TRUE(up);
  int versions = 0;
  for (const auto& h : up->headers) {
    EXPECT_NE(h.name, "x-api-key");
    versions += h.name == "anthropic-version" || h.name == "Anthropic-Version";
  }
  EXPECT_EQ(versions, 1);
  EXPECT_EQ(json::parse(up->body).contains("stream"), false);
}

// Seed, penalties and logit_bias have no Anthropic field: dropped, not refused.
TEST(AnthropicEncode, UnsupportedSamplingIsDropped) {
  auto req = hello();
  req.params.seed = 7;
  req.params.frequency_penalty = 1;
  req.params.presence_penalty = 1;
  req.params.logit_bias = R"({"1":5})";
  json body = body_of(req);
  for (const char* key : {"seed", "frequency_penalty", "presence_penalty", "logit_bias"}) {
    EXPECT_FALSE(body.contains(key)) << key;
  }
}

// max_tokens is required and fits the thinking budget (fixture "length").
TEST(AnthropicEncode, MaxTokensAndThinkingBudget) {
  for (const auto& c : mappings().at("length")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    auto req = hello();
    req.params.reasoning = level_named(c["reasoning"]);
    if (c["max_output_tokens"].is_number()) {
      req.params.max_output_tokens = c["max_output_tokens"].get<std::int64_t>();
    }
    json body = body_of(req);
    EXPECT_EQ(body["max_tokens"], c["max_tokens"]);
    json expect =
        c["budget"].is_null() ? json() : json{{"type", "enabled"}, {"budget_tokens", c["budget"]}};
    EXPECT_EQ(member_or_null(body, "thinking"), expect);
    if (!expect.is_null()) {
      EXPECT_GE(body["thinking"]["budget_tokens"], 1024);
      EXPECT_LT(body["thinking"]["budget_tokens"], body["max_tokens"]);
    }
  }
}

// A cap below 1 cannot be sent: Anthropic needs max_tokens >= 1.
TEST(AnthropicEncode, ZeroMaxTokensIsRefused) {
  auto req = hello();
  req.params.max_output_tokens = 0;
  EXPECT_EQ(refusal_of(req).param, "max_output_tokens");
}

// Each core tool choice maps to Anthropic's, pruning tools for several allowed names
// (fixture "tool_choice").
TEST(AnthropicEncode, ToolChoiceMappings) {
  for (const auto& c : mappings().at("tool_choice")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    auto req = hello();
    req.tools = {function("get_weather"), function("get_time"), function("get_date")};
    req.tool_choice.mode = mode_named(c["mode"]);
    req.tool_choice.allowed = c["allowed"].get<std::vector<std::string>>();
    json body = body_of(req);
    EXPECT_EQ(member_or_null(body, "tool_choice"), c["expect"]);
    json names = json::array();
    for (const auto& t : body["tools"]) {
      names.push_back(t["name"]);
    }
    EXPECT_EQ(names, c["tools"]);
  }
}

// Tools are {name, description, input_schema}; no parameters is an empty object schema.
TEST(AnthropicEncode, ToolDeclarations) {
  auto req = hello();
  req.tools = {
      core::tool_decl{"get_time", "Current time",
                      R"({"type":"object","properties":{"tz":{"type":"string"}}})", "", ""},
      function("ping")};
  json tools = body_of(req)["tools"];
  EXPECT_EQ(tools[0],
            (json{{"name", "get_time"},
                  {"description", "Current time"},
                  {"input_schema",
                   {{"type", "object"}, {"properties", {{"tz", {{"type", "string"}}}}}}}}));
  EXPECT_EQ(tools[1],
            (json{{"name", "ping"},
                  {"input_schema", {{"type", "object"}, {"properties", json::object()}}}}));
}

// What Anthropic cannot do with tools is a 400 naming the field.
TEST(AnthropicEncode, ToolRefusals) {
  auto builtin = hello();
  builtin.tools = {function("get_time"), core::tool_decl{"", "", "", "google_search", ""}};
  auto e = refusal_of(builtin);
  EXPECT_EQ(e.kind, core::error_kind::invalid_request);
  EXPECT_EQ(e.param, "tools[1]");
  EXPECT_NE(e.message.find("built-in tool \"google_search\" needs a Gemini upstream"),
            std::string::npos);

  auto bad_schema = hello();
  bad_schema.tools = {core::tool_decl{"f", "", "[1]", "", ""}};
  EXPECT_EQ(refusal_of(bad_schema).param, "tools[0]");

  auto forced_without_tools = hello();
  forced_without_tools.tool_choice.mode = core::tool_mode::required;
  EXPECT_EQ(refusal_of(forced_without_tools).param, "tool_choice");

  auto unknown_name = hello();
  unknown_name.tools = {function("get_time")};
  unknown_name.tool_choice = {core::tool_mode::automatic, {"get_date"}};
  EXPECT_NE(refusal_of(unknown_name).message.find("\"get_date\""), std::string::npos);

  // Anthropic rejects a forced tool call while thinking, for every model.
  auto forced_thinking = hello();
  forced_thinking.tools = {function("get_time")};
  forced_thinking.tool_choice = {core::tool_mode::required, {"get_time"}};
  forced_thinking.params.reasoning = core::reasoning_level::low;
  EXPECT_EQ(refusal_of(forced_thinking).param, "tool_choice");
}

// JSON output: native json_schema with a schema, an instruction without (fixture
// "response_format").
TEST(AnthropicEncode, ResponseFormatMappings) {
  for (const auto& c : mappings().at("response_format")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    auto req = hello();
    req.system = "Be brief.";
    req.response_format.json = c["json"].get<bool>();
    req.response_format.schema =
        c["schema"].is_string() ? c["schema"].get<std::string>() : c["schema"].dump();
    json body = body_of(req);
    EXPECT_EQ(member_or_null(body, "output_config"), c["output_config"]);
    EXPECT_EQ(body["system"], c["system"]);
  }
  auto bad = hello();
  bad.response_format = {true, "\"a string\""};
  EXPECT_EQ(refusal_of(bad).param, "response_format");
}

// Images and PDFs become Anthropic image/document blocks (fixture "media").
TEST(AnthropicEncode, MediaMappings) {
  for (const auto& c : mappings().at("media")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    core::chat_request req;
    req.turns.push_back({core::role::user, {core::text_part{"Look"}, media_of(c)}});
    json content = body_of(req)["messages"][0]["content"];
    ASSERT_EQ(content.size(), 2u);
    EXPECT_EQ(content[0], (json{{"type", "text"}, {"text", "Look"}}));
    EXPECT_EQ(content[1], c["expect"]);
  }
}

// Media Anthropic cannot take is a 400 naming the input and the media kind (fixture
// "media_refused").
TEST(AnthropicEncode, MediaRefusalsNameTheInput) {
  for (const auto& c : mappings().at("media_refused")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    core::chat_request req;
    req.turns.push_back({core::role::user, {core::text_part{"Look"}, media_of(c)}});
    auto e = refusal_of(req);
    EXPECT_EQ(e.kind, core::error_kind::invalid_request);
    EXPECT_EQ(e.param, "input");
    EXPECT_NE(e.message.find(c["kind"].get<std::string>()), std::string::npos) << e.message;
  }
}

}  // namespace
}  // namespace interlingua
