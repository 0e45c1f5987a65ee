// Default "echo" behaviour: recognise the emulated endpoints and pull the texts out of the
// request. The per-API answer shapes live in echo_answers.cpp.

#include "fake_echo.hpp"

#include <algorithm>
#include <chrono>

namespace interlingua::fake::detail {
namespace {

using json = nlohmann::json;

enum class api { openai, anthropic, gemini };

struct route {
  api kind = api::openai;
  std::string model;    // gemini: from the path
  bool stream = false;  // gemini: from the path
};

// Texts extracted from a request body.
struct texts {
  std::string last_user;
  std::size_t words = 0;
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_continuation_byte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// Text parts of a message content (string, or array of {type:"text", text}) concatenated;
// words are counted per part so separate parts never merge into one word.
std::string text_of(const json& content, std::size_t& words) {
  if (content.is_string()) {
    const auto& s = content.get_ref<const std::string&>();
    words += count_words(s);
    return s;
  }
  std::string out;
  if (!content.is_array()) {
    return out;
  }
  for (const auto& part : content) {
    if (part.is_object() && part.contains("text") && part["text"].is_string()) {
      const auto& s = part["text"].get_ref<const std::string&>();
      words += count_words(s);
      out += s;
    }
  }
  return out;
}

// OpenAI and Anthropic share the messages[] shape; Anthropic adds a top-level system.
texts chat_texts(const json& body) {
  texts t;
  if (body.contains("system")) {
    text_of(body["system"], t.words);
  }
  if (!body.contains("messages") || !body["messages"].is_array()) {
    return t;
  }
  for (const auto& m : body["messages"]) {
    if (!m.is_object() || !m.contains("content")) {
      continue;
    }
    std::string text = text_of(m["content"], t.words);
    if (m.value("role", std::string()) == "user") {
      t.last_user = std::move(text);
    }
  }
  return t;
}

std::string gemini_parts_text(const json& content, std::size_t& words) {
  if (!content.is_object() || !content.contains("parts")) {
    return {};
  }
  return text_of(content["parts"], words);
}

texts gemini_texts(const json& body) {
  texts t;
  for (const char* key : {"systemInstruction", "system_instruction"}) {
    if (body.contains(key)) {
      gemini_parts_text(body[key], t.words);
    }
  }
  if (!body.contains("contents") || !body["contents"].is_array()) {
    return t;
  }
  for (const auto& c : body["contents"]) {
    std::string text = gemini_parts_text(c, t.words);
    // Gemini treats a content without role as the user's.
    if (c.is_object() && c.value("role", std::string("user")) == "user") {
      t.last_user = std::move(text);
    }
  }
  return t;
}

std::optional<route> gemini_route(std::string_view path) {
  for (std::string_view prefix : {"/v1beta/models/", "/v1/models/"}) {
    if (path.substr(0, prefix.size()) != prefix) {
      continue;
    }
    const std::string_view rest = path.substr(prefix.size());
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return std::nullopt;
    }
    const std::string_view action = rest.substr(colon + 1);
    if (action != "generateContent" && action != "streamGenerateContent") {
      return std::nullopt;
    }
    return route{api::gemini, std::string(rest.substr(0, colon)),
                 action == "streamGenerateContent"};
  }
  return std::nullopt;
}

std::optional<route> find_route(const recorded_request& req) {
  if (req.method != "POST") {
    return std::nullopt;
  }
  const std::string path = path_of(req.target);
  if (path == "/v1/chat/completions" || path == "/chat/completions") {
    return route{api::openai, {}, false};
  }
  if (path == "/v1/messages") {
    return route{api::anthropic, {}, false};
  }
  return gemini_route(path);
}

bool query_has(std::string_view query, std::string_view param) {
  std::size_t pos = 0;
  while (pos <= query.size()) {
    const auto amp = std::min(query.find('&', pos), query.size());
    if (query.substr(pos, amp - pos) == param) {
      return true;
    }
    pos = amp + 1;
  }
  return false;
}

echo_request make_echo(std::string model, texts t, const echo_settings& settings,
                       std::uint64_t id) {
  echo_request e;
  e.model = std::move(model);
  e.text = std::move(t.last_user);
  e.input_tokens = std::max<std::size_t>(1, t.words);
  e.output_tokens = std::max<std::size_t>(1, count_words(e.text));
  e.pieces = split_pieces(e.text, settings.stream_events);
  e.id = id;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  e.created = std::chrono::duration_cast<std::chrono::seconds>(now).count();
  return e;
}

plan dispatch(const route& r, const json& body, const recorded_request& req,
              const echo_settings& settings, std::uint64_t id) {
  if (r.kind == api::gemini) {
    const bool sse = query_has(query_of(req.target), "alt=sse");
    return gemini_answer(make_echo(r.model, gemini_texts(body), settings, id), r.stream, sse);
  }
  const std::string model =
      body.contains("model") && body["model"].is_string() ? body["model"].get<std::string>() : "";
  const bool stream = body.value("stream", false);
  if (r.kind == api::anthropic) {
    return anthropic_answer(make_echo(model, chat_texts(body), settings, id), stream);
  }
  bool include_usage = false;
  if (body.contains("stream_options") && body["stream_options"].is_object()) {
    include_usage = body["stream_options"].value("include_usage", false);
  }
  return openai_answer(make_echo(model, chat_texts(body), settings, id), stream, include_usage);
}

}  // namespace

std::size_t count_words(std::string_view text) {
  std::size_t words = 0;
  bool in_word = false;
  for (const char c : text) {
    const bool space = is_space(c);
    words += (!space && !in_word) ? 1 : 0;
    in_word = !space;
  }
  return words;
}

std::vector<std::string> split_pieces(std::string_view text, std::size_t n) {
  std::vector<std::string> pieces;
  if (n == 0) {
    // Each piece is a word plus the whitespace before it; trailing whitespace joins the last.
    std::size_t start = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
      const auto word = text.find_first_not_of(" \t\n\r\f\v", pos);
      if (word == std::string_view::npos) {
        break;
      }
      const auto end = std::min(text.find_first_of(" \t\n\r\f\v", word), text.size());
      pieces.emplace_back(text.substr(start, end - start));
      start = pos = end;
    }
    if (start < text.size() && pieces.empty()) {
      pieces.emplace_back(text.substr(start));
    } else if (start < text.size()) {
      pieces.back().append(text.substr(start));
    }
    return pieces;
  }
  std::vector<std::size_t> starts;  // byte offset of every code point
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!is_continuation_byte(text[i])) {
      starts.push_back(i);
    }
  }
  const std::size_t cps = starts.size();
  auto offset = [&](std::size_t k) { return k >= cps ? text.size() : starts[k]; };
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t from = offset(i * cps / n);
    const std::size_t to = offset((i + 1) * cps / n);
    pieces.emplace_back(text.substr(from, to - from));
  }
  return pieces;
}

std::optional<plan> echo_plan(const recorded_request& req, const echo_settings& settings,
                              std::uint64_t id) {
  const auto r = find_route(req);
  if (!r) {
    return std::nullopt;
  }
  const json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return json_error(400, "malformed JSON body: expected a JSON object");
  }
  plan p;
  try {
    p = dispatch(*r, body, req, settings, id);
  } catch (const json::exception& e) {
    // A field of the wrong type ("stream": "yes"): a real provider answers 400 too.
    return json_error(400, std::string("invalid request: ") + e.what());
  }
  p.first_byte_delay = settings.first_byte_delay;
  p.gap = settings.gap;
  return p;
}

}  // namespace interlingua::fake::detail
