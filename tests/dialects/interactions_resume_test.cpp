#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <interlingua/dialects/interactions.hpp>
#include <interlingua/store/interactions.hpp>

#include "interactions_stream_util.hpp"

namespace interlingua {
namespace {

using namespace dialects::interactions;
using nlohmann::json;
using sse_list = std::vector<std::pair<std::string, json>>;

constexpr const char* fixture_name = "stream_thought_text_call.json";

// What a client holds after reading some events: per step the payload (text, summary or
// arguments) and the signature, the other events in order, and the final status and usage.
struct content {
  std::map<int, std::string> payload;
  std::map<int, std::string> signature;
  std::vector<std::string> marks;
  json status;
  json usage;
};

content read(const sse_list& events) {
  content c;
  for (const auto& [type, p] : events) {
    int i = p.is_object() ? p.value("index", -1) : -1;
    if (type == "step.delta") {
      const json& d = p["delta"];
      std::string t = d["type"];
      if (t == "text") {
        c.payload[i] += d["text"].get<std::string>();
      } else if (t == "thought_summary") {
        c.payload[i] += d["content"]["text"].get<std::string>();
      } else if (t == "arguments_delta") {
        c.payload[i] += d["arguments"].get<std::string>();
      } else if (t == "thought_signature") {
        c.signature[i] += d["signature"].get<std::string>();
      }
      continue;
    }
    c.marks.push_back(i >= 0 ? type + " " + std::to_string(i) : type);
    if (type == "interaction.completed") {
      c.status = p["interaction"]["status"];
      c.usage = p["interaction"]["usage"];
    }
  }
  return c;
}

// A readable form, so that a mismatch shows what differs.
std::string show(const content& c) {
  json j{{"payload", json::object()},
         {"signature", json::object()},
         {"marks", c.marks},
         {"status", c.status},
         {"usage", c.usage}};
  for (const auto& [i, s] : c.payload) {
    j["payload"][std::to_string(i)] = s;
  }
  for (const auto& [i, s] : c.signature) {
    j["signature"][std::to_string(i)] = s;
  }
  return j.dump(1);
}

std::string live_stream(const core::event_list& events) {
  stream_renderer r(testing::test_meta(), /*thought_summaries=*/true);
  std::string out;
  r.begin(out);
  for (const auto& e : events) {
    r.on(e, out);
  }
  r.complete(out);
  return out;
}

core::reply folded(const core::event_list& events) {
  core::accumulator acc;
  acc.on(events);
  return acc.take();
}

// The replay of the stored interaction as render_replay builds it (the stored steps back through
// turns_of, one delta per step), resumed after `last_event_id`.
std::string replay(const core::reply& reply, const std::string& last_event_id,
                   bool* seen = nullptr) {
  store::interaction_record record;
  record.output_steps = json::parse(render_reply(testing::test_meta(), reply))["steps"].dump();
  auto turns = turns_of(record);
  EXPECT_TRUE(turns);
  auto r = stream_renderer::make(testing::test_meta(),
                                 stream_options{true, schema::steps, last_event_id});
  EXPECT_TRUE(r) << last_event_id;
  if (!turns || !r) {
    return {};
  }
  std::string out;
  r->begin(out);
  int index = 0;
  for (const auto& t : *turns) {
    for (const auto& p : t.parts) {
      for (const auto& e : core::events_of(p, index++)) {
        r->on(e, out);
      }
    }
  }
  r->on(core::usage_update{reply.tokens}, out);
  r->complete_as(status_of(reply), out);
  if (seen != nullptr) {
    *seen = r->resume_point_seen();
  }
  return out;
}

// The ids name places in the answer (spec §6.5): fixed spelling, unique, and all parseable.
TEST(InteractionsResume, LiveEventIdsAreStructural) {
  auto live = testing::parse_sse(live_stream(testing::events_fixture(fixture_name)));
  std::vector<std::string> ids;
  for (const auto& [type, payload] : live) {
    if (type == "done") {
      EXPECT_EQ(payload, "[DONE]");  // the sentinel is not JSON and carries no id
      continue;
    }
    ids.push_back(payload["event_id"]);
    EXPECT_TRUE(stream_renderer::valid_event_id(ids.back())) << ids.back();
  }
  std::vector<std::string> expected{
      "c",  "u",                                    // created, status update
      "s0", "s0.7",  "s0.13",  "s0.sig", "s0.end",  // thought: summary bytes, sig
      "s1", "s1.9",  "s1.15",  "s1.34",  "s1.end",  // text, multi-byte
      "s2", "s2.13", "s2.end",                      // a second text part
      "s3", "s3.8",  "s3.16",  "s3.27",  "s3.end",  // function call arguments
      "end"};
  EXPECT_EQ(ids, expected);
}

// The point of structural ids: a client cut off after ANY live event resumes from the stored
// replay (chunked differently) and ends up with exactly the rest of the answer.
TEST(InteractionsResume, ReplayResumedAtEveryLiveEventIdGivesTheRest) {
  auto events = testing::events_fixture(fixture_name);
  auto live = testing::parse_sse(live_stream(events));
  auto reply = folded(events);
  EXPECT_EQ(show(read(testing::parse_sse(replay(reply, "")))), show(read(live)));
  for (std::size_t k = 0; k < live.size(); ++k) {
    if (live[k].first == "done") {
      continue;
    }
    std::string id = live[k].second["event_id"];
    bool seen = false;
    auto resumed = testing::parse_sse(replay(reply, id, &seen));
    EXPECT_TRUE(seen) << id;
    sse_list rest(live.begin() + static_cast<std::ptrdiff_t>(k) + 1, live.end());
    EXPECT_EQ(show(read(resumed)), show(read(rest))) << "resumed after " << id;
  }
}

// The replay's one whole-step delta straddles a live resume point: only its suffix goes out,
// under the id of the step's end.
TEST(InteractionsResume, StraddlingDeltaSendsItsSuffix) {
  auto resumed = testing::parse_sse(replay(folded(testing::events_fixture(fixture_name)), "s1.15"));
  ASSERT_GE(resumed.size(), 2u);
  EXPECT_EQ(resumed[0].first, "step.delta");
  EXPECT_EQ(resumed[0].second["index"], 1);
  EXPECT_EQ(resumed[0].second["delta"]["text"], " — très bien\u2028!");
  EXPECT_EQ(resumed[0].second["event_id"], "s1.34");
  EXPECT_EQ(resumed[1].second["event_id"], "s1.end");
}

// Every byte offset of a step is a resume point; one inside a UTF-8 sequence (a forged id) moves
// on to the next character instead of sending a broken one.
TEST(InteractionsResume, ResumeAtEveryByteOffsetOfAStep) {
  const std::string text = "Bonjour, ça va — très bien\u2028!";
  core::reply reply;
  reply.parts.push_back(core::text_part{text});
  reply.reason = core::finish_reason::stop;
  for (std::size_t k = 1; k <= text.size(); ++k) {
    std::string id = "s0." + std::to_string(k);
    bool seen = false;
    std::string got;
    for (const auto& [type, p] : testing::parse_sse(replay(reply, id, &seen))) {
      if (type == "step.delta") {
        got += p["delta"]["text"].get<std::string>();
        EXPECT_EQ(p["event_id"], "s0." + std::to_string(text.size()));
      }
    }
    std::size_t from = k;
    while (from < text.size() && (static_cast<unsigned char>(text[from]) & 0xC0) == 0x80) {
      ++from;
    }
    EXPECT_TRUE(seen) << id;
    EXPECT_EQ(got, text.substr(from)) << id;
  }
}

// A last_event_id that is not one of ours must become a 400, not a stream from the start.
TEST(InteractionsResume, MalformedEventIdsAreRejected) {
  for (const char* bad :
       {"x", "s", "S1", "s-1", "s01", "s1.", "s1.0", "s1.01", "s1.sig.x", "s1.end2", "end ", " c",
        "s1.2x", "s99999999999999999999", "s1.99999999999999999999999"}) {
    EXPECT_FALSE(stream_renderer::valid_event_id(bad)) << bad;
    auto r = stream_renderer::make(testing::test_meta(), stream_options{true, schema::steps, bad});
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, core::error_kind::invalid_request);
    EXPECT_EQ(r.error().param, "last_event_id");
  }
  for (const char* good : {"c", "u", "s0", "s12.345", "s3.sig", "s3.end", "end"}) {
    EXPECT_TRUE(stream_renderer::valid_event_id(good)) << good;
  }
  EXPECT_TRUE(stream_renderer::make(testing::test_meta(), stream_options{}));  // no resume
}

// A well-formed id naming no event of this interaction is reported after rendering, so the
// caller can answer 400 instead of sending a stream that silently skips nothing or everything.
TEST(InteractionsResume, UnknownEventIdIsReported) {
  auto reply = folded(testing::events_fixture(fixture_name));
  for (const char* unknown : {"s4", "s1.35", "s1.sig", "s3.28"}) {
    bool seen = true;
    replay(reply, unknown, &seen);
    EXPECT_FALSE(seen) << unknown;
  }
  for (const char* known : {"c", "u", "s0.sig", "s3.27", "s3.end", "end"}) {
    bool seen = false;
    replay(reply, known, &seen);
    EXPECT_TRUE(seen) << known;
  }
}

// Resuming after the terminal event leaves only the [DONE] sentinel to send.
TEST(InteractionsResume, AfterTheEndOnlyDone) {
  auto rest = testing::parse_sse(replay(folded(testing::events_fixture(fixture_name)), "end"));
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].first, "done");
}

}  // namespace
}  // namespace interlingua
