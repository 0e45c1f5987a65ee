#pragma once

// Asio's epoll reactor gives every socket a small state object (192 bytes) and, when the socket
// closes, keeps that object on a free list for the next socket instead of deleting it. The list
// only ever grows: after 8,000 held streams (16,000 sockets, client and upstream) it held 3.1 MB
// spread over 4.4 MB of pages that no allocator purge could return (bench/RESULTS.md). This
// lets the server delete the free list when the load has dropped.
//
// Why it takes two steps. The reactor turns each ready socket into an operation queued on the
// io_context, pointing at the socket's state; a handler that runs earlier in the same batch may
// close that socket, which moves its state to the free list while the queued operation still
// points at it. Asio tolerates that because a pooled state is never freed. So the free list is
// first detached (no socket can be given one of those states again), and deleted only by a
// handler posted after the detaching one ran: everything queued before the detach has then run.
// This holds for an io_context run by one thread, as every worker's is, and as long as no
// socket's descriptor is duplicated (dup, fork): a closed socket whose file stays open through
// a copy stays in the epoll set, and its events would point at a deleted state.
//
// The free list is a private member of Asio's reactor, reached through the explicit-
// instantiation rule that lets a template name a private member ([temp.spec.general]). The code
// is checked against Boost 1.81's reactor; with another Boost or another reactor the functions
// below do nothing (`reactor_pool_supported()` says which).
//
// Asio also keeps, on every thread that runs an io_context or a thread_pool, the last blocks
// (two per purpose) its handlers, coroutine frames and cancellation slots freed, for the next
// ones to reuse. After a burst those are blocks among the burst's allocations, and each keeps its
// whole slab resident once everything else in it is freed. The cache is also private (Boost
// 1.81's thread_info_base); with another Boost the functions for it do nothing.

#include <cstddef>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace interlingua::server {

// Whether this build can release the reactor's pool (Boost 1.81, epoll reactor).
bool reactor_pool_supported();

struct reactor_pool_counts {
  std::size_t live = 0;  // states of sockets open now
  std::size_t free = 0;  // states kept for reuse
  friend bool operator==(const reactor_pool_counts&, const reactor_pool_counts&) = default;
};

// The reactor's pool as it stands. Any thread; zeros when unsupported.
reactor_pool_counts reactor_pool(boost::asio::io_context& io);

// The free states taken out of the reactor's pool by `detach_reactor_free_list`: deleted by this
// object's destructor, which must run on the io_context's thread, in a handler posted after the
// detaching one returned (see above).
class detached_reactor_states {
 public:
  detached_reactor_states() = default;
  explicit detached_reactor_states(void* list) : list_(list) {}
  detached_reactor_states(detached_reactor_states&& other) noexcept
      : list_(std::exchange(other.list_, nullptr)) {}
  detached_reactor_states& operator=(detached_reactor_states&&) = delete;
  detached_reactor_states(const detached_reactor_states&) = delete;
  detached_reactor_states& operator=(const detached_reactor_states&) = delete;
  ~detached_reactor_states() { release(); }

  // Deletes the states now; returns how many there were.
  std::size_t release();

 private:
  void* list_ = nullptr;
};

// Step one, on the io_context's thread: takes the free list out of the reactor's pool.
detached_reactor_states detach_reactor_free_list(boost::asio::io_context& io);

// The steady timers' queue keeps a heap of every pending wait (16 bytes each), which grows to
// the most timers a burst had and keeps that capacity: 8 KiB after 1,024 connections, in the
// burst's memory, keeping a slab of it resident. shrink_timer_heap reallocates it to its size,
// on the io_context's thread (under the reactor's timer lock), and returns the new capacity in
// entries; timer_heap_capacity tells it. Both return 0 with another Boost or reactor
// (reactor_pool_supported()).
std::size_t timer_heap_capacity(boost::asio::io_context& io);
std::size_t shrink_timer_heap(boost::asio::io_context& io);

// Whether this build can release Asio's handler cache (Boost 1.81).
bool handler_cache_supported();

// How many blocks the calling thread's handler cache holds: 0 off an io_context or thread_pool
// thread, or with another Boost.
std::size_t recycled_handler_blocks();

// Frees the calling thread's cached handler blocks; returns how many there were. The next
// handlers allocate afresh, which after an allocator flush means from older, fuller slabs.
std::size_t release_recycled_handler_memory();

// Both steps: posts the detach to `io` and, from there, the deletion; then calls
// `then(deleted)` on the io_context's thread. For an io_context run by exactly one thread.
template <typename Then>
void release_reactor_pool(boost::asio::io_context& io, Then then) {
  boost::asio::post(io, [&io, then = std::move(then)]() mutable {
    boost::asio::post(io, [states = detach_reactor_free_list(io),
                           then = std::move(then)]() mutable { then(states.release()); });
  });
}

}  // namespace interlingua::server
