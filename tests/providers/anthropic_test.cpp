#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include <interlingua/core/json_util.hpp>
#include <interlingua/core/reply.hpp>
#include <interlingua/providers/anthropic.hpp>

#include "../support/events.hpp"

namespace interlingua {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::decode_chunks;
using testing::describe;
using testing::read_file;

const auto codec = providers::anthropic::make_codec();

std::string own_fixture(const std::string& name) {
  return std::string(IL_FIXTURES_DIR) + "/anthropic/" + name;
}

core::reply fold(const core::event_list& events) {
  core::accumulator acc;
  acc.on(events);
  return acc.take();
}

core::reply stream_reply(const std::string& path) {
  return fold(decode_chunks(*codec, {read_file(path)}));
}

core::reply unary_reply(const std::string& path) {
  core::event_list events;
  codec->decode_reply(read_file(path), events);
  return fold(events);
}

// Files in `dir` whose name starts with `prefix` and ends with `suffix`, sorted.
std::vector<std::string> files(const std::string& dir, const std::string& prefix,
                               const std::string& suffix) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) {
    return out;
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(entry.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> shared_files(const std::string& suffix) {
  return files(std::string(IL_SHARED_DIR) + "/fixtures/upstream", "anthropic_", suffix);
}

const core::tool_call_part& call_at(const core::reply& r, std::size_t i) {
  return std::get<core::tool_call_part>(r.parts.at(i));
}

// ---------------------------------------------------------------- streams

std::vector<std::pair<std::string, std::string>> sse_events(
    const std::vector<std::string_view>& chunks) {
  net::sse_parser parser;
  std::vector<net::sse_event> events;
  for (auto chunk : chunks) {
    parser.feed(chunk, events);
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& e : events) {
    out.emplace_back(std::move(e.event), std::move(e.data));
  }
  return out;
}

// Bytes arrive in arbitrary TCP/TLS splits (mid-line, mid-CRLF, mid-UTF-8): every two-way split
// and a byte-at-a-time feed must give the same events, and so the same usage, as one read. The
// decoder sees only the SSE events, so at every offset the framing must yield the very same SSE
// events (cheap); the full decode and usage are compared at every offset near a line end, where
// the framing changes state, and at a stride elsewhere, so the suite stays fast under ASan.
TEST(AnthropicStream, EveryFixtureSplitAtEveryOffsetGivesTheSameEvents) {
  auto paths = files(std::string(IL_FIXTURES_DIR) + "/anthropic", "stream_", ".sse");
  auto shared = shared_files(".sse");
  paths.insert(paths.end(), shared.begin(), shared.end());
  ASSERT_GE(paths.size(), 5u);
  for (const auto& path : paths) {
    SCOPED_TRACE(path);
    std::string stream = read_file(path);
    std::string_view s(stream);
    auto whole_sse = sse_events({s});
    auto whole_events = decode_chunks(*codec, {s});
    auto whole = describe(whole_events);
    auto whole_usage = fold(whole_events).tokens;
    for (std::size_t k = 0; k <= s.size(); ++k) {
      ASSERT_EQ(sse_events({s.substr(0, k), s.substr(k)}), whole_sse) << "split at byte " << k;
      bool near_line_end = false;
      for (std::size_t d = 0; d < 2 && !near_line_end; ++d) {
        near_line_end = (k + d < s.size() && s[k + d] == '\n') || (k > d && s[k - d - 1] == '\n');
      }
      if (!near_line_end && k % 61 != 0) {
        continue;
      }
      auto split = decode_chunks(*codec, {s.substr(0, k), s.substr(k)});
      ASSERT_EQ(describe(split), whole) << "split at byte " << k;
      ASSERT_EQ(fold(split).tokens, whole_usage) << "split at byte " << k;
    }
    std::vector<std::string_view> bytes;
    for (std::size_t k = 0; k < s.size(); ++k) {
      bytes.push_back(s.substr(k, 1));
    }
    EXPECT_EQ(describe(decode_chunks(*codec, bytes)), whole);
  }
}

// Every captured Anthropic stream ends cleanly, whatever its padding and pings.
TEST(AnthropicStream, EveryCapturedStreamCompletes) {
  auto paths = shared_files(".sse");
  if (paths.empty()) {
    GTEST_SKIP() << "../shared not present";
  }
  for (const auto& path : paths) {
    SCOPED_TRACE(path);
    auto reply = stream_reply(path);
    EXPECT_FALSE(reply.failure);
    EXPECT_NE(reply.reason, core::finish_reason::unknown);
    EXPECT_FALSE(reply.parts.empty());
    EXPECT_GT(reply.tokens.input, 0);
    EXPECT_GT(reply.tokens.output, 0);
  }
}

// Thinking deltas (one of them empty) and the signature_delta fold into one signed thought.
TEST(AnthropicStream, CapturedThinkingThenText) {
  if (!testing::have_shared()) {
    GTEST_SKIP() << "../shared not present";
  }
  auto reply = stream_reply(testing::shared_fixture("anthropic_stream_thinking_text.sse"));
  ASSERT_EQ(reply.parts.size(), 2u);
  const auto& thought = std::get<core::thought_part>(reply.parts[0]);
  EXPECT_FALSE(thought.text.empty());
  EXPECT_EQ(thought.signature.rfind("anthropic:EvMCCkYICxgCKkCHP2cSuEdcJK", 0), 0u);
  EXPECT_FALSE(thought.redacted);
  EXPECT_EQ(std::get<core::text_part>(reply.parts[1]).text.rfind("Here are the basic", 0), 0u)
      << std::get<core::text_part>(reply.parts[1]).text.substr(0, 40);
  EXPECT_EQ(reply.id, "msg_01ALwQ87pTS7hH1PjSdC9wJD");
  EXPECT_EQ(reply.reason, core::finish_reason::stop);
  // Anthropic does not report thinking apart here: all of output_tokens stays output.
  EXPECT_EQ(reply.tokens, (core::usage{43, 0, 0, 282, 0, 0}));
}

// input_json_delta fragments (the first one empty) concatenate into the call's JSON arguments.
TEST(AnthropicStream, CapturedTextThenToolUse) {
  if (!testing::have_shared()) {
    GTEST_SKIP() << "../shared not present";
  }
  auto reply = stream_reply(testing::shared_fixture("anthropic_stream_text_tool_use.sse"));
  ASSERT_EQ(reply.parts.size(), 2u);
  EXPECT_EQ(std::get<core::text_part>(reply.parts[0]).text,
            "I'll check the current weather in Paris for you.");
  EXPECT_EQ(call_at(reply, 1).id, "toolu_01NRLabsLyVHZPKxbKvkfSMn");
  EXPECT_EQ(call_at(reply, 1).name, "get_weather");
  EXPECT_EQ(json::parse(call_at(reply, 1).arguments), (json{{"location", "Paris"}}));
  EXPECT_EQ(reply.reason, core::finish_reason::tool_calls);
  EXPECT_EQ(reply.tokens, (core::usage{377, 0, 0, 65, 0, 0}));
}

// max_tokens inside a tool_use: no content_block_stop, the partial arguments are kept verbatim,
// the part is closed exactly once and the answer is cut (length), not failed.
TEST(AnthropicStream, CapturedToolUseCutAtMaxTokens) {
  if (!testing::have_shared()) {
    GTEST_SKIP() << "../shared not present";
  }
  auto events = decode_chunks(
      *codec,
      {read_file(testing::shared_fixture("anthropic_stream_tool_use_truncated_max_tokens.sse"))});
  auto lines = describe(events);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "part_stop 1"), 1);
  auto reply = fold(events);
  ASSERT_EQ(reply.parts.size(), 2u);
  EXPECT_EQ(call_at(reply, 1).name, "make_file");
  EXPECT_EQ(call_at(reply, 1).arguments.rfind("{\"filename\": \"taxes.txt\", \"lines_of_text\"", 0),
            0u);
  EXPECT_EQ(call_at(reply, 1).arguments.substr(call_at(reply, 1).arguments.size() - 14),
            "\n\"Filing taxes");
  EXPECT_FALSE(core::json_util::parse(call_at(reply, 1).arguments));
  EXPECT_EQ(reply.reason, core::finish_reason::length);
  EXPECT_FALSE(reply.failure);
  EXPECT_EQ(reply.tokens.output, 124);
}

// redacted_thinking blocks are complete at their start: thoughts marked redacted, data kept.
TEST(AnthropicStream, CapturedRedactedThinking) {
  if (!testing::have_shared()) {
    GTEST_SKIP() << "../shared not present";
  }
  auto reply = stream_reply(testing::shared_fixture("anthropic_stream_redacted_thinking.sse"));
  ASSERT_EQ(reply.parts.size(), 3u);
  for (std::size_t i : {0u, 1u}) {
    const auto& t = std::get<core::thought_part>(reply.parts[i]);
    EXPECT_TRUE(t.redacted);
    EXPECT_TRUE(t.text.empty());
  }
  EXPECT_EQ(
      std::get<core::thought_part>(reply.parts[0]).signature.rfind("anthropic:EqkECkYIBxgCKkA8", 0),
      0u);
  EXPECT_EQ(
      std::get<core::thought_part>(reply.parts[1]).signature.rfind("anthropic:EtgBCkYIBxgCKkDQ", 0),
      0u);
  EXPECT_EQ(std::get<core::text_part>(reply.parts[2]).text.rfind("I notice that you've sent", 0),
            0u);
  EXPECT_EQ(reply.tokens, (core::usage{92, 0, 0, 189, 0, 0}));
}

// Pings anywhere are ignored; an error event after content is an in-band failure that keeps the
// text so far and the provider's message, and ends the stream (no message_stop follows).
TEST(AnthropicStream, PingsIgnoredAndErrorEventFails) {
  auto events = decode_chunks(*codec, {read_file(own_fixture("stream_ping_error.sse"))});
  auto reply = fold(events);
  EXPECT_EQ(std::get<core::text_part>(reply.parts.at(0)).text, "Déjà “vu” and then");
  ASSERT_TRUE(reply.failure);
  EXPECT_EQ(reply.failure->kind, core::error_kind::upstream_unavailable);
  EXPECT_EQ(reply.failure->message, "upstream error (overloaded_error): Overloaded");
  EXPECT_EQ(reply.tokens.input, 12);
  EXPECT_EQ(describe(events).back().rfind("error upstream_unavailable", 0), 0u);
  EXPECT_EQ(
      std::count_if(events.begin(), events.end(),
                    [](const auto& e) { return std::holds_alternative<core::stream_error>(e); }),
      1);
}

// Signed thinking, redacted thinking, a skipped server-tool block, text, a call with no arguments
// and one with fragments; cache reads and writes count into input.
TEST(AnthropicStream, ThinkingRedactedToolsAndCacheUsage) {
  auto events =
      decode_chunks(*codec, {read_file(own_fixture("stream_thinking_redacted_tools.sse"))});
  auto reply = fold(events);
  ASSERT_EQ(reply.parts.size(), 5u);
  const auto& signed_thought = std::get<core::thought_part>(reply.parts[0]);
  EXPECT_EQ(signed_thought.text, "Need the time in Zürich.");
  EXPECT_EQ(signed_thought.signature, "anthropic:c2lnLW9uZQ==");
  const auto& redacted = std::get<core::thought_part>(reply.parts[1]);
  EXPECT_TRUE(redacted.redacted);
  EXPECT_EQ(redacted.signature, "anthropic:cmVkYWN0ZWQtb25l");
  EXPECT_EQ(std::get<core::text_part>(reply.parts[2]).text, "Checking both clocks.");
  EXPECT_EQ(call_at(reply, 3).id, "toolu_own_now");
  EXPECT_EQ(call_at(reply, 3).arguments, "{}");  // an empty input_json total means {}
  EXPECT_EQ(call_at(reply, 4).arguments, "{\"tz\": \"Europe/Zürich\"}");
  EXPECT_EQ(reply.reason, core::finish_reason::tool_calls);
  // input_tokens 7 exclude the 2000 cache reads and 300 cache writes; core's input includes them.
  EXPECT_EQ(reply.tokens, (core::usage{2307, 2000, 300, 140, 0, 0}));
  // The server_tool_use block at upstream index 2 takes no core index: parts are 0..4.
  auto lines = describe(events);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "part_start 4 2 toolu_own_tz get_time"),
            lines.end());
}

// Our own max_tokens cut: the open call closes with its partial arguments, finish is length.
TEST(AnthropicStream, ToolUseCutAtMaxTokensKeepsPartialArguments) {
  auto reply = stream_reply(own_fixture("stream_tool_use_max_tokens.sse"));
  ASSERT_EQ(reply.parts.size(), 2u);
  EXPECT_EQ(call_at(reply, 1).arguments, "{\"name\": \"a.txt\", \"lines\": [\"first");
  EXPECT_EQ(reply.reason, core::finish_reason::length);
  EXPECT_FALSE(reply.failure);
  EXPECT_EQ(reply.tokens, (core::usage{40, 0, 0, 32, 0, 0}));
}

// A stream that closes with no message_delta/message_stop and no error is truncated.
TEST(AnthropicStream, TruncatedStreamEndsWithAnError) {
  auto reply = stream_reply(own_fixture("stream_truncated.sse"));
  ASSERT_TRUE(reply.failure);
  EXPECT_EQ(reply.failure->kind, core::error_kind::upstream_unavailable);
  EXPECT_EQ(std::get<core::text_part>(reply.parts.at(0)).text, "Half an ans");
}

// Dispatch is on the JSON type: missing or late `event:` lines, citations and unknown events
// change nothing; stop_sequence is a natural stop.
TEST(AnthropicStream, DispatchOnJsonTypeNotEventLine) {
  auto reply = stream_reply(own_fixture("stream_no_event_lines.sse"));
  ASSERT_EQ(reply.parts.size(), 1u);
  EXPECT_EQ(std::get<core::text_part>(reply.parts[0]).text, "Hi");
  EXPECT_EQ(reply.reason, core::finish_reason::stop);
  EXPECT_FALSE(reply.failure);
  EXPECT_EQ(reply.tokens, (core::usage{8, 3, 0, 2, 0, 0}));
}

// A data payload that is not JSON is an upstream error, and nothing after it is decoded.
TEST(AnthropicStream, GarbageEventFails) {
  auto decoder = codec->make_stream_decoder();
  core::event_list events;
  decoder->on_event("message_start", "<html>", events);
  decoder->on_event("message_stop", R"({"type":"message_stop"})", events);
  decoder->on_end(events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<core::stream_error>(events[0]).value.kind, core::error_kind::upstream_error);
  EXPECT_TRUE(decoder->done());
}

// ---------------------------------------------------------------- unary replies and errors

// Every captured unary body decodes without failure into parts, usage and a finish reason.
TEST(AnthropicReply, EveryCapturedReplyDecodes) {
  auto paths = shared_files(".json");
  if (paths.empty()) {
    GTEST_SKIP() << "../shared not present";
  }
  for (const auto& path : paths) {
    if (path.find("_error_") != std::string::npos) {
      continue;  // error bodies go through decode_error (AnthropicError)
    }
    SCOPED_TRACE(path);
    auto reply = unary_reply(path);
    EXPECT_FALSE(reply.failure);
    EXPECT_FALSE(reply.parts.empty());
    EXPECT_NE(reply.reason, core::finish_reason::unknown);
  }
}

// thinking + text + tool_use (input {}) in one body: the same parts a stream would give.
TEST(AnthropicReply, CapturedThinkingTextToolUse) {
  if (!testing::have_shared()) {
    GTEST_SKIP() << "../shared not present";
  }
  auto reply = unary_reply(testing::shared_fixture("anthropic_nonstream_thinking_tool_use.json"));
  ASSERT_EQ(reply.parts.size(), 3u);
  EXPECT_EQ(std::get<core::thought_part>(reply.parts[0])
                .signature.rfind("anthropic:EqEECkYICxgCKkAo3UA4", 0),
            0u);
  EXPECT_FALSE(std::get<core::thought_part>(reply.parts[0]).text.empty());
  EXPECT_FALSE(std::get<core::text_part>(reply.parts[1]).text.empty());
  EXPECT_EQ(call_at(reply, 2).id, "toolu_01YGzqpRE16Vricda3Aqcejo");
  EXPECT_EQ(call_at(reply, 2).name, "get_user_country");
  EXPECT_EQ(call_at(reply, 2).arguments, "{}");
  EXPECT_EQ(reply.reason, core::finish_reason::tool_calls);
  EXPECT_EQ(reply.tokens, (core::usage{398, 0, 0, 155, 0, 0}));
  EXPECT_EQ(reply.model, "claude-sonnet-4-20250514");
}

// Captured cache usage: input = 3 + 418 written + 1111 read (cheat-sheet §5).
TEST(AnthropicReply, CapturedCacheUsageIsNormalized) {
  if (!testing::have_shared()) {
    GTEST_SKIP() << "../shared not present";
  }
  auto reply = unary_reply(testing::shared_fixture("anthropic_nonstream_cache_usage.json"));
  EXPECT_EQ(reply.tokens, (core::usage{1532, 1111, 418, 33, 0, 0}));
  EXPECT_EQ(reply.reason, core::finish_reason::stop);
}

// When Anthropic does report thinking_tokens they move from output to reasoning; unknown blocks
// (web_search_tool_result) are skipped.
TEST(AnthropicReply, ThinkingTokensAndCacheUsage) {
  auto reply = unary_reply(own_fixture("reply_cache_thinking_tokens.json"));
  ASSERT_EQ(reply.parts.size(), 2u);
  EXPECT_EQ(std::get<core::thought_part>(reply.parts[0]).signature, "anthropic:c2lnLXR3bw==");
  EXPECT_EQ(std::get<core::text_part>(reply.parts[1]).text, "Python is a programming language.");
  EXPECT_EQ(reply.tokens, (core::usage{1532, 1111, 418, 30, 20, 0}));
}

// Counts are the upstream's bytes: sums past INT64_MAX saturate instead of overflowing (undefined
// behaviour the sanitizer build aborts on), and a negative thinking count is not subtracted.
TEST(AnthropicReply, HostileUsageCountsSaturate) {
  auto u = providers::anthropic::usage_from_counts(INT64_MAX, INT64_MAX, 5, 10, -7);
  EXPECT_EQ(u.input, INT64_MAX);
  EXPECT_EQ(u.cached, INT64_MAX);
  EXPECT_EQ(u.output, 10);
  EXPECT_EQ(u.reasoning, 0);
  EXPECT_EQ(providers::anthropic::usage_from_counts(1, 2, 3, 10, 4),
            (core::usage{6, 2, 3, 6, 4, 0}));
}

// stop_reason refusal is a content filter finish.
TEST(AnthropicReply, RefusalIsContentFilter) {
  auto reply = unary_reply(own_fixture("reply_refusal.json"));
  EXPECT_TRUE(reply.parts.empty());
  EXPECT_EQ(reply.reason, core::finish_reason::content_filter);
  EXPECT_FALSE(reply.failure);
}

// Garbage or an error object in a 200 body is an upstream failure, not a crash or an empty answer.
TEST(AnthropicReply, GarbageAndErrorBodiesFail) {
  core::event_list events;
  codec->decode_reply("<html>502 Bad Gateway</html>", events);
  ASSERT_TRUE(fold(events).failure);
  EXPECT_EQ(fold(events).failure->kind, core::error_kind::upstream_error);
  events.clear();
  codec->decode_reply(R"({"type":"error","error":{"type":"api_error","message":"Internal"}})",
                      events);
  ASSERT_TRUE(fold(events).failure);
  EXPECT_EQ(fold(events).failure->kind, core::error_kind::upstream_unavailable);
  EXPECT_NE(fold(events).failure->message.find("Internal"), std::string::npos);
}

// 529 overloaded is retryable unavailability; the provider's message is kept.
TEST(AnthropicError, CapturedOverloaded) {
  if (!testing::have_shared()) {
    GTEST_SKIP() << "../shared not present";
  }
  auto e = codec->decode_error(
      529, read_file(testing::shared_fixture("anthropic_error_529_overloaded.json")), 5);
  EXPECT_EQ(e.kind, core::error_kind::upstream_unavailable);
  EXPECT_EQ(e.message, "Overloaded. https://docs.claude.com/en/api/errors");
  EXPECT_EQ(e.upstream_status, 529);
  EXPECT_EQ(e.retry_after_s, 5);
}

// Each status maps through the one core table; non-JSON bodies (Cloudflare's 413) keep their text.
TEST(AnthropicError, StatusAndMessageAreKept) {
  auto bad =
      codec->decode_error(400, read_file(own_fixture("error_invalid_request.json")), std::nullopt);
  EXPECT_EQ(bad.kind, core::error_kind::invalid_request);
  EXPECT_EQ(bad.message.rfind("messages: roles must alternate", 0), 0u) << bad.message;
  auto big =
      codec->decode_error(413, read_file(own_fixture("error_cloudflare_413.html")), std::nullopt);
  EXPECT_EQ(big.kind, core::error_kind::payload_too_large);
  EXPECT_NE(big.message.find("413 Request Entity Too Large"), std::string::npos);
  EXPECT_EQ(
      codec
          ->decode_error(
              429, R"({"type":"error","error":{"type":"rate_limit_error","message":"slow"}})", 3)
          .kind,
      core::error_kind::rate_limited);
  EXPECT_EQ(codec->decode_error(401, "{}", std::nullopt).kind, core::error_kind::upstream_error);
}

}  // namespace
}  // namespace interlingua
