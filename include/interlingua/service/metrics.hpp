#pragma once

// Prometheus text exposition of the upstream counters of every worker's gateway.

#include <string>
#include <vector>

#include <interlingua/config/config.hpp>
#include <interlingua/service/gateway.hpp>

namespace interlingua::service {

// Sums each provider's counters over `gateways` (one per worker; read from any thread) into
// interlingua_upstream_{attempts,failures,retries,fallbacks,cancelled}_total{provider="..."}.
std::string render_metrics(const config::settings& s, const std::vector<const gateway*>& gateways);

}  // namespace interlingua::service
