#include <interlingua/service/retry.hpp>

#include <algorithm>

namespace interlingua::service {

bool retryable(const core::error& e) {
  switch (e.upstream_status) {
    case 408:
    case 409:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
    case 529:
      return true;
    case 0:
      // No HTTP status: the transport failed (or an in-stream error before the answer began).
      // A certificate we refuse is upstream_error: it will not pass by itself.
      return e.kind == core::error_kind::upstream_unavailable ||
             e.kind == core::error_kind::upstream_timeout ||
             e.kind == core::error_kind::rate_limited;
    default:
      return false;
  }
}

bool worth_fallback(const core::error& e) {
  if (e.upstream_status == 0) {
    return true;  // refused before any I/O, or the transport failed
  }
  return e.kind != core::error_kind::invalid_request &&
         e.kind != core::error_kind::payload_too_large;
}

std::optional<millis> retry_wait(const config::retry_policy& policy, unsigned tries,
                                 const core::error& e, std::optional<millis> retry_after,
                                 double jitter) {
  if (!retryable(e) || tries >= policy.attempts) {
    return std::nullopt;
  }
  if (retry_after && *retry_after > policy.max_retry_after) {
    return std::nullopt;
  }
  millis wait = policy.backoff;
  for (unsigned n = 1; n < tries && wait < policy.max_backoff; ++n) {
    wait *= 2;
  }
  wait = std::min(wait, policy.max_backoff);
  jitter = std::clamp(jitter, 0.0, 1.0);
  wait =
      wait / 2 + millis(static_cast<millis::rep>(static_cast<double>(wait.count()) / 2 * jitter));
  if (retry_after) {
    wait = std::max(wait, *retry_after);
  }
  return wait;
}

}  // namespace interlingua::service
