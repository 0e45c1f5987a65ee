#pragma once

// The store as workers see it: every call runs on the store thread pool and is co_awaited, so
// a worker never blocks on disk.

#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <interlingua/store/interactions.hpp>

namespace interlingua::store {

class async_interactions {
 public:
  async_interactions(std::shared_ptr<interaction_store> store, boost::asio::thread_pool& pool)
      : store_(std::move(store)), pool_(pool) {}

  boost::asio::awaitable<core::result<void>> put(interaction_record r);
  boost::asio::awaitable<core::result<std::optional<interaction_record>>> get(std::string id,
                                                                              std::string owner);
  boost::asio::awaitable<core::result<bool>> remove(std::string id, std::string owner);

 private:
  std::shared_ptr<interaction_store> store_;
  boost::asio::thread_pool& pool_;
};

}  // namespace interlingua::store
