#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <interlingua/dialects/interactions.hpp>

#include "../support/events.hpp"

namespace interlingua {
namespace {

using dialects::interactions::parse_create;
using nlohmann::json;

std::string fixture(const std::string& name) {
  return testing::read_file(std::string(IL_FIXTURES_DIR) + "/interactions/" + name);
}

core::chat_request parsed(const std::string& name) {
  auto r = parse_create(fixture(name));
  EXPECT_TRUE(r) << name << ": " << (r ? "" : r.error().message);
  return r ? r->chat : core::chat_request{};
}

// Without tool_choice the provider's default applies: nothing is forced or restricted.
TEST(InteractionsToolChoice, AbsentMeansUnset) {
  auto chat = parsed("create_steps_roundtrip.json");
  EXPECT_EQ(chat.tool_choice.mode, core::tool_mode::unset);
  EXPECT_TRUE(chat.tool_choice.allowed.empty());
}

// The string form "any" forces a call to one of the declared functions.
TEST(InteractionsToolChoice, StringModeAny) {
  auto chat = parsed("create_tool_choice_any.json");
  EXPECT_EQ(chat.tool_choice.mode, core::tool_mode::required);
  EXPECT_TRUE(chat.tool_choice.allowed.empty());
}

// allowed_tools keeps its mode and names, including names from function_declarations groups.
TEST(InteractionsToolChoice, AllowedToolsWithMode) {
  auto chat = parsed("create_tool_choice_allowed.json");
  EXPECT_EQ(chat.tool_choice.mode, core::tool_mode::validated);
  EXPECT_EQ(chat.tool_choice.allowed, (std::vector<std::string>{"get_weather", "get_time"}));
}

// allowed_tools without a mode restricts the choice without forcing a call.
TEST(InteractionsToolChoice, AllowedToolsWithoutModeIsAuto) {
  auto chat = parsed("create_tool_choice_allowed_no_mode.json");
  EXPECT_EQ(chat.tool_choice.mode, core::tool_mode::automatic);
  EXPECT_EQ(chat.tool_choice.allowed, std::vector<std::string>{"get_time"});
}

// Built-in tools reach core with their kind and settings, so that a provider decides about them.
TEST(InteractionsBuiltinTools, BecomeCoreBuiltins) {
  auto chat = parsed("create_builtin_tools.json");
  ASSERT_EQ(chat.tools.size(), 5u);
  EXPECT_EQ(chat.tools[0].builtin, "google_search");
  EXPECT_EQ(json::parse(chat.tools[0].options), (json{{"search_types", {"web_search"}}}));
  EXPECT_EQ(chat.tools[1].builtin, "code_execution");
  EXPECT_TRUE(chat.tools[1].options.empty());
  EXPECT_EQ(chat.tools[2].builtin, "url_context");
  EXPECT_EQ(chat.tools[3].builtin, "mcp_server");
  EXPECT_EQ(chat.tools[3].name, "weather");
  EXPECT_EQ(json::parse(chat.tools[3].options)["url"], "https://mcp.example.com/sse");
  EXPECT_TRUE(chat.tools[4].builtin.empty());
  EXPECT_EQ(chat.tools[4].name, "get_time");
  EXPECT_EQ(chat.tool_choice.mode, core::tool_mode::automatic);
}

// Plain requests ask for free text.
TEST(InteractionsResponseFormat, AbsentMeansText) {
  auto chat = parsed("create_string.json");
  EXPECT_FALSE(chat.response_format.json);
  EXPECT_TRUE(chat.response_format.schema.empty());
}

// The steps-era typed form: text + application/json + schema (spec §4.7).
TEST(InteractionsResponseFormat, TypedTextWithSchema) {
  auto chat = parsed("create_response_format_typed.json");
  ASSERT_TRUE(chat.response_format.json);
  auto schema = json::parse(chat.response_format.schema);
  EXPECT_EQ(schema["type"], "object");
  EXPECT_EQ(schema["required"], json::array({"cities"}));
}

// The typed form may come as a list; a schema alone implies JSON output.
TEST(InteractionsResponseFormat, ListWithSchemaAndNoMimeType) {
  auto chat = parsed("create_response_format_list.json");
  ASSERT_TRUE(chat.response_format.json);
  EXPECT_EQ(json::parse(chat.response_format.schema)["type"], "array");
}

// application/json without a schema asks for any JSON object.
TEST(InteractionsResponseFormat, JsonWithoutSchema) {
  auto chat = parsed("create_response_format_json_no_schema.json");
  EXPECT_TRUE(chat.response_format.json);
  EXPECT_TRUE(chat.response_format.schema.empty());
}

// An explicit text/plain format is the default, not an error.
TEST(InteractionsResponseFormat, PlainTextIsTheDefault) {
  auto chat = parsed("create_response_format_plain_text.json");
  EXPECT_FALSE(chat.response_format.json);
}

// Legacy: a raw JSON Schema in response_format with response_mime_type application/json.
TEST(InteractionsResponseFormat, LegacyRawSchema) {
  auto chat = parsed("create_response_format_legacy.json");
  ASSERT_TRUE(chat.response_format.json);
  auto schema = json::parse(chat.response_format.schema);
  EXPECT_EQ(schema["properties"]["population"]["type"], "integer");
}

// Google's own sample sends a raw schema of type array without response_mime_type.
TEST(InteractionsResponseFormat, LegacyRawSchemaWithoutMimeType) {
  auto chat = parsed("create_response_format_legacy_no_mime.json");
  ASSERT_TRUE(chat.response_format.json);
  EXPECT_EQ(json::parse(chat.response_format.schema)["description"], "A list of jokes");
}

// Legacy response_mime_type alone asks for JSON without a schema.
TEST(InteractionsResponseFormat, MimeTypeAlone) {
  auto chat = parsed("create_response_mime_only.json");
  EXPECT_TRUE(chat.response_format.json);
  EXPECT_TRUE(chat.response_format.schema.empty());
}

// Every malformed tool_choice, tool or response_format is a 400 that names the field.
TEST(InteractionsStructuredErrors, NameTheField) {
  json cases = json::parse(fixture("structured_errors.json"));
  ASSERT_FALSE(cases.empty());
  for (const auto& c : cases) {
    SCOPED_TRACE(c["why"].get<std::string>());
    auto r = parse_create(c["body"].dump());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, core::error_kind::invalid_request);
    EXPECT_EQ(r.error().param, c["param"].get<std::string>()) << r.error().message;
    EXPECT_EQ(r.error().message.rfind(r.error().param + ": ", 0), 0u) << r.error().message;
    if (c.contains("mentions")) {
      EXPECT_NE(r.error().message.find(c["mentions"].get<std::string>()), std::string::npos)
          << r.error().message;
    }
  }
}

}  // namespace
}  // namespace interlingua
