// The upstream TLS stream (src/net/tls_stream.hpp: OpenSSL reading and writing the socket
// itself) against real TLS servers: what it refuses to trust, an exchange larger than the socket
// buffers in both directions, a handshake that never completes failing at its deadline, and
// what a connection waiting for its upstream keeps of OpenSSL's heap.
// Name checks, CA trust, deadlines and cancellation mid-stream are also covered through the
// gateway (server_test, deadline_test, resilience_test), all over TLS.

#include <gtest/gtest.h>

#include <poll.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <future>
#include <thread>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>

#include <nlohmann/json.hpp>

#include <interlingua/net/upstream.hpp>

#include "tls_stream.hpp"

#include "upstream_test_support.hpp"

// OpenSSL's heap, counted per thread: what the client's connections hold is measured on the
// test's thread, apart from the fake server's threads. The functions are set before anything
// allocates through OpenSSL (a constructor of priority 101 runs before the test binary's static
// objects), or not at all: `hooked` says which.
namespace openssl_heap {

constexpr std::size_t header = 16;  // keeps the block's alignment
thread_local long long live = 0;
bool hooked = false;

void* counted_malloc(std::size_t n, const char*, int) {
  auto* block = static_cast<unsigned char*>(std::malloc(n + header));
  if (block == nullptr) {
    return nullptr;
  }
  std::memcpy(block, &n, sizeof n);
  live += static_cast<long long>(n);
  return block + header;
}

void counted_free(void* p, const char*, int) {
  if (p == nullptr) {
    return;
  }
  auto* block = static_cast<unsigned char*>(p) - header;
  std::size_t n = 0;
  std::memcpy(&n, block, sizeof n);
  live -= static_cast<long long>(n);
  std::free(block);
}

void* counted_realloc(void* p, std::size_t n, const char* file, int line) {
  if (p == nullptr) {
    return counted_malloc(n, file, line);
  }
  if (n == 0) {
    counted_free(p, file, line);
    return nullptr;
  }
  auto* block = static_cast<unsigned char*>(p) - header;
  std::size_t old = 0;
  std::memcpy(&old, block, sizeof old);
  auto* moved = static_cast<unsigned char*>(std::realloc(block, n + header));
  if (moved == nullptr) {
    return nullptr;
  }
  std::memcpy(moved, &n, sizeof n);
  live += static_cast<long long>(n) - static_cast<long long>(old);
  return moved + header;
}

__attribute__((constructor(101))) void hook() {
  hooked = CRYPTO_set_mem_functions(counted_malloc, counted_realloc, counted_free) == 1;
}

}  // namespace openssl_heap

namespace interlingua {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

struct outcome {
  bool done = false;
  std::optional<net::failure> error;
  unsigned status = 0;
  std::string body;
};

asio::awaitable<outcome> exchange(net::connection_pool& pool, http::request<http::string_body> req,
                                  net::deadlines limits) {
  outcome out;
  auto started = co_await net::upstream_call::start(pool, std::move(req), limits);
  auto* call = std::get_if<std::unique_ptr<net::upstream_call>>(&started);
  if (call == nullptr) {
    out.error = std::get<net::failure>(started);
    out.done = true;
    co_return out;
  }
  out.status = (*call)->status();
  bool whole = co_await (*call)->read_all(out.body, 64 << 20);
  if (!whole) {
    out.error = (*call)->error();
  }
  out.done = true;
  co_return out;
}

// A pool of TLS connections to `port`, dialled as `host`, trusting `ca`.
struct tls_client {
  tls_client(const std::string& host, std::uint16_t port, const fake::tls_material& ca)
      : tls(testing::trusting_context(ca)),
        pool(io.get_executor(), net::endpoint{host, port, true}, tls, {}) {}

  outcome run(http::request<http::string_body> req, net::deadlines limits = {}) {
    auto fut = asio::co_spawn(io, exchange(pool, std::move(req), limits), asio::use_future);
    io.restart();
    while (fut.wait_for(0s) != std::future_status::ready) {
      if (io.run_one_for(20s) == 0) {
        return {};  // not done: the test fails on `done`
      }
    }
    return fut.get();
  }

  asio::io_context io;
  std::shared_ptr<asio::ssl::context> tls;
  net::connection_pool pool;
};

// Several megabytes each way: the request's write waits for the socket with part of its buffer
// sent (partial writes, beast handing the rest from where it stopped) and the answer arrives in
// hundreds of records, read ahead in batches. Every byte must come back in order.
TEST(TlsStream, ARequestAndAnAnswerLargerThanTheSocketBuffersCrossWhole) {
  fake::options fo;
  fo.material = fake::make_tls_material({"localhost"});
  fake::server upstream(fo);
  tls_client client("localhost", upstream.port(), fo.material);

  std::string prompt;
  for (int i = 0; prompt.size() < (6u << 20); ++i) {
    prompt += "word" + std::to_string(i) + ' ';
  }
  auto req = testing::chat_request(false);
  req.body() =
      nlohmann::json{{"model", "m"}, {"messages", {{{"role", "user"}, {"content", prompt}}}}}
          .dump();
  auto out = client.run(std::move(req));
  ASSERT_TRUE(out.done);
  ASSERT_FALSE(out.error) << out.error->describe();
  ASSERT_EQ(out.status, 200u);
  auto reply = nlohmann::json::parse(out.body);
  EXPECT_EQ(reply["choices"][0]["message"]["content"], prompt);  // the fake echoes it
  EXPECT_EQ(upstream.requests().size(), 1u);
}

// Dialling an IP address, the certificate must name that address: one that names only a host
// name is refused at the handshake, as a TLS failure that is not a timeout.
TEST(TlsStream, AnAddressTheCertificateDoesNotNameIsRefused) {
  fake::options fo;
  fo.material = fake::make_tls_material({"localhost"});  // no IP address among its names
  fake::server upstream(fo);
  tls_client client("127.0.0.1", upstream.port(), fo.material);
  auto out = client.run(testing::chat_request(false));
  ASSERT_TRUE(out.done);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->stage, net::failure_stage::tls);
  EXPECT_FALSE(out.error->timed_out);
  EXPECT_NE(out.error->describe().find("certificate verify failed"), std::string::npos)
      << out.error->describe();
  EXPECT_TRUE(upstream.requests().empty());
}

// A server that accepts the connection and never answers the ClientHello: the handshake fails
// at its own deadline, as a timeout of the TLS stage, not at the first-byte one after it.
TEST(TlsStream, AHandshakeThatNeverCompletesFailsAtItsDeadline) {
  asio::io_context server_io;
  asio::ip::tcp::acceptor acceptor(server_io, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket held(server_io);
  std::thread server([&] {
    boost::system::error_code ec;
    acceptor.accept(held, ec);  // then says nothing until the test ends
  });
  auto ca = fake::make_tls_material({"localhost"});
  tls_client client("127.0.0.1", acceptor.local_endpoint().port(), ca);
  net::deadlines limits;
  limits.tls_handshake = 300ms;
  limits.first_byte = 30s;
  auto began = std::chrono::steady_clock::now();
  auto out = client.run(testing::chat_request(false), limits);
  auto took = std::chrono::steady_clock::now() - began;
  server.join();
  ASSERT_TRUE(out.done);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->stage, net::failure_stage::tls);
  EXPECT_TRUE(out.error->timed_out) << out.error->describe();
  EXPECT_LT(took, 10s);  // bounded by the handshake's 300 ms, far from first_byte's 30 s
}

// A stream held open to a TLS upstream waits for its next event most of its life, and then
// holds none of OpenSSL's 17 KB buffers. OpenSSL 3.0 frees them when empty, but one: reading the
// session tickets a TLS 1.3 server sends after the handshake, it allocates a write buffer that
// only the next write frees, and a streaming connection never writes again. Every held stream
// kept those 20 KB (bench/RESULTS.md) until a read that waits gave it back. Reading on after
// that is what every streamed test through the gateway does, over TLS.
TEST(TlsStream, AReadWaitingForTheSocketHoldsNoOpenSSLBuffer) {
  ASSERT_TRUE(openssl_heap::hooked) << "OpenSSL allocated before the test could count it";
  fake::options fo;
  fo.material = fake::make_tls_material({"localhost"});
  fake::server upstream(fo);  // after the handshake, its session tickets; then nothing unasked
  auto tls = testing::trusting_context(fo.material);
  asio::io_context io;
  net::tls_stream stream(io.get_executor(), *tls);

  boost::system::error_code handshake_error = asio::error::would_block;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await stream.next_layer().socket().async_connect(
            {asio::ip::make_address("127.0.0.1"), upstream.port()}, asio::use_awaitable);
        handshake_error = co_await stream.handshake("localhost");
      },
      asio::detached);
  while (handshake_error == asio::error::would_block && io.run_one_for(20s) > 0) {
  }
  ASSERT_FALSE(handshake_error) << handshake_error.message();
  ASSERT_EQ(SSL_version(stream.native_handle()), TLS1_3_VERSION);
  pollfd readable{stream.next_layer().socket().native_handle(), POLLIN, 0};
  ASSERT_EQ(::poll(&readable, 1, 20'000), 1) << "the server's session tickets did not come";
  const long long before = openssl_heap::live;

  bool ended = false;
  char byte = 0;
  asio::cancellation_signal stop;
  stream.async_read_some(
      asio::buffer(&byte, 1),
      asio::bind_cancellation_slot(stop.slot(), [&](auto, std::size_t) { ended = true; }));
  io.restart();
  io.poll();  // reads the tickets, then waits for more
  ASSERT_FALSE(ended) << "the read did not wait";
  EXPECT_TRUE(SSL_SESSION_has_ticket(SSL_get0_session(stream.native_handle())))
      << "no session ticket was read: the case this test is about did not happen";
  // What reading the tickets kept: the resumable sessions they make, a few hundred bytes each.
  const long long kept = openssl_heap::live - before;
  EXPECT_LT(kept, 16 * 1024) << "OpenSSL heap on this thread grew by " << kept
                             << " bytes while a read waits";

  stop.emit(asio::cancellation_type::terminal);
  io.restart();
  while (!ended && io.run_one_for(20s) > 0) {
  }
  EXPECT_TRUE(ended);
}

}  // namespace
}  // namespace interlingua
