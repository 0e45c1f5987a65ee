#pragma once

// Running a function once on every thread of an asio::thread_pool. A pool hands a posted task to
// whichever thread is free, so "once per thread" needs each task to hold its thread until all
// have started: no thread can then take two (unless one waited out its patience). For thread-local
// state only a thread can touch, such as its allocator cache (a store thread kept 1.5 MB in
// jemalloc's after a burst of `store: true` requests; bench/RESULTS.md).

#include <chrono>
#include <functional>

#include <boost/asio/thread_pool.hpp>

namespace interlingua::server {

// Runs `fn` on each of the pool's `threads` threads and waits for them. A thread busy with other
// work for longer than `patience` is left out (each task waits that long for the others, then
// runs `fn` anyway). Returns on how many distinct threads `fn` ran.
unsigned run_on_each_thread(boost::asio::thread_pool& pool, unsigned threads,
                            const std::function<void()>& fn, std::chrono::milliseconds patience);

}  // namespace interlingua::server
