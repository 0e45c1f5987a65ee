#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <interlingua/dialects/interactions.hpp>

#include "../support/events.hpp"

namespace interlingua {
namespace {

using dialects::interactions::parse_create;

std::string fixture(const std::string& name) {
  return testing::read_file(std::string(IL_FIXTURES_DIR) + "/interactions/" + name);
}

const std::string& text_of(const core::part& p) {
  return std::get<core::text_part>(p).text;
}

// A plain string input with system instruction and every basic generation_config field.
TEST(InteractionsParse, StringInputAndGenerationConfig) {
  auto r = parse_create(fixture("create_string.json"));
  ASSERT_TRUE(r) << r.error().message;
  const auto& chat = r->chat;
  EXPECT_EQ(chat.model, "gemini-2.5-flash");
  EXPECT_EQ(chat.system, "Be brief.");
  ASSERT_EQ(chat.turns.size(), 1u);
  EXPECT_EQ(chat.turns[0].who, core::role::user);
  EXPECT_EQ(text_of(chat.turns[0].parts.at(0)), "Tell me a joke.");
  EXPECT_EQ(chat.params.temperature, 0.7);
  EXPECT_EQ(chat.params.top_p, 0.9);
  EXPECT_EQ(chat.params.max_output_tokens, 128);
  EXPECT_EQ(chat.params.stop, std::vector<std::string>{"END"});
  EXPECT_EQ(chat.params.seed, 7);
  EXPECT_EQ(chat.params.reasoning, core::reasoning_level::low);
  EXPECT_TRUE(chat.params.reasoning_summaries);
  EXPECT_FALSE(chat.stream);
  EXPECT_TRUE(r->store);  // store defaults to true
}

// A list of content objects is one user turn; system_instruction may be a content object.
TEST(InteractionsParse, ContentListIsOneUserTurn) {
  auto r = parse_create(fixture("create_content_list.json"));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->chat.turns.size(), 1u);
  EXPECT_EQ(r->chat.turns[0].parts.size(), 2u);
  EXPECT_EQ(r->chat.system, "You are terse.");
  EXPECT_TRUE(r->chat.stream);
  EXPECT_FALSE(r->store);
}

// Output steps pushed back verbatim as input must round-trip (spec §4.2).
TEST(InteractionsParse, StepsRoundTripAsHistory) {
  auto r = parse_create(fixture("create_steps_roundtrip.json"));
  ASSERT_TRUE(r) << r.error().message;
  const auto& turns = r->chat.turns;
  ASSERT_EQ(turns.size(), 5u);
  EXPECT_EQ(turns[0].who, core::role::user);
  EXPECT_EQ(turns[1].who, core::role::assistant);
  ASSERT_EQ(turns[1].parts.size(), 2u);
  EXPECT_EQ(std::get<core::thought_part>(turns[1].parts[0]).signature, "CqwB-signature");
  const auto& call = std::get<core::tool_call_part>(turns[1].parts[1]);
  EXPECT_EQ(call.id, "r7b1dyif");
  EXPECT_EQ(call.arguments, R"({"city":"Paris"})");
  const auto& result = std::get<core::tool_result_part>(turns[2].parts.at(0));
  EXPECT_EQ(result.call_id, "r7b1dyif");
  EXPECT_EQ(result.content, "sunny");
  EXPECT_EQ(turns[3].who, core::role::assistant);
  EXPECT_EQ(text_of(turns[3].parts.at(0)), "It is sunny.");
  EXPECT_EQ(text_of(turns[4].parts.at(0)), "Thanks");
  ASSERT_EQ(r->chat.tools.size(), 2u);
  EXPECT_EQ(r->chat.tools[0].name, "get_weather");
  EXPECT_EQ(r->chat.tools[1].name, "get_time");
}

// Legacy {role, content} turns from 1.x-era clients still parse.
TEST(InteractionsParse, LegacyTurns) {
  auto r = parse_create(fixture("create_legacy_turns.json"));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->chat.turns.size(), 3u);
  EXPECT_EQ(r->chat.turns[1].who, core::role::assistant);
  EXPECT_EQ(text_of(r->chat.turns[1].parts.at(0)), "Hello!");
}

// Legacy {role, content} turns carried thoughts, calls and results as contents too (spec §4.2).
TEST(InteractionsParse, LegacyTurnsWithToolContents) {
  auto r = parse_create(fixture("create_legacy_turns_tools.json"));
  ASSERT_TRUE(r) << r.error().message;
  const auto& turns = r->chat.turns;
  ASSERT_EQ(turns.size(), 3u);
  EXPECT_EQ(turns[1].who, core::role::assistant);
  ASSERT_EQ(turns[1].parts.size(), 2u);
  EXPECT_EQ(std::get<core::thought_part>(turns[1].parts[0]).signature, "c2lnbmF0dXJl");
  const auto& call = std::get<core::tool_call_part>(turns[1].parts[1]);
  EXPECT_EQ(call.id, "call_1");
  EXPECT_EQ(call.arguments, R"({"city":"Paris"})");
  const auto& result = std::get<core::tool_result_part>(turns[2].parts.at(0));
  EXPECT_EQ(result.call_id, "call_1");
  EXPECT_EQ(result.content, "sunny");
}

// The request is read from a JSON tape, not a tree; what the tree gave is kept: a repeated key's
// last value and sorted keys in JSON kept as text.
TEST(InteractionsParse, ReadsAsTheTreeDid) {
  auto r = parse_create(R"({"model":"a","model":"gemini-2.5-flash","service_tier":"flex",
    "input":{"type":"function_call","id":"c1","name":"f","arguments":{"b":1,"a":{"y":2,"x":1}}},
    "generation_config":{"seed":9223372036854775807,"seed":-2},
    "response_format":{"type":"text","mime_type":"application/json",
                       "schema":{"type":"object","properties":{"b":{},"a":{}}}},
    "tools":[{"type":"google_search","z":1,"a":{"old":true},"a":{"new":true}}]})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->chat.model, "gemini-2.5-flash");
  EXPECT_EQ(r->chat.params.seed, -2);
  EXPECT_EQ(std::get<core::tool_call_part>(r->chat.turns.at(0).parts.at(0)).arguments,
            R"({"a":{"x":1,"y":2},"b":1})");
  EXPECT_EQ(r->chat.response_format.schema, R"({"properties":{"a":{},"b":{}},"type":"object"})");
  ASSERT_EQ(r->chat.tools.size(), 1u);
  EXPECT_EQ(r->chat.tools[0].options, R"({"a":{"new":true},"z":1})");
  EXPECT_EQ(r->config,
            R"({"generation_config":{"seed":-2},"response_format":{"mime_type":)"
            R"("application/json","schema":{"properties":{"a":{},"b":{}},"type":"object"},)"
            R"("type":"text"},"service_tier":"flex","tools":[{"a":{"new":true},"type":)"
            R"("google_search","z":1}]})");

  auto huge = parse_create(R"({"model":"m","input":"hi",
    "generation_config":{"max_output_tokens":9223372036854775808}})");
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().param, "generation_config.max_output_tokens");
}

// Every client mistake is a 400-class error naming the field, never a crash or a 5xx. The cases
// (with why each exists) are in fixtures/interactions/parse_errors.json.
TEST(InteractionsParseErrors, NameTheField) {
  auto cases = nlohmann::json::parse(fixture("parse_errors.json"));
  ASSERT_GE(cases.size(), 30u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["why"].get<std::string>());
    auto r = parse_create(c["body"].get<std::string>());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, core::error_kind::invalid_request);
    EXPECT_EQ(r.error().param, c["param"].get<std::string>()) << r.error().message;
    EXPECT_FALSE(r.error().message.empty());
  }
}

}  // namespace
}  // namespace interlingua
