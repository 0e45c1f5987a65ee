// The SSE parser, one rule of the WHATWG event-stream spec at a time, plus its size cap and
// end-of-stream handling.

#include "sse_test_support.hpp"

namespace interlingua::net {
namespace {

using namespace sse_testing;

// ---------------------------------------------------------------------------------------------
// Spec points, one by one

// The decoder strips a BOM only at the very start; later it is an ordinary (unknown) field name.
TEST(SseParser, StripsLeadingBomOnce) {
  EXPECT_EVENTS(parse("\xEF\xBB\xBF"
                      "data: a\n\n\xEF\xBB\xBF"
                      "data: b\n\ndata: c\n\n"),
                (std::vector{ev("a"), ev("c")}));
  EXPECT_EVENTS(parse("data: \xEF\xBB\xBFx\n\n"), (std::vector{ev("\xEF\xBB\xBFx")}));
}

// The BOM itself can arrive one byte per read.
TEST(SseParser, StripsBomSplitAcrossFeeds) {
  const parse_result r = parse_chunks({"\xEF", "", "\xBB", "\xBF", "data: a\n\n"});
  EXPECT_TRUE(r.fed_ok);
  EXPECT_TRUE(r.finished_ok);
  EXPECT_EVENTS(r.events, (std::vector{ev("a")}));
}

// Bytes held while deciding whether a BOM starts the stream must not be lost when it does not.
TEST(SseParser, KeepsBytesOfAnAbortedBom) {
  // The held bytes form a field line, so the stream does not end on a boundary.
  EXPECT_FALSE(parse_chunks({"\xEF\xBB", "\n"}).finished_ok);
  EXPECT_FALSE(parse_chunks({"\xEF\xBB"}).finished_ok);
  EXPECT_TRUE(parse_chunks({"\xEF\xBB\xBF"}).finished_ok);
  EXPECT_EVENTS(parse_chunks({"\xEF", "X\ndata: y\n\n"}).events, (std::vector{ev("y")}));
}

// A CRLF torn between two reads is one line ending, not a line ending plus a blank line.
TEST(SseParser, CrLfSplitAcrossFeedsIsOneLineEnding) {
  EXPECT_EVENTS(parse_chunks({"data: a\r", "\ndata: b\r\n\r\n"}).events, (std::vector{ev("a\nb")}));
  EXPECT_EVENTS(parse_chunks({"data: a\r", "", "\ndata: b\r", "\n\r", "\n"}).events,
                (std::vector{ev("a\nb")}));
}

// CR alone is a line ending too, so CR CR ends an event and CR then a non-LF starts a new line.
TEST(SseParser, BareCrEndsLines) {
  EXPECT_EVENTS(parse("data: a\r\rdata: b\r\r"), (std::vector{ev("a"), ev("b")}));
  EXPECT_EVENTS(parse_chunks({"data: a\r", "data: b\r", "\r"}).events, (std::vector{ev("a\nb")}));
  EXPECT_EVENTS(parse("data: a\r\n\rdata: b\n\r\n"), (std::vector{ev("a"), ev("b")}));
}

// Comments (keep-alives) never produce or alter events.
TEST(SseParser, IgnoresComments) {
  EXPECT_EVENTS(parse(":\n: ping\n\n:data: x\ndata: y\n:event: z\n\n"), (std::vector{ev("y")}));
}

// Exactly one space after the colon belongs to the syntax; the rest is value.
TEST(SseParser, RemovesOnlyOneSpaceAfterColon) {
  EXPECT_EVENTS(parse("data:a\n\ndata: a\n\ndata:  a\n\ndata: a \n\n"),
                (std::vector{ev("a"), ev("a"), ev(" a"), ev("a ")}));
}

// "data" with no colon is the data field with an empty value, so it dispatches "".
TEST(SseParser, LineWithoutColonIsFieldWithEmptyValue) {
  EXPECT_EVENTS(parse("data\n\nevent: x\nevent\ndata: y\n\n"), (std::vector{ev(""), ev("y")}));
}

// Multi-line data is joined with '\n' without a trailing newline, keeping empty lines.
TEST(SseParser, JoinsDataLinesWithNewline) {
  EXPECT_EVENTS(parse("data: a\ndata:\ndata: b\n\n"), (std::vector{ev("a\n\nb")}));
  EXPECT_EVENTS(parse("data:\ndata:\n\n"), (std::vector{ev("\n")}));
}

// A block without data dispatches nothing and forgets its event type.
TEST(SseParser, BlockWithoutDataIsNotDispatched) {
  EXPECT_EVENTS(parse("event: ping\n\ndata: x\n\n"), (std::vector{ev("x")}));
  EXPECT_EVENTS(parse("event: ping\nretry: 5\n\n\n\n"), (std::vector<sse_event>{}));
}

// The event type is per event; the last event id persists across events.
TEST(SseParser, EventTypeResetsButIdPersists) {
  EXPECT_EVENTS(parse("event: e\nid: 1\ndata: a\n\ndata: b\n\n"),
                (std::vector{ev("a", "e", "1"), ev("b", "", "1")}));
}

// An id containing NUL is ignored entirely (it could not be sent back as Last-Event-ID).
TEST(SseParser, IdWithNulIsIgnored) {
  const parse_result r = parse_chunks({"id: a\ndata: x\n\nid: b\0c\ndata: y\n\n"s});
  EXPECT_EVENTS(r.events, (std::vector{ev("x", "", "a"), ev("y", "", "a")}));
  EXPECT_EQ(r.last_event_id, "a");
}

// The id commits at the blank line: after a truncated block a reconnect must not skip its event.
TEST(SseParser, LastEventIdCommitsAtBlankLine) {
  sse_parser parser;
  std::vector<sse_event> out;
  EXPECT_TRUE(parser.feed("id: 1\ndata: x\n\nid: 2\ndata: y\n", out));
  EXPECT_EQ(parser.last_event_id(), "1");
  EXPECT_FALSE(parser.finish());
  EXPECT_EQ(parser.last_event_id(), "1");
  EXPECT_EVENTS(out, (std::vector{ev("x", "", "1")}));
}

// A block with only an id dispatches nothing but still moves the last event id (spec step 1).
TEST(SseParser, IdOnlyBlockUpdatesLastEventId) {
  const parse_result r = parse_chunks({"id: 9\n\n"});
  EXPECT_TRUE(r.events.empty());
  EXPECT_EQ(r.last_event_id, "9");
  EXPECT_EVENTS(parse("id: 9\n\ndata: a\n\nid\ndata: b\n\n"),
                (std::vector{ev("a", "", "9"), ev("b")}));  // "id" alone resets it to ""
}

// retry: takes only ASCII digits; anything else (sign, space, dot, overflow) is ignored.
TEST(SseParser, RetryNeedsAsciiDigits) {
  EXPECT_EVENTS(parse("retry: 3000\ndata: a\n\n"), (std::vector{ev("a", "", "", 3000)}));
  EXPECT_EVENTS(parse("retry: 18446744073709551615\ndata: a\n\n"),
                (std::vector{ev("a", "", "", 18446744073709551615ull)}));
  for (const char* bad : {"retry: +1\n", "retry: 1 \n", "retry:\n", "retry\n", "retry: 0x10\n",
                          "retry: \xD9\xA1\n", "retry: 18446744073709551616\n"}) {
    EXPECT_EVENTS(parse(std::string(bad) + "data: a\n\n"), (std::vector{ev("a")})) << bad;
  }
}

// retry belongs to the block that carried it, not to later events.
TEST(SseParser, RetryIsPerBlock) {
  EXPECT_EVENTS(parse("retry: 5\ndata: a\n\ndata: b\n\nretry: 7\n\ndata: c\n\n"),
                (std::vector{ev("a", "", "", 5), ev("b"), ev("c")}));
}

// Field names are case-sensitive and unknown ones are ignored without breaking the event.
TEST(SseParser, IgnoresUnknownFields) {
  EXPECT_EVENTS(parse("Data: x\nfoo: bar\n data: y\nevent : z\nid : 4\ndata: a\n\n"),
                (std::vector{ev("a")}));
}

// The spec decodes the stream as UTF-8 with replacement; invalid bytes must not reach JSON parsers.
TEST(SseParser, ReplacesInvalidUtf8) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EVENTS(parse("data: a\xFF"
                      "b\xC3\n\n"),
                (std::vector{ev("a" + fffd + "b" + fffd)}));
  // Overlong E0 80, surrogate ED A0 80, a cut 4-byte sequence, and one past U+10FFFF.
  EXPECT_EVENTS(parse("data: \xE0\x80|\xED\xA0\x80|\xF0\x9F\x98|\xF4\x90\x80\x80\n\n"),
                (std::vector{ev(fffd + fffd + "|" + fffd + fffd + fffd + "|" + fffd + "|" + fffd +
                                fffd + fffd + fffd)}));
  EXPECT_EVENTS(parse("event: \xC0\xAF\ndata: \xF0\x9F\x98\x80\xF4\x8F\xBF\xBF\n\n"),
                (std::vector{ev("\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF", fffd + fffd)}));
}

// A multi-byte character torn between reads is reassembled, not replaced.
TEST(SseParser, KeepsUtf8SplitAcrossFeeds) {
  EXPECT_EVENTS(parse_chunks({"data: \xE6", "\x97", "\xA5\xF0\x9F", "\x98\x80\n\n"}).events,
                (std::vector{ev("\xE6\x97\xA5\xF0\x9F\x98\x80")}));
}

// NUL and other control bytes in data are content, not terminators.
TEST(SseParser, KeepsNulInData) {
  EXPECT_EVENTS(parse("data: a\0b\x01\n\n"s), (std::vector{ev("a\0b\x01"s)}));
}

// ---------------------------------------------------------------------------------------------
// Size cap

// An event whose data is exactly the cap is fine; lines of exactly the cap are fine too.
TEST(SseParserCap, EventAtCapPasses) {
  const parse_result r = parse_chunks({"data: 0123456789\ndata: 01234\n\n"}, 16);
  EXPECT_TRUE(r.fed_ok);
  EXPECT_EVENTS(r.events, (std::vector{ev("0123456789\n01234")}));
}

// One byte over the cap fails the stream for good, while earlier events are still delivered.
TEST(SseParserCap, EventOverCapFailsAndStaysFailed) {
  sse_parser parser(16);
  std::vector<sse_event> out;
  EXPECT_FALSE(parser.feed("data: ok\n\ndata: 0123456789\ndata: 012345\n\n", out));
  EXPECT_TRUE(parser.failed());
  EXPECT_EVENTS(out, (std::vector{ev("ok")}));
  EXPECT_FALSE(parser.feed("data: x\n\n", out));
  EXPECT_EQ(out.size(), 1u);
  EXPECT_FALSE(parser.finish());
  EXPECT_TRUE(parser.failed());
}

// Many empty data lines grow the buffer by their separators: that counts too.
TEST(SseParserCap, EmptyDataLinesCount) {
  EXPECT_TRUE(parse_chunks({std::string(17, '\n') + "\n"}, 16).fed_ok);  // blank lines only
  std::string lines;
  for (int i = 0; i < 17; ++i) {
    lines += "data\n";
  }
  EXPECT_TRUE(parse_chunks({lines + "\n"}, 16).fed_ok);  // 16 separators, no data bytes
  EXPECT_FALSE(parse_chunks({lines + "data\n\n"}, 16).fed_ok);
}

// A single endless line (even a comment) must fail whether it arrives whole or in pieces.
TEST(SseParserCap, LineOverCapFailsInAnySplit) {
  const std::string at_cap = ":" + std::string(15, 'x') + "\n";
  const std::string over_cap = ":" + std::string(16, 'x') + "\n";
  EXPECT_TRUE(parse_chunks({at_cap}, 16).fed_ok);
  EXPECT_FALSE(parse_chunks({over_cap}, 16).fed_ok);
  const std::string_view over = over_cap;
  for (std::size_t k = 0; k <= over.size(); ++k) {
    EXPECT_FALSE(parse_chunks({over.substr(0, k), over.substr(k)}, 16).fed_ok) << k;
  }
  const std::string_view at = at_cap;
  EXPECT_TRUE(parse_chunks({at.substr(0, 8), at.substr(8)}, 16).fed_ok);
}

// ---------------------------------------------------------------------------------------------
// finish() and reset()

// finish() is how callers tell a clean end from a cut connection.
TEST(SseParserFinish, ReportsTruncation) {
  EXPECT_TRUE(parse_chunks({""}).finished_ok);
  EXPECT_TRUE(parse_chunks({"data: a\n\n"}).finished_ok);
  EXPECT_TRUE(parse_chunks({"data: a\r\n\r\n: ping\n"}).finished_ok);  // comments are no event
  EXPECT_FALSE(parse_chunks({"data: a\r"}).finished_ok);
  EXPECT_FALSE(parse_chunks({"data: a\n"}).finished_ok);
  EXPECT_FALSE(parse_chunks({"data: a\n\nevent: x\n"}).finished_ok);
  EXPECT_FALSE(parse_chunks({"data: a\n\ndata"}).finished_ok);
  EXPECT_FALSE(parse_chunks({"data: a\n\n:"}).finished_ok);  // even a cut comment is a cut line
}

// finish() discards the trailing block and readies the parser for a reconnected stream.
TEST(SseParserFinish, DiscardsTailAndStartsNextStream) {
  sse_parser parser;
  std::vector<sse_event> out;
  EXPECT_TRUE(parser.feed("id: 5\ndata: a\n\nevent: e\nid: 6\ndata: lost", out));
  EXPECT_FALSE(parser.finish());
  EXPECT_TRUE(parser.finish());  // nothing pending any more
  EXPECT_TRUE(
      parser.feed("\xEF\xBB\xBF"
                  "data: b\n\n",
                  out));  // new stream: BOM again
  EXPECT_TRUE(parser.finish());
  EXPECT_EVENTS(out, (std::vector{ev("a", "", "5"), ev("b", "", "5")}));
}

// reset() forgets everything, including a failure and the last event id.
TEST(SseParserReset, ReturnsToInitialState) {
  sse_parser parser(16);
  std::vector<sse_event> out;
  EXPECT_TRUE(parser.feed("id: 3\ndata: a\n\ndata: par", out));
  parser.reset();
  EXPECT_EQ(parser.last_event_id(), "");
  EXPECT_TRUE(parser.feed("tial\n\n", out));  // the partial line was dropped: "tial" is a field
  EXPECT_FALSE(parser.feed(std::string(17, 'x'), out));
  EXPECT_TRUE(parser.failed());
  parser.reset();
  EXPECT_FALSE(parser.failed());
  EXPECT_TRUE(
      parser.feed("\xEF\xBB\xBF"
                  "data: b\n\n",
                  out));
  EXPECT_TRUE(parser.finish());
  EXPECT_EVENTS(out, (std::vector{ev("a", "", "3"), ev("b")}));
}

}  // namespace
}  // namespace interlingua::net
