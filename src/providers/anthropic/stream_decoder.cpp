#include <interlingua/providers/anthropic.hpp>

#include <map>
#include <set>

#include <interlingua/core/json_util.hpp>
#include <interlingua/core/signature.hpp>

namespace interlingua::providers::anthropic {

namespace {

using nlohmann::json;
using namespace core::json_util;

// Anthropic streams each content block by its own index (start, deltas, stop) and ends with
// message_delta (stop reason, cumulative usage) and message_stop. Core parts take dense indexes in
// answer order, so blocks core has no part for (server tools, future types) are skipped without
// taking one. Usage is merged across message_start and message_delta, since either may carry
// any of the counts, and re-reported whole each time.
class decoder final : public core::stream_decoder {
 public:
  void on_event(std::string_view event_name, std::string_view data,
                core::event_list& out) override {
    if (done_) {
      return;
    }
    auto event = parse(data);
    if (!event || !event->is_object()) {
      fail(out, core::make_error(core::error_kind::upstream_error,
                                 "upstream sent an event that is not JSON"));
      return;
    }
    // Dispatch on the JSON type: some servers put `event:` after `data:` or leave it out.
    std::string type = string_or(*event, "type", std::string(event_name));
    if (type == "message_start") {
      on_message_start(*event, out);
    } else if (type == "content_block_start") {
      on_block_start(*event, out);
    } else if (type == "content_block_delta") {
      on_block_delta(*event, out);
    } else if (type == "content_block_stop") {
      close(integer_or(*event, "index", -1), out);
    } else if (type == "message_delta") {
      on_message_delta(*event, out);
    } else if (type == "message_stop") {
      complete(out);
    } else if (type == "error") {
      fail(out, read_error_event(*event));
    }
    // ping and event types added later carry nothing for core.
  }

  void on_end(core::event_list& out) override {
    if (done_) {
      return;
    }
    // A stop reason means the answer is whole even if message_stop was lost; without one the
    // stream was cut.
    if (stop_reason_) {
      complete(out);
      return;
    }
    fail(out, core::make_error(core::error_kind::upstream_unavailable,
                               "upstream stream ended before completion"));
  }

  bool done() const override { return done_; }

 private:
  struct block {
    int part = 0;
    core::part_kind kind = core::part_kind::text;
    bool open = true;
    bool has_args = false;
  };

  void on_message_start(const json& event, core::event_list& out) {
    const json* message = member(event, "message");
    if (!message) {
      return;
    }
    out.push_back(core::message_start{string_or(*message, "id"), string_or(*message, "model")});
    merge_usage(member(*message, "usage"), out);
  }

  void on_block_start(const json& event, core::event_list& out) {
    const json* cb = member(event, "content_block");
    std::int64_t upstream = integer_or(event, "index", -1);
    if (!cb || upstream < 0 || blocks_.count(upstream)) {
      return;
    }
    std::string type = string_or(*cb, "type");
    int index = next_part_;
    if (type == "text") {
      open(upstream, core::part_kind::text, {}, {}, out);
      append_text(index, string_or(*cb, "text"), out);
    } else if (type == "thinking") {
      open(upstream, core::part_kind::thought, {}, {}, out);
      append_thought(index, string_or(*cb, "thinking"), out);
      append_signature(index, string_or(*cb, "signature"), out);
    } else if (type == "redacted_thinking") {
      open(upstream, core::part_kind::thought, {}, {}, out);
      out.push_back(
          core::redacted_thought{index, core::tag_signature("anthropic", string_or(*cb, "data"))});
    } else if (type == "tool_use") {
      // Its `input` is always {} here; the arguments follow as input_json_delta fragments.
      open(upstream, core::part_kind::tool_call, string_or(*cb, "id"), string_or(*cb, "name"), out);
    }
  }

  void on_block_delta(const json& event, core::event_list& out) {
    auto it = blocks_.find(integer_or(event, "index", -1));
    const json* delta = member(event, "delta");
    if (it == blocks_.end() || !it->second.open || !delta) {
      return;
    }
    block& b = it->second;
    std::string type = string_or(*delta, "type");
    if (type == "text_delta" && b.kind == core::part_kind::text) {
      append_text(b.part, string_or(*delta, "text"), out);
    } else if (type == "thinking_delta" && b.kind == core::part_kind::thought) {
      append_thought(b.part, string_or(*delta, "thinking"), out);
    } else if (type == "signature_delta" && b.kind == core::part_kind::thought) {
      append_signature(b.part, string_or(*delta, "signature"), out);
    } else if (type == "input_json_delta" && b.kind == core::part_kind::tool_call) {
      if (auto fragment = string_or(*delta, "partial_json"); !fragment.empty()) {
        b.has_args = true;
        out.push_back(core::tool_args_delta{b.part, std::move(fragment)});
      }
    }
    // citations_delta and unknown deltas carry nothing core keeps.
  }

  void on_message_delta(const json& event, core::event_list& out) {
    if (const auto* delta = member(event, "delta")) {
      if (const auto* reason = member_string(*delta, "stop_reason")) {
        // Generation is over: a block cut at max_tokens never gets its content_block_stop.
        close_all(out);
        stop_reason_ = read_stop_reason(text(*reason));
      }
    }
    merge_usage(member(event, "usage"), out);
  }

  void merge_usage(const json* u, core::event_list& out) {
    if (!u || !u->is_object()) {
      return;
    }
    for (const auto& [key, value] : u->items()) {
      usage_[key] = value;
    }
    out.push_back(core::usage_update{read_usage(usage_)});
  }

  void open(std::int64_t upstream, core::part_kind kind, std::string id, std::string name,
            core::event_list& out) {
    int index = next_part_++;
    blocks_.emplace(upstream, block{index, kind, true, false});
    out.push_back(core::part_start{index, kind, std::move(id), std::move(name)});
  }

  void close(std::int64_t upstream, core::event_list& out) {
    auto it = blocks_.find(upstream);
    if (it == blocks_.end() || !it->second.open) {
      return;
    }
    block& b = it->second;
    // An empty input_json total means {}, as the unary tool_use input would say.
    if (b.kind == core::part_kind::tool_call && !b.has_args) {
      out.push_back(core::tool_args_delta{b.part, "{}"});
    }
    b.open = false;
    out.push_back(core::part_stop{b.part});
  }

  // Blocks still open when generation ends were cut: they stop as they are (a tool call keeps its
  // partial arguments) without the {} an empty, complete call gets.
  void close_all(core::event_list& out) {
    for (auto& [upstream, b] : blocks_) {
      if (b.open) {
        b.open = false;
        out.push_back(core::part_stop{b.part});
      }
    }
  }

  void complete(core::event_list& out) {
    close_all(out);
    out.push_back(core::finish{stop_reason_.value_or(core::finish_reason::unknown)});
    done_ = true;
  }

  void fail(core::event_list& out, core::error e) {
    close_all(out);
    out.push_back(core::stream_error{std::move(e)});
    done_ = true;
  }

  static void append_text(int index, std::string t, core::event_list& out) {
    if (!t.empty()) {
      out.push_back(core::text_delta{index, std::move(t)});
    }
  }

  static void append_thought(int index, std::string t, core::event_list& out) {
    if (!t.empty()) {
      out.push_back(core::thought_delta{index, std::move(t)});
    }
  }

  // The issuer tag goes on a thought's first signature delta only: the deltas concatenate.
  void append_signature(int index, std::string s, core::event_list& out) {
    if (s.empty()) {
      return;
    }
    if (signed_parts_.insert(index).second) {
      s = core::tag_signature("anthropic", s);
    }
    out.push_back(core::signature_delta{index, std::move(s)});
  }

  std::set<int> signed_parts_;
  bool done_ = false;
  int next_part_ = 0;
  std::map<std::int64_t, block> blocks_;  // upstream block index -> its part
  std::optional<core::finish_reason> stop_reason_;
  json usage_ = json::object();  // the latest value of every usage count seen
};

}  // namespace

std::unique_ptr<core::stream_decoder> make_stream_decoder() {
  return std::make_unique<decoder>();
}

}  // namespace interlingua::providers::anthropic
