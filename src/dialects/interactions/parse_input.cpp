#include "parse_input.hpp"

namespace interlingua::dialects::interactions {

namespace {

using core::json_view::member_string;
using core::json_view::string_or;
using core::json_view::value;

bool is_content_type(std::string_view t) {
  return t == "text" || t == "image" || t == "audio" || t == "document" || t == "video";
}

core::result<core::part> parse_content(value c, const std::string& where) {
  if (!c.is_object()) {
    return field_error(where, "must be a content object");
  }
  value type = member_string(c, "type");
  if (!type) {
    return field_error(where + ".type", "is required");
  }
  std::string t(type.str());
  if (t == "text") {
    value text = member_string(c, "text");
    if (!text) {
      return field_error(where + ".text", "must be a string");
    }
    return core::part{core::text_part{std::string(text.str())}};
  }
  if (is_content_type(t)) {
    core::media_part m{t, string_or(c, "mime_type"), string_or(c, "data"), string_or(c, "uri")};
    if (m.data.empty() == m.uri.empty()) {
      return field_error(where, "a " + t + " block needs exactly one of data or uri");
    }
    return core::part{std::move(m)};
  }
  return field_error(where + ".type", "unknown content type \"" + t + "\"");
}

core::result<std::vector<core::part>> parse_content_list(value list, const std::string& where) {
  std::vector<core::part> parts;
  if (list.is_string()) {
    parts.emplace_back(core::text_part{std::string(list.str())});
    return parts;
  }
  if (!list.is_array()) {
    return field_error(where, "must be a string or an array of content objects");
  }
  std::size_t i = 0;
  for (value c : list) {
    auto p = parse_content(c, where + "[" + std::to_string(i++) + "]");
    if (!p) {
      return p.error();
    }
    parts.push_back(std::move(*p));
  }
  return parts;
}

std::string result_text(value result) {
  if (result.is_string()) {
    return std::string(result.str());
  }
  // A list of content blocks that is all text reads best as that text.
  if (result.is_array()) {
    std::string text;
    for (value c : result) {
      value t = member_string(c, "text");
      if (!t || string_or(c, "type") != "text") {
        return json_text(result);
      }
      text += t.str();
    }
    return text;
  }
  return json_text(result);
}

core::result<core::part> parse_function_result(value s, const std::string& where) {
  value call_id = member_string(s, "call_id");
  if (!call_id) {
    return field_error(where + ".call_id", "is required");
  }
  value result = s.member("result");
  if (!result) {
    return field_error(where + ".result", "is required");
  }
  return core::part{core::tool_result_part{std::string(call_id.str()), string_or(s, "name"),
                                           result_text(result), s.member("is_error").boolean()}};
}

core::result<core::part> parse_function_call(value s, const std::string& where) {
  value name = member_string(s, "name");
  if (!name) {
    return field_error(where + ".name", "is required");
  }
  value args = s.member("arguments");
  if (args && !args.is_object() && !args.is_string() && !args.is_null()) {
    return field_error(where + ".arguments", "must be an object");
  }
  // A string is the model's own argument text that was not valid JSON (a call cut at max
  // tokens, stored as it came): carried back verbatim.
  std::string text_args = "{}";
  if (args.is_object()) {
    text_args = json_text(args);
  } else if (args.is_string()) {
    text_args = args.str();
  }
  return core::part{
      core::tool_call_part{string_or(s, "id"), std::string(name.str()), std::move(text_args)}};
}

core::result<core::part> parse_thought(value s) {
  core::thought_part t{{}, string_or(s, "signature"), false};
  if (value summary = s.member("summary"); summary.is_array()) {
    for (value c : summary) {
      t.text += member_string(c, "text").str();
    }
  }
  return core::part{std::move(t)};
}

// Appends `parts` to the last turn when it is on the same side, else opens a new turn.
void append(std::vector<core::turn>& turns, core::role who, std::vector<core::part> parts) {
  if (turns.empty() || turns.back().who != who) {
    turns.push_back(core::turn{who, {}});
  }
  for (auto& p : parts) {
    turns.back().parts.push_back(std::move(p));
  }
}

core::result<void> parse_legacy_turn(value t, const std::string& where,
                                     std::vector<core::turn>& turns) {
  std::string r = string_or(t, "role");
  if (r != "user" && r != "model") {
    return field_error(where + ".role", "must be \"user\" or \"model\"");
  }
  value content = t.member("content");
  if (!content) {
    return field_error(where + ".content", "is required");
  }
  std::string at = where + ".content";
  std::vector<core::part> parts;
  if (content.is_array()) {
    // Legacy contents also carried the model's thoughts and calls and the client's results.
    std::size_t i = 0;
    for (value c : content) {
      std::string item = at + "[" + std::to_string(i++) + "]";
      std::string type = string_or(c, "type");
      auto p = type == "function_result" ? parse_function_result(c, item)
               : type == "function_call" ? parse_function_call(c, item)
               : type == "thought"       ? parse_thought(c)
                                         : parse_content(c, item);
      if (!p) {
        return p.error();
      }
      parts.push_back(std::move(*p));
    }
  } else {
    auto list = parse_content_list(content, at);
    if (!list) {
      return list.error();
    }
    parts = std::move(*list);
  }
  append(turns, r == "user" ? core::role::user : core::role::assistant, std::move(parts));
  return {};
}

core::result<void> parse_user_input(value s, const std::string& where,
                                    std::vector<core::turn>& turns) {
  value content = s.member("content");
  if (!content) {
    return field_error(where + ".content", "is required");
  }
  std::vector<core::part> parts;
  if (content.is_array()) {
    // Tool results may also arrive as blocks inside user_input (seen from vercel/ai).
    std::size_t i = 0;
    for (value c : content) {
      std::string at = where + ".content[" + std::to_string(i++) + "]";
      auto p = string_or(c, "type") == "function_result" ? parse_function_result(c, at)
                                                         : parse_content(c, at);
      if (!p) {
        return p.error();
      }
      parts.push_back(std::move(*p));
    }
  } else {
    auto list = parse_content_list(content, where + ".content");
    if (!list) {
      return list.error();
    }
    parts = std::move(*list);
  }
  append(turns, core::role::user, std::move(parts));
  return {};
}

core::result<void> parse_step(value s, const std::string& where, std::vector<core::turn>& turns) {
  if (!s.is_object()) {
    return field_error(where, "must be an object");
  }
  if (!s.member("type") && s.member("role")) {
    return parse_legacy_turn(s, where, turns);
  }
  std::string type = string_or(s, "type");
  if (type == "user_input") {
    return parse_user_input(s, where, turns);
  }
  core::result<core::part> p = field_error(where + ".type", "unknown step type \"" + type + "\"");
  core::role side = core::role::assistant;
  if (type == "model_output") {
    // No content is an empty output; a present one (null included) must be a content list.
    std::vector<core::part> parts;
    if (value content = s.member("content")) {
      auto list = parse_content_list(content, where + ".content");
      if (!list) {
        return list.error();
      }
      parts = std::move(*list);
    }
    append(turns, core::role::assistant, std::move(parts));
    return {};
  } else if (type == "thought") {
    p = parse_thought(s);
  } else if (type == "function_call") {
    p = parse_function_call(s, where);
  } else if (type == "function_result") {
    p = parse_function_result(s, where);
    side = core::role::user;
  } else if (is_content_type(type)) {
    p = parse_content(s, where);
    side = core::role::user;
  }
  if (!p) {
    return p.error();
  }
  append(turns, side, {std::move(*p)});
  return {};
}

}  // namespace

core::result<std::vector<core::turn>> parse_input(value input) {
  std::vector<core::turn> turns;
  if (input.is_string()) {
    append(turns, core::role::user, {core::text_part{std::string(input.str())}});
    return turns;
  }
  if (input.is_object()) {
    if (auto r = parse_step(input, "input", turns); !r) {
      return r.error();
    }
    return turns;
  }
  if (!input.is_array()) {
    return field_error("input",
                       "must be a string, a content object, or an array of contents or steps");
  }
  if (input.empty()) {
    return field_error("input", "must not be empty");
  }
  if (auto added = append_steps(input, 0, turns); !added) {
    return added.error();
  }
  return turns;
}

core::result<void> append_steps(value steps, std::size_t first, std::vector<core::turn>& turns) {
  std::size_t i = first;
  for (value s : steps) {
    if (auto r = parse_step(s, "input[" + std::to_string(i++) + "]", turns); !r) {
      return r.error();
    }
  }
  return {};
}

core::result<void> parse_system_instruction(value body, std::string& out) {
  value si = body.member("system_instruction");
  if (!si || si.is_null()) {
    return {};
  }
  if (si.is_string()) {
    out = si.str();
    return {};
  }
  if (si.is_object()) {
    if (value text = member_string(si, "text")) {
      out = text.str();
      return {};
    }
    if (value parts = si.member("parts"); parts.is_array()) {
      for (value p : parts) {
        out += member_string(p, "text").str();
      }
      return {};
    }
  }
  return field_error("system_instruction", "must be a string or a content object with text");
}

}  // namespace interlingua::dialects::interactions
