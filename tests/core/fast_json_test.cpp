// The gateway's two JSON readers, fast_json (nlohmann trees) and json_view (a flat tape), must be
// drop-ins for json::parse(text, nullptr, false): the same verdict on every input and, when valid,
// the same values down to the number kinds and float bits (a caller that reads an unsigned where
// nlohmann gave an integer, or sees 1e400 accepted, would behave differently). So every test here
// compares both readers with nlohmann; a view is compared through json_view::to_json.

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <interlingua/core/fast_json.hpp>
#include <interlingua/core/json_view.hpp>

#include "random_json.hpp"

namespace interlingua::core {
namespace {

using json = nlohmann::json;
using namespace std::string_literals;
namespace fs = std::filesystem;
using testing::generator;
using testing::mutate;

// The first difference between two trees, or "" when they are identical: same type tag at every
// node (number_integer, number_unsigned and number_float apart), same float bits (-0.0 is not
// 0.0), same keys in the same order. Iterative, so the deep-nesting tests can use it.
std::string first_difference(const json& a, const json& b) {
  std::vector<std::pair<const json*, const json*>> todo{{&a, &b}};
  while (!todo.empty()) {
    auto [x, y] = todo.back();
    todo.pop_back();
    if (x->type() != y->type()) {
      return std::string("type ") + x->type_name() + " vs " + y->type_name();
    }
    if (x->is_number_float()) {
      if (std::bit_cast<std::uint64_t>(x->get<double>()) !=
          std::bit_cast<std::uint64_t>(y->get<double>())) {
        return "float bits of " + x->dump() + " vs " + y->dump();
      }
    } else if (x->is_array() || x->is_object()) {
      if (x->size() != y->size()) {
        return "container sizes " + std::to_string(x->size()) + " vs " + std::to_string(y->size());
      }
      for (auto i = x->begin(), j = y->begin(); i != x->end(); ++i, ++j) {
        if (x->is_object() && i.key() != j.key()) {
          return "keys " + i.key() + " vs " + j.key();
        }
        todo.emplace_back(&*i, &*j);
      }
    } else if (*x != *y) {
      return "values " + x->dump() + " vs " + y->dump();
    }
  }
  return "";
}

std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text.substr(0, 200)) {
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    }
  }
  return text.size() > 200 ? out + "..." : out;
}

// Success when `reader` gives what nlohmann gives for `text`.
::testing::AssertionResult same_as(const json& expected, const std::optional<json>& got,
                                   std::string_view reader, std::string_view text) {
  if (expected.is_discarded() || !got) {
    if (expected.is_discarded() == !got) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "nlohmann " << (got ? "rejects" : "accepts") << " `"
                                         << printable(text) << "`, " << reader << " does not";
  }
  std::string diff = first_difference(expected, *got);
  if (diff.empty()) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << reader << ": " << diff << " for `" << printable(text) << "`";
}

// Success when both fast_json and json_view give what nlohmann gives for `text`.
::testing::AssertionResult as_nlohmann(std::string_view text) {
  json expected = json::parse(text, nullptr, false);
  auto tree = same_as(expected, fast_json::parse(text), "fast_json", text);
  if (!tree) {
    return tree;
  }
  json_view::document doc;
  std::optional<json> viewed;
  if (doc.parse(text)) {
    viewed = json_view::to_json(doc.root());
  }
  return same_as(expected, viewed, "json_view", text);
}

void expect_all_as_nlohmann(const std::vector<std::string>& corpus) {
  for (const std::string& text : corpus) {
    EXPECT_TRUE(as_nlohmann(text));
  }
}

// The differential tests are only as strict as this comparator: it must tell apart what
// operator== equates (1 as unsigned, integer or float; 0.0 and -0.0).
TEST(FastJson, ComparatorSeesKindsAndFloatBits) {
  EXPECT_NE(first_difference(json(1u), json(1)), "");
  EXPECT_NE(first_difference(json(1), json(1.0)), "");
  EXPECT_NE(first_difference(json(0.0), json(-0.0)), "");
  EXPECT_NE(first_difference(json::parse("[{\"a\":[1]}]"), json::parse("[{\"a\":[1.0]}]")), "");
  EXPECT_NE(first_difference(json::parse("{\"a\":1}"), json::parse("{\"b\":1}")), "");
  EXPECT_EQ(first_difference(json::parse("[-0.0,{\"a\":\"x\"}]"),
                             *fast_json::parse("[-0.0,{\"a\":\"x\"}]")),
            "");
}

// The hand-written corpus: every rule of the grammar, each on the valid and the invalid side.
TEST(FastJson, LiteralsWhitespaceAndTopLevelAsNlohmann) {
  expect_all_as_nlohmann({"true", "false", "null", " \t\r\ntrue\n\r\t ", "tru", "truee", "True",
                          "nul", "nulll", "falsy", "", " ", "\t\n\r"});
  // Only four whitespace bytes, no comments, exactly one top-level value.
  expect_all_as_nlohmann({"\f1", "1\f", "\v1", "1 2", "true false", "\"a\" \"b\"", "[] []", "{}x",
                          "1/", "1 //c", "/*c*/1", "#1"});
}

// A UTF-8 BOM is skipped only once and only as the very first bytes; a partial one is an error.
TEST(FastJson, ByteOrderMarkAsNlohmann) {
  const std::string bom = "\xEF\xBB\xBF";
  for (std::string_view rest : {"", " 1", "1", "{\"a\":1}", "\xEF\xBB\xBF"}) {
    EXPECT_TRUE(as_nlohmann(bom + std::string(rest)));
    EXPECT_TRUE(as_nlohmann(" " + bom + std::string(rest)));
    EXPECT_TRUE(as_nlohmann(bom.substr(0, 2) + std::string(rest)));
    EXPECT_TRUE(as_nlohmann(bom.substr(0, 1) + std::string(rest)));
  }
  EXPECT_TRUE(as_nlohmann("\xFE\xFF\x31"));
}

// nlohmann's lexer takes a NUL byte for the end of input, so one after the document ends it
// (anything after is ignored) while one anywhere else is an error.
TEST(FastJson, NulBytesAsNlohmann) {
  expect_all_as_nlohmann({"\0"s, "\0 1"s, "1\0"s, "1\0garbage"s, "{} \0{"s, "-12\0\x33"s, "[1\0]"s,
                          "\"a\0\""s, "tr\0ue"s, "{\"a\"\0:1}"s});
}

// Each escape, \u in both cases, surrogate pairs and their lone halves, raw control bytes.
TEST(FastJson, StringEscapesAsNlohmann) {
  expect_all_as_nlohmann({R"("")", R"("\"")", R"("\\")", R"("\/")", R"("\b\f\n\r\t")",
                          R"("a\tb\nc")", R"("a\\\"b\\")", R"("\u0000")",
                          R"("\u0041\u00e9\u00E9\u20AC\uFFFF\u07ff\u0800\u007F\u0080")",
                          R"({"k\u0065y":"v\u0061l","k\ney":1})"});
  expect_all_as_nlohmann({R"("\ud83d\ude00")", R"("\uD83D\uDE00")", R"("\uDBFF\uDFFF")",
                          R"("\uD800\uDC00")", R"("\ud83d")", R"("\ud83dx")", R"("\ud83d\n")",
                          R"("\ud83d\u0041")", R"("\ude00")", R"("\ude00\ud83d")",
                          R"("\ud83d\ud83d")", R"("\ud83d\")", R"("\ud83d\u")"});
  expect_all_as_nlohmann({R"("\u12")", R"("\u12G4")", R"("\uXYZW")", R"("\U0041")", R"("\x41")",
                          R"("\a")", R"("\0")", R"("\')", R"("\ ")", R"("\)", R"(["\u00","x"])"});
  expect_all_as_nlohmann({R"("abc)", R"(")", R"("a"b")", "\"tab\there\"", "\"nl\nhere\"",
                          "\"\x01\"", "\"\x1F\"", "\"\x7F\"", "\"\0\""s});
  std::string long_escaped = "\"" + std::string(5000, 'x') + "\\n" + std::string(5000, 'y') + "\"";
  EXPECT_TRUE(as_nlohmann(long_escaped));
}

// nlohmann's UTF-8 ranges at their edges: 2/3/4-byte minimum and maximum, overlongs, encoded
// surrogates, past U+10FFFF, stray continuations and truncations.
TEST(FastJson, Utf8EdgesAsNlohmann) {
  std::vector<std::string> valid = {"\xC2\x80",         "\xDF\xBF",
                                    "\xE0\xA0\x80",     "\xEF\xBF\xBF",
                                    "\xED\x9F\xBF",     "\xEE\x80\x80",
                                    "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF",
                                    "\xF1\x80\x80\x80", "caf\xC3\xA9 \xE2\x82\xAC!"};
  // Overlong forms, encoded surrogates, past U+10FFFF.
  std::vector<std::string> invalid = {
      "\xC0\x80",         "\xC1\xBF",     "\xE0\x80\x80", "\xE0\x9F\xBF",     "\xF0\x80\x80\x80",
      "\xF0\x8F\xBF\xBF", "\xED\xA0\x80", "\xED\xBF\xBF", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80"};
  // Stray continuation or impossible bytes, truncated sequences.
  for (const char* broken : {"\xFF", "\x80", "\xBF", "\xE2\x82", "\xF0\x9F\x98", "\xC3", "\xC3\x28",
                             "\xE2\x28\xA1", "\xF0\x28\x8C\xBC"}) {
    invalid.push_back(broken);
  }
  for (const auto* bodies : {&valid, &invalid}) {
    for (const std::string& body : *bodies) {
      EXPECT_EQ(fast_json::parse("\"" + body + "\"").has_value(), bodies == &valid);
      EXPECT_TRUE(as_nlohmann("\"" + body + "\""));
      EXPECT_TRUE(as_nlohmann("\"" + body));  // truncated right after the sequence
      EXPECT_TRUE(as_nlohmann("{\"" + body + "\":1}"));
      EXPECT_TRUE(as_nlohmann("\"12345678" + body + "abcdefgh\""));  // inside a fast-path word
    }
  }
}

// Every lead byte from 0x80 with continuation bytes at each range edge: the whole table.
TEST(FastJson, Utf8ByteRangesExhaustivelyAsNlohmann) {
  const std::vector<unsigned char> edges = {0x00, 0x22, 0x41, 0x7F, 0x80, 0x8F, 0x90,
                                            0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xF4, 0xFF};
  for (int lead = 0x80; lead <= 0xFF; ++lead) {
    for (unsigned char b1 : edges) {
      for (unsigned char b2 : edges) {
        for (unsigned char b3 : {0x80, 0xBF, 0xC0}) {
          std::string text = "\"";
          for (int b : {lead, int{b1}, int{b2}, int{b3}, int{'"'}}) {
            text += static_cast<char>(b);
          }
          ASSERT_TRUE(as_nlohmann(text));
        }
      }
    }
  }
}

// The grammar's edges and nlohmann's choice of kind: unsigned, integer, float, overflow to float.
TEST(FastJson, NumbersAsNlohmann) {
  expect_all_as_nlohmann({"0", "-0", "0.0", "-0.0", "1", "-1", "12", "0e0", "0E+0", "-0e-0", "1e5",
                          "1E5", "1e+5", "1e-5", "1.5", "-1.5", "0.1", "123.456e-7"});
  // Integer boundaries: unsigned up to 2^64-1, negative down to -2^63, then floats.
  expect_all_as_nlohmann({"9223372036854775807", "9223372036854775808", "-9223372036854775807",
                          "-9223372036854775808", "-9223372036854775809", "18446744073709551615",
                          "18446744073709551616", "-18446744073709551615", "99999999999999999999",
                          "100000000000000000000", "123456789012345678901234567890"});
  // Float range and rounding: overflow is an error in nlohmann, underflow gives (signed) zero.
  expect_all_as_nlohmann({"1.7976931348623157e308", "1.7976931348623159e308",
                          "-1.7976931348623159e308", "1e400", "-1e400", "1e-400", "-1e-400",
                          "4.9e-324", "2.4703282292062327e-324", "2.4703282292062328e-324",
                          "2.2250738585072011e-308", "9007199254740993", "9007199254740993.0",
                          "0.30000000000000000555111512312578270211815834045410156250001"});
  // Very long mantissas and exponents.
  for (const std::string& text :
       {"1" + std::string(400, '0'), "1" + std::string(300, '0') + ".5",
        "0." + std::string(400, '0') + "1", "1e" + std::string(30, '9'),
        "1e-" + std::string(30, '9'), "0e" + std::string(30, '9'), "-" + std::string(25, '9')}) {
    EXPECT_TRUE(as_nlohmann(text));
  }
  // Not JSON numbers.
  expect_all_as_nlohmann({"01", "-01", "00", "+1", "-", "--1", "-a", ".5", "-.5", "5.", "5.e3",
                          "1e", "1e+", "1e-", "1E+-5", "0x1F", "1.5.5", "1e5e5", "1ee5"});
  expect_all_as_nlohmann({"NaN", "-NaN", "Infinity", "-Infinity", "1-", "[01]", "[1.]", "[-]",
                          "[1e]", "{\"a\":01}", "[1,-0,-0.0,0.5e1]"});
}

// The kinds spelled out, so a reader sees what the differential tests hold fast_json to.
TEST(FastJson, NumberKindsAreNlohmanns) {
  EXPECT_TRUE(fast_json::parse("-0")->is_number_integer());
  EXPECT_TRUE(fast_json::parse("0")->is_number_unsigned());
  EXPECT_TRUE(std::signbit(fast_json::parse("-0.0")->get<double>()));
  EXPECT_TRUE(fast_json::parse("18446744073709551616")->is_number_float());
  EXPECT_TRUE(fast_json::parse("-9223372036854775808")->is_number_integer());
  EXPECT_TRUE(fast_json::parse("-9223372036854775809")->is_number_float());
  EXPECT_EQ(fast_json::parse("1e-400")->get<double>(), 0.0);
  EXPECT_FALSE(fast_json::parse("1e400"));  // nlohmann: "number overflow"
}

// Containers: empty, nested, separators out of place, duplicates (the last value wins).
TEST(FastJson, ObjectsAndArraysAsNlohmann) {
  expect_all_as_nlohmann({"[]", "{}", "[ ]", "{ }", "[[]]", "[{}]", "{\"a\":{}}", "[1,2,3]",
                          " [ 1 , 2 ] ", "{\"a\":1,\"b\":[true,null],\"c\":{\"d\":\"e\"}}",
                          "{\"b\":1,\"a\":2}", "{\"\":0}", "[null,true,false,\"\",0,-1,1.5]"});
  expect_all_as_nlohmann({"{\"a\":1,\"a\":2}", "{\"a\":[1,2],\"a\":3}",
                          "{\"a\":1,\"a\":[1,{\"x\":2}]}", "{\"a\":{\"b\":1},\"a\":{\"c\":2}}",
                          "{\"a\":1,\"b\":2,\"a\":{}}"});
  expect_all_as_nlohmann({"[1,]", "[,1]", "[,]", "[1,,2]", "[1 2]", "{\"a\":1,}", "{,}", "{\"a\"}",
                          "{\"a\":}", "{\"a\" 1}", "{\"a\"::1}", "{a:1}", "{1:1}", "{'a':1}",
                          "{\"a\":1\"b\":2}", "[\"a\",]", "{\"a\":1,\"b\"}"});
  expect_all_as_nlohmann(
      {"[", "]", "{", "}", "[}", "{]", "[[]", "[]]", "{\"a\":1}}", "[1]x", "{\"a\":1} {}"});
}

// A document cut anywhere (a truncated upstream body) must be refused exactly when nlohmann
// refuses it; prefixes also walk through every parser state.
TEST(FastJson, EveryPrefixOfRealisticDocumentsAsNlohmann) {
  const std::vector<std::string> documents = {
      R"({"id":"chatcmpl-1","object":"chat.completion","created":1796577575,"choices":[{"index":0,"message":{"role":"assistant","content":"h\u00e9llo \ud83d\ude00\n","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}}]},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":-3,"total_tokens":1.5e2,"cost":0.000123}})",
      "\xEF\xBB\xBF [ true , false , null , -0.5E+3 , \"caf\xC3\xA9 \xF0\x9F\x98\x80\" , { } , [ ] "
      "] ",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a\\b\/c\"d\te"}})"};
  for (const std::string& doc : documents) {
    for (std::size_t n = 0; n <= doc.size(); ++n) {
      EXPECT_TRUE(as_nlohmann(std::string_view(doc).substr(0, n)));
    }
  }
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Real provider bodies and stream events (captured, shared with the other tests) are the inputs
// that matter most; each whole .json file and each SSE `data:` line is compared.
TEST(FastJson, CapturedProviderBodiesAsNlohmann) {
  fs::path dir = fs::path(IL_SHARED_DIR) / "fixtures" / "upstream";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string ext = entry.path().extension().string();
    std::string text = read_file(entry.path());
    if (ext == ".json") {
      EXPECT_TRUE(as_nlohmann(text)) << entry.path();
      EXPECT_TRUE(fast_json::parse(text)) << entry.path();
    } else if (ext == ".sse" || ext == ".stream") {
      std::istringstream lines(text);
      for (std::string line; std::getline(lines, line);) {
        if (line.rfind("data:", 0) == 0) {
          EXPECT_TRUE(as_nlohmann(std::string_view(line).substr(5))) << entry.path();
        }
      }
    }
  }
}

TEST(FastJson, SeededRandomDocumentsAndMutationsAsNlohmann) {
  generator g(20240611);
  int valid = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string doc = g.document();
    valid += json::accept(doc) ? 1 : 0;
    ASSERT_TRUE(as_nlohmann(doc));
    for (int m = 0; m < 6; ++m) {
      ASSERT_TRUE(as_nlohmann(mutate(doc, g)));
    }
  }
  EXPECT_EQ(valid, 3000);  // the generator itself must only write valid JSON
}

// Hostile nesting must neither overflow the stack nor differ from nlohmann, which has no depth
// limit either (both parsers are iterative).
TEST(FastJson, DeepNestingDoesNotOverflowTheStack) {
  const std::size_t depth = 100000;
  std::string arrays = std::string(depth, '[') + std::string(depth, ']');
  std::string objects;
  for (std::size_t i = 0; i < depth; ++i) {
    objects += "{\"a\":";
  }
  objects += "1" + std::string(depth, '}');
  EXPECT_TRUE(as_nlohmann(arrays));
  EXPECT_TRUE(as_nlohmann(objects));
  EXPECT_TRUE(as_nlohmann(std::string(depth, '[')));
  EXPECT_TRUE(as_nlohmann(std::string(depth, '[') + std::string(depth - 1, ']')));
  EXPECT_FALSE(fast_json::parse(std::string(1000000, '[')));
  EXPECT_TRUE(fast_json::parse(arrays));
}

}  // namespace
}  // namespace interlingua::core
