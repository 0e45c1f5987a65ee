// The retry and fallback decisions: which upstream errors are tried again, how long the gateway
// waits (exponential, capped, jittered, never under Retry-After), and when a route moves on.

#include <gtest/gtest.h>

#include <interlingua/service/retry.hpp>

namespace interlingua::service {
namespace {

using namespace std::chrono_literals;

core::error upstream(int status, core::error_kind kind) {
  core::error e = core::make_error(kind, "upstream said so");
  e.upstream_status = status;
  return e;
}

core::error transport(core::error_kind kind) {
  return core::make_error(kind, "connection reset by peer");
}

config::retry_policy policy(unsigned attempts) {
  config::retry_policy p;
  p.attempts = attempts;
  p.backoff = 100ms;
  p.max_backoff = 1000ms;
  p.max_retry_after = 5000ms;
  return p;
}

// Statuses that may pass by themselves are retried; the caller's own mistakes and refused
// credentials are not.
TEST(Retry, WhatIsRetryable) {
  for (int s : {408, 409, 429, 500, 502, 503, 504, 529}) {
    EXPECT_TRUE(retryable(upstream(s, core::error_kind::upstream_unavailable))) << s;
  }
  for (int s : {400, 401, 403, 404, 413, 422}) {
    EXPECT_FALSE(retryable(upstream(s, core::error_kind::upstream_error))) << s;
  }
  EXPECT_TRUE(retryable(transport(core::error_kind::upstream_unavailable)));
  EXPECT_TRUE(retryable(transport(core::error_kind::upstream_timeout)));
  // A certificate the gateway refuses will not pass by itself.
  EXPECT_FALSE(retryable(transport(core::error_kind::upstream_error)));
  // Refused before any I/O (the provider cannot take this request).
  EXPECT_FALSE(retryable(transport(core::error_kind::invalid_request)));
}

// The next provider is tried unless the upstream judged the request itself wrong.
TEST(Retry, WhatFallsBack) {
  EXPECT_FALSE(worth_fallback(upstream(400, core::error_kind::invalid_request)));
  EXPECT_FALSE(worth_fallback(upstream(413, core::error_kind::payload_too_large)));
  EXPECT_TRUE(worth_fallback(upstream(401, core::error_kind::upstream_error)));
  EXPECT_TRUE(worth_fallback(upstream(404, core::error_kind::not_found)));
  EXPECT_TRUE(worth_fallback(upstream(429, core::error_kind::rate_limited)));
  EXPECT_TRUE(worth_fallback(upstream(503, core::error_kind::upstream_unavailable)));
  EXPECT_TRUE(worth_fallback(transport(core::error_kind::upstream_timeout)));
  // A refusal before any I/O: another provider may take media or tools this one cannot.
  EXPECT_TRUE(worth_fallback(transport(core::error_kind::invalid_request)));
}

// Waits double from the base up to the cap, and jitter spreads each over [w/2, w].
TEST(Retry, ExponentialCappedJittered) {
  const auto p = policy(10);
  const auto e = upstream(503, core::error_kind::upstream_unavailable);
  EXPECT_EQ(retry_wait(p, 1, e, std::nullopt, 0.0), 50ms);
  EXPECT_EQ(retry_wait(p, 1, e, std::nullopt, 0.999), 99ms);
  EXPECT_EQ(retry_wait(p, 2, e, std::nullopt, 0.0), 100ms);
  EXPECT_EQ(retry_wait(p, 3, e, std::nullopt, 0.0), 200ms);
  EXPECT_EQ(retry_wait(p, 4, e, std::nullopt, 0.0), 400ms);
  EXPECT_EQ(retry_wait(p, 5, e, std::nullopt, 0.0), 500ms);  // capped at 1000, halved
  EXPECT_EQ(retry_wait(p, 9, e, std::nullopt, 1.0), 1000ms);
}

// Attempts count the first try: attempts 3 means two retries, attempts 1 none.
TEST(Retry, AttemptsAreBounded) {
  const auto e = upstream(503, core::error_kind::upstream_unavailable);
  EXPECT_TRUE(retry_wait(policy(3), 2, e, std::nullopt, 0.5));
  EXPECT_FALSE(retry_wait(policy(3), 3, e, std::nullopt, 0.5));
  EXPECT_FALSE(retry_wait(policy(1), 1, e, std::nullopt, 0.5));
}

// Retry-After is a floor on the wait; beyond the policy's limit the provider is not retried
// (the fallback, or the error with its Retry-After, goes to the caller at once).
TEST(Retry, RetryAfterIsHonoured) {
  const auto p = policy(3);
  const auto e = upstream(429, core::error_kind::rate_limited);
  EXPECT_EQ(retry_wait(p, 1, e, 2000ms, 0.0), 2000ms);
  EXPECT_EQ(retry_wait(p, 1, e, 10ms, 0.0), 50ms);  // the backoff is longer
  EXPECT_EQ(retry_wait(p, 1, e, 5000ms, 0.0), 5000ms);
  EXPECT_FALSE(retry_wait(p, 1, e, 5001ms, 0.0));
}

// Errors that are not retryable are never waited for, whatever Retry-After says.
TEST(Retry, NotRetryableIgnoresRetryAfter) {
  EXPECT_FALSE(
      retry_wait(policy(3), 1, upstream(400, core::error_kind::invalid_request), 10ms, 0.0));
}

}  // namespace
}  // namespace interlingua::service
