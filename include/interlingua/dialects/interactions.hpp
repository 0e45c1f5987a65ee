#pragma once

// Google Interactions API (steps schema, spec interactions-api.md) <-> core. Pure functions;
// only routes.cpp does I/O.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

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

// Status for a finished reply: completed, requires_action, incomplete or failed.
std::string status_of(const core::reply& reply);

// The unary Interaction JSON.
std::string render_reply(const interaction_meta& meta, const core::reply& reply);

// Error body and HTTP status in this dialect: {"error":{"code","message"}}.
struct rendered_error {
  unsigned status;
  std::string body;
};
rendered_error render_error(const core::error& e);

// Streams core events as spec §6 SSE events. Each call appends complete SSE events to `out`.
class stream_renderer {
 public:
  explicit stream_renderer(interaction_meta meta, bool thought_summaries);
  void begin(std::string& out);                  // interaction.created + status_update
  // An upstream stream_error becomes the in-band error event (and ends the stream).
  void on(const core::stream_event& e, std::string& out);
  void complete(std::string& out);               // interaction.completed + done
  void complete_as(const std::string& status, std::string& out);  // with a given final status
  void fail(const core::error& e, std::string& out);  // in-band error event + done
  const core::reply& folded() const { return acc_.current(); }
  bool ended() const { return ended_; }  // completed or failed: nothing more may be written

 private:
  void on_start(const core::part_start& s, std::string& out);
  void on_stop(int index, std::string& out);
  int step_of(int part_index) const;

  interaction_meta meta_;
  bool summaries_;
  core::accumulator acc_;
  std::vector<int> step_of_part_;
  std::vector<std::string> pending_signature_;  // by step: signatures go out as the last delta
  int next_step_ = 0;
  bool ended_ = false;
};

// ---- stored interactions (stored.cpp) --------------------------------------------------------

// The record kept for an interaction: its input as steps, the reply's steps, usage, status.
store::interaction_record make_record(const interaction_meta& meta, const create_request& req,
                                      const std::vector<core::turn>& input,
                                      const core::reply& reply, std::string owner);

// GET: the stored Interaction. Spec §5.1 calls GET the interaction's whole timeline; the input
// steps lead the output steps only with include_input, as the project's issue asks.
std::string render_stored(const store::interaction_record& r, bool include_input);

// GET ?stream=true: the stored interaction replayed as the events a live stream would give.
std::string render_replay(const store::interaction_record& r);

// The conversation one stored interaction contributes to a later one: its input, then its
// output, as turns.
core::result<std::vector<core::turn>> turns_of(const store::interaction_record& r);

}  // namespace interlingua::dialects::interactions
