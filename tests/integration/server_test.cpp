// The HTTP front end: health, limits, routing errors, auth, keep-alive, graceful drain, and the
// upstream TLS checks — all through the running gateway.

#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <interlingua/server/reactor_pool.hpp>

#include "harness.hpp"

namespace interlingua::testing {
namespace {

using nlohmann::json;
namespace asio = boost::asio;

// Reads what is there, waiting at most the socket's SO_RCVTIMEO: a plain recv(), because Asio's
// blocking reads poll again after the timeout's EAGAIN and would hang on a hung server.
// Returns the bytes read: 0 at end of stream, -1 on a timeout or an error (errno says).
ssize_t recv_some(asio::ip::tcp::socket& s, char* buf, std::size_t size) {
  ssize_t n = 0;
  do {
    n = ::recv(s.native_handle(), buf, size, 0);
  } while (n < 0 && errno == EINTR);
  return n;
}

// A client socket on 127.0.0.1 whose reads give up after 10 s: a hung server fails the test
// instead of hanging it.
void connect_with_timeout(asio::ip::tcp::socket& s, std::uint16_t port) {
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  timeval tv{10, 0};
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

// Everything the server sends until it closes (or the receive timeout).
std::string read_to_end(asio::ip::tcp::socket& s) {
  std::string out;
  char buf[4096];
  for (ssize_t n = 0; (n = recv_some(s, buf, sizeof buf)) > 0;) {
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// Sends raw bytes and returns everything the server answers until it closes.
std::string raw_exchange(std::uint16_t port, const std::string& bytes) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  connect_with_timeout(s, port);
  asio::write(s, asio::buffer(bytes));
  return read_to_end(s);
}

// An http_server with one route, GET /ping → "pong": the front end alone, no gateway behind it.
// `more`, if given, adds to each worker's routes.
std::unique_ptr<server::http_server> ping_server(
    server::options opts, const std::function<void(server::router&)>& more = {}) {
  opts.port = 0;
  opts.access_log = false;
  auto srv = std::make_unique<server::http_server>(opts, [more](unsigned, asio::io_context&) {
    auto r = std::make_shared<server::router>();
    r->add(boost::beast::http::verb::get, "/ping",
           [](server::exchange& ex) -> asio::awaitable<void> {
             std::string type = "text/plain";
             co_await ex.respond(200, std::move(type), std::string("pong"));
           });
    if (more) {
      more(*r);
    }
    return r;
  });
  srv->start();
  return srv;
}

const std::string ping_close = "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
const std::string ping_keep = "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n";

// A keep-alive client connection, read one answer at a time (each ends with "pong": the body
// is the last thing of an answer).
struct keep_alive_client {
  explicit keep_alive_client(std::uint16_t port) : s(io) { connect_with_timeout(s, port); }
  // Sends a ping and returns whether "pong" came back.
  bool ping() {
    boost::system::error_code ec;
    asio::write(s, asio::buffer(ping_keep), ec);
    std::string got;
    char buf[1024];
    while (!ec && got.find("pong") == std::string::npos) {
      ssize_t n = recv_some(s, buf, sizeof buf);
      if (n <= 0) {
        return false;
      }
      got.append(buf, static_cast<std::size_t>(n));
    }
    return got.find("pong") != std::string::npos;
  }
  // Blocks until the server closes the connection (true) or the 10 s receive timeout (false).
  bool closed_by_server() {
    char buf[64];
    ssize_t n = recv_some(s, buf, sizeof buf);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }
  asio::io_context io;
  asio::ip::tcp::socket s;
};

// After a burst the server gives its freed memory back on its own (each worker flushes its
// allocator cache on its own thread, then the arenas are purged: bench/RESULTS.md, memory) and
// goes on serving; the per-socket states Asio's reactor pools for reuse are deleted first. Runs the
// flush on live workers, which only this test does; the wait is for the server's one-second
// housekeeping tick, with a bound far above it.
TEST(ServerE2E, FreedMemoryGoesBackAfterTrafficAndServingGoesOn) {
  server::options opts;
  opts.workers = 2;
  // The application's caches (SQLite's page caches) are told first, so what they free is
  // purged by the same trim: the hook's first call must come before the first trim counts.
  struct seen {
    std::atomic<server::http_server*> srv{nullptr};
    std::atomic<int> calls{0};
    std::atomic<long long> trims_at_first_call{-1};
    std::mutex m;
    std::map<std::thread::id, int> worker_calls;  // on_worker_quiet, by thread
    std::map<std::thread::id, int> routes_calls;  // the routes' own quiet hooks, by thread
  };
  auto s = std::make_shared<seen>();
  // Per-thread caches move into new memory on each worker's own thread: once as it starts, and
  // again at the trim.
  opts.on_worker_quiet = [s] {
    std::lock_guard lock(s->m);
    ++s->worker_calls[std::this_thread::get_id()];
  };
  opts.on_quiet = [s] {
    if (s->calls.fetch_add(1) == 0) {
      server::http_server* srv = s->srv.load();
      s->trims_at_first_call = srv ? static_cast<long long>(srv->memory_trims()) : -2;
    }
  };
  // Each worker's routes hear of the trim too, on their worker's thread (the gateway renews its
  // pools' kept TLS sessions there).
  auto srv = ping_server(opts, [s](server::router& r) {
    r.on_quiet([s] {
      std::lock_guard lock(s->m);
      ++s->routes_calls[std::this_thread::get_id()];
    });
  });
  s->srv = srv.get();
  for (int i = 0; i < 8; ++i) {  // both workers likely see some (SO_REUSEPORT spreads them)
    ASSERT_NE(raw_exchange(srv->port(), ping_close).find("pong"), std::string::npos);
  }
  for (int i = 0; i < 200 && srv->memory_trims() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GE(srv->memory_trims(), 1u) << "no trim with every worker's cache flushed within 10 s";
  if (server::reactor_pool_supported()) {
    EXPECT_GE(srv->reactor_states_released(), 1u) << "closed sockets' reactor states were kept";
  }
  EXPECT_GE(s->calls.load(), 1) << "the on_quiet hook did not run";
  EXPECT_EQ(s->trims_at_first_call.load(), 0) << "the hook ran after the trim, not before";
  {
    std::lock_guard lock(s->m);
    EXPECT_EQ(s->worker_calls.size(), 2u) << "on_worker_quiet must run on each worker's thread";
    for (const auto& [thread, calls] : s->worker_calls) {
      EXPECT_GE(calls, 2) << "at start and at the trim";
      EXPECT_NE(thread, std::this_thread::get_id());
    }
    EXPECT_EQ(s->routes_calls.size(), 2u) << "each worker's routes, on that worker's thread";
    for (const auto& [thread, calls] : s->routes_calls) {
      EXPECT_GE(calls, 1);
      EXPECT_EQ(s->worker_calls.count(thread), 1u) << "not on a worker's thread";
    }
  }
  // Every worker must accept again after the trim (it once cancelled and re-armed each pending
  // accept). SO_REUSEPORT spreads new connections by their ports, so 16 of them miss a worker
  // that stopped accepting once in 2^16 runs; that worker's connection would time out instead of
  // answering.
  for (int i = 0; i < 16; ++i) {
    EXPECT_NE(raw_exchange(srv->port(), ping_close).find("pong"), std::string::npos);
  }
  EXPECT_TRUE(srv->shutdown(std::chrono::milliseconds(1000)));
}

// The listening socket of the server on `port` (SO_ACCEPTCONN), among the process's descriptors.
int listening_socket(std::uint16_t port) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::stoi(entry.path().filename().string());
    int listening = 0;
    socklen_t size = sizeof listening;
    sockaddr_in addr{};
    socklen_t addr_size = sizeof addr;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) == 0 && listening == 1 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &addr_size) == 0 &&
        addr.sin_family == AF_INET && ntohs(addr.sin_port) == port) {
      return fd;
    }
  }
  return -1;
}

// An accept that keeps failing (out of descriptors, EMFILE, is the usual cause) is retried after
// a pause, not at once: the connection stays in the listen queue, so the worker spun and logged
// at full speed for as long as the cause lasted. Once accepting works again the server serves.
// The test makes the accepts fail by shutting the listening socket down under the server (accept
// then fails with EINVAL), and makes it listen again; running out of descriptors in the test
// process would starve the sanitizers too, which need some for their own checks.
TEST(ServerE2E, AFailingAcceptIsRetriedAfterAPauseAndServingResumes) {
  server::options opts;
  opts.workers = 1;
  auto srv = ping_server(opts);
  ASSERT_NE(raw_exchange(srv->port(), ping_close).find("pong"), std::string::npos);
  const int listener = listening_socket(srv->port());
  ASSERT_GE(listener, 0);
  ASSERT_EQ(::shutdown(listener, SHUT_RD), 0);
  for (int i = 0; i < 500 && srv->accept_failures() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GE(srv->accept_failures(), 1u) << "the accept did not fail";
  // At one retry per 100 ms, 300 ms give about four failures; retrying at once gave thousands.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_LE(srv->accept_failures(), 20u) << "a failed accept was retried at once";
  // The shutdown gave the port back (it was bound as port 0): bind it again, then listen.
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(srv->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, SOMAXCONN), 0);
  EXPECT_NE(raw_exchange(srv->port(), ping_close).find("pong"), std::string::npos)
      << "not accepting again";
  EXPECT_TRUE(srv->shutdown(std::chrono::milliseconds(1000)));
}

// A keep-alive connection left idle past timeouts.idle_ms is closed by the server, and not
// before: the idle list's one timer (server/idle_connections.hpp) fires for it.
TEST(ServerE2E, AnIdleKeepAliveConnectionIsClosedAtTheIdleTimeout) {
  server::options opts;
  opts.idle_timeout = std::chrono::milliseconds(300);
  auto srv = ping_server(opts);
  keep_alive_client c(srv->port());
  // Taken before the request: the server starts the idle wait after answering it, so the close
  // cannot come sooner than 300 ms after this, however late the client wakes for the answer.
  auto idle_since = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.ping());
  EXPECT_TRUE(c.closed_by_server());
  EXPECT_GE(std::chrono::steady_clock::now() - idle_since, std::chrono::milliseconds(300));
  // The count drops when the connection's coroutine ends, just after the close the client saw.
  for (int i = 0; i < 500 && srv->open_connections() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(srv->open_connections(), 0u);
}

// The timeout is per idle wait, not per connection: a client that comes back within it is
// served for longer than the timeout in all. And connections that went idle later are not
// closed with the first: the timer, armed for the oldest, re-arms for the next one.
TEST(ServerE2E, IdleTimeoutCountsFromEachConnectionsLastRequest) {
  server::options opts;
  opts.idle_timeout = std::chrono::milliseconds(1000);
  auto srv = ping_server(opts);
  keep_alive_client early(srv->port());
  keep_alive_client busy(srv->port());
  ASSERT_TRUE(early.ping());
  ASSERT_TRUE(busy.ping());
  for (int i = 0; i < 6; ++i) {  // 1.5 s in all, never more than 250 ms idle
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    ASSERT_TRUE(busy.ping()) << "round " << i;
  }
  EXPECT_TRUE(early.closed_by_server());  // it was idle well past 1 s by now
  keep_alive_client late(srv->port());
  ASSERT_TRUE(late.ping());
  EXPECT_TRUE(busy.ping()) << "busy went idle at most 250 ms ago";
  EXPECT_TRUE(late.ping());
  EXPECT_TRUE(srv->shutdown(std::chrono::milliseconds(1000)));
}

// A drain closes connections waiting for their next request at once, whatever their timeout.
TEST(ServerE2E, DrainClosesIdleKeepAliveConnections) {
  server::options opts;
  opts.idle_timeout = std::chrono::milliseconds(60'000);
  auto srv = ping_server(opts);
  keep_alive_client c(srv->port());
  ASSERT_TRUE(c.ping());
  EXPECT_TRUE(srv->shutdown(std::chrono::milliseconds(5000)));
  EXPECT_TRUE(c.closed_by_server());
}

// Liveness and readiness answer without a key and without touching the upstream.
TEST(ServerE2E, HealthAndReadiness) {
  gateway_harness gw(gateway_options::with_env("IL_TEST_GATEWAY_KEY", "gw-key"));
  EXPECT_EQ(gw.get("/healthz").status, 200);
  EXPECT_EQ(gw.get("/readyz").status, 200);
}

// Unknown path → 404 and known path with the wrong method → 405, both as JSON.
TEST(ServerE2E, RoutingErrors) {
  gateway_harness gw;
  auto nf = gw.get("/nope");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(json::parse(nf.body)["error"]["code"], "not_found");
  auto wm = fake::testing::fetch(gw.client(), "PUT", "/v1beta/interactions");
  EXPECT_EQ(wm.status, 405);
  EXPECT_EQ(json::parse(wm.body)["error"]["code"], "method_not_allowed");
}

// A body over limits.max_body_bytes is refused with 413 before it reaches any handler.
TEST(ServerE2E, BodyTooLarge) {
  gateway_harness gw;
  std::string big(70'000, 'x');
  auto r = gw.post("/v1beta/interactions", R"({"model":"gpt-test","input":")" + big + "\"}");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "payload_too_large");
  EXPECT_TRUE(gw.upstream().requests().empty());
}

// Headers over 16 KiB are refused with 431.
TEST(ServerE2E, HeaderTooLarge) {
  gateway_harness gw;
  auto r = gw.get("/healthz", {{"x-big", std::string(20'000, 'a')}});
  EXPECT_EQ(r.status, 431);
}

// Bytes that are not HTTP get a 400 JSON answer and a closed connection.
TEST(ServerE2E, MalformedHttp) {
  gateway_harness gw;
  auto answer = raw_exchange(gw.port(), "GARBAGE\x01 / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
  EXPECT_NE(answer.find("\"invalid_request\""), std::string::npos);
}

// Pipelining: requests that arrive together in one packet are answered in order. The second is
// parsed from what the first read left in the buffer, without another read from the socket.
TEST(ServerE2E, PipelinedRequestsAreAnsweredInOrder) {
  gateway_harness gw;
  const std::string body = R"({"model":"gpt-test","input":"first"})";
  const std::string first_request =
      "POST /v1beta/interactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  const std::string second_request =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  auto answer = raw_exchange(gw.port(), first_request + second_request);
  auto first = answer.find("HTTP/1.1 200");
  auto second = answer.find("HTTP/1.1 200", first + 1);
  ASSERT_NE(first, std::string::npos) << answer;
  ASSERT_NE(second, std::string::npos) << answer;
  EXPECT_LT(answer.find("\"interaction\""), second) << "the answers came out of order";
}

// A pipelined request over the body limit after a good one: the good one is answered, then the
// 413, from the same buffered bytes.
TEST(ServerE2E, PipelinedRequestOverTheLimitIsRefused) {
  gateway_harness gw;
  const std::string big(70'000, 'x');
  auto answer = raw_exchange(gw.port(),
                             "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                             "POST /v1beta/interactions HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                 std::to_string(big.size()) + "\r\n\r\n" + big);
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer.substr(0, 200);
  EXPECT_NE(answer.find("HTTP/1.1 413"), std::string::npos) << answer.substr(0, 400);
  EXPECT_TRUE(gw.upstream().requests().empty());
}

// A request whose body comes after its head, in a later packet: what the buffer holds is not
// enough, and the rest is read from the socket. (The pause makes the split likely; the answer
// must be the same either way.)
TEST(ServerE2E, ARequestSplitAcrossPacketsIsReadWhole) {
  gateway_harness gw;
  const std::string body = R"({"model":"gpt-test","input":"split"})";
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  connect_with_timeout(s, gw.port());
  const std::string head =
      "POST /v1beta/interactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Connection: close\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n";
  asio::write(s, asio::buffer(head));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  asio::write(s, asio::buffer(body));
  std::string out = read_to_end(s);
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out;
  ASSERT_EQ(gw.upstream().requests().size(), 1u);
  EXPECT_NE(gw.upstream().requests()[0].body.find("split"), std::string::npos);
}

// With gateway keys configured, each documented key location works and no key is a 401.
TEST(ServerE2E, GatewayKeys) {
  gateway_harness gw(gateway_options::with_env("IL_TEST_GATEWAY_KEY", "gw-key"));
  const std::string body = R"({"model":"gpt-test","input":"hi"})";
  auto none = gw.post("/v1beta/interactions", body);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(json::parse(none.body)["error"]["code"], "unauthenticated");
  EXPECT_EQ(gw.post("/v1beta/interactions", body, {{"authorization", "Bearer wrong"}}).status, 401);
  EXPECT_EQ(gw.post("/v1beta/interactions", body, {{"authorization", "Bearer gw-key"}}).status,
            200);
  EXPECT_EQ(gw.post("/v1beta/interactions", body, {{"authorization", "bearer gw-key"}}).status,
            200);
  EXPECT_EQ(gw.post("/v1beta/interactions", body, {{"x-goog-api-key", "gw-key"}}).status, 200);
  EXPECT_EQ(gw.post("/v1beta/interactions?key=gw-key", body).status, 200);
  // The gateway key is never forwarded: the upstream sees the provider's own key.
  for (const auto& seen : gw.upstream().requests()) {
    EXPECT_EQ(seen.headers.at("authorization"), "Bearer upstream-secret");
    EXPECT_EQ(seen.headers.count("x-goog-api-key"), 0u);
  }
}

// Several requests share one client connection (HTTP/1.1 keep-alive).
TEST(ServerE2E, KeepAlive) {
  gateway_harness gw;
  fake::testing::connection c(gw.client());
  ASSERT_FALSE(c.connect_error());
  for (int i = 0; i < 3; ++i) {
    auto r = c.request("POST", "/v1beta/interactions", R"({"model":"gpt-test","input":"again"})",
                       {{"content-type", "application/json"}});
    ASSERT_EQ(r.status, 200) << r.body;
  }
}

// Drain: a stream in flight when shutdown starts still finishes completely.
TEST(ServerE2E, ShutdownLetsInFlightStreamsFinish) {
  gateway_harness gw;
  fake::script s{200, fixture("openai/stream_reasoning_text_usage.sse")};
  s.first_byte_delay = std::chrono::milliseconds(300);
  s.gap = std::chrono::milliseconds(30);
  gw.upstream().push(s);
  reply r;
  std::thread client([&] {
    r = gw.post("/v1beta/interactions", R"({"model":"gpt-test","input":"hi","stream":true})");
  });
  // Shut down once the request is in flight upstream (the fake has recorded it).
  while (gw.upstream().requests().empty()) {
    std::this_thread::yield();
  }
  bool clean = gw.app().shutdown(std::chrono::milliseconds(10'000));
  client.join();
  EXPECT_TRUE(clean);
  ASSERT_EQ(r.status, 200);
  auto events = sse_events(r.body);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[events.size() - 2].first, "interaction.completed");
}

// The upstream's certificate must name the host we dialled.
TEST(UpstreamTls, CertificateForAnotherHostIsRefused) {
  gateway_options o;
  o.upstream_names = {"other.example"};
  gateway_harness gw(o);
  auto r = gw.post("/v1beta/interactions", R"({"model":"gpt-test","input":"hi"})");
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_NE(r.body.find("TLS"), std::string::npos) << r.body;
  EXPECT_TRUE(gw.upstream().requests().empty());
  // A refused certificate is not retried, even on a route that retries (attempts: 3): it will
  // not pass by itself.
  EXPECT_EQ(gw.post("/v1beta/interactions", R"({"model":"retry-cert","input":"hi"})").status, 502);
  const std::string metrics = gw.get("/metrics").body;
  EXPECT_NE(metrics.find("interlingua_upstream_attempts_total{provider=\"fake_retry\"} 1\n"),
            std::string::npos)
      << metrics;
}

// A certificate from a CA we do not trust is refused.
TEST(UpstreamTls, UnknownCaIsRefused) {
  gateway_options o;
  o.trusted_ca = fake::make_tls_material({"localhost"});  // a different CA
  gateway_harness gw(o);
  auto r = gw.post("/v1beta/interactions", R"({"model":"gpt-test","input":"hi"})");
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_TRUE(gw.upstream().requests().empty());
}

// The configured test CA is trusted on top of the system store (every other test relies on it).
TEST(UpstreamTls, ConfiguredCaIsAccepted) {
  gateway_harness gw;
  EXPECT_EQ(gw.post("/v1beta/interactions", R"({"model":"gpt-test","input":"hi"})").status, 200);
}

}  // namespace
}  // namespace interlingua::testing
