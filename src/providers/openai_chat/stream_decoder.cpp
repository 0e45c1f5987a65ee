#include <interlingua/providers/openai_chat.hpp>

#include <map>

#include "../codec.hpp"

#include "usage.hpp"

namespace interlingua::providers::openai_chat {

namespace {

using core::json_view::integer_or;
using core::json_view::member_string;
using core::json_view::string_or;
using core::json_view::value;

// Chat Completions chunks carry deltas for text, reasoning and tool calls keyed by the upstream's
// tool index. Core wants parts opened and closed in answer order, so the decoder keeps which part
// is open and maps upstream tool indexes to part indexes.
class decoder final : public core::stream_decoder {
 public:
  void on_event(std::string_view, std::string_view data, core::event_list& out) override {
    if (done_) {
      return;
    }
    if (data == "[DONE]") {
      close_open(out);
      done_ = true;
      return;
    }
    // A tape, not a tree: this runs for every delta of every stream.
    auto& doc = scratch_document();
    if (!doc.parse(data) || !doc.root().is_object()) {
      fail(out, "upstream sent an event that is not JSON");
      return;
    }
    on_chunk(doc.root(), out);
  }

  void on_end(core::event_list& out) override {
    if (done_) {
      return;
    }
    close_open(out);
    // Some compatible servers close after the finish chunk without [DONE]: that is complete.
    if (!finished_) {
      out.push_back(core::stream_error{core::make_error(
          core::error_kind::upstream_unavailable, "upstream stream ended before completion")});
    }
    done_ = true;
  }

  bool done() const override { return done_; }

 private:
  void fail(core::event_list& out, std::string message) {
    close_open(out);
    out.push_back(
        core::stream_error{core::make_error(core::error_kind::upstream_error, std::move(message))});
    done_ = true;
  }

  void on_chunk(value chunk, core::event_list& out) {
    value usage = chunk.member("usage");
    if (value e = chunk.member("error")) {
      // OpenRouter reports the usage spent so far on its error chunk: keep it.
      if (usage.is_object()) {
        out.push_back(core::usage_update{read_usage(usage)});
      }
      std::string message = e.is_string() ? std::string(e.str()) : string_or(e, "message");
      fail(out, "upstream error: " + message);
      return;
    }
    if (!started_) {
      out.push_back(core::message_start{string_or(chunk, "id"), string_or(chunk, "model")});
      started_ = true;
    }
    if (value choices = chunk.member("choices"); choices.is_array()) {
      for (value choice : choices) {
        // n > 1 is never requested; other choices are ignored.
        if (integer_or(choice, "index") == 0) {
          on_choice(choice, out);
        }
      }
    }
    if (usage.is_object()) {
      out.push_back(core::usage_update{read_usage(usage)});
    }
  }

  void on_choice(value choice, core::event_list& out) {
    if (value delta = choice.member("delta")) {
      if (value r = reasoning_text(delta); !r.str().empty()) {
        append_text(core::part_kind::thought, std::string(r.str()), out);
      }
      if (value c = member_string(delta, "content"); !c.str().empty()) {
        append_text(core::part_kind::text, std::string(c.str()), out);
      }
      if (value c = member_string(delta, "refusal"); !c.str().empty()) {
        append_text(core::part_kind::text, std::string(c.str()), out);
      }
      if (value calls = delta.member("tool_calls"); calls.is_array()) {
        for (value call : calls) {
          on_tool_call(call, out);
        }
      }
    }
    if (value reason = member_string(choice, "finish_reason")) {
      close_open(out);
      out.push_back(core::finish{read_finish(reason.str())});
      finished_ = true;
    }
  }

  void append_text(core::part_kind kind, std::string text, core::event_list& out) {
    if (open_ < 0 || open_kind_ != kind) {
      open_part(kind, {}, {}, out);
    }
    if (kind == core::part_kind::thought) {
      out.push_back(core::thought_delta{open_, std::move(text)});
    } else {
      out.push_back(core::text_delta{open_, std::move(text)});
    }
  }

  void on_tool_call(value call, core::event_list& out) {
    std::int64_t upstream_index = integer_or(call, "index");
    auto it = tool_parts_.find(upstream_index);
    value fn = call.member("function");
    if (it == tool_parts_.end()) {
      open_part(core::part_kind::tool_call, string_or(call, "id"), string_or(fn, "name"), out);
      it = tool_parts_.emplace(upstream_index, open_).first;
    }
    if (value args = member_string(fn, "arguments"); !args.str().empty()) {
      out.push_back(core::tool_args_delta{it->second, std::string(args.str())});
    }
  }

  void open_part(core::part_kind kind, std::string id, std::string name, core::event_list& out) {
    close_open(out);
    open_ = next_index_++;
    open_kind_ = kind;
    out.push_back(core::part_start{open_, kind, std::move(id), std::move(name)});
  }

  void close_open(core::event_list& out) {
    if (open_ >= 0) {
      out.push_back(core::part_stop{open_});
      open_ = -1;
    }
  }

  bool started_ = false;
  bool finished_ = false;
  bool done_ = false;
  int next_index_ = 0;
  int open_ = -1;
  core::part_kind open_kind_ = core::part_kind::text;
  std::map<std::int64_t, int> tool_parts_;
};

}  // namespace

std::unique_ptr<core::stream_decoder> make_stream_decoder() {
  return std::make_unique<decoder>();
}

}  // namespace interlingua::providers::openai_chat
