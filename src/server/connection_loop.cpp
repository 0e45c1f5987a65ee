#include "connection_loop.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <spdlog/spdlog.h>

#include "access_log.hpp"
#include "auth.hpp"

namespace interlingua::server {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Counts the connection for the server's cap and for drain.
struct connection_count {
  explicit connection_count(std::atomic<std::size_t>& n) : n_(n) { ++n_; }
  ~connection_count() { --n_; }
  std::atomic<std::size_t>& n_;
};

std::string error_body(std::string_view code, std::string_view message) {
  return R"({"error":{"code":")" + std::string(code) + R"(","message":")" + std::string(message) +
         R"("}})";
}

// Answers a request the server could not even parse; the connection closes after it.
asio::awaitable<void> reject(beast::tcp_stream& stream, http::status status, std::string_view code,
                             std::string_view message) {
  http::response<http::string_body> res{status, 11};
  res.set(http::field::content_type, "application/json");
  res.keep_alive(false);
  res.body() = error_body(code, message);
  res.prepare_payload();
  stream.expires_after(std::chrono::seconds(5));
  co_await http::async_write(stream, res, use_tuple);
}

asio::awaitable<bool> reject_read_error(beast::tcp_stream& stream, boost::system::error_code ec) {
  if (ec == http::error::body_limit) {
    co_await reject(stream, http::status::payload_too_large, "payload_too_large",
                    "request body exceeds the configured limit (limits.max_body_bytes)");
  } else if (ec == http::error::header_limit) {
    co_await reject(stream, http::status::request_header_fields_too_large, "header_too_large",
                    "request header exceeds the configured limit (limits.max_header_bytes)");
  } else if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
             ec != http::error::end_of_stream && ec != http::error::partial_message) {
    std::string message = "malformed HTTP request: " + ec.message();
    co_await reject(stream, http::status::bad_request, "invalid_request", message);
  }
  co_return false;
}

asio::awaitable<void> answer_builtin(exchange& ex, bool draining) {
  if (ex.path() == "/healthz") {
    co_await ex.respond_json(200, R"({"status":"ok"})");
  } else if (draining) {
    co_await ex.respond_json(503, R"({"status":"draining"})");
  } else {
    co_await ex.respond_json(200, R"({"status":"ready"})");
  }
}

asio::awaitable<void> dispatch(http_server::worker& w, exchange& ex, const options& opts) {
  std::string_view p = ex.path();
  if ((p == "/healthz" || p == "/readyz") && ex.req().method() == http::verb::get) {
    ex.record().route = p;
    co_await answer_builtin(ex, w.owner.draining());
    co_return;
  }
  auto m = w.routes->match(ex.req().method(), p);
  ex.record().route = m.pattern;
  if (!m.target) {
    // Built before co_await: g++ 12 double-destroys temporaries of a ?: inside co_await.
    std::string body = m.status == 405
                           ? error_body("method_not_allowed", "method not allowed on this path")
                           : error_body("not_found", "no route for this path");
    co_await ex.respond_json(m.status, std::move(body));
    co_return;
  }
  auto key = presented_key(ex);
  if (!opts.keys.empty() && !key_accepted(key, opts.keys)) {
    co_await ex.respond_json(401, error_body("unauthenticated", "missing or invalid API key"));
    co_return;
  }
  ex.set_gateway_key(std::string(key));
  ex.set_params(std::move(m.params));
  bool crashed = false;
  try {
    co_await (*m.target)(ex);
  } catch (const std::exception& e) {
    spdlog::error("request {} failed: {}", ex.request_id(), e.what());
    crashed = true;
  }
  if (crashed && !ex.started()) {
    co_await ex.respond_json(500, error_body("internal", "internal error"));
  }
}

// Parses what the buffer already holds — usually the whole request, which await_next_request
// read — as beast's async_read would first do, but without its posted completion when no more
// I/O is needed. False when the request needs more bytes from the socket.
bool parse_buffered(http::request_parser<http::string_body>& parser, beast::flat_buffer& buffer,
                    boost::system::error_code& ec) {
  parser.eager(true);
  while (buffer.size() > 0 && !parser.is_done()) {
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == http::error::need_more) {
      ec = {};
      return false;
    }
    if (ec) {
      return true;
    }
    if (used == 0) {
      return false;
    }
  }
  return parser.is_done();
}

// Reads the next request into `req`: false when the connection is to close (an answer to a
// request that could not be read has been sent). A coroutine of its own, so the parser is gone
// before the answer starts and no frame that lives as long as a stream holds it.
asio::awaitable<bool> read_request(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                   const options& opts, request& req) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
  parser.body_limit(opts.max_body_bytes);
  boost::system::error_code ec;
  if (!parse_buffered(parser, buffer, ec)) {
    stream.expires_after(opts.read_timeout);
    auto [rec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    ec = rec;
  }
  if (ec) {
    co_return co_await reject_read_error(stream, ec);
  }
  // The answer may take minutes (a stream) and the read buffer is empty unless requests were
  // pipelined: give it back meanwhile (4 KiB an open stream, and a body's read
  // size after a large request). The next request's read allocates it again.
  if (buffer.size() == 0) {
    buffer.shrink_to_fit();
  }
  req = parser.release();
  co_return true;
}

// One request: read, dispatch, log. Returns whether the connection may serve another.
asio::awaitable<bool> serve_request(http_server::worker& w, beast::tcp_stream& stream,
                                    beast::flat_buffer& buffer, const options& opts) {
  request req;
  bool read = co_await read_request(stream, buffer, opts, req);
  if (!read) {
    co_return false;
  }
  auto started = std::chrono::steady_clock::now();
  bool keep = req.keep_alive() && !w.owner.draining();
  exchange ex(stream, req, request_id_for(req), opts.write_timeout, keep);
  co_await dispatch(w, ex, opts);
  if (opts.access_log) {
    log_access(ex, started);
  }
  co_return ex.started() && !ex.stream_open() && ex.keep_alive() && !w.owner.draining();
}

// Waits for the first byte of the next request, on the worker's idle list: past the keep-alive
// timeout, or at a drain, the list cancels the read and the connection closes.
asio::awaitable<bool> await_next_request(http_server::worker& w, beast::tcp_stream& stream,
                                         beast::flat_buffer& buffer) {
  if (buffer.size() > 0) {
    co_return true;
  }
  if (w.owner.draining()) {
    co_return false;  // a drain that began before this wait could not cancel it
  }
  idle_connections::entry waiting(w.idle, stream.socket());
  auto [ec, n] = co_await stream.socket().async_read_some(buffer.prepare(4096), use_tuple);
  waiting.leave();
  if (ec) {
    co_return false;
  }
  buffer.commit(n);
  co_return !w.owner.draining() || n > 0;
}

}  // namespace

void http_server::worker::begin_drain() {
  boost::system::error_code ignored;
  if (acceptor) {
    acceptor->close(ignored);
  }
  idle.cancel_all();
}

asio::awaitable<void> serve_connection(http_server::worker& w, asio::ip::tcp::socket socket) {
  connection_count counted(w.owner.connection_counter());
  const options& opts = w.owner.settings();
  beast::tcp_stream stream(std::move(socket));
  if (w.owner.open_connections() > opts.max_connections) {
    co_await reject(stream, http::status::service_unavailable, "overloaded",
                    "too many open connections (limits.max_connections)");
    co_return;
  }
  beast::flat_buffer buffer;
  while (co_await await_next_request(w, stream, buffer)) {
    if (!co_await serve_request(w, stream, buffer, opts)) {
      break;
    }
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  stream.close();
}

}  // namespace interlingua::server
