#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include <interlingua/net/upstream.hpp>

#include "tls_stream.hpp"

namespace interlingua::net {

namespace beast = boost::beast;

// A response body the parser appends to the caller's string as it decodes it: body bytes go
// straight to where they are handed on. The bytes used to pass through a 4 KiB buffer of the
// connection's, which every open stream held (bench/RESULTS.md, memory per stream). The string is
// set before every read of the body (`parser->get().body() = &out`); with none set, the read
// fails (need_buffer) instead of dropping bytes.
struct append_body {
  using value_type = std::string*;

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>&, boost::system::error_code& ec) { ec = {}; }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::system::error_code& ec) {
      if (body_ == nullptr) {
        ec = http::error::need_buffer;
        return 0;
      }
      ec = {};
      std::size_t n = 0;
      for (auto b : beast::buffers_range_ref(buffers)) {
        body_->append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      return n;
    }

    void finish(boost::system::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

// One upstream socket, TLS or plain, with its read buffer and the parser of the response in
// progress.
class connection {
 public:
  connection(asio::any_io_executor ex, asio::ssl::context* tls) {
    if (tls != nullptr) {
      tls_.emplace(ex, *tls);
    } else {
      plain_.emplace(ex);
    }
  }
  ~connection() {
    if (watch_) {
      watch_->owner = nullptr;  // the timer's last handler, aborted, finds no one
    }
  }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  beast::tcp_stream& lowest() { return tls_ ? tls_->next_layer() : *plain_; }
  bool is_tls() const { return tls_.has_value(); }
  tls_stream& tls() { return *tls_; }
  beast::tcp_stream& plain() { return *plain_; }

  void close() {
    boost::system::error_code ignored;
    lowest().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    lowest().socket().close(ignored);
  }

  // An idle pooled connection keeps only its socket (and its TLS session): the read buffer is
  // given back (a pool of a thousand idle connections held 6 MB otherwise), and so is what
  // OpenSSL left allocated (see tls_stream's reads). False when the upstream sent bytes beyond
  // its answer: such a connection is not fit for reuse.
  bool release_buffers() {
    if (buffer.size() > 0) {
      return false;
    }
    buffer.shrink_to_fit();
    if (tls_) {
      tls_->release_buffers();
    }
    return true;
  }

  // The deadline of an exchange's reads and writes once connected: each must complete by
  // now + `d`. Kept lazily, as nginx keeps its timers: one timer wait stays armed across
  // operations (and across the calls of a pooled connection) and is moved only when it fires
  // before the deadline or an operation asks for a nearer one. A streamed event or a request
  // thus costs a clock read here, not beast's per-operation timer start and cancel — a posted
  // completion, a scheduler round and, at low concurrency, a timerfd_settime (bench/RESULTS.md).
  // When the deadline passes, the socket's operations are cancelled; deadline_passed() tells
  // that from other failures. Beast's own timer is off from the first write of an exchange on,
  // so every operation from there must be preceded by a deadline() call or it has no bound.
  // stop_deadline() ends it when the exchange is over: a pooled connection must not hold a
  // pending wait (it would keep its io_context from running out of work).
  void deadline(std::chrono::milliseconds d);
  void stop_deadline();
  bool deadline_passed() const { return watch_ && watch_->passed; }

  beast::flat_buffer buffer;
  std::optional<http::response_parser<append_body>> parser;
  std::chrono::steady_clock::time_point last_used{};
  bool reused = false;

 private:
  // Shared with the timer's handler, which may run after the connection is gone.
  struct deadline_watch {
    connection* owner = nullptr;  // null once the connection is gone
    std::chrono::steady_clock::time_point at{};
    bool active = false;   // a deadline applies now
    bool waiting = false;  // a timer wait is armed (or its completion queued)
    bool passed = false;
  };
  void arm_timer(const std::shared_ptr<deadline_watch>& w);

  std::optional<asio::steady_timer> timer_;
  std::shared_ptr<deadline_watch> watch_;
  std::optional<tls_stream> tls_;
  std::optional<beast::tcp_stream> plain_;
};

}  // namespace interlingua::net
