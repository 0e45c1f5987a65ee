#pragma once

#include <optional>
#include <string>
#include <vector>

#include <interlingua/core/events.hpp>

namespace interlingua::core {

// A whole answer: what a unary response renders, and what the store keeps.
struct reply {
  std::string id;
  std::string model;
  std::vector<part> parts;  // text, thought and tool_call parts in answer order
  usage tokens;
  finish_reason reason = finish_reason::unknown;
  std::optional<error> failure;  // set when the stream ended in an error
};

// Folds stream events into a reply: the one place where unary answers are assembled, so a unary
// answer is by construction the merge of the streamed one.
class accumulator {
 public:
  void on(const stream_event& event);
  void on(const event_list& events);
  const reply& current() const { return reply_; }
  reply take() { return std::move(reply_); }

 private:
  part* slot(int index);
  void open(const part_start& start);

  reply reply_;
  std::vector<int> slot_of_index_;  // event index -> position in reply_.parts (-1 = none)
};

// The events that produce `p` as the part at `index`: the inverse of the accumulator, used to
// replay stored answers through the same renderers as live streams.
event_list events_of(const part& p, int index);

}  // namespace interlingua::core
