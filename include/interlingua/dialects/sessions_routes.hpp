#pragma once

#include <interlingua/server/router.hpp>
#include <interlingua/service/gateway.hpp>
#include <interlingua/store/async_sessions.hpp>

namespace interlingua::dialects::sessions {

// Julep-style agents, sessions, history, chat and render, at `/` and under `/api` (the cloud
// SDK's base path).
void add_routes(server::router& r, service::gateway& g, store::async_sessions& st);

}  // namespace interlingua::dialects::sessions
