#include <interlingua/dialects/sessions.hpp>

#include "pyrepr.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <initializer_list>

#include <interlingua/core/json_util.hpp>

// Agents, sessions and history entries: the documents the store keeps, validated the way
// upstream's pydantic models validate them (one issue per violation, `loc` naming the field), and
// rendered in Julep's response shapes.
//
// Agent (CreateAgentRequest / UpdateAgentRequest of Julep's typespec):
//   name                     required on create and PUT; 1..120 characters (Julep's Unicode
//                            identifier pattern is not applied beyond "not empty")
//   about                    string, default ""
//   model                    string, default "gpt-4o-mini" (Julep's default when none is given)
//   instructions             string or list of strings, default ""
//   default_settings         object or null: the ChatInput generation settings with the same
//                            ranges (temperature 0..5, top_p 0..1, ...); unknown keys and nulls
//                            are dropped
//   tools                    CreateToolRequest[] (an addition: Julep keeps tools under
//                            /agents/{id}/tools; here they live on the agent and are rendered)
//   metadata                 object, default {}
//   default_system_template  string or null (null: the gateway's documented default template)
// Session: the CreateSessionRequest fields of spec §5.1, participants stored as `agents` and
// `users` id lists and rendered as such (an addition to Julep's Session shape, which has none).
// recall_options is stored with its mode's defaults filled in (upstream's model_dump); omitted
// or null, it renders as the vector defaults of §5.1, as upstream's stored {} does. As in
// validate.cpp, numbers must be JSON numbers (pydantic's lax mode would also take "5").
//
// Create starts from the defaults. PUT (update) also starts from the defaults but keeps the
// stored tools (agents) and participants (sessions) unless the body names them. PATCH merges
// onto the stored document: a given field replaces the stored one, except `metadata` and
// `default_settings`, which are merged key by key (as upstream's jsonb `||`), and a null leaves
// the field as it is (upstream's patch ignores nulls).
//
// Entries: string content is stored as [{"type":"text","text":...}]; `tokenizer` is
// "character_count" and `token_count` the number of characters of the text parts.

namespace interlingua::dialects::sessions {

namespace {

using namespace core::json_util;

constexpr std::size_t max_name_chars = 120;
constexpr const char* default_model = "gpt-4o-mini";

// ---- issues ------------------------------------------------------------------------------------

std::string number_text(double d) {
  if (std::floor(d) == d && std::fabs(d) < 1e15) {
    return std::to_string(static_cast<long long>(d));
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);  // shortest form, as pydantic prints limits
  return std::string(buf, r.ptr);
}

std::string at(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string item(const std::string& parent, std::size_t i) {
  return parent + "[" + std::to_string(i) + "]";
}

struct validator {
  std::vector<issue>& issues;

  bool fail(std::string type, std::string msg, std::string loc, const json& v) {
    issues.push_back(issue{std::move(type), std::move(msg), std::move(loc), py_str(v)});
    return false;
  }

  bool string(const json& v, const std::string& loc) {
    return v.is_string() || fail("string_type", "Input should be a valid string", loc, v);
  }

  bool boolean(const json& v, const std::string& loc) {
    return v.is_boolean() || fail("bool_type", "Input should be a valid boolean", loc, v);
  }

  bool object(const json& v, const std::string& loc) {
    return v.is_object() || fail("dict_type", "Input should be a valid dictionary", loc, v);
  }

  bool list(const json& v, const std::string& loc) {
    return v.is_array() || fail("list_type", "Input should be a valid list", loc, v);
  }

  // Integers, and floats with no fractional part (pydantic's lax mode takes 5.0 for 5).
  bool integer(const json& v, const std::string& loc) {
    if (v.is_number_integer() || v.is_number_unsigned()) {
      return true;
    }
    if (v.is_number_float()) {
      double d = v.get<double>();
      return (std::isfinite(d) && std::floor(d) == d) ||
             fail("int_from_float",
                  "Input should be a valid integer, got a number with a fractional part", loc, v);
    }
    return fail("int_type", "Input should be a valid integer", loc, v);
  }

  bool number(const json& v, const std::string& loc) {
    return v.is_number() || fail("float_type", "Input should be a valid number", loc, v);
  }

  // lo <= v <= hi (inclusive), or v < hi when `open_hi`.
  bool range(const json& v, const std::string& loc, double lo, double hi, bool open_hi = false) {
    double d = v.get<double>();
    if (d < lo) {
      return fail("greater_than_equal",
                  "Input should be greater than or equal to " + number_text(lo), loc, v);
    }
    if (open_hi && d >= hi) {
      return fail("less_than", "Input should be less than " + number_text(hi), loc, v);
    }
    if (d > hi) {
      return fail("less_than_equal", "Input should be less than or equal to " + number_text(hi),
                  loc, v);
    }
    return true;
  }

  bool literal(const json& v, const std::string& loc, std::initializer_list<const char*> allowed) {
    for (const char* a : allowed) {
      if (v.is_string() && text(v) == a) {
        return true;
      }
    }
    std::string msg = "Input should be ";
    std::size_t i = 0;
    for (const char* a : allowed) {
      msg += i == 0 ? "" : (i + 1 == allowed.size() ? " or " : ", ");
      msg += "'" + std::string(a) + "'";
      ++i;
    }
    return fail("literal_error", msg, loc, v);
  }

  bool uuid(const json& v, const std::string& loc) {
    return (v.is_string() && is_uuid(text(v))) ||
           fail("uuid_parsing", "Input should be a valid UUID", loc, v);
  }

  void missing(const json& parent, const std::string& loc) {
    fail("missing", "Field required", loc, parent);
  }
};

std::size_t characters(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    n += (c & 0xC0) != 0x80 ? 1 : 0;
  }
  return n;
}

// UUIDs are stored lower-case, as upstream prints them, so ids compare as text.
json lower_uuid(const json& v) {
  std::string s = text(v);
  for (auto& c : s) {
    c = (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return s;
}

// ---- shared field checks -----------------------------------------------------------------------

std::optional<json> body_object(std::string_view body, std::vector<issue>& issues) {
  validator v{issues};
  auto parsed = parse(body);
  if (!parsed) {
    v.fail("json_invalid", "JSON decode error", "body", json(std::string(body)));
    return std::nullopt;
  }
  if (!parsed->is_object()) {
    v.fail("model_attributes_type",
           "Input should be a valid dictionary or object to extract fields from", "body", *parsed);
    return std::nullopt;
  }
  return parsed;
}

checked<json> validation_failed(std::vector<issue> issues) {
  problem p;
  p.details = std::move(issues);
  return p;
}

problem bad_request(std::string message) {
  return problem{400, std::move(message), "http_400", {}};
}

// A settings knob of ChatInput (spec §1.1) with its range; kept when valid.
bool setting_ok(validator& v, const std::string& key, const json& x, const std::string& loc) {
  struct span {
    const char* key;
    double lo, hi;
  };
  static constexpr span numbers[] = {
      {"temperature", 0, 5},        {"top_p", 0, 1},          {"min_p", 0, 1},
      {"frequency_penalty", -2, 2}, {"presence_penalty", -2, 2},
      {"repetition_penalty", 0, 2}, {"length_penalty", 0, 2},
  };
  for (const auto& s : numbers) {
    if (key == s.key) {
      return v.number(x, loc) && v.range(x, loc, s.lo, s.hi);
    }
  }
  if (key == "max_tokens") {
    return v.integer(x, loc) && v.range(x, loc, 1, 1e18);
  }
  if (key == "seed") {
    return v.integer(x, loc) && v.range(x, loc, -1, 1000);
  }
  if (key == "stop") {
    if (!v.list(x, loc)) {
      return false;
    }
    bool ok = true;
    for (std::size_t i = 0; i < x.size(); ++i) {
      ok = v.string(x[i], item(loc, i)) && ok;
    }
    if (x.size() > 4) {
      return v.fail("too_long",
                    "List should have at most 4 items after validation, not " +
                        std::to_string(x.size()),
                    loc, x);
    }
    return ok;
  }
  if (key == "logit_bias") {
    if (!v.object(x, loc)) {
      return false;
    }
    bool ok = true;
    for (const auto& [k, bias] : x.items()) {
      ok = v.number(bias, at(loc, k)) && v.range(bias, at(loc, k), -100, 100) && ok;
    }
    return ok;
  }
  // response_format: {"type":"text"|"json_object"|"json_schema"}, json_schema for the last.
  if (!v.object(x, loc)) {
    return false;
  }
  const json* type = member(x, "type");
  if (type && !v.literal(*type, at(loc, "type"), {"text", "json_object", "json_schema"})) {
    return false;
  }
  if (type && text(*type) == "json_schema") {
    const json* schema = member(x, "json_schema");
    if (!schema) {
      v.missing(x, at(loc, "json_schema"));
      return false;
    }
    return v.object(*schema, at(loc, "json_schema"));
  }
  return true;
}

// default_settings: the known knobs, validated; unknown keys and nulls dropped.
std::optional<json> settings_of(validator& v, const json& x, const std::string& loc) {
  if (!v.object(x, loc)) {
    return std::nullopt;
  }
  static constexpr const char* known[] = {
      "temperature", "top_p", "min_p", "frequency_penalty", "presence_penalty",
      "repetition_penalty", "length_penalty", "max_tokens", "seed", "stop", "logit_bias",
      "response_format"};
  json out = json::object();
  bool ok = true;
  for (const char* key : known) {
    const json* val = member(x, key);
    if (val == nullptr || val->is_null()) {
      continue;
    }
    if (setting_ok(v, key, *val, at(loc, key))) {
      out[key] = *val;
    } else {
      ok = false;
    }
  }
  return ok ? std::optional<json>(std::move(out)) : std::nullopt;
}

// Shallow merge of `patch` onto `base` when both are objects (upstream's jsonb `||`).
json merged(const json& base, const json& patch) {
  if (!base.is_object() || !patch.is_object()) {
    return patch;
  }
  json out = base;
  for (const auto& [k, val] : patch.items()) {
    out[k] = val;
  }
  return out;
}

}  // namespace

// ---- agents ------------------------------------------------------------------------------------

namespace {

json agent_defaults() {
  return json{{"name", ""},
              {"about", ""},
              {"model", default_model},
              {"instructions", ""},
              {"default_settings", nullptr},
              {"metadata", json::object()},
              {"default_system_template", nullptr},
              {"tools", json::array()}};
}

bool name_ok(validator& v, const json& x) {
  if (!v.string(x, "name")) {
    return false;
  }
  std::size_t n = characters(text(x));
  if (n == 0) {
    return v.fail("string_too_short", "String should have at least 1 character", "name", x);
  }
  if (n > max_name_chars) {
    return v.fail("string_too_long",
                  "String should have at most " + std::to_string(max_name_chars) + " characters",
                  "name", x);
  }
  return true;
}

bool instructions_ok(validator& v, const json& x) {
  if (x.is_string()) {
    return true;
  }
  if (!x.is_array()) {
    // One issue for the failed str | list[str] union, as validate.cpp reports unions.
    return v.fail("string_type", "Input should be a valid string or a list of strings",
                  "instructions", x);
  }
  bool ok = true;
  for (std::size_t i = 0; i < x.size(); ++i) {
    ok = v.string(x[i], item("instructions", i)) && ok;
  }
  return ok;
}

bool tools_ok(validator& v, const json& x) {
  if (!v.list(x, "tools")) {
    return false;
  }
  std::size_t before = v.issues.size();
  for (std::size_t i = 0; i < x.size(); ++i) {
    validate_tool(x[i], item("tools", i), v.issues);
  }
  return v.issues.size() == before;
}

// One field of the body onto `doc`; unknown keys are ignored (pydantic's extra=ignore).
void agent_field(validator& v, const std::string& key, const json& x, bool merge, json& doc) {
  if (key == "name") {
    if (name_ok(v, x)) {
      doc[key] = x;
    }
  } else if (key == "about" || key == "model") {
    if (v.string(x, key)) {
      doc[key] = x;
    }
  } else if (key == "default_system_template") {
    if (x.is_null() || v.string(x, key)) {
      doc[key] = x;
    }
  } else if (key == "instructions") {
    if (instructions_ok(v, x)) {
      doc[key] = x;
    }
  } else if (key == "metadata") {
    if (x.is_null()) {
      doc[key] = json::object();
    } else if (v.object(x, key)) {
      doc[key] = merge ? merged(doc[key], x) : x;
    }
  } else if (key == "default_settings") {
    if (x.is_null()) {
      doc[key] = nullptr;
    } else if (auto s = settings_of(v, x, key)) {
      doc[key] = merge ? merged(doc[key], *s) : *s;
    }
  } else if (key == "tools") {
    if (x.is_null()) {
      doc[key] = json::array();
    } else if (tools_ok(v, x)) {
      doc[key] = x;
    }
  }
}

}  // namespace

checked<json> parse_agent(std::string_view body, const json* base, bool patch) {
  std::vector<issue> issues;
  auto in = body_object(body, issues);
  if (!in) {
    return validation_failed(std::move(issues));
  }
  validator v{issues};
  bool merge = patch && base != nullptr && base->is_object();
  json doc = merge ? *base : agent_defaults();
  if (!merge && base != nullptr) {
    if (const json* tools = member(*base, "tools"); tools && tools->is_array()) {
      doc["tools"] = *tools;  // PUT replaces the agent's fields, not its tools
    }
  }
  if (!merge && member(*in, "name") == nullptr) {
    v.missing(*in, "name");
  }
  for (const auto& [key, x] : in->items()) {
    if (merge && x.is_null()) {
      continue;
    }
    agent_field(v, key, x, merge, doc);
  }
  if (!issues.empty()) {
    return validation_failed(std::move(issues));
  }
  return checked<json>(boost::system::in_place_value, std::move(doc));
}

// ---- sessions ----------------------------------------------------------------------------------

namespace {

json session_defaults() {
  return json{{"agents", json::array()},
              {"users", json::array()},
              {"situation", nullptr},
              {"system_template", nullptr},
              {"render_templates", true},
              {"token_budget", nullptr},
              {"context_overflow", nullptr},
              {"auto_run_tools", false},
              {"forward_tool_calls", false},
              {"recall_options", nullptr},
              {"metadata", json::object()}};
}

// What upstream stores for omitted recall options ({}) reads back as these (spec §5.1).
json recall_defaults(const std::string& mode) {
  json out{{"limit", 10},
           {"lang", "en-US"},
           {"metadata_filter", json::object()},
           {"num_search_messages", 4},
           {"max_query_length", 1000},
           {"include_embeddings", true},
           {"mode", mode}};
  if (mode != "text") {
    out["confidence"] = 0.5;
    out["mmr_strength"] = 0.5;
  }
  if (mode == "hybrid") {
    out["alpha"] = 0.5;
    out["k_multiplier"] = 7;
  }
  if (mode != "vector") {
    out["trigram_similarity_threshold"] = nullptr;
  }
  return out;
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
  } else if (key == "render_templates" || key == "auto_run_tools" ||
             key == "forward_tool_calls") {
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

// ---- renderers ---------------------------------------------------------------------------------

namespace {

json stored(const store::document_record& r) {
  auto d = parse(r.body);
  return d && d->is_object() ? std::move(*d) : json::object();
}

json field(const json& d, std::string_view key, json fallback = nullptr) {
  const json* m = member(d, key);
  return m ? *m : std::move(fallback);
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string render_agent(const store::document_record& r) {
  json d = stored(r);
  json out{{"id", r.id},
           {"metadata", field(d, "metadata", json::object())},
           {"created_at", timestamp(r.created_us)},
           {"updated_at", timestamp(r.updated_us)},
           {"name", field(d, "name", "")},
           {"about", field(d, "about", "")},
           {"model", field(d, "model", "")},
           {"instructions", field(d, "instructions", "")},
           {"default_settings", field(d, "default_settings")},
           {"default_system_template", field(d, "default_system_template")},
           {"tools", field(d, "tools", json::array())}};
  return dump(out);
}

std::string render_session(const store::document_record& r) {
  json d = stored(r);
  json recall = field(d, "recall_options");
  if (!recall.is_object() || recall.empty()) {
    recall = recall_defaults("vector");
  }
  json users = field(d, "users", json::array());
  if (!users.is_array()) {
    users = json::array();
  }
  if (const json* user = member_string(d, "user"); user && users.empty()) {
    users.push_back(*user);
  }
  json out{{"situation", field(d, "situation")},
           {"system_template", field(d, "system_template")},
           {"summary", nullptr},
           {"render_templates", field(d, "render_templates", true)},
           {"token_budget", field(d, "token_budget")},
           {"context_overflow", field(d, "context_overflow")},
           {"auto_run_tools", field(d, "auto_run_tools", false)},
           {"forward_tool_calls", field(d, "forward_tool_calls", false)},
           {"recall_options", std::move(recall)},
           {"id", r.id},
           {"metadata", field(d, "metadata", json::object())},
           {"created_at", timestamp(r.created_us)},
           {"updated_at", timestamp(r.updated_us)},
           {"kind", nullptr},
           {"agents", session_agents(d)},
           {"users", std::move(users)}};
  return dump(out);
}

std::string render_list(const std::vector<store::document_record>& records,
                        std::string (*render)(const store::document_record&)) {
  std::string out = "{\"items\":[";
  for (std::size_t i = 0; i < records.size(); ++i) {
    out += i == 0 ? "" : ",";
    out += render(records[i]);
  }
  out += "]}";
  return out;
}

std::string render_deleted(std::string_view id) {
  return dump(json{{"id", id}, {"deleted_at", timestamp(now_us())}, {"jobs", json::array()}});
}

// ---- history -----------------------------------------------------------------------------------

namespace {

// Content as a list of parts: a string becomes one text part; list items that are strings too.
json content_parts(const json* content) {
  json parts = json::array();
  if (content == nullptr || content->is_null()) {
    return parts;
  }
  if (content->is_string()) {
    parts.push_back(json{{"type", "text"}, {"text", *content}});
    return parts;
  }
  if (!content->is_array()) {
    parts.push_back(json{{"type", "text"}, {"text", dump(*content)}});
    return parts;
  }
  for (const auto& p : *content) {
    parts.push_back(p.is_string() ? json{{"type", "text"}, {"text", p}} : p);
  }
  return parts;
}

std::int64_t character_count(const json& parts) {
  std::size_t n = 0;
  for (const auto& p : parts) {
    if (const json* t = member_string(p, "text")) {
      n += characters(text(*t));
    }
  }
  return static_cast<std::int64_t>(n);
}

}  // namespace

json entry_of_message(const json& message, std::string_view source, std::string_view model,
                      std::int64_t created_us) {
  json content = content_parts(member(message, "content"));
  json calls = field(message, "tool_calls");
  std::string ts = timestamp(created_us);
  std::int64_t count = character_count(content);
  return json{{"role", string_or(message, "role", "user")},
              {"name", field(message, "name")},
              {"content", std::move(content)},
              {"source", source},
              {"tokenizer", "character_count"},
              {"token_count", count},
              {"model", model.empty() ? json(nullptr) : json(model)},
              {"tool_calls", calls.is_array() ? calls : json::array()},
              {"tool_call_id", field(message, "tool_call_id")},
              {"timestamp", ts},
              {"created_at", ts},
              {"id", new_uuid()}};
}

std::string render_history(std::string_view session_id, std::int64_t session_created_us,
                           const std::vector<store::entry_record>& entries) {
  json list = json::array();
  for (const auto& e : entries) {
    if (auto body = parse(e.body); body && body->is_object()) {
      list.push_back(std::move(*body));
    }
  }
  return dump(json{{"entries", std::move(list)},
                   {"relations", json::array()},
                   {"session_id", session_id},
                   {"created_at", timestamp(session_created_us)}});
}

}  // namespace interlingua::dialects::sessions
