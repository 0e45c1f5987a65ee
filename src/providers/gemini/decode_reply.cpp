#include <interlingua/providers/gemini.hpp>

#include <cmath>
#include <cstdlib>

#include <interlingua/core/json_util.hpp>

namespace interlingua::providers::gemini {

namespace {

using nlohmann::json;
using namespace core::json_util;

// google.rpc.RetryInfo's retryDelay is a Duration in JSON form ("34.4s"): whole seconds, rounded
// up so a retry never comes early.
std::optional<int> retry_delay(const json& error) {
  const json* details = member(error, "details");
  if (!details || !details->is_array()) {
    return std::nullopt;
  }
  for (const auto& d : *details) {
    std::string type = string_or(d, "@type");
    std::string delay = string_or(d, "retryDelay");
    std::string_view suffix = "google.rpc.RetryInfo";
    bool retry_info = type.size() >= suffix.size() &&
                      type.compare(type.size() - suffix.size(), suffix.size(), suffix) == 0;
    if (!retry_info || delay.size() < 2 || delay.back() != 's') {
      continue;
    }
    delay.pop_back();
    char* end = nullptr;
    double seconds = std::strtod(delay.c_str(), &end);
    if (end != delay.c_str() + delay.size() || !std::isfinite(seconds) || seconds < 0 ||
        seconds > 86400.0 * 7) {
      continue;
    }
    return static_cast<int>(std::ceil(seconds));
  }
  return std::nullopt;
}

}  // namespace

// The body is one GenerateContentResponse, exactly what each stream event holds: the stream
// decoder reads it, so a unary answer is by construction what the stream would have given.
void decode_reply(std::string_view body, core::event_list& out) {
  auto decoder = make_stream_decoder();
  decoder->on_event({}, body, out);
  decoder->on_end(out);
}

core::error decode_error(int status, std::string_view body, std::optional<int> retry_after_s) {
  std::string message;
  auto parsed = parse(body);
  if (!parsed) {
    message = std::string(body.substr(0, 512));
    return core::error_from_upstream_status(status, std::move(message), retry_after_s);
  }
  // streamGenerateContent without alt=sse answers in a JSON array, errors included.
  const json* root = &*parsed;
  if (root->is_array() && !root->empty()) {
    root = &(*root)[0];
  }
  if (const auto* e = member(*root, "error")) {
    message = e->is_string() ? e->get<std::string>() : string_or(*e, "message");
    if (!retry_after_s) {
      retry_after_s = retry_delay(*e);
    }
  } else {
    message = string_or(*root, "message");
  }
  return core::error_from_upstream_status(status, std::move(message), retry_after_s);
}

}  // namespace interlingua::providers::gemini
