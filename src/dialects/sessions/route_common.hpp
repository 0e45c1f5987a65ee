#pragma once

// What the session-chat routes share: answering with a problem or an error in Julep's shape,
// path and query reading, and the chat routes themselves (chat_routes.cpp), which add_routes
// (routes.cpp) wires next to the agent, session and history CRUD.

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include <interlingua/core/json_util.hpp>
#include <interlingua/dialects/sessions.hpp>
#include <interlingua/dialects/sessions_routes.hpp>

namespace interlingua::dialects::sessions::routing {

namespace asio = boost::asio;
using server::exchange;

std::int64_t now_us();
asio::awaitable<void> send(exchange& ex, rendered r);
asio::awaitable<void> send_problem(exchange& ex, const problem& p);
// With the upstream's Retry-After passed on when it gave one.
asio::awaitable<void> send_error(exchange& ex, const core::error& e);
// The path id must be a UUID: a 422 naming the path parameter otherwise (spec §5.5).
std::optional<problem> bad_id(const exchange& ex, std::string_view name);
store::list_query list_query_of(const exchange& ex);
std::optional<nlohmann::json> body_of(const store::document_record& r);
// The record's document, parsed once per thread while its text stays the same: session chat reads
// the session and agent documents on every call, and parsing them again cost more than building
// the prompt (bench/RESULTS.md). A record whose text changed is parsed again, so no write is
// missed. At most 1 MiB of documents' text is kept per thread. Not an object (never stored so):
// an empty object.
std::shared_ptr<const nlohmann::json> parsed_body(const store::document_record& r);

// POST /sessions/{id}/chat and POST /sessions/{id}/render.
asio::awaitable<void> chat(exchange& ex, service::gateway& g, store::async_sessions& st);
asio::awaitable<void> render(exchange& ex, store::async_sessions& st);

}  // namespace interlingua::dialects::sessions::routing
