#pragma once

// When the gateway tries a provider again and when it moves on to a route's fallback. Pure
// decisions, kept apart from the I/O so every rule is tested on its own.

#include <chrono>
#include <optional>

#include <interlingua/config/config.hpp>
#include <interlingua/core/error.hpp>

namespace interlingua::service {

using millis = std::chrono::milliseconds;

// An error that may pass on another try of the same provider: 408, 409, 429, 500, 502, 503,
// 504, 529, and failures of the transport (refused, reset, timed out) that are not a refused
// certificate. Only errors that came before anything reached the caller are ever retried.
bool retryable(const core::error& e);

// Whether the route's next provider may succeed where this one failed. Not when the caller's
// request is at fault as the upstream judged it (400, 413, 422: another provider would refuse
// it too, and the first provider's message is the useful one); yes for everything else,
// including a provider that cannot take the request (a refusal before any I/O), credentials the
// provider rejected, unknown upstream models, and outages.
bool worth_fallback(const core::error& e);

// The wait before the next try after `tries` tries of this provider ended in `e`, or nullopt
// when it is not tried again (not retryable, attempts used up, or a Retry-After longer than the
// policy waits for). Exponential from policy.backoff, capped at max_backoff, with `jitter` in
// [0, 1) spreading it over [w/2, w]; never shorter than the upstream's Retry-After.
std::optional<millis> retry_wait(const config::retry_policy& policy, unsigned tries,
                                 const core::error& e, std::optional<millis> retry_after,
                                 double jitter);

}  // namespace interlingua::service
