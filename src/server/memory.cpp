#include <interlingua/server/memory.hpp>

#include <algorithm>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace interlingua::server {

bool trim_policy::observe(std::size_t open, std::uint64_t accepted) {
  bool quiet = accepted == last_accepted_;
  if (!quiet) {
    dirty_ = true;
    last_accepted_ = accepted;
  }
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

bool return_free_memory() {
#if defined(__GLIBC__)
  return ::malloc_trim(0) != 0;
#else
  return false;
#endif
}

}  // namespace interlingua::server
