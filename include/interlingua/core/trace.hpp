#pragma once

// Trace context a caller sends (W3C traceparent/tracestate, Opper's X-Opper-Name and
// X-Opper-Parent-Span-Id): logged with the request and carried into the upstream request.

#include <string>
#include <string_view>
#include <vector>

#include <interlingua/core/provider.hpp>

namespace interlingua::core {

struct trace_context {
  std::string traceparent;        // as received, only when well-formed
  std::string tracestate;         // kept only with a valid traceparent (W3C §3.3)
  std::string opper_name;         // X-Opper-Name
  std::string opper_parent_span;  // X-Opper-Parent-Span-Id
  std::string span_id;            // the gateway's own span: parent-id of the upstream request

  bool empty() const {
    return traceparent.empty() && opper_name.empty() && opper_parent_span.empty();
  }
  // traceparent continued with our span id (same trace id and flags), tracestate, and the Opper
  // headers as given.
  std::vector<http_header> upstream_headers() const;
};

// Reads the headers; malformed or oversized values are dropped, never forwarded.
trace_context read_trace(std::string_view traceparent, std::string_view tracestate,
                         std::string_view opper_name, std::string_view opper_parent_span);

// W3C Trace Context: "00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>", ids not all zero.
// Versions above 00 are accepted by their first four fields, as the spec asks.
bool valid_traceparent(std::string_view v);

}  // namespace interlingua::core
