#include <interlingua/dialects/sessions.hpp>

#include <algorithm>

#include <interlingua/core/json_util.hpp>

// The prompt a chat sends upstream (spec §5.2 steps 4-10), built from the agent, the session,
// the saved history and the new messages.
//
// System message. Without a template (the session's `system_template`, else the agent's
// `default_system_template`) it is:
//
//     You are <agent.name>. About you: <agent.about>.
//
//     Situation: <session.situation>
//
//     Instructions:
//     - <each of agent.instructions>
//
// (each part only when set). A template is rendered with `{{ path }}` substitution over
// {agent, current_agent, session, metadata, user, settings}: `{{ agent.name }}`,
// `{{ session.situation }}`, `{{ metadata.language }}`, ... A string value is inserted as it is,
// any other JSON value as JSON, a missing one as nothing. Jinja statements (`{% ... %}`) and
// comments (`{# ... #}`) are removed: loops and conditionals are not evaluated (a documented
// deviation from Julep's full Jinja). With the session's render_templates (default true), the
// new messages' text goes through the same substitution.
//
// History. Entries come back in append order; tool entries (source tool_request: a reply that
// called tools; tool_response: a tool result) only with recall_tools. System messages among the
// new messages are appended to the system text: the core request has one system instruction.

namespace interlingua::dialects::sessions {

namespace {

using namespace core::json_util;

// ---- templates ---------------------------------------------------------------------------------

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// The value at a dotted path ("agent.name", "metadata.language") of `env`, or nullptr.
const json* lookup(const json& env, std::string_view path) {
  const json* at = &env;
  while (!path.empty()) {
    auto dot = path.find('.');
    auto key = path.substr(0, dot);
    at = member(*at, key);
    if (at == nullptr) {
      return nullptr;
    }
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  return at;
}

// What templates see: agent, current_agent, session, metadata, user and settings. Built on the
// first tag a template actually has: most prompts have none, and building it copies the agent
// document twice and the session once (a quarter of a session chat's work, bench/RESULTS.md).
class template_env {
 public:
  template_env(const json& agent, const json& session, const json& metadata, const json& settings)
      : agent_(agent), session_(session), metadata_(metadata), settings_(settings) {}

  const json& get() {
    if (!env_) {
      env_ = json{
          {"agent", agent_},     {"current_agent", agent_},
          {"session", session_}, {"metadata", metadata_.is_object() ? metadata_ : json::object()},
          {"user", nullptr},     {"settings", settings_}};
    }
    return *env_;
  }

 private:
  const json& agent_;
  const json& session_;
  const json& metadata_;
  const json& settings_;
  std::optional<json> env_;
};

std::string render_template(std::string_view tpl, template_env& env) {
  std::string out;
  out.reserve(tpl.size());
  std::size_t at = 0;
  while (at < tpl.size()) {
    auto open = tpl.find('{', at);
    if (open == std::string_view::npos || open + 1 >= tpl.size()) {
      out.append(tpl.substr(at));
      break;
    }
    out.append(tpl.substr(at, open - at));
    char kind = tpl[open + 1];
    std::string_view close = kind == '{' ? "}}" : kind == '%' ? "%}" : kind == '#' ? "#}" : "";
    auto end = close.empty() ? std::string_view::npos : tpl.find(close, open + 2);
    if (end == std::string_view::npos) {
      out.push_back('{');  // not a tag
      at = open + 1;
      continue;
    }
    if (kind == '{') {
      if (const json* v = lookup(env.get(), trim(tpl.substr(open + 2, end - open - 2)))) {
        out += v->is_string() ? text(*v) : (v->is_null() ? std::string{} : dump(*v));
      }
    }
    at = end + 2;
  }
  return out;
}

std::string default_system(const json& agent, const json& session) {
  std::string out;
  std::string name = string_or(agent, "name");
  if (!name.empty()) {
    out = "You are " + name + ".";
  }
  std::string about = string_or(agent, "about");
  if (!about.empty()) {
    out += (out.empty() ? "" : " ") + ("About you: " + about + ".");
  }
  std::string situation = string_or(session, "situation");
  if (!situation.empty()) {
    out += (out.empty() ? "" : "\n\n") + ("Situation: " + situation);
  }
  const json* instructions = member(agent, "instructions");
  if (instructions && instructions->is_string() && !text(*instructions).empty()) {
    out += (out.empty() ? "" : "\n\n") + ("Instructions: " + text(*instructions));
  } else if (instructions && instructions->is_array() && !instructions->empty()) {
    out += out.empty() ? "Instructions:" : "\n\nInstructions:";
    for (const auto& i : *instructions) {
      if (i.is_string()) {
        out += "\n- " + text(i);
      }
    }
  }
  return out;
}

// ---- messages ----------------------------------------------------------------------------------

// "data:image/png;base64,AAA" → mime and data; other URLs are passed by reference.
core::media_part image_of(const std::string& url) {
  core::media_part m{"image", {}, {}, {}};
  if (url.rfind("data:", 0) == 0) {
    auto semi = url.find(';');
    auto comma = url.find(',');
    if (semi != std::string::npos && comma != std::string::npos && semi < comma) {
      m.mime_type = url.substr(5, semi - 5);
      m.data = url.substr(comma + 1);
      return m;
    }
  }
  m.uri = url;
  return m;
}

// The text of a tool result's content (a string, or parts whose text is joined).
std::string text_of_content(const json& content) {
  if (content.is_string()) {
    return text(content);
  }
  std::string out;
  if (content.is_array()) {
    for (const auto& p : content) {
      if (p.is_string()) {
        out += text(p);
      } else if (const json* t = member_string(p, "text")) {
        out += text(*t);
      }
    }
  }
  return out;
}

void add_content(const json& content, std::vector<core::part>& parts, bool render,
                 template_env& env) {
  auto add_text = [&](const std::string& s) {
    parts.push_back(core::text_part{render ? render_template(s, env) : s});
  };
  if (content.is_string()) {
    add_text(text(content));
    return;
  }
  if (!content.is_array()) {
    return;
  }
  for (const auto& p : content) {
    if (p.is_string()) {
      add_text(text(p));
      continue;
    }
    std::string type = string_or(p, "type", "text");
    if (type == "text") {
      add_text(string_or(p, "text"));
    } else if (type == "image_url") {
      const json* image = member(p, "image_url");
      parts.push_back(image_of(image ? string_or(*image, "url") : std::string{}));
    } else if (type == "tool_result") {
      const json* inner = member(p, "content");
      parts.push_back(core::tool_result_part{
          string_or(p, "tool_use_id"), {}, inner ? text_of_content(*inner) : std::string{}});
    }
  }
}

// A tool call as stored or sent: ChosenFunctionCall {id, function{name, arguments}}.
std::optional<core::tool_call_part> call_of(const json& c) {
  const json* fn = member(c, "function");
  if (fn == nullptr || !fn->is_object()) {
    return std::nullopt;
  }
  std::string args = "{}";
  if (const json* a = member(*fn, "arguments"); a && a->is_string()) {
    args = text(*a);
  } else if (a && a->is_object()) {
    args = dump(*a);
  }
  return core::tool_call_part{string_or(c, "id"), string_or(*fn, "name"), std::move(args)};
}

// One ChatML message into the request: a turn, or system text.
void add_message(const json& m, bool render, template_env& env, core::chat_request& out) {
  std::string role = string_or(m, "role", "user");
  const json* content = member(m, "content");
  if (role == "system") {
    std::string s = content ? text_of_content(*content) : std::string{};
    if (render) {
      s = render_template(s, env);
    }
    out.system += (out.system.empty() ? "" : "\n\n") + s;
    return;
  }
  core::turn t;
  if (role == "assistant") {
    t.who = core::role::assistant;
    if (content) {
      add_content(*content, t.parts, false, env);
    }
    if (const json* calls = member(m, "tool_calls"); calls && calls->is_array()) {
      for (const auto& c : *calls) {
        if (auto call = call_of(c)) {
          t.parts.push_back(std::move(*call));
        }
      }
    }
  } else if (role == "tool") {
    t.who = core::role::tool;
    t.parts.push_back(core::tool_result_part{string_or(m, "tool_call_id"), string_or(m, "name"),
                                             content ? text_of_content(*content) : std::string{}});
  } else {
    t.who = core::role::user;
    if (content) {
      add_content(*content, t.parts, render, env);
    }
  }
  if (!t.parts.empty()) {
    out.turns.push_back(std::move(t));
  }
}

// The ChatML form POST /render shows: role, content, tool_calls, tool_call_id (spec §5.2 #10).
json chatml(const json& m) {
  json out{{"role", string_or(m, "role", "user")}};
  for (const char* key : {"content", "tool_calls", "tool_call_id"}) {
    if (const json* v = member(m, key); v && !v->is_null()) {
      out[key] = *v;
    }
  }
  return out;
}

bool is_tool_entry(const json& entry) {
  std::string source = string_or(entry, "source");
  return source == "tool_request" || source == "tool_response";
}

}  // namespace

checked<prompt> build_prompt(const json& agent, const json& session,
                             const std::vector<store::entry_record>& history,
                             const chat_input& input, prompt_for use) {
  prompt p;
  core::chat_request& req = p.request;
  const bool show = use == prompt_for::render;

  // Settings: the agent's defaults, then what the client sent (spec §1.4).
  json settings = json::object();
  if (const json* d = member(agent, "default_settings"); d && d->is_object()) {
    settings = *d;
  }
  for (auto& [key, value] : input.settings.items()) {
    settings[key] = value;
  }
  req.model = input.model.value_or(string_or(agent, "model"));
  if (req.model.empty()) {
    problem e;
    e.status = 400;
    e.code = "http_400";
    e.message = "no model: the request names none and the agent has no model";
    return e;
  }
  apply_settings(settings, req);
  req.stream = input.stream;

  template_env env(agent, session, input.metadata, settings);
  // The session's template, else the agent's; none: the documented default.
  std::string tpl = string_or(session, "system_template");
  if (tpl.empty()) {
    tpl = string_or(agent, "default_system_template");
  }
  req.system = tpl.empty() ? default_system(agent, session) : render_template(tpl, env);

  p.messages = json::array();
  for (const auto& e : history) {
    auto entry = parse(e.body);
    if (!entry || (!input.recall_tools && is_tool_entry(*entry))) {
      continue;
    }
    add_message(*entry, false, env, req);
    if (show) {
      p.messages.push_back(chatml(*entry));
    }
  }
  const json* render_flag = member(session, "render_templates");
  bool render = !(render_flag && render_flag->is_boolean() && !render_flag->get<bool>());
  for (const auto& m : input.messages) {
    add_message(m, render, env, req);
    if (!show || string_or(m, "role") == "system") {
      continue;  // folded into the system message
    }
    json shown = chatml(m);
    if (render && shown.contains("content") && shown["content"].is_string()) {
      shown["content"] = render_template(text(shown["content"]), env);
    }
    p.messages.push_back(std::move(shown));
  }
  // The system message leads, with any system text of the new messages folded in.
  if (show && !req.system.empty()) {
    if (p.messages.empty() || p.messages[0]["role"] != "system") {
      p.messages.insert(p.messages.begin(), json{{"role", "system"}, {"content", req.system}});
    } else {
      p.messages[0]["content"] = req.system;
    }
  }

  // Tools: the agent's, then the request's whose names the agent does not have (spec §1.1).
  p.tools = json::array();
  std::vector<std::string> names;
  auto offer = [&](const json& tool) {
    std::string name = string_or(tool, "name");
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return;
    }
    names.push_back(name);
    p.tools.push_back(tool);
    req.tools.push_back(tool_of(tool));
  };
  if (const json* tools = member(agent, "tools"); tools && tools->is_array()) {
    for (const auto& t : *tools) {
      offer(t);
    }
  }
  for (const auto& t : input.tools) {
    offer(t);
  }
  p.tool_choice = input.tool_choice;
  apply_tool_choice(input.tool_choice, req);
  return p;
}

}  // namespace interlingua::dialects::sessions
