// The direct JSON writer must produce the very bytes nlohmann's dump gives (the renderers moved
// from trees to it for speed; clients, stored documents and the tests' expected bodies must not
// see a difference), including for text that is not valid UTF-8 — upstream bytes are untrusted.

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <interlingua/core/json_util.hpp>
#include <interlingua/core/json_write.hpp>

namespace interlingua::core {
namespace {

std::string written(std::string_view s, json_write::escape how = json_write::escape::json) {
  std::string out;
  json_write::string(out, s, how);
  return out;
}

std::string dumped(std::string_view s) {
  return json_util::dump(nlohmann::json(std::string(s)));
}

TEST(JsonWrite, PlainAndEscapedAsciiAsNlohmann) {
  for (std::string_view s : {std::string_view(""), std::string_view("hello"),
                             std::string_view("quote \" backslash \\ slash /"),
                             std::string_view("\b\f\n\r\t"), std::string_view("\x01\x1f\x7f")}) {
    EXPECT_EQ(written(s), dumped(s)) << s;
  }
  std::string all;
  for (int c = 0; c < 0x80; ++c) {
    all += static_cast<char>(c);
  }
  EXPECT_EQ(written(all), dumped(all));
}

TEST(JsonWrite, WellFormedUtf8PassesThrough) {
  for (std::string_view s : {"h\xC3\xA9llo", "\xE2\x82\xAC 5", "\xF0\x9F\x98\x80 emoji",
                             "\xED\x9F\xBF", "\xEE\x80\x80", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_EQ(written(s), dumped(s));
    EXPECT_EQ(written(s), "\"" + std::string(s) + "\"");
  }
}

TEST(JsonWrite, IllFormedUtf8ReplacedAsNlohmann) {
  // Lone continuation, overlong, surrogate, above U+10FFFF, truncated at the end, truncated
  // before ASCII, a bad byte inside a sequence, C0/C1/F5..FF.
  for (std::string_view s :
       {"\x80", "a\xBFz", "\xC0\xAF", "\xC1\x81", "\xE0\x80\x80", "\xED\xA0\x80",
        "\xF4\x90\x80\x80", "\xF5\x80", "\xFF", "end \xE2\x82", "\xE2\x82x", "\xF0\x9F\x98",
        "\xF0\x9F\x98z", "\xC3\xC3\xA9", "\xE2\xE2\x82\xAC", "\xF0\x80\x80\x80"}) {
    EXPECT_EQ(written(s), dumped(s)) << testing::PrintToString(std::string(s));
  }
}

TEST(JsonWrite, RandomBytesMatchNlohmann) {
  // Fixed seed: the same strings on every run. Weighted towards the bytes UTF-8 is made of.
  std::mt19937 rng(20261126);
  const std::vector<unsigned char> alphabet = {'a',  '"',  '\\', '\n', 0x01, 0x7F, 0x80, 0x8F, 0x90,
                                               0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE1, 0xED,
                                               0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF, 0x85, 0xE2};
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<int> length(0, 12);
  for (int round = 0; round < 20000; ++round) {
    std::string s;
    for (int n = length(rng); n > 0; --n) {
      s += static_cast<char>(alphabet[pick(rng)]);
    }
    ASSERT_EQ(written(s), dumped(s)) << testing::PrintToString(s);
  }
}

TEST(JsonWrite, WireEscapesTheCharactersSseReadersTakeForLineBreaks) {
  EXPECT_EQ(written("a\xE2\x80\xA8"
                    "b\xE2\x80\xA9"
                    "c\xC2\x85"
                    "d",
                    json_write::escape::wire),
            R"("a\u2028b\u2029c\u0085d")");
  // Other characters of the same leading bytes stay as they are.
  EXPECT_EQ(written("\xE2\x80\x94\xC2\xA0", json_write::escape::wire), "\"\xE2\x80\x94\xC2\xA0\"");
}

TEST(JsonWrite, IntegersAsNlohmann) {
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{7}, std::int64_t{-42},
                         std::int64_t{1234567890123}, INT64_MIN, INT64_MAX}) {
    std::string out;
    json_write::integer(out, v);
    EXPECT_EQ(out, json_util::dump(nlohmann::json(v)));
  }
}

}  // namespace
}  // namespace interlingua::core
