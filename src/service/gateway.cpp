#include <interlingua/service/gateway.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>

#include <spdlog/spdlog.h>

#include <interlingua/service/retry.hpp>

#include "relay.hpp"

namespace interlingua::service {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> settled() {
  co_return;
}

// The caller's sink, for run: at the first events the answer has begun and nothing will retry
// it, so the request's prompt is freed. Not a coroutine: no frame of its own for each event.
class answering_sink final : public event_sink {
 public:
  answering_sink(event_sink& sink, core::chat_request& request) : sink_(sink), request_(&request) {}

  asio::awaitable<bool> on_events(const core::event_list& events) override {
    if (request_ != nullptr) {
      request_->release_prompt();
      request_ = nullptr;
    }
    return sink_.on_events(events);
  }

 private:
  event_sink& sink_;
  core::chat_request* request_;
};

net::deadlines deadlines_of(const config::upstream_timeouts& t) {
  return net::deadlines{t.connect, t.tls_handshake, t.first_byte, t.idle_gap, t.total};
}

std::string describe(const core::error& e) {
  std::string out = core::to_string(e.kind);
  if (e.upstream_status != 0) {
    out += " (" + std::to_string(e.upstream_status) + ")";
  }
  return out + ": " + e.message;
}

}  // namespace

struct gateway::provider_state {
  std::unique_ptr<net::connection_pool> pool;
  std::size_t next_key = 0;  // keys are used in turn
  provider_counters counters;
};

gateway::gateway(asio::io_context& io, const config::settings& s,
                 const std::vector<provider_shared>& providers,
                 std::function<void(std::size_t)> pool_evicted)
    : settings_(s), providers_(providers), jitter_(std::random_device{}()) {
  for (const auto& p : providers_) {
    auto state = std::make_unique<provider_state>();
    net::pool_options options;
    options.max_idle = p.cfg->pool_size;
    options.idle_timeout = p.cfg->pool_idle;
    options.tls_session_reuse = p.cfg->tls_session_reuse;
    options.evicted = pool_evicted;
    state->pool = std::make_unique<net::connection_pool>(io.get_executor(), p.endpoint, p.tls,
                                                         std::move(options));
    state_.push_back(std::move(state));
  }
}

gateway::~gateway() = default;

void gateway::close_pools() {
  for (auto& state : state_) {
    state->pool->close_all();
  }
}

void gateway::renew_kept_sessions() {
  for (auto& state : state_) {
    state->pool->renew_kept_session();
  }
}

const provider_counters& gateway::counters(std::size_t provider) const {
  return state_[provider]->counters;
}

core::result<std::vector<gateway::route_target>> gateway::resolve(std::string_view model) const {
  auto index_of = [&](const std::string& name) {
    std::size_t i = 0;
    while (i < providers_.size() && providers_[i].cfg->name != name) {
      ++i;
    }
    return i;  // the loader checked that every route names a configured provider
  };
  for (const auto& r : settings_.models) {
    bool prefix = !r.match.empty() && r.match.back() == '*';
    std::string_view stem(r.match.data(), prefix ? r.match.size() - 1 : r.match.size());
    bool hit = prefix ? model.substr(0, stem.size()) == stem : model == stem;
    if (!hit) {
      continue;
    }
    // "openai/*" names a provider namespace (Opper-style ids): the upstream gets the rest.
    // "gpt-*" is a family: the upstream gets the whole name.
    bool strip = prefix && !stem.empty() && stem.back() == '/';
    std::string upstream = !r.upstream_model.empty() ? r.upstream_model
                           : strip                   ? std::string(model.substr(stem.size()))
                                                     : std::string(model);
    std::vector<route_target> targets;
    targets.push_back(route_target{index_of(r.provider), upstream});
    for (const auto& f : r.fallbacks) {
      targets.push_back(route_target{index_of(f.provider),
                                     f.upstream_model.empty() ? upstream : f.upstream_model});
    }
    return targets;
  }
  return core::make_error(core::error_kind::not_found,
                          "model \"" + std::string(model) + "\" is not served by this gateway",
                          "model");
}

core::result<void> gateway::check(const core::chat_request& request) const {
  auto targets = resolve(request.model);
  if (!targets) {
    return targets.error();
  }
  // Refused only when no target of the route could take it (the first one's reason).
  std::optional<core::error> first;
  for (const auto& t : *targets) {
    core::upstream_target where{t.upstream_model, {}, {}};
    auto encoded = providers_[t.provider].codec->encode(request, where);
    if (encoded) {
      return {};
    }
    if (!first) {
      first = encoded.error();
    }
  }
  return *first;
}

asio::awaitable<call_outcome> gateway::run(core::chat_request& request, event_sink& sink,
                                           const call_options& options) {
  call_outcome out;
  auto targets = resolve(request.model);
  if (!targets) {
    out.error = targets.error();
    co_return out;
  }
  answering_sink answering(sink, request);
  if (!options.cancel.is_connected()) {
    co_await run_targets(request, *targets, answering, options, out);
    co_return out;
  }
  // The call runs as its own coroutine bound to the caller's slot: cancellation aborts the
  // upstream wait in flight, and `out` still gets what the call learnt (usage so far included).
  auto executor = co_await asio::this_coro::executor;
  asio::cancellation_slot slot = options.cancel;
  auto token = asio::bind_cancellation_slot(slot, use_tuple);
  auto call = run_targets(request, *targets, answering, options, out);  // g++ 12: not inline
  auto [thrown] = co_await asio::co_spawn(executor, std::move(call), std::move(token));
  // co_spawn leaves its forwarding handler in the slot: a later emit (the client leaving after
  // the call) must not reach the finished call.
  slot.clear();
  if (thrown) {
    std::rethrow_exception(thrown);
  }
  co_return out;
}

asio::awaitable<void> gateway::run_targets(const core::chat_request& request,
                                           const std::vector<route_target>& targets,
                                           event_sink& sink, const call_options& options,
                                           call_outcome& out) {
  // Cancellation is observed, not thrown: the outcome carries what the upstream sent so far.
  co_await asio::this_coro::throw_if_cancelled(false);
  auto executor = co_await asio::this_coro::executor;
  unsigned attempts = 0;
  for (std::size_t t = 0; t < targets.size(); ++t) {
    const route_target& target = targets[t];
    provider_state& state = *state_[target.provider];
    const config::provider_config& cfg = *providers_[target.provider].cfg;
    if (t > 0) {
      state.counters.fallbacks.fetch_add(1, std::memory_order_relaxed);
    }
    for (unsigned tries = 1;; ++tries) {
      if (tries > 1) {
        state.counters.retries.fetch_add(1, std::memory_order_relaxed);
      }
      state.counters.attempts.fetch_add(1, std::memory_order_relaxed);
      ++attempts;
      co_await attempt(request, target, sink, options, out);
      out.attempts = attempts;
      bool gone = out.client_gone;
      if (!gone) {
        gone = co_await net::cancelled();
        out.client_gone = gone;
      }
      if (gone) {
        state.counters.cancelled.fetch_add(1, std::memory_order_relaxed);
        out.error.reset();
        co_return;
      }
      if (!out.error) {
        co_return;  // answered (a failure after the answer began went to the sink)
      }
      state.counters.failures.fetch_add(1, std::memory_order_relaxed);
      double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(jitter_);
      auto wait = retry_wait(cfg.retry, tries, *out.error, out.retry_after, jitter);
      bool fallback = !wait && t + 1 < targets.size() && worth_fallback(*out.error);
      std::string next = wait ? "retrying in " + std::to_string(wait->count()) + " ms"
                         : fallback
                             ? "falling back to " + providers_[targets[t + 1].provider].cfg->name
                             : "giving up";
      spdlog::warn("request {}: upstream {} ({}) try {} of {} failed: {}; {}", options.request_id,
                   cfg.name, target.upstream_model, tries, cfg.retry.attempts, describe(*out.error),
                   next);
      if (!wait) {
        if (!fallback) {
          co_return;
        }
        break;
      }
      asio::steady_timer timer(executor, *wait);
      auto [ec] = co_await timer.async_wait(use_tuple);
      if (ec) {
        state.counters.cancelled.fetch_add(1, std::memory_order_relaxed);
        out.error.reset();
        out.client_gone = true;
        co_return;
      }
    }
  }
}

// Not a coroutine: it encodes the request and hands it to relay's frame, so no frame of its own
// (with slots for the encoding's temporaries) lives for the length of the call.
asio::awaitable<void> gateway::attempt(const core::chat_request& request,
                                       const route_target& target, event_sink& sink,
                                       const call_options& options, call_outcome& out) {
  const provider_shared& p = providers_[target.provider];
  provider_state& state = *state_[target.provider];
  out = call_outcome{};  // each try starts afresh: no error, usage or Retry-After of the last
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
    return settled();
  }
  bool stream = encoded->stream;
  std::string target_path = p.base_path + encoded->path;
  return relay(*state.pool, *p.codec,
               build_request(std::move(target_path), p.host_header, std::move(*encoded)), stream,
               deadlines_of(p.cfg->timeouts), settings_.limits.max_sse_event_bytes, sink, out);
}

}  // namespace interlingua::service
