#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <interlingua/providers/openai_chat.hpp>

#include "../support/events.hpp"

namespace interlingua {
namespace {

using nlohmann::json;

const json& mappings() {
  static const json m = json::parse(
      testing::read_file(std::string(IL_FIXTURES_DIR) + "/openai/encode_mappings.json"));
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

core::tool_decl function(const std::string& name) {
  return {name, "", "", "", ""};
}

core::media_part media_of(const json& c) {
  return {c["kind"].get<std::string>(), c["mime_type"].get<std::string>(),
          c["data"].get<std::string>(), c["uri"].get<std::string>()};
}

// The member `key` of the encoded body, null when absent.
json encoded(const core::chat_request& req, const std::string& key) {
  auto body = providers::openai_chat::encode_body(req, {"gpt-up", "", {}});
  EXPECT_TRUE(body) << body.error().message;
  if (!body) {
    return nullptr;
  }
  json j = json::parse(*body);
  return j.contains(key) ? j[key] : json();
}

core::result<std::string> encode_media(const core::media_part& m) {
  core::chat_request req;
  req.turns.push_back({core::role::user, {core::text_part{"Look"}, m}});
  return providers::openai_chat::encode_body(req, {"gpt-up", "", {}});
}

// Each core tool choice maps to its Chat Completions form (fixture "tool_choice").
TEST(OpenAiChatEncodeToolChoice, Mappings) {
  for (const auto& c : mappings().at("tool_choice")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    core::chat_request req;
    req.tools = {function("get_weather"), function("get_time")};
    req.tool_choice.mode = mode_named(c["mode"].get<std::string>());
    req.tool_choice.allowed = c["allowed"].get<std::vector<std::string>>();
    EXPECT_EQ(encoded(req, "tool_choice"), c["expect"]);
    EXPECT_EQ(encoded(req, "tools").size(), 2u);  // allowed names never prune `tools`
  }
}

// A forced call with no tool at all is refused here instead of upstream.
TEST(OpenAiChatEncodeToolChoice, RequiredWithoutToolsIsRefused) {
  core::chat_request req;
  req.tool_choice.mode = core::tool_mode::required;
  auto body = providers::openai_chat::encode_body(req, {"gpt-up", "", {}});
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().kind, core::error_kind::invalid_request);
  EXPECT_EQ(body.error().param, "tool_choice");
}

// A tool choice without tools that forces nothing is simply left out.
TEST(OpenAiChatEncodeToolChoice, NoToolsNoChoice) {
  core::chat_request req;
  req.tool_choice.mode = core::tool_mode::none;
  EXPECT_TRUE(encoded(req, "tool_choice").is_null());
  EXPECT_TRUE(encoded(req, "tools").is_null());
}

// Built-in tools need a Gemini upstream: a 400 naming the tool's position and kind.
TEST(OpenAiChatEncodeTools, BuiltinIsRefused) {
  core::chat_request req;
  req.tools = {function("get_time"), core::tool_decl{"", "", "", "google_search", ""}};
  auto body = providers::openai_chat::encode_body(req, {"gpt-up", "", {}});
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().kind, core::error_kind::invalid_request);
  EXPECT_EQ(body.error().param, "tools[1]");
  EXPECT_NE(body.error().message.find("built-in tool \"google_search\" needs a Gemini upstream"),
            std::string::npos)
      << body.error().message;
}

// Structured output maps to json_object or json_schema (fixture "response_format").
TEST(OpenAiChatEncodeResponseFormat, Mappings) {
  for (const auto& c : mappings().at("response_format")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    core::chat_request req;
    req.response_format.json = c["json"].get<bool>();
    req.response_format.schema =
        c["schema"].is_string() ? c["schema"].get<std::string>() : c["schema"].dump();
    EXPECT_EQ(encoded(req, "response_format"), c["expect"]);
  }
}

// Images, wav/mp3 audio and PDFs become their Chat Completions content parts (fixture "media").
TEST(OpenAiChatEncodeMedia, Mappings) {
  for (const auto& c : mappings().at("media")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    auto body = encode_media(media_of(c));
    ASSERT_TRUE(body) << body.error().message;
    const json content = json::parse(*body)["messages"][0]["content"];
    ASSERT_EQ(content.size(), 2u);
    EXPECT_EQ(content[0], (json{{"type", "text"}, {"text", "Look"}}));
    EXPECT_EQ(content[1], c["expect"]);
  }
}

// Media the provider cannot take is a 400 naming the input and the media kind
// (fixture "media_refused").
TEST(OpenAiChatEncodeMedia, RefusalsNameTheInput) {
  for (const auto& c : mappings().at("media_refused")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    auto body = encode_media(media_of(c));
    ASSERT_FALSE(body);
    EXPECT_EQ(body.error().kind, core::error_kind::invalid_request);
    EXPECT_EQ(body.error().param, "input");
    EXPECT_NE(body.error().message.find(c["kind"].get<std::string>()), std::string::npos)
        << body.error().message;
  }
}

// Penalties and logit_bias map to Chat Completions' fields of the same names (fixture "params").
TEST(OpenAiChatEncodeParams, PenaltiesAndLogitBias) {
  for (const auto& c : mappings().at("params")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    core::chat_request req;
    if (c["frequency_penalty"].is_number()) {
      req.params.frequency_penalty = c["frequency_penalty"].get<double>();
    }
    if (c["presence_penalty"].is_number()) {
      req.params.presence_penalty = c["presence_penalty"].get<double>();
    }
    req.params.logit_bias = c["logit_bias"].get<std::string>();
    for (const char* key : {"frequency_penalty", "presence_penalty", "logit_bias"}) {
      EXPECT_EQ(encoded(req, key), c["expect"][key]) << key;
    }
  }
}

}  // namespace
}  // namespace interlingua
