// The caller's trace context reaches the upstream request: traceparent continued under the
// gateway's span, tracestate and Opper's headers as given, for live and background runs.

#include "harness.hpp"

#include <thread>

namespace interlingua::testing {
namespace {

using nlohmann::json;

const std::string base = "/v3/compat/v1beta/interactions";
const std::string parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fake::testing::header_list traced() {
  return {{"content-type", "application/json"},
          {"traceparent", parent},
          {"tracestate", "opper=1"},
          {"x-opper-name", "checkout"},
          {"x-opper-parent-span-id", "span-42"}};
}

void expect_traced(const fake::recorded_request& up) {
  auto tp = up.headers.count("traceparent") ? up.headers.at("traceparent") : std::string();
  ASSERT_EQ(tp.size(), 55u) << tp;
  EXPECT_EQ(tp.substr(0, 36), parent.substr(0, 36));    // same trace
  EXPECT_NE(tp.substr(36, 16), parent.substr(36, 16));  // the gateway's own span
  EXPECT_EQ(up.headers.at("tracestate"), "opper=1");
  EXPECT_EQ(up.headers.at("x-opper-name"), "checkout");
  EXPECT_EQ(up.headers.at("x-opper-parent-span-id"), "span-42");
}

// A unary create carries the trace upstream.
TEST(TraceHeaders, CarriedUpstream) {
  gateway_harness gw;
  auto r = gw.post(base, R"({"model":"gpt-test","input":"hi"})", traced());
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(gw.upstream().requests().size(), 1u);
  expect_traced(gw.upstream().requests().front());
}

// A background run keeps the trace of the request that started it.
TEST(TraceHeaders, CarriedByBackgroundRuns) {
  gateway_harness gw;
  auto r = gw.post(base, R"({"model":"gpt-test","input":"hi","background":true})", traced());
  ASSERT_EQ(r.status, 200) << r.body;
  for (int i = 0; i < 1000 && gw.upstream().requests().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(gw.upstream().requests().size(), 1u);
  expect_traced(gw.upstream().requests().front());
}

// Without trace headers nothing is invented; a malformed traceparent is not passed on.
TEST(TraceHeaders, NothingOrMalformedIsNotForwarded) {
  gateway_harness gw;
  gw.post(base, R"({"model":"gpt-test","input":"hi"})", {{"content-type", "application/json"}});
  gw.post(base, R"({"model":"gpt-test","input":"hi"})",
          {{"content-type", "application/json"}, {"traceparent", "not-a-trace"}});
  auto reqs = gw.upstream().requests();
  ASSERT_EQ(reqs.size(), 2u);
  for (const auto& up : reqs) {
    EXPECT_EQ(up.headers.count("traceparent"), 0u);
    EXPECT_EQ(up.headers.count("x-opper-name"), 0u);
  }
}

}  // namespace
}  // namespace interlingua::testing
