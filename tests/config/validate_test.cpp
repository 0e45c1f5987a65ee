// Every validation rule: the right error, on the right line, naming the key path.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "interlingua/config/config.hpp"

namespace cfg = interlingua::config;

namespace {

std::string fixture(const std::string& name) {
  return std::string{IL_FIXTURES_DIR} + "/config/" + name;
}

// A valid provider block to append cases to; it occupies lines 1-3.
const std::string provider = "providers:\n  up:\n    base_url: https://up.example/v1\n";

void expect_error(const cfg::load_result& r, int line, const std::string& needle,
                  const std::string& context) {
  ASSERT_TRUE(r.error.has_value()) << "expected an error for:\n" << context;
  EXPECT_FALSE(r.value.has_value());
  EXPECT_EQ(r.error->line, line) << r.error->to_string() << "\nfor:\n" << context;
  EXPECT_NE(r.error->reason.find(needle), std::string::npos)
      << "'" << needle << "' not in: " << r.error->to_string();
}

void expect_error(const std::string& yaml, int line, const std::string& needle) {
  expect_error(cfg::load_string(yaml), line, needle, yaml);
}

void expect_ok(const std::string& yaml) {
  const auto r = cfg::load_string(yaml);
  EXPECT_TRUE(r.value.has_value()) << (r.error ? r.error->to_string() : "") << "\nfor:\n" << yaml;
}

}  // namespace

// Typos must not pass silently, at any depth; the message lists what would have been accepted.
TEST(config_validate, unknown_keys) {
  expect_error("listen:\n  port: 1\nlsiten:\n  port: 2\n", 3, "lsiten: unknown key");
  expect_error("listen:\n  hots: x\n", 2, "listen.hots: unknown key (expected one of: host, port)");
  expect_error(provider + "    api-key: x\n", 4, "providers.up.api-key: unknown key");
  expect_error(provider + "models:\n  - match: x\n    provder: up\n", 6, "models[0].provder");
  expect_error("logging:\n  levle: info\n", 2, "logging.levle");
  const auto r = cfg::load_file(fixture("unknown_key.yaml"));
  expect_error(r, 8, "providers.up.timeouts.conect_ms: unknown key", "unknown_key.yaml");
}

// yaml-cpp keeps both copies of a repeated key; the loader must not pick one silently.
TEST(config_validate, duplicate_keys) {
  expect_error("listen:\n  port: 1\n  port: 2\n", 3, "listen.port: duplicate key");
  expect_error(provider + "  up:\n    base_url: https://b\n", 4, "providers.up: duplicate key");
}

// A list where a value is expected (or the reverse) is a type error at that value.
TEST(config_validate, wrong_types) {
  expect_error("listen: [1, 2]\n", 1, "listen: must be a mapping");
  expect_error("listen:\n  port:\n    x: 1\n", 2, "listen.port: must be an integer");
  expect_error("listen:\n  host:\n", 2, "listen.host: must be a host name or address, got nothing");
  expect_error("auth:\n  keys: k1\n", 2, "auth.keys: must be a list of strings");
  expect_error("auth:\n  keys:\n    - [a]\n", 3, "auth.keys[0]: must be a string");
  expect_error(provider + "    api_key: [a]\n", 4, "providers.up.api_key: must be a string");
  expect_error(provider + "    headers: [a]\n", 4, "providers.up.headers: must be a mapping");
  expect_error(provider + "    allow_plain_http: yes please\n", 4, "must be true or false");
  expect_error(provider + "    tls_session_reuse: sometimes\n", 4,
               "providers.up.tls_session_reuse: must be true or false");
  expect_error("models:\n  match: x\n", 1, "models: must be a non-empty list");
  expect_error("models:\n  - just-a-string\n", 2, "models[0]: must be a mapping");
}

// Ports are 0..65535 (0 = any free port) and must be plain digits.
TEST(config_validate, port_range) {
  expect_error("listen:\n  port: abc\n", 2,
               "listen.port: must be an integer between 0 and 65535, got \"abc\"");
  expect_error("listen:\n  port: 65536\n", 2, "got \"65536\"");
  expect_error("listen:\n  port: -1\n", 2, "listen.port");
  expect_error("listen:\n  port: 80.5\n", 2, "listen.port");
  expect_ok("listen:\n  port: 0\n");
  expect_ok("listen:\n  port: \"65535\"\n");
}

// workers is `auto` or 1..256; 0 is not a synonym for auto in the file.
TEST(config_validate, workers) {
  expect_error("workers: 0\n", 1, "workers: must be auto or an integer between 1 and 256");
  expect_error("workers: 257\n", 1, "got \"257\"");
  expect_error("workers: many\n", 1, "workers");
  expect_ok("workers: 1\n");
  expect_ok("workers: 256\n");
  EXPECT_EQ(cfg::load_string("workers: auto\n").value->workers, 0u);
}

// Sizes and timeouts of zero would disable the server; they must be positive.
TEST(config_validate, sizes_and_timeouts_positive) {
  expect_error("limits:\n  max_body_bytes: 0\n", 2, "limits.max_body_bytes: must be a positive");
  expect_error("limits:\n  max_connections: -3\n", 2, "limits.max_connections");
  expect_error("limits:\n  max_header_bytes: 16k\n", 2, "got \"16k\"");
  expect_error("timeouts:\n  idle_ms: 0\n", 2, "timeouts.idle_ms: must be an integer between 1");
  expect_error(provider + "    pool_idle_ms: 0\n", 4, "providers.up.pool_idle_ms");
  expect_error(provider + "    timeouts:\n      total_ms: 0\n", 5,
               "providers.up.timeouts.total_ms");
  expect_error("timeouts:\n  read_ms: 99999999999\n", 2, "timeouts.read_ms");
}

// Provider kind selects the wire protocol; anything else has no adapter.
TEST(config_validate, provider_kind) {
  expect_error(provider + "    kind: openai\n", 4,
               "providers.up.kind: must be one of openai_chat, anthropic, gemini");
  expect_ok(provider + "    kind: gemini\n");
}

// pool_size 0 would make every request fail; a huge one is surely a typo.
TEST(config_validate, pool_size_range) {
  expect_error(provider + "    pool_size: 0\n", 4, "between 1 and 100000");
  expect_error(provider + "    pool_size: 100001\n", 4, "providers.up.pool_size");
  expect_ok(provider + "    pool_size: 100000\n");
}

// base_url must be something the transport can connect to, and plain http only on request.
TEST(config_validate, base_url) {
  expect_error("providers:\n  up:\n    kind: anthropic\n", 2, "providers.up.base_url: is required");
  expect_error("providers:\n  up:\n    base_url: api.example.com\n", 3,
               "providers.up.base_url: must look like https://host[:port][/path]");
  expect_error("providers:\n  up:\n    base_url: https://h/v1?x=1\n", 3, "must not have a query");
  expect_error("providers:\n  up:\n    base_url: https://h/v1#top\n", 3, "or fragment");
  expect_error("providers:\n  up:\n    base_url: http://localhost:11434\n", 3,
               "set allow_plain_http: true");
  expect_ok(
      "providers:\n  up:\n    base_url: http://localhost:11434\n"
      "    allow_plain_http: true\n");
  expect_ok("providers:\n  up:\n    allow_plain_http: true\n    base_url: http://[::1]:8000/v1\n");
}

// A CA file that cannot be read would otherwise only fail at the first upstream request.
TEST(config_validate, ca_file) {
  expect_error(provider + "    ca_file: /nonexistent/ca.pem\n", 4,
               "providers.up.ca_file: cannot read \"/nonexistent/ca.pem\"");
  expect_error(provider + "    ca_file: " + IL_FIXTURES_DIR + "\n", 4, "not a regular file");
  expect_ok(provider + "    ca_file: " + fixture("full.yaml") + "\n");
  expect_ok(provider + "    ca_file: \"\"\n");
}

// Routes must point at a configured provider, at the line of the bad name.
TEST(config_validate, route_provider_must_exist) {
  const auto r = cfg::load_file(fixture("unknown_provider.yaml"));
  expect_error(r, 9, "models[1].provider: unknown provider \"anthropic\" (configured: openai)",
               "unknown_provider.yaml");
  expect_error(provider + "models:\n  - match: x\n", 5, "models[0].provider: is required");
}

// Fallbacks name configured providers, in a list of mappings; each error points at its entry.
TEST(config_validate, route_fallbacks) {
  const std::string route = provider + "models:\n  - match: x\n    provider: up\n";
  expect_ok(route + "    fallbacks:\n      - provider: up\n        upstream_model: y\n");
  expect_error(route + "    fallbacks:\n      - provider: nope\n", 8,
               "models[0].fallbacks[0].provider: unknown provider \"nope\" (configured: up)");
  expect_error(route + "    fallbacks:\n      - upstream_model: y\n", 8,
               "models[0].fallbacks[0].provider: is required");
  expect_error(route + "    fallbacks: up\n", 7, "models[0].fallbacks: must be a list");
  expect_error(route + "    fallbacks:\n      - up\n", 8,
               "models[0].fallbacks[0]: must be a mapping");
  expect_error(route + "    fallbacks:\n      - {provider: up, model: y}\n", 8,
               "models[0].fallbacks[0].model: unknown key");
}

// Retry attempts count the first try: 1..10.
TEST(config_validate, retry_policy) {
  expect_ok(provider + "    retry: {attempts: 1, backoff_ms: 10, max_backoff_ms: 20}\n");
  expect_error(provider + "    retry: {attempts: 0}\n", 4, "providers.up.retry.attempts");
  expect_error(provider + "    retry: {attempts: 11}\n", 4, "providers.up.retry.attempts");
  expect_error(provider + "    retry: {tries: 2}\n", 4, "providers.up.retry.tries: unknown key");
}

// match is an exact name or a prefix ending in '*'; a '*' elsewhere would never match.
TEST(config_validate, route_match_shape) {
  expect_error(provider + "models:\n  - match: \"\"\n    provider: up\n", 5,
               "models[0].match: must not be empty");
  expect_error(provider + "models:\n  - provider: up\n", 5, "models[0].match: must not be empty");
  expect_error(provider + "models:\n  - match: \"gpt-*-mini\"\n    provider: up\n", 5,
               "'*' is only allowed as the last character");
  expect_error(provider + "models:\n  - match: \"**\"\n    provider: up\n", 5, "models[0].match");
  expect_ok(provider + "models:\n  - match: \"openai/*\"\n    provider: up\n");
}

// A second identical match could never be reached, so it is surely a mistake.
TEST(config_validate, duplicate_match) {
  const auto r = cfg::load_file(fixture("duplicate_match.yaml"));
  expect_error(r, 8, "models[1].match: duplicate route \"gpt-4o\" (already at models[0])",
               "duplicate_match.yaml");
}

// Only the levels the logger knows.
TEST(config_validate, logging_level) {
  expect_error("logging:\n  level: verbose\n", 2,
               "logging.level: must be one of trace, debug, info, warn, error, off");
  expect_error("logging:\n  access_log: maybe\n", 2, "logging.access_log: must be true or false");
  expect_ok("logging:\n  level: off\n");
}

// Explicitly empty sections are mistakes, unlike missing ones (which get defaults).
TEST(config_validate, explicit_empty_sections) {
  expect_error("providers: {}\n", 1, "providers: must configure at least one provider");
  expect_error(provider + "models: []\n", 4, "models: must be a non-empty list");
}

// Two sources of keys for one provider would be ambiguous.
TEST(config_validate, api_key_and_api_keys) {
  expect_error(provider + "    api_key: a\n    api_keys: [b]\n", 5,
               "providers.up: give either api_key or api_keys");
}

// Fixed headers must be valid and must not fight the transport's own framing headers.
TEST(config_validate, headers) {
  expect_error(provider + "    headers:\n      \"bad header\": x\n", 5, "not a valid HTTP header");
  expect_error(provider + "    headers:\n      Content-Length: \"5\"\n", 5, "set by the gateway");
  expect_error(provider + "    headers:\n      x-a: \"1\"\n      X-A: \"2\"\n", 6,
               "duplicate header");
  expect_error(provider + "    headers:\n      x-a: \"1\\r\\nx-b: 2\"\n", 5, "CR, LF or NUL");
}

// Secrets must never reach logs through an error message, whatever the error is.
TEST(config_validate, secrets_not_in_messages) {
  const std::string secret = "SECRET";
  const auto check = [&](const cfg::load_result& r, const std::string& what) {
    ASSERT_TRUE(r.error.has_value()) << what;
    EXPECT_EQ(r.error->to_string().find(secret), std::string::npos) << r.error->to_string();
  };
  check(cfg::load_file(fixture("secrets.yaml")), "secrets.yaml");
  check(cfg::load_string(provider + "    api_key: {v: sk-SECRET}\n"), "api_key map");
  check(cfg::load_string(provider + "    api_keys: sk-SECRET\n"), "api_keys not list");
  check(cfg::load_string(provider + "    api_keys: [[sk-SECRET]]\n"), "api_keys nested");
  check(cfg::load_string("auth:\n  keys: sk-SECRET\n"), "auth.keys not list");
  check(cfg::load_string("auth:\n  keys:\n    - {k: sk-SECRET}\n"), "auth.keys item map");
  check(cfg::load_string(provider + "    api_key: ${X:-sk-SECRET\n"), "unterminated ref");
  check(cfg::load_string(provider + "    api_key: ${bad-name:-sk-SECRET}\n"), "malformed ref");
  check(cfg::load_string("providers:\n  up:\n    base_url: https://u:SECRET@h/v1\n"), "userinfo");
  check(cfg::load_string("providers:\n  up:\n    base_url: https://h/v1?key=SECRET\n"), "query");
  check(cfg::load_string(provider + "    headers:\n      x-k: \"SECRET\\n\"\n"), "header CRLF");
}
