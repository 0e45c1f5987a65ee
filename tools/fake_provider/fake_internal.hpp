#pragma once

// Internals of the fake provider that need no networking: turning a request into a "plan"
// (what to write, how fast, where to fail). Kept apart from the Beast code so the logic is
// unit-testable and the expensive Beast translation unit stays small.

#include "fake_provider.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace interlingua::fake::detail {

// One fully decided answer; the connection code only executes it.
struct plan {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  bool streamed = false;            // chunked, one chunk (and one write) per event
  std::string body;                 // when !streamed
  std::vector<std::string> events;  // when streamed
  std::chrono::milliseconds first_byte_delay{0};
  std::chrono::milliseconds gap{0};
  fault fault_kind = fault::none;
  std::size_t fault_after_events = 0;
};

struct echo_settings {
  std::chrono::milliseconds first_byte_delay{0};
  std::chrono::milliseconds gap{0};
  std::size_t stream_events = 0;
};

// --- plan.cpp ---
bool looks_like_sse(std::string_view body);
// Splits an SSE stream into events, each keeping its own terminating blank line, so that
// concatenating the events gives back the input byte for byte.
std::vector<std::string> split_sse_events(std::string_view body);
plan plan_from_script(script s);
plan json_error(int status, std::string_view message);
std::string path_of(std::string_view target);  // target without query string
std::string query_of(std::string_view target);

// --- echo.cpp ---
std::size_t count_words(std::string_view text);
// n == 0: one piece per word, whitespace kept attached; n > 0: exactly n pieces of about
// equal length, cut on UTF-8 code point boundaries (some may be empty for short texts).
std::vector<std::string> split_pieces(std::string_view text, std::size_t n);
// nullopt when the request is not for one of the emulated LLM endpoints.
std::optional<plan> echo_plan(const recorded_request& req, const echo_settings& settings,
                              std::uint64_t id);

// --- control.cpp ---
class state;
plan control_plan(state& st, const recorded_request& req);

// Everything the connections share: script queue, request log, echo defaults.
class state {
 public:
  explicit state(const options& opts);
  void push(script s);
  void push_all(std::vector<script> scripts);
  std::vector<recorded_request> requests() const;
  void clear();
  // A stalled answer noticed its client close the connection.
  void note_stall_closed();
  std::vector<std::chrono::steady_clock::time_point> stall_closes() const;
  // Records (unless /_control) and decides the answer for one request.
  plan answer(recorded_request req);
  // server::refuse_handshakes: whether the connection asking now is one to close unanswered.
  void refuse_handshakes(std::size_t n) { refuse_handshakes_.store(n); }
  bool take_refused_handshake() {
    std::size_t left = refuse_handshakes_.load();
    while (left > 0 && !refuse_handshakes_.compare_exchange_weak(left, left - 1)) {
    }
    return left > 0;
  }

 private:
  std::optional<script> pop_script();
  void record(recorded_request req);

  mutable std::mutex mu_;
  std::deque<script> scripts_;
  std::deque<recorded_request> records_;
  std::vector<std::chrono::steady_clock::time_point> stall_closes_;
  echo_settings echo_;
  std::size_t max_recorded_;
  std::atomic<std::uint64_t> next_id_{0};
  std::atomic<std::size_t> refuse_handshakes_{0};
};

}  // namespace interlingua::fake::detail
