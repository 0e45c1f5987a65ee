#include <interlingua/service/gateway.hpp>

#include <boost/beast/http/field.hpp>

#include "relay.hpp"

namespace interlingua::service {

struct gateway::provider_state {
  std::unique_ptr<net::connection_pool> pool;
  std::size_t next_key = 0;  // keys are used in turn
};

gateway::gateway(asio::io_context& io, const config::settings& s,
                 const std::vector<provider_shared>& providers)
    : settings_(s), providers_(providers) {
  for (const auto& p : providers_) {
    auto state = std::make_unique<provider_state>();
    state->pool = std::make_unique<net::connection_pool>(
        io.get_executor(), p.endpoint, p.tls,
        net::pool_options{p.cfg->pool_size, p.cfg->pool_idle});
    state_.push_back(std::move(state));
  }
}

gateway::~gateway() = default;

void gateway::close_pools() {
  for (auto& state : state_) {
    state->pool->close_all();
  }
}

core::result<gateway::route_target> gateway::resolve(std::string_view model) const {
  for (const auto& r : settings_.models) {
    bool prefix = !r.match.empty() && r.match.back() == '*';
    std::string_view stem(r.match.data(), prefix ? r.match.size() - 1 : r.match.size());
    bool hit = prefix ? model.substr(0, stem.size()) == stem : model == stem;
    if (!hit) {
      continue;
    }
    for (std::size_t i = 0; i < providers_.size(); ++i) {
      if (providers_[i].cfg->name == r.provider) {
        // "openai/*" names a provider namespace (Opper-style ids): the upstream gets the rest.
        // "gpt-*" is a family: the upstream gets the whole name.
        bool strip = prefix && !stem.empty() && stem.back() == '/';
        std::string upstream = !r.upstream_model.empty() ? r.upstream_model
                               : strip                   ? std::string(model.substr(stem.size()))
                                                         : std::string(model);
        return route_target{i, std::move(upstream)};
      }
    }
  }
  return core::make_error(core::error_kind::not_found,
                          "model \"" + std::string(model) + "\" is not served by this gateway",
                          "model");
}

core::result<void> gateway::check(const core::chat_request& request) const {
  auto target = resolve(request.model);
  if (!target) {
    return target.error();
  }
  core::upstream_target where{target->upstream_model, {}, {}};
  auto encoded = providers_[target->provider].codec->encode(request, where);
  if (!encoded) {
    return encoded.error();
  }
  return {};
}

asio::awaitable<call_outcome> gateway::run(core::chat_request request, event_sink& sink,
                                           call_options options) {
  auto target = resolve(request.model);
  if (!target) {
    call_outcome out;
    out.error = target.error();
    co_return out;
  }
  co_return co_await attempt(request, *target, sink, options);
}

asio::awaitable<call_outcome> gateway::attempt(const core::chat_request& request,
                                               const route_target& target, event_sink& sink,
                                               const call_options& options) {
  const provider_shared& p = providers_[target.provider];
  provider_state& state = *state_[target.provider];
  call_outcome out;
  out.provider = p.cfg->name;
  out.upstream_model = target.upstream_model;

  core::upstream_target where{target.upstream_model, {}, {}};
  if (!options.api_key.empty()) {
    where.api_key = options.api_key;  // the caller's own provider key (never stored or logged)
  } else if (!p.cfg->api_keys.empty()) {
    where.api_key = p.cfg->api_keys[state.next_key++ % p.cfg->api_keys.size()];
  }
  for (const auto& [name, value] : p.cfg->headers) {
    where.extra_headers.push_back({name, value});
  }
  where.extra_headers.insert(where.extra_headers.end(), options.trace.begin(), options.trace.end());
  auto encoded = p.codec->encode(request, where);
  if (!encoded) {
    out.error = encoded.error();
    co_return out;
  }
  http_request_parts parts{p.base_path + encoded->path, p.host_header, std::move(*encoded)};
  co_return co_await relay(*state.pool, *p.codec, std::move(parts), p.cfg->timeouts,
                           settings_.limits.max_sse_event_bytes, sink, std::move(out));
}

}  // namespace interlingua::service
