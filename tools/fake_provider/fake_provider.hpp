#pragma once

// A fake LLM provider (OpenAI Chat Completions, Anthropic Messages, Gemini) over real TLS.
// By default it echoes the last user message back with deterministic usage; tests can queue
// scripted answers (status, body, pacing, faults) and inspect what the gateway sent upstream.
// Deliberately free of Asio/Beast includes so users of this header compile fast.

#include "pki.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace interlingua::fake {

enum class fault {
  none,
  reset_before_headers,  // read the request, then RST without writing a byte
  reset_mid_stream,      // RST one `gap` after fault_after_events events
  stall,                 // write nothing after fault_after_events events; keep the socket open
};

// What to answer to ONE coming request (FIFO queue; any recorded request consumes one).
struct script {
  int status = 200;
  // Verbatim body. For SSE the whole stream text; it is split into events on blank lines
  // (CRLF or LF) and each event goes out as its own chunk.
  std::string body;
  // "" → text/event-stream when body starts with "data:" / "event:", else application/json.
  std::string content_type;
  std::vector<std::pair<std::string, std::string>>
      headers;  // extra response headers, e.g. Retry-After
  std::chrono::milliseconds first_byte_delay{0};
  std::chrono::milliseconds gap{0};  // between SSE events
  fault fault_kind = fault::none;    // reset_before_headers happens after first_byte_delay
  // reset_mid_stream/stall: after this many events were written (capped at the number of events).
  // A non-SSE body counts as one event; with a fault it is sent chunked so it can be cut.
  std::size_t fault_after_events = 1;
};

struct recorded_request {
  std::string method;
  std::string target;
  std::map<std::string, std::string>
      headers;  // lower-case names; repeated headers joined with ", "
  std::string body;
};

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = ephemeral; read it back with server::port()
  bool tls = true;         // false: plain HTTP
  // Certificate and key to serve (a member cannot share the name `tls` with the flag above).
  // When tls and material.cert_pem is empty: generated for {"localhost", "127.0.0.1", "::1"}.
  tls_material material;
  std::chrono::seconds session_lifetime{0};  // TLS sessions and tickets; 0 = OpenSSL's (300 s)
  unsigned threads = 1;
  std::chrono::milliseconds first_byte_delay{0};  // defaults for echo answers
  std::chrono::milliseconds gap{0};
  std::size_t stream_events = 0;    // echo streams: number of text deltas (0 = one per word)
  std::size_t max_recorded = 1000;  // ring of recorded requests; 0 records nothing
};

class server {
 public:
  // Binds and starts serving on its own thread(s) before returning. Throws on bind/TLS failure.
  explicit server(options opts);
  ~server();  // stops and joins; safe while connections are open
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  std::uint16_t port() const;
  const tls_material& tls() const;
  void push(script s);  // thread-safe
  // The next `n` TLS connections are closed before their handshake (a TLS failure for the
  // client). Thread-safe.
  void refuse_handshakes(std::size_t n);
  std::vector<recorded_request> requests() const;  // thread-safe copy, oldest first
  void clear();                                    // drop scripts and records
  // When each stalled answer (fault::stall) saw its client close the connection, in order.
  std::vector<std::chrono::steady_clock::time_point> stall_closes() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace interlingua::fake
