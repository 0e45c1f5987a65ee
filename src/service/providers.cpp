#include <interlingua/service/gateway.hpp>

#include <map>
#include <string>

#include <interlingua/providers/anthropic.hpp>
#include <interlingua/providers/gemini.hpp>
#include <interlingua/providers/openai_chat.hpp>

namespace interlingua::service {

namespace {

std::shared_ptr<const core::provider_codec> codec_for(config::provider_kind kind) {
  switch (kind) {
    case config::provider_kind::openai_chat:
      return providers::openai_chat::make_codec();
    case config::provider_kind::anthropic:
      return providers::anthropic::make_codec();
    case config::provider_kind::gemini:
      return providers::gemini::make_codec();
  }
  return nullptr;
}

const char* kind_name(config::provider_kind kind) {
  switch (kind) {
    case config::provider_kind::openai_chat:
      return "openai_chat";
    case config::provider_kind::anthropic:
      return "anthropic";
    case config::provider_kind::gemini:
      return "gemini";
  }
  return "?";
}

}  // namespace

std::vector<provider_shared> make_providers(const config::settings& s, std::string& error) {
  std::vector<provider_shared> out;
  // One client TLS context per trust configuration, not per provider: each loads the system
  // trust store, about 0.7 MB of parsed certificates (the default file's three providers held
  // three copies). Verification stays per connection (the host's name or address), and resumed
  // sessions are per pool, so sharing the context shares nothing else.
  std::map<std::string, std::shared_ptr<asio::ssl::context>> contexts;  // by ca_file
  for (const auto& p : s.providers) {
    auto url = config::parse_base_url(p.base_url);
    if (!url) {
      error = "provider " + p.name + ": invalid base_url";
      return {};
    }
    provider_shared shared;
    shared.cfg = &p;
    shared.codec = codec_for(p.kind);
    if (!shared.codec) {
      error = "provider " + p.name + ": kind " + kind_name(p.kind) + " is not implemented yet";
      return {};
    }
    if (url->tls) {
      auto& tls = contexts[p.ca_file];
      if (!tls) {
        tls = net::make_client_tls_context(p.ca_file, error);
      }
      if (!tls) {
        error = "provider " + p.name + ": " + error;
        return {};
      }
      shared.tls = tls;
    }
    shared.endpoint = net::endpoint{url->host, url->port, url->tls};
    shared.base_path = url->path_prefix;
    shared.host_header = url->authority();
    out.push_back(std::move(shared));
  }
  return out;
}

}  // namespace interlingua::service
