// parse_base_url: the transport connects with what this returns, so its edge cases matter.

#include <gtest/gtest.h>

#include "interlingua/config/config.hpp"

namespace cfg = interlingua::config;

// The common shapes, with default ports filled in by scheme.
TEST(config_url, https_and_http_defaults) {
  const auto a = cfg::parse_base_url("https://api.openai.com/v1");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->scheme, "https");
  EXPECT_EQ(a->host, "api.openai.com");
  EXPECT_EQ(a->port, 443);
  EXPECT_EQ(a->path_prefix, "/v1");
  EXPECT_TRUE(a->tls);
  EXPECT_EQ(a->authority(), "api.openai.com");

  const auto b = cfg::parse_base_url("http://localhost");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->scheme, "http");
  EXPECT_EQ(b->port, 80);
  EXPECT_EQ(b->path_prefix, "");
  EXPECT_FALSE(b->tls);
}

// Explicit ports, trailing slashes (dropped so "/v1" + "/chat" never gives "//"), upper case.
TEST(config_url, ports_paths_and_case) {
  const auto a = cfg::parse_base_url("HTTPS://Example.com:8443/api/v1/");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->scheme, "https");
  EXPECT_EQ(a->port, 8443);
  EXPECT_EQ(a->path_prefix, "/api/v1");
  EXPECT_EQ(a->authority(), "Example.com:8443");
  EXPECT_EQ(cfg::parse_base_url("https://h/")->path_prefix, "");
  EXPECT_EQ(cfg::parse_base_url("https://h:443")->authority(), "h");
  EXPECT_EQ(cfg::parse_base_url("http://127.0.0.1:11434/v1")->port, 11434);
}

// IPv6 literals: host without brackets for the resolver, brackets back in the Host header.
TEST(config_url, ipv6_literals) {
  const auto a = cfg::parse_base_url("http://[::1]:8080/v1");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 8080);
  EXPECT_EQ(a->path_prefix, "/v1");
  EXPECT_EQ(a->authority(), "[::1]:8080");
  const auto b = cfg::parse_base_url("https://[2001:db8::2]");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->host, "2001:db8::2");
  EXPECT_EQ(b->port, 443);
  EXPECT_EQ(b->authority(), "[2001:db8::2]");
}

// Everything outside scheme://host[:port][/path] is refused rather than half-understood.
TEST(config_url, rejects) {
  for (const char* url : {"",
                          "api.openai.com/v1",
                          "ftp://host",
                          "https://",
                          "https:///v1",
                          "https://host:",
                          "https://host:0",
                          "https://host:65536",
                          "https://host:12a",
                          "https://host:-1",
                          "https://host?x=1",
                          "https://host/v1?key=abc",
                          "https://host/v1#frag",
                          "https://user:pass@host/v1",
                          "https://ho st",
                          "https://host/a b",
                          "https://[::1",
                          "https://[not-ip]:80",
                          "https://[::1]x",
                          "https://[::1]:",
                          "https://host:80:90",
                          "https://::1/v1",
                          "https//host"}) {
    EXPECT_FALSE(cfg::parse_base_url(url).has_value()) << url;
  }
}
