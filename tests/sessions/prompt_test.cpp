// The prompt a session chat sends upstream: system message, history, new messages, tools and
// settings, built from the stored agent and session.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <interlingua/dialects/sessions.hpp>

namespace interlingua {
namespace {

using namespace dialects::sessions;
using nlohmann::json;

chat_input input_of(const std::string& body) {
  auto r = parse_chat_input(body);
  EXPECT_TRUE(r) << (r                           ? ""
                     : r.error().details.empty() ? r.error().message
                                                 : r.error().details[0].loc);
  return r ? *r : chat_input{};
}

store::entry_record entry(const json& message, const std::string& source) {
  json e = entry_of_message(message, source, "gpt-test", 1);
  return store::entry_record{e["id"], "s", e.dump(), 1};
}

const json agent = json::parse(R"({"name":"Ada","about":"a terse assistant","model":"gpt-agent",
  "instructions":["Answer briefly.","Cite sources."],"default_settings":{"temperature":0.2,"max_tokens":50}})");
const json session = json::parse(R"({"situation":"a support desk","agents":["a"]})");

std::string text_of(const core::turn& t) {
  std::string out;
  for (const auto& p : t.parts) {
    if (const auto* x = std::get_if<core::text_part>(&p)) {
      out += x->text;
    }
  }
  return out;
}

// Without a template, the documented default names the agent, the situation and each instruction.
TEST(SessionPrompt, DefaultSystemMessage) {
  auto p = build_prompt(agent, session, {},
                        input_of(R"({"messages":[{"role":"user","content":"hi"}]})"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->request.system,
            "You are Ada. About you: a terse assistant.\n\nSituation: a support desk\n\n"
            "Instructions:\n- Answer briefly.\n- Cite sources.");
  EXPECT_EQ(p->messages[0], (json{{"role", "system"}, {"content", p->request.system}}));
  EXPECT_EQ(p->request.model, "gpt-agent");
}

// A session template substitutes {{ paths }} (metadata from the request too) and drops Jinja
// statements; the new messages are rendered as well unless render_templates is false.
TEST(SessionPrompt, TemplatesSubstitutePaths) {
  json s = session;
  s["system_template"] =
      "{% if agent %}Agent {{ agent.name }}{% endif %} speaks {{metadata.language}}.{# note #}";
  auto in = input_of(R"({"messages":[{"role":"user","content":"in {{ metadata.language }} please"}],
                         "metadata":{"language":"Spanish"}})");
  auto p = build_prompt(agent, s, {}, in);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->request.system, "Agent Ada speaks Spanish.");
  EXPECT_EQ(text_of(p->request.turns.back()), "in Spanish please");
  s["render_templates"] = false;
  auto raw = build_prompt(agent, s, {}, in);
  EXPECT_EQ(text_of(raw->request.turns.back()), "in {{ metadata.language }} please");
}

// History comes first in order; tool traffic only with recall_tools.
TEST(SessionPrompt, HistoryAndRecallTools) {
  std::vector<store::entry_record> history{
      entry(json::parse(R"({"role":"user","content":"weather?"})"), "api_request"),
      entry(json::parse(
                R"({"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function",
            "function":{"name":"get_weather","arguments":"{}"}}]})"),
            "tool_request"),
      entry(json::parse(R"({"role":"tool","tool_call_id":"c1","content":"sunny"})"),
            "tool_response"),
      entry(json::parse(R"({"role":"assistant","content":"It is sunny."})"), "api_response")};
  auto with = build_prompt(agent, session, history,
                           input_of(R"({"messages":[{"role":"user","content":"thanks"}]})"));
  ASSERT_TRUE(with);
  ASSERT_EQ(with->request.turns.size(), 5u);
  EXPECT_EQ(with->request.turns[1].who, core::role::assistant);
  EXPECT_EQ(std::get<core::tool_call_part>(with->request.turns[1].parts[0]).id, "c1");
  EXPECT_EQ(with->request.turns[2].who, core::role::tool);
  auto without = build_prompt(
      agent, session, history,
      input_of(R"({"messages":[{"role":"user","content":"thanks"}],"recall_tools":false})"));
  ASSERT_EQ(without->request.turns.size(), 3u);
  EXPECT_EQ(text_of(without->request.turns[1]), "It is sunny.");
}

// Request settings override the agent's defaults; the request's model wins.
TEST(SessionPrompt, SettingsMerge) {
  auto p = build_prompt(
      agent, session, {},
      input_of(
          R"({"messages":[{"role":"user","content":"hi"}],"temperature":0.9,"model":"gpt-other"})"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->request.params.temperature, 0.9);
  EXPECT_EQ(p->request.params.max_output_tokens, 50);
  EXPECT_EQ(p->request.model, "gpt-other");
}

// The agent's tools come first; a request tool with a name the agent has is skipped.
TEST(SessionPrompt, ToolsAgentFirstNoDuplicates) {
  json a = agent;
  a["tools"] = json::parse(
      R"([{"name":"lookup","type":"function","function":{"parameters":{"type":"object"}}}])");
  auto p = build_prompt(a, session, {}, input_of(R"({"messages":[{"role":"user","content":"hi"}],
      "tools":[{"name":"lookup","type":"bash_20241022"},{"name":"shell","type":"bash_20241022"}],
      "tool_choice":"auto"})"));
  ASSERT_TRUE(p);
  ASSERT_EQ(p->request.tools.size(), 2u);
  EXPECT_EQ(p->request.tools[0].name, "lookup");
  EXPECT_EQ(p->request.tools[1].name, "shell");
  EXPECT_EQ(p->tools.size(), 2u);
  EXPECT_EQ(p->tool_choice, "auto");
}

// A system message among the new ones joins the system instruction, shown once by /render.
TEST(SessionPrompt, NewSystemMessagesFold) {
  auto p = build_prompt(agent, session, {},
                        input_of(R"({"messages":[{"role":"system","content":"Reply in French."},
      {"role":"user","content":"hi"}]})"));
  ASSERT_TRUE(p);
  EXPECT_NE(p->request.system.find("\n\nReply in French."), std::string::npos);
  ASSERT_EQ(p->messages.size(), 2u);
  EXPECT_EQ(p->messages[0]["content"], p->request.system);
  EXPECT_EQ(p->request.turns.size(), 1u);
}

// A chat builds the same upstream request as /render shows, without the ChatML copy of the
// whole prompt that only /render answers with (a chat would hold it for its whole answer).
TEST(SessionPrompt, AChatBuildsTheSameRequestWithoutTheShownMessages) {
  std::vector<store::entry_record> history{
      entry(json::parse(R"({"role":"user","content":"weather?"})"), "api_request"),
      entry(json::parse(R"({"role":"assistant","content":"It is sunny."})"), "api_response")};
  auto in = input_of(R"({"messages":[{"role":"system","content":"Reply in French."},
      {"role":"user","content":"thanks, {{agent.name}}"}],
      "tools":[{"name":"shell","type":"bash_20241022"}],"temperature":0.9})");
  auto shown = build_prompt(agent, session, history, in, prompt_for::render);
  auto chat = build_prompt(agent, session, history, in, prompt_for::chat);
  ASSERT_TRUE(shown);
  ASSERT_TRUE(chat);
  EXPECT_EQ(shown->messages.size(), 4u);
  EXPECT_TRUE(chat->messages.empty());
  const core::chat_request& a = shown->request;
  const core::chat_request& b = chat->request;
  EXPECT_EQ(a.model, b.model);
  EXPECT_EQ(a.system, b.system);
  EXPECT_NE(b.system.find("Reply in French."), std::string::npos);
  ASSERT_EQ(a.turns.size(), b.turns.size());
  ASSERT_EQ(b.turns.size(), 3u);
  for (std::size_t i = 0; i < a.turns.size(); ++i) {
    EXPECT_EQ(a.turns[i].who, b.turns[i].who) << i;
    EXPECT_EQ(text_of(a.turns[i]), text_of(b.turns[i])) << i;
  }
  EXPECT_EQ(text_of(b.turns[2]), "thanks, Ada");  // templates render for a chat too
  ASSERT_EQ(b.tools.size(), 1u);
  EXPECT_EQ(b.tools[0].name, "shell");
  EXPECT_EQ(chat->tools, shown->tools);  // the stream renderer reads these
  EXPECT_EQ(b.params.temperature, 0.9);
}

// Neither the request nor the agent names a model: a 400, not a call with an empty model.
TEST(SessionPrompt, NoModelIsAClientError) {
  json a = agent;
  a.erase("model");
  auto p =
      build_prompt(a, session, {}, input_of(R"({"messages":[{"role":"user","content":"hi"}]})"));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().status, 400u);
}

}  // namespace
}  // namespace interlingua
