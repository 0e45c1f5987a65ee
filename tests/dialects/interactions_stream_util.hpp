#pragma once

// Shared by the Interactions stream tests: core events from a fixture file, SSE bodies split
// back into events.

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <interlingua/core/events.hpp>
#include <interlingua/dialects/interactions.hpp>

#include "../support/events.hpp"

namespace interlingua::testing {

inline nlohmann::json interactions_fixture(const std::string& name) {
  return nlohmann::json::parse(read_file(std::string(IL_FIXTURES_DIR) + "/interactions/" + name));
}

inline core::part_kind kind_named(const std::string& k) {
  if (k == "thought") {
    return core::part_kind::thought;
  }
  return k == "tool_call" ? core::part_kind::tool_call : core::part_kind::text;
}

inline core::finish_reason reason_named(const std::string& r) {
  if (r == "tool_calls") {
    return core::finish_reason::tool_calls;
  }
  return r == "length" ? core::finish_reason::length : core::finish_reason::stop;
}

// The fixture's "events": one object per core event, named by "type".
inline core::event_list events_fixture(const std::string& name) {
  core::event_list out;
  const nlohmann::json fixture = interactions_fixture(name);  // bound: g++ 12 range-for dangles
  for (const auto& e : fixture["events"]) {
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

// 2026-05-15T18:51:55Z, the time of the spec's §5.4 capture.
inline dialects::interactions::interaction_meta test_meta() {
  auto t = std::chrono::system_clock::from_time_t(1778871115);
  return dialects::interactions::interaction_meta{"v1_abc", "gemini-2.5-flash", "in_progress", t, t,
                                                  {}};
}

// Splits an SSE body into (event line, JSON payload) pairs, checking the framing on the way.
inline std::vector<std::pair<std::string, nlohmann::json>> parse_sse(const std::string& body) {
  std::vector<std::pair<std::string, nlohmann::json>> out;
  std::size_t at = 0;
  while (at < body.size()) {
    auto end = body.find("\n\n", at);
    if (end == std::string::npos) {
      ADD_FAILURE() << "event not terminated by a blank line";
      break;
    }
    std::string block = body.substr(at, end - at);
    at = end + 2;
    auto nl = block.find('\n');
    EXPECT_EQ(block.rfind("event: ", 0), 0u) << block;
    EXPECT_NE(nl, std::string::npos) << block;
    std::string type = block.substr(7, nl - 7);
    std::string data = block.substr(nl + 1);
    EXPECT_EQ(data.rfind("data: ", 0), 0u) << block;
    data = data.substr(6);
    out.emplace_back(type,
                     data == "[DONE]" ? nlohmann::json("[DONE]") : nlohmann::json::parse(data));
  }
  return out;
}

}  // namespace interlingua::testing
