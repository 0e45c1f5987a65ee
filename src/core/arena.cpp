#include <interlingua/core/arena.hpp>

#include <cstddef>

// jemalloc's control interface, when the binary runs on jemalloc. Weak: a build without it (the
// sanitizer builds) still links.
extern "C" int mallctl(const char* name, void* oldp, std::size_t* oldlenp, void* newp,
                       std::size_t newlen) __attribute__((weak));

namespace interlingua::core {

void flush_thread_cache() {
  if (mallctl != nullptr) {
    mallctl("thread.tcache.flush", nullptr, nullptr, nullptr, 0);
  }
}

startup_arena_scope::startup_arena_scope(bool enabled) : enabled_(enabled && mallctl != nullptr) {
  if (!enabled_) {
    return;
  }
  flush_thread_cache();
  std::size_t size = sizeof own_;
  if (mallctl("thread.arena", &own_, &size, nullptr, 0) != 0 || own_ == 0) {
    return;  // already there
  }
  unsigned first = 0;
  moved_ = mallctl("thread.arena", nullptr, nullptr, &first, sizeof first) == 0;
}

startup_arena_scope::~startup_arena_scope() {
  if (!enabled_) {
    return;
  }
  flush_thread_cache();  // the copies' leftovers, and the old copies freed in the scope
  if (moved_) {
    mallctl("thread.arena", nullptr, nullptr, &own_, sizeof own_);
  }
}

}  // namespace interlingua::core
