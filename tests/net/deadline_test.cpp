// The deadline of an upstream exchange once connected (connection::deadline): kept lazily, so
// that a request or a streamed event costs no timer work. What must hold is what a per-read
// timer gave: a response head that never comes fails at the first-byte deadline, a body that
// keeps arriving is never cut however long it lasts, a body that goes silent fails at its idle
// gap as a timeout, and a read that asks for a nearer deadline gets it. Over TLS and over plain
// HTTP, since the two read and write through different stream layers.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <interlingua/net/upstream.hpp>

#include "upstream_test_support.hpp"

namespace interlingua {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

// `n` SSE events of the OpenAI shape, then [DONE].
std::string sse_events(int n) {
  std::string body;
  for (int i = 0; i < n; ++i) {
    body += "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"w" + std::to_string(i) +
            "\"}}]}\n\n";
  }
  return body + "data: [DONE]\n\n";
}

struct outcome {
  bool finished = false;  // read to the end of the body
  std::string body;
  std::optional<net::failure> error;
};

class UpstreamDeadline : public ::testing::TestWithParam<bool> {
 protected:
  UpstreamDeadline() {
    fake::options fo;
    fo.tls = GetParam();
    if (fo.tls) {
      fo.material = fake::make_tls_material({"localhost", "127.0.0.1"});
    }
    upstream_ = std::make_unique<fake::server>(fo);
    if (fo.tls) {
      tls_ = testing::trusting_context(fo.material);
    }
    // No idle sweep: its timer would keep the io_context running, and these tests check that
    // a pooled connection leaves nothing pending.
    net::pool_options no_sweep;
    no_sweep.sweep_idle = false;
    pool_ = std::make_unique<net::connection_pool>(
        io_.get_executor(), net::endpoint{"localhost", upstream_->port(), fo.tls}, tls_, no_sweep);
  }

  // Reads the whole body with read_some (each read under `idle_gap`, or `wait` when given).
  // Bounded: a read that never ends leaves the outcome unfinished after `bound`.
  outcome read_stream(net::deadlines limits, std::optional<net::millis> wait = std::nullopt,
                      std::chrono::seconds bound = 20s) {
    auto fut = asio::co_spawn(io_, run(*pool_, limits, wait), asio::use_future);
    io_.restart();
    io_.run_for(bound);
    if (fut.wait_for(0s) != std::future_status::ready) {
      return {};
    }
    return fut.get();
  }

  // As read_stream, pausing `pause` between reads, as a relay does while its client is slow.
  outcome read_stream_slowly(net::deadlines limits, net::millis pause) {
    auto fut = asio::co_spawn(io_, run(*pool_, limits, std::nullopt, pause), asio::use_future);
    io_.restart();
    io_.run_for(20s);
    if (fut.wait_for(0s) != std::future_status::ready) {
      return {};
    }
    return fut.get();
  }

  static asio::awaitable<outcome> run(net::connection_pool& pool, net::deadlines limits,
                                      std::optional<net::millis> wait,
                                      net::millis pause = net::millis(0)) {
    outcome out;
    auto req = testing::chat_request(true);  // no temporary in the co_await (g++ 12)
    auto started = co_await net::upstream_call::start(pool, std::move(req), limits);
    auto* call = std::get_if<std::unique_ptr<net::upstream_call>>(&started);
    if (call == nullptr) {
      out.error = std::get<net::failure>(started);
      co_return out;
    }
    while (co_await (*call)->read_some(out.body, wait)) {
      if (pause.count() > 0) {
        asio::steady_timer t(co_await asio::this_coro::executor, pause);
        co_await t.async_wait(asio::use_awaitable);
      }
    }
    out.error = (*call)->error();
    out.finished = !out.error;
    co_return out;
  }

  asio::io_context io_;
  std::unique_ptr<fake::server> upstream_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::unique_ptr<net::connection_pool> pool_;
};

// An upstream that takes the request and never answers fails at the first-byte deadline, as
// a timeout of that stage (the gateway's 504), and its connection is not pooled.
TEST_P(UpstreamDeadline, NoResponseHeadFailsAtTheFirstByteDeadline) {
  fake::script s{200, sse_events(1)};
  s.first_byte_delay = 60s;
  upstream_->push(s);
  net::deadlines limits;
  limits.first_byte = 200ms;
  auto r = read_stream(limits);
  ASSERT_TRUE(r.error.has_value()) << "the call did not end";
  EXPECT_TRUE(r.error->timed_out);
  EXPECT_EQ(r.error->stage, net::failure_stage::first_byte);
  EXPECT_EQ(pool_->idle_count(), 0u);
}

// A lazily kept deadline must move with every read: twelve events 50 ms apart last 600 ms,
// longer than the 400 ms idle gap, and none of the gaps comes near it.
TEST_P(UpstreamDeadline, AStreamThatKeepsArrivingOutlivesItsIdleGap) {
  fake::script s{200, sse_events(12)};
  s.gap = 50ms;
  upstream_->push(s);
  net::deadlines limits;
  limits.idle_gap = 400ms;
  auto r = read_stream(limits);
  ASSERT_TRUE(r.finished) << (r.error ? r.error->describe() : "unfinished");
  EXPECT_NE(r.body.find("w11"), std::string::npos);
  EXPECT_NE(r.body.find("[DONE]"), std::string::npos);
}

// An upstream that goes silent mid-body fails the read as a timeout of the body stage, with
// what came before it delivered.
TEST_P(UpstreamDeadline, ASilentStreamFailsAtItsIdleGap) {
  fake::script s{200, sse_events(5)};
  s.fault_kind = fake::fault::stall;
  s.fault_after_events = 2;
  upstream_->push(s);
  net::deadlines limits;
  limits.idle_gap = 200ms;
  auto r = read_stream(limits);
  ASSERT_TRUE(r.error.has_value()) << "the read did not end";
  EXPECT_TRUE(r.error->timed_out);
  EXPECT_EQ(r.error->stage, net::failure_stage::body);
  EXPECT_NE(r.body.find("w1"), std::string::npos);
  EXPECT_EQ(r.body.find("w2"), std::string::npos);
}

// A read that asks for less than the armed deadline (the relay's 100 ms wait for the end of a
// body after [DONE]) gets it: with the 60 s first-byte deadline of the head still armed, the
// silent upstream is given up on within the bound, not after a minute.
TEST_P(UpstreamDeadline, ANearerDeadlineForOneReadApplies) {
  fake::script s{200, sse_events(3)};
  s.fault_kind = fake::fault::stall;
  s.fault_after_events = 1;
  upstream_->push(s);
  net::deadlines limits;
  limits.first_byte = 60s;
  limits.idle_gap = 60s;
  auto r = read_stream(limits, net::millis(150), 10s);
  ASSERT_TRUE(r.error.has_value()) << "the nearer deadline did not apply";
  EXPECT_TRUE(r.error->timed_out);
}

// After a call that ended by its deadline, the connection is not pooled, and the next call
// works on a fresh one (the cancelled timer of the first leaves nothing behind).
TEST_P(UpstreamDeadline, ATimedOutConnectionIsNotReused) {
  fake::script stalled{200, sse_events(3)};
  stalled.fault_kind = fake::fault::stall;
  stalled.fault_after_events = 1;
  upstream_->push(stalled);
  net::deadlines limits;
  limits.idle_gap = 150ms;
  auto first = read_stream(limits);
  ASSERT_TRUE(first.error.has_value());
  EXPECT_EQ(pool_->idle_count(), 0u);
  upstream_->push(fake::script{200, sse_events(2)});
  auto second = read_stream(limits);
  EXPECT_TRUE(second.finished) << (second.error ? second.error->describe() : "unfinished");
  EXPECT_EQ(pool_->idle_count(), 1u);
  EXPECT_EQ(pool_->stats().connects, 2u);
}

// The deadline bounds each operation, not the time between them: a relay held up by a slow
// client for longer than the idle gap between two reads still gets the rest of the body, and the
// connection goes back to the pool (beast's per-read timers behaved the same).
TEST_P(UpstreamDeadline, TimeBetweenReadsDoesNotCount) {
  upstream_->push(fake::script{200, sse_events(4)});
  net::deadlines limits;
  limits.idle_gap = 100ms;
  auto r = read_stream_slowly(limits, 250ms);
  ASSERT_TRUE(r.finished) << (r.error ? r.error->describe() : "unfinished");
  EXPECT_NE(r.body.find("[DONE]"), std::string::npos);
  EXPECT_EQ(pool_->idle_count(), 1u);
}

// When an exchange ends its deadline's timer wait is cancelled: a pooled connection holds no
// pending operation, so the io_context runs out of work at once instead of a minute later.
TEST_P(UpstreamDeadline, APooledConnectionHoldsNoPendingWait) {
  upstream_->push(fake::script{200, sse_events(2)});
  net::deadlines limits;
  limits.first_byte = 60s;
  limits.idle_gap = 60s;
  auto r = read_stream(limits);
  ASSERT_TRUE(r.finished) << (r.error ? r.error->describe() : "unfinished");
  ASSERT_EQ(pool_->idle_count(), 1u);
  io_.restart();
  io_.run_for(5s);
  EXPECT_TRUE(io_.stopped()) << "something is still pending on the pooled connection";
}

// Body bytes go straight from the parser into the caller's string (connection.hpp's
// append_body), however they arrive: thousands of chunks back to back, many to one socket read
// and some split across two, make exactly the body that was sent, in order, and the connection
// goes back to the pool after it.
TEST_P(UpstreamDeadline, ABodyOfManyChunksArrivesWholeAndInOrder) {
  const std::string sent = sse_events(3000);  // ~190 KB, one chunk per event, no gaps
  upstream_->push(fake::script{200, sent});
  auto r = read_stream(net::deadlines{});
  ASSERT_TRUE(r.finished) << (r.error ? r.error->describe() : "unfinished");
  EXPECT_EQ(r.body.size(), sent.size());
  EXPECT_TRUE(r.body == sent) << "the body differs from what the upstream sent";
  EXPECT_EQ(pool_->idle_count(), 1u);
}

// The caller's bound on a whole body holds though one read may now bring many chunks at once:
// a body past it fails the read as too large, with no more than one read's worth over the bound
// kept, and the connection is not reused.
TEST_P(UpstreamDeadline, ABodyPastTheCallersBoundFailsAsTooLarge) {
  upstream_->push(fake::script{200, sse_events(3000)});
  constexpr std::size_t bound = 10000;
  auto fut = asio::co_spawn(
      io_,
      [this]() -> asio::awaitable<outcome> {
        outcome out;
        auto req = testing::chat_request(true);  // no temporary in the co_await (g++ 12)
        auto started = co_await net::upstream_call::start(*pool_, std::move(req), {});
        auto* call = std::get_if<std::unique_ptr<net::upstream_call>>(&started);
        if (call != nullptr) {
          out.finished = co_await (*call)->read_all(out.body, bound);
          out.error = (*call)->error();
        }
        co_return out;
      },
      asio::use_future);
  io_.restart();
  io_.run_for(20s);
  ASSERT_EQ(fut.wait_for(0s), std::future_status::ready);
  auto r = fut.get();
  EXPECT_FALSE(r.finished);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->ec, http::error::body_limit);
  EXPECT_GT(r.body.size(), bound);
  EXPECT_LT(r.body.size(), bound + 128 * 1024);
  EXPECT_EQ(pool_->idle_count(), 0u);
}

INSTANTIATE_TEST_SUITE_P(TlsAndPlain, UpstreamDeadline, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "tls" : "plain"; });

}  // namespace
}  // namespace interlingua
