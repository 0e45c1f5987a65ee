#include "idle_connections.hpp"

#include <boost/asio/bind_allocator.hpp>

namespace interlingua::server {

idle_connections::entry::entry(idle_connections& list, boost::asio::ip::tcp::socket& socket)
    : list_(&list), socket_(&socket) {
  list_->link(*this);
}

void idle_connections::entry::leave() {
  if (linked_) {
    list_->unlink(*this);
  }
}

idle_connections::idle_connections(boost::asio::io_context& io, clock::duration timeout)
    : timeout_(timeout), timer_(std::make_unique<boost::asio::steady_timer>(io)) {}

void idle_connections::link(entry& e) {
  e.deadline_ = clock::now() + timeout_;
  e.prev_ = tail_;
  e.next_ = nullptr;
  if (tail_ != nullptr) {
    tail_->next_ = &e;
  } else {
    head_ = &e;
  }
  tail_ = &e;
  e.linked_ = true;
  arm(head_->deadline_);
}

void idle_connections::unlink(entry& e) {
  (e.prev_ != nullptr ? e.prev_->next_ : head_) = e.next_;
  (e.next_ != nullptr ? e.next_->prev_ : tail_) = e.prev_;
  e.prev_ = e.next_ = nullptr;
  e.linked_ = false;
}

// An armed timer is left alone: it fires no later than the head's deadline (entries only join
// at the tail, with later deadlines) and re-arms for whatever is the head then.
void idle_connections::arm(clock::time_point at) {
  if (armed_ || !timer_) {
    return;
  }
  armed_ = true;
  timer_->expires_at(at);
  timer_->async_wait(boost::asio::bind_allocator(
      handler_allocator<char>(wait_memory_), [this](boost::system::error_code ec) {
        if (ec == boost::asio::error::operation_aborted) {
          return;  // stop(): the timer is gone, and maybe the list with it
        }
        armed_ = false;
        expire();
      }));
}

void idle_connections::expire() {
  const auto now = clock::now();
  while (head_ != nullptr && head_->deadline_ <= now) {
    entry& e = *head_;
    unlink(e);
    // Its read completes with operation_aborted and the connection closes, as at a drain.
    boost::system::error_code ignored;
    e.socket_->cancel(ignored);
  }
  if (head_ != nullptr) {
    arm(head_->deadline_);
  }
}

void idle_connections::cancel_all() {
  for (entry* e = head_; e != nullptr; e = e->next_) {
    boost::system::error_code ignored;
    e->socket_->cancel(ignored);
  }
}

}  // namespace interlingua::server
