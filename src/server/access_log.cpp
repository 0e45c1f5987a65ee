#include "access_log.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace interlingua::server {

void log_access(const exchange& ex, std::chrono::steady_clock::time_point started) {
  auto logger = spdlog::get("access");
  if (!logger || !logger->should_log(spdlog::level::info)) {
    return;
  }
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  const auto& r = ex.record();
  nlohmann::json line{
      {"request_id", ex.request_id()},
      {"method", std::string(http::to_string(ex.req().method()))},
      {"path", ex.path()},
      {"route", r.route},
      {"status", ex.status()},
      {"latency_us", us},
  };
  if (!r.model.empty()) {
    line["model"] = r.model;
  }
  if (!r.upstream.empty()) {
    line["upstream"] = r.upstream;
  }
  if (r.attempts > 1) {
    line["attempts"] = r.attempts;
  }
  if (r.input_tokens >= 0) {
    line["input_tokens"] = r.input_tokens;
    line["output_tokens"] = r.output_tokens;
  }
  if (!r.error.empty()) {
    line["error"] = r.error;
  }
  if (const auto& t = ex.trace(); !t.empty()) {
    if (!t.traceparent.empty()) {
      line["traceparent"] = t.traceparent;
    }
    if (!t.opper_name.empty()) {
      line["opper_name"] = t.opper_name;
    }
    if (!t.opper_parent_span.empty()) {
      line["opper_parent_span_id"] = t.opper_parent_span;
    }
    line["span_id"] = t.span_id;
  }
  if (ex.client_gone()) {
    line["client_gone"] = true;
  }
  logger->info(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace interlingua::server
