#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <tuple>
#include <utility>

#include <nlohmann/json.hpp>

#include <interlingua/core/reply.hpp>
#include <interlingua/providers/gemini.hpp>

#include "../support/events.hpp"

namespace interlingua {
namespace {

using nlohmann::json;
using testing::decode_chunks;
using testing::describe;
using testing::read_file;

const auto codec = providers::gemini::make_codec();

std::string own_fixture(const std::string& name) {
  return std::string(IL_FIXTURES_DIR) + "/gemini/" + name;
}

core::reply fold(const core::event_list& events) {
  core::accumulator acc;
  acc.on(events);
  return acc.take();
}

core::reply decode_file(const std::string& path) {
  core::event_list events;
  if (path.ends_with(".sse")) {
    events = decode_chunks(*codec, {read_file(path)});
  } else {
    codec->decode_reply(read_file(path), events);
  }
  return fold(events);
}

std::vector<std::string> stream_fixtures() {
  std::vector<std::string> out;
  for (auto name : {"stream_text_crlf.sse", "stream_midstream_error.sse", "stream_max_tokens.sse",
                    "stream_safety.sse", "stream_parallel_calls.sse", "stream_truncated.sse",
                    "stream_raw_error.sse"}) {
    out.push_back(own_fixture(name));
  }
  if (testing::have_shared()) {
    for (const auto& e : std::filesystem::directory_iterator(IL_SHARED_DIR "/fixtures/upstream")) {
      std::string name = e.path().filename().string();
      if (name.starts_with("gemini_") && name.ends_with(".sse")) {
        out.push_back(e.path().string());
      }
    }
  }
  return out;
}

using framed = std::vector<std::pair<std::string, std::string>>;  // (event:, data:) of each event

framed frame(const std::vector<std::string_view>& chunks) {
  net::sse_parser parser;
  std::vector<net::sse_event> sse;
  for (auto chunk : chunks) {
    parser.feed(chunk, sse);
  }
  framed out;
  for (auto& e : sse) {
    out.emplace_back(std::move(e.event), std::move(e.data));
  }
  return out;
}

struct decoded {
  std::vector<std::string> events;
  core::usage tokens;
};

// The decoder is a pure function of the SSE events it is given; memoizing it keeps a decode per
// distinct framing instead of one per offset (the 17 KB capture has 17,734 offsets under ASan).
decoded decode_framed(const framed& events, std::map<framed, decoded>& memo) {
  if (auto it = memo.find(events); it != memo.end()) {
    return it->second;
  }
  auto decoder = codec->make_stream_decoder();
  core::event_list out;
  for (const auto& [name, data] : events) {
    decoder->on_event(name, data, out);
  }
  decoder->on_end(out);
  decoded d{describe(out), fold(out).tokens};
  memo.emplace(events, d);
  return d;
}

// Bytes arrive in arbitrary TLS splits (CRLFs and UTF-8 sequences straddle reads): a split at
// every offset, and one byte per read, must give the same events and the same usage.
TEST(GeminiStream, EveryFixtureSplitAtEveryOffsetGivesTheSameEvents) {
  for (const auto& path : stream_fixtures()) {
    SCOPED_TRACE(path);
    const std::string stream = read_file(path);
    const std::string_view s(stream);
    const auto whole_events = decode_chunks(*codec, {s});
    const decoded whole{describe(whole_events), fold(whole_events).tokens};
    std::map<framed, decoded> memo;
    ASSERT_EQ(decode_framed(frame({s}), memo).events, whole.events);
    for (std::size_t k = 0; k <= s.size(); ++k) {
      auto split = decode_framed(frame({s.substr(0, k), s.substr(k)}), memo);
      ASSERT_EQ(split.events, whole.events) << "split at byte " << k;
      ASSERT_EQ(split.tokens, whole.tokens) << "split at byte " << k;
    }
    std::vector<std::string_view> bytes;
    for (std::size_t k = 0; k < s.size(); ++k) {
      bytes.push_back(s.substr(k, 1));
    }
    EXPECT_EQ(describe(decode_chunks(*codec, bytes)), whole.events);
  }
}

// Every captured Gemini body decodes without failure: new captures are covered as they land.
TEST(GeminiShared, EveryCapturedFileDecodes) {
  if (!testing::have_shared()) {
    GTEST_SKIP() << "../shared not present";
  }
  int seen = 0;
  for (const auto& e : std::filesystem::directory_iterator(IL_SHARED_DIR "/fixtures/upstream")) {
    std::string name = e.path().filename().string();
    if (!name.starts_with("gemini_") || name.ends_with(".source")) {
      continue;
    }
    SCOPED_TRACE(name);
    ++seen;
    if (name.starts_with("gemini_error_")) {
      EXPECT_FALSE(codec->decode_error(429, read_file(e.path()), std::nullopt).message.empty());
      continue;
    }
    auto reply = decode_file(e.path().string());
    EXPECT_FALSE(reply.failure) << reply.failure->message;
    EXPECT_FALSE(reply.parts.empty());
    EXPECT_GT(reply.tokens.input, 0);
  }
  EXPECT_GE(seen, 4);
}

// Thought summaries stream before the answer; the signature on the first answer chunk closes the
// thinking; usage is cumulative and the last chunk's counts are final.
TEST(GeminiShared, ThinkingStreamFoldsIntoThoughtAndText) {
  if (!testing::have_shared()) {
    GTEST_SKIP() << "../shared not present";
  }
  auto reply = decode_file(testing::shared_fixture("gemini_stream_thinking_text.sse"));
  ASSERT_EQ(reply.parts.size(), 2u);
  const auto& thought = std::get<core::thought_part>(reply.parts[0]);
  EXPECT_TRUE(thought.text.starts_with("**Clarifying User Goals**")) << thought.text;
  EXPECT_TRUE(thought.signature.starts_with("gemini:CiIB0e2Kb6Syj1a961")) << thought.signature;
  const auto& text = std::get<core::text_part>(reply.parts[1]).text;
  EXPECT_TRUE(text.starts_with("This is a great question!")) << text;
  EXPECT_TRUE(text.ends_with("might not see you.")) << text;
  EXPECT_EQ(reply.id, "beHBaJfEMIi-qtsP3769-Q8");
  EXPECT_EQ(reply.model, "gemini-2.5-pro");
  EXPECT_EQ(reply.reason, core::finish_reason::stop);
  EXPECT_EQ(reply.tokens, (core::usage{34, 0, 0, 469, 787, 0}));
}

// A call's signature becomes a thought just before it; STOP with calls is tool_calls; the final
// empty text part adds nothing; candidates exclude thoughts (29 + 10 + 202 = 241).
TEST(GeminiShared, StreamedCallKeepsItsSignature) {
  if (!testing::have_shared()) {
    GTEST_SKIP() << "../shared not present";
  }
  auto reply =
      decode_file(testing::shared_fixture("gemini_stream_function_call_thought_signature.sse"));
  ASSERT_EQ(reply.parts.size(), 2u);
  const auto& thought = std::get<core::thought_part>(reply.parts[0]);
  EXPECT_TRUE(thought.text.empty());
  EXPECT_TRUE(thought.signature.starts_with("gemini:EpwICpkIAXLI2nx")) << thought.signature;
  const auto& call = std::get<core::tool_call_part>(reply.parts[1]);
  EXPECT_EQ(call.id, "call_0");
  EXPECT_EQ(call.name, "get_country");
  EXPECT_EQ(call.arguments, "{}");
  EXPECT_EQ(reply.reason, core::finish_reason::tool_calls);
  EXPECT_EQ(reply.tokens, (core::usage{29, 0, 0, 10, 202, 0}));
  EXPECT_EQ(reply.tokens.total(), 241);
}

// What Gemini answered must go back to it part for part, signature on the same functionCall, or
// Gemini 3 refuses the next turn of the tool loop.
TEST(GeminiShared, CapturedParallelCallsGoBackAsTheyCame) {
  if (!testing::have_shared()) {
    GTEST_SKIP() << "../shared not present";
  }
  const auto path = testing::shared_fixture("gemini_nonstream_parallel_function_calls.json");
  auto reply = decode_file(path);
  ASSERT_EQ(reply.parts.size(), 4u);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(std::get<core::tool_call_part>(reply.parts[i]).id, "call_" + std::to_string(i - 1));
  }
  EXPECT_EQ(reply.reason, core::finish_reason::tool_calls);
  EXPECT_EQ(reply.tokens, (core::usage{83, 0, 0, 30, 190, 0}));
  core::chat_request next;
  next.turns.push_back({core::role::user, {core::text_part{"Go"}}});
  next.turns.push_back({core::role::assistant, reply.parts});
  auto body = providers::gemini::encode_body(next, {"gemini-3-flash-preview", "", {}});
  ASSERT_TRUE(body) << body.error().message;
  const json sent = json::parse(*body)["contents"][1];
  EXPECT_EQ(sent["role"], "model");
  EXPECT_EQ(sent["parts"], json::parse(read_file(path))["candidates"][0]["content"]["parts"]);
}

// Gemini's RetryInfo stands in for Retry-After (rounded up); a real header wins.
TEST(GeminiShared, ResourceExhaustedIsRateLimitedWithRetryInfo) {
  if (!testing::have_shared()) {
    GTEST_SKIP() << "../shared not present";
  }
  const auto body = read_file(testing::shared_fixture("gemini_error_429_resource_exhausted.json"));
  auto e = codec->decode_error(429, body, std::nullopt);
  EXPECT_EQ(e.kind, core::error_kind::rate_limited);
  EXPECT_EQ(e.message, "You exceeded your current quota, please check your plan.");
  EXPECT_EQ(e.upstream_status, 429);
  EXPECT_EQ(e.retry_after_s, 35);
  EXPECT_EQ(codec->decode_error(429, body, 7).retry_after_s, 7);
}

// CRLF framing, multi-byte text over chunks, cached and tool-use prompt tokens, and a signature
// on a final empty text part (a thought of its own after the text).
TEST(GeminiStream, CrlfTextWithCachedUsageAndTrailingSignature) {
  auto reply = decode_file(own_fixture("stream_text_crlf.sse"));
  ASSERT_EQ(reply.parts.size(), 2u);
  EXPECT_EQ(std::get<core::text_part>(reply.parts[0]).text, "Grüße aus Köln — “quoted” ✓");
  EXPECT_EQ(std::get<core::thought_part>(reply.parts[1]).signature, "gemini:c2lnLWVuZA==");
  EXPECT_EQ(reply.reason, core::finish_reason::stop);
  EXPECT_EQ(reply.tokens, (core::usage{1200, 1024, 0, 9, 14, 7}));
  EXPECT_EQ(reply.tokens.total(), 1230);
}

// An error object after HTTP 200 fails the stream in-band, keeps the message and its status's kind.
TEST(GeminiStream, MidStreamErrorFails) {
  auto reply = decode_file(own_fixture("stream_midstream_error.sse"));
  EXPECT_EQ(std::get<core::text_part>(reply.parts.at(0)).text, "Partial answer");
  ASSERT_TRUE(reply.failure);
  EXPECT_EQ(reply.failure->kind, core::error_kind::upstream_unavailable);
  EXPECT_EQ(reply.failure->message, "The model is overloaded. Please try again later.");
  EXPECT_EQ(reply.tokens.input, 12);
}

// The same error as raw pretty-printed JSON without `data:` (what Gemini really sends after a
// 200, per the official SDK's framer): the stream fails in-band with the provider's message.
TEST(GeminiStream, RawMultiLineErrorFails) {
  auto reply = decode_file(own_fixture("stream_raw_error.sse"));
  EXPECT_EQ(std::get<core::text_part>(reply.parts.at(0)).text, "Partial answer");
  ASSERT_TRUE(reply.failure);
  EXPECT_EQ(reply.failure->kind, core::error_kind::upstream_unavailable);
  EXPECT_EQ(reply.failure->upstream_status, 503);
  EXPECT_EQ(reply.failure->message, "The model is overloaded. Please try again later.");
}

// MAX_TOKENS while thinking is length, with no candidatesTokenCount at all.
TEST(GeminiStream, MaxTokensIsLength) {
  auto reply = decode_file(own_fixture("stream_max_tokens.sse"));
  ASSERT_EQ(reply.parts.size(), 1u);
  EXPECT_EQ(std::get<core::thought_part>(reply.parts[0]).text,
            "**Planning**\n\nI need to work this out.");
  EXPECT_EQ(reply.reason, core::finish_reason::length);
  EXPECT_EQ(reply.tokens, (core::usage{20, 0, 0, 0, 64, 0}));
}

// A safety stop is content_filter, not an error; the text so far stays.
TEST(GeminiStream, SafetyStopIsContentFilter) {
  auto reply = decode_file(own_fixture("stream_safety.sse"));
  EXPECT_EQ(std::get<core::text_part>(reply.parts.at(0)).text, "Here is how");
  EXPECT_EQ(reply.reason, core::finish_reason::content_filter);
  EXPECT_FALSE(reply.failure);
}

// Parallel calls are whole parts with args as JSON text; Gemini's own id is kept, missing ids are
// numbered in answer order; the signature closes the summary before the calls.
TEST(GeminiStream, ParallelCallsStayApart) {
  auto reply = decode_file(own_fixture("stream_parallel_calls.sse"));
  ASSERT_EQ(reply.parts.size(), 4u);
  const auto& thought = std::get<core::thought_part>(reply.parts[0]);
  EXPECT_EQ(thought.text, "**Weather lookups**\n\nTwo cities, then the time.");
  EXPECT_EQ(thought.signature, "gemini:c2lnLWNhbGxz");
  const std::vector<std::tuple<std::string, std::string, json>> calls{
      {"call_0", "get_weather", {{"city", "Paris"}, {"units", "metric"}}},
      {"fc-gemini-7", "get_weather", {{"city", "Zürich"}}},
      {"call_2", "get_time", json::object()}};
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const auto& call = std::get<core::tool_call_part>(reply.parts[i + 1]);
    EXPECT_EQ(call.id, std::get<0>(calls[i]));
    EXPECT_EQ(call.name, std::get<1>(calls[i]));
    EXPECT_EQ(json::parse(call.arguments), std::get<2>(calls[i]));
  }
  EXPECT_EQ(reply.reason, core::finish_reason::tool_calls);
  EXPECT_EQ(reply.tokens, (core::usage{40, 0, 0, 31, 30, 0}));
}

// No sentinel ends a Gemini stream: EOF before any finishReason is a truncation.
TEST(GeminiStream, TruncatedStreamEndsWithAnError) {
  auto reply = decode_file(own_fixture("stream_truncated.sse"));
  EXPECT_EQ(std::get<core::text_part>(reply.parts.at(0)).text, "Half an ans");
  ASSERT_TRUE(reply.failure);
  EXPECT_EQ(reply.failure->kind, core::error_kind::upstream_unavailable);
}

// done() turns true with the finishReason chunk, not before: the relay then stops reading, and
// on_end adds nothing.
TEST(GeminiStream, DoneAtFinishReason) {
  const auto events = frame({read_file(own_fixture("stream_parallel_calls.sse"))});
  ASSERT_EQ(events.size(), 3u);
  auto decoder = codec->make_stream_decoder();
  core::event_list out;
  for (const auto& [name, data] : events) {
    EXPECT_FALSE(decoder->done());
    decoder->on_event(name, data, out);
  }
  EXPECT_TRUE(decoder->done());
  auto before = out.size();
  decoder->on_end(out);
  EXPECT_EQ(out.size(), before);
  EXPECT_FALSE(fold(out).failure);
}

// A blocked prompt has no candidate at all: content_filter with the usage.
TEST(GeminiReply, BlockedPromptIsContentFilter) {
  auto reply = decode_file(own_fixture("reply_prompt_blocked.json"));
  EXPECT_TRUE(reply.parts.empty());
  EXPECT_EQ(reply.reason, core::finish_reason::content_filter);
  EXPECT_EQ(reply.id, "resp-own-blocked");
  EXPECT_EQ(reply.tokens.input, 17);
  EXPECT_FALSE(reply.failure);
}

// Code-execution parts have no core kind and are skipped with their signature; the text's
// signature closes the open thought; toolUsePromptTokenCount is tool_use.
TEST(GeminiReply, UnknownPartsAreSkipped) {
  auto reply = decode_file(own_fixture("reply_thought_text_code.json"));
  ASSERT_EQ(reply.parts.size(), 2u);
  const auto& thought = std::get<core::thought_part>(reply.parts[0]);
  EXPECT_EQ(thought.text, "**Adding up**\n\nSum the list with code.");
  EXPECT_EQ(thought.signature, "gemini:c2lnLXRleHQ=");
  EXPECT_EQ(std::get<core::text_part>(reply.parts[1]).text, "The sum is 6.");
  EXPECT_EQ(reply.tokens, (core::usage{30, 0, 0, 6, 40, 12}));
  EXPECT_EQ(reply.tokens.total(), 88);
}

// Garbage in a 200 body is an upstream error, not a crash or an empty success.
TEST(GeminiReply, GarbageBodyIsAnUpstreamError) {
  core::event_list events;
  codec->decode_reply("<html>502 Bad Gateway</html>", events);
  auto reply = fold(events);
  ASSERT_TRUE(reply.failure);
  EXPECT_EQ(reply.failure->kind, core::error_kind::upstream_error);
}

// Google's error bodies keep their message, also array-wrapped; the kind follows the status.
TEST(GeminiError, StatusAndMessageAreKept) {
  auto busy =
      codec->decode_error(503, read_file(own_fixture("error_503_unavailable.json")), std::nullopt);
  EXPECT_EQ(busy.kind, core::error_kind::upstream_unavailable);
  EXPECT_EQ(busy.message, "The model is overloaded. Please try again later.");
  EXPECT_FALSE(busy.retry_after_s);
  auto bad = codec->decode_error(400, read_file(own_fixture("error_400_array.json")), std::nullopt);
  EXPECT_EQ(bad.kind, core::error_kind::invalid_request);
  EXPECT_EQ(bad.message, "* GenerateContentRequest.contents: contents is not specified\n");
  EXPECT_EQ(codec->decode_error(502, "upstream connect error", std::nullopt).message,
            "upstream connect error");
  EXPECT_EQ(codec->decode_error(403, "{}", std::nullopt).kind, core::error_kind::upstream_error);
}

}  // namespace
}  // namespace interlingua
