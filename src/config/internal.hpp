#pragma once

// Shared between the loader's translation units only; not part of the public API (it is the
// one place besides the .cpp files that sees yaml-cpp).

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "interlingua/config/config.hpp"

namespace interlingua::config::detail {

// Expands `${VAR}`, `${VAR:-default}` and `$${` in one scalar. On failure returns nullopt and
// sets `error` to a reason that names the variable but never echoes any value.
std::optional<std::string> interpolate(std::string_view text, std::string& error);

// 1-based lines of the nodes read, by key path ("providers.openai.base_url", "models[0]"), so
// checks that run after reading (validate) can still point at the right line.
using line_map = std::unordered_map<std::string, int>;

// Thrown inside the loader to unwind to load_string, which turns it into a load_result.
struct load_failure {
  config_error error;
};

// Walks the parsed document into `out` (types, ranges, unknown keys) and records lines.
// Throws load_failure. `root` may be null (empty file).
void read_document(const YAML::Node& root, const std::string& file, settings& out, line_map& lines);

// Cross-field and semantic checks on a fully read `settings` (urls, files, routes).
// Throws load_failure.
void validate(const settings& s, const line_map& lines, const std::string& file);

// ---- reading helpers (read.cpp) ----------------------------------------------------------

int line_of(const YAML::Node& node);  // 1-based, 0 when yaml-cpp has no mark
std::string in_quotes(std::string_view text);
std::optional<std::uint64_t> parse_uint(std::string_view text);  // digits only, no sign
std::string join(std::span<const std::string_view> items);

// One value in the tree with what error messages need to point at it.
struct entry {
  std::string key;
  YAML::Node value;
  std::string path;  // "providers.openai.base_url", "models[2]"
  int line = 0;      // of a scalar value; of the key for mappings, lists and empty values
};

class reader;

// One accepted key of a mapping and how to read its value into a T.
template <class T>
struct field {
  std::string_view key;
  void (*read)(reader&, const entry&, T&);
};

class reader {
 public:
  reader(const std::string& file, line_map& lines) : file_(file), lines_(lines) {}

  [[noreturn]] void fail(int line, std::string reason) const {
    throw load_failure{config_error{file_, line, std::move(reason)}};
  }

  void record(const entry& e) { lines_[e.path] = e.line; }
  bool has(const std::string& path) const { return lines_.contains(path); }
  int line(const std::string& path) const {
    const auto it = lines_.find(path);
    return it == lines_.end() ? 0 : it->second;
  }

  // Calls `f(entry)` for each pair of a mapping; `known` empty means any key is accepted.
  template <class F>
  void each(const entry& map, std::span<const std::string_view> known, F&& f);

  // `each` driven by a table: the table's keys are the accepted ones.
  template <class T, std::size_t N>
  void fields(const entry& map, const field<T> (&table)[N], T& out);

  // Scalar readers; all interpolate `${VAR}` first. `what` completes "must be ..." in errors.
  std::string text(const entry& e, std::string_view what = "a string");
  std::uint64_t integer(const entry& e, std::uint64_t lo, std::uint64_t hi);
  std::size_t size(const entry& e);
  millis duration(const entry& e);
  bool boolean(const entry& e);
  std::string choice(const entry& e, std::span<const std::string_view> options);
  std::vector<std::string> text_list(const entry& e);  // empty strings dropped

 private:
  std::string file_;
  line_map& lines_;
};

template <class F>
void reader::each(const entry& map, std::span<const std::string_view> known, F&& f) {
  if (map.value.IsNull()) {
    return;  // `listen:` with nothing under it: all defaults, like a missing section
  }
  const std::string where = map.path.empty() ? "top level" : map.path;
  if (!map.value.IsMap()) {
    fail(map.line, where + ": must be a mapping of key: value");
  }
  std::set<std::string> seen;  // yaml-cpp keeps duplicate keys; the second would be ignored
  for (const auto& pair : map.value) {
    const int key_line = line_of(pair.first);
    if (!pair.first.IsScalar() || pair.first.Scalar().empty()) {
      fail(key_line, where + ": keys must be non-empty strings");
    }
    entry e{pair.first.Scalar(), pair.second, "", 0};
    e.path = map.path.empty() ? e.key : map.path + "." + e.key;
    e.line = e.value.IsScalar() ? line_of(e.value) : key_line;
    if (!seen.insert(e.key).second) {
      fail(key_line, e.path + ": duplicate key");
    }
    if (!known.empty() && std::find(known.begin(), known.end(), e.key) == known.end()) {
      fail(key_line, e.path + ": unknown key (expected one of: " + join(known) + ")");
    }
    record(e);
    f(e);
  }
}

template <class T, std::size_t N>
void reader::fields(const entry& map, const field<T> (&table)[N], T& out) {
  std::array<std::string_view, N> keys{};
  std::transform(std::begin(table), std::end(table), keys.begin(),
                 [](const field<T>& f) { return f.key; });
  each(map, keys, [&](const entry& e) {
    const auto* f = std::find_if(std::begin(table), std::end(table),
                                 [&](const field<T>& candidate) { return candidate.key == e.key; });
    f->read(*this, e, out);
  });
}

}  // namespace interlingua::config::detail
