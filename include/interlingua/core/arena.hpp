#pragma once

// Where the allocations of objects that outlive a burst go. Release builds run on jemalloc (see
// src/app/CMakeLists.txt), which gives each worker thread an arena of its own and keeps objects
// of one size together in slabs. A slab is resident as far as it was ever touched, and stays so
// while one object in it lives: a few long-lived objects allocated among a burst's short-lived
// ones keep the burst's pages (bench/RESULTS.md, memory after load). Without jemalloc (the
// sanitizer builds) these are no-ops.

namespace interlingua::core {

// Hands the calling thread's cached free objects back to their arenas (jemalloc's per-thread
// cache: about 1.5 MB over the workers after 8,000 streams, and the slabs they keep from being
// purged). Only the thread itself can do it.
void flush_thread_cache();

// While it exists, the calling thread allocates from jemalloc's first arena, the start-up
// thread's, whose start-up memory is partly free and has a slab of every common size, instead
// of from its own arena, where each size the objects use would keep one slab of a burst
// resident for a few objects. For what is made on a worker and kept past a burst: caches moved
// into new memory at quiet time, an upstream's kept TLS session, what OpenSSL builds at a
// thread's first handshakes. Flushes the thread's cache on entry and on exit, so that nothing
// cached from one arena serves the other. Never across a co_await: it is the thread's setting.
// `enabled` false: does nothing (for code that moves only sometimes).
class startup_arena_scope {
 public:
  explicit startup_arena_scope(bool enabled = true);
  ~startup_arena_scope();
  startup_arena_scope(const startup_arena_scope&) = delete;
  startup_arena_scope& operator=(const startup_arena_scope&) = delete;

 private:
  bool enabled_;
  unsigned own_ = 0;
  bool moved_ = false;
};

}  // namespace interlingua::core
