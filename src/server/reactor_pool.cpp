#include <interlingua/server/reactor_pool.hpp>

#include <algorithm>

#include <boost/asio/detail/memory.hpp>
#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/thread_context.hpp>
#include <boost/asio/detail/thread_info_base.hpp>
#include <boost/version.hpp>

#if BOOST_VERSION / 100 == 1081
#define INTERLINGUA_HANDLER_CACHE 1
#if defined(BOOST_ASIO_HAS_EPOLL) && !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
#define INTERLINGUA_REACTOR_POOL 1
#include <boost/asio/detail/chrono_time_traits.hpp>
#include <boost/asio/detail/deadline_timer_service.hpp>
#include <boost/asio/detail/epoll_reactor.hpp>
#include <boost/asio/detail/object_pool.hpp>
#include <boost/asio/detail/timer_queue.hpp>
#include <boost/asio/wait_traits.hpp>
#endif
#endif

namespace interlingua::server {

namespace {

namespace detail = boost::asio::detail;

// A pointer to a private member, handed out by a friend function that an explicit instantiation
// defines: access is not checked for the names in an explicit instantiation.
template <typename Tag, typename Tag::type Member>
struct private_member {
  friend typename Tag::type member_of(Tag) { return Member; }
};

}  // namespace

#if defined(INTERLINGUA_HANDLER_CACHE)

namespace {

using thread_info = detail::thread_info_base;

struct cache_of_thread {
  using type = void* (thread_info::*)[thread_info::max_mem_index];
  friend type member_of(cache_of_thread);
};

template struct private_member<cache_of_thread, &thread_info::reusable_memory_>;

// The calling thread's cache, when it runs an io_context or a thread_pool.
void** thread_cache() {
  thread_info* t = detail::thread_context::top_of_thread_call_stack();
  return t == nullptr ? nullptr : (t->*member_of(cache_of_thread{}));
}

}  // namespace

bool handler_cache_supported() {
  return true;
}

std::size_t recycled_handler_blocks() {
  void** cache = thread_cache();
  if (cache == nullptr) {
    return 0;
  }
  return static_cast<std::size_t>(std::count_if(cache, cache + thread_info::max_mem_index,
                                                [](void* p) { return p != nullptr; }));
}

std::size_t release_recycled_handler_memory() {
  void** cache = thread_cache();
  std::size_t n = 0;
  for (int i = 0; cache != nullptr && i < thread_info::max_mem_index; ++i) {
    if (cache[i] != nullptr) {
      boost::asio::aligned_delete(std::exchange(cache[i], nullptr));
      ++n;
    }
  }
  return n;
}

#else  // another Boost: the cache is left as it is

bool handler_cache_supported() {
  return false;
}

std::size_t recycled_handler_blocks() {
  return 0;
}

std::size_t release_recycled_handler_memory() {
  return 0;
}

#endif

#if defined(INTERLINGUA_REACTOR_POOL)

namespace {

using reactor = detail::epoll_reactor;
using state = reactor::descriptor_state;
using pool = detail::object_pool<state>;

struct pool_of_reactor {
  using type = pool reactor::*;
  friend type member_of(pool_of_reactor);
};
struct mutex_of_reactor {
  using type = detail::conditionally_enabled_mutex reactor::*;
  friend type member_of(mutex_of_reactor);
};
struct live_of_pool {
  using type = state* pool::*;
  friend type member_of(live_of_pool);
};
struct free_of_pool {
  using type = state* pool::*;
  friend type member_of(free_of_pool);
};

struct timer_mutex_of_reactor {
  using type = detail::conditionally_enabled_mutex reactor::*;
  friend type member_of(timer_mutex_of_reactor);
};

using steady_traits =
    detail::chrono_time_traits<std::chrono::steady_clock,
                               boost::asio::wait_traits<std::chrono::steady_clock>>;
using timer_service = detail::deadline_timer_service<steady_traits>;
using timer_queue = detail::timer_queue<steady_traits>;

struct queue_of_service {
  using type = timer_queue timer_service::*;
  friend type member_of(queue_of_service);
};

// The heap's element type is private too: the friend's return type is deduced.
auto& heap_of(timer_queue& q);
template <auto Heap>
struct heap_access {
  friend auto& heap_of(timer_queue& q) { return q.*Heap; }
};

template struct private_member<pool_of_reactor, &reactor::registered_descriptors_>;
template struct private_member<mutex_of_reactor, &reactor::registered_descriptors_mutex_>;
template struct private_member<live_of_pool, &pool::live_list_>;
template struct private_member<free_of_pool, &pool::free_list_>;
template struct private_member<timer_mutex_of_reactor, &reactor::mutex_>;
template struct private_member<queue_of_service, &timer_service::timer_queue_>;
template struct heap_access<&timer_queue::heap_>;

std::size_t length(state* list) {
  std::size_t n = 0;
  for (; list != nullptr; list = detail::object_pool_access::next(list)) {
    ++n;
  }
  return n;
}

// Calls `f` with the pool of the io_context's reactor under the reactor's lock; `R{}` when the
// io_context has no reactor yet (it makes one at its first socket or timer).
template <typename R, typename F>
R with_pool(boost::asio::io_context& io, F f) {
  if (!boost::asio::has_service<reactor>(io)) {
    return R{};
  }
  reactor& r = boost::asio::use_service<reactor>(io);
  detail::conditionally_enabled_mutex::scoped_lock lock(r.*member_of(mutex_of_reactor{}));
  return f(r.*member_of(pool_of_reactor{}));
}

}  // namespace

bool reactor_pool_supported() {
  return true;
}

reactor_pool_counts reactor_pool(boost::asio::io_context& io) {
  return with_pool<reactor_pool_counts>(io, [](pool& p) {
    return reactor_pool_counts{length(p.*member_of(live_of_pool{})),
                               length(p.*member_of(free_of_pool{}))};
  });
}

detached_reactor_states detach_reactor_free_list(boost::asio::io_context& io) {
  return with_pool<detached_reactor_states>(io, [](pool& p) {
    return detached_reactor_states(std::exchange(p.*member_of(free_of_pool{}), nullptr));
  });
}

// Calls `f` with the steady timers' heap under the reactor's timer lock; `R{}` when the
// io_context has no such timer service yet.
template <typename R, typename F>
R with_timer_heap(boost::asio::io_context& io, F f) {
  if (!boost::asio::has_service<reactor>(io) || !boost::asio::has_service<timer_service>(io)) {
    return R{};
  }
  reactor& r = boost::asio::use_service<reactor>(io);
  timer_service& timers = boost::asio::use_service<timer_service>(io);
  detail::conditionally_enabled_mutex::scoped_lock lock(r.*member_of(timer_mutex_of_reactor{}));
  return f(heap_of(timers.*member_of(queue_of_service{})));
}

std::size_t timer_heap_capacity(boost::asio::io_context& io) {
  return with_timer_heap<std::size_t>(io, [](auto& heap) { return heap.capacity(); });
}

std::size_t shrink_timer_heap(boost::asio::io_context& io) {
  return with_timer_heap<std::size_t>(io, [](auto& heap) {
    heap.shrink_to_fit();
    return heap.capacity();
  });
}

std::size_t detached_reactor_states::release() {
  auto* list = static_cast<state*>(std::exchange(list_, nullptr));
  std::size_t n = 0;
  while (list != nullptr) {
    state* s = list;
    list = detail::object_pool_access::next(s);
    detail::object_pool_access::destroy(s);
    ++n;
  }
  return n;
}

#else  // another Boost or another reactor: nothing is released

bool reactor_pool_supported() {
  return false;
}

reactor_pool_counts reactor_pool(boost::asio::io_context&) {
  return {};
}

detached_reactor_states detach_reactor_free_list(boost::asio::io_context&) {
  return {};
}

std::size_t detached_reactor_states::release() {
  list_ = nullptr;
  return 0;
}

std::size_t timer_heap_capacity(boost::asio::io_context&) {
  return 0;
}

std::size_t shrink_timer_heap(boost::asio::io_context&) {
  return 0;
}

#endif

}  // namespace interlingua::server
