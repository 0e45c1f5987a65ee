#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <interlingua/service/gateway.hpp>

namespace interlingua::service {

// The upstream request for the codec's encoding. Not a coroutine: the encoding's parts are
// gone before the exchange starts, and no frame that lives for the whole call holds them.
boost::beast::http::request<boost::beast::http::string_body> build_request(
    std::string target, const std::string& host, core::upstream_request encoded);

// One upstream exchange: sends the request, decodes the answer (stream or whole body) into core
// events and feeds them to `sink`. Failures before anything reached the sink come back in
// `out.error`; later ones go to the sink as a stream_error. `out` is the caller's: an open
// stream's frames hold one outcome, not a copy at each level (bench/RESULTS.md, memory per
// stream).
asio::awaitable<void> relay(net::connection_pool& pool, const core::provider_codec& codec,
                            boost::beast::http::request<boost::beast::http::string_body> request,
                            bool stream, net::deadlines limits, std::size_t max_event_bytes,
                            event_sink& sink, call_outcome& out);

}  // namespace interlingua::service
