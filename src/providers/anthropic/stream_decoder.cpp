#include <interlingua/providers/anthropic.hpp>

#include <map>
#include <set>

#include <interlingua/core/signature.hpp>

#include "../codec.hpp"

namespace interlingua::providers::anthropic {

namespace {

using core::json_view::integer_or;
using core::json_view::member_string;
using core::json_view::string_or;
using core::json_view::value;

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
    // A tape, not a tree: this runs for every delta of every stream.
    auto& doc = scratch_document();
    if (!doc.parse(data) || !doc.root().is_object()) {
      fail(out, core::make_error(core::error_kind::upstream_error,
                                 "upstream sent an event that is not JSON"));
      return;
    }
    value event = doc.root();
    // Dispatch on the JSON type: some servers put `event:` after `data:` or leave it out.
    value type_member = member_string(event, "type");
    std::string_view type = type_member ? type_member.str() : event_name;
    if (type == "message_start") {
      on_message_start(event, out);
    } else if (type == "content_block_start") {
      on_block_start(event, out);
    } else if (type == "content_block_delta") {
      on_block_delta(event, out);
    } else if (type == "content_block_stop") {
      close(integer_or(event, "index", -1), out);
    } else if (type == "message_delta") {
      on_message_delta(event, out);
    } else if (type == "message_stop") {
      complete(out);
    } else if (type == "error") {
      fail(out, read_error_event(event));
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

  void on_message_start(value event, core::event_list& out) {
    value message = event.member("message");
    if (!message) {
      return;
    }
    out.push_back(core::message_start{string_or(message, "id"), string_or(message, "model")});
    merge_usage(message.member("usage"), out);
  }

  void on_block_start(value event, core::event_list& out) {
    value cb = event.member("content_block");
    std::int64_t upstream = integer_or(event, "index", -1);
    if (!cb || upstream < 0 || blocks_.count(upstream)) {
      return;
    }
    std::string_view type = cb.member("type").str();
    int index = next_part_;
    if (type == "text") {
      open(upstream, core::part_kind::text, {}, {}, out);
      append_text(index, cb.member("text").str(), out);
    } else if (type == "thinking") {
      open(upstream, core::part_kind::thought, {}, {}, out);
      append_thought(index, cb.member("thinking").str(), out);
      append_signature(index, cb.member("signature").str(), out);
    } else if (type == "redacted_thinking") {
      open(upstream, core::part_kind::thought, {}, {}, out);
      out.push_back(
          core::redacted_thought{index, core::tag_signature("anthropic", cb.member("data").str())});
    } else if (type == "tool_use") {
      // Its `input` is always {} here; the arguments follow as input_json_delta fragments.
      open(upstream, core::part_kind::tool_call, string_or(cb, "id"), string_or(cb, "name"), out);
    }
  }

  void on_block_delta(value event, core::event_list& out) {
    auto it = blocks_.find(integer_or(event, "index", -1));
    value delta = event.member("delta");
    if (it == blocks_.end() || !it->second.open || !delta) {
      return;
    }
    block& b = it->second;
    std::string_view type = delta.member("type").str();
    if (type == "text_delta" && b.kind == core::part_kind::text) {
      append_text(b.part, delta.member("text").str(), out);
    } else if (type == "thinking_delta" && b.kind == core::part_kind::thought) {
      append_thought(b.part, delta.member("thinking").str(), out);
    } else if (type == "signature_delta" && b.kind == core::part_kind::thought) {
      append_signature(b.part, delta.member("signature").str(), out);
    } else if (type == "input_json_delta" && b.kind == core::part_kind::tool_call) {
      if (std::string_view fragment = delta.member("partial_json").str(); !fragment.empty()) {
        b.has_args = true;
        out.push_back(core::tool_args_delta{b.part, std::string(fragment)});
      }
    }
    // citations_delta and unknown deltas carry nothing core keeps.
  }

  void on_message_delta(value event, core::event_list& out) {
    if (value delta = event.member("delta")) {
      if (value reason = member_string(delta, "stop_reason")) {
        // Generation is over: a block cut at max_tokens never gets its content_block_stop.
        close_all(out);
        stop_reason_ = read_stop_reason(reason.str());
      }
    }
    merge_usage(event.member("usage"), out);
  }

  // The event's document is gone by the next event, so the merge keeps the counts read_usage
  // reads, each as it would read the latest value of its member (0 for one that is not an
  // integer), rather than the members themselves.
  void merge_usage(value u, core::event_list& out) {
    if (!u.is_object()) {
      return;
    }
    merge_count(u, "input_tokens", usage_.input);
    merge_count(u, "cache_read_input_tokens", usage_.cache_read);
    merge_count(u, "cache_creation_input_tokens", usage_.cache_write);
    merge_count(u, "output_tokens", usage_.output);
    // The details object is replaced whole, not merged: its thinking count goes with it.
    if (value details = u.member("output_tokens_details")) {
      usage_.thinking = integer_or(details, "thinking_tokens");
    }
    out.push_back(core::usage_update{usage_from_counts(
        usage_.input, usage_.cache_read, usage_.cache_write, usage_.output, usage_.thinking)});
  }

  static void merge_count(value u, std::string_view key, std::int64_t& count) {
    if (value v = u.member(key)) {
      count = v.integer().value_or(0);
    }
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

  static void append_text(int index, std::string_view t, core::event_list& out) {
    if (!t.empty()) {
      out.push_back(core::text_delta{index, std::string(t)});
    }
  }

  static void append_thought(int index, std::string_view t, core::event_list& out) {
    if (!t.empty()) {
      out.push_back(core::thought_delta{index, std::string(t)});
    }
  }

  // The issuer tag goes on a thought's first signature delta only: the deltas concatenate.
  void append_signature(int index, std::string_view s, core::event_list& out) {
    if (s.empty()) {
      return;
    }
    out.push_back(core::signature_delta{index, signed_parts_.insert(index).second
                                                   ? core::tag_signature("anthropic", s)
                                                   : std::string(s)});
  }

  std::set<int> signed_parts_;
  bool done_ = false;
  int next_part_ = 0;
  std::map<std::int64_t, block> blocks_;  // upstream block index -> its part
  std::optional<core::finish_reason> stop_reason_;
  // The latest value of every usage count seen (Anthropic's meanings; read_usage's reading).
  struct {
    std::int64_t input = 0;
    std::int64_t cache_read = 0;
    std::int64_t cache_write = 0;
    std::int64_t output = 0;
    std::int64_t thinking = 0;  // output_tokens_details.thinking_tokens
  } usage_;
};

}  // namespace

std::unique_ptr<core::stream_decoder> make_stream_decoder() {
  return std::make_unique<decoder>();
}

}  // namespace interlingua::providers::anthropic
