#include <interlingua/core/reply.hpp>

#include <interlingua/core/overloaded.hpp>

namespace interlingua::core {

part* accumulator::slot(int index) {
  if (index < 0 || static_cast<std::size_t>(index) >= slot_of_index_.size()) {
    return nullptr;
  }
  int at = slot_of_index_[static_cast<std::size_t>(index)];
  return at < 0 ? nullptr : &reply_.parts[static_cast<std::size_t>(at)];
}

void accumulator::open(const part_start& start) {
  if (start.index < 0) {
    return;
  }
  auto index = static_cast<std::size_t>(start.index);
  if (index >= slot_of_index_.size()) {
    slot_of_index_.resize(index + 1, -1);
  }
  slot_of_index_[index] = static_cast<int>(reply_.parts.size());
  switch (start.kind) {
    case part_kind::text:
      reply_.parts.emplace_back(text_part{});
      break;
    case part_kind::thought:
      reply_.parts.emplace_back(thought_part{});
      break;
    case part_kind::tool_call:
      reply_.parts.emplace_back(tool_call_part{start.id, start.name, {}});
      break;
  }
}

void accumulator::on(const event_list& events) {
  for (const auto& e : events) {
    on(e);
  }
}

void accumulator::on(const stream_event& event) {
  std::visit(core::overloaded{
                 [&](const message_start& m) {
                   reply_.id = m.id;
                   reply_.model = m.model;
                 },
                 [&](const part_start& s) { open(s); },
                 [&](const text_delta& d) {
                   if (auto* p = slot(d.index); p && std::holds_alternative<text_part>(*p)) {
                     std::get<text_part>(*p).text += d.text;
                   }
                 },
                 [&](const thought_delta& d) {
                   if (auto* p = slot(d.index); p && std::holds_alternative<thought_part>(*p)) {
                     std::get<thought_part>(*p).text += d.text;
                   }
                 },
                 [&](const signature_delta& d) {
                   if (auto* p = slot(d.index); p && std::holds_alternative<thought_part>(*p)) {
                     std::get<thought_part>(*p).signature += d.signature;
                   }
                 },
                 [&](const redacted_thought& d) {
                   if (auto* p = slot(d.index); p && std::holds_alternative<thought_part>(*p)) {
                     auto& t = std::get<thought_part>(*p);
                     t.redacted = true;
                     t.signature += d.data;
                   }
                 },
                 [&](const tool_args_delta& d) {
                   if (auto* p = slot(d.index); p && std::holds_alternative<tool_call_part>(*p)) {
                     std::get<tool_call_part>(*p).arguments += d.fragment;
                   }
                 },
                 [&](const part_stop&) {},
                 [&](const usage_update& u) { reply_.tokens = u.value; },
                 [&](const finish& f) { reply_.reason = f.reason; },
                 [&](const stream_error& e) {
                   reply_.failure = e.value;
                   reply_.reason = finish_reason::error;
                 },
             },
             event);
}

}  // namespace interlingua::core

namespace interlingua::core {

event_list events_of(const part& p, int index) {
  event_list out;
  if (const auto* t = std::get_if<text_part>(&p)) {
    out.push_back(part_start{index, part_kind::text, {}, {}});
    out.push_back(text_delta{index, t->text});
  } else if (const auto* th = std::get_if<thought_part>(&p)) {
    out.push_back(part_start{index, part_kind::thought, {}, {}});
    if (!th->text.empty()) {
      out.push_back(thought_delta{index, th->text});
    }
    if (th->redacted) {
      out.push_back(redacted_thought{index, th->signature});
    } else if (!th->signature.empty()) {
      out.push_back(signature_delta{index, th->signature});
    }
  } else if (const auto* c = std::get_if<tool_call_part>(&p)) {
    out.push_back(part_start{index, part_kind::tool_call, c->id, c->name});
    out.push_back(tool_args_delta{index, c->arguments});
  } else {
    return out;  // inputs (tool results, media) are not output parts
  }
  out.push_back(part_stop{index});
  return out;
}

}  // namespace interlingua::core
