#include <interlingua/server/memory.hpp>

#include <algorithm>
#include <cstddef>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

// jemalloc's control interface, when the binary runs on jemalloc (release builds link it: see
// src/app/CMakeLists.txt). Weak: a build without it (the sanitizer builds) still links.
extern "C" int mallctl(const char* name, void* oldp, std::size_t* oldlenp, void* newp,
                       std::size_t newlen) __attribute__((weak));

namespace interlingua::server {

namespace {

// MALLCTL_ARENAS_ALL: every arena.
constexpr const char* purge_all_arenas = "arena.4096.purge";

}  // namespace

bool trim_policy::observe(std::size_t open, std::uint64_t accepted, bool freed) {
  bool quiet = accepted == last_accepted_;
  if (!quiet) {
    dirty_ = true;
    last_accepted_ = accepted;
  }
  dirty_ = dirty_ || freed;
  peak_ = std::max(peak_, open);
  if (!dirty_) {
    return false;
  }
  bool idle = open == 0 && quiet;
  bool halved = peak_ >= big_drop_from && open * 2 <= peak_;
  if (!idle && !halved) {
    return false;
  }
  dirty_ = !idle;  // after a partial drop, the rest may still go
  peak_ = open;
  return true;
}

std::string allocator_name() {
  if (mallctl != nullptr) {
    const char* version = nullptr;
    std::size_t size = sizeof version;
    if (mallctl("version", &version, &size, nullptr, 0) == 0 && version != nullptr) {
      return std::string("jemalloc ") + version;
    }
    return "jemalloc";
  }
#if defined(__GLIBC__)
  return "glibc malloc";
#else
  return "system malloc";
#endif
}

bool return_free_memory() {
  if (mallctl != nullptr) {
    // jemalloc keeps freed pages as "dirty" and returns them on a decay clock driven by later
    // allocations: a gateway gone quiet would keep its peak. Purge them now.
    return mallctl(purge_all_arenas, nullptr, nullptr, nullptr, 0) == 0;
  }
#if defined(__GLIBC__)
  return ::malloc_trim(0) != 0;
#else
  return false;
#endif
}

}  // namespace interlingua::server
