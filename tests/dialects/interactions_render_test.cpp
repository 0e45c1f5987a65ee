#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <interlingua/dialects/interactions.hpp>

namespace interlingua {
namespace {

using namespace dialects::interactions;
using nlohmann::json;

// An answer with a thought (summary + signature), text in two deltas and a function call.
core::event_list sample_events() {
  return {core::message_start{"up-1", "gpt-up"},
          core::part_start{0, core::part_kind::thought, {}, {}},
          core::thought_delta{0, "Pondering."},
          core::signature_delta{0, "SIG"},
          core::part_stop{0},
          core::part_start{1, core::part_kind::text, {}, {}},
          core::text_delta{1, "Hello, "},
          core::text_delta{1, "world\xE2\x80\xA8!"},
          core::part_stop{1},
          core::part_start{2, core::part_kind::tool_call, "call_9", "get_weather"},
          core::tool_args_delta{2, "{\"city\":"},
          core::tool_args_delta{2, "\"Paris\"}"},
          core::part_stop{2},
          core::finish{core::finish_reason::tool_calls},
          core::usage_update{core::usage{100, 20, 0, 30, 12, 0}}};
}

interaction_meta meta() {
  auto t = std::chrono::system_clock::from_time_t(1778871115);  // 2026-05-15T18:51:55Z
  return interaction_meta{"v1_abc", "gemini-2.5-flash", "in_progress", t, t, {}};
}

// Splits an SSE body into (event line, JSON payload) pairs, checking the framing on the way.
std::vector<std::pair<std::string, json>> parse_sse(const std::string& body) {
  std::vector<std::pair<std::string, json>> out;
  std::size_t at = 0;
  while (at < body.size()) {
    auto end = body.find("\n\n", at);
    EXPECT_NE(end, std::string::npos) << "event not terminated by a blank line";
    std::string block = body.substr(at, end - at);
    at = end + 2;
    auto nl = block.find('\n');
    EXPECT_EQ(block.rfind("event: ", 0), 0u) << block;
    std::string type = block.substr(7, nl - 7);
    std::string data = block.substr(nl + 1);
    EXPECT_EQ(data.rfind("data: ", 0), 0u) << block;
    data = data.substr(6);
    out.emplace_back(type, data == "[DONE]" ? json("[DONE]") : json::parse(data));
  }
  return out;
}

// The unary answer is the steps schema of spec §5 with exact usage.
TEST(InteractionsRender, UnaryReply) {
  core::accumulator acc;
  acc.on(sample_events());
  auto m = meta();
  m.status = status_of(acc.current());
  auto j = json::parse(render_reply(m, acc.current()));
  EXPECT_EQ(j["id"], "v1_abc");
  EXPECT_EQ(j["object"], "interaction");
  EXPECT_EQ(j["status"], "requires_action");  // a client function call is pending
  EXPECT_EQ(j["created"], "2026-05-15T18:51:55Z");
  ASSERT_EQ(j["steps"].size(), 3u);
  EXPECT_EQ(j["steps"][0], json::parse(R"({"type":"thought","signature":"SIG",
      "summary":[{"type":"text","text":"Pondering."}]})"));
  EXPECT_EQ(j["steps"][1]["content"][0]["text"], "Hello, world\xE2\x80\xA8!");
  EXPECT_EQ(j["steps"][2], json::parse(R"({"type":"function_call","id":"call_9",
      "name":"get_weather","arguments":{"city":"Paris"}})"));
  EXPECT_EQ(j["usage"]["total_input_tokens"], 100);
  EXPECT_EQ(j["usage"]["total_cached_tokens"], 20);
  EXPECT_EQ(j["usage"]["total_output_tokens"], 30);
  EXPECT_EQ(j["usage"]["total_thought_tokens"], 12);
  EXPECT_EQ(j["usage"]["total_tokens"], 142);
}

// U+2028 must leave as an escape: raw, it splits lines in some SDKs' SSE readers.
TEST(InteractionsRender, LineSeparatorsAreEscaped) {
  core::accumulator acc;
  acc.on(sample_events());
  std::string body = render_reply(meta(), acc.current());
  EXPECT_EQ(body.find("\xE2\x80\xA8"), std::string::npos);
  EXPECT_NE(body.find("\\u2028"), std::string::npos);
}

// U+0085 (NEL) too: Python's splitlines breaks on it as well.
TEST(InteractionsRender, NextLineIsEscaped) {
  auto r = render_error(core::make_error(core::error_kind::invalid_request,
                                         "a\xC2\x85"
                                         "b"));
  EXPECT_EQ(r.body.find("\xC2\x85"), std::string::npos);
  EXPECT_NE(r.body.find("a\\u0085b"), std::string::npos) << r.body;
}

// What nlohmann's dump gives for `text` read back, with the wire escapes: the bytes the renderers
// produced when they built a tree. The unary reply and the stream's delta events are now written
// directly; they must not change by a byte (key order included).
std::string canonical(const std::string& text) {
  std::string s = json::parse(text).dump(-1, ' ', false, json::error_handler_t::replace);
  for (auto [raw, escaped] :
       {std::pair{"\xE2\x80\xA8", "\\u2028"}, std::pair{"\xE2\x80\xA9", "\\u2029"},
        std::pair{"\xC2\x85", "\\u0085"}}) {
    for (auto at = s.find(raw); at != std::string::npos; at = s.find(raw, at)) {
      s.replace(at, std::string_view(raw).size(), escaped);
    }
  }
  return s;
}

TEST(InteractionsRender, DirectWritingGivesTheTreesBytes) {
  auto events = sample_events();
  // More of what the writer must get right: text parts one after another (one model_output),
  // a thought without signature, arguments that are not JSON, text that is not UTF-8.
  events.insert(
      events.end() - 2,
      {core::part_start{3, core::part_kind::text, {}, {}},
       core::text_delta{3, "tab\t \"q\" \x01 bad \xC3 \xF0\x9F end \xC2\x85"}, core::part_stop{3},
       core::part_start{4, core::part_kind::text, {}, {}}, core::text_delta{4, "second"},
       core::part_stop{4}, core::part_start{5, core::part_kind::thought, {}, {}},
       core::thought_delta{5, "more"}, core::part_stop{5},
       core::part_start{6, core::part_kind::tool_call, "c2", "f"},
       core::tool_args_delta{6, "{\"cut"}, core::part_stop{6}});
  core::accumulator acc;
  acc.on(events);
  auto m = meta();
  m.previous_interaction_id = "v1_prev";
  m.status = status_of(acc.current());
  std::string body = render_reply(m, acc.current());
  EXPECT_EQ(body, canonical(body));
  core::reply failed = acc.current();
  failed.failure = core::make_error(core::error_kind::upstream_error, "boom \xE2\x80\xA9");
  std::string failed_body = render_reply(m, failed);
  EXPECT_EQ(failed_body, canonical(failed_body));

  stream_renderer r(meta(), /*thought_summaries=*/true);
  std::string out;
  r.begin(out);
  for (const auto& e : events) {
    r.on(e, out);
  }
  r.complete(out);
  std::size_t checked = 0;
  for (std::size_t at = out.find("data: {"); at != std::string::npos;
       at = out.find("data: {", at)) {
    auto end = out.find("\n\n", at);
    std::string data = out.substr(at + 6, end - at - 6);
    EXPECT_EQ(data, canonical(data));
    ++checked;
    at = end;
  }
  EXPECT_GT(checked, 20u);
}

// The stream follows spec §6 exactly, and agrees with the unary answer by construction.
TEST(InteractionsRender, StreamEventSequence) {
  stream_renderer r(meta(), /*thought_summaries=*/true);
  std::string out;
  r.begin(out);
  for (const auto& e : sample_events()) {
    r.on(e, out);
  }
  r.complete(out);
  auto events = parse_sse(out);
  std::vector<std::string> types;
  for (auto& [type, payload] : events) {
    types.push_back(type);
    if (payload.is_object()) {
      EXPECT_EQ(payload["event_type"], type);
    }
  }
  std::vector<std::string> expected{"interaction.created",
                                    "interaction.status_update",
                                    "step.start",
                                    "step.delta",
                                    "step.delta",
                                    "step.stop",  // thought: summary, signature
                                    "step.start",
                                    "step.delta",
                                    "step.delta",
                                    "step.stop",  // model_output
                                    "step.start",
                                    "step.delta",
                                    "step.delta",
                                    "step.stop",  // function_call
                                    "interaction.completed",
                                    "done"};
  EXPECT_EQ(types, expected);
  // Structural resume tokens (spec §6.5): step, then payload bytes sent so far ("world\u2028!"
  // is 9 bytes), the signature and the stop by name; [DONE] carries none.
  std::vector<std::string> ids;
  for (auto& [type, payload] : events) {
    ids.push_back(payload.is_object() ? payload["event_id"].get<std::string>() : "-");
  }
  std::vector<std::string> expected_ids{"c",     "u",      "s0",    "s0.10",  "s0.sig", "s0.end",
                                        "s1",    "s1.7",   "s1.16", "s1.end", "s2",     "s2.8",
                                        "s2.16", "s2.end", "end",   "-"};
  EXPECT_EQ(ids, expected_ids);
  EXPECT_EQ(events[3].second["delta"]["type"], "thought_summary");
  EXPECT_EQ(events[4].second["delta"],
            json::parse(R"({"type":"thought_signature","signature":"SIG"})"));
  EXPECT_EQ(events[10].second["step"]["arguments"], json::object());
  EXPECT_EQ(events[11].second["delta"]["type"], "arguments_delta");
  const auto& done = events[14].second["interaction"];
  EXPECT_EQ(done["status"], "requires_action");
  EXPECT_EQ(done["usage"]["total_tokens"], 142);
  EXPECT_FALSE(done.contains("steps"));
  EXPECT_EQ(events[15].second, "[DONE]");
}

// Without thinking_summaries the thought text is not sent, but the signature is.
TEST(InteractionsRender, NoSummariesUnlessAsked) {
  stream_renderer r(meta(), /*thought_summaries=*/false);
  std::string out;
  for (const auto& e : sample_events()) {
    r.on(e, out);
  }
  EXPECT_EQ(out.find("thought_summary"), std::string::npos);
  EXPECT_NE(out.find("thought_signature"), std::string::npos);
}

// An upstream failure mid-stream is an in-band error event and then the end, nothing after.
TEST(InteractionsRender, MidStreamErrorEndsTheStream) {
  stream_renderer r(meta(), false);
  std::string out;
  r.begin(out);
  r.on(core::part_start{0, core::part_kind::text, {}, {}}, out);
  r.on(core::text_delta{0, "partial"}, out);
  r.on(core::stream_error{core::make_error(core::error_kind::upstream_unavailable, "reset")}, out);
  r.complete(out);  // must not add a completed event after the error
  auto events = parse_sse(out);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[events.size() - 2].first, "error");
  EXPECT_EQ(events[events.size() - 2].second["error"]["code"], "upstream_unavailable");
  EXPECT_EQ(events.back().first, "done");
  EXPECT_EQ(out.find("interaction.completed"), std::string::npos);
}

// Errors render as {"error":{"code","message"}} with the kind's HTTP status.
TEST(InteractionsRender, ErrorShape) {
  auto e = render_error(
      core::make_error(core::error_kind::invalid_request, "model: is required", "model"));
  EXPECT_EQ(e.status, 400u);
  auto j = json::parse(e.body);
  EXPECT_EQ(j["error"]["code"], "invalid_request");
  EXPECT_EQ(j["error"]["message"], "model: is required");
  EXPECT_EQ(render_error(core::make_error(core::error_kind::rate_limited, "slow down")).status,
            429u);
  EXPECT_EQ(render_error(core::make_error(core::error_kind::not_found, "x")).status, 404u);
}

// Status mapping: length -> incomplete, stop -> completed, failure -> failed.
TEST(InteractionsRender, StatusOfReply) {
  core::reply r;
  r.reason = core::finish_reason::length;
  EXPECT_EQ(status_of(r), "incomplete");
  r.reason = core::finish_reason::stop;
  EXPECT_EQ(status_of(r), "completed");
  r.failure = core::make_error(core::error_kind::upstream_error, "x");
  EXPECT_EQ(status_of(r), "failed");
}

}  // namespace
}  // namespace interlingua
