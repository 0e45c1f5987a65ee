// Scalar readers shared by the section tables in sections.cpp. Type and range errors are
// produced here so every key reports them the same way.

#include <charconv>
#include <limits>

#include "internal.hpp"

namespace interlingua::config::detail {
namespace {

// Timeouts end up in chrono arithmetic and int timers elsewhere; keep them well clear of overflow.
constexpr std::uint64_t max_millis = std::numeric_limits<std::int32_t>::max();

}  // namespace

int line_of(const YAML::Node& node) {
  const auto mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

std::string in_quotes(std::string_view text) {
  constexpr std::size_t shown = 80;  // a long value does not help and floods the log line
  std::string out = "\"" + std::string{text.substr(0, shown)};
  return out + (text.size() > shown ? "...\"" : "\"");
}

std::optional<std::uint64_t> parse_uint(std::string_view text) {
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) {
    return std::nullopt;
  }
  return value;
}

std::string join(std::span<const std::string_view> items) {
  std::string out;
  for (auto item : items) {
    out += (out.empty() ? "" : ", ") + std::string{item};
  }
  return out;
}

std::string reader::text(const entry& e, std::string_view what) {
  // Type errors never echo the value: it may be a secret (api_key, auth.keys).
  if (!e.value.IsScalar()) {
    const char* got = e.value.IsNull()       ? "got nothing"
                      : e.value.IsSequence() ? "not a list"
                                             : "not a mapping";
    fail(e.line, e.path + ": must be " + std::string{what} + ", " + got);
  }
  std::string error;
  auto out = interpolate(e.value.Scalar(), error);
  if (!out) {
    fail(e.line, e.path + ": " + error);
  }
  return std::move(*out);
}

std::uint64_t reader::integer(const entry& e, std::uint64_t lo, std::uint64_t hi) {
  const std::string what =
      "an integer between " + std::to_string(lo) + " and " + std::to_string(hi);
  const std::string value = text(e, what);
  const auto number = parse_uint(value);
  if (!number || *number < lo || *number > hi) {
    fail(e.line, e.path + ": must be " + what + ", got " + in_quotes(value));
  }
  return *number;
}

std::size_t reader::size(const entry& e) {
  const std::string value = text(e, "a positive integer");
  const auto number = parse_uint(value);
  if (!number || *number == 0 || *number > std::numeric_limits<std::size_t>::max()) {
    fail(e.line, e.path + ": must be a positive integer, got " + in_quotes(value));
  }
  return static_cast<std::size_t>(*number);
}

millis reader::duration(const entry& e) {
  return millis{static_cast<millis::rep>(integer(e, 1, max_millis))};
}

bool reader::boolean(const entry& e) {
  const std::string value = text(e, "true or false");
  if (value == "true" || value == "True" || value == "TRUE") {
    return true;
  }
  if (value == "false" || value == "False" || value == "FALSE") {
    return false;
  }
  fail(e.line, e.path + ": must be true or false, got " + in_quotes(value));
}

std::string reader::choice(const entry& e, std::span<const std::string_view> options) {
  const std::string what = "one of " + join(options);
  std::string value = text(e, what);
  if (std::find(options.begin(), options.end(), value) == options.end()) {
    fail(e.line, e.path + ": must be " + what + "; got " + in_quotes(value));
  }
  return value;
}

std::vector<std::string> reader::text_list(const entry& e) {
  std::vector<std::string> out;
  if (e.value.IsNull()) {
    return out;
  }
  if (!e.value.IsSequence()) {
    fail(e.line, e.path + ": must be a list of strings");
  }
  for (std::size_t i = 0; i < e.value.size(); ++i) {
    const YAML::Node item = e.value[i];
    std::string value = text({"", item, e.path + "[" + std::to_string(i) + "]", line_of(item)});
    // An unset optional key (`${KEY2:-}`) must not become an empty, always-matching key.
    if (!value.empty()) {
      out.push_back(std::move(value));
    }
  }
  return out;
}

}  // namespace interlingua::config::detail
