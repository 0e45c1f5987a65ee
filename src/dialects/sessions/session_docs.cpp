#include "documents_common.hpp"

// Sessions: parse_session and session_agents. Rules in documents.cpp's header comment.

namespace interlingua::dialects::sessions {

using namespace docs;

// ---- sessions ----------------------------------------------------------------------------------

namespace {

json session_defaults() {
  return json{
      {"agents", json::array()},     {"users", json::array()},    {"situation", nullptr},
      {"system_template", nullptr},  {"render_templates", true},  {"token_budget", nullptr},
      {"context_overflow", nullptr}, {"auto_run_tools", false},   {"forward_tool_calls", false},
      {"recall_options", nullptr},   {"metadata", json::object()}};
}

bool recall_knob_ok(validator& v, const std::string& key, const json& x, const std::string& loc) {
  if (key == "limit" || key == "num_search_messages") {
    return v.integer(x, loc) && v.range(x, loc, 1, 50);
  }
  if (key == "max_query_length") {
    return v.integer(x, loc) && v.range(x, loc, 100, 10000);
  }
  if (key == "k_multiplier") {
    return v.integer(x, loc) && v.range(x, loc, 0, 1e18);
  }
  if (key == "lang") {
    return v.literal(x, loc, {"en-US"});
  }
  if (key == "metadata_filter") {
    return v.object(x, loc);
  }
  if (key == "include_embeddings") {
    return v.boolean(x, loc);
  }
  if (key == "confidence") {
    return v.number(x, loc) && v.range(x, loc, -1, 1);
  }
  if (key == "mmr_strength") {
    return v.number(x, loc) && v.range(x, loc, 0, 1, true);
  }
  // alpha, trigram_similarity_threshold (which may be null)
  if (key == "trigram_similarity_threshold" && x.is_null()) {
    return true;
  }
  return v.number(x, loc) && v.range(x, loc, 0, 1);
}

// VectorDocSearch | TextOnlyDocSearch | HybridDocSearch by `mode` (default vector), with the
// mode's defaults filled in as upstream's model_dump does; other keys are dropped.
std::optional<json> recall_of(validator& v, const json& x) {
  const std::string loc = "recall_options";
  if (!v.object(x, loc)) {
    return std::nullopt;
  }
  std::string mode = "vector";
  if (const json* m = member(x, "mode"); m && !m->is_null()) {
    if (!v.literal(*m, at(loc, "mode"), {"vector", "text", "hybrid"})) {
      return std::nullopt;
    }
    mode = text(*m);
  }
  json out = recall_defaults(mode);
  bool ok = true;
  for (auto& [key, value] : out.items()) {
    const json* given = member(x, key);
    if (key == "mode" || given == nullptr) {
      continue;
    }
    if (recall_knob_ok(v, key, *given, at(loc, key))) {
      value = *given;
    } else {
      ok = false;
    }
  }
  return ok ? std::optional<json>(std::move(out)) : std::nullopt;
}

// A uuid (or null) / list of uuids (or null), lower-cased; nullopt when invalid.
std::optional<json> id_of(validator& v, const json& x, const std::string& key) {
  if (x.is_null()) {
    return json(nullptr);
  }
  return v.uuid(x, key) ? std::optional<json>(lower_uuid(x)) : std::nullopt;
}

std::optional<json> ids_of(validator& v, const json& x, const std::string& key) {
  if (x.is_null()) {
    return json::array();
  }
  if (!v.list(x, key)) {
    return std::nullopt;
  }
  json out = json::array();
  bool ok = true;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (v.uuid(x[i], item(key, i))) {
      out.push_back(lower_uuid(x[i]));
    } else {
      ok = false;
    }
  }
  return ok ? std::optional<json>(std::move(out)) : std::nullopt;
}

void session_field(validator& v, const std::string& key, const json& x, bool merge, json& doc) {
  if (key == "situation" || key == "system_template") {
    if (x.is_null() || v.string(x, key)) {
      doc[key] = x;
    }
  } else if (key == "render_templates" || key == "auto_run_tools" || key == "forward_tool_calls") {
    if (v.boolean(x, key)) {
      doc[key] = x;
    }
  } else if (key == "token_budget") {
    if (x.is_null() || v.integer(x, key)) {
      doc[key] = x.is_number_float() ? json(static_cast<std::int64_t>(x.get<double>())) : x;
    }
  } else if (key == "context_overflow") {
    if (x.is_null() || v.literal(x, key, {"truncate", "adaptive"})) {
      doc[key] = x;
    }
  } else if (key == "recall_options") {
    if (x.is_null()) {
      doc[key] = nullptr;
    } else if (auto r = recall_of(v, x)) {
      doc[key] = *r;
    }
  } else if (key == "metadata") {
    if (x.is_null()) {
      doc[key] = json::object();
    } else if (v.object(x, key)) {
      doc[key] = merge ? merged(doc[key], x) : x;
    }
  }
}

struct participants {
  json agent, agents, user, users;  // as validated; discarded (null) when absent or invalid
  bool named_agents = false, named_users = false;
};

participants participants_of(validator& v, const json& in) {
  participants p;
  auto one = [&](const char* key, json& slot, bool& named) {
    if (const json* x = member(in, key)) {
      named = named || !x->is_null();
      slot = id_of(v, *x, key).value_or(nullptr);
    }
  };
  auto many = [&](const char* key, json& slot, bool& named) {
    if (const json* x = member(in, key)) {
      named = named || !x->is_null();
      slot = ids_of(v, *x, key).value_or(json::array());
    }
  };
  one("agent", p.agent, p.named_agents);
  many("agents", p.agents, p.named_agents);
  one("user", p.user, p.named_users);
  many("users", p.users, p.named_users);
  return p;
}

// Julep's rules (queries/sessions/create_session.py): `agents` if non-empty, else [`agent`];
// both given is a 400, and so is a session with no agent.
std::optional<problem> apply_participants(const participants& p, json& doc) {
  bool has_agent = p.agent.is_string();
  bool has_agents = p.agents.is_array() && !p.agents.empty();
  if (has_agent && has_agents) {
    return bad_request("Only one of 'agent' or 'agents' should be provided");
  }
  if (p.named_agents) {
    doc["agents"] = has_agents ? p.agents : has_agent ? json::array({p.agent}) : json::array();
  }
  if (p.named_users) {
    if (p.users.is_array() && !p.users.empty()) {
      doc["users"] = p.users;
    } else {
      doc["users"] = p.user.is_string() ? json::array({p.user}) : json::array();
    }
  }
  if (session_agents(doc).empty()) {
    return bad_request("At least one agent must be provided");
  }
  return std::nullopt;
}

}  // namespace

checked<json> parse_session(std::string_view body, const json* base, bool patch) {
  std::vector<issue> issues;
  auto in = body_object(body, issues);
  if (!in) {
    return validation_failed(std::move(issues));
  }
  validator v{issues};
  bool merge = patch && base != nullptr && base->is_object();
  json doc = merge ? *base : session_defaults();
  if (!merge && base != nullptr) {
    for (const char* key : {"agents", "users"}) {  // PUT keeps the participants it does not name
      if (const json* ids = member(*base, key); ids && ids->is_array()) {
        doc[key] = *ids;
      }
    }
  }
  for (const auto& [key, x] : in->items()) {
    if (merge && x.is_null()) {
      continue;
    }
    session_field(v, key, x, merge, doc);
  }
  participants p = participants_of(v, *in);
  if (!issues.empty()) {
    return validation_failed(std::move(issues));
  }
  if (auto bad = apply_participants(p, doc)) {
    return *bad;
  }
  return checked<json>(boost::system::in_place_value, std::move(doc));
}

std::vector<std::string> session_agents(const json& session) {
  std::vector<std::string> out;
  if (const json* agents = member(session, "agents"); agents && agents->is_array()) {
    for (const auto& a : *agents) {
      if (a.is_string()) {
        out.push_back(text(a));
      }
    }
  }
  if (out.empty()) {
    if (const json* agent = member_string(session, "agent")) {
      out.push_back(text(*agent));
    }
  }
  return out;
}

}  // namespace interlingua::dialects::sessions
