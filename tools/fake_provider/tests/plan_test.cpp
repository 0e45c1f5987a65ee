// The request → plan logic without sockets: fast and exact about bytes.

#include "fake_internal.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <numeric>

namespace interlingua::fake::detail {
namespace {

using json = nlohmann::json;

std::string join(const std::vector<std::string>& parts) {
  return std::accumulate(parts.begin(), parts.end(), std::string());
}

recorded_request post(std::string target, std::string body) {
  return recorded_request{"POST", std::move(target), {}, std::move(body)};
}

// Scripted streams must reach the client byte for byte, whatever line endings they use.
TEST(plan, sse_split_keeps_bytes_for_lf_and_crlf) {
  const std::string lf = "event: a\ndata: 1\n\ndata: 2\n\n";
  const std::string crlf = "\r\ndata: 1\r\n\r\ndata: 2\r\n\r\ndata: tail";
  const auto lf_events = split_sse_events(lf);
  const auto crlf_events = split_sse_events(crlf);
  ASSERT_EQ(lf_events.size(), 2u);
  EXPECT_EQ(lf_events[0], "event: a\ndata: 1\n\n");
  EXPECT_EQ(join(lf_events), lf);
  ASSERT_EQ(crlf_events.size(), 3u);
  EXPECT_EQ(crlf_events[0], "\r\ndata: 1\r\n\r\n");
  EXPECT_EQ(crlf_events[2], "data: tail");
  EXPECT_EQ(join(crlf_events), crlf);
}

// Scripts default their content type from the body, so tests rarely have to set it.
TEST(plan, script_content_type_follows_body) {
  EXPECT_EQ(plan_from_script(script{.body = "data: x\n\n"}).content_type, "text/event-stream");
  EXPECT_TRUE(plan_from_script(script{.body = "data: x\n\n"}).streamed);
  EXPECT_EQ(plan_from_script(script{.body = "{}"}).content_type, "application/json");
  EXPECT_FALSE(plan_from_script(script{.body = "{}"}).streamed);
  EXPECT_EQ(plan_from_script(script{.body = "{}", .content_type = "text/plain"}).content_type,
            "text/plain");
}

// Streamed deltas must concatenate to exactly the echoed text in both splitting modes.
TEST(plan, pieces_concatenate_to_text) {
  const std::string text = "  héllo  wörld\tagain ";
  const auto words = split_pieces(text, 0);
  EXPECT_EQ(words.size(), 3u);
  EXPECT_EQ(join(words), text);
  const auto fixed = split_pieces(text, 7);
  EXPECT_EQ(fixed.size(), 7u);
  EXPECT_EQ(join(fixed), text);
  for (const auto& piece : fixed) {
    EXPECT_NO_THROW((void)json(piece).dump());  // never cut inside a UTF-8 sequence
  }
  EXPECT_EQ(split_pieces("ab", 5).size(), 5u);  // benchmarks rely on a fixed event count
  EXPECT_TRUE(split_pieces("", 0).empty());
}

// Usage numbers are the contract the gateway's accounting tests assert against.
TEST(plan, usage_counts_words_of_all_texts) {
  const json body = {
      {"model", "claude-x"},
      {"system", json::array({{{"type", "text"}, {"text", "be brief"}}})},
      {"messages",
       json::array({{{"role", "user"}, {"content", "one two"}},
                    {{"role", "assistant"}, {"content", "three"}},
                    {{"role", "user"},
                     {"content", json::array({{{"type", "text"}, {"text", "four "}},
                                              {{"type", "text"}, {"text", "five"}}})}}})}};
  const auto p = echo_plan(post("/v1/messages", body.dump()), {}, 7);
  ASSERT_TRUE(p.has_value());
  const json answer = json::parse(p->body);
  EXPECT_EQ(answer["content"][0]["text"], "four five");
  EXPECT_EQ(answer["usage"]["input_tokens"], 7);  // be brief + one two + three + four five
  EXPECT_EQ(answer["usage"]["output_tokens"], 2);
  EXPECT_EQ(answer["id"], "msg_fake_7");
}

// Gemini puts model and method in the path; both API versions are in use.
TEST(plan, gemini_routes_from_path) {
  const json body = {
      {"contents", json::array({{{"role", "user"}, {"parts", json::array({{{"text", "hi"}}})}}})}};
  const auto unary = echo_plan(post("/v1/models/gemini-x:generateContent", body.dump()), {}, 1);
  ASSERT_TRUE(unary.has_value());
  EXPECT_EQ(json::parse(unary->body)["modelVersion"], "gemini-x");
  const auto sse =
      echo_plan(post("/v1beta/models/gemini-x:streamGenerateContent?alt=sse", body.dump()), {}, 1);
  ASSERT_TRUE(sse.has_value() && sse->streamed);
  ASSERT_EQ(sse->events.size(), 1u);
  EXPECT_EQ(sse->events[0].substr(sse->events[0].size() - 4), "\r\n\r\n");
  EXPECT_FALSE(
      echo_plan(post("/v1beta/models/gemini-x:countTokens", body.dump()), {}, 1).has_value());
}

// A gateway bug that sends garbage upstream should look like a provider 400, not a hang.
TEST(plan, malformed_json_is_400_and_unknown_path_404) {
  state st{options{}};
  EXPECT_EQ(st.answer(post("/v1/chat/completions", "{nope")).status, 400);
  EXPECT_EQ(st.answer(post("/v1/chat/completions", R"({"stream":"yes"})")).status, 400);
  EXPECT_EQ(st.answer(post("/v2/whatever", "{}")).status, 404);
  EXPECT_EQ(st.requests().size(), 3u);
}

// Scripts are FIFO, take precedence over echo, and /_control traffic never shows up in the log.
TEST(plan, scripts_fifo_and_control_not_recorded) {
  state st{options{}};
  const json scripts =
      json::array({{{"status", 429}, {"headers", {{"Retry-After", "2"}}}},
                   {{"status", 500}, {"fault", "stall"}, {"fault_after_events", 0}}});
  EXPECT_EQ(st.answer(post("/_control/script", scripts.dump())).status, 200);
  const plan first = st.answer(post("/v1/messages", "{}"));
  EXPECT_EQ(first.status, 429);
  ASSERT_EQ(first.headers.size(), 1u);
  EXPECT_EQ(first.headers[0].second, "2");
  const plan second = st.answer(post("/anything", "{}"));
  EXPECT_EQ(second.fault_kind, fault::stall);
  EXPECT_TRUE(second.streamed);
  EXPECT_EQ(st.answer(post("/v1/messages", R"({"messages":[]})")).status, 200);
  EXPECT_EQ(st.answer(post("/_control/script", R"({"fault":"explode"})")).status, 400);
  EXPECT_EQ(st.requests().size(), 3u);
  const json listed =
      json::parse(st.answer(recorded_request{"GET", "/_control/requests", {}, {}}).body);
  EXPECT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0]["target"], "/v1/messages");
}

// Benchmarks replay large captured streams from disk instead of inlining them in JSON.
TEST(plan, control_script_reads_body_file) {
  const auto path =
      std::filesystem::temp_directory_path() / ("il_fake_body_" + std::to_string(::getpid()));
  std::ofstream(path) << "data: {\"x\":1}\n\ndata: [DONE]\n\n";
  state st{options{}};
  const json script_json = {{"body_file", path.string()}, {"gap_ms", 5}};
  EXPECT_EQ(st.answer(post("/_control/script", script_json.dump())).status, 200);
  const plan p = st.answer(post("/v1/chat/completions", "{}"));
  EXPECT_EQ(p.events.size(), 2u);
  EXPECT_EQ(p.gap, std::chrono::milliseconds(5));
  std::filesystem::remove(path);
  EXPECT_EQ(st.answer(post("/_control/script", script_json.dump())).status, 400);
}

// The log is a ring: a long benchmark must not grow memory without bound.
TEST(plan, record_ring_keeps_newest) {
  options opts;
  opts.max_recorded = 2;
  state st{opts};
  for (const char* target : {"/a", "/b", "/c"}) {
    st.answer(post(target, ""));
  }
  const auto log = st.requests();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].target, "/b");
  EXPECT_EQ(log[1].target, "/c");
  opts.max_recorded = 0;  // long benchmarks can switch the log off entirely
  state silent{opts};
  silent.answer(post("/a", ""));
  EXPECT_TRUE(silent.requests().empty());
}

}  // namespace
}  // namespace interlingua::fake::detail
