// Trace context: what is accepted from a caller and what goes upstream.

#include <gtest/gtest.h>

#include <vector>

#include <interlingua/core/trace.hpp>

namespace interlingua::core {
namespace {

const std::string parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

std::string header(const trace_context& t, const std::string& name) {
  for (const auto& h : t.upstream_headers()) {
    if (h.name == name) {
      return h.value;
    }
  }
  return {};
}

// The W3C example continues upstream with the same trace id and flags under our own span.
TEST(Trace, ContinuesTheCallersTrace) {
  auto t = read_trace(parent, "congo=t61rcWkgMzE", "", "");
  ASSERT_EQ(t.traceparent, parent);
  ASSERT_EQ(t.span_id.size(), 16u);
  std::string up = header(t, "traceparent");
  ASSERT_EQ(up.size(), 55u);
  EXPECT_EQ(up.substr(0, 36), parent.substr(0, 36));  // version and trace id
  EXPECT_EQ(up.substr(36, 16), t.span_id);            // our span is the upstream's parent
  EXPECT_NE(up.substr(36, 16), parent.substr(36, 16));
  EXPECT_EQ(up.substr(52), "-01");
  EXPECT_EQ(header(t, "tracestate"), "congo=t61rcWkgMzE");
}

// Malformed traceparents are dropped (and their tracestate with them), never forwarded.
TEST(Trace, RejectsMalformedTraceparent) {
  const std::vector<std::string> malformed{
      "garbage",
      parent.substr(0, 54),
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      parent + "-extra"};
  for (const auto& bad : malformed) {
    EXPECT_FALSE(valid_traceparent(bad)) << bad;
    auto t = read_trace(bad, "a=b", "", "");
    EXPECT_TRUE(t.upstream_headers().empty()) << bad;
  }
  // A later version may carry more fields; its first four are understood.
  EXPECT_TRUE(valid_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz"));
}

// Opper's headers go upstream as given; control characters or huge values are dropped.
TEST(Trace, OpperHeadersPassThrough) {
  auto t = read_trace("", "", "checkout-flow", "span-123");
  EXPECT_EQ(header(t, "x-opper-name"), "checkout-flow");
  EXPECT_EQ(header(t, "x-opper-parent-span-id"), "span-123");
  EXPECT_EQ(header(t, "traceparent"), "");
  auto bad = read_trace("", "", "evil\r\nx-injected: 1", std::string(4096, 'a'));
  EXPECT_TRUE(bad.upstream_headers().empty());
  EXPECT_TRUE(bad.empty());
}

// No trace headers, no trace: nothing is invented and nothing goes upstream.
TEST(Trace, NothingGivenNothingSent) {
  auto t = read_trace("", "", "", "");
  EXPECT_TRUE(t.empty());
  EXPECT_TRUE(t.span_id.empty());
  EXPECT_TRUE(t.upstream_headers().empty());
}

}  // namespace
}  // namespace interlingua::core
