// exchange's writes: each is first tried as one non-blocking send, and what the kernel does not
// take goes out asynchronously under the write deadline. These tests make the send buffers
// small so that the second half is always taken: a large answer still arrives whole and in
// order, a client that stops reading is cut off at the deadline, and a client that is gone is
// told apart from one that is slow.

#include <gtest/gtest.h>

#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <interlingua/server/exchange.hpp>

namespace interlingua::server {
namespace {

using namespace std::chrono_literals;
using tcp = asio::ip::tcp;

// 2 MiB that cannot pass 8 KiB socket buffers in one send; varied, so a lost or repeated
// piece shows.
std::string big_payload() {
  std::string s;
  s.reserve(2 << 20);
  for (std::size_t i = 0; s.size() < (2u << 20); ++i) {
    s += "event " + std::to_string(i) + " ";
  }
  return s;
}

// A connected pair on loopback: the exchange writes on `server`; the test reads `client` with
// blocking calls from its own thread.
struct pair_fixture {
  pair_fixture() {
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    client.set_option(asio::socket_base::receive_buffer_size(4096));
    client.connect(acceptor.local_endpoint());
    server.socket() = acceptor.accept();
    server.socket().set_option(asio::socket_base::send_buffer_size(4096));
    req.target("/v1beta/interactions");
  }

  // The client's whole response (body decoded from chunks when chunked).
  http::response<http::string_body> read_response() {
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(client, buffer, parser);
    return parser.release();
  }

  asio::io_context io;
  asio::io_context client_io;
  tcp::socket client{client_io, tcp::v4()};
  beast::tcp_stream server{io};
  request req{http::verb::post, "/v1beta/interactions", 11};
};

// Runs `body` as the exchange's coroutine to its end (bounded) and returns what it returned.
template <class F>
bool run(pair_fixture& f, F body, std::chrono::seconds bound = 20s) {
  auto fut = asio::co_spawn(f.io, body(), asio::use_future);
  f.io.restart();
  f.io.run_for(bound);
  EXPECT_EQ(fut.wait_for(0s), std::future_status::ready) << "the writes did not end";
  return fut.wait_for(0s) == std::future_status::ready && fut.get();
}

// A stream larger than the socket buffers: head, one 2 MiB event and the last chunk all arrive,
// in order, and the stream ends cleanly.
TEST(ExchangeWrites, AStreamLargerThanTheSocketBuffersArrivesWhole) {
  pair_fixture f;
  const std::string payload = big_payload();
  exchange ex(f.server, f.req, "req-1", 10s, true);
  std::thread reader([&] {
    auto res = f.read_response();
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_TRUE(res.chunked());
    EXPECT_EQ(res.body().size(), payload.size() + 2);
    EXPECT_TRUE(res.body() == payload + "ok") << "the body arrived altered";
  });
  bool ok = run(f, [&]() -> asio::awaitable<bool> {
    std::string type = "text/event-stream";  // no temporaries in co_await operands (g++ 12)
    header_list none;
    bool begun = co_await ex.begin_stream(200, std::move(type), std::move(none));
    bool wrote = co_await ex.write(payload);
    bool ended = co_await ex.end_stream("ok");
    const bool all = begun && wrote && ended;
    co_return all;
  });
  reader.join();
  EXPECT_TRUE(ok);
  EXPECT_FALSE(ex.stream_open());
}

// The same for a unary answer: head and a 2 MiB body with its Content-Length.
TEST(ExchangeWrites, AUnaryAnswerLargerThanTheSocketBuffersArrivesWhole) {
  pair_fixture f;
  const std::string payload = big_payload();
  exchange ex(f.server, f.req, "req-2", 10s, true);
  std::thread reader([&] {
    auto res = f.read_response();
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_EQ(res[http::field::content_length], std::to_string(payload.size()));
    EXPECT_EQ(res["x-request-id"], "req-2");
    EXPECT_TRUE(res.body() == payload) << "the body arrived altered";
  });
  bool ok = run(f, [&]() -> asio::awaitable<bool> {
    std::string type = "application/json";
    std::string body = payload;
    header_list none;
    co_return co_await ex.respond(200, std::move(type), std::move(body), std::move(none));
  });
  reader.join();
  EXPECT_TRUE(ok);
}

// A client that stops reading holds the gateway's write only until the write deadline: the
// write reports failure and the exchange counts the client as gone.
TEST(ExchangeWrites, AClientThatStopsReadingIsCutOffAtTheDeadline) {
  pair_fixture f;
  const std::string payload = big_payload();
  exchange ex(f.server, f.req, "req-3", 200ms, true);
  bool ok = run(f, [&]() -> asio::awaitable<bool> {
    std::string type = "text/event-stream";
    header_list none;
    bool begun = co_await ex.begin_stream(200, std::move(type), std::move(none));
    bool wrote = co_await ex.write(payload);
    const bool both = begun && wrote;
    co_return both;
  });
  EXPECT_FALSE(ok);
  EXPECT_TRUE(ex.client_gone());
  // Nothing more is attempted on a broken exchange.
  EXPECT_FALSE(run(f, [&]() -> asio::awaitable<bool> { co_return co_await ex.write("x"); }));
}

// A client that reset its connection fails the very write that meets the reset, not after a
// deadline: the non-blocking send reports the error at once.
TEST(ExchangeWrites, AClientThatResetFailsTheWriteAtOnce) {
  pair_fixture f;
  f.client.set_option(asio::socket_base::linger(true, 0));
  f.client.close();  // RST
  exchange ex(f.server, f.req, "req-4", 60s, true);
  bool ok = run(
      f,
      [&]() -> asio::awaitable<bool> {
        std::string type = "text/event-stream";
        header_list none;
        bool begun = co_await ex.begin_stream(200, std::move(type), std::move(none));
        // The first send may still be taken before the reset is seen; a few more cannot be.
        bool wrote = begun;
        for (int i = 0; i < 4 && wrote; ++i) {
          wrote = co_await ex.write("data: {}\n\n");
        }
        co_return wrote;
      },
      10s);
  EXPECT_FALSE(ok);
  EXPECT_TRUE(ex.client_gone());
}

}  // namespace
}  // namespace interlingua::server
