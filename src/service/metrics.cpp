#include <interlingua/service/metrics.hpp>

#include <array>
#include <cstdint>

namespace interlingua::service {

namespace {

struct counter_kind {
  const char* name;
  const char* help;
  const std::atomic<std::uint64_t> provider_counters::*member;
};

constexpr std::array<counter_kind, 5> kinds{{
    {"attempts", "Upstream tries sent (or refused before sending), retries and fallbacks included.",
     &provider_counters::attempts},
    {"failures", "Upstream tries that failed before the answer began.",
     &provider_counters::failures},
    {"retries", "Upstream tries that repeated a failed one on the same provider.",
     &provider_counters::retries},
    {"fallbacks", "Requests that came to this provider as a route's fallback.",
     &provider_counters::fallbacks},
    {"cancelled", "Upstream calls cut short because the caller left.",
     &provider_counters::cancelled},
}};

}  // namespace

std::string render_metrics(const config::settings& s, const std::vector<const gateway*>& gateways) {
  std::string out;
  for (const auto& kind : kinds) {
    std::string metric = std::string("interlingua_upstream_") + kind.name + "_total";
    out += "# HELP " + metric + " " + kind.help + "\n# TYPE " + metric + " counter\n";
    for (std::size_t p = 0; p < s.providers.size(); ++p) {
      std::uint64_t sum = 0;
      for (const gateway* g : gateways) {
        if (p < g->provider_count()) {
          sum += (g->counters(p).*kind.member).load(std::memory_order_relaxed);
        }
      }
      // Provider names are YAML keys: quotes and backslashes are escaped as the format asks.
      std::string label;
      for (char c : s.providers[p].name) {
        if (c == '"' || c == '\\') {
          label += '\\';
        }
        label += c == '\n' ? 'n' : c;
      }
      out += metric + "{provider=\"" + label + "\"} " + std::to_string(sum) + "\n";
    }
  }
  return out;
}

}  // namespace interlingua::service
