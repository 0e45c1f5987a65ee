// Gemini sends an error after a 200 as raw pretty-printed JSON, without `data:`, over several
// lines (the official SDK's framer balances brackets to find its end). The parser must hand it
// over as one event, in any split, between ordinary events.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <interlingua/net/sse_parser.hpp>

namespace interlingua::net {
namespace {

const std::string pretty_error =
    "{\n"
    "  \"error\": {\n"
    "    \"code\": 503,\n"
    "    \"message\": \"The model is overloaded. {Please} try again later.\",\n"
    "    \"status\": \"UNAVAILABLE\",\n"
    "    \"details\": [\"a \\\"quoted\\\" ] bracket\"]\n"
    "  }\n"
    "}\n";

std::string joined(const std::string& json) {
  std::string out = json;
  out.pop_back();  // the last line's terminator is not part of the value
  return out;
}

std::vector<sse_event> parse_split(const std::string& stream, std::size_t at) {
  sse_parser p;
  std::vector<sse_event> out;
  EXPECT_TRUE(p.feed(std::string_view(stream).substr(0, at), out));
  EXPECT_TRUE(p.feed(std::string_view(stream).substr(at), out));
  p.finish();
  return out;
}

// Ordinary events, then the raw error: two events, the second exactly the JSON text, whatever
// the split (brackets inside strings, escaped quotes and CRLF included).
TEST(SseRawJson, ErrorAfterEventsAtEverySplit) {
  for (bool crlf : {false, true}) {
    std::string stream = "data: {\"candidates\":[]}\n\n" + pretty_error;
    std::string expected = joined(pretty_error);
    if (crlf) {
      std::string with_cr;
      for (char c : stream) {
        if (c == '\n') {
          with_cr += '\r';
        }
        with_cr += c;
      }
      stream = with_cr;
    }
    for (std::size_t at = 0; at <= stream.size(); ++at) {
      auto events = parse_split(stream, at);
      ASSERT_EQ(events.size(), 2u) << "split at " << at << (crlf ? " (CRLF)" : "");
      EXPECT_EQ(events[0].data, "{\"candidates\":[]}");
      EXPECT_EQ(events[1].event, "");
      EXPECT_EQ(events[1].data, expected) << "split at " << at;
    }
  }
}

// The REST stream's array form, on one line or several, is one value too.
TEST(SseRawJson, ArrayForm) {
  sse_parser p;
  std::vector<sse_event> out;
  ASSERT_TRUE(p.feed("[{\n  \"error\": {\"code\": 429}\n}]\n", out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, "[{\n  \"error\": {\"code\": 429}\n}]");
}

// A value cut off by the end of the stream is not dispatched, and finish() says truncated.
TEST(SseRawJson, TruncatedValueIsDropped) {
  sse_parser p;
  std::vector<sse_event> out;
  ASSERT_TRUE(p.feed("{\n  \"error\": {\n", out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(p.finish());
  EXPECT_TRUE(out.empty());
}

// Inside an event block a '{' line is an unknown field, as the spec says, not a raw value.
TEST(SseRawJson, OnlyOutsideABlock) {
  sse_parser p;
  std::vector<sse_event> out;
  ASSERT_TRUE(p.feed("data: a\n{not a value\ndata: b\n\n", out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, "a\nb");
}

// A raw value that never balances is bounded by the event size limit.
TEST(SseRawJson, UnbalancedValueIsBounded) {
  sse_parser p(64);
  std::vector<sse_event> out;
  std::string stream = "{\n";
  for (int i = 0; i < 20; ++i) {
    stream += "  \"k\": [1,\n";
  }
  EXPECT_FALSE(p.feed(stream, out));
  EXPECT_TRUE(p.failed());
}

}  // namespace
}  // namespace interlingua::net
