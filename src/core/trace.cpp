#include <interlingua/core/trace.hpp>

#include <algorithm>
#include <random>

namespace interlingua::core {

namespace {

constexpr std::size_t max_header_value = 512;

bool lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool all_zero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == '0'; });
}

// Printable ASCII only: what we forward must not be able to smuggle anything into a header.
bool printable(std::string_view s) {
  return s.size() <= max_header_value &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

std::string random_hex(std::size_t n) {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    auto bits = gen();
    for (int i = 0; i < 16 && out.size() < n; ++i, bits >>= 4) {
      out.push_back(digits[bits & 0xf]);
    }
  }
  if (all_zero(out)) {
    out.back() = '1';  // an all-zero parent-id is invalid
  }
  return out;
}

}  // namespace

bool valid_traceparent(std::string_view v) {
  // version(2) - trace-id(32) - parent-id(16) - flags(2) = 55 characters for version 00.
  if (v.size() < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') {
    return false;
  }
  auto version = v.substr(0, 2);
  auto trace_id = v.substr(3, 32);
  auto parent_id = v.substr(36, 16);
  auto flags = v.substr(53, 2);
  if (!lower_hex(version) || version == "ff" || !lower_hex(trace_id) || !lower_hex(parent_id) ||
      !lower_hex(flags) || all_zero(trace_id) || all_zero(parent_id)) {
    return false;
  }
  // Version 00 is exactly 55 characters; later versions may append "-..." fields.
  return version == "00" ? v.size() == 55 : (v.size() == 55 || v[55] == '-');
}

trace_context read_trace(std::string_view traceparent, std::string_view tracestate,
                         std::string_view opper_name, std::string_view opper_parent_span) {
  trace_context t;
  if (valid_traceparent(traceparent)) {
    t.traceparent = std::string(traceparent);
    if (!tracestate.empty() && printable(tracestate)) {
      t.tracestate = std::string(tracestate);
    }
  }
  if (printable(opper_name)) {
    t.opper_name = std::string(opper_name);
  }
  if (printable(opper_parent_span)) {
    t.opper_parent_span = std::string(opper_parent_span);
  }
  if (!t.empty()) {
    t.span_id = random_hex(16);
  }
  return t;
}

std::vector<http_header> trace_context::upstream_headers() const {
  std::vector<http_header> out;
  if (!traceparent.empty()) {
    // We forward as version 00 (the one we speak), our span as the upstream's parent.
    out.push_back({"traceparent", "00-" + traceparent.substr(3, 32) + "-" + span_id + "-" +
                                      traceparent.substr(53, 2)});
    if (!tracestate.empty()) {
      out.push_back({"tracestate", tracestate});
    }
  }
  if (!opper_name.empty()) {
    out.push_back({"x-opper-name", opper_name});
  }
  if (!opper_parent_span.empty()) {
    out.push_back({"x-opper-parent-span-id", opper_parent_span});
  }
  return out;
}

}  // namespace interlingua::core
