#include <interlingua/dialects/interactions.hpp>

#include <interlingua/core/overloaded.hpp>

#include "render_common.hpp"

namespace interlingua::dialects::interactions {

namespace {

using nlohmann::json;

// `event: <type>` plus the JSON, which always carries `event_type` (SDKs dispatch on it).
void emit(std::string_view type, json payload, std::string& out) {
  payload["event_type"] = type;
  out += "event: ";
  out += type;
  out += "\ndata: ";
  out += dump_wire(payload);
  out += "\n\n";
}

void emit_delta(int step, json delta, std::string& out) {
  emit("step.delta", json{{"index", step}, {"delta", std::move(delta)}}, out);
}

}  // namespace

stream_renderer::stream_renderer(interaction_meta meta, bool thought_summaries)
    : meta_(std::move(meta)), summaries_(thought_summaries) {}

void stream_renderer::begin(std::string& out) {
  meta_.status = "in_progress";
  emit("interaction.created", json{{"interaction", interaction_json(meta_)}}, out);
  json update{{"status", "in_progress"}};
  if (!meta_.id.empty()) {
    update["interaction_id"] = meta_.id;
  }
  emit("interaction.status_update", std::move(update), out);
}

int stream_renderer::step_of(int part_index) const {
  if (part_index < 0 || static_cast<std::size_t>(part_index) >= step_of_part_.size()) {
    return -1;
  }
  return step_of_part_[static_cast<std::size_t>(part_index)];
}

void stream_renderer::on_start(const core::part_start& s, std::string& out) {
  if (s.index < 0) {
    return;
  }
  auto at = static_cast<std::size_t>(s.index);
  if (at >= step_of_part_.size()) {
    step_of_part_.resize(at + 1, -1);
  }
  int step = next_step_++;
  step_of_part_[at] = step;
  pending_signature_.resize(static_cast<std::size_t>(next_step_));
  json skeleton;
  switch (s.kind) {
    case core::part_kind::text: skeleton = {{"type", "model_output"}}; break;
    case core::part_kind::thought: skeleton = {{"type", "thought"}}; break;
    case core::part_kind::tool_call:
      skeleton = {{"type", "function_call"}, {"id", s.id}, {"name", s.name},
                  {"arguments", json::object()}};
      break;
  }
  emit("step.start", json{{"index", step}, {"step", std::move(skeleton)}}, out);
}

void stream_renderer::on_stop(int index, std::string& out) {
  int step = step_of(index);
  if (step < 0) {
    return;
  }
  auto& signature = pending_signature_[static_cast<std::size_t>(step)];
  if (!signature.empty()) {
    // The signature is the thought's last delta (spec §6.3).
    emit_delta(step, json{{"type", "thought_signature"}, {"signature", std::move(signature)}}, out);
    signature.clear();
  }
  emit("step.stop", json{{"index", step}}, out);
}

void stream_renderer::on(const core::stream_event& e, std::string& out) {
  if (ended_) {
    return;
  }
  acc_.on(e);
  std::visit(
      core::overloaded{
          [&](const core::part_start& s) { on_start(s, out); },
          [&](const core::text_delta& d) {
            if (int step = step_of(d.index); step >= 0 && !d.text.empty()) {
              emit_delta(step, json{{"type", "text"}, {"text", d.text}}, out);
            }
          },
          [&](const core::thought_delta& d) {
            if (int step = step_of(d.index); step >= 0 && summaries_ && !d.text.empty()) {
              emit_delta(step,
                         json{{"type", "thought_summary"},
                              {"content", {{"type", "text"}, {"text", d.text}}}},
                         out);
            }
          },
          [&](const core::signature_delta& d) {
            if (int step = step_of(d.index); step >= 0) {
              pending_signature_[static_cast<std::size_t>(step)] += d.signature;
            }
          },
          [&](const core::redacted_thought& d) {
            if (int step = step_of(d.index); step >= 0) {
              pending_signature_[static_cast<std::size_t>(step)] += d.data;
            }
          },
          [&](const core::tool_args_delta& d) {
            if (int step = step_of(d.index); step >= 0 && !d.fragment.empty()) {
              emit_delta(step, json{{"type", "arguments_delta"}, {"arguments", d.fragment}}, out);
            }
          },
          [&](const core::part_stop& s) { on_stop(s.index, out); },
          [&](const core::stream_error& err) { fail(err.value, out); },
          [&](const auto&) {},
      },
      e);
}

void stream_renderer::complete(std::string& out) { complete_as(status_of(acc_.current()), out); }

void stream_renderer::complete_as(const std::string& status, std::string& out) {
  if (ended_) {
    return;
  }
  ended_ = true;
  meta_.status = status;
  meta_.updated = std::chrono::system_clock::now();
  json interaction = interaction_json(meta_);
  interaction["usage"] = usage_json(acc_.current().tokens);
  emit("interaction.completed", json{{"interaction", std::move(interaction)}}, out);
  out += "event: done\ndata: [DONE]\n\n";
}

void stream_renderer::fail(const core::error& e, std::string& out) {
  if (ended_) {
    return;
  }
  ended_ = true;
  emit("error", json{{"error", {{"code", core::to_string(e.kind)}, {"message", e.message}}}}, out);
  out += "event: done\ndata: [DONE]\n\n";
}

}  // namespace interlingua::dialects::interactions
