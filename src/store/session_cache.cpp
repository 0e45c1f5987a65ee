#include "session_cache.hpp"

namespace interlingua::store {

namespace {

std::size_t bytes_of(const std::vector<entry_record>& entries) {
  std::size_t n = 0;
  for (const auto& e : entries) {
    n += e.body.size() + e.id.size() + e.session_id.size() + sizeof(entry_record);
  }
  return n;
}

template <class Map>
std::optional<typename Map::mapped_type> find_in(const Map& m, const std::string& k) {
  auto it = m.find(k);
  if (it == m.end()) {
    return std::nullopt;
  }
  return it->second;
}

void put_document(std::unordered_map<std::string, document_record>& m, std::string k,
                  const document_record& r) {
  if (m.size() >= session_cache::max_documents && !m.contains(k)) {
    m.clear();
  }
  m.insert_or_assign(std::move(k), r);
}

}  // namespace

std::string session_cache::key(std::string_view owner, std::string_view id) {
  std::string k;
  k.reserve(owner.size() + id.size() + 1);
  k += owner;
  k += '\0';  // neither an owner hash nor an id contains it
  k += id;
  return k;
}

std::uint64_t session_cache::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

std::optional<document_record> session_cache::agent(std::string_view owner,
                                                    std::string_view id) const {
  std::lock_guard lock(mutex_);
  return find_in(agents_, key(owner, id));
}

std::optional<document_record> session_cache::session(std::string_view owner,
                                                      std::string_view id) const {
  std::lock_guard lock(mutex_);
  return find_in(sessions_, key(owner, id));
}

session_cache::history_ptr session_cache::history(std::string_view owner,
                                                  std::string_view session_id) const {
  std::lock_guard lock(mutex_);
  auto it = histories_.find(key(owner, session_id));
  return it == histories_.end() ? nullptr : it->second.entries;
}

void session_cache::fill_agent(std::uint64_t since, std::string_view owner,
                               const document_record& r) {
  std::lock_guard lock(mutex_);
  if (since == generation_) {
    put_document(agents_, key(owner, r.id), r);
  }
}

void session_cache::fill_session(std::uint64_t since, std::string_view owner,
                                 const document_record& r) {
  std::lock_guard lock(mutex_);
  if (since == generation_) {
    put_document(sessions_, key(owner, r.id), r);
  }
}

void session_cache::fill_history(std::uint64_t since, std::string_view owner,
                                 std::string_view session_id, history_ptr entries) {
  std::size_t bytes = bytes_of(*entries);
  if (bytes > max_session_history) {
    return;
  }
  std::lock_guard lock(mutex_);
  if (since != generation_) {
    return;
  }
  auto k = key(owner, session_id);
  erase_history(k);
  if (history_bytes_ + bytes > max_history_bytes) {
    histories_.clear();
    history_bytes_ = 0;
  }
  histories_.emplace(std::move(k), cached_history{std::move(entries), bytes});
  history_bytes_ += bytes;
}

void session_cache::erase_history(const std::string& k) {
  if (auto it = histories_.find(k); it != histories_.end()) {
    history_bytes_ -= it->second.bytes;
    histories_.erase(it);
  }
}

void session_cache::forget_agent(std::string_view owner, std::string_view id) {
  std::lock_guard lock(mutex_);
  ++generation_;
  agents_.erase(key(owner, id));
}

void session_cache::forget_session(std::string_view owner, std::string_view id) {
  std::lock_guard lock(mutex_);
  ++generation_;
  auto k = key(owner, id);
  sessions_.erase(k);
  erase_history(k);
}

void session_cache::forget_history(std::string_view owner, std::string_view session_id) {
  std::lock_guard lock(mutex_);
  ++generation_;
  erase_history(key(owner, session_id));
}

void session_cache::rehome() {
  auto copy_documents = [](const std::unordered_map<std::string, document_record>& from) {
    std::unordered_map<std::string, document_record> to;
    to.reserve(from.size());
    for (const auto& [k, r] : from) {
      to.emplace(std::string(k), document_record(r));
    }
    return to;
  };
  std::lock_guard lock(mutex_);
  agents_ = copy_documents(agents_);
  sessions_ = copy_documents(sessions_);
  std::unordered_map<std::string, cached_history> histories;
  histories.reserve(histories_.size());
  for (const auto& [k, h] : histories_) {
    histories.emplace(
        std::string(k),
        cached_history{std::make_shared<const std::vector<entry_record>>(*h.entries), h.bytes});
  }
  histories_ = std::move(histories);
}

}  // namespace interlingua::store
