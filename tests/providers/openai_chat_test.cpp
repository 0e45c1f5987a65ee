#include <gtest/gtest.h>

#include <interlingua/core/json_util.hpp>
#include <interlingua/core/reply.hpp>
#include <interlingua/providers/openai_chat.hpp>

#include "../support/events.hpp"

namespace interlingua {
namespace {

using testing::decode_chunks;
using testing::describe;
using testing::read_file;

const auto codec = providers::openai_chat::make_codec();

core::reply fold(const core::event_list& events) {
  core::accumulator acc;
  acc.on(events);
  return acc.take();
}

std::string own_fixture(const std::string& name) {
  return std::string(IL_FIXTURES_DIR) + "/openai/" + name;
}

// Bytes arrive in arbitrary TCP/TLS splits: every split must decode to the same events. The SSE
// framing is checked at every offset (cheap); the full decode at every offset near an event
// boundary, where splits matter, and at a stride elsewhere, so the suite stays fast under ASan.
void expect_split_invariant(const std::string& stream) {
  auto whole = describe(decode_chunks(*codec, {stream}));
  std::string_view s(stream);
  for (std::size_t k = 0; k <= stream.size(); ++k) {
    bool near_boundary = false;
    for (std::size_t d = 0; d < 4 && !near_boundary; ++d) {
      near_boundary =
          (k + d < s.size() && s[k + d] == '\n') || (k >= d + 1 && s[k - d - 1] == '\n');
    }
    if (!near_boundary && k % 61 != 0) {
      continue;
    }
    auto split = describe(decode_chunks(*codec, {s.substr(0, k), s.substr(k)}));
    ASSERT_EQ(split, whole) << "split at byte " << k;
  }
}

std::vector<std::string> stream_fixtures() {
  std::vector<std::string> out{own_fixture("stream_reasoning_text_usage.sse"),
                               own_fixture("stream_truncated.sse")};
  if (testing::have_shared()) {
    for (auto name :
         {"openai_chat_stream_parallel_tool_calls.sse",
          "openai_chat_stream_tool_call_usage_obfuscation.sse",
          "openrouter_chat_stream_reasoning.sse", "openrouter_chat_stream_midstream_error.sse"}) {
      out.push_back(testing::shared_fixture(name));
    }
  }
  return out;
}

// The decoder must not depend on how the stream was cut into reads.
TEST(OpenAiChatStream, EveryFixtureSplitAtEveryOffsetGivesTheSameEvents) {
  for (const auto& path : stream_fixtures()) {
    SCOPED_TRACE(path);
    expect_split_invariant(read_file(path));
  }
}

// Reasoning, text with multi-byte characters, and the trailing usage chunk of include_usage.
TEST(OpenAiChatStream, ReasoningTextAndUsageAreNormalized) {
  auto reply =
      fold(decode_chunks(*codec, {read_file(own_fixture("stream_reasoning_text_usage.sse"))}));
  ASSERT_EQ(reply.parts.size(), 2u);
  EXPECT_EQ(std::get<core::thought_part>(reply.parts[0]).text, "Thinking about “quotes”…");
  EXPECT_EQ(std::get<core::text_part>(reply.parts[1]).text, "Héllo, wörld");
  EXPECT_EQ(reply.reason, core::finish_reason::stop);
  EXPECT_FALSE(reply.failure);
  // completion_tokens include reasoning_tokens on the wire; core keeps them apart.
  EXPECT_EQ(reply.tokens, (core::usage{120, 100, 0, 8, 42, 0}));
  EXPECT_EQ(reply.tokens.total(), 170);
}

// A stream that closes with no finish chunk and no [DONE] is truncated, not complete.
TEST(OpenAiChatStream, TruncatedStreamEndsWithAnError) {
  auto events = decode_chunks(*codec, {read_file(own_fixture("stream_truncated.sse"))});
  auto reply = fold(events);
  ASSERT_TRUE(reply.failure);
  EXPECT_EQ(reply.failure->kind, core::error_kind::upstream_unavailable);
  EXPECT_EQ(std::get<core::text_part>(reply.parts.at(0)).text, "Half an ans");
}

// Tool-call arguments arrive in fragments keyed by index; usage:null and obfuscation are noise.
TEST(OpenAiChatStream, CapturedToolCallStreamFoldsIntoOneCall) {
  if (!testing::have_shared()) {
    GTEST_SKIP() << "../shared not present";
  }
  auto reply = fold(decode_chunks(
      *codec,
      {read_file(testing::shared_fixture("openai_chat_stream_tool_call_usage_obfuscation.sse"))}));
  ASSERT_EQ(reply.parts.size(), 1u);
  const auto& call = std::get<core::tool_call_part>(reply.parts[0]);
  EXPECT_EQ(call.id, "call_ZR5UUuTt3pf61kjwAJIYdVMj");
  EXPECT_EQ(call.name, "get_capital");
  EXPECT_TRUE(core::json_util::parse(call.arguments).has_value()) << call.arguments;
  EXPECT_EQ(reply.reason, core::finish_reason::tool_calls);
  EXPECT_EQ(reply.tokens.input, 53);
  EXPECT_EQ(reply.tokens.output, 15);
}

// Parallel calls become separate parts, each with complete JSON arguments.
TEST(OpenAiChatStream, CapturedParallelToolCallsStayApart) {
  if (!testing::have_shared()) {
    GTEST_SKIP() << "../shared not present";
  }
  auto reply = fold(decode_chunks(
      *codec, {read_file(testing::shared_fixture("openai_chat_stream_parallel_tool_calls.sse"))}));
  ASSERT_EQ(reply.parts.size(), 2u);
  for (const auto& p : reply.parts) {
    const auto& call = std::get<core::tool_call_part>(p);
    EXPECT_FALSE(call.id.empty());
    EXPECT_TRUE(core::json_util::parse(call.arguments).has_value()) << call.arguments;
  }
  EXPECT_EQ(reply.tokens.input, 149);
  EXPECT_EQ(reply.tokens.output, 60);
}

// OpenRouter sends `reasoning` deltas and comment lines before the text.
TEST(OpenAiChatStream, CapturedOpenRouterReasoningBecomesAThought) {
  if (!testing::have_shared()) {
    GTEST_SKIP() << "../shared not present";
  }
  auto reply = fold(decode_chunks(
      *codec, {read_file(testing::shared_fixture("openrouter_chat_stream_reasoning.sse"))}));
  ASSERT_GE(reply.parts.size(), 2u);
  EXPECT_FALSE(std::get<core::thought_part>(reply.parts.front()).text.empty());
  EXPECT_FALSE(std::get<core::text_part>(reply.parts.back()).text.empty());
  EXPECT_EQ(reply.tokens.input, 43);
  EXPECT_FALSE(reply.failure);
}

// An error inside a 200 stream is an in-band failure that keeps the provider's message.
TEST(OpenAiChatStream, CapturedMidStreamErrorFails) {
  if (!testing::have_shared()) {
    GTEST_SKIP() << "../shared not present";
  }
  auto reply = fold(decode_chunks(
      *codec, {read_file(testing::shared_fixture("openrouter_chat_stream_midstream_error.sse"))}));
  ASSERT_TRUE(reply.failure);
  EXPECT_NE(reply.failure->message.find("Token limit reached"), std::string::npos);
  EXPECT_EQ(reply.tokens.input, 43);
}

// prompt_tokens include cached tokens in OpenAI's accounting; core keeps that meaning.
TEST(OpenAiChatReply, CachedTokensAreASubsetOfInput) {
  if (!testing::have_shared()) {
    GTEST_SKIP() << "../shared not present";
  }
  core::event_list events;
  codec->decode_reply(
      read_file(testing::shared_fixture("openai_chat_nonstream_cached_tokens.json")), events);
  auto reply = fold(events);
  EXPECT_EQ(std::get<core::text_part>(reply.parts.at(0)).text, "OK");
  EXPECT_EQ(reply.tokens, (core::usage{4020, 4012, 0, 4, 0, 0}));
  EXPECT_EQ(reply.reason, core::finish_reason::stop);
}

// A unary tool call decodes to the same part a stream would give.
TEST(OpenAiChatReply, ToolCallReply) {
  core::event_list events;
  codec->decode_reply(read_file(own_fixture("reply_tool_call.json")), events);
  auto reply = fold(events);
  ASSERT_EQ(reply.parts.size(), 1u);
  const auto& call = std::get<core::tool_call_part>(reply.parts[0]);
  EXPECT_EQ(call.name, "get_weather");
  EXPECT_EQ(call.arguments, R"({"city":"Paris"})");
  EXPECT_EQ(reply.reason, core::finish_reason::tool_calls);
}

// Garbage in a 200 body is an upstream error, not a crash or an empty success.
TEST(OpenAiChatReply, GarbageBodyIsAnUpstreamError) {
  core::event_list events;
  codec->decode_reply("<html>502 Bad Gateway</html>", events);
  auto reply = fold(events);
  ASSERT_TRUE(reply.failure);
  EXPECT_EQ(reply.failure->kind, core::error_kind::upstream_error);
}

// Provider errors keep their message and map to the caller-facing kind by status.
TEST(OpenAiChatError, StatusAndMessageAreKept) {
  if (testing::have_shared()) {
    auto e = codec->decode_error(
        429, read_file(testing::shared_fixture("openai_error_429_rate_limit.json")), 27);
    EXPECT_EQ(e.kind, core::error_kind::rate_limited);
    EXPECT_NE(e.message.find("Rate limit"), std::string::npos) << e.message;
    EXPECT_EQ(e.retry_after_s, 27);
  }
  auto bare =
      codec->decode_error(404, read_file(own_fixture("error_vllm_bare.json")), std::nullopt);
  EXPECT_EQ(bare.kind, core::error_kind::not_found);
  EXPECT_EQ(bare.message, "The model `nope` does not exist.");
  EXPECT_EQ(codec->decode_error(500, "oops", std::nullopt).kind,
            core::error_kind::upstream_unavailable);
  EXPECT_EQ(codec->decode_error(401, "{}", std::nullopt).kind, core::error_kind::upstream_error);
}

// The upstream request carries the system prompt, the turns, the params and include_usage.
TEST(OpenAiChatEncode, RequestBody) {
  core::chat_request req;
  req.model = "public";
  req.system = "Be brief.";
  req.turns.push_back({core::role::user, {core::text_part{"Hi"}}});
  req.turns.push_back({core::role::assistant, {core::text_part{"Hello"}}});
  req.turns.push_back({core::role::user, {core::text_part{"Again"}}});
  req.params.temperature = 0.5;
  req.params.max_output_tokens = 64;
  req.params.stop = {"END"};
  req.params.reasoning = core::reasoning_level::low;
  req.stream = true;
  auto body = providers::openai_chat::encode_body(req, {"gpt-up", "k", {}});
  ASSERT_TRUE(body);
  auto j = nlohmann::json::parse(*body);
  EXPECT_EQ(j["model"], "gpt-up");
  ASSERT_EQ(j["messages"].size(), 4u);
  EXPECT_EQ(j["messages"][0], (nlohmann::json{{"role", "system"}, {"content", "Be brief."}}));
  EXPECT_EQ(j["messages"][3]["content"], "Again");
  EXPECT_EQ(j["temperature"], 0.5);
  EXPECT_EQ(j["max_completion_tokens"], 64);
  EXPECT_EQ(j["stop"], nlohmann::json::array({"END"}));
  EXPECT_EQ(j["reasoning_effort"], "low");
  EXPECT_EQ(j["stream_options"]["include_usage"], true);
}

// Video is refused with a clear client error rather than sent to an API that rejects it.
TEST(OpenAiChatEncode, UnsupportedMediaIsAClientError) {
  core::chat_request req;
  req.turns.push_back({core::role::user, {core::media_part{"video", "video/mp4", "AAAA", ""}}});
  auto body = providers::openai_chat::encode_body(req, {"m", "", {}});
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().kind, core::error_kind::invalid_request);
}

}  // namespace
}  // namespace interlingua
