#pragma once

#include <interlingua/server/router.hpp>
#include <interlingua/service/gateway.hpp>
#include <interlingua/store/async.hpp>

namespace interlingua::dialects::interactions {

// POST/GET/DELETE/cancel under /v3/compat/{v1beta,v1} and /{v1beta,v1}.
void add_routes(server::router& r, service::gateway& g, store::async_interactions& st);

}  // namespace interlingua::dialects::interactions
