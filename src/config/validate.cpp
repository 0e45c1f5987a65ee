// Checks that need more than one value or the outside world: base_url against
// allow_plain_http, ca_file on disk, routes against the configured providers.

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "internal.hpp"

namespace interlingua::config::detail {
namespace {

class checker {
 public:
  checker(const std::string& file, const line_map& lines) : file_(file), lines_(lines) {}

  // Line of `path`, else of `fallback` (the enclosing mapping when the key is missing).
  int line(const std::string& path, const std::string& fallback = {}) const {
    for (const auto* key : {&path, &fallback}) {
      if (const auto it = lines_.find(*key); it != lines_.end()) {
        return it->second;
      }
    }
    return 0;
  }

  [[noreturn]] void fail(int line, std::string reason) const {
    throw load_failure{config_error{file_, line, std::move(reason)}};
  }

 private:
  const std::string& file_;
  const line_map& lines_;
};

void check_base_url(const checker& c, const provider_config& p) {
  const std::string owner = "providers." + p.name;
  const std::string path = owner + ".base_url";
  const int line = c.line(path, owner);
  if (p.base_url.empty()) {
    c.fail(line, path + ": is required (e.g. https://api.openai.com/v1)");
  }
  // Neither of these is echoed: userinfo and query strings (`?key=`) are where secrets hide.
  const auto authority = p.base_url.substr(0, p.base_url.find('/', p.base_url.find("://") + 3));
  if (authority.find('@') != std::string::npos) {
    c.fail(line, path + ": must not contain credentials (user@host); use api_key instead");
  }
  if (p.base_url.find_first_of("?#") != std::string::npos) {
    c.fail(line, path + ": must not have a query (?...) or fragment (#...)");
  }
  const auto url = parse_base_url(p.base_url);
  if (!url) {
    c.fail(line,
           path + ": must look like https://host[:port][/path], got " + in_quotes(p.base_url));
  }
  if (!url->tls && !p.allow_plain_http) {
    c.fail(line, path +
                     ": http:// sends prompts and keys unencrypted; set allow_plain_http: true "
                     "to allow it (e.g. for a local server)");
  }
}

void check_ca_file(const checker& c, const provider_config& p) {
  if (p.ca_file.empty()) {
    return;
  }
  const std::string path = "providers." + p.name + ".ca_file";
  const int line = c.line(path);
  std::error_code ec;
  const auto status = std::filesystem::status(p.ca_file, ec);
  if (!ec && !std::filesystem::is_regular_file(status)) {
    c.fail(line, path + ": " + in_quotes(p.ca_file) + " is not a regular file");
  }
  if (ec || ::access(p.ca_file.c_str(), R_OK) != 0) {
    const auto reason = ec ? ec : std::error_code{errno, std::generic_category()};
    c.fail(line, path + ": cannot read " + in_quotes(p.ca_file) + ": " + reason.message());
  }
}

void check_match(const checker& c, const model_route& m, const std::string& route) {
  const std::string path = route + ".match";
  if (m.match.empty()) {
    c.fail(c.line(path, route), path + ": must not be empty (use \"*\" to match every model)");
  }
  const auto star = m.match.find('*');
  if (star != std::string::npos && star != m.match.size() - 1) {
    c.fail(c.line(path), path + ": '*' is only allowed as the last character (a prefix match), " +
                             "got " + in_quotes(m.match));
  }
}

std::string provider_names(const settings& s) {
  std::string out;
  for (const auto& p : s.providers) {
    out += (out.empty() ? "" : ", ") + p.name;
  }
  return out;
}

void check_models(const checker& c, const settings& s) {
  std::unordered_map<std::string_view, std::size_t> first_route;
  for (std::size_t i = 0; i < s.models.size(); ++i) {
    const model_route& m = s.models[i];
    const std::string route = "models[" + std::to_string(i) + "]";
    check_match(c, m, route);
    if (const auto [it, fresh] = first_route.emplace(m.match, i); !fresh) {
      c.fail(c.line(route + ".match"), route + ".match: duplicate route " + in_quotes(m.match) +
                                           " (already at models[" + std::to_string(it->second) +
                                           "])");
    }
    const std::string path = route + ".provider";
    if (m.provider.empty()) {
      c.fail(c.line(path, route), path + ": is required (one of: " + provider_names(s) + ")");
    }
    if (s.find_provider(m.provider) == nullptr) {
      c.fail(c.line(path), path + ": unknown provider " + in_quotes(m.provider) +
                               " (configured: " + provider_names(s) + ")");
    }
    for (std::size_t f = 0; f < m.fallbacks.size(); ++f) {
      const std::string item = route + ".fallbacks[" + std::to_string(f) + "]";
      const std::string name = m.fallbacks[f].provider;
      if (name.empty()) {
        c.fail(c.line(item + ".provider", item),
               item + ".provider: is required (one of: " + provider_names(s) + ")");
      }
      if (s.find_provider(name) == nullptr) {
        c.fail(c.line(item + ".provider"), item + ".provider: unknown provider " + in_quotes(name) +
                                               " (configured: " + provider_names(s) + ")");
      }
    }
  }
}

}  // namespace

void validate(const settings& s, const line_map& lines, const std::string& file) {
  const checker c{file, lines};
  for (const auto& p : s.providers) {
    check_base_url(c, p);
    check_ca_file(c, p);
  }
  check_models(c, s);
}

}  // namespace interlingua::config::detail
