// The request model's own operations.

#include <gtest/gtest.h>

#include <interlingua/core/model.hpp>

namespace interlingua::core {
namespace {

// The gateway frees the prompt once the answer begins; what names the call stays, because the
// access log, the stored record and the saved history still read it. The memory is given
// back, not just emptied: a cleared vector would keep a long prompt's capacity.
TEST(ChatRequest, ReleasingThePromptFreesItAndKeepsWhatNamesTheCall) {
  chat_request r;
  r.model = "gpt-test";
  r.system = std::string(1000, 's');
  r.turns.push_back(turn{role::user, {text_part{std::string(1000, 't')}}});
  r.tools.push_back(tool_decl{"get_weather", "the weather", R"({"type":"object"})", {}, {}});
  r.response_format = response_format{true, R"({"type":"object","properties":{}})"};
  r.params.temperature = 0.5;
  r.params.reasoning = reasoning_level::high;
  r.stream = true;

  r.release_prompt();

  EXPECT_TRUE(r.system.empty());
  EXPECT_LT(r.system.capacity(), 1000u);
  EXPECT_TRUE(r.turns.empty());
  EXPECT_EQ(r.turns.capacity(), 0u);
  EXPECT_TRUE(r.tools.empty());
  EXPECT_EQ(r.tools.capacity(), 0u);
  EXPECT_TRUE(r.response_format.schema.empty());
  EXPECT_EQ(r.model, "gpt-test");
  EXPECT_EQ(r.params.temperature, 0.5);
  EXPECT_EQ(r.params.reasoning, reasoning_level::high);
  EXPECT_TRUE(r.stream);
}

}  // namespace
}  // namespace interlingua::core
