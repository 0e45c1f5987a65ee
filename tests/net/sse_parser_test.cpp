#include <interlingua/net/sse_parser.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace interlingua::net {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

// ---------------------------------------------------------------------------------------------
// Helpers

// An expected event; data comes first because most expectations set nothing else.
sse_event ev(std::string data, std::string event = {}, std::string id = {},
             std::optional<std::uint64_t> retry = std::nullopt) {
  return sse_event{std::move(event), std::move(data), std::move(id), retry};
}

bool same_event(const sse_event& a, const sse_event& b) {
  return a.event == b.event && a.data == b.data && a.id == b.id && a.retry == b.retry;
}

bool same_events(const std::vector<sse_event>& a, const std::vector<sse_event>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), same_event);
}

std::string escaped(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      out += "\\x" + std::string(1, "0123456789abcdef"[u >> 4]) + "0123456789abcdef"[u & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

std::string describe(const std::vector<sse_event>& events) {
  std::ostringstream os;
  for (const sse_event& e : events) {
    os << "{event=\"" << escaped(e.event) << "\" data=\"" << escaped(e.data) << "\" id=\""
       << escaped(e.id) << "\" retry=";
    if (e.retry) {
      os << *e.retry;
    } else {
      os << "none";
    }
    os << "}\n";
  }
  return os.str();
}

#define EXPECT_EVENTS(actual, expected)                                           \
  EXPECT_TRUE(same_events(actual, expected)) << "actual:\n"                       \
                                             << describe(actual) << "expected:\n" \
                                             << describe(expected)

struct parse_result {
  std::vector<sse_event> events;
  bool fed_ok = true;
  bool finished_ok = false;
  std::string last_event_id;
};

// Feeds `chunks` in order into a fresh parser and finishes the stream.
parse_result parse_chunks(const std::vector<std::string_view>& chunks,
                          std::size_t max_bytes = std::size_t{4} * 1024 * 1024) {
  sse_parser parser(max_bytes);
  parse_result r;
  for (const std::string_view chunk : chunks) {
    r.fed_ok = parser.feed(chunk, r.events) && r.fed_ok;
  }
  r.finished_ok = parser.finish();
  r.last_event_id = parser.last_event_id();
  return r;
}

std::vector<sse_event> parse(std::string_view stream) {
  return parse_chunks({stream}).events;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// ---------------------------------------------------------------------------------------------
// Every stream fixture, split at every byte offset

struct fixture_file {
  std::string name;  // file name, e.g. "crlf_only.sse"
  fs::path path;
  bool shared = false;  // a captured upstream stream from ../shared rather than one of ours
};

// gtest prints parameters in failure messages; the path is what a reader needs.
void PrintTo(const fixture_file& file, std::ostream* os) {
  *os << file.path.string();
}

void add_sse_files(const fs::path& dir, bool shared, std::vector<fixture_file>& out) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return;
  }
  std::vector<fixture_file> found;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".sse") {
      found.push_back({entry.path().filename().string(), entry.path(), shared});
    }
  }
  std::sort(found.begin(), found.end(),
            [](const fixture_file& a, const fixture_file& b) { return a.name < b.name; });
  out.insert(out.end(), found.begin(), found.end());
}

std::vector<fixture_file> all_fixtures() {
  std::vector<fixture_file> files;
  add_sse_files(fs::path(IL_FIXTURES_DIR) / "sse", false, files);
  add_sse_files(fs::path(IL_SHARED_DIR) / "fixtures" / "upstream", true, files);
  return files;
}

std::string fixture_test_name(const testing::TestParamInfo<fixture_file>& info) {
  std::string name = (info.param.shared ? "shared_" : "local_") + info.param.name;
  for (char& c : name) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    c = alnum ? c : '_';
  }
  return name;
}

class SseFixture : public testing::TestWithParam<fixture_file> {
 protected:
  void SetUp() override {
    bytes_ = read_file(GetParam().path);
    ASSERT_FALSE(bytes_.empty()) << GetParam().path;
    reference_ = parse_chunks({bytes_});
  }

  std::string bytes_;
  parse_result reference_;  // the whole file in one feed
};

// Files up to this size are split literally ([0,k) and [k,n)). Beyond it, re-parsing the whole
// file for each of its 17,000 split points is quadratic and takes half a minute under ASan.
constexpr std::size_t k_whole_file_split_limit = 2048;

// Offsets just after a blank line ended by LF (LF LF, CR LF LF, LF CR LF, CR CR LF, CR LF CR LF):
// the event boundaries of the captured upstream streams, which use LF or CRLF.
std::vector<std::size_t> block_ends(std::string_view s) {
  std::vector<std::size_t> ends{0};
  for (std::size_t p = 2; p <= s.size(); ++p) {
    const bool blank = s[p - 1] == '\n' &&
                       (s[p - 2] == '\n' ||
                        (p >= 3 && s[p - 2] == '\r' && (s[p - 3] == '\n' || s[p - 3] == '\r')));
    if (blank) {
      ends.push_back(p);
    }
  }
  if (ends.back() != s.size()) {
    ends.push_back(s.size());
  }
  return ends;
}

struct split_window {
  std::size_t begin = 0;
  std::size_t end = 0;
  bool operator<(const split_window& o) const {
    return begin != o.begin ? begin < o.begin : end < o.end;
  }
};

// What is fed for a split at k: the whole file when small, else the block holding k plus one
// whole block on each side, so every split point still sees its line, its CRLF, its UTF-8
// sequence, its event and the event boundaries around it.
split_window window_for(const std::vector<std::size_t>& ends, std::size_t k, std::size_t n) {
  if (n <= k_whole_file_split_limit) {
    return {0, n};
  }
  const auto upper = std::upper_bound(ends.begin(), ends.end(), k);
  const std::size_t i = static_cast<std::size_t>(upper - ends.begin()) - 1;
  const std::size_t last = ends.size() - 1;
  return {ends[i == 0 ? 0 : i - 1], ends[std::min(i + 2, last)]};
}

// Sockets deliver streams in arbitrary pieces: no split point may change what is dispatched.
TEST_P(SseFixture, EverySplitPointGivesTheSameEvents) {
  const std::string_view all = bytes_;
  const std::vector<std::size_t> ends = block_ends(all);
  std::map<split_window, parse_result> references;  // one-feed parse of each window
  sse_parser parser;
  std::vector<sse_event> events;
  int failures = 0;
  for (std::size_t k = 0; k <= all.size() && failures < 3; ++k) {
    const split_window w = window_for(ends, k, all.size());
    const std::string_view bytes = all.substr(w.begin, w.end - w.begin);
    auto ref = references.find(w);
    if (ref == references.end()) {
      ref = references.emplace(w, parse_chunks({bytes})).first;
    }
    parser.reset();
    events.clear();
    const std::size_t cut = k - w.begin;
    const bool fed =
        parser.feed(bytes.substr(0, cut), events) && parser.feed(bytes.substr(cut), events);
    const bool finished = parser.finish();
    const parse_result& expected = ref->second;
    if (!fed || finished != expected.finished_ok || !same_events(events, expected.events) ||
        parser.last_event_id() != expected.last_event_id) {
      ++failures;
      ADD_FAILURE() << "split at " << k << " of [" << w.begin << ", " << w.end << "):\n"
                    << describe(events) << "expected:\n"
                    << describe(expected.events);
    }
  }
}

// The worst case of fragmentation: every CRLF, BOM and UTF-8 sequence arrives split.
TEST_P(SseFixture, ByteByByteGivesTheSameEvents) {
  std::vector<std::string_view> chunks;
  const std::string_view all = bytes_;
  for (std::size_t i = 0; i < all.size(); ++i) {
    chunks.push_back(all.substr(i, 1));
  }
  const parse_result r = parse_chunks(chunks);
  EXPECT_TRUE(r.fed_ok);
  EXPECT_EQ(r.finished_ok, reference_.finished_ok);
  EXPECT_EQ(r.last_event_id, reference_.last_event_id);
  EXPECT_EVENTS(r.events, reference_.events);
}

INSTANTIATE_TEST_SUITE_P(Streams, SseFixture, testing::ValuesIn(all_fixtures()), fixture_test_name);

// ---------------------------------------------------------------------------------------------
// What our own fixtures must produce (written by hand from the spec, not from the parser)

struct expectation {
  std::vector<sse_event> events;
  bool finished_ok = true;
};

const std::map<std::string, expectation>& local_expectations() {
  static const std::map<std::string, expectation> table = {
      {"crlf_only.sse", {{ev("hello", "greeting", "1"), ev("line one\nline two", "", "1")}}},
      {"cr_only.sse", {{ev("one", "a"), ev("two\nthree", "", "x")}}},
      {"bom_start.sse", {{ev("after bom"), ev("last")}}},
      {"comments.sse", {{ev("real\nstill real")}}},
      {"multiline_data.sse", {{ev("first\n\nthird"), ev("{\"a\":\n 1}")}}},
      {"fields.sse",
       {{ev("a", "update", "42", 1500), ev("b", "", "42"), ev("c"), ev("d", "", "7")}}},
      {"field_no_colon.sse", {{ev(""), ev("\n")}}},
      {"data_space.sse",
       {{ev("nospace"), ev("onespace"), ev(" twospaces"), ev("\ttab"), ev("x", "  spaced type"),
         ev("a:b: c")}}},
      {"empty_data_line.sse", {{ev(""), ev(""), ev("\n")}}},
      {"event_without_data.sse", {{ev("after", "", "3")}}},
      {"id_with_nul.sse",
       {{ev("one", "", "good"), ev("two", "", "good"), ev("nul\0inside"s, "", "good")}}},
      {"retry_non_digits.sse",
       {{ev("a"), ev("b"), ev("c"), ev("d"), ev("e"), ev("f"), ev("g", "", "", 250),
         ev("h", "", "", 0)}}},
      {"trailing_incomplete_event.sse", {{ev("complete")}, false}},
      {"trailing_unterminated_line.sse", {{ev("complete")}, false}},
      {"utf8_multibyte.sse",
       {{ev("h\xC3\xA9llo w\xC3\xB6rld\n\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x83\x86\xE3\x82"
            "\xAD\xE3\x82\xB9\xE3\x83\x88\nemoji \xF0\x9F\x98\x80\xF0\x9F\x8E\x89"),
         ev("\xE2\x9C\x93",
            "\xC3\xBCn\xC3\xAF"
            "code")}}},
      {"mixed_line_endings.sse", {{ev("a\nb\nc"), ev("d"), ev("e"), ev("f")}}},
      {"unknown_fields.sse", {{ev("kept")}}},
  };
  return table;
}

// Split-invariance alone would accept a parser that is consistently wrong; pin the meaning.
TEST(SseLocalFixtures, ProduceTheEventsTheSpecPrescribes) {
  std::vector<fixture_file> files;
  add_sse_files(fs::path(IL_FIXTURES_DIR) / "sse", false, files);
  ASSERT_EQ(files.size(), local_expectations().size()) << "every fixture needs an expectation";
  for (const fixture_file& file : files) {
    SCOPED_TRACE(file.name);
    const auto it = local_expectations().find(file.name);
    ASSERT_NE(it, local_expectations().end());
    const parse_result r = parse_chunks({read_file(file.path)});
    EXPECT_TRUE(r.fed_ok);
    EXPECT_EQ(r.finished_ok, it->second.finished_ok);
    EXPECT_EVENTS(r.events, it->second.events);
  }
}

// ---------------------------------------------------------------------------------------------
// Captured upstream streams, counted by hand

// Real upstream streams carry JSON chunks (or OpenAI's "[DONE]"): anything else means we split or
// joined lines wrongly.
TEST(SseSharedFixtures, PayloadsAreJsonOrDone) {
  std::vector<fixture_file> files;
  add_sse_files(fs::path(IL_SHARED_DIR) / "fixtures" / "upstream", true, files);
  if (files.empty()) {
    GTEST_SKIP() << "no captured upstream streams in " << IL_SHARED_DIR;
  }
  for (const fixture_file& file : files) {
    SCOPED_TRACE(file.name);
    const parse_result r = parse_chunks({read_file(file.path)});
    ASSERT_TRUE(r.fed_ok);
    ASSERT_FALSE(r.events.empty());
    for (const sse_event& e : r.events) {
      if (e.data != "[DONE]") {
        EXPECT_FALSE(nlohmann::json::parse(e.data, nullptr, false).is_discarded()) << e.data;
      }
    }
  }
}

parse_result parse_shared(const std::string& name) {
  return parse_chunks({read_file(fs::path(IL_SHARED_DIR) / "fixtures" / "upstream" / name)});
}

bool shared_fixture_exists(const std::string& name) {
  std::error_code ec;
  return fs::exists(fs::path(IL_SHARED_DIR) / "fixtures" / "upstream" / name, ec);
}

#define SKIP_WITHOUT_SHARED(name)                   \
  if (!shared_fixture_exists(name)) {               \
    GTEST_SKIP() << "no shared fixture " << (name); \
  }

// OpenRouter interleaves ": OPENROUTER PROCESSING" comments; only the 5 data blocks count.
TEST(SseSharedFixtures, OpenRouterCommentsAreSkipped) {
  SKIP_WITHOUT_SHARED("openrouter_chat_stream_midstream_error.sse");
  const parse_result r = parse_shared("openrouter_chat_stream_midstream_error.sse");
  ASSERT_EQ(r.events.size(), 5u);
  EXPECT_EQ(r.events.back().data, "[DONE]");
  EXPECT_TRUE(r.finished_ok);
}

// Gemini frames with CRLF: 2 data lines must be 2 events, with no '\r' left in the payload.
TEST(SseSharedFixtures, GeminiCrLfStreamIsSplitCorrectly) {
  SKIP_WITHOUT_SHARED("gemini_stream_function_call_thought_signature.sse");
  const parse_result r = parse_shared("gemini_stream_function_call_thought_signature.sse");
  ASSERT_EQ(r.events.size(), 2u);
  for (const sse_event& e : r.events) {
    EXPECT_EQ(e.data.find('\r'), std::string::npos);
  }
  EXPECT_TRUE(r.finished_ok);
  SKIP_WITHOUT_SHARED("gemini_stream_thinking_text.sse");
  EXPECT_EQ(parse_shared("gemini_stream_thinking_text.sse").events.size(), 23u);
}

// OpenAI chat: 25 chunks plus "[DONE]"; no event: lines, so the type stays "".
TEST(SseSharedFixtures, OpenAiChatCountsAndDone) {
  SKIP_WITHOUT_SHARED("openai_chat_stream_parallel_tool_calls.sse");
  const parse_result r = parse_shared("openai_chat_stream_parallel_tool_calls.sse");
  ASSERT_EQ(r.events.size(), 26u);
  EXPECT_EQ(r.events.back().data, "[DONE]");
  for (const sse_event& e : r.events) {
    EXPECT_EQ(e.event, "");
  }
}

// The SDK's recording lacks the final blank line: 15 data lines, but the spec discards the last
// (message_stop) block and finish() must flag the stream as truncated.
TEST(SseSharedFixtures, AnthropicEventTypesAndUnterminatedTail) {
  SKIP_WITHOUT_SHARED("anthropic_stream_text_tool_use.sse");
  const parse_result r = parse_shared("anthropic_stream_text_tool_use.sse");
  ASSERT_EQ(r.events.size(), 14u);
  EXPECT_FALSE(r.finished_ok);
  EXPECT_EQ(r.events.front().event, "message_start");
  for (const sse_event& e : r.events) {
    const auto body = nlohmann::json::parse(e.data, nullptr, false);
    ASSERT_TRUE(body.is_object() && body.contains("type") && body["type"].is_string());
    EXPECT_EQ(body["type"].get<std::string>(), e.event);  // Anthropic mirrors event: in "type"
  }
}

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
