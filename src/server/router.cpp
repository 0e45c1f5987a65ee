#include <interlingua/server/router.hpp>

namespace interlingua::server {

namespace {

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    auto end = slash == std::string_view::npos ? path.size() : slash;
    if (end > start) {
      out.emplace_back(path.substr(start, end - start));
    }
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  return out;
}

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void router::add(http::verb method, std::string pattern, handler h) {
  auto segments = split(pattern);
  routes_.push_back(route{method, std::move(pattern), std::move(segments), std::move(h)});
}

router::match_result router::match(http::verb method, std::string_view path) const {
  auto parts = split(path);
  match_result result;
  for (const auto& r : routes_) {
    if (r.segments.size() != parts.size()) {
      continue;
    }
    std::vector<std::string> params;
    bool same = true;
    for (std::size_t i = 0; i < parts.size() && same; ++i) {
      if (is_param(r.segments[i])) {
        params.push_back(parts[i]);
      } else {
        same = r.segments[i] == parts[i];
      }
    }
    if (!same) {
      continue;
    }
    if (r.method != method) {
      result.status = 405;
      continue;
    }
    return match_result{&r.target, 200, r.pattern, std::move(params)};
  }
  return result;
}

}  // namespace interlingua::server
