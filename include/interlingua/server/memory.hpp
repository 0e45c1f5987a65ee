#pragma once

// Giving freed memory back to the system after load. glibc keeps what a burst of connections
// freed in its arenas (bench/RESULTS.md: 401 MB held 30 s after 8,000 streams closed, 10.7 MB
// idle); malloc_trim(0) returns the free pages. Trimming walks every arena, so it is done from
// the server's housekeeping thread, only when the load has clearly dropped.

#include <cstddef>
#include <cstdint>

namespace interlingua::server {

// When to trim, from one sample of the server a tick (about a second): no clock, no I/O.
class trim_policy {
 public:
  // Below this peak a drop is not worth a trim unless the server went idle.
  static constexpr std::size_t big_drop_from = 256;

  // `open`: connections open now; `accepted`: connections accepted since start. Returns true
  // when memory should be returned now: the server saw traffic since the last trim and is
  // either idle (nothing open, nothing accepted this tick) or holds at most half its peak.
  bool observe(std::size_t open, std::uint64_t accepted);

 private:
  std::uint64_t last_accepted_ = 0;
  std::size_t peak_ = 0;
  bool dirty_ = false;
};

// Returns free heap memory to the system (malloc_trim where glibc has it, else nothing).
// Returns whether anything was released.
bool return_free_memory();

}  // namespace interlingua::server
