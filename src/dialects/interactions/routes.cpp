#include <interlingua/dialects/interactions.hpp>
#include <interlingua/dialects/interactions_routes.hpp>

#include <interlingua/core/ids.hpp>

namespace interlingua::dialects::interactions {

namespace {

namespace asio = boost::asio;
using server::exchange;

asio::awaitable<void> send_error(exchange& ex, const core::error& e) {
  auto rendered = render_error(e);
  ex.record().error = core::to_string(e.kind);
  co_await ex.respond_json(rendered.status, std::move(rendered.body));
}

// Renders events to the client as they come; the HTTP head goes out with the first of them so a
// failure before that is still an HTTP error.
class stream_sink final : public service::event_sink {
 public:
  stream_sink(exchange& ex, interaction_meta meta, bool summaries)
      : ex_(ex), renderer_(std::move(meta), summaries) {}

  asio::awaitable<bool> on_events(const core::event_list& events) override {
    buf_.clear();
    if (!begun_) {
      begun_ = true;
      // g++ 12: a co_await inside an if-condition of a member coroutine can corrupt `this`.
      bool open = co_await ex_.begin_stream(200, "text/event-stream");
      if (!open) {
        co_return false;
      }
      renderer_.begin(buf_);
    }
    for (const auto& e : events) {
      renderer_.on(e, buf_);
    }
    bool written = co_await ex_.write(buf_);
    co_return written;
  }

  // Completes the stream (or starts and completes it when the upstream sent nothing).
  asio::awaitable<void> finish() {
    if (!begun_) {
      // No co_await inside && : g++ 12 miscompiles temporaries in short-circuit co_await.
      core::event_list none;
      bool alive = co_await on_events(none);
      if (!alive) {
        co_return;
      }
    }
    buf_.clear();
    renderer_.complete(buf_);
    bool written = co_await ex_.write(buf_);
    if (written) {
      co_await ex_.end_stream();
    }
  }

  bool begun() const { return begun_; }

 private:
  exchange& ex_;
  stream_renderer renderer_;
  std::string buf_;
  bool begun_ = false;
};

class unary_sink final : public service::event_sink {
 public:
  asio::awaitable<bool> on_events(const core::event_list& events) override {
    acc_.on(events);
    co_return true;
  }
  core::reply take() { return acc_.take(); }

 private:
  core::accumulator acc_;
};

void note(exchange& ex, const service::call_outcome& out) {
  ex.record().upstream = out.provider;
  ex.record().input_tokens = out.usage.input;
  ex.record().output_tokens = out.usage.output + out.usage.reasoning;
}

asio::awaitable<void> create(exchange& ex, service::gateway& g) {
  auto parsed = parse_create(ex.req().body());
  if (!parsed) {
    co_await send_error(ex, parsed.error());
    co_return;
  }
  create_request& req = *parsed;
  ex.record().model = req.chat.model;
  if (req.background) {
    co_await send_error(ex, core::make_error(core::error_kind::invalid_request,
                                             "background: runs in the background are not supported yet",
                                             "background"));
    co_return;
  }
  if (!req.previous_interaction_id.empty()) {
    co_await send_error(ex, core::make_error(core::error_kind::not_found,
                                             "previous_interaction_id: interaction \"" +
                                                 req.previous_interaction_id + "\" not found",
                                             "previous_interaction_id"));
    co_return;
  }
  auto now = std::chrono::system_clock::now();
  interaction_meta meta{req.store ? core::random_id("v1_", 32) : std::string{}, req.chat.model,
                        "in_progress", now, now, {}};
  if (req.chat.stream) {
    stream_sink sink(ex, meta, req.chat.params.reasoning_summaries);
    auto out = co_await g.run(std::move(req.chat), sink);
    note(ex, out);
    if (out.error && !sink.begun()) {
      co_await send_error(ex, *out.error);
    } else if (!out.client_gone) {
      co_await sink.finish();
    }
    co_return;
  }
  unary_sink sink;
  auto out = co_await g.run(std::move(req.chat), sink);
  note(ex, out);
  if (out.error) {
    co_await send_error(ex, *out.error);
    co_return;
  }
  core::reply reply = sink.take();
  meta.status = status_of(reply);
  meta.updated = std::chrono::system_clock::now();
  co_await ex.respond_json(200, render_reply(meta, reply));
}

// Stored interactions arrive with the store; until then every id is unknown.
asio::awaitable<void> unknown_interaction(exchange& ex) {
  const std::string& id = ex.params().empty() ? std::string{} : ex.params().front();
  co_await send_error(ex, core::make_error(core::error_kind::not_found,
                                           "interaction \"" + id + "\" not found", "id"));
}

}  // namespace

void add_routes(server::router& r, service::gateway& g) {
  namespace http = boost::beast::http;
  for (std::string prefix : {"/v3/compat/v1beta", "/v3/compat/v1", "/v1beta", "/v1"}) {
    std::string base = prefix + "/interactions";
    r.add(http::verb::post, base, [&g](exchange& ex) { return create(ex, g); });
    r.add(http::verb::get, base + "/{id}", [](exchange& ex) { return unknown_interaction(ex); });
    r.add(http::verb::delete_, base + "/{id}", [](exchange& ex) { return unknown_interaction(ex); });
    r.add(http::verb::post, base + "/{id}/cancel",
          [](exchange& ex) { return unknown_interaction(ex); });
  }
}

}  // namespace interlingua::dialects::interactions
