#pragma once

// An HTTP/1 head as bytes: the start line, the fields in order, the blank line — what beast's
// serializer writes for a header, without its buffer-sequence machinery (~5k instructions a
// message, bench/RESULTS.md). Both sides use it: the front end for its answers, the upstream
// client for its requests; each writes the head and the body in one gathered write.

#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>

namespace interlingua::net {

template <bool isRequest>
std::string serialized_head(const boost::beast::http::header<isRequest>& head) {
  std::string out;
  out.reserve(192);
  const unsigned version = head.version();
  const std::string_view http_version{"HTTP/"};
  auto put = [&out](boost::beast::string_view s) { out.append(s.data(), s.size()); };
  if constexpr (isRequest) {
    put(head.method_string());
    out += ' ';
    put(head.target());
    out += ' ';
  }
  out += http_version;
  out += static_cast<char>('0' + version / 10);
  out += '.';
  out += static_cast<char>('0' + version % 10);
  if constexpr (!isRequest) {
    out += ' ';
    const unsigned status = head.result_int();  // three digits, as beast writes it
    out += static_cast<char>('0' + status / 100);
    out += static_cast<char>('0' + status / 10 % 10);
    out += static_cast<char>('0' + status % 10);
    out += ' ';
    put(head.reason());
  }
  out += "\r\n";
  for (const auto& field : head) {
    put(field.name_string());
    out += ": ";
    put(field.value());
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

}  // namespace interlingua::net
