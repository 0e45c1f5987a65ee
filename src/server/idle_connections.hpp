#pragma once

// The keep-alive connections of one worker that wait for their next request, oldest first, and
// the one timer that closes those idle past the timeout. nginx's way: a request that arrives in
// time costs an unlink, not a timer armed and cancelled (beast's per-read timer posted its
// cancellation through the scheduler on every request, one more round of epoll_wait).
//
// Every connection waits the same timeout, so the list is in deadline order: the timer is armed
// for the head and, when it fires, closes what has expired from the head on and re-arms for the
// new head. A head that left in time is noticed only then. One worker thread uses it; nothing is
// locked.

#include <chrono>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "handler_memory.hpp"

namespace interlingua::server {

class idle_connections {
 public:
  using clock = std::chrono::steady_clock;

  // One connection's wait, linked while it lasts (RAII: an entry destroyed with its connection
  // coroutine unlinks itself).
  class entry {
   public:
    entry(idle_connections& list, boost::asio::ip::tcp::socket& socket);
    ~entry() { leave(); }
    entry(const entry&) = delete;
    entry& operator=(const entry&) = delete;

    // Unlinks (the request came, or the read failed). Idempotent.
    void leave();

   private:
    friend class idle_connections;
    idle_connections* list_;
    boost::asio::ip::tcp::socket* socket_;
    clock::time_point deadline_;
    entry* prev_ = nullptr;
    entry* next_ = nullptr;
    bool linked_ = false;
  };

  idle_connections(boost::asio::io_context& io, clock::duration timeout);

  // Cancels every idle connection's read (drain): each ends as it would at its deadline.
  void cancel_all();

  // Destroys the timer: must run before the io_context is destroyed. Entries may still leave
  // afterwards (connection coroutines destroyed with the io_context).
  void stop() { timer_.reset(); }

 private:
  void link(entry& e);
  void unlink(entry& e);
  void arm(clock::time_point at);
  void expire();

  clock::duration timeout_;
  // The timer's one pending wait: here, not allocated at each arming (handler_memory.hpp: the
  // wait armed during a burst would keep a slab of it resident until it fires, idle_ms later).
  // Outlives the timer and the io_context, which frees a wait still queued into it.
  handler_memory wait_memory_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  bool armed_ = false;
  entry* head_ = nullptr;
  entry* tail_ = nullptr;
};

}  // namespace interlingua::server
