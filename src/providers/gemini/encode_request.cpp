#include <interlingua/providers/gemini.hpp>

#include <cctype>
#include <map>

#include <interlingua/core/json_util.hpp>
#include <interlingua/core/signature.hpp>

namespace interlingua::providers::gemini {

namespace {

using nlohmann::json;

// What this provider cannot take is the client's problem to fix: a 400 naming the field.
core::error refuse(const std::string& param, const std::string& message) {
  return core::make_error(core::error_kind::invalid_request, param + ": " + message, param);
}

core::result<json> ok(json j) {
  return core::result<json>(boost::system::in_place_value, std::move(j));
}

std::optional<json> parse_object(const std::string& text) {
  auto j = text.empty() ? std::nullopt : core::json_util::parse(text);
  if (j && j->is_object()) {
    return j;
  }
  return std::nullopt;
}

// The stream decoder names calls Gemini gave no id "call_<n>". Such ids mean nothing to Gemini
// and are not sent back; ids Gemini (or another provider) chose are.
bool synthesized_id(std::string_view id) {
  if (id.size() <= 5 || id.substr(0, 5) != "call_") {
    return false;
  }
  for (char c : id.substr(5)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// Inline bytes are inlineData (a data: URL is unpacked to it); anything by URI is fileData.
core::result<json> media_json(const core::media_part& m) {
  std::string mime = m.mime_type;
  std::string data = m.data;
  std::string_view uri = m.uri;
  if (data.empty() && uri.rfind("data:", 0) == 0) {
    auto comma = uri.find(',');
    auto meta = uri.substr(5, comma == std::string_view::npos ? 0 : comma - 5);
    if (comma != std::string_view::npos && meta.size() >= 7 &&
        meta.substr(meta.size() - 7) == ";base64") {
      mime = std::string(meta.substr(0, meta.find(';')));
      data = std::string(uri.substr(comma + 1));
    }
  }
  if (!data.empty()) {
    if (mime.empty()) {
      return refuse("input", "inline " + m.kind + " data needs a mime_type");
    }
    return ok({{"inlineData", {{"mimeType", std::move(mime)}, {"data", std::move(data)}}}});
  }
  if (uri.empty()) {
    return refuse("input", m.kind + " input needs data or a uri");
  }
  json file{{"fileUri", std::string(uri)}};
  if (!mime.empty()) {
    file["mimeType"] = std::move(mime);
  }
  return ok({{"fileData", std::move(file)}});
}

// functionResponse.response must be an object: a JSON object result goes as is, anything else
// (other JSON, plain text) is wrapped as {"result": ...}; a failed call as {"error": ...}.
json response_json(const core::tool_result_part& r) {
  auto parsed = r.content.empty() ? std::nullopt : core::json_util::parse(r.content);
  if (!r.is_error && parsed && parsed->is_object()) {
    return std::move(*parsed);
  }
  json value = parsed ? std::move(*parsed) : json(r.content);
  return json{{r.is_error ? "error" : "result", std::move(value)}};
}

// Arguments are JSON text in core; Gemini takes an object. Text that is not one (a call cut off
// by another provider) goes as {}: its result follows in the next turn anyway.
json call_json(const core::tool_call_part& c) {
  json call{{"name", c.name}, {"args", parse_object(c.arguments).value_or(json::object())}};
  if (!c.id.empty() && !synthesized_id(c.id)) {
    call["id"] = c.id;
  }
  return {{"functionCall", std::move(call)}};
}

class contents_builder {
 public:
  core::result<void> add(const core::turn& t) {
    json parts = json::array();
    if (auto added = add_parts(t.parts, parts); !added) {
      return added;
    }
    if (parts.empty()) {
      return {};
    }
    // role::tool is a user turn of functionResponse parts; adjacent turns of one role merge.
    std::string role = t.who == core::role::assistant ? "model" : "user";
    if (!contents_.empty() && contents_.back()["role"] == role) {
      for (auto& p : parts) {
        contents_.back()["parts"].push_back(std::move(p));
      }
    } else {
      contents_.push_back({{"role", std::move(role)}, {"parts", std::move(parts)}});
    }
    return {};
  }

  json take() { return std::move(contents_); }

 private:
  // Gemini puts a signature on the part the thought led to (a functionCall, a text, an empty text
  // part); the decoder turns it into a thought part just before that part. Carrying it back means
  // putting it on the next part again, which must exist and not be a thought.
  static bool next_takes_signature(const std::vector<core::part>& parts, std::size_t i) {
    return i + 1 < parts.size() && !std::holds_alternative<core::thought_part>(parts[i + 1]);
  }

  static void add_thought(const core::thought_part& t, std::string_view signature, bool carried,
                          json& out) {
    json part;
    if (!t.text.empty()) {
      part = {{"text", t.text}, {"thought", true}};
    }
    if (!signature.empty() && !carried) {
      // A signature on the last part of a turn came on a thought or an empty text part.
      if (part.is_null()) {
        part = {{"text", ""}};
      }
      part["thoughtSignature"] = signature;
    }
    if (!part.is_null()) {
      out.push_back(std::move(part));
    }
  }

  core::result<json> result_json(const core::tool_result_part& r) {
    std::string name = r.name;
    if (auto it = call_names_.find(r.call_id); name.empty() && it != call_names_.end()) {
      name = it->second;
    }
    if (name.empty()) {
      return refuse("input", "the result of call \"" + r.call_id + "\" needs the function's name");
    }
    json response{{"name", std::move(name)}, {"response", response_json(r)}};
    if (!r.call_id.empty() && !synthesized_id(r.call_id)) {
      response["id"] = r.call_id;
    }
    return ok({{"functionResponse", std::move(response)}});
  }

  // The wire part for a non-thought part; null when there is nothing to send.
  core::result<json> part_json(const core::part& p) {
    if (const auto* tp = std::get_if<core::text_part>(&p)) {
      return ok({{"text", tp->text}});
    }
    if (const auto* cp = std::get_if<core::tool_call_part>(&p)) {
      call_names_[cp->id] = cp->name;
      return ok(call_json(*cp));
    }
    if (const auto* rp = std::get_if<core::tool_result_part>(&p)) {
      return result_json(*rp);
    }
    if (const auto* mp = std::get_if<core::media_part>(&p)) {
      return media_json(*mp);
    }
    return ok(nullptr);
  }

  core::result<void> add_parts(const std::vector<core::part>& parts, json& out) {
    std::string pending;  // a thought's signature waiting for the part it belongs to
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (const auto* t = std::get_if<core::thought_part>(&parts[i])) {
        // Redacted thinking is another provider's encrypted reasoning: meaningless to Gemini.
        if (!t->redacted) {
          // Only Gemini's own signatures go back (core/signature.hpp).
          std::string_view signature = core::signature_for("gemini", t->signature);
          bool carried = !signature.empty() && next_takes_signature(parts, i);
          add_thought(*t, signature, carried, out);
          pending = carried ? std::string(signature) : std::string{};
        }
        continue;
      }
      auto part = part_json(parts[i]);
      if (!part) {
        return part.error();
      }
      bool empty_text = part->contains("text") && (*part)["text"] == "";
      if (part->is_null() || (empty_text && pending.empty())) {
        continue;  // Gemini refuses empty text parts unless they carry a signature
      }
      if (!pending.empty()) {
        (*part)["thoughtSignature"] = std::move(pending);
        pending.clear();
      }
      out.push_back(std::move(*part));
    }
    return {};
  }

  json contents_ = json::array();
  std::map<std::string, std::string> call_names_;  // call id -> function name
};

// "google_search" -> "googleSearch": the Tool field a built-in's kind names.
std::string camel_case(std::string_view kind) {
  std::string out;
  bool upper = false;
  for (char c : kind) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

// The three Interactions built-ins Gemini runs as they are take no settings here; any other kind
// goes under its camelCase name with the settings the client gave.
json builtin_json(const core::tool_decl& t) {
  bool plain =
      t.builtin == "google_search" || t.builtin == "code_execution" || t.builtin == "url_context";
  json options = plain ? json::object() : parse_object(t.options).value_or(json::object());
  return {{camel_case(t.builtin), std::move(options)}};
}

// Core's parameters are JSON Schema, which is parametersJsonSchema; `parameters` is Gemini's
// OpenAPI subset and refuses JSON Schema keywords such as additionalProperties.
core::result<json> encode_tools(const std::vector<core::tool_decl>& tools) {
  json functions = json::array();
  json builtins = json::array();
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const auto& t = tools[i];
    if (!t.builtin.empty()) {
      builtins.push_back(builtin_json(t));
      continue;
    }
    json fn{{"name", t.name}};
    if (!t.description.empty()) {
      fn["description"] = t.description;
    }
    if (!t.parameters.empty()) {
      auto schema = parse_object(t.parameters);
      if (!schema) {
        return refuse("tools[" + std::to_string(i) + "]",
                      "parameters must be a JSON Schema object");
      }
      fn["parametersJsonSchema"] = std::move(*schema);
    }
    functions.push_back(std::move(fn));
  }
  json out = json::array();
  if (!functions.empty()) {
    out.push_back({{"functionDeclarations", std::move(functions)}});
  }
  for (auto& b : builtins) {
    out.push_back(std::move(b));
  }
  return ok(std::move(out));
}

// allowedFunctionNames only applies in ANY and VALIDATED modes, so a restricted optional call is
// VALIDATED (call one of these or answer in text). Null: leave functionCallingConfig out.
json calling_config(const core::tool_choice& c) {
  const char* mode = nullptr;
  switch (c.mode) {
    case core::tool_mode::none:
      return {{"mode", "NONE"}};
    case core::tool_mode::required:
      mode = "ANY";
      break;
    case core::tool_mode::validated:
      mode = "VALIDATED";
      break;
    case core::tool_mode::automatic:
      mode = c.allowed.empty() ? "AUTO" : "VALIDATED";
      break;
    case core::tool_mode::unset:
      if (c.allowed.empty()) {
        return nullptr;
      }
      mode = "VALIDATED";
      break;
  }
  json config{{"mode", mode}};
  if (!c.allowed.empty()) {
    config["allowedFunctionNames"] = c.allowed;
  }
  return config;
}

core::result<void> encode_tool_use(const core::chat_request& request, json& body) {
  bool any_function = false;
  for (const auto& t : request.tools) {
    any_function = any_function || t.builtin.empty();
  }
  if (!any_function && request.tool_choice.mode == core::tool_mode::required) {
    return refuse("tool_choice", "a required tool call needs a function declared in tools");
  }
  if (request.tools.empty()) {
    return {};
  }
  auto tools = encode_tools(request.tools);
  if (!tools) {
    return tools.error();
  }
  body["tools"] = std::move(*tools);
  if (json config = calling_config(request.tool_choice); any_function && !config.is_null()) {
    body["toolConfig"] = {{"functionCallingConfig", std::move(config)}};
  }
  return {};
}

// Gemini 1.x/2.x know only thinkingBudget (thinkingLevel is a 400 there); later models take
// thinkingLevel. Setting both is a 400 everywhere.
bool budget_model(std::string_view model) {
  if (auto slash = model.rfind('/'); slash != std::string_view::npos) {
    model.remove_prefix(slash + 1);
  }
  return model.rfind("gemini-1", 0) == 0 || model.rfind("gemini-2", 0) == 0;
}

json thinking_config(const core::generation_params& p, std::string_view model) {
  json config = json::object();
  if (p.reasoning != core::reasoning_level::unset && budget_model(model)) {
    // 0 turns thinking off; the rest stay inside every 2.5 model's range (Flash tops at 24576).
    static const std::map<core::reasoning_level, int> budgets{{core::reasoning_level::none, 0},
                                                              {core::reasoning_level::minimal, 512},
                                                              {core::reasoning_level::low, 2048},
                                                              {core::reasoning_level::medium, 8192},
                                                              {core::reasoning_level::high, 24576}};
    config["thinkingBudget"] = budgets.at(p.reasoning);
  } else if (p.reasoning != core::reasoning_level::unset) {
    // Gemini 3 cannot turn thinking off: none asks for as little as it does.
    static const std::map<core::reasoning_level, const char*> levels{
        {core::reasoning_level::none, "MINIMAL"},
        {core::reasoning_level::minimal, "MINIMAL"},
        {core::reasoning_level::low, "LOW"},
        {core::reasoning_level::medium, "MEDIUM"},
        {core::reasoning_level::high, "HIGH"}};
    config["thinkingLevel"] = levels.at(p.reasoning);
  }
  if (p.reasoning_summaries) {
    config["includeThoughts"] = true;
  }
  return config;
}

// logit_bias has no Gemini counterpart and is dropped.
core::result<void> encode_generation(const core::chat_request& request, std::string_view model,
                                     json& body) {
  const auto& p = request.params;
  json config = json::object();
  if (p.temperature) {
    config["temperature"] = *p.temperature;
  }
  if (p.top_p) {
    config["topP"] = *p.top_p;
  }
  if (p.max_output_tokens) {
    config["maxOutputTokens"] = *p.max_output_tokens;
  }
  if (!p.stop.empty()) {
    config["stopSequences"] = p.stop;
  }
  if (p.seed) {
    config["seed"] = *p.seed;
  }
  if (p.presence_penalty) {
    config["presencePenalty"] = *p.presence_penalty;
  }
  if (p.frequency_penalty) {
    config["frequencyPenalty"] = *p.frequency_penalty;
  }
  if (json thinking = thinking_config(p, model); !thinking.empty()) {
    config["thinkingConfig"] = std::move(thinking);
  }
  if (const auto& f = request.response_format; f.json) {
    // responseJsonSchema takes JSON Schema as is; responseSchema is the OpenAPI subset.
    config["responseMimeType"] = "application/json";
    if (!f.schema.empty()) {
      auto schema = parse_object(f.schema);
      if (!schema) {
        return refuse("response_format", "the schema must be a JSON Schema object");
      }
      config["responseJsonSchema"] = std::move(*schema);
    }
  }
  if (!config.empty()) {
    body["generationConfig"] = std::move(config);
  }
  return {};
}

}  // namespace

core::result<std::string> encode_body(const core::chat_request& request,
                                      const core::upstream_target& target) {
  contents_builder contents;
  for (const auto& t : request.turns) {
    if (auto added = contents.add(t); !added) {
      return added.error();
    }
  }
  json body{{"contents", contents.take()}};
  if (!request.system.empty()) {
    body["systemInstruction"] = {{"parts", json::array({{{"text", request.system}}})}};
  }
  for (auto step :
       {encode_tool_use(request, body), encode_generation(request, target.model, body)}) {
    if (!step) {
      return step.error();
    }
  }
  return core::json_util::dump(body);
}

}  // namespace interlingua::providers::gemini
