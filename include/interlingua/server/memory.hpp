#pragma once

// Giving freed memory back to the system after load. An allocator keeps what a burst of
// connections freed (bench/RESULTS.md: 401 MB held 30 s after 8,000 streams closed, 10.7 MB
// idle). Release builds run on jemalloc, which keeps objects of one size together — glibc's
// malloc_trim could not return pages pinned by small long-lived objects scattered among the
// freed buffers — and purging it returns its free pages; other builds fall back to
// malloc_trim(0). Either walks every arena, so it is done from the server's housekeeping thread,
// only when the load has clearly dropped, after the workers have freed what would outlive the
// burst in its slabs, deleted the per-socket states Asio's reactor pools (both in
// http_server::release_worker_memory and server/reactor_pool.hpp) and flushed their allocator
// caches.

#include <cstddef>
#include <cstdint>
#include <string>

namespace interlingua::server {

// When to trim, from one sample of the server a tick (about a second): no clock, no I/O.
class trim_policy {
 public:
  // Below this peak a drop is not worth a trim unless the server went idle.
  static constexpr std::size_t big_drop_from = 256;

  // `open`: connections open now; `accepted`: connections accepted since start; `freed`: memory
  // was freed apart from any connection since the last sample (idle upstream connections closed
  // for their age). Returns true when memory should be returned now: the server saw traffic or
  // such a release since the last trim and is either idle (nothing open, nothing accepted this
  // tick) or holds at most half its peak.
  bool observe(std::size_t open, std::uint64_t accepted, bool freed = false);

 private:
  std::uint64_t last_accepted_ = 0;
  std::size_t peak_ = 0;
  bool dirty_ = false;
};

// Returns free heap memory to the system: jemalloc's purge, or glibc's malloc_trim. Returns
// whether the allocator did (or, for glibc, released anything).
bool return_free_memory();

// "jemalloc 5.3.0-..." or "glibc malloc": for the start-up log.
std::string allocator_name();

}  // namespace interlingua::server
