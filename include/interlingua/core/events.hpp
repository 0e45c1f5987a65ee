#pragma once

// One event stream for unary and streaming answers (DESIGN.md): provider decoders produce these
// from an SSE stream or a whole body alike; dialects render them or fold them into a reply.

#include <string>
#include <variant>
#include <vector>

#include <interlingua/core/error.hpp>
#include <interlingua/core/model.hpp>
#include <interlingua/core/usage.hpp>

namespace interlingua::core {

enum class part_kind { text, thought, tool_call };

enum class finish_reason { stop, length, tool_calls, content_filter, error, unknown };

struct message_start {
  std::string id;     // upstream response id
  std::string model;  // upstream model name, when it said
};

// A part opens at `index` (0-based, in the order parts appear in the answer).
struct part_start {
  int index = 0;
  part_kind kind = part_kind::text;
  std::string id;    // tool_call: the call id
  std::string name;  // tool_call: the function name
};

struct text_delta {
  int index = 0;
  std::string text;
};

struct thought_delta {
  int index = 0;
  std::string text;
};

struct signature_delta {
  int index = 0;
  std::string signature;
};

struct redacted_thought {
  int index = 0;
  std::string data;
};

struct tool_args_delta {
  int index = 0;
  std::string fragment;  // a piece of the arguments' JSON text
};

struct part_stop {
  int index = 0;
};

// Usage so far. Later usage events replace earlier ones (providers report cumulative values).
struct usage_update {
  usage value;
};

struct finish {
  finish_reason reason = finish_reason::stop;
};

struct stream_error {
  error value;
};

using stream_event =
    std::variant<message_start, part_start, text_delta, thought_delta, signature_delta,
                 redacted_thought, tool_args_delta, part_stop, usage_update, finish, stream_error>;

using event_list = std::vector<stream_event>;

}  // namespace interlingua::core
