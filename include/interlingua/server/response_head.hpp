#pragma once

// A response head as bytes: the status line, the fields in order, the blank line — what beast's
// serializer writes for a header, without its buffer-sequence machinery (~5k instructions per
// answer, bench/RESULTS.md). The exchange writes it in front of the body in one gathered write.

#include <string>

#include <boost/beast/http/message.hpp>

namespace interlingua::server {

std::string serialized_head(const boost::beast::http::response_header<>& head);

}  // namespace interlingua::server
