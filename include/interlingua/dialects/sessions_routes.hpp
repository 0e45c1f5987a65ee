#pragma once

#include <interlingua/server/router.hpp>
#include <interlingua/service/gateway.hpp>
#include <interlingua/store/async_sessions.hpp>

namespace interlingua::dialects::sessions {

// Julep-style agents, sessions, history, chat and render, at `/` and under `/api` (the cloud
// SDK's base path).
void add_routes(server::router& r, service::gateway& g, store::async_sessions& st);

// Copies what the calling thread caches for session chat (its parsed agent and session
// documents) into new memory and frees the old copies. For when load has dropped: the gateway
// calls it inside core::startup_arena_scope, so the copies go into start-up memory, and the
// burst's pages, which held the entries, can go back to the system (bench/RESULTS.md). Also
// called when a worker starts, so that the cache's own bookkeeping is start-up memory.
void rehome_thread_caches();

}  // namespace interlingua::dialects::sessions
