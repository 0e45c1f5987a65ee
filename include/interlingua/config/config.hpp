#pragma once

// Typed, validated settings. Every field carries its embedded default, so a missing file
// section (or no file at all) yields a working gateway on 127.0.0.1:8080.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace interlingua::config {

using millis = std::chrono::milliseconds;

struct listen_config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
};

struct limits_config {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 32 * 1024 * 1024;
  std::size_t max_connections = 10000;
  std::size_t max_sse_event_bytes = 4 * 1024 * 1024;  // one upstream SSE event
};

struct timeouts_config {
  millis read{30'000};            // whole request head + body from the client
  millis write{30'000};           // one write to the client
  millis idle{60'000};            // keep-alive wait for the next request
  millis shutdown_grace{10'000};  // SIGTERM: how long in-flight requests may still run
};

struct upstream_timeouts {
  millis connect{5'000};
  millis tls_handshake{5'000};
  millis first_byte{60'000};  // request sent -> response headers
  millis idle_gap{60'000};    // between two reads of a streamed body
  millis total{300'000};      // whole unary exchange
};

// How often one provider is tried for one request. A retry happens only before anything reached
// the client, and only for errors that may pass: 408, 409, 429, 5xx, 529, resets and timeouts.
struct retry_policy {
  unsigned attempts = 2;           // tries per request, the first included (1 = no retry)
  millis backoff{200};             // wait before the first retry; doubled for each later one
  millis max_backoff{2'000};       // cap on one wait; each wait is jittered into [w/2, w]
  millis max_retry_after{10'000};  // a longer Retry-After is not waited for: fall back instead
};

enum class provider_kind { openai_chat, anthropic, gemini };

// The spelling used in the YAML file ("openai_chat", ...), for logs and messages.
std::string_view to_string(provider_kind kind);

struct provider_config {
  std::string name;  // key in `providers:`
  provider_kind kind = provider_kind::openai_chat;
  // e.g. https://api.openai.com/v1 (scheme, host, optional port, path prefix)
  std::string base_url;
  std::vector<std::string> api_keys;  // used in turn; may be empty for keyless local servers
  std::string ca_file;  // extra trust anchor on top of the system store; empty = system only
  bool allow_plain_http = false;  // http:// base_url is refused unless this is true
  std::size_t pool_size = 64;     // idle connections kept per worker
  millis pool_idle{60'000};       // idle connection evicted after this long
  bool tls_session_reuse = true;  // new connections resume an earlier TLS session
  upstream_timeouts timeouts;
  retry_policy retry;
  std::map<std::string, std::string> headers;  // fixed extra headers (e.g. anthropic-version)
};

// Where a route goes when its provider fails (after that provider's retries).
struct route_fallback {
  std::string provider;        // a key of `providers:`
  std::string upstream_model;  // empty: the name the route's own provider would get
};

struct model_route {
  std::string match;                      // exact name, or a prefix ending in '*' ("openai/*", "*")
  std::string provider;                   // a key of `providers:`
  std::string upstream_model;             // empty: the public name (with a matched prefix stripped)
  std::vector<route_fallback> fallbacks;  // tried in order
};

struct auth_config {
  std::vector<std::string> keys;  // gateway keys; empty = open (loopback use)
};

struct logging_config {
  std::string level = "info";  // trace, debug, info, warn, error, off
  bool access_log = true;      // one JSON line per request on stdout
};

struct store_config {
  std::string path = "interlingua.db";  // SQLite file (WAL); ":memory:" keeps nothing
  unsigned threads = 2;                 // store thread pool: blocking database calls run here
  std::uint64_t retention_hours = 0;  // finished interactions older than this are removed; 0 = kept
  std::uint64_t max_mb = 0;           // stored bytes cap, oldest evicted first; 0 = no cap
  std::chrono::milliseconds sweep_interval{60000};  // how often retention is enforced
};

struct settings {
  listen_config listen;
  unsigned workers = 0;  // 0 = auto (hardware threads)
  limits_config limits;
  timeouts_config timeouts;
  auth_config auth;
  std::vector<provider_config> providers;
  std::vector<model_route> models;
  logging_config logging;
  store_config store;

  const provider_config* find_provider(std::string_view name) const;
};

// Error with the place in the file it comes from. `line` is 1-based, 0 when unknown.
struct config_error {
  std::string file;
  int line = 0;
  std::string reason;
  std::string to_string() const;  // "file:line: reason"
};

// Returns the settings or the first error. Unknown keys are errors (typos must not pass silently).
// `${VAR}` and `${VAR:-default}` in scalar values are replaced from the environment; an unset
// variable without a default is an error naming it.
struct load_result {
  std::optional<settings> value;
  std::optional<config_error> error;
};
load_result load_file(const std::string& path);
load_result load_string(std::string_view yaml, const std::string& file_name = "<string>");

// A provider base_url split for the transport. The loader only accepts base_urls this parses.
struct parsed_url {
  std::string scheme;       // "https" or "http" (lower case)
  std::string host;         // name or IP literal; an IPv6 literal WITHOUT its brackets
  std::uint16_t port = 0;   // explicit, else 443 for https and 80 for http
  std::string path_prefix;  // "/v1" (no trailing slash), "" if none
  bool tls = false;         // scheme == "https"

  // Value for the Host header: brackets back around IPv6, port only when not the default.
  std::string authority() const;
};
// Accepts `https://host[:port][/path]` and `http://...`; no userinfo, query or fragment.
std::optional<parsed_url> parse_base_url(std::string_view url);

}  // namespace interlingua::config
