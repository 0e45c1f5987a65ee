#include <map>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <interlingua/dialects/sessions.hpp>

#include "../support/events.hpp"

namespace interlingua {
namespace {

using nlohmann::json;
namespace sessions = dialects::sessions;

const json& tools() {
  static const json t =
      json::parse(testing::read_file(std::string(IL_FIXTURES_DIR) + "/sessions/tools.json"));
  return t;
}

std::string describe(const std::vector<sessions::issue>& issues) {
  std::string out;
  for (const auto& i : issues) {
    out += "\n  " + i.loc + ": " + i.type + " (" + i.msg + ") received " + i.received;
  }
  return out;
}

// Every tool variant upstream accepts, each enum value and each range edge (fixture "accept").
TEST(SessionsToolValidation, AcceptedVariants) {
  for (const auto& c : tools().at("accept")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    std::vector<sessions::issue> issues;
    sessions::validate_tool(c["tool"], "tools[0]", issues);
    EXPECT_TRUE(issues.empty()) << describe(issues);
  }
}

// Every variant's violations, just outside every range, each reported at its field with the
// pydantic type and nothing else (fixture "reject").
TEST(SessionsToolValidation, RejectedVariants) {
  for (const auto& c : tools().at("reject")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    std::vector<sessions::issue> issues;
    sessions::validate_tool(c["tool"], "tools[0]", issues);
    ASSERT_EQ(issues.size(), c.value("count", 1u)) << describe(issues);
    EXPECT_EQ(issues[0].loc, c["loc"]) << describe(issues);
    EXPECT_EQ(issues[0].type, c["type"]) << describe(issues);
  }
}

// The tool is validated where the body puts it: a ChatInput's tools[i] carries the same loc.
TEST(SessionsToolValidation, InsideChatInput) {
  json body{{"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"tools", json::array()}};
  body["tools"].push_back(tools().at("accept")[0]["tool"]);
  body["tools"].push_back(tools().at("reject")[0]["tool"]);
  auto r = sessions::parse_chat_input(body.dump());
  ASSERT_FALSE(r);
  ASSERT_EQ(r.error().details.size(), 1u);
  EXPECT_EQ(r.error().details[0].loc, "tools[1].name");
}

// Each tool type is offered as a function under the tool's name with the documented schema
// (fixture "tool_of", mapping at the top of tools.cpp).
TEST(SessionsToolOf, Mappings) {
  for (const auto& c : tools().at("tool_of")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    core::tool_decl d = sessions::tool_of(c["tool"]);
    EXPECT_EQ(d.name, c["expect"]["name"]);
    EXPECT_EQ(d.description, c["expect"]["description"]);
    EXPECT_EQ(json::parse(d.parameters), c["expect"]["parameters"]);
    EXPECT_TRUE(d.builtin.empty());
  }
}

// Every accepted tool variant maps to a function with an object schema: nothing offered upstream
// is malformed.
TEST(SessionsToolOf, EveryAcceptedVariantHasAnObjectSchema) {
  for (const auto& c : tools().at("accept")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    core::tool_decl d = sessions::tool_of(c["tool"]);
    EXPECT_EQ(d.name, c["tool"]["name"]);
    json params = json::parse(d.parameters);
    EXPECT_EQ(params["type"], "object");
  }
}

// The model's calls in the typed shape of the tool they name (fixture "typed_calls").
TEST(SessionsTypedToolCall, Shapes) {
  for (const auto& c : tools().at("typed_calls")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    core::tool_call_part call{c["call"]["id"], c["call"]["name"], c["call"]["arguments"]};
    EXPECT_EQ(sessions::typed_tool_call(call, tools().at("offered")), c["expect"]);
  }
}

// tool_choice onto the core request (fixture "tool_choice").
TEST(SessionsApplyToolChoice, Mappings) {
  const std::map<std::string, core::tool_mode> modes{{"unset", core::tool_mode::unset},
                                                     {"automatic", core::tool_mode::automatic},
                                                     {"none", core::tool_mode::none},
                                                     {"required", core::tool_mode::required}};
  for (const auto& c : tools().at("tool_choice")) {
    SCOPED_TRACE(c["why"].get<std::string>());
    core::chat_request req;
    sessions::apply_tool_choice(c["tool_choice"], req);
    EXPECT_EQ(req.tool_choice.mode, modes.at(c["mode"].get<std::string>()));
    EXPECT_EQ(req.tool_choice.allowed, c["allowed"].get<std::vector<std::string>>());
  }
}

}  // namespace
}  // namespace interlingua
