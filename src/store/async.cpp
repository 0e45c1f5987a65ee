#include <interlingua/store/async.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace interlingua::store {

namespace {

namespace asio = boost::asio;

// These run on the store pool; the co_spawn in the caller brings the result back to the worker.
asio::awaitable<core::result<void>> put_on_pool(std::shared_ptr<interaction_store> s,
                                                interaction_record r) {
  co_return s->put(r);
}

asio::awaitable<core::result<std::optional<interaction_record>>> get_on_pool(
    std::shared_ptr<interaction_store> s, std::string id, std::string owner) {
  co_return s->get(id, owner);
}

asio::awaitable<core::result<bool>> remove_on_pool(std::shared_ptr<interaction_store> s,
                                                   std::string id, std::string owner) {
  co_return s->remove(id, owner);
}

}  // namespace

asio::awaitable<core::result<void>> async_interactions::put(interaction_record r) {
  co_return co_await asio::co_spawn(pool_, put_on_pool(store_, std::move(r)), asio::use_awaitable);
}

asio::awaitable<core::result<std::optional<interaction_record>>> async_interactions::get(
    std::string id, std::string owner) {
  co_return co_await asio::co_spawn(pool_, get_on_pool(store_, std::move(id), std::move(owner)),
                                    asio::use_awaitable);
}

asio::awaitable<core::result<bool>> async_interactions::remove(std::string id, std::string owner) {
  co_return co_await asio::co_spawn(pool_, remove_on_pool(store_, std::move(id), std::move(owner)),
                                    asio::use_awaitable);
}

}  // namespace interlingua::store
