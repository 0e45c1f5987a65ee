// The upstream TLS stream (src/net/tls_stream.hpp: OpenSSL reading and writing the socket
// itself) against real TLS servers: what it refuses to trust, an exchange larger than the socket
// buffers in both directions, and a handshake that never completes failing at its deadline.
// Name checks, CA trust, deadlines and cancellation mid-stream are also covered through the
// gateway (server_test, deadline_test, resilience_test), all over TLS.

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>

#include <nlohmann/json.hpp>

#include <interlingua/net/upstream.hpp>

#include "upstream_test_support.hpp"

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

}  // namespace
}  // namespace interlingua
