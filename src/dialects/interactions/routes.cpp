#include <interlingua/dialects/interactions.hpp>
#include <interlingua/dialects/interactions_routes.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>

#include <interlingua/core/ids.hpp>

#include "background.hpp"

namespace interlingua::dialects::interactions {

namespace {

namespace asio = boost::asio;
using server::exchange;

asio::awaitable<void> send_error(exchange& ex, const core::error& e) {
  auto rendered = render_error(e);
  ex.record().error = core::to_string(e.kind);
  std::string type = "application/json";
  server::header_list headers;
  if (e.retry_after_s) {
    headers.emplace_back("retry-after", std::to_string(*e.retry_after_s));  // the upstream's
  }
  co_await ex.respond(rendered.status, std::move(type), std::move(rendered.body),
                      std::move(headers));
}

// A renderer for a new stream, from its start: make() fails only on a resume point.
stream_renderer new_renderer(interaction_meta meta, stream_options options) {
  options.last_event_id.clear();
  return std::move(*stream_renderer::make(std::move(meta), std::move(options)));
}

// Renders events to the client as they come; the HTTP head goes out with the first of them so a
// failure before that is still an HTTP error.
class stream_sink final : public service::event_sink {
 public:
  // A new stream. The renderer is built in place, so a coroutine holding the sink holds no
  // second renderer beside it.
  stream_sink(exchange& ex, interaction_meta meta, stream_options options)
      : ex_(ex), renderer_(new_renderer(std::move(meta), std::move(options))) {}

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

  const core::reply& folded() const { return renderer_.folded(); }

  // Completes the stream (or starts and completes it when the upstream sent nothing); with
  // `failure`, ends it with that in-band error instead.
  asio::awaitable<void> finish(const core::error* failure) {
    if (!begun_) {
      // No co_await inside && : g++ 12 miscompiles temporaries in short-circuit co_await.
      core::event_list none;
      bool alive = co_await on_events(none);
      if (!alive) {
        co_return;
      }
    }
    buf_.clear();
    if (failure != nullptr) {
      renderer_.fail(*failure, buf_);
    } else {
      renderer_.complete(buf_);
    }
    co_await ex_.end_stream(buf_);
  }

  bool begun() const { return begun_; }

 private:
  exchange& ex_;
  stream_renderer renderer_;
  std::string buf_;
  bool begun_ = false;
};

// previous_interaction_id: the chain's turns, oldest first. The first link must exist (404
// otherwise); a deleted link further back ends the history there.
asio::awaitable<core::result<std::vector<core::turn>>> load_history(store::async_interactions& st,
                                                                    std::string id,
                                                                    std::string owner) {
  constexpr std::size_t max_chain = 1000;  // also stops a cycle
  std::vector<store::interaction_record> chain;
  while (!id.empty() && chain.size() < max_chain) {
    auto got = co_await st.get(id, owner);
    if (!got) {
      co_return got.error();
    }
    if (!got->has_value()) {
      if (chain.empty()) {
        co_return core::make_error(core::error_kind::not_found,
                                   "previous_interaction_id: interaction \"" + id + "\" not found",
                                   "previous_interaction_id");
      }
      break;
    }
    if (chain.empty() && (*got)->status == "in_progress") {
      // Its answer is not there yet: continuing now would drop it from the conversation.
      co_return core::make_error(core::error_kind::invalid_request,
                                 "previous_interaction_id: interaction \"" + id +
                                     "\" is still running; wait for it to finish or cancel it",
                                 "previous_interaction_id");
    }
    id = (*got)->previous_id;
    chain.push_back(std::move(**got));
  }
  std::vector<core::turn> turns;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    auto part = turns_of(*it);
    if (!part) {
      co_return part.error();
    }
    for (auto& t : *part) {
      turns.push_back(std::move(t));
    }
  }
  co_return turns;
}

// SDK 1.x and `Api-Revision: 2026-05-07` get the legacy "outputs" schema (spec §9).
schema form_of(const exchange& ex) {
  return wants_legacy(ex.header("api-revision"), ex.header("user-agent"),
                      ex.header("x-goog-api-client"))
             ? schema::legacy
             : schema::steps;
}

void note(exchange& ex, const service::call_outcome& out) {
  ex.record().upstream = out.provider;
  ex.record().attempts = out.attempts;
  ex.record().input_tokens = out.usage.input;
  ex.record().output_tokens = out.usage.output + out.usage.reasoning;
}

// Persists the finished interaction when the request asked for storage (store: true).
struct stored_call {
  store::async_interactions& st;
  const create_request& req;
  const std::vector<core::turn>& input;
  std::string owner;

  // Sets meta's final status and time; writes the record unless store is false.
  asio::awaitable<core::result<void>> save(interaction_meta& meta, const core::reply& reply,
                                           bool client_gone) {
    meta.status = client_gone ? "incomplete" : status_of(reply);
    meta.updated = std::chrono::system_clock::now();
    core::result<void> saved;
    if (req.store) {
      auto record = make_record(meta, req, input, reply, owner);  // g++ 12: not in the co_await
      saved = co_await st.put(std::move(record));
    }
    co_return saved;
  }
};

// background: true — the interaction is stored as in_progress, answered at once (or followed
// as a stream), and run detached on this worker.
// Takes `input` and `meta` from the caller (by reference: a by-value argument is a copy in the
// caller's frame too).
asio::awaitable<void> create_background(exchange& ex, service::gateway& g,
                                        store::async_interactions& st, background_runs& runs,
                                        create_request& req, std::vector<core::turn>& input,
                                        interaction_meta& meta) {
  // What the provider would refuse (unknown model, media it cannot take, built-in tools) is
  // the request's error now, not the run's later.
  if (auto checked = g.check(req.chat); !checked) {
    co_await send_error(ex, checked.error());
    co_return;
  }
  auto executor = co_await asio::this_coro::executor;
  auto run = runs.start(meta.id, executor, req.chat.params.reasoning_summaries);
  if (!run) {
    core::error closing = core::make_error(core::error_kind::upstream_unavailable,
                                           "the gateway is shutting down; try again");
    co_await send_error(ex, closing);
    co_return;
  }
  // Durable before acknowledged: a crash from here on leaves a record the restart marks failed.
  // g++ 12: no temporaries with destructors inside the co_await expression.
  const core::reply nothing_yet;
  auto record = make_record(meta, req, input, nothing_yet, ex.owner());
  auto saved = co_await st.put(std::move(record));
  if (!saved) {
    runs.remove(meta.id);
    co_await send_error(ex, saved.error());
    co_return;
  }
  bool stream = req.chat.stream;
  stream_options options{req.chat.params.reasoning_summaries, form_of(ex), {}};
  // The run always streams from the upstream, so followers see the answer as it comes.
  req.chat.stream = true;
  background_job job{
      run,        std::move(req.chat),          std::move(req), std::move(input), meta,
      ex.owner(), ex.trace().upstream_headers()};
  asio::co_spawn(executor, run_background(g, st, runs, std::move(job)), asio::detached);
  if (stream) {
    co_await follow(ex, run, std::move(meta), std::move(options));
    co_return;
  }
  std::string body = render_reply(meta, nothing_yet, options.form);
  co_await ex.respond_json(200, std::move(body));
}

// After the stream: stores the interaction, then completes the stream (or ends it with the
// store's failure). A coroutine of its own, so the stream's frame holds none of its locals.
asio::awaitable<void> end_streamed(stored_call& call, interaction_meta& meta, stream_sink& sink,
                                   bool client_gone) {
  // Stored before interaction.completed goes out: a completed stream is a durable one.
  auto saved = co_await call.save(meta, sink.folded(), client_gone);
  if (client_gone) {
    co_return;
  }
  std::optional<core::error> failure;
  if (!saved) {
    failure = saved.error();
  }
  const core::error* reason = failure ? &*failure : nullptr;
  co_await sink.finish(reason);
}

// stream: true, not in the background. Its own coroutine: a frame lives as long as the stream,
// and g++ gives every local of a coroutine its own slot, so one frame for both ways of answering
// held the locals of both, 6.3 KB an open stream (bench/RESULTS.md, memory per stream).
asio::awaitable<void> create_streamed(exchange& ex, service::gateway& g, stored_call& call,
                                      create_request& req, interaction_meta& meta) {
  stream_sink sink(ex, meta, stream_options{req.chat.params.reasoning_summaries, form_of(ex), {}});
  service::gateway::call_options options{
      ex.trace().upstream_headers(), {}, ex.watch_disconnect(), ex.request_id()};
  auto out = co_await g.run(req.chat, sink, options);
  note(ex, out);
  if (out.error && !sink.begun()) {
    co_await send_error(ex, *out.error);
    co_return;
  }
  co_await end_streamed(call, meta, sink, out.client_gone);
}

asio::awaitable<void> create_unary(exchange& ex, service::gateway& g, stored_call& call,
                                   create_request& req, interaction_meta& meta) {
  service::reply_sink sink;
  service::gateway::call_options options{
      ex.trace().upstream_headers(), {}, ex.watch_disconnect(), ex.request_id()};
  bool summaries = req.chat.params.reasoning_summaries;
  auto out = co_await g.run(req.chat, sink, options);
  note(ex, out);
  if (out.error) {
    co_await send_error(ex, *out.error);
    co_return;
  }
  core::reply reply = sink.take();
  if (!summaries) {
    // thinking_summaries not "auto": thoughts keep their signatures but carry no summary, as a
    // stream would send them (spec §6.3).
    for (auto& p : reply.parts) {
      if (auto* t = std::get_if<core::thought_part>(&p)) {
        t->text.clear();
      }
    }
  }
  auto saved = co_await call.save(meta, reply, false);
  if (!saved) {
    co_await send_error(ex, saved.error());
    co_return;
  }
  std::string body = render_reply(meta, reply, form_of(ex));
  co_await ex.respond_json(200, std::move(body));
}

asio::awaitable<void> create(exchange& ex, service::gateway& g, store::async_interactions& st,
                             background_runs& runs) {
  auto parsed = parse_create(ex.req().body());
  if (!parsed) {
    co_await send_error(ex, parsed.error());
    co_return;
  }
  ex.release_body();  // parsed: a stream's answer need not keep the prompt twice
  create_request& req = *parsed;
  ex.record().model = req.chat.model;
  // What this interaction stores as its input (copied only when it will be stored).
  std::vector<core::turn> input;
  if (req.store) {
    input = req.chat.turns;
  }
  if (!req.previous_interaction_id.empty()) {
    auto history = co_await load_history(st, req.previous_interaction_id, ex.owner());
    if (!history) {
      co_await send_error(ex, history.error());
      co_return;
    }
    for (auto& t : req.chat.turns) {
      history->push_back(std::move(t));
    }
    req.chat.turns = std::move(*history);
  }
  auto now = std::chrono::system_clock::now();
  interaction_meta meta{req.store ? core::random_id("v1_", 32) : std::string{},
                        req.chat.model,
                        "in_progress",
                        now,
                        now,
                        req.previous_interaction_id};
  if (req.background) {
    co_await create_background(ex, g, st, runs, req, input, meta);
    co_return;
  }
  stored_call call{st, req, input, ex.owner()};
  if (req.chat.stream) {
    co_await create_streamed(ex, g, call, req, meta);
  } else {
    co_await create_unary(ex, g, call, req, meta);
  }
}

const std::string& id_of(const exchange& ex) {
  return ex.params().front();
}

core::error unknown(const std::string& id) {
  return core::make_error(core::error_kind::not_found, "interaction \"" + id + "\" not found",
                          "id");
}

// GET: the stored interaction, or its replay as a stream with ?stream=true.
// The caller's stored interaction named in the path; when there is none (or the store failed)
// the error answer has been sent and the result is empty.
asio::awaitable<std::optional<store::interaction_record>> find_stored(
    exchange& ex, store::async_interactions& st) {
  auto got = co_await st.get(id_of(ex), ex.owner());
  if (got && got->has_value()) {
    co_return std::move(*got);
  }
  core::error e = got ? unknown(id_of(ex)) : got.error();  // not inside co_await: g++ 12
  co_await send_error(ex, e);
  co_return std::nullopt;
}

asio::awaitable<void> get(exchange& ex, store::async_interactions& st, background_runs& runs) {
  auto got = co_await find_stored(ex, st);
  if (!got) {
    co_return;
  }
  ex.record().model = got->model;
  if (ex.query("stream").value_or("") == "true") {
    // Replays carry thought summaries (what was stored); a live run follows its request.
    stream_options options{true, form_of(ex), ex.query("last_event_id").value_or("")};
    // A background run still going is followed live; once it has recorded itself, replayed.
    if (got->status == "in_progress") {
      if (auto run = runs.find(got->id)) {
        options.thought_summaries = run->thought_summaries();
        interaction_meta meta = meta_of(*got);  // g++ 12: not built inside the co_await
        co_await follow(ex, run, std::move(meta), std::move(options));
        co_return;
      }
      auto again = co_await find_stored(ex, st);  // it may have finished just now
      if (!again) {
        co_return;
      }
      got = std::move(again);
    }
    auto events = render_replay(*got, options);
    if (!events) {
      co_await send_error(ex, events.error());
      co_return;
    }
    bool open = co_await ex.begin_stream(200, "text/event-stream");
    if (!open) {
      co_return;
    }
    co_await ex.end_stream(*events);
    co_return;
  }
  bool include_input = ex.query("include_input").value_or("") == "true";
  std::string body = render_stored(*got, include_input, form_of(ex));
  co_await ex.respond_json(200, std::move(body));
}

// Stops a background run still going (cancel, DELETE): its upstream read is aborted at once.
void stop_run(const std::shared_ptr<run_state>& run) {
  if (run->request_stop("cancelled", std::nullopt)) {
    asio::post(run->executor(), [run] { run->signal().emit(asio::cancellation_type::terminal); });
  }
}

asio::awaitable<void> remove(exchange& ex, store::async_interactions& st, background_runs& runs) {
  auto removed = co_await st.remove(id_of(ex), ex.owner());
  if (!removed || !*removed) {
    core::error e = removed ? unknown(id_of(ex)) : removed.error();
    co_await send_error(ex, e);
    co_return;
  }
  // Deleting a running interaction also stops it; its end is then recorded nowhere.
  if (auto run = runs.find(id_of(ex))) {
    stop_run(run);
  }
  co_await ex.respond_json(200, "{}");
}

// How long cancel waits for the run to stop and record itself before answering anyway.
constexpr std::chrono::seconds cancel_wait{10};

// Only a background run still in progress can be cancelled: its upstream call is stopped at
// once and it is recorded as cancelled with what it produced so far.
asio::awaitable<void> cancel(exchange& ex, store::async_interactions& st, background_runs& runs) {
  auto got = co_await find_stored(ex, st);
  if (!got) {
    co_return;
  }
  if (auto run = runs.find(got->id); run && got->status == "in_progress") {
    stop_run(run);
    bool finished = co_await wait_finished(run, cancel_wait);
    auto after = co_await find_stored(ex, st);
    if (after) {
      if (!finished) {
        after->status = "cancelled";  // requested; the run records it when its read returns
      }
      std::string body = render_stored(*after, false, form_of(ex));
      co_await ex.respond_json(200, std::move(body));
    }
    co_return;
  }
  core::error e = core::make_error(core::error_kind::invalid_request,
                                   "interaction \"" + id_of(ex) + "\" is not running (status " +
                                       got->status + "); only background runs can be cancelled",
                                   "id");
  co_await send_error(ex, e);
}

}  // namespace

void add_routes(server::router& r, service::gateway& g, store::async_interactions& st,
                background_runs& runs) {
  namespace http = boost::beast::http;
  for (std::string prefix : {"/v3/compat/v1beta", "/v3/compat/v1", "/v1beta", "/v1"}) {
    std::string base = prefix + "/interactions";
    r.add(http::verb::post, base,
          [&g, &st, &runs](exchange& ex) { return create(ex, g, st, runs); });
    r.add(http::verb::get, base + "/{id}",
          [&st, &runs](exchange& ex) { return get(ex, st, runs); });
    r.add(http::verb::delete_, base + "/{id}",
          [&st, &runs](exchange& ex) { return remove(ex, st, runs); });
    r.add(http::verb::post, base + "/{id}/cancel",
          [&st, &runs](exchange& ex) { return cancel(ex, st, runs); });
  }
}

}  // namespace interlingua::dialects::interactions
