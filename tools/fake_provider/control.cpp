// /_control/* endpoints: let out-of-process users (JS end-to-end tests, the benchmark) script
// answers and read the request log over HTTP, the same things the C++ API offers in-process.

#include "fake_internal.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace interlingua::fake::detail {
namespace {

using json = nlohmann::json;

plan json_ok(const json& body) {
  plan p;
  p.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return p;
}

fault parse_fault(const std::string& name) {
  if (name == "none") {
    return fault::none;
  }
  if (name == "reset_before_headers") {
    return fault::reset_before_headers;
  }
  if (name == "reset_mid_stream") {
    return fault::reset_mid_stream;
  }
  if (name == "stall") {
    return fault::stall;
  }
  throw std::invalid_argument("unknown fault: " + name);
}

std::string read_body_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::invalid_argument("cannot read body_file: " + path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::chrono::milliseconds millis(const json& j, const char* key) {
  return std::chrono::milliseconds(j.value(key, std::int64_t{0}));
}

script script_from_json(const json& j) {
  if (!j.is_object()) {
    throw std::invalid_argument("a script must be a JSON object");
  }
  script s;
  s.status = j.value("status", 200);
  s.body = j.contains("body_file") ? read_body_file(j["body_file"].get<std::string>())
                                   : j.value("body", std::string());
  s.content_type = j.value("content_type", std::string());
  if (j.contains("headers")) {
    for (const auto& [name, value] : j["headers"].items()) {
      s.headers.emplace_back(name, value.is_string() ? value.get<std::string>() : value.dump());
    }
  }
  s.first_byte_delay = millis(j, "first_byte_delay_ms");
  s.gap = millis(j, "gap_ms");
  s.fault_kind = parse_fault(j.value("fault", std::string("none")));
  s.fault_after_events = j.value("fault_after_events", std::size_t{1});
  return s;
}

// Accepts one script object or an array of them, so a test can queue a sequence atomically.
plan push_scripts(state& st, const std::string& body) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    return json_error(400, "malformed JSON body");
  }
  std::vector<script> scripts;
  try {
    if (j.is_array()) {
      for (const auto& item : j) {
        scripts.push_back(script_from_json(item));
      }
    } else {
      scripts.push_back(script_from_json(j));
    }
  } catch (const std::exception& e) {
    return json_error(400, e.what());
  }
  const std::size_t queued = scripts.size();
  st.push_all(std::move(scripts));
  return json_ok({{"ok", true}, {"queued", queued}});
}

plan list_requests(const state& st) {
  json out = json::array();
  for (const auto& r : st.requests()) {
    out.push_back(
        {{"method", r.method}, {"target", r.target}, {"headers", r.headers}, {"body", r.body}});
  }
  return json_ok(out);
}

}  // namespace

plan control_plan(state& st, const recorded_request& req) {
  const std::string path = path_of(req.target);
  if (path == "/_control/health" && req.method == "GET") {
    return json_ok({{"status", "ok"}});
  }
  if (path == "/_control/script" && req.method == "POST") {
    return push_scripts(st, req.body);
  }
  if (path == "/_control/requests" && req.method == "GET") {
    return list_requests(st);
  }
  if (path == "/_control/reset" && req.method == "POST") {
    st.clear();
    return json_ok({{"ok", true}});
  }
  return json_error(404, "unknown path");
}

}  // namespace interlingua::fake::detail
