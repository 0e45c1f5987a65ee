// One coroutine per connection: HTTP/1.1 keep-alive with Beast over TLS or plain TCP, executing
// the plan decided by state::answer() with real pacing (one write per event) and real faults.

#include "fake_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <type_traits>

namespace interlingua::fake::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto handshake_timeout = std::chrono::seconds(30);
constexpr auto close_timeout = std::chrono::seconds(5);
constexpr std::uint64_t body_limit = 64ull * 1024 * 1024;  // prompts with images can be large
constexpr std::uint32_t header_limit = 64 * 1024;

using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

recorded_request to_record(http::request<http::string_body>& req) {
  recorded_request rec;
  rec.method = std::string(req.method_string());
  rec.target = std::string(req.target());
  for (const auto& field : req) {
    auto [it, inserted] = rec.headers.try_emplace(lower(field.name_string()), field.value());
    if (!inserted) {
      it->second += ", ";
      it->second += field.value();
    }
  }
  rec.body = std::move(req.body());
  return rec;
}

template <class Message>
void set_headers(Message& res, const plan& p, bool keep_alive) {
  res.version(11);
  res.result(static_cast<unsigned>(p.status));
  res.set(http::field::server, "interlingua-fake-provider");
  res.set(http::field::content_type, p.content_type);
  for (const auto& [name, value] : p.headers) {
    res.insert(name, value);
  }
  res.keep_alive(keep_alive);
}

template <class Stream>
class session {
 public:
  session(Stream stream, state& st) : stream_(std::move(stream)), state_(st) {}

  asio::awaitable<void> run() {
    // g++ 12 corrupts `this` in a member coroutine whose if/while condition holds a co_await
    // (crash on resume), so every co_await in this file is a plain statement.
    bool open = co_await handshake();
    while (open) {
      open = co_await serve_one();
    }
  }

 private:
  asio::awaitable<bool> handshake() {
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      if (state_.take_refused_handshake()) {
        beast::get_lowest_layer(stream_).close();
        co_return false;
      }
      beast::get_lowest_layer(stream_).expires_after(handshake_timeout);
      auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::server, use_tuple);
      beast::get_lowest_layer(stream_).expires_never();
      co_return !ec;
    } else {
      co_return true;
    }
  }

  // Reads one request and answers it; false when the connection is done.
  asio::awaitable<bool> serve_one() {
    http::request_parser<http::string_body> parser;
    parser.body_limit(body_limit);
    parser.header_limit(header_limit);
    auto [header_ec, header_n] =
        co_await http::async_read_header(stream_, buffer_, parser, use_tuple);
    if (header_ec) {
      co_return false;
    }
    const bool continued =
        co_await send_continue(beast::iequals(parser.get()[http::field::expect], "100-continue"));
    if (!continued) {
      co_return false;
    }
    auto [ec, n] = co_await http::async_read(stream_, buffer_, parser, use_tuple);
    if (ec) {
      co_return false;
    }
    auto req = parser.release();
    const bool keep_alive = req.keep_alive();
    plan p = state_.answer(to_record(req));
    co_await pause(p.first_byte_delay);
    if (p.fault_kind == fault::reset_before_headers) {
      reset();
      co_return false;
    }
    bool open = false;
    if (p.streamed) {
      open = co_await write_streamed(std::move(p), keep_alive);
    } else {
      open = co_await write_unary(std::move(p), keep_alive);
    }
    if (open && !keep_alive) {
      co_await close_gracefully();
    }
    co_return open&& keep_alive;
  }

  // curl sends "Expect: 100-continue" for larger bodies and would otherwise wait a second.
  asio::awaitable<bool> send_continue(bool expected) {
    if (!expected) {
      co_return true;
    }
    http::response<http::empty_body> res{http::status::continue_, 11};
    auto [ec, n] = co_await http::async_write(stream_, res, use_tuple);
    co_return !ec;
  }

  asio::awaitable<bool> write_unary(plan p, bool keep_alive) {
    http::response<http::string_body> res;
    set_headers(res, p, keep_alive);
    res.body() = std::move(p.body);
    res.prepare_payload();
    auto [ec, n] = co_await http::async_write(stream_, res, use_tuple);
    co_return !ec;
  }

  asio::awaitable<bool> write_streamed(plan p, bool keep_alive) {
    http::response<http::empty_body> res;
    set_headers(res, p, keep_alive);
    res.chunked(true);
    http::response_serializer<http::empty_body> serializer{res};
    auto [ec, n] = co_await http::async_write_header(stream_, serializer, use_tuple);
    if (ec) {
      co_return false;
    }
    const bool faulty = p.fault_kind == fault::reset_mid_stream || p.fault_kind == fault::stall;
    const std::size_t count =
        faulty ? std::min(p.fault_after_events, p.events.size()) : p.events.size();
    for (std::size_t i = 0; i < count; ++i) {
      if (i > 0) {
        co_await pause(p.gap);
      }
      const bool written = co_await write_chunk(std::move(p.events[i]));
      if (!written) {
        co_return false;
      }
    }
    const bool finished = co_await finish_stream(p.fault_kind, p.gap);
    co_return finished;
  }

  // Each event is its own write, so the client sees it when the plan says, not when a buffer fills.
  asio::awaitable<bool> write_chunk(std::string event) {
    if (event.empty()) {
      co_return true;  // an empty chunk would end the body
    }
    auto [ec, n] =
        co_await asio::async_write(stream_, http::make_chunk(asio::buffer(event)), use_tuple);
    co_return !ec;
  }

  asio::awaitable<bool> finish_stream(fault kind, std::chrono::milliseconds gap) {
    if (kind == fault::reset_mid_stream) {
      // The reset comes one gap after the last event, as the next event would have: a reset
      // makes the peer's kernel drop bytes not yet read, so tests pace it to be deterministic.
      co_await pause(gap);
      reset();
      co_return false;
    }
    if (kind == fault::stall) {
      co_await wait_for_close();
      co_return false;
    }
    auto [ec, n] = co_await asio::async_write(stream_, http::make_chunk_last(), use_tuple);
    co_return !ec;
  }

  asio::awaitable<void> pause(std::chrono::milliseconds delay) {
    if (delay.count() <= 0) {
      co_return;
    }
    asio::steady_timer timer(co_await asio::this_coro::executor, delay);
    co_await timer.async_wait(use_tuple);
  }

  // A stalled answer keeps the socket open: reading until EOF/error notices the client leaving
  // (the server's own shutdown destroys this coroutine instead).
  asio::awaitable<void> wait_for_close() {
    std::array<char, 4096> sink;
    for (;;) {
      auto [ec, n] = co_await stream_.async_read_some(asio::buffer(sink), use_tuple);
      if (ec) {
        state_.note_stall_closed();
        co_return;
      }
    }
  }

  // SO_LINGER 0 turns close() into a TCP RST: the client sees a reset, not a clean EOF.
  void reset() {
    error_code ignored;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    socket.set_option(tcp::socket::linger(true, 0), ignored);
    socket.close(ignored);
  }

  asio::awaitable<void> close_gracefully() {
    error_code ignored;
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      beast::get_lowest_layer(stream_).expires_after(close_timeout);
      co_await stream_.async_shutdown(use_tuple);
    }
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  Stream stream_;
  state& state_;
  beast::flat_buffer buffer_;
};

// Top-level coroutine: owns the session; exceptions (bad_alloc, json) only end this connection.
template <class Stream>
asio::awaitable<void> run_session(Stream stream, state* st) {
  try {
    session<Stream> s(std::move(stream), *st);
    co_await s.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fake_provider: connection failed: %s\n", e.what());
  }
}

}  // namespace

void start_session(tcp::socket socket, asio::ssl::context* tls, state& st) {
  const auto executor = socket.get_executor();
  if (tls != nullptr) {
    asio::co_spawn(executor, run_session(tls_stream(std::move(socket), *tls), &st), asio::detached);
  } else {
    asio::co_spawn(executor, run_session(plain_stream(std::move(socket)), &st), asio::detached);
  }
}

}  // namespace interlingua::fake::detail
