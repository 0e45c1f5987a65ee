// The gateway writes HTTP heads itself instead of through beast's serializer (cheaper per
// message): its answers' heads and its upstream requests' heads. These compare the bytes with the
// serializer's for the heads it sends, so clients and upstreams parse the same thing they did.

#include <string>

#include <gtest/gtest.h>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>

#include <interlingua/net/http_write.hpp>

namespace interlingua::net {
namespace {

namespace http = boost::beast::http;

template <bool isRequest, class Body>
std::string by_beast(http::message<isRequest, Body>& m) {
  std::string head;
  http::serializer<isRequest, Body> sr{m};
  sr.split(true);
  boost::system::error_code ec;
  while (!ec && !sr.is_header_done()) {
    sr.next(ec, [&](boost::system::error_code&, const auto& buffers) {
      for (auto b : boost::beast::buffers_range_ref(buffers)) {
        head.append(static_cast<const char*>(b.data()), b.size());
      }
      sr.consume(boost::beast::buffer_bytes(buffers));
    });
  }
  return head;
}

http::response<http::empty_body> answer(unsigned status, unsigned version) {
  http::response<http::empty_body> res{static_cast<http::status>(status), version};
  res.set(http::field::content_type, "application/json");
  res.set("x-request-id", "req-123");
  return res;
}

TEST(ResponseHead, UnaryKeepAliveAndClose) {
  for (bool keep : {true, false}) {
    for (unsigned version : {10u, 11u}) {
      auto res = answer(200, version);
      res.keep_alive(keep);
      res.content_length(1234);
      EXPECT_EQ(serialized_head(res), by_beast(res)) << keep << " " << version;
    }
  }
}

TEST(ResponseHead, ErrorStatusesAndExtraHeaders) {
  for (unsigned status : {201u, 400u, 401u, 404u, 413u, 429u, 500u, 502u, 503u, 504u}) {
    auto res = answer(status, 11);
    res.set("retry-after", "3");
    res.set(http::field::www_authenticate, "Bearer");
    res.content_length(0);
    EXPECT_EQ(serialized_head(res), by_beast(res)) << status;
  }
  auto unknown = answer(299, 11);  // a status without a standard reason
  EXPECT_EQ(serialized_head(unknown), by_beast(unknown));
  auto short_code = answer(99, 11);  // always three digits ("099"), as beast writes it
  EXPECT_EQ(serialized_head(short_code), by_beast(short_code));
  auto custom = answer(200, 11);
  custom.reason("Fine");
  EXPECT_EQ(serialized_head(custom), by_beast(custom));
}

TEST(ResponseHead, StreamHead) {
  auto res = answer(200, 11);
  res.set(http::field::content_type, "text/event-stream");  // replaces, as set() does
  res.set(http::field::cache_control, "no-cache");
  res.set("x-accel-buffering", "no");
  res.keep_alive(true);
  res.chunked(true);
  const std::string head = serialized_head(res);
  EXPECT_EQ(head, by_beast(res));
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(head.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
}

TEST(RequestHead, UpstreamRequests) {
  http::request<http::string_body> req{http::verb::post, "/v1/chat/completions", 11};
  req.set(http::field::host, "api.example.com");
  req.set(http::field::content_type, "application/json");
  req.set(http::field::authorization, "Bearer sk-test");
  req.set("anthropic-version", "2023-06-01");
  req.body() = R"({"model":"m"})";
  req.keep_alive(true);
  req.prepare_payload();
  const std::string head = serialized_head(req);
  EXPECT_EQ(head, by_beast(req));
  EXPECT_EQ(head.rfind("POST /v1/chat/completions HTTP/1.1\r\n", 0), 0u);
  EXPECT_NE(head.find("Content-Length: 13\r\n"), std::string::npos);

  http::request<http::string_body> get{http::verb::get, "/v1beta/models?key=k", 11};
  get.set(http::field::host, "h");
  get.prepare_payload();
  EXPECT_EQ(serialized_head(get), by_beast(get));
}

}  // namespace
}  // namespace interlingua::net
