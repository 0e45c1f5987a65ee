// The accepted keys of every section, as tables of `field`s, and the embedded defaults for the
// `providers:` and `models:` sections when the file leaves them out.

#include "internal.hpp"

namespace interlingua::config::detail {
namespace {

using std::string_view_literals::operator""sv;

template <class T>
using table = const field<T>[];

// Readers for one member, so each table row is just a key and a member pointer.
template <auto member>
void as_text(reader& r, const entry& e, auto& out) {
  out.*member = r.text(e);
}
template <auto member>
void as_size(reader& r, const entry& e, auto& out) {
  out.*member = r.size(e);
}
template <auto member>
void as_duration(reader& r, const entry& e, auto& out) {
  out.*member = r.duration(e);
}
template <auto member>
void as_bool(reader& r, const entry& e, auto& out) {
  out.*member = r.boolean(e);
}
template <auto member, const auto& fields>
void as_section(reader& r, const entry& e, auto& out) {
  r.fields(e, fields, out.*member);
}

constexpr std::array kinds{"openai_chat"sv, "anthropic"sv, "gemini"sv};
constexpr std::array levels{"trace"sv, "debug"sv, "info"sv, "warn"sv, "error"sv, "off"sv};
// Headers the transport computes itself; a fixed value would corrupt framing or routing.
constexpr std::array managed_headers{"host"sv,       "content-length"sv, "transfer-encoding"sv,
                                     "connection"sv, "upgrade"sv,        "te"sv,
                                     "trailer"sv};

// ---- server side ---------------------------------------------------------------------------

void read_host(reader& r, const entry& e, listen_config& out) {
  out.host = r.text(e, "a host name or address");
  if (out.host.empty()) {
    r.fail(e.line, e.path + ": must not be empty");
  }
}

table<listen_config> listen_fields = {
    {"host", read_host},
    {"port", [](reader& r, const entry& e,
                listen_config& o) { o.port = static_cast<std::uint16_t>(r.integer(e, 0, 65535)); }},
};

table<limits_config> limits_fields = {
    {"max_header_bytes", as_size<&limits_config::max_header_bytes>},
    {"max_body_bytes", as_size<&limits_config::max_body_bytes>},
    {"max_connections", as_size<&limits_config::max_connections>},
    {"max_sse_event_bytes", as_size<&limits_config::max_sse_event_bytes>},
};

table<timeouts_config> timeouts_fields = {
    {"read_ms", as_duration<&timeouts_config::read>},
    {"write_ms", as_duration<&timeouts_config::write>},
    {"idle_ms", as_duration<&timeouts_config::idle>},
    {"shutdown_grace_ms", as_duration<&timeouts_config::shutdown_grace>},
};

table<auth_config> auth_fields = {
    {"keys", [](reader& r, const entry& e, auth_config& o) { o.keys = r.text_list(e); }},
};

table<logging_config> logging_fields = {
    {"level", [](reader& r, const entry& e, logging_config& o) { o.level = r.choice(e, levels); }},
    {"access_log", as_bool<&logging_config::access_log>},
};

void read_workers(reader& r, const entry& e, settings& out) {
  constexpr std::string_view what = "auto or an integer between 1 and 256";
  const std::string value = r.text(e, what);
  if (value == "auto") {
    out.workers = 0;
    return;
  }
  const auto number = parse_uint(value);
  if (!number || *number < 1 || *number > 256) {
    r.fail(e.line, e.path + ": must be " + std::string{what} + ", got " + in_quotes(value));
  }
  out.workers = static_cast<unsigned>(*number);
}

// ---- providers -----------------------------------------------------------------------------

bool is_token_char(char c) {
  // RFC 9110 tchar.
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
  return text;
}

void read_header(reader& r, const entry& e, std::map<std::string, std::string>& out) {
  if (!std::all_of(e.key.begin(), e.key.end(), is_token_char)) {
    r.fail(e.line, e.path + ": not a valid HTTP header name");
  }
  const std::string name = lower(e.key);
  if (std::find(managed_headers.begin(), managed_headers.end(), name) != managed_headers.end()) {
    r.fail(e.line, e.path + ": this header is set by the gateway and cannot be configured");
  }
  for (const auto& [existing, value] : out) {
    if (lower(existing) == name) {
      r.fail(e.line, e.path + ": duplicate header (names are case-insensitive)");
    }
  }
  std::string value = r.text(e);
  // Not echoed: header values often carry credentials.
  if (value.find_first_of(std::string_view{"\r\n\0", 3}) != std::string::npos) {
    r.fail(e.line, e.path + ": header value must not contain CR, LF or NUL");
  }
  out.emplace(e.key, std::move(value));
}

void read_kind(reader& r, const entry& e, provider_config& o) {
  const std::string kind = r.choice(e, kinds);
  o.kind = kind == "anthropic" ? provider_kind::anthropic
           : kind == "gemini"  ? provider_kind::gemini
                               : provider_kind::openai_chat;
}

void read_api_key(reader& r, const entry& e, provider_config& o) {
  std::string key = r.text(e);
  o.api_keys.clear();
  if (!key.empty()) {
    o.api_keys.push_back(std::move(key));
  }
}

table<upstream_timeouts> upstream_timeout_fields = {
    {"connect_ms", as_duration<&upstream_timeouts::connect>},
    {"tls_handshake_ms", as_duration<&upstream_timeouts::tls_handshake>},
    {"first_byte_ms", as_duration<&upstream_timeouts::first_byte>},
    {"idle_gap_ms", as_duration<&upstream_timeouts::idle_gap>},
    {"total_ms", as_duration<&upstream_timeouts::total>},
};

table<retry_policy> retry_fields = {
    {"attempts", [](reader& r, const entry& e,
                    retry_policy& o) { o.attempts = static_cast<unsigned>(r.integer(e, 1, 10)); }},
    {"backoff_ms", as_duration<&retry_policy::backoff>},
    {"max_backoff_ms", as_duration<&retry_policy::max_backoff>},
    {"max_retry_after_ms", as_duration<&retry_policy::max_retry_after>},
};

table<provider_config> provider_fields = {
    {"kind", read_kind},
    {"base_url", as_text<&provider_config::base_url>},
    {"api_key", read_api_key},
    {"api_keys",
     [](reader& r, const entry& e, provider_config& o) { o.api_keys = r.text_list(e); }},
    {"ca_file", as_text<&provider_config::ca_file>},
    {"allow_plain_http", as_bool<&provider_config::allow_plain_http>},
    {"pool_size",
     [](reader& r, const entry& e, provider_config& o) { o.pool_size = r.integer(e, 1, 100000); }},
    {"pool_idle_ms", as_duration<&provider_config::pool_idle>},
    {"tls_session_reuse", as_bool<&provider_config::tls_session_reuse>},
    {"timeouts", as_section<&provider_config::timeouts, upstream_timeout_fields>},
    {"retry", as_section<&provider_config::retry, retry_fields>},
    {"headers",
     [](reader& r, const entry& e, provider_config& o) {
       r.each(e, {}, [&](const entry& h) { read_header(r, h, o.headers); });
     }},
};

void read_providers(reader& r, const entry& e, settings& out) {
  r.each(e, {}, [&](const entry& p) {
    provider_config& provider = out.providers.emplace_back();
    provider.name = p.key;
    r.fields(p, provider_fields, provider);
    if (r.has(p.path + ".api_key") && r.has(p.path + ".api_keys")) {
      r.fail(r.line(p.path + ".api_keys"), p.path + ": give either api_key or api_keys, not both");
    }
  });
  if (!e.value.IsNull() && out.providers.empty()) {
    r.fail(e.line, "providers: must configure at least one provider (or leave the section out)");
  }
}

// ---- models --------------------------------------------------------------------------------

table<route_fallback> fallback_fields = {
    {"provider", as_text<&route_fallback::provider>},
    {"upstream_model", as_text<&route_fallback::upstream_model>},
};

// A list of mappings, each read by `each_item(entry, T&)` into a fresh element of `out`.
template <class T>
void read_list(reader& r, const entry& e, std::string_view shape, std::vector<T>& out,
               void (*each_item)(reader&, const entry&, T&)) {
  if (!e.value.IsSequence()) {
    r.fail(e.line, e.path + ": must be a list of " + std::string(shape));
  }
  for (std::size_t i = 0; i < e.value.size(); ++i) {
    const entry item{"", e.value[i], e.path + "[" + std::to_string(i) + "]", line_of(e.value[i])};
    if (!item.value.IsMap()) {
      r.fail(item.line, item.path + ": must be a mapping like " + std::string(shape));
    }
    r.record(item);
    each_item(r, item, out.emplace_back());
  }
}

table<model_route> route_fields = {
    {"match", as_text<&model_route::match>},
    {"provider", as_text<&model_route::provider>},
    {"upstream_model", as_text<&model_route::upstream_model>},
    {"fallbacks",
     [](reader& r, const entry& e, model_route& o) {
       read_list<route_fallback>(r, e, "{provider: name, upstream_model: model}", o.fallbacks,
                                 [](reader& rr, const entry& item, route_fallback& f) {
                                   rr.fields(item, fallback_fields, f);
                                 });
     }},
};

void read_models(reader& r, const entry& e, settings& out) {
  if (e.value.IsNull()) {
    return;
  }
  if (!e.value.IsSequence() || e.value.size() == 0) {
    r.fail(e.line,
           "models: must be a non-empty list of {match, provider} routes "
           "(or leave the section out)");
  }
  read_list<model_route>(
      r, e, "{match: \"*\", provider: name}", out.models,
      [](reader& rr, const entry& route, model_route& m) { rr.fields(route, route_fields, m); });
}

// ---- root ----------------------------------------------------------------------------------

table<store_config> store_fields = {
    {"path",
     [](reader& r, const entry& e, store_config& o) {
       o.path = r.text(e, "a file path");
       if (o.path.empty()) {
         r.fail(e.line, e.path + ": must not be empty");
       }
     }},
    {"threads", [](reader& r, const entry& e,
                   store_config& o) { o.threads = static_cast<unsigned>(r.integer(e, 1, 64)); }},
    {"retention_hours",
     [](reader& r, const entry& e, store_config& o) {
       o.retention_hours = r.integer(e, 0, 24 * 365 * 100);
     }},
    {"max_mb", [](reader& r, const entry& e,
                  store_config& o) { o.max_mb = r.integer(e, 0, 1024 * 1024 * 1024); }},
    {"sweep_interval_ms",
     [](reader& r, const entry& e, store_config& o) { o.sweep_interval = r.duration(e); }},
};

table<settings> root_fields = {
    {"store", as_section<&settings::store, store_fields>},
    {"listen", as_section<&settings::listen, listen_fields>},
    {"workers", read_workers},
    {"limits", as_section<&settings::limits, limits_fields>},
    {"timeouts", as_section<&settings::timeouts, timeouts_fields>},
    {"auth", as_section<&settings::auth, auth_fields>},
    {"providers", read_providers},
    {"models", read_models},
    {"logging", as_section<&settings::logging, logging_fields>},
};

void apply_defaults(settings& out) {
  if (out.providers.empty()) {
    provider_config openai;
    openai.name = "openai";
    openai.base_url = "https://api.openai.com/v1";
    out.providers.push_back(std::move(openai));
  }
  if (out.models.empty()) {
    out.models.push_back(model_route{"*", out.providers.front().name, ""});
  }
}

}  // namespace

void read_document(const YAML::Node& root, const std::string& file, settings& out,
                   line_map& lines) {
  reader r{file, lines};
  r.fields(entry{"", root, "", 1}, root_fields, out);
  apply_defaults(out);
}

}  // namespace interlingua::config::detail
