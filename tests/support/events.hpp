#pragma once

// Test helpers: a readable line per core event, file reading, and the split-at-every-offset
// driver for upstream stream fixtures.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <interlingua/core/events.hpp>
#include <interlingua/core/provider.hpp>
#include <interlingua/net/sse_parser.hpp>

namespace interlingua::testing {

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string shared_fixture(const std::string& name) {
  return std::string(IL_SHARED_DIR) + "/fixtures/upstream/" + name;
}

inline bool have_shared() {
  return std::filesystem::exists(IL_SHARED_DIR "/fixtures/upstream");
}

inline std::string describe(const core::stream_event& e) {
  struct {
    std::string operator()(const core::message_start& m) { return "start " + m.id + " " + m.model; }
    std::string operator()(const core::part_start& s) {
      return "part_start " + std::to_string(s.index) + " " + std::to_string(int(s.kind)) + " " +
             s.id + " " + s.name;
    }
    std::string operator()(const core::text_delta& d) {
      return "text " + std::to_string(d.index) + " " + d.text;
    }
    std::string operator()(const core::thought_delta& d) {
      return "thought " + std::to_string(d.index) + " " + d.text;
    }
    std::string operator()(const core::signature_delta& d) {
      return "sig " + std::to_string(d.index) + " " + d.signature;
    }
    std::string operator()(const core::redacted_thought& d) {
      return "redacted " + std::to_string(d.index) + " " + d.data;
    }
    std::string operator()(const core::tool_args_delta& d) {
      return "args " + std::to_string(d.index) + " " + d.fragment;
    }
    std::string operator()(const core::part_stop& s) {
      return "part_stop " + std::to_string(s.index);
    }
    std::string operator()(const core::usage_update& u) {
      return "usage in=" + std::to_string(u.value.input) +
             " cached=" + std::to_string(u.value.cached) +
             " out=" + std::to_string(u.value.output) +
             " reasoning=" + std::to_string(u.value.reasoning);
    }
    std::string operator()(const core::finish& f) {
      return "finish " + std::to_string(int(f.reason));
    }
    std::string operator()(const core::stream_error& e) {
      return "error " + std::string(core::to_string(e.value.kind)) + " " + e.value.message;
    }
  } visitor;
  return std::visit(visitor, e);
}

inline std::vector<std::string> describe(const core::event_list& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    out.push_back(describe(e));
  }
  return out;
}

// Feeds `chunks` through an SSE parser and a fresh decoder, then ends the stream.
inline core::event_list decode_chunks(const core::provider_codec& codec,
                                      const std::vector<std::string_view>& chunks) {
  auto decoder = codec.make_stream_decoder();
  net::sse_parser parser;
  std::vector<net::sse_event> sse;
  core::event_list events;
  for (auto chunk : chunks) {
    sse.clear();
    parser.feed(chunk, sse);
    for (const auto& e : sse) {
      decoder->on_event(e.event, e.data, events);
    }
  }
  decoder->on_end(events);
  return events;
}

}  // namespace interlingua::testing
