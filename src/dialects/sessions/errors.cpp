#include <interlingua/dialects/sessions.hpp>

#include <interlingua/core/json_util.hpp>

// The one place that knows this dialect's error bodies (spec §5.5): a 422 carries pydantic-style
// details; every other status is {"message","code":"http_<status>","type":"http_error"}.

namespace interlingua::dialects::sessions {

namespace {

std::string http_code(unsigned status) {
  return "http_" + std::to_string(status);
}

// What an error without a message says, so a client never sees an empty "message".
const char* reason_phrase(unsigned status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return status < 500 ? "Bad Request" : "Internal Server Error";
  }
}

rendered http_error(unsigned status, std::string message, std::string code) {
  if (message.empty()) {
    message = reason_phrase(status);
  }
  json err{{"message", std::move(message)}, {"code", std::move(code)}, {"type", "http_error"}};
  return rendered{status, core::json_util::dump(json{{"error", std::move(err)}})};
}

}  // namespace

rendered render_problem(const problem& p) {
  if (p.status != 422) {
    // A problem built for another status keeps a code it was given, else it is http_<status>.
    bool own_code = !p.code.empty() && p.code != "validation_error";
    return http_error(p.status, p.message, own_code ? p.code : http_code(p.status));
  }
  json details = json::array();
  for (const auto& i : p.details) {
    details.push_back({{"type", i.type}, {"msg", i.msg}, {"loc", i.loc}, {"received", i.received}});
  }
  json err{{"message", p.message}, {"code", p.code}, {"details", std::move(details)}};
  return rendered{422, core::json_util::dump(json{{"error", std::move(err)}})};
}

// The provider's own message is kept (error_from_upstream_status puts it in `message`), so a
// client sees why its upstream refused, under the status the kind maps to.
rendered render_error(const core::error& e) {
  auto status = static_cast<unsigned>(core::default_http_status(e.kind));
  return http_error(status, e.message, http_code(status));
}

problem not_found(std::string_view what, std::string_view id) {
  return problem{404, "No " + std::string(what) + " found: " + std::string(id), http_code(404), {}};
}

}  // namespace interlingua::dialects::sessions
