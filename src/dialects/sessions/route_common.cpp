#include "route_common.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <unordered_map>

namespace interlingua::dialects::sessions::routing {

using namespace core::json_util;

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

asio::awaitable<void> send(exchange& ex, rendered r) {
  co_await ex.respond_json(r.status, std::move(r.body));
}

asio::awaitable<void> send_problem(exchange& ex, const problem& p) {
  ex.record().error = p.code;
  co_await send(ex, render_problem(p));
}

asio::awaitable<void> send_error(exchange& ex, const core::error& e) {
  ex.record().error = core::to_string(e.kind);
  rendered r = render_error(e);
  std::string type = "application/json";
  server::header_list headers;
  if (e.retry_after_s) {
    headers.emplace_back("retry-after", std::to_string(*e.retry_after_s));  // the upstream's
  }
  co_await ex.respond(r.status, std::move(type), std::move(r.body), std::move(headers));
}

std::optional<problem> bad_id(const exchange& ex, std::string_view name) {
  const std::string& id = ex.params().front();
  if (is_uuid(id)) {
    return std::nullopt;
  }
  problem p;
  p.details.push_back(
      issue{"uuid_parsing", "Input should be a valid UUID", "path." + std::string(name), id});
  return p;
}

store::list_query list_query_of(const exchange& ex) {
  store::list_query q;
  auto number = [&](const char* name, std::int64_t fallback, std::int64_t lo, std::int64_t hi) {
    auto v = ex.query(name);
    if (!v) {
      return fallback;
    }
    char* end = nullptr;
    long long n = std::strtoll(v->c_str(), &end, 10);
    if (end == v->c_str()) {
      return fallback;
    }
    return std::clamp<std::int64_t>(n, lo, hi);
  };
  q.limit = number("limit", 100, 1, 1000);
  q.offset = number("offset", 0, 0, INT64_MAX);
  q.by_updated = ex.query("sort_by").value_or("created_at") == "updated_at";
  q.descending = ex.query("direction").value_or("desc") != "asc";
  return q;
}

std::optional<json> body_of(const store::document_record& r) {
  return parse(r.body);
}

namespace {

// parsed_body's cache: per thread, so no lock.
struct parsed_documents {
  struct entry {
    std::string body;  // the text `doc` was parsed from
    std::shared_ptr<const json> doc;
  };
  std::unordered_map<std::string, entry> by_id;
  std::size_t bytes = 0;  // of the texts
};

parsed_documents& thread_documents() {
  thread_local parsed_documents cache;
  return cache;
}

}  // namespace

std::shared_ptr<const json> parsed_body(const store::document_record& r) {
  // Bounded by the texts' bytes (a tree takes a few times its text): a gateway with many or
  // large documents keeps at most this much per thread, and a document larger than a quarter
  // of it is parsed on every call as before.
  constexpr std::size_t budget = 1024 * 1024;
  auto& cache = thread_documents();
  if (auto it = cache.by_id.find(r.id); it != cache.by_id.end() && it->second.body == r.body) {
    return it->second.doc;
  }
  auto parsed = parse(r.body);
  if (!parsed || !parsed->is_object()) {
    static const auto empty = std::make_shared<const json>(json::object());
    return empty;  // stored documents are objects; anything else reads as an empty one
  }
  auto doc = std::make_shared<const json>(std::move(*parsed));
  if (r.body.size() > budget / 4) {
    return doc;
  }
  if (auto it = cache.by_id.find(r.id); it != cache.by_id.end()) {
    cache.bytes -= it->second.body.size();
    cache.by_id.erase(it);
  }
  if (cache.bytes + r.body.size() > budget) {
    cache.by_id.clear();
    cache.bytes = 0;
  }
  cache.by_id.emplace(r.id, parsed_documents::entry{r.body, doc});
  cache.bytes += r.body.size();
  return doc;
}

}  // namespace interlingua::dialects::sessions::routing

namespace interlingua::dialects::sessions {

void rehome_thread_caches() {
  auto& cache = routing::thread_documents();
  std::unordered_map<std::string, routing::parsed_documents::entry> fresh;
  fresh.reserve(cache.by_id.size());
  for (const auto& [id, e] : cache.by_id) {
    fresh.emplace(std::string(id), routing::parsed_documents::entry{
                                       std::string(e.body), std::make_shared<const json>(*e.doc)});
  }
  cache.by_id = std::move(fresh);
}

}  // namespace interlingua::dialects::sessions
