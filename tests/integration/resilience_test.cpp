// What the gateway does when an upstream fails or the client leaves: retries with backoff that
// honour Retry-After, fallbacks in the route's order, never a retry once the answer began, and
// the upstream connection closed the moment the client goes away.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "harness.hpp"

namespace interlingua::testing {
namespace {

using nlohmann::json;
using clock = std::chrono::steady_clock;

const char* path = "/v1beta/interactions";

const char* openai_503 =
    R"({"error":{"message":"The engine is currently overloaded","type":"server_error"}})";

// A 429 carrying the upstream's wish to be retried later.
fake::script rate_limited(const std::string& header, const std::string& value) {
  fake::script s{429, R"({"error":{"message":"Rate limit reached","type":"requests"}})"};
  s.headers = {{header, value}};
  return s;
}

std::string interaction(const std::string& model, const std::string& extra = {}) {
  return R"({"model":")" + model + R"(","input":"hello there")" + extra + "}";
}

// A fallback after a 503 answers from the next provider of the route, as that provider's wire
// format, with the upstream model the fallback names — and the caller never sees the 503.
TEST(Resilience, FallbackAfter503) {
  gateway_harness gw;
  gw.upstream().push({503, openai_503});
  auto r = gw.post(path, interaction("fallback-a"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = json::parse(r.body);
  EXPECT_EQ(j["status"], "completed");
  EXPECT_EQ(j["steps"][0]["content"][0]["text"], "hello there");
  EXPECT_EQ(j["model"], "fallback-a");  // the caller's name, whoever answered

  auto seen = gw.upstream().requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].target, "/v1/chat/completions");
  EXPECT_EQ(json::parse(seen[0].body)["model"], "fallback-a");
  EXPECT_EQ(seen[1].target, "/v1/messages");
  EXPECT_EQ(seen[1].headers["x-api-key"], "anthropic-secret");
  EXPECT_EQ(json::parse(seen[1].body)["model"], "claude-from-fallback");

  // Each try is counted, per provider, summed over the workers.
  auto metrics = gw.get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.headers["content-type"], "text/plain; version=0.0.4");
  for (const char* line : {"interlingua_upstream_attempts_total{provider=\"fake\"} 1",
                           "interlingua_upstream_failures_total{provider=\"fake\"} 1",
                           "interlingua_upstream_attempts_total{provider=\"fake_anthropic\"} 1",
                           "interlingua_upstream_failures_total{provider=\"fake_anthropic\"} 0",
                           "interlingua_upstream_fallbacks_total{provider=\"fake_anthropic\"} 1",
                           "interlingua_upstream_retries_total{provider=\"fake\"} 0"}) {
    EXPECT_NE(metrics.body.find(line), std::string::npos) << line << "\n" << metrics.body;
  }
}

// Every provider of the route failing: the fallbacks are taken in order and the last error is
// the answer, in the caller's dialect, with that provider's message.
TEST(Resilience, FallbacksInOrderThenTheLastError) {
  gateway_harness gw;
  gw.upstream().push({503, openai_503});
  gw.upstream().push(
      {529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"});
  gw.upstream().push(
      {500,
       R"({"error":{"code":500,"message":"Internal error encountered.","status":"INTERNAL"}})"});
  auto r = gw.post(path, interaction("fallback-b"));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("Internal error encountered."), std::string::npos) << r.body;
  auto seen = gw.upstream().requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].target, "/v1/chat/completions");
  EXPECT_EQ(seen[1].target, "/v1/messages");
  EXPECT_NE(seen[2].target.find("/models/fallback-b:generateContent"), std::string::npos)
      << seen[2].target;
}

// A request the upstream judged wrong (400) is not sent to the fallback: another provider would
// refuse it too, and the first one's message is the useful one.
TEST(Resilience, NoFallbackForTheCallersMistake) {
  gateway_harness gw;
  gw.upstream().push(
      {400,
       R"({"error":{"message":"Invalid value for 'temperature'","type":"invalid_request_error"}})"});
  auto r = gw.post(path, interaction("fallback-c"));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("temperature"), std::string::npos);
  EXPECT_EQ(gw.upstream().requests().size(), 1u);
}

// A 429 with Retry-After is retried on the same provider no sooner than asked, with the
// provider's next key; the caller sees only the answer.
TEST(Resilience, RetryAfter429HonoursRetryAfter) {
  gateway_harness gw;
  gw.upstream().push(rate_limited("retry-after", "1"));
  auto started = clock::now();
  auto r = gw.post(path, interaction("retry-a"));
  auto took = clock::now() - started;
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_GE(took, std::chrono::milliseconds(1000));  // waited as the upstream asked
  auto seen = gw.upstream().requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_NE(seen[0].headers["authorization"], seen[1].headers["authorization"]);
}

// OpenAI's retry-after-ms is honoured to the millisecond (no rounding up to whole seconds).
TEST(Resilience, RetryAfterMsHeader) {
  gateway_harness gw;
  gw.upstream().push(rate_limited("retry-after-ms", "30"));
  auto r = gw.post(path, interaction("retry-ms"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(gw.upstream().requests().size(), 2u);
}

// Retries are bounded: after `attempts` tries the last error is the answer.
TEST(Resilience, RetriesAreBounded) {
  gateway_harness gw;
  for (int i = 0; i < 3; ++i) {
    gw.upstream().push({503, openai_503});
  }
  auto r = gw.post(path, interaction("retry-b"));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("currently overloaded"), std::string::npos);
  EXPECT_EQ(gw.upstream().requests().size(), 3u);
  auto metrics = gw.get("/metrics").body;
  EXPECT_NE(metrics.find("interlingua_upstream_retries_total{provider=\"fake_retry\"} 2"),
            std::string::npos)
      << metrics;
}

// A Retry-After longer than the policy waits for is not waited: the 429 goes to the caller at
// once, with the upstream's Retry-After so the SDK can back off itself.
TEST(Resilience, LongRetryAfterIsPassedToTheCaller) {
  gateway_harness gw;
  gw.upstream().push(rate_limited("retry-after", "60"));
  auto r = gw.post(path, interaction("retry-c"));
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.headers["retry-after"], "60");
  EXPECT_EQ(gw.upstream().requests().size(), 1u);
}

// A reset before any response byte is a transport failure worth another try.
TEST(Resilience, RetryAfterResetBeforeHeaders) {
  gateway_harness gw;
  fake::script reset{200, ""};
  reset.fault_kind = fake::fault::reset_before_headers;
  gw.upstream().push(reset);
  auto r = gw.post(path, interaction("retry-d"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(gw.upstream().requests().size(), 2u);
}

// An upstream that closes each TLS connection before its handshake: the gateway's TLS writes
// then go to a reset connection, and OpenSSL makes them with write(), which raised SIGPIPE and
// ended the whole gateway. The caller gets an error in its dialect once every try failed, and
// the next request, once the upstream shakes hands again, is served.
TEST(Resilience, AnUpstreamClosingBeforeTheHandshakeFailsTheRequestNotTheGateway) {
  gateway_harness gw;
  gw.upstream().refuse_handshakes(100);
  auto r = gw.post(path, interaction("retry-refused"));
  EXPECT_EQ(r.status, 503) << r.body;  // unavailable, after its three tries
  EXPECT_NE(r.body.find("TLS handshake"), std::string::npos) << r.body;
  EXPECT_TRUE(gw.upstream().requests().empty());
  gw.upstream().refuse_handshakes(0);
  auto ok = gw.post(path, interaction("retry-served-later"));
  EXPECT_EQ(ok.status, 200) << ok.body;
}

// A connection closed during the TLS handshake is a passing transport failure, retried like a
// reset before the answer's head; a certificate the gateway refuses is not (UpstreamTls tests).
TEST(Resilience, RetryAfterAConnectionClosedDuringTheHandshake) {
  gateway_harness gw;
  gw.upstream().refuse_handshakes(1);
  auto r = gw.post(path, interaction("retry-handshake"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(gw.upstream().requests().size(), 1u);  // the refused connection sent nothing
}

// Once the first streamed byte reached the client nothing is retried: the failure ends the
// stream in-band and the upstream saw exactly one request.
TEST(Resilience, NoRetryAfterTheFirstStreamedByte) {
  gateway_harness gw;
  fake::script cut{
      200,
      "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
      "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"}}]}\n\n"
      "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
      "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}\n\n"};
  cut.fault_kind = fake::fault::reset_mid_stream;
  cut.fault_after_events = 1;
  gw.upstream().push(cut);
  auto r = gw.post(path, interaction("retry-e", R"(,"stream":true)"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("Hel"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("event: error"), std::string::npos) << r.body;
  EXPECT_EQ(gw.upstream().requests().size(), 1u);
}

// A plain client on a raw socket, so the test decides the moment it leaves.
class raw_client {
 public:
  explicit raw_client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{10, 0};  // a hung read fails the test instead of hanging it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~raw_client() { leave(); }

  bool post(const std::string& target, const std::string& body) {
    std::string req = "POST " + target +
                      " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      "Content-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body;
    return connected_ &&
           ::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
  }
  // Reads until `needle` arrived; false on timeout or close.
  bool read_until(const std::string& needle) {
    char buf[4096];
    while (got_.find(needle) == std::string::npos) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        return false;
      }
      got_.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }
  void leave() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  const std::string& received() const { return got_; }

 private:
  int fd_;
  bool connected_ = false;
  std::string got_;
};

// Waits (bounded) for the fake to see the gateway close a stalled upstream connection.
std::optional<clock::time_point> upstream_closed(fake::server& upstream) {
  auto deadline = clock::now() + std::chrono::seconds(5);
  while (clock::now() < deadline) {
    auto closes = upstream.stall_closes();
    if (!closes.empty()) {
      return closes.front();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return std::nullopt;
}

const char* anthropic_started =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
    "\"role\":\"assistant\",\"model\":\"claude-test\",\"content\":[],\"stop_reason\":null,"
    "\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
    "\"text\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
    "\"text\":\"partial\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
    "\"text\":\" never sent\"}}\n\n";

// The client leaving mid-stream while the upstream is silent closes the upstream connection at
// once — noticed on the client socket, not at the next write, which here would never come (the
// upstream stalls; the idle gap allows 10 s) — and what was seen so far is recorded: the stored
// interaction is incomplete, with the input usage the upstream reported.
TEST(Resilience, ClientDisconnectMidStreamClosesUpstreamAtOnce) {
  gateway_harness gw;
  fake::script stalled{200, anthropic_started};
  stalled.fault_kind = fake::fault::stall;
  stalled.fault_after_events = 3;
  gw.upstream().push(stalled);

  raw_client client(gw.port());
  ASSERT_TRUE(client.post(path, interaction("claude-test", R"(,"stream":true)")));
  ASSERT_TRUE(client.read_until("partial")) << client.received();
  auto id_at = client.received().find("\"id\":\"v1_");
  ASSERT_NE(id_at, std::string::npos) << client.received();
  std::string id =
      client.received().substr(id_at + 6, client.received().find('"', id_at + 6) - (id_at + 6));
  auto left = clock::now();
  client.leave();

  auto closed = upstream_closed(gw.upstream());
  ASSERT_TRUE(closed) << "the upstream connection stayed open after the client left";
  auto after = std::chrono::duration_cast<std::chrono::milliseconds>(*closed - left);
  EXPECT_LT(after.count(), 100) << "closed " << after.count() << " ms after the client left";

  reply stored;
  for (int i = 0; i < 500 && stored.status != 200; ++i) {  // saved just after the close
    stored = gw.get(std::string(path) + "/" + id);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(stored.status, 200) << stored.body;
  auto j = json::parse(stored.body);
  EXPECT_EQ(j["status"], "incomplete");
  EXPECT_EQ(j["usage"]["total_input_tokens"], 25);
  EXPECT_EQ(j["steps"][0]["content"][0]["text"], "partial");
}

// The same for a unary call: the client leaving while the gateway waits for the upstream's
// body closes the upstream connection at once.
TEST(Resilience, ClientDisconnectDuringUnaryClosesUpstreamAtOnce) {
  gateway_harness gw;
  fake::script stalled{
      200,
      R"({"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,
          "finish_reason":"stop","message":{"role":"assistant","content":"late"}}]})"};
  stalled.fault_kind = fake::fault::stall;
  stalled.fault_after_events = 0;  // the head, then nothing
  gw.upstream().push(stalled);

  raw_client client(gw.port());
  ASSERT_TRUE(client.post(path, interaction("gpt-test")));
  // The gateway has the request once the fake recorded it.
  for (int i = 0; i < 1000 && gw.upstream().requests().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_EQ(gw.upstream().requests().size(), 1u);
  auto left = clock::now();
  client.leave();

  auto closed = upstream_closed(gw.upstream());
  ASSERT_TRUE(closed) << "the upstream connection stayed open after the client left";
  auto after = std::chrono::duration_cast<std::chrono::milliseconds>(*closed - left);
  EXPECT_LT(after.count(), 100) << "closed " << after.count() << " ms after the client left";
  // The gateway still serves: the connection was not put back in the pool half-read.
  auto r = gw.post(path, interaction("gpt-test"));
  EXPECT_EQ(r.status, 200) << r.body;
}

// A failed try is logged through the logger the gateway configured (JSON, at the configured
// level). The routing module once compiled spdlog's header-only copy, with a registry of its
// own: its lines came out in spdlog's default text format and ignored `logging.level`.
TEST(Resilience, AFailedTryIsLoggedThroughTheConfiguredLogger) {
  std::ostringstream captured;
  auto logger = std::make_shared<spdlog::logger>(
      "captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(captured));
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  {
    gateway_harness gw;
    gw.upstream().push({503, openai_503});
    auto r = gw.post(path, interaction("retry-log"));
    EXPECT_EQ(r.status, 200) << r.body;
  }
  spdlog::set_default_logger(previous);
  EXPECT_NE(captured.str().find("try 1 of 3 failed"), std::string::npos) << captured.str();
}

}  // namespace
}  // namespace interlingua::testing
