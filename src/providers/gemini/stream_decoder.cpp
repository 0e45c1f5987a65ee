#include <interlingua/providers/gemini.hpp>

#include <interlingua/core/json_util.hpp>
#include <interlingua/core/signature.hpp>

#include "../codec.hpp"

namespace interlingua::providers::gemini {

namespace {

using core::json_view::integer_or;
using core::json_view::member_string;
using core::json_view::string_or;
using core::json_view::value;

// promptTokenCount includes cached tokens and candidatesTokenCount excludes thoughts: core's
// meanings already.
core::usage read_usage(value u) {
  core::usage out;
  out.input = integer_or(u, "promptTokenCount");
  out.cached = integer_or(u, "cachedContentTokenCount");
  out.output = integer_or(u, "candidatesTokenCount");
  out.reasoning = integer_or(u, "thoughtsTokenCount");
  out.tool_use = integer_or(u, "toolUsePromptTokenCount");
  return out;
}

// There is no tool-call reason: calls come with STOP and are told apart by the parts.
core::finish_reason read_finish(std::string_view reason, bool called) {
  if (reason == "STOP") {
    return called ? core::finish_reason::tool_calls : core::finish_reason::stop;
  }
  if (reason == "MAX_TOKENS") {
    return core::finish_reason::length;
  }
  for (std::string_view filtered :
       {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII"}) {
    if (reason == filtered) {
      return core::finish_reason::content_filter;
    }
  }
  // IMAGE_SAFETY, IMAGE_PROHIBITED_CONTENT, IMAGE_RECITATION, IMAGE_OTHER (spec §5).
  if (reason.rfind("IMAGE_", 0) == 0) {
    return core::finish_reason::content_filter;
  }
  return core::finish_reason::unknown;
}

// Only candidate 0 is read: more are never requested.
value first_candidate(value chunk) {
  value candidates = chunk.member("candidates");
  if (!candidates.is_array()) {
    return {};
  }
  for (value c : candidates) {
    if (c.is_object() && integer_or(c, "index") == 0) {
      return c;
    }
  }
  return {};
}

// Every chunk is a whole GenerateContentResponse holding only the new parts, with cumulative
// usage. Text and thought chunks extend the open part; each functionCall is whole in one chunk.
// A thoughtSignature on a text or functionCall part belongs to the thinking that led to it: it
// closes the open thought, or a thought part of its own just before that part (the shape Google's
// Interactions API shows, and what the encoder turns back into the same wire part).
class decoder final : public core::stream_decoder {
 public:
  void on_event(std::string_view, std::string_view data, core::event_list& out) override {
    if (done_) {
      return;
    }
    // A tape, not a tree: this runs for every chunk of every stream.
    auto& doc = scratch_document();
    value chunk = doc.parse(data) ? doc.root() : value();
    if (chunk.is_array() && chunk.size() == 1 && chunk.at(0).is_object()) {
      // A raw error after a 200 may come as the REST stream's array of one response.
      chunk = chunk.at(0);
    }
    if (!chunk.is_object()) {
      end_with(core::make_error(core::error_kind::upstream_error,
                                "upstream sent a response that is not JSON"),
               out);
      return;
    }
    on_chunk(chunk, data, out);
  }

  // No sentinel ends a Gemini stream: EOF before a finishReason means it was cut off.
  void on_end(core::event_list& out) override {
    if (done_) {
      return;
    }
    end_with(core::make_error(core::error_kind::upstream_unavailable,
                              "upstream stream ended before completion"),
             out);
  }

  bool done() const override { return done_; }

 private:
  void end_with(core::error e, core::event_list& out) {
    close_open(out);
    out.push_back(core::stream_error{std::move(e)});
    done_ = true;
  }

  void on_chunk(value chunk, std::string_view data, core::event_list& out) {
    if (value e = chunk.member("error")) {
      // Mid-stream errors carry the HTTP code they would have had: an overload stays retryable.
      auto code = e.member("code").integer();
      int status = code && *code >= 400 && *code < 600 ? static_cast<int>(*code) : 0;
      // decode_error parses `data` again, into the scratch document `chunk` is in: nothing of
      // `chunk` is read after it.
      end_with(decode_error(status, data, std::nullopt), out);
      return;
    }
    if (!started_) {
      out.push_back(
          core::message_start{string_or(chunk, "responseId"), string_or(chunk, "modelVersion")});
      started_ = true;
    }
    value candidate = first_candidate(chunk);
    if (candidate) {
      on_candidate(candidate, out);
    }
    if (value u = chunk.member("usageMetadata"); u.is_object()) {
      // Cumulative on nearly every chunk: only changes are worth an event.
      core::usage counts = read_usage(u);
      if (!reported_ || counts != usage_) {
        out.push_back(core::usage_update{counts});
        usage_ = counts;
        reported_ = true;
      }
    }
    std::string_view reason = candidate.member("finishReason").str();
    if (reason.empty() && !candidate &&
        member_string(chunk.member("promptFeedback"), "blockReason")) {
      reason = "SAFETY";  // the prompt itself was blocked: no candidate at all
    }
    if (!reason.empty()) {
      close_open(out);
      out.push_back(core::finish{read_finish(reason, calls_ > 0)});
      done_ = true;
    }
  }

  void on_candidate(value candidate, core::event_list& out) {
    value parts = candidate.member("content").member("parts");
    if (!parts.is_array()) {
      return;
    }
    for (value part : parts) {
      on_part(part, out);
    }
  }

  void on_part(value part, core::event_list& out) {
    value words = member_string(part, "text");
    value call = part.member("functionCall");
    std::string_view signature = part.member("thoughtSignature").str();
    if (part.member("thought").boolean()) {
      if (!words.str().empty()) {
        append(core::part_kind::thought, words.str(), out);
      }
      if (!signature.empty()) {
        sign(signature, out);
      }
      return;
    }
    // Parts core has no kind for (executableCode, inlineData, ...) are skipped with their
    // signature, which would otherwise land on the wrong part when carried back.
    if (!call.is_object() && !words) {
      return;
    }
    if (!signature.empty()) {
      sign(signature, out);
      close_open(out);
    }
    if (call.is_object()) {
      on_call(call, out);
    } else if (!words.str().empty()) {
      append(core::part_kind::text, words.str(), out);
    }
  }

  // Gemini gives calls no id (or its own `id`): "call_<n>" numbers them in answer order, the same
  // in a stream and a whole reply.
  void on_call(value call, core::event_list& out) {
    std::string id = string_or(call, "id");
    if (id.empty()) {
      id = "call_" + std::to_string(calls_);
    }
    ++calls_;
    open_part(core::part_kind::tool_call, std::move(id), string_or(call, "name"), out);
    value args = call.member("args");
    out.push_back(core::tool_args_delta{
        open_, args ? core::json_util::dump(core::json_view::to_json(args)) : std::string("{}")});
    close_open(out);
  }

  // A thought keeps at most one signature, as its last delta.
  void sign(std::string_view signature, core::event_list& out) {
    if (open_ < 0 || open_kind_ != core::part_kind::thought || open_signed_) {
      open_part(core::part_kind::thought, {}, {}, out);
    }
    out.push_back(core::signature_delta{open_, core::tag_signature("gemini", signature)});
    open_signed_ = true;
  }

  void append(core::part_kind kind, std::string_view text, core::event_list& out) {
    if (open_ < 0 || open_kind_ != kind || open_signed_) {
      open_part(kind, {}, {}, out);
    }
    if (kind == core::part_kind::thought) {
      out.push_back(core::thought_delta{open_, std::string(text)});
    } else {
      out.push_back(core::text_delta{open_, std::string(text)});
    }
  }

  void open_part(core::part_kind kind, std::string id, std::string name, core::event_list& out) {
    close_open(out);
    open_ = next_index_++;
    open_kind_ = kind;
    open_signed_ = false;
    out.push_back(core::part_start{open_, kind, std::move(id), std::move(name)});
  }

  void close_open(core::event_list& out) {
    if (open_ >= 0) {
      out.push_back(core::part_stop{open_});
      open_ = -1;
      open_signed_ = false;
    }
  }

  bool started_ = false;
  bool done_ = false;
  bool reported_ = false;
  core::usage usage_;
  int calls_ = 0;
  int next_index_ = 0;
  int open_ = -1;
  core::part_kind open_kind_ = core::part_kind::text;
  bool open_signed_ = false;
};

}  // namespace

std::unique_ptr<core::stream_decoder> make_stream_decoder() {
  return std::make_unique<decoder>();
}

}  // namespace interlingua::providers::gemini
