#pragma once

#include <boost/asio/awaitable.hpp>

#include <interlingua/service/gateway.hpp>

namespace interlingua::service {

struct http_request_parts {
  std::string target;  // full request target (base path + codec path)
  std::string host;
  core::upstream_request request;
};

// One upstream exchange: sends the request, decodes the answer (stream or whole body) into core
// events and feeds them to `sink`. Failures before anything reached the sink come back in
// `outcome.error`; later ones go to the sink as a stream_error.
asio::awaitable<call_outcome> relay(net::connection_pool& pool, const core::provider_codec& codec,
                                    http_request_parts parts, config::upstream_timeouts timeouts,
                                    std::size_t max_event_bytes, event_sink& sink,
                                    call_outcome outcome);

}  // namespace interlingua::service
