#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include <interlingua/dialects/sessions.hpp>

namespace interlingua {
namespace {

using namespace dialects::sessions;
using nlohmann::json;

json fixture(const std::string& name) {
  std::ifstream in(std::string(IL_FIXTURES_DIR) + "/sessions/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return json::parse(s.str());
}

core::part_kind kind_named(const std::string& k) {
  if (k == "thought") {
    return core::part_kind::thought;
  }
  return k == "tool_call" ? core::part_kind::tool_call : core::part_kind::text;
}

core::finish_reason reason_named(const std::string& r) {
  if (r == "tool_calls") {
    return core::finish_reason::tool_calls;
  }
  if (r == "length") {
    return core::finish_reason::length;
  }
  return r == "content_filter" ? core::finish_reason::content_filter : core::finish_reason::stop;
}

// Fixture events: one object per core event, named by "type".
core::event_list events_of(const json& list) {
  core::event_list out;
  for (const auto& e : list) {
    auto str = [&](const char* key) { return e.value(key, std::string()); };
    std::string type = str("type");
    int index = e.value("index", 0);
    if (type == "message_start") {
      out.push_back(core::message_start{str("id"), str("model")});
    } else if (type == "part_start") {
      out.push_back(core::part_start{index, kind_named(str("kind")), str("id"), str("name")});
    } else if (type == "text_delta") {
      out.push_back(core::text_delta{index, str("text")});
    } else if (type == "thought_delta") {
      out.push_back(core::thought_delta{index, str("text")});
    } else if (type == "signature_delta") {
      out.push_back(core::signature_delta{index, str("signature")});
    } else if (type == "tool_args_delta") {
      out.push_back(core::tool_args_delta{index, str("fragment")});
    } else if (type == "part_stop") {
      out.push_back(core::part_stop{index});
    } else if (type == "finish") {
      out.push_back(core::finish{reason_named(str("reason"))});
    } else if (type == "usage") {
      out.push_back(
          core::usage_update{core::usage{e.value("input", 0), e.value("cached", 0), 0,
                                         e.value("output", 0), e.value("reasoning", 0), 0}});
    } else {
      ADD_FAILURE() << "unknown fixture event " << type;
    }
  }
  return out;
}

core::reply fold(const core::event_list& events) {
  core::accumulator acc;
  acc.on(events);
  return acc.take();
}

// The answers are written directly, not dumped from a tree: their bytes must still be exactly what
// nlohmann writes for them (sorted keys, its escapes), as they were when they were dumped.
std::string canonical(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Splits an SSE body into its JSON payloads, checking the framing: `data: <json>\n\n` only.
std::vector<json> parse_sse(const std::string& body) {
  std::vector<json> out;
  std::size_t at = 0;
  while (at < body.size()) {
    auto end = body.find("\n\n", at);
    if (end == std::string::npos) {
      ADD_FAILURE() << "event not terminated by a blank line";
      break;
    }
    std::string block = body.substr(at, end - at);
    at = end + 2;
    EXPECT_EQ(block.rfind("data: ", 0), 0u) << block;
    EXPECT_EQ(block.find('\n'), std::string::npos) << "one line per event: " << block;
    out.push_back(json::parse(block.substr(6)));
    EXPECT_EQ(block.substr(6), canonical(out.back())) << "not nlohmann's own serialization";
  }
  return out;
}

// Every key of MessageChatResponse (spec §3), nulls included, for replies of each kind.
TEST(SessionsRenderChat, UnaryReplies) {
  const json f = fixture("chat_reply.json");
  for (const auto& c : f["cases"]) {
    core::reply r = fold(events_of(c["events"]));
    std::string text = render_chat_reply(r, f["id"].get<std::string>(),
                                         f["created_at"].get<std::string>(), f["offered_tools"]);
    json got = json::parse(text);
    EXPECT_EQ(got, c["reply"]) << c["comment"];
    EXPECT_EQ(text, canonical(got)) << c["comment"];
  }
}

// Text from upstream is escaped as nlohmann escapes it: quotes, controls, and ill-formed UTF-8
// replaced by U+FFFD; in the unary answer and in a stream chunk alike.
TEST(SessionsRenderChat, TextIsEscapedAsNlohmannDoes) {
  const std::string nasty = "q\"b\\s\n\x01 caf\xC3\xA9 bad\xFF \xE2\x80\xA8 end";
  core::event_list events{core::part_start{0, core::part_kind::text, {}, {}},
                          core::text_delta{0, nasty}, core::part_stop{0},
                          core::usage_update{core::usage{3, 0, 0, 2, 1, 0}},
                          core::finish{core::finish_reason::length}};
  std::string unary = render_chat_reply(fold(events), "id\"1", "t", json::array());
  json got = json::parse(unary);
  EXPECT_EQ(unary, canonical(got));
  json replaced = json::parse(canonical(json(nasty)));  // the bad byte as U+FFFD
  EXPECT_EQ(got["choices"][0]["message"]["content"], replaced);
  EXPECT_EQ(got["usage"],
            (json{{"completion_tokens", 3}, {"prompt_tokens", 3}, {"total_tokens", 6}}));
  EXPECT_EQ(got["choices"][0]["finish_reason"], "length");
  chunk_renderer r("id", "t", json::array());
  std::string body;
  r.on(events, body);
  r.finish(body);
  auto chunks = parse_sse(body);  // checks each chunk against canonical()
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0]["choices"][0]["delta"]["content"], got["choices"][0]["message"]["content"]);
  EXPECT_EQ(chunks[1]["usage"], got["usage"]);
}

// The message saved to history: role, content (no thoughts) and the typed calls.
TEST(SessionsRenderChat, ReplyMessage) {
  const json f = fixture("chat_reply.json");
  for (const auto& c : f["cases"]) {
    core::reply r = fold(events_of(c["events"]));
    EXPECT_EQ(reply_message(r, f["offered_tools"]), c["message"]) << c["comment"];
  }
}

// A failed upstream still renders the Julep shape; the failure is the routes' business.
TEST(SessionsRenderChat, ErrorFinishesAsStop) {
  core::event_list events{
      core::part_start{0, core::part_kind::text, {}, {}}, core::text_delta{0, "partial"},
      core::stream_error{core::make_error(core::error_kind::upstream_error, "reset")}};
  json got = json::parse(render_chat_reply(fold(events), "i", "t", json::array()));
  EXPECT_EQ(got["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(got["choices"][0]["message"]["content"], "partial");
}

// The stream of spec §4 chunk by chunk: exact chunks, same id/created_at, no [DONE].
TEST(SessionsRenderChat, StreamChunks) {
  const json f = fixture("chat_stream.json");
  chunk_renderer r(f["id"], f["created_at"], f["offered_tools"]);
  std::string body;
  for (const auto& batch : f["batches"]) {
    r.on(events_of(batch), body);
  }
  r.finish(body);
  EXPECT_EQ(body.find("[DONE]"), std::string::npos);
  EXPECT_EQ(body.find("event:"), std::string::npos);
  auto chunks = parse_sse(body);
  ASSERT_EQ(chunks.size(), f["chunks"].size()) << body;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i], f["chunks"][i]) << "chunk " << i;
  }
  std::string again;
  r.finish(again);
  EXPECT_TRUE(again.empty()) << "finish is sent once";
}

// Whatever the batching, the chunks carry the same text and calls and the folded reply is the
// unary one: every split of the event sequence in two, and one event per batch.
TEST(SessionsRenderChat, StreamAnyBatching) {
  const json f = fixture("chat_stream.json");
  core::event_list all;
  for (const auto& batch : f["batches"]) {
    auto events = events_of(batch);
    all.insert(all.end(), events.begin(), events.end());
  }
  const std::string unary = render_chat_reply(fold(all), "i", "t", f["offered_tools"]);
  auto check = [&](const std::vector<core::event_list>& batches, const std::string& what) {
    chunk_renderer r(f["id"], f["created_at"], f["offered_tools"]);
    std::string body;
    for (const auto& b : batches) {
      r.on(b, body);
    }
    r.finish(body);
    std::string text;
    std::map<int, json> calls;  // index → {id, name, arguments} as a client folds them
    auto chunks = parse_sse(body);
    ASSERT_GE(chunks.size(), 2u) << what;
    for (std::size_t i = 0; i + 1 < chunks.size(); ++i) {
      const json& delta = chunks[i]["choices"][0]["delta"];
      EXPECT_EQ(delta["role"], "assistant") << what;
      if (delta["content"].is_string()) {
        text += delta["content"].get<std::string>();
      }
      for (const auto& c : delta["tool_calls"].is_array() ? delta["tool_calls"] : json::array()) {
        json& call = calls.try_emplace(c["index"].get<int>(), json::object()).first->second;
        if (c.contains("id")) {
          EXPECT_FALSE(call.contains("id")) << what << ": id sent twice";
          call["id"] = c["id"];
          call["name"] = c["function"]["name"];
        }
        call["arguments"] =
            call.value("arguments", std::string()) + c["function"]["arguments"].get<std::string>();
      }
    }
    EXPECT_EQ(text, f["text"]) << what;
    json folded_calls = json::array();
    for (auto& [index, call] : calls) {
      folded_calls.push_back(call);
    }
    EXPECT_EQ(folded_calls, f["calls"]) << what;
    EXPECT_EQ(chunks[chunks.size() - 2]["choices"][0]["finish_reason"], "tool_calls") << what;
    EXPECT_EQ(chunks.back(), f["chunks"].back()) << what;
    EXPECT_EQ(render_chat_reply(r.folded(), "i", "t", f["offered_tools"]), unary) << what;
  };
  for (std::size_t k = 0; k <= all.size(); ++k) {
    check({core::event_list(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k)),
           core::event_list(all.begin() + static_cast<std::ptrdiff_t>(k), all.end())},
          "split at " + std::to_string(k));
  }
  std::vector<core::event_list> singles;
  for (const auto& e : all) {
    singles.push_back({e});
  }
  check(singles, "one event per batch");
}

// Without any usage from the upstream the last chunk still comes, with usage null.
TEST(SessionsRenderChat, StreamWithoutUsage) {
  chunk_renderer r("i", "t", json::array());
  std::string body;
  r.on({core::part_start{0, core::part_kind::text, {}, {}}, core::text_delta{0, "Hi"}}, body);
  r.on({core::message_start{"m", "x"}}, body);  // nothing a client sees: no chunk
  r.finish(body);
  auto chunks = parse_sse(body);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0]["usage"], nullptr);
  EXPECT_EQ(chunks[0]["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(chunks[1], (json{{"usage", nullptr},
                             {"jobs", json::array()},
                             {"docs", json::array()},
                             {"created_at", "t"},
                             {"id", "i"},
                             {"choices", json::array()}}));
}

}  // namespace
}  // namespace interlingua
