#pragma once

// What the SSE parser tests share: expected events, feeding a stream in chunks, reading fixture
// files. Included by sse_parser_test.cpp (the spec, rule by rule) and sse_fixtures_test.cpp
// (every recorded stream, split at every byte offset).

#include <interlingua/net/sse_parser.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace interlingua::net::sse_testing {

namespace fs = std::filesystem;
using namespace std::string_literals;

// ---------------------------------------------------------------------------------------------
// Helpers

// An expected event; data comes first because most expectations set nothing else.
inline sse_event ev(std::string data, std::string event = {}, std::string id = {},
                    std::optional<std::uint64_t> retry = std::nullopt) {
  return sse_event{std::move(event), std::move(data), std::move(id), retry};
}

inline bool same_event(const sse_event& a, const sse_event& b) {
  return a.event == b.event && a.data == b.data && a.id == b.id && a.retry == b.retry;
}

inline bool same_events(const std::vector<sse_event>& a, const std::vector<sse_event>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), same_event);
}

inline std::string escaped(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      out += "\\x" + std::string(1, "0123456789abcdef"[u >> 4]) + "0123456789abcdef"[u & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

inline std::string describe(const std::vector<sse_event>& events) {
  std::ostringstream os;
  for (const sse_event& e : events) {
    os << "{event=\"" << escaped(e.event) << "\" data=\"" << escaped(e.data) << "\" id=\""
       << escaped(e.id) << "\" retry=";
    if (e.retry) {
      os << *e.retry;
    } else {
      os << "none";
    }
    os << "}\n";
  }
  return os.str();
}

#define EXPECT_EVENTS(actual, expected)                                           \
  EXPECT_TRUE(same_events(actual, expected)) << "actual:\n"                       \
                                             << describe(actual) << "expected:\n" \
                                             << describe(expected)

struct parse_result {
  std::vector<sse_event> events;
  bool fed_ok = true;
  bool finished_ok = false;
  std::string last_event_id;
};

// Feeds `chunks` in order into a fresh parser and finishes the stream.
inline parse_result parse_chunks(const std::vector<std::string_view>& chunks,
                                 std::size_t max_bytes = std::size_t{4} * 1024 * 1024) {
  sse_parser parser(max_bytes);
  parse_result r;
  for (const std::string_view chunk : chunks) {
    r.fed_ok = parser.feed(chunk, r.events) && r.fed_ok;
  }
  r.finished_ok = parser.finish();
  r.last_event_id = parser.last_event_id();
  return r;
}

inline std::vector<sse_event> parse(std::string_view stream) {
  return parse_chunks({stream}).events;
}

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace interlingua::net::sse_testing
