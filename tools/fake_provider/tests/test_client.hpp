#pragma once

// Minimal HTTP/1.1 client for the fake provider's tests: verifies TLS against a given CA and
// reports chunk boundaries and the exact point of failure. Beast stays inside test_client.cpp.

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace interlingua::fake::testing {

struct client_options {
  std::uint16_t port = 0;
  bool tls = true;
  std::string ca_pem;                        // the only trusted CA
  std::string host = "localhost";            // SNI and the name the certificate must match
  std::chrono::milliseconds timeout{10000};  // per operation; a hung test fails instead of hanging
};

struct reply {
  bool got_header = false;
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // for chunked replies: the chunks concatenated
  std::vector<std::string> chunks;             // complete chunks, in arrival order
  boost::system::error_code error;             // first failure; empty when the reply completed
  bool timed_out = false;                      // error was our own timeout, not the server's doing
};

using header_list = std::vector<std::pair<std::string, std::string>>;

class connection {
 public:
  explicit connection(client_options opts);  // connects and, for TLS, handshakes
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  boost::system::error_code connect_error() const;
  reply request(const std::string& method, const std::string& target, const std::string& body = {},
                const header_list& headers = {});

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

// One request on a fresh connection.
reply fetch(const client_options& opts, const std::string& method, const std::string& target,
            const std::string& body = {}, const header_list& headers = {});

}  // namespace interlingua::fake::testing
