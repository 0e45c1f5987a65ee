// The SSE parser against every stream fixture (local and captured), split at every byte offset.

#include "sse_test_support.hpp"

namespace interlingua::net {
namespace {

using namespace sse_testing;

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

}  // namespace
}  // namespace interlingua::net
