#include <interlingua/core/error.hpp>
#include <interlingua/core/result.hpp>

namespace interlingua::core {

int default_http_status(error_kind kind) {
  switch (kind) {
    case error_kind::invalid_request:
      return 400;
    case error_kind::unauthenticated:
      return 401;
    case error_kind::permission_denied:
      return 403;
    case error_kind::not_found:
      return 404;
    case error_kind::payload_too_large:
      return 413;
    case error_kind::rate_limited:
      return 429;
    case error_kind::upstream_error:
      return 502;
    case error_kind::upstream_unavailable:
      return 503;
    case error_kind::upstream_timeout:
      return 504;
    case error_kind::internal:
      return 500;
  }
  return 500;
}

const char* to_string(error_kind kind) {
  switch (kind) {
    case error_kind::invalid_request:
      return "invalid_request";
    case error_kind::unauthenticated:
      return "unauthenticated";
    case error_kind::permission_denied:
      return "permission_denied";
    case error_kind::not_found:
      return "not_found";
    case error_kind::payload_too_large:
      return "payload_too_large";
    case error_kind::rate_limited:
      return "rate_limited";
    case error_kind::upstream_error:
      return "upstream_error";
    case error_kind::upstream_unavailable:
      return "upstream_unavailable";
    case error_kind::upstream_timeout:
      return "upstream_timeout";
    case error_kind::internal:
      return "internal";
  }
  return "internal";
}

error error_from_upstream_status(int status, std::string message,
                                 std::optional<int> retry_after_s) {
  error_kind kind = error_kind::upstream_error;
  if (status == 400 || status == 422) {
    kind = error_kind::invalid_request;
  } else if (status == 404) {
    kind = error_kind::not_found;
  } else if (status == 408 || status == 504) {
    kind = error_kind::upstream_timeout;
  } else if (status == 413) {
    kind = error_kind::payload_too_large;
  } else if (status == 429) {
    kind = error_kind::rate_limited;
  } else if (status >= 500) {
    kind = error_kind::upstream_unavailable;
  }
  if (message.empty()) {
    message = "upstream answered HTTP " + std::to_string(status);
  }
  return error{kind, std::move(message), {}, status, retry_after_s};
}

void throw_exception_from_error(const error& e, const boost::source_location&) {
  throw std::runtime_error(std::string(to_string(e.kind)) + ": " + e.message);
}

}  // namespace interlingua::core
