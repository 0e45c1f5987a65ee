#include <gtest/gtest.h>

#include <map>

#include <nlohmann/json.hpp>

#include <interlingua/providers/gemini.hpp>

#include "../support/events.hpp"

namespace interlingua {
namespace {

using nlohmann::json;
using testing::read_file;

const auto codec = providers::gemini::make_codec();

const json& mappings() {
  static const json m =
      json::parse(read_file(std::string(IL_FIXTURES_DIR) + "/gemini/encode_mappings.json"));
  return m;
}

// --- building core requests from the fixture's descriptions ---

std::string text_of(const json& v) {
  return v.is_string() ? v.get<std::string>() : v.is_null() ? std::string{} : v.dump();
}

core::tool_result_part result_of(const json& r) {
  return {r["call_id"], r["name"], text_of(r["content"]), r.value("is_error", false)};
}

core::media_part media_of(const json& m) {
  return {m["kind"], m["mime_type"], m["data"], m["uri"]};
}

core::part part_of(const json& p) {
  if (p.contains("text")) {
    return core::text_part{p["text"]};
  }
  if (p.contains("thought")) {
    return core::thought_part{p["thought"], p.value("signature", ""), p.value("redacted", false)};
  }
  if (p.contains("call")) {
    const json& c = p["call"];
    return core::tool_call_part{c["id"], c["name"], text_of(c["arguments"])};
  }
  if (p.contains("result")) {
    return result_of(p["result"]);
  }
  return media_of(p["media"]);
}

core::tool_mode mode_named(const std::string& name) {
  static const std::map<std::string, core::tool_mode> modes{
      {"unset", core::tool_mode::unset},
      {"automatic", core::tool_mode::automatic},
      {"required", core::tool_mode::required},
      {"none", core::tool_mode::none},
      {"validated", core::tool_mode::validated}};
  return modes.at(name);
}

core::reasoning_level level_named(const std::string& name) {
  static const std::map<std::string, core::reasoning_level> levels{
      {"unset", core::reasoning_level::unset},     {"none", core::reasoning_level::none},
      {"minimal", core::reasoning_level::minimal}, {"low", core::reasoning_level::low},
      {"medium", core::reasoning_level::medium},   {"high", core::reasoning_level::high}};
  return levels.at(name);
}

void read_params(const json& p, core::generation_params& out) {
  auto number = [&](const char* key) {
    return p.contains(key) ? std::optional(p[key].get<double>()) : std::nullopt;
  };
  auto integer = [&](const char* key) {
    return p.contains(key) ? std::optional(p[key].get<std::int64_t>()) : std::nullopt;
  };
  out.temperature = number("temperature");
  out.top_p = number("top_p");
  out.presence_penalty = number("presence_penalty");
  out.frequency_penalty = number("frequency_penalty");
  out.max_output_tokens = integer("max_output_tokens");
  out.seed = integer("seed");
  out.stop = p.value("stop", std::vector<std::string>{});
  out.logit_bias = p.value("logit_bias", "");
}

core::chat_request request_of(const json& r) {
  core::chat_request req;
  req.system = r.value("system", "");
  for (const auto& t : r.value("turns", json::array())) {
    std::string who = t["role"];
    core::turn turn{who == "assistant" ? core::role::assistant
                    : who == "tool"    ? core::role::tool
                                       : core::role::user,
                    {}};
    for (const auto& p : t["parts"]) {
      turn.parts.push_back(part_of(p));
    }
    req.turns.push_back(std::move(turn));
  }
  for (const auto& t : r.value("tools", json::array())) {
    req.tools.push_back({t.value("name", ""), t.value("description", ""),
                         text_of(t.value("parameters", json())), t.value("builtin", ""),
                         text_of(t.value("options", json()))});
  }
  if (r.contains("tool_choice")) {
    req.tool_choice = {mode_named(r["tool_choice"]["mode"]), r["tool_choice"]["allowed"]};
  }
  if (r.contains("response_format")) {
    req.response_format = {r["response_format"]["json"], text_of(r["response_format"]["schema"])};
  }
  read_params(r.value("params", json::object()), req.params);
  return req;
}

json encode(const core::chat_request& req, const std::string& model = "gemini-2.5-flash") {
  auto body = providers::gemini::encode_body(req, {model, "", {}});
  EXPECT_TRUE(body) << body.error().message;
  return body ? json::parse(*body) : json();
}

// Each `expect` key must equal the body's member of that name (null: absent).
void expect_members(const json& body, const json& expect) {
  for (const auto& [key, value] : expect.items()) {
    EXPECT_EQ(body.contains(key) ? body[key] : json(), value) << key;
  }
}

// Roles, merging, the system instruction and thought signatures (fixture "contents", "signatures").
TEST(GeminiEncode, ContentsAndSignatures) {
  for (const char* section : {"contents", "signatures"}) {
    for (const auto& c : mappings()[section]) {
      SCOPED_TRACE(c["why"].get<std::string>());
      expect_members(encode(request_of(c["request"])), c["expect"]);
    }
  }
}

// Tool results become functionResponse parts (fixture "results").
TEST(GeminiEncode, FunctionResponses) {
  for (const auto& c : mappings()["results"]) {
    SCOPED_TRACE(c["why"].get<std::string>());
    core::chat_request req;
    req.turns.push_back({core::role::assistant, {core::tool_call_part{"c", "lookup", "{}"}}});
    req.turns.push_back({core::role::tool, {result_of(c["result"])}});
    EXPECT_EQ(encode(req)["contents"][1]["parts"][0]["functionResponse"], c["expect"]);
  }
}

// Call arguments become the args object (fixture "call_arguments").
TEST(GeminiEncode, CallArguments) {
  for (const auto& c : mappings()["call_arguments"]) {
    SCOPED_TRACE(c["why"].get<std::string>());
    core::chat_request req;
    req.turns.push_back({core::role::assistant, {core::tool_call_part{"x1", "f", c["arguments"]}}});
    EXPECT_EQ(encode(req)["contents"][0]["parts"][0]["functionCall"]["args"], c["expect"]);
  }
}

// Every media kind goes as inlineData or fileData (fixture "media").
TEST(GeminiEncode, Media) {
  for (const auto& c : mappings()["media"]) {
    SCOPED_TRACE(c["why"].get<std::string>());
    core::chat_request req;
    req.turns.push_back({core::role::user, {core::text_part{"Look"}, media_of(c["media"])}});
    const json parts = encode(req)["contents"][0]["parts"];
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[1], c["expect"]);
  }
}

// Function declarations, built-ins and toolConfig (fixture "tools", "tool_choice").
TEST(GeminiEncode, ToolsAndToolConfig) {
  for (const auto& c : mappings()["tools"]) {
    SCOPED_TRACE(c["why"].get<std::string>());
    expect_members(encode(request_of(c["request"])), c["expect"]);
  }
  for (const auto& c : mappings()["tool_choice"]) {
    SCOPED_TRACE(c["why"].get<std::string>());
    core::chat_request req;
    req.tools = {{"get_weather", "", "", "", ""}, {"get_time", "", "", "", ""}};
    req.tool_choice = {mode_named(c["mode"]), c["allowed"]};
    json body = encode(req);
    json expect = c["expect"].is_null() ? json() : json{{"functionCallingConfig", c["expect"]}};
    EXPECT_EQ(body.contains("toolConfig") ? body["toolConfig"] : json(), expect);
  }
}

// Sampling, length and structured output in generationConfig (fixture "generation").
TEST(GeminiEncode, GenerationConfig) {
  for (const auto& c : mappings()["generation"]) {
    SCOPED_TRACE(c["why"].get<std::string>());
    expect_members(encode(request_of(c["request"])), c["expect"]);
  }
}

// Reasoning becomes thinkingLevel or thinkingBudget by model family (fixture "thinking").
TEST(GeminiEncode, ThinkingConfig) {
  for (const auto& c : mappings()["thinking"]) {
    SCOPED_TRACE(c["why"].get<std::string>());
    core::chat_request req;
    req.params.reasoning = level_named(c["reasoning"]);
    req.params.reasoning_summaries = c["summaries"];
    json body = encode(req, c["model"]);
    json config = body.contains("generationConfig") ? body["generationConfig"] : json::object();
    EXPECT_EQ(config.contains("thinkingConfig") ? config["thinkingConfig"] : json(), c["expect"]);
  }
}

// What Gemini would refuse is a 400 here, naming the field (fixture "refused").
TEST(GeminiEncode, RefusalsNameTheField) {
  for (const auto& c : mappings()["refused"]) {
    SCOPED_TRACE(c["why"].get<std::string>());
    auto body =
        providers::gemini::encode_body(request_of(c["request"]), {"gemini-2.5-flash", "", {}});
    ASSERT_FALSE(body);
    EXPECT_EQ(body.error().kind, core::error_kind::invalid_request);
    EXPECT_EQ(body.error().param, c["param"]);
    EXPECT_EQ(body.error().message,
              c["param"].get<std::string>() + ": " + c["message"].get<std::string>());
  }
}

// The method path names the model (streaming adds alt=sse for SSE instead of a JSON array); the
// key travels in x-goog-api-key, never the query string.
TEST(GeminiEncode, PathAndHeaders) {
  core::chat_request req;
  req.turns.push_back({core::role::user, {core::text_part{"Hi"}}});
  auto unary = codec->encode(req, {"gemini-2.5-flash", "k-123", {{"x-extra", "1"}}});
  ASSERT_TRUE(unary);
  EXPECT_EQ(unary->path, "/models/gemini-2.5-flash:generateContent");
  EXPECT_FALSE(unary->stream);
  std::map<std::string, std::string> headers;
  for (const auto& h : unary->headers) {
    headers[h.name] = h.value;
  }
  EXPECT_EQ(headers["x-goog-api-key"], "k-123");
  EXPECT_EQ(headers["content-type"], "application/json");
  EXPECT_EQ(headers["x-extra"], "1");
  EXPECT_FALSE(json::parse(unary->body).contains("model"));
  req.stream = true;
  auto streamed = codec->encode(req, {"models/gemini-3-pro-preview", "", {}});
  ASSERT_TRUE(streamed);
  EXPECT_EQ(streamed->path, "/models/gemini-3-pro-preview:streamGenerateContent?alt=sse");
  EXPECT_TRUE(streamed->stream);
  for (const auto& h : streamed->headers) {
    EXPECT_NE(h.name, "x-goog-api-key");
  }
  EXPECT_EQ(providers::gemini::encode_path({"tunedModels/my-model-1", "", {}}, false),
            "/tunedModels/my-model-1:generateContent");
  EXPECT_EQ(providers::gemini::encode_path({"a b?c#d", "", {}}, false),
            "/models/a%20b%3Fc%23d:generateContent");
}

}  // namespace
}  // namespace interlingua
