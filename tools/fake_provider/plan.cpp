#include "fake_internal.hpp"

#include <nlohmann/json.hpp>

namespace interlingua::fake::detail {
namespace {

bool starts_with_field(std::string_view text, std::string_view field) {
  return text.substr(0, field.size()) == field;
}

// Length of the line break at pos ("\n" or "\r\n"), 0 if there is none.
std::size_t line_break_at(std::string_view text, std::size_t pos) {
  if (pos < text.size() && text[pos] == '\n') {
    return 1;
  }
  if (pos + 1 < text.size() && text[pos] == '\r' && text[pos + 1] == '\n') {
    return 2;
  }
  return 0;
}

bool is_control_path(std::string_view path) {
  return path == "/_control" || path.substr(0, 10) == "/_control/";
}

}  // namespace

bool looks_like_sse(std::string_view body) {
  const auto first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return false;
  }
  body.remove_prefix(first);
  // Comments (":") and "id:" may open a real stream too; JSON bodies never start like this.
  return starts_with_field(body, "data:") || starts_with_field(body, "event:") ||
         starts_with_field(body, ":") || starts_with_field(body, "id:");
}

std::vector<std::string> split_sse_events(std::string_view body) {
  std::vector<std::string> events;
  std::size_t start = 0;
  std::size_t pos = 0;
  bool has_content = false;  // blank lines before any field do not end an event
  while (pos < body.size()) {
    const std::size_t blank = line_break_at(body, pos);
    if (blank > 0 && has_content) {
      events.emplace_back(body.substr(start, pos + blank - start));
      start = pos + blank;
      pos = start;
      has_content = false;
      continue;
    }
    const std::size_t eol = body.find('\n', pos);
    has_content = has_content || blank == 0;
    pos = eol == std::string_view::npos ? body.size() : eol + 1;
  }
  if (start < body.size()) {
    events.emplace_back(body.substr(start));
  }
  return events;
}

plan plan_from_script(script s) {
  plan p;
  const bool sse = looks_like_sse(s.body);
  p.status = s.status;
  p.content_type = !s.content_type.empty() ? s.content_type
                   : sse                   ? "text/event-stream"
                                           : "application/json";
  p.headers = std::move(s.headers);
  p.first_byte_delay = s.first_byte_delay;
  p.gap = s.gap;
  p.fault_kind = s.fault_kind;
  p.fault_after_events = s.fault_after_events;
  // A body can only be cut after N events if it goes out in pieces, so faults force chunking.
  p.streamed = sse || s.fault_kind == fault::reset_mid_stream || s.fault_kind == fault::stall;
  if (!p.streamed) {
    p.body = std::move(s.body);
  } else if (sse) {
    p.events = split_sse_events(s.body);
  } else if (!s.body.empty()) {
    p.events.push_back(std::move(s.body));
  }
  return p;
}

plan json_error(int status, std::string_view message) {
  plan p;
  p.status = status;
  const nlohmann::json body = {{"error", {{"message", message}}}};
  p.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return p;
}

std::string path_of(std::string_view target) {
  return std::string(target.substr(0, target.find('?')));
}

std::string query_of(std::string_view target) {
  const auto q = target.find('?');
  return q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));
}

state::state(const options& opts)
    : echo_{opts.first_byte_delay, opts.gap, opts.stream_events},
      max_recorded_(opts.max_recorded) {}

void state::push(script s) {
  const std::lock_guard lock(mu_);
  scripts_.push_back(std::move(s));
}

void state::push_all(std::vector<script> scripts) {
  const std::lock_guard lock(mu_);
  for (auto& s : scripts) {
    scripts_.push_back(std::move(s));
  }
}

std::vector<recorded_request> state::requests() const {
  const std::lock_guard lock(mu_);
  return {records_.begin(), records_.end()};
}

void state::note_stall_closed() {
  const std::lock_guard lock(mu_);
  stall_closes_.push_back(std::chrono::steady_clock::now());
}

std::vector<std::chrono::steady_clock::time_point> state::stall_closes() const {
  const std::lock_guard lock(mu_);
  return stall_closes_;
}

void state::clear() {
  const std::lock_guard lock(mu_);
  scripts_.clear();
  records_.clear();
  stall_closes_.clear();
}

std::optional<script> state::pop_script() {
  const std::lock_guard lock(mu_);
  if (scripts_.empty()) {
    return std::nullopt;
  }
  script s = std::move(scripts_.front());
  scripts_.pop_front();
  return s;
}

void state::record(recorded_request req) {
  const std::lock_guard lock(mu_);
  if (max_recorded_ == 0) {
    return;
  }
  if (records_.size() >= max_recorded_) {
    records_.pop_front();
  }
  records_.push_back(std::move(req));
}

plan state::answer(recorded_request req) {
  if (is_control_path(path_of(req.target))) {
    return control_plan(*this, req);
  }
  record(req);
  if (auto s = pop_script()) {
    return plan_from_script(std::move(*s));
  }
  if (auto p = echo_plan(req, echo_, ++next_id_)) {
    return std::move(*p);
  }
  return json_error(404, "unknown path");
}

}  // namespace interlingua::fake::detail
