#include <interlingua/net/upstream.hpp>

#include <algorithm>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_cat.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <interlingua/net/http_write.hpp>

#include "connection.hpp"

namespace interlingua::net {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

failure fail(failure_stage stage, boost::system::error_code ec) {
  return failure{stage, ec, ec == beast::error::timeout};
}

// A timeout is beast's (connect) or the connection's deadline cancelling the operation; a reset
// or an end of stream that arrived as the deadline passed stays what it was.
failure fail(failure_stage stage, boost::system::error_code ec, const connection& c) {
  const bool cancelled_by_deadline = ec == asio::error::operation_aborted && c.deadline_passed();
  return failure{stage, ec, ec == beast::error::timeout || cancelled_by_deadline};
}

asio::awaitable<std::optional<failure>> handshake(connection& c, const std::string& host,
                                                  millis limit) {
  // Under the connection's own deadline: the handshake's waits are on the socket, which beast's
  // per-operation timer does not cover.
  c.lowest().expires_never();
  c.deadline(limit);
  auto ec = co_await c.tls().handshake(host);
  if (ec) {
    co_return fail(failure_stage::tls, ec, c);
  }
  co_return std::nullopt;
}

// `resume`: a session to offer the server, or null.
asio::awaitable<std::optional<failure>> connect(connection& c, connection_pool& pool,
                                                const deadlines& limits, SSL_SESSION* resume) {
  const endpoint& ep = pool.target();
  auto found = co_await pool.addresses();
  if (auto* ec = std::get_if<boost::system::error_code>(&found)) {
    co_return fail(failure_stage::connect, *ec);
  }
  const auto& addresses = std::get<std::vector<asio::ip::tcp::endpoint>>(found);
  c.lowest().expires_after(limits.connect);
  auto [cec, where] = co_await c.lowest().async_connect(addresses, use_tuple);
  if (cec) {
    co_return fail(failure_stage::connect, cec);
  }
  c.lowest().socket().set_option(asio::ip::tcp::no_delay(true));
  if (c.is_tls()) {
    if (resume != nullptr && SSL_set_session(c.tls().native_handle(), resume) != 1) {
      ERR_clear_error();  // not offered: a full handshake, as with none kept
    }
    co_return co_await handshake(c, ep.host, limits.tls_handshake);
  }
  co_return std::nullopt;
}

// The request, over TLS: beast's serializer through the TLS stream.
asio::awaitable<boost::system::error_code> write_request(tls_stream& stream,
                                                         http::request<http::string_body>& req) {
  auto [ec, n] = co_await http::async_write(stream, req, use_tuple);
  co_return ec;
}

// The request, over plain TCP: head and body in one non-blocking gathered send, the rest (if the
// kernel did not take it all) asynchronously under the connection's deadline. start() prepared
// the payload, so the body goes as it is.
asio::awaitable<boost::system::error_code> write_request(beast::tcp_stream& stream,
                                                         http::request<http::string_body>& req) {
  const std::string head = serialized_head(req);
  const auto both = beast::buffers_cat(asio::buffer(head), asio::buffer(req.body()));
  co_return co_await send_now_or_async(stream, both, std::nullopt);
}

template <class Stream>
asio::awaitable<std::optional<failure>> exchange_head(Stream& stream, connection& c,
                                                      http::request<http::string_body>& request,
                                                      const deadlines& limits) {
  // From here on the connection's own lazy deadline applies, not beast's per-operation timer.
  c.lowest().expires_never();
  c.deadline(limits.first_byte);
  auto wec = co_await write_request(stream, request);
  if (wec) {
    co_return fail(failure_stage::write, wec, c);
  }
  bool gone = co_await cancelled();
  if (gone) {
    co_return fail(failure_stage::first_byte, asio::error::operation_aborted);
  }
  c.parser.emplace();
  c.parser->get().body() = nullptr;   // set by each read of the body (append_body)
  c.parser->body_limit(boost::none);  // the caller bounds what it keeps
  auto [rec, read] = co_await http::async_read_header(stream, c.buffer, *c.parser, use_tuple);
  if (rec) {
    co_return fail(failure_stage::first_byte, rec, c);
  }
  co_return std::nullopt;
}

asio::awaitable<std::optional<failure>> send(connection& c,
                                             http::request<http::string_body>& request,
                                             const deadlines& limits) {
  if (c.is_tls()) {
    co_return co_await exchange_head(c.tls(), c, request, limits);
  }
  co_return co_await exchange_head(c.plain(), c, request, limits);
}

// A pooled connection the upstream already closed fails on write, or on read with no byte of
// the response: safe to retry because the upstream cannot have acted on the request.
bool is_stale(const connection& c, const failure& f) {
  // A cancelled call (the client left) is not tried again on a new connection.
  if (!c.reused || f.timed_out || f.ec == asio::error::operation_aborted) {
    return false;
  }
  if (f.stage == failure_stage::write) {
    return true;
  }
  return f.stage == failure_stage::first_byte && !c.parser->got_some();
}

// Parses what the read buffer already holds (the end of a chunk, the next one), as beast's
// read_some would first do, but without its posted completion when no I/O was needed. False
// when the parser needs bytes from the socket.
bool parse_buffered(connection& c, boost::system::error_code& ec) {
  if (c.buffer.size() == 0) {
    return false;
  }
  const std::size_t used = c.parser->put(c.buffer.data(), ec);
  c.buffer.consume(used);
  if (ec == http::error::need_more) {
    ec = {};
    return false;
  }
  return true;
}

// Appends the body bytes of one read (or of what the buffer already holds) to `out`.
template <class Stream>
asio::awaitable<boost::system::error_code> read_body(Stream& stream, connection& c,
                                                     std::string& out) {
  c.parser->get().body() = &out;
  boost::system::error_code ec;
  if (!parse_buffered(c, ec)) {
    // read_some, not read: a streamed body must be handed on as it arrives, not when 16 KiB
    // have accumulated.
    auto [rec, n] = co_await http::async_read_some(stream, c.buffer, *c.parser, use_tuple);
    ec = rec;
  }
  c.parser->get().body() = nullptr;  // `out` may be gone before the next read
  co_return ec;
}

}  // namespace

void connection::deadline(std::chrono::milliseconds d) {
  const auto at = std::chrono::steady_clock::now() + d;
  if (!watch_) {
    timer_.emplace(lowest().get_executor());
    watch_ = std::make_shared<deadline_watch>();
    watch_->owner = this;
  }
  watch_->at = at;
  watch_->active = true;
  watch_->passed = false;
  if (!watch_->waiting || timer_->expiry() > at) {
    arm_timer(watch_);
  }
}

void connection::stop_deadline() {
  if (!watch_ || !watch_->active) {
    return;
  }
  watch_->active = false;
  if (watch_->waiting) {
    watch_->waiting = false;
    timer_->cancel();  // a completion already queued finds the deadline inactive
  }
}

void connection::arm_timer(const std::shared_ptr<deadline_watch>& w) {
  w->waiting = true;
  timer_->expires_at(w->at);  // a wait armed for later ends as aborted: its handler ignores it
  timer_->async_wait([w](boost::system::error_code ec) {
    connection* c = w->owner;
    if (ec == asio::error::operation_aborted || c == nullptr) {
      return;
    }
    if (!w->active) {
      w->waiting = false;  // nothing to watch until the next deadline() arms it again
      return;
    }
    if (std::chrono::steady_clock::now() < w->at) {
      c->arm_timer(w);  // operations went on: wait for the deadline they moved
      return;
    }
    w->waiting = false;
    w->passed = true;
    boost::system::error_code ignored;
    c->lowest().socket().cancel(ignored);
  });
}

asio::awaitable<bool> cancelled() {
  auto state = co_await asio::this_coro::cancellation_state;
  co_return state.cancelled() != asio::cancellation_type::none;
}

asio::awaitable<upstream_call::start_result> upstream_call::start(
    connection_pool& pool, http::request<http::string_body> request, deadlines limits) {
  request.keep_alive(true);
  request.prepare_payload();
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto c = pool.take_idle();
    const bool fresh = !c;
    if (fresh) {
      c = std::make_unique<connection>(pool.executor_, pool.tls_.get());
      ++pool.stats_.connects;
      const auto offered = pool.session_to_offer();
      if (auto f = co_await connect(*c, pool, limits, offered.get())) {
        if (offered && f->stage == failure_stage::tls) {
          pool.forget_session();  // the next connection starts afresh
        }
        co_return *f;
      }
    }
    auto f = co_await send(*c, request, limits);
    if (!f) {
      if (fresh && c->is_tls()) {
        if (SSL_session_reused(c->tls().native_handle()) == 1) {
          ++pool.stats_.resumed;
        }
        pool.keep_session(*c);
      }
      co_return std::make_unique<upstream_call>(pool, std::move(c), limits);
    }
    c->close();
    if (!is_stale(*c, *f) || attempt == 1) {
      co_return *f;
    }
    ++pool.stats_.stale_retries;
  }
  co_return failure{};  // not reached: the loop returns on its second attempt
}

upstream_call::upstream_call(connection_pool& pool, std::unique_ptr<connection> c, deadlines limits)
    : pool_(pool),
      conn_(std::move(c)),
      limits_(limits),
      started_(std::chrono::steady_clock::now()) {}

upstream_call::~upstream_call() {
  if (!conn_) {
    return;
  }
  conn_->stop_deadline();
  if (finished_ && !failure_ && conn_->parser->keep_alive()) {
    pool_.give_back(std::move(conn_));
  } else {
    conn_->close();
  }
}

unsigned upstream_call::status() const {
  return conn_->parser->get().result_int();
}

std::string upstream_call::header(std::string_view name) const {
  const auto& head = conn_->parser->get();
  auto it = head.find(boost::beast::string_view(name.data(), name.size()));
  return it == head.end() ? std::string{} : std::string(it->value());
}

asio::awaitable<bool> upstream_call::read_some(std::string& out, std::optional<millis> wait) {
  if (finished_ || failure_) {
    co_return false;
  }
  if (conn_->parser->is_done()) {
    finished_ = true;
    co_return false;
  }
  bool gone = co_await cancelled();
  if (gone) {
    failure_ = fail(failure_stage::body, asio::error::operation_aborted);
    co_return false;
  }
  conn_->deadline(wait.value_or(limits_.idle_gap));
  boost::system::error_code ec;
  const std::size_t before = out.size();
  if (conn_->is_tls()) {
    ec = co_await read_body(conn_->tls(), *conn_, out);
  } else {
    ec = co_await read_body(conn_->plain(), *conn_, out);
  }
  const std::size_t n = out.size() - before;
  if (ec) {
    failure_ = fail(failure_stage::body, ec, *conn_);
    co_return false;
  }
  if (conn_->parser->is_done()) {
    finished_ = true;
  }
  co_return n > 0 || !finished_;
}

asio::awaitable<bool> upstream_call::read_all(std::string& out, std::size_t max_bytes) {
  auto deadline = started_ + limits_.total;
  while (!finished_ && !failure_) {
    auto left = std::chrono::duration_cast<millis>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      failure_ = failure{failure_stage::body, beast::error::timeout, true};
      co_return false;
    }
    limits_.idle_gap = std::min(limits_.idle_gap, left);
    co_await read_some(out);
    if (out.size() > max_bytes) {
      failure_ = failure{failure_stage::body, http::error::body_limit, false};
      co_return false;
    }
  }
  co_return !failure_;
}

}  // namespace interlingua::net
