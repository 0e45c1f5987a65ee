#include <interlingua/dialects/interactions.hpp>

#include <algorithm>
#include <charconv>
#include <limits>

#include <interlingua/core/json_write.hpp>
#include <interlingua/core/overloaded.hpp>

#include "render_common.hpp"

namespace interlingua::dialects::interactions {

namespace {

using nlohmann::json;

// Event ids (spec §6.5) name an event's place in the answer rather than its turn on the wire, so
// a live stream and the replay of its stored interaction (which sends each step as one delta)
// name the same point alike, and a client can resume from either into the other:
//   c          interaction.created (legacy: interaction.start)
//   u          interaction.status_update
//   s<i>       step.start of step i (legacy: content.start)
//   s<i>.<n>   a step.delta of step i after which the client holds n payload bytes of the step:
//              text for model_output, summary text for thought, arguments text for function_call
//   s<i>.sig   the thought_signature delta of step i
//   s<i>.end   step.stop of step i
//   end        the terminal event: interaction.completed (legacy: interaction.complete) or error
// i and n are decimal without leading zeros and n >= 1. The [DONE] sentinel carries no id.
// Inside a function call's arguments a resume is exact when the stored arguments read back as
// the streamed text; the store keeps them parsed, so upstream whitespace or key order differs.
constexpr std::size_t max_id_size = 48;

constexpr event_position step_at(int step, int sub, std::size_t bytes = 0) {
  return event_position{2, step, sub, bytes};
}

std::optional<std::size_t> decimal(std::string_view s) {
  if (s.empty() || (s.size() > 1 && s.front() == '0')) {
    return std::nullopt;
  }
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return value;
}

std::optional<event_position> parse_id(std::string_view id) {
  if (id == "c" || id == "u" || id == "end") {
    return event_position{id == "c" ? 0 : id == "u" ? 1 : 3};
  }
  if (id.size() < 2 || id.size() > max_id_size || id.front() != 's') {
    return std::nullopt;
  }
  id.remove_prefix(1);
  auto dot = id.find('.');
  auto step = decimal(id.substr(0, dot));
  if (!step || *step > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return std::nullopt;
  }
  event_position at = step_at(static_cast<int>(*step), 0);
  if (dot == std::string_view::npos) {
    return at;
  }
  std::string_view rest = id.substr(dot + 1);
  if (rest == "sig" || rest == "end") {
    at.sub = rest == "sig" ? 2 : 3;
    return at;
  }
  auto bytes = decimal(rest);
  if (!bytes || *bytes == 0) {
    return std::nullopt;
  }
  at.sub = 1;
  at.bytes = *bytes;
  return at;
}

std::string id_of(const event_position& at) {
  if (at.rank != 2) {
    return at.rank == 0 ? "c" : at.rank == 1 ? "u" : "end";
  }
  std::string id = "s" + std::to_string(at.step);
  switch (at.sub) {
    case 1:
      return id + "." + std::to_string(at.bytes);
    case 2:
      return id + ".sig";
    case 3:
      return id + ".end";
    default:
      return id;
  }
}

// `event: <type>` plus the JSON, which always carries `event_type` (SDKs dispatch on it) and the
// resume token as `event_id`. Never an SSE `id:` line: with a last-event-id set, Stainless-style
// decoders dispatch the blank line after each event as an empty event (spec §6.6).
void write_event(std::string_view type, const event_position& at, json payload, std::string& out) {
  payload["event_type"] = type;
  payload["event_id"] = id_of(at);
  out += "event: ";
  out += type;
  out += "\ndata: ";
  out += dump_wire(payload);
  out += "\n\n";
}

// The two events of every delta, written without a tree (they are most of a stream's events):
// the same bytes write_event gives for {"delta": ..., "index": step} — keys in nlohmann's order.
void open_event(std::string_view type, std::string& out) {
  out += "event: ";
  out += type;
  out += "\ndata: {";
}

void close_event(std::string_view type, const event_position& at, int step, std::string& out) {
  namespace jw = core::json_write;
  jw::key(out, "event_id");
  jw::string(out, id_of(at));
  out += ',';
  jw::key(out, "event_type");
  jw::string(out, type);
  out += ',';
  jw::key(out, "index");
  jw::integer(out, step);
  out += "}\n\n";
}

void write_delta_event(std::string_view type, const event_position& at, int step,
                       core::part_kind kind, std::string_view text, std::string& out) {
  namespace jw = core::json_write;
  open_event(type, out);
  switch (kind) {
    case core::part_kind::thought:
      out += R"("delta":{"content":{"text":)";
      jw::string(out, text, jw::escape::wire);
      out += R"(,"type":"text"},"type":"thought_summary"},)";
      break;
    case core::part_kind::tool_call:
      out += R"("delta":{"arguments":)";
      jw::string(out, text, jw::escape::wire);
      out += R"(,"type":"arguments_delta"},)";
      break;
    case core::part_kind::text:
      out += R"("delta":{"text":)";
      jw::string(out, text, jw::escape::wire);
      out += R"(,"type":"text"},)";
      break;
  }
  close_event(type, at, step, out);
}

void write_stop_event(std::string_view type, const event_position& at, int step, std::string& out) {
  open_event(type, out);
  close_event(type, at, step, out);
}

void write_done(std::string& out) {
  out += "event: done\ndata: [DONE]\n\n";
}

// `text` without the first `skip` bytes, which the client already holds. A resume point inside
// a UTF-8 sequence (only a forged id gives one) moves on to the next character.
std::string_view suffix(std::string_view text, std::size_t skip) {
  while (skip < text.size() && (static_cast<unsigned char>(text[skip]) & 0xC0) == 0x80) {
    ++skip;
  }
  return text.substr(std::min(skip, text.size()));
}

json step_skeleton(core::part_kind kind, const std::string& id, const std::string& name) {
  switch (kind) {
    case core::part_kind::thought:
      return json{{"type", "thought"}};
    case core::part_kind::tool_call:
      return json{
          {"type", "function_call"}, {"id", id}, {"name", name}, {"arguments", json::object()}};
    case core::part_kind::text:
      break;
  }
  return json{{"type", "model_output"}};
}

}  // namespace

stream_renderer::stream_renderer(interaction_meta meta, bool thought_summaries)
    : stream_renderer(std::move(meta), stream_options{thought_summaries, schema::steps, {}},
                      std::nullopt) {}

stream_renderer::stream_renderer(interaction_meta meta, stream_options options,
                                 std::optional<event_position> resume)
    : meta_(std::move(meta)), options_(std::move(options)), resume_(resume) {}

core::result<stream_renderer> stream_renderer::make(interaction_meta meta, stream_options options) {
  std::optional<event_position> resume;
  if (!options.last_event_id.empty()) {
    resume = parse_id(options.last_event_id);
    if (!resume) {
      return core::make_error(core::error_kind::invalid_request,
                              "last_event_id: not an event id of this server", "last_event_id");
    }
  }
  return stream_renderer(std::move(meta), std::move(options), resume);
}

bool stream_renderer::valid_event_id(std::string_view id) {
  return parse_id(id).has_value();
}

std::string_view stream_renderer::name(std::string_view steps_name,
                                       std::string_view legacy_name) const {
  return options_.form == schema::legacy ? legacy_name : steps_name;
}

// Whether the event at `at` goes out: only events after the resume point do.
bool stream_renderer::passes(const event_position& at) {
  if (!resume_) {
    return true;
  }
  if (at == *resume_) {
    resume_seen_ = true;
  }
  return *resume_ < at;
}

// For a delta carrying bytes [from, to) of `step`'s payload: how many leading bytes the client
// already holds, or npos when it holds them all. A replay's whole-step delta that straddles the
// resume point goes out as its suffix.
std::size_t stream_renderer::delta_skip(int step, std::size_t from, std::size_t to) {
  if (!resume_) {
    return 0;
  }
  const event_position& r = *resume_;
  bool inside = r.rank == 2 && r.step == step && r.sub == 1;
  if (inside && from < r.bytes && r.bytes <= to) {
    resume_seen_ = true;
  }
  if (!(r < step_at(step, 1, to))) {
    return std::string::npos;
  }
  return inside && r.bytes > from ? r.bytes - from : 0;
}

void stream_renderer::begin(std::string& out) {
  meta_.status = "in_progress";
  if (passes(event_position{0})) {
    json interaction =
        options_.form == schema::legacy ? legacy_interaction_json(meta_) : interaction_json(meta_);
    write_event(name("interaction.created", "interaction.start"), event_position{0},
                json{{"interaction", std::move(interaction)}}, out);
  }
  if (passes(event_position{1})) {
    json update{{"status", "in_progress"}};
    if (!meta_.id.empty()) {
      update["interaction_id"] = meta_.id;
    }
    write_event("interaction.status_update", event_position{1}, std::move(update), out);
  }
}

stream_renderer::step_state* stream_renderer::step_of(int part_index, int* step) {
  if (part_index < 0 || static_cast<std::size_t>(part_index) >= step_of_part_.size()) {
    return nullptr;
  }
  *step = step_of_part_[static_cast<std::size_t>(part_index)];
  return *step < 0 ? nullptr : &steps_[static_cast<std::size_t>(*step)];
}

void stream_renderer::on_start(const core::part_start& s, std::string& out) {
  if (s.index < 0) {
    return;
  }
  auto at = static_cast<std::size_t>(s.index);
  if (at >= step_of_part_.size()) {
    step_of_part_.resize(at + 1, -1);
  }
  int step = static_cast<int>(steps_.size());
  step_of_part_[at] = step;
  steps_.push_back(step_state{s.kind, s.id, s.name, 0, {}, {}});
  if (!passes(step_at(step, 0))) {
    return;
  }
  json start{{"index", step}};
  if (options_.form == schema::legacy) {
    start["content"] = legacy_content_start(s.kind);
  } else {
    start["step"] = step_skeleton(s.kind, s.id, s.name);
  }
  write_event(name("step.start", "content.start"), step_at(step, 0), std::move(start), out);
}

// Text, thought summary or arguments bytes for the part at `index`, if it is of kind `kind`.
void stream_renderer::on_payload(int index, core::part_kind kind, std::string_view bytes,
                                 std::string& out) {
  int step = -1;
  step_state* st = step_of(index, &step);
  if (st == nullptr || st->kind != kind || bytes.empty()) {
    return;
  }
  if (kind == core::part_kind::thought && !options_.thought_summaries) {
    return;
  }
  if (kind == core::part_kind::tool_call && options_.form == schema::legacy) {
    st->arguments += bytes;  // the legacy call goes out whole when the part stops
    return;
  }
  std::size_t from = st->bytes;
  st->bytes += bytes.size();
  std::size_t skip = delta_skip(step, from, st->bytes);
  if (skip == std::string::npos) {
    return;
  }
  std::string_view text = suffix(bytes, skip);
  if (text.empty()) {
    return;
  }
  write_delta_event(name("step.delta", "content.delta"), step_at(step, 1, st->bytes), step, kind,
                    text, out);
}

// Legacy: one content.delta with the whole parsed call (spec §9). A resume point inside the
// call's arguments cannot split it, so the call goes out again, whole.
void stream_renderer::emit_call(int step, std::string& out) {
  auto& st = steps_[static_cast<std::size_t>(step)];
  std::string arguments = st.arguments.empty() ? std::string("{}") : std::move(st.arguments);
  st.arguments.clear();
  std::size_t from = st.bytes;
  st.bytes += arguments.size();
  if (delta_skip(step, from, st.bytes) == std::string::npos) {
    return;
  }
  json delta = call_json(core::tool_call_part{st.call_id, st.call_name, std::move(arguments)});
  write_event("content.delta", step_at(step, 1, st.bytes),
              json{{"index", step}, {"delta", std::move(delta)}}, out);
}

void stream_renderer::on_stop(int index, std::string& out) {
  int step = -1;
  step_state* st = step_of(index, &step);
  if (st == nullptr) {
    return;
  }
  if (st->kind == core::part_kind::tool_call && options_.form == schema::legacy) {
    emit_call(step, out);
  }
  if (!st->signature.empty()) {
    // The signature is the thought's last delta (spec §6.3).
    if (passes(step_at(step, 2))) {
      write_event(name("step.delta", "content.delta"), step_at(step, 2),
                  json{{"index", step},
                       {"delta", {{"type", "thought_signature"}, {"signature", st->signature}}}},
                  out);
    }
    st->signature.clear();
  }
  if (passes(step_at(step, 3))) {
    write_stop_event(name("step.stop", "content.stop"), step_at(step, 3), step, out);
  }
}

void stream_renderer::on_signature(int index, std::string_view bytes) {
  int step = -1;
  if (step_state* st = step_of(index, &step); st && st->kind == core::part_kind::thought) {
    st->signature += bytes;
  }
}

void stream_renderer::on(const core::stream_event& e, std::string& out) {
  if (ended_) {
    return;
  }
  acc_.on(e);
  std::visit(core::overloaded{
                 [&](const core::part_start& s) { on_start(s, out); },
                 [&](const core::text_delta& d) {
                   on_payload(d.index, core::part_kind::text, d.text, out);
                 },
                 [&](const core::thought_delta& d) {
                   on_payload(d.index, core::part_kind::thought, d.text, out);
                 },
                 [&](const core::tool_args_delta& d) {
                   on_payload(d.index, core::part_kind::tool_call, d.fragment, out);
                 },
                 [&](const core::signature_delta& d) { on_signature(d.index, d.signature); },
                 [&](const core::redacted_thought& d) { on_signature(d.index, d.data); },
                 [&](const core::part_stop& s) { on_stop(s.index, out); },
                 [&](const core::stream_error& err) { fail(err.value, out); },
                 [&](const auto&) {},
             },
             e);
}

void stream_renderer::complete(std::string& out) {
  complete_as(status_of(acc_.current()), out);
}

void stream_renderer::complete_as(const std::string& status, std::string& out) {
  if (ended_) {
    return;
  }
  ended_ = true;
  meta_.status = status;
  meta_.updated = std::chrono::system_clock::now();
  if (passes(event_position{3})) {
    json interaction;
    if (options_.form == schema::legacy) {
      // The legacy end event carries the interaction with empty outputs (spec §9).
      interaction = legacy_interaction_json(meta_);
      interaction["outputs"] = json::array();
      interaction["usage"] = legacy_usage_json(acc_.current().tokens);
    } else {
      interaction = interaction_json(meta_);  // no steps: the docs say so (spec §6.1)
      interaction["usage"] = usage_json(acc_.current().tokens);
    }
    write_event(name("interaction.completed", "interaction.complete"), event_position{3},
                json{{"interaction", std::move(interaction)}}, out);
  }
  write_done(out);
}

void stream_renderer::fail(const core::error& e, std::string& out) {
  if (ended_) {
    return;
  }
  ended_ = true;
  if (passes(event_position{3})) {
    write_event("error", event_position{3},
                json{{"error", {{"code", core::to_string(e.kind)}, {"message", e.message}}}}, out);
  }
  write_done(out);
}

}  // namespace interlingua::dialects::interactions
