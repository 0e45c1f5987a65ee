#include <interlingua/providers/openai_chat.hpp>

#include <map>

#include "usage.hpp"

namespace interlingua::providers::openai_chat {

namespace {

using nlohmann::json;
using namespace core::json_util;

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
    auto chunk = parse(data);
    if (!chunk || !chunk->is_object()) {
      fail(out, "upstream sent an event that is not JSON");
      return;
    }
    on_chunk(*chunk, out);
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

  void on_chunk(const json& chunk, core::event_list& out) {
    const json* usage = member(chunk, "usage");
    if (const auto* e = member(chunk, "error")) {
      // OpenRouter reports the usage spent so far on its error chunk: keep it.
      if (usage && usage->is_object()) {
        out.push_back(core::usage_update{read_usage(*usage)});
      }
      std::string message = e->is_string() ? e->get<std::string>() : string_or(*e, "message");
      fail(out, "upstream error: " + message);
      return;
    }
    if (!started_) {
      out.push_back(core::message_start{string_or(chunk, "id"), string_or(chunk, "model")});
      started_ = true;
    }
    if (const auto* choices = member(chunk, "choices"); choices && choices->is_array()) {
      for (const auto& choice : *choices) {
        // n > 1 is never requested; other choices are ignored.
        if (integer_or(choice, "index") == 0) {
          on_choice(choice, out);
        }
      }
    }
    if (usage && usage->is_object()) {
      out.push_back(core::usage_update{read_usage(*usage)});
    }
  }

  void on_choice(const json& choice, core::event_list& out) {
    if (const auto* delta = member(choice, "delta")) {
      if (const auto* r = reasoning_text(*delta); r && !text(*r).empty()) {
        append_text(core::part_kind::thought, r->get<std::string>(), out);
      }
      if (const auto* c = member_string(*delta, "content"); c && !text(*c).empty()) {
        append_text(core::part_kind::text, c->get<std::string>(), out);
      }
      if (const auto* c = member_string(*delta, "refusal"); c && !text(*c).empty()) {
        append_text(core::part_kind::text, c->get<std::string>(), out);
      }
      if (const auto* calls = member(*delta, "tool_calls"); calls && calls->is_array()) {
        for (const auto& call : *calls) {
          on_tool_call(call, out);
        }
      }
    }
    if (const auto* reason = member_string(choice, "finish_reason")) {
      close_open(out);
      out.push_back(core::finish{read_finish(reason->get<std::string>())});
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

  void on_tool_call(const json& call, core::event_list& out) {
    std::int64_t upstream_index = integer_or(call, "index");
    auto it = tool_parts_.find(upstream_index);
    const json* fn = member(call, "function");
    if (it == tool_parts_.end()) {
      std::string name = fn ? string_or(*fn, "name") : std::string{};
      open_part(core::part_kind::tool_call, string_or(call, "id"), std::move(name), out);
      it = tool_parts_.emplace(upstream_index, open_).first;
    }
    if (const auto* args = fn ? member_string(*fn, "arguments") : nullptr;
        args && !text(*args).empty()) {
      out.push_back(core::tool_args_delta{it->second, args->get<std::string>()});
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
