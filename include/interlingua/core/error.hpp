#pragma once

// The one error type of the data plane. Dialects render it (render_error); providers and the
// service produce it. Translation code returns it instead of throwing.

#include <optional>
#include <string>

namespace interlingua::core {

enum class error_kind {
  invalid_request,       // the client's request is wrong (400)
  unauthenticated,       // missing or wrong gateway key (401)
  permission_denied,     // (403)
  not_found,             // unknown model, route or stored object (404)
  payload_too_large,     // (413)
  rate_limited,          // upstream said 429 (429)
  upstream_error,        // upstream answered with an error or garbage (502)
  upstream_unavailable,  // upstream unreachable, reset, 5xx, overloaded (503)
  upstream_timeout,      // a deadline towards the upstream passed (504)
  internal,              // a bug on our side (500)
};

struct error {
  error_kind kind = error_kind::internal;
  std::string message;
  std::string param;                 // the offending request field, when there is one
  int upstream_status = 0;           // HTTP status the upstream sent, 0 if none
  std::optional<int> retry_after_s;  // from the upstream's Retry-After, when given
};

inline error make_error(error_kind kind, std::string message, std::string param = {}) {
  return error{kind, std::move(message), std::move(param), 0, std::nullopt};
}

// The HTTP status a kind maps to in every dialect unless the dialect says otherwise.
int default_http_status(error_kind kind);
// The error an upstream HTTP status means for our caller, keeping the provider's message. A
// provider 401/403 is the gateway's credential problem, not the caller's: it becomes a 502.
error error_from_upstream_status(int status, std::string message, std::optional<int> retry_after_s);
// snake_case name of the kind, e.g. "invalid_request".
const char* to_string(error_kind kind);

}  // namespace interlingua::core
