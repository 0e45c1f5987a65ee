// json_view's accessors: the decoders read upstream replies and stream events through them, so
// each must answer as json_util's accessors answer over nlohmann's tree for the same text (the
// values themselves are compared with nlohmann in fast_json_test.cpp).

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <interlingua/core/json_util.hpp>
#include <interlingua/core/json_view.hpp>

namespace interlingua::core {
namespace {

using json_view::document;
using json_view::value;

// A repeated key reads as its last value, as nlohmann's tree keeps it.
TEST(JsonView, MemberFindsTheLastOfARepeatedKey) {
  document doc;
  ASSERT_TRUE(doc.parse(R"({"a":1,"b":{"c":"x"},"a":2})"));
  value root = doc.root();
  EXPECT_EQ(root.member("a").integer(), 2);
  EXPECT_EQ(root.member("b").member("c").str(), "x");
  EXPECT_FALSE(root.member("c"));
  EXPECT_EQ(root.size(), 3u);  // members as written, repeats included
  auto tree = json_util::parse(R"({"a":1,"b":{"c":"x"},"a":2})");
  EXPECT_EQ(json_util::integer_or(*tree, "a"), json_view::integer_or(root, "a"));
}

// Missing values and wrong kinds answer "not there" at every step, so a decoder can chain lookups
// on hostile input without checks in between.
TEST(JsonView, MissingAndWrongKindsAreSafeAtEveryStep) {
  document doc;
  ASSERT_TRUE(doc.parse(R"({"s":"text","n":1.5,"a":[],"o":{}})"));
  value root = doc.root();
  EXPECT_FALSE(root.member("x").member("y").at(3).member("z"));
  EXPECT_FALSE(root.member("s").member("y"));
  EXPECT_FALSE(root.member("a").at(0));
  EXPECT_EQ(root.member("o").size(), 0u);
  EXPECT_EQ(root.member("n").str(), "");
  EXPECT_FALSE(root.member("s").integer());
  EXPECT_FALSE(root.member("n").integer());  // a float is not an integer, as in json_util
  EXPECT_EQ(root.member("n").number(), 1.5);
  EXPECT_FALSE(root.member("s").boolean());
  EXPECT_EQ(json_view::string_or(root, "n", "fallback"), "fallback");
  EXPECT_EQ(json_view::string_or(root, "s", "fallback"), "text");
  int visited = 0;
  for (value v : root.member("s")) {
    (void)v;
    ++visited;
  }
  for (value v : value()) {
    (void)v;
    ++visited;
  }
  EXPECT_EQ(visited, 0);
}

// json_util::integer's reading of every number kind: unsigned past INT64_MAX clamps, negatives
// and -2^63 are kept, floats and numbers too large for any integer are not integers. (json_util
// itself once read 18446744073709551615 as -1: nlohmann calls unsigned numbers integers too.)
TEST(JsonView, IntegersReadAsJsonUtilReadsThem) {
  const std::string text =
      R"({"u":18446744073709551615,"big":9223372036854775807,"neg":-9223372036854775808,)"
      R"("zero":-0,"f":2.0,"huge":18446744073709551616})";
  document doc;
  ASSERT_TRUE(doc.parse(text));
  auto tree = json_util::parse(text);
  ASSERT_TRUE(tree);
  for (const char* key : {"u", "big", "neg", "zero", "f", "huge"}) {
    EXPECT_EQ(doc.root().member(key).integer(), json_util::integer(*tree, key)) << key;
  }
  EXPECT_EQ(doc.root().member("u").integer(), INT64_MAX);
}

// Strings without escapes are read in place; escaped ones are decoded, and both read the same as
// nlohmann's; keys with escapes match their decoded text.
TEST(JsonView, StringsPlainAndEscaped) {
  const std::string text = R"({"plain":"h\u00e9llo","pl\u0061in2":"caf)"
                           "\xC3\xA9"
                           R"(","esc":"a\"b\\c\n\ud83d\ude00"})";
  document doc;
  ASSERT_TRUE(doc.parse(text));
  value root = doc.root();
  EXPECT_EQ(root.member("plain").str(), "h\xC3\xA9llo");
  EXPECT_EQ(root.member("plain2").str(), "caf\xC3\xA9");
  EXPECT_EQ(root.member("plain2").str().data(), text.data() + text.find("caf"));  // not copied
  EXPECT_EQ(root.member("esc").str(), "a\"b\\c\n\xF0\x9F\x98\x80");
}

// Arrays and objects iterate in document order; at() walks to an element.
TEST(JsonView, IterationAndIndexing) {
  document doc;
  ASSERT_TRUE(doc.parse(R"({"list":[1,[2,3],{"k":[4]},"five"],"obj":{"x":1,"y":[2]}})"));
  value list = doc.root().member("list");
  ASSERT_EQ(list.size(), 4u);
  std::vector<std::string> kinds;
  for (value v : list) {
    kinds.push_back(std::to_string(static_cast<int>(v.type())));
  }
  EXPECT_EQ(kinds.size(), 4u);
  EXPECT_EQ(list.at(0).integer(), 1);
  EXPECT_EQ(list.at(1).at(1).integer(), 3);
  EXPECT_EQ(list.at(2).member("k").at(0).integer(), 4);
  EXPECT_EQ(list.at(3).str(), "five");
  EXPECT_FALSE(list.at(4));
  std::vector<std::string> keys;
  for (auto it = doc.root().member("obj").begin(); it != doc.root().member("obj").end(); ++it) {
    keys.emplace_back(it.key());
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(json_util::dump(json_view::to_json(doc.root().member("obj"))), R"({"x":1,"y":[2]})");
}

// A decoder keeps one document for a whole stream: each parse replaces the last, a failed one
// leaves no root behind.
TEST(JsonView, ADocumentIsReusedAcrossParses) {
  document doc;
  ASSERT_TRUE(doc.parse(R"({"a":"first\n"})"));
  ASSERT_TRUE(doc.parse(R"({"b":"second\t"})"));
  EXPECT_FALSE(doc.root().member("a"));
  EXPECT_EQ(doc.root().member("b").str(), "second\t");
  EXPECT_FALSE(doc.parse(R"({"b":)"));
  EXPECT_FALSE(doc.root());
  EXPECT_FALSE(doc.parse(std::string(1000000, '[')));  // deep, unfinished: refused, no overflow
}

// A thread's document lives as long as the thread: one huge body must not pin its tape (24 bytes
// a value) for good. The next parse gives the buffers back, and small documents keep theirs.
TEST(JsonView, AHugeBodysBuffersAreLetGoByTheNextParse) {
  document doc;
  std::string huge = "[\"" + std::string(200000, 'x') + "\\n\"";
  for (int i = 0; i < 100000; ++i) {
    huge += ",[0]";
  }
  huge += "]";
  ASSERT_TRUE(doc.parse(huge));
  EXPECT_GT(doc.held_bytes(), 4 * document::kept_bytes);
  ASSERT_TRUE(doc.parse(R"({"small":"document\n"})"));
  EXPECT_LE(doc.held_bytes(), document::kept_bytes);
  const std::size_t small = doc.held_bytes();
  ASSERT_TRUE(doc.parse(R"({"small":"again\n"})"));
  EXPECT_EQ(doc.held_bytes(), small);  // kept: no allocation per parse once warm
}

// The scratch documents live as long as their thread, so a quiet-time trim lets their buffers
// go (what a burst last grew them to sits among the burst's memory). Each use has its own
// document, so a provider reply decoded while a request's values are read does not overwrite them.
TEST(JsonView, ThreadScratchIsOnePerUseAndItsBuffersCanBeReleased) {
  document& request = json_view::thread_scratch(json_view::scratch::request);
  document& provider = json_view::thread_scratch(json_view::scratch::provider);
  ASSERT_NE(&request, &provider);
  EXPECT_EQ(&json_view::thread_scratch(json_view::scratch::request), &request);
  ASSERT_TRUE(request.parse(R"({"model":"m","input":"hello\n"})"));
  ASSERT_TRUE(provider.parse(R"({"choices":[]})"));
  EXPECT_EQ(request.root().member("input").str(), "hello\n");  // the other parse left it alone
  EXPECT_GT(request.held_bytes(), 0u);

  json_view::release_thread_scratch();
  const std::size_t fresh = document{}.held_bytes();  // a string's inline buffer, nothing more
  EXPECT_EQ(request.held_bytes(), fresh);
  EXPECT_EQ(provider.held_bytes(), fresh);
  EXPECT_FALSE(request.root());
  ASSERT_TRUE(request.parse(R"({"again":true})"));  // usable after, allocating afresh
  EXPECT_TRUE(request.root().member("again").boolean());

  // Another thread has documents of its own.
  const document* other = nullptr;
  std::thread([&] { other = &json_view::thread_scratch(json_view::scratch::request); }).join();
  EXPECT_NE(other, &request);
}

}  // namespace
}  // namespace interlingua::core
