#pragma once

// Google Interactions API (steps schema, spec interactions-api.md) <-> core. Pure functions;
// only routes.cpp does I/O.

#include <chrono>
#include <compare>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <interlingua/core/model.hpp>
#include <interlingua/core/reply.hpp>
#include <interlingua/core/result.hpp>
#include <interlingua/store/interactions.hpp>

namespace interlingua::dialects::interactions {

struct create_request {
  core::chat_request chat;
  bool store = true;
  bool background = false;
  std::string previous_interaction_id;
  std::string config;  // JSON echo of the request's config (system_instruction, tools, ...)
};

// POST /interactions body -> request. Errors name the offending field in `param`.
core::result<create_request> parse_create(std::string_view body);

// What the interaction object says about itself besides its steps.
struct interaction_meta {
  std::string id;  // empty when store:false (the id is then omitted)
  std::string model;
  std::string status;
  std::chrono::system_clock::time_point created;
  std::chrono::system_clock::time_point updated;
  std::string previous_interaction_id;
};

// Which response shape a client gets: the steps schema (spec §5, §6) or the legacy "outputs"
// schema that SDK 1.x reads (spec §9).
enum class schema { steps, legacy };

// Whether a request asks for the legacy schema: `Api-Revision: 2026-05-07`, or a User-Agent or
// x-goog-api-client naming the JS SDK 1.x (`google-genai-sdk/1.`). Absent headers: empty views.
bool wants_legacy(std::string_view api_revision, std::string_view user_agent,
                  std::string_view goog_api_client);

// Status for a finished reply: completed, requires_action, incomplete or failed.
std::string status_of(const core::reply& reply);

// The unary Interaction JSON.
std::string render_reply(const interaction_meta& meta, const core::reply& reply,
                         schema form = schema::steps);

// Error body and HTTP status in this dialect: {"error":{"code","message"}}.
struct rendered_error {
  unsigned status;
  std::string body;
};
rendered_error render_error(const core::error& e);

// Where an event sits in the answer: what its event_id names (grammar in render_stream.cpp).
// Ordered like the events of a stream, so "after this id" means the same for a live stream and
// for the replay of its stored interaction, which chunks deltas differently.
struct event_position {
  int rank = 0;           // 0 created, 1 status update, 2 a step's events, 3 the terminal event
  int step = 0;           // rank 2: the step index
  int sub = 0;            // rank 2: 0 start, 1 payload delta, 2 signature delta, 3 stop
  std::size_t bytes = 0;  // sub 1: the step's payload bytes sent up to and including the delta
  auto operator<=>(const event_position&) const = default;
};

// How a stream_renderer renders: thought summaries only when the request asked for them.
struct stream_options {
  bool thought_summaries = false;
  schema form = schema::steps;
  std::string last_event_id;  // resume after this event (spec §6.5); empty: from the start
};

// Streams core events as spec §6 SSE events (§9 for schema::legacy), each with an `event_id`.
// Each call appends complete SSE events to `out`.
class stream_renderer {
 public:
  explicit stream_renderer(interaction_meta meta, bool thought_summaries);
  // invalid_request (param "last_event_id") when options.last_event_id is not an event id.
  static core::result<stream_renderer> make(interaction_meta meta, stream_options options);
  // Whether `id` is an event id this renderer could have sent; a resume from anything else is a
  // client error (400).
  static bool valid_event_id(std::string_view id);

  void begin(std::string& out);  // interaction.created + status_update
  // An upstream stream_error becomes the in-band error event (and ends the stream).
  void on(const core::stream_event& e, std::string& out);
  void complete(std::string& out);                                // interaction.completed + done
  void complete_as(const std::string& status, std::string& out);  // with a given final status
  void fail(const core::error& e, std::string& out);              // in-band error event + done
  const core::reply& folded() const { return acc_.current(); }
  bool ended() const { return ended_; }  // completed or failed: nothing more may be written
  // Resuming: whether the events so far contained the last_event_id's position. False once the
  // stream has ended means the id names no event of this interaction (e.g. a step it lacks).
  bool resume_point_seen() const { return !resume_ || resume_seen_; }

 private:
  struct step_state {
    core::part_kind kind = core::part_kind::text;
    std::string call_id;
    std::string call_name;
    std::size_t bytes = 0;  // payload bytes sent so far (the n of "s<i>.<n>")
    std::string signature;  // signatures go out as the thought's last delta
    std::string arguments;  // legacy: a call's arguments, sent whole when the part stops
  };

  stream_renderer(interaction_meta meta, stream_options options,
                  std::optional<event_position> resume);
  void on_start(const core::part_start& s, std::string& out);
  void on_payload(int index, core::part_kind kind, std::string_view bytes, std::string& out);
  void on_signature(int index, std::string_view bytes);
  void on_stop(int index, std::string& out);
  void emit_call(int step, std::string& out);
  step_state* step_of(int part_index, int* step);
  bool passes(const event_position& at);
  std::size_t delta_skip(int step, std::size_t from, std::size_t to);
  std::string_view name(std::string_view steps_name, std::string_view legacy_name) const;

  interaction_meta meta_;
  stream_options options_;
  std::optional<event_position> resume_;
  bool resume_seen_ = false;
  core::accumulator acc_;
  std::vector<int> step_of_part_;
  std::vector<step_state> steps_;
  bool ended_ = false;
};

// ---- stored interactions (stored.cpp) --------------------------------------------------------

// The record kept for an interaction: its input as steps, the reply's steps, usage, status.
store::interaction_record make_record(const interaction_meta& meta, const create_request& req,
                                      const std::vector<core::turn>& input,
                                      const core::reply& reply, std::string owner);

// GET: the stored Interaction. Spec §5.1 calls GET the interaction's whole timeline; the input
// steps lead the output steps only with include_input, as the project's issue asks.
// What a stored record says about the interaction besides its steps.
interaction_meta meta_of(const store::interaction_record& r);

// Legacy clients get the §9 object (`outputs`, the model's output only).
std::string render_stored(const store::interaction_record& r, bool include_input,
                          schema form = schema::steps);

// GET ?stream=true: the stored interaction replayed as the events a live stream would give.
// With options.last_event_id, only the events after it (spec §6.5); an id that is not an event
// of this interaction is invalid_request naming last_event_id.
core::result<std::string> render_replay(const store::interaction_record& r,
                                        const stream_options& options);

// The conversation one stored interaction contributes to a later one: its input, then its
// output, as turns.
core::result<std::vector<core::turn>> turns_of(const store::interaction_record& r);

}  // namespace interlingua::dialects::interactions
