#pragma once

// Incremental Server-Sent-Events parser: the WHATWG HTML "event stream interpretation" over raw
// bytes as they arrive from the socket, in any split. Pure (no I/O, no Asio) and never throws, so
// provider stream decoders can be tested on recorded fixtures.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace interlingua::net {

struct sse_event {
  std::string event;                   // "" when no event: field (caller treats as "message")
  std::string data;                    // data lines joined with '\n', no trailing newline
  std::string id;                      // the last event id in effect when this event was dispatched
  std::optional<std::uint64_t> retry;  // set when this event block carried a valid retry:
};

// One extension to the spec: a line that starts with '{' or '[' outside an event block begins a
// raw JSON value — Gemini sends errors after a 200 as pretty-printed JSON without `data:`, over
// several lines. Its lines are collected (joined with '\n') until the brackets balance, outside
// strings, and the value is dispatched as an event of its own with an empty type.
//
// Bytes are passed through as they came except that invalid UTF-8 in stored values becomes U+FFFD,
// as the spec's UTF-8 decode step requires. Memory is bounded: the partial line and the data buffer
// are each at most max_event_bytes, and the event type and id come from one (capped) line each.
class sse_parser {
 public:
  explicit sse_parser(std::size_t max_event_bytes = 4 * 1024 * 1024);

  // Feeds the next bytes, in any split (a CRLF or a UTF-8 sequence may straddle two calls).
  // Appends every completed event to `out`. Returns false once an event's data (or a single line)
  // grows beyond max_event_bytes; the parser then stays failed and ignores further input. Events
  // completed before the overflowing line are still appended.
  bool feed(std::string_view bytes, std::vector<sse_event>& out);

  // End of stream: a trailing event without its blank line is discarded, and so is a final line
  // without terminator (per spec). Returns true when the stream ended on an event boundary (no
  // partial line, no field lines after the last blank line; comments do not count) and the parser
  // has not failed; false means the stream was truncated. Afterwards the parser is ready for the
  // next stream of a reconnection: last_event_id() is kept, a BOM is stripped again.
  bool finish();

  bool failed() const;

  // The spec's "last event ID string": committed at each blank line, so after a truncated stream
  // it names the last event whose block was complete — what a reconnect sends as Last-Event-ID.
  const std::string& last_event_id() const;

  // Back to the freshly constructed state, including last_event_id() and failed().
  void reset();

 private:
  bool feed_lines(std::string_view bytes, std::vector<sse_event>& out);
  bool complete_line(std::string_view tail, std::vector<sse_event>& out);
  bool stash_partial_line(std::string_view tail);
  bool process_line(std::string_view line, std::vector<sse_event>& out);
  bool process_field(std::string_view field, std::string_view value);
  bool raw_json_line(std::string_view line, std::vector<sse_event>& out);
  bool append_data(std::string_view value);
  void dispatch(std::vector<sse_event>& out);
  void start_stream();
  bool fail();

  std::size_t max_event_bytes_;
  std::string partial_line_;  // bytes of the line not yet terminated; empty between lines
  std::string data_;          // the spec's data buffer, without the trailing '\n'
  std::string event_type_;
  std::string id_buffer_;      // the spec's "last event ID buffer", set by id: lines
  std::string last_event_id_;  // the spec's "last event ID string", committed at blank lines
  std::optional<std::uint64_t> retry_;
  std::size_t bom_matched_ = 0;  // leading bytes of the stream that matched the BOM so far
  bool bom_checked_ = false;
  bool has_data_ = false;    // a data: line was seen; tells "data:" ("") apart from no data
  bool block_open_ = false;  // a field line was seen since the last blank line
  bool skip_lf_ = false;     // the previous chunk ended in CR: a leading LF finishes that CRLF
  bool raw_open_ = false;    // inside a raw JSON value (see above)
  bool raw_in_string_ = false;
  bool raw_escape_ = false;
  int raw_depth_ = 0;  // open brackets of the raw JSON value
  bool failed_ = false;
};

}  // namespace interlingua::net
