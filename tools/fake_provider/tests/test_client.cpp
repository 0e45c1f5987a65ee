#include "test_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <type_traits>

namespace interlingua::fake::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

struct connection::impl {
  virtual ~impl() = default;
  virtual reply request(std::string method, std::string target, std::string body,
                        header_list headers) = 0;
  error_code connect_error;
};

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

void fill_header(reply& out, const http::response_parser<http::string_body>& parser) {
  out.got_header = true;
  out.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get()) {
    out.headers[lower(field.name_string())] = std::string(field.value());
  }
}

template <class Stream>
class client final : public connection::impl {
 public:
  explicit client(client_options opts)
      : opts_(std::move(opts)), ssl_(asio::ssl::context::tls_client), stream_(make()) {
    connect_error = run(connect());
  }

  reply request(std::string method, std::string target, std::string body,
                header_list headers) override {
    return run(exchange(std::move(method), std::move(target), std::move(body), std::move(headers)));
  }

 private:
  Stream make() {
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      ssl_.add_certificate_authority(asio::buffer(opts_.ca_pem));
      ssl_.set_verify_mode(asio::ssl::verify_peer);
      return Stream(ioc_, ssl_);
    } else {
      return Stream(ioc_);
    }
  }

  // Drives one operation to completion on this thread; every step has its own expiry.
  template <class T>
  T run(asio::awaitable<T> op) {
    std::optional<T> result;
    std::exception_ptr failure;
    asio::co_spawn(ioc_, std::move(op), [&](std::exception_ptr e, T r) {
      failure = e;
      result = std::move(r);
    });
    ioc_.restart();
    ioc_.run();
    if (failure) {
      std::rethrow_exception(failure);
    }
    return std::move(*result);
  }

  asio::awaitable<error_code> connect() {
    auto& tcp = beast::get_lowest_layer(stream_);
    tcp.expires_after(opts_.timeout);
    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), opts_.port);
    auto [ec] = co_await tcp.async_connect(endpoint, use_tuple);
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      if (!ec) {
        SSL_set_tlsext_host_name(stream_.native_handle(), opts_.host.c_str());
        stream_.set_verify_callback(asio::ssl::host_name_verification(opts_.host));
        auto [handshake_ec] =
            co_await stream_.async_handshake(asio::ssl::stream_base::client, use_tuple);
        ec = handshake_ec;
      }
    }
    co_return ec;
  }

  asio::awaitable<reply> exchange(std::string method, std::string target, std::string body,
                                  header_list headers) {
    reply out;
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, opts_.host);
    for (const auto& [name, value] : headers) {
      req.set(name, value);
    }
    req.body() = std::move(body);
    req.prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(opts_.timeout);
    auto [ec, n] = co_await http::async_write(stream_, req, use_tuple);
    if (ec) {
      out.error = ec;
      co_return out;
    }
    reply result = co_await read_reply(std::move(out));
    co_return result;
  }

  asio::awaitable<reply> read_reply(reply out) {
    std::string current;
    auto on_chunk_header = [&current](std::uint64_t, beast::string_view, error_code&) {
      current.clear();
    };
    auto on_chunk_body = [&](std::uint64_t remain, beast::string_view data, error_code&) {
      current.append(data.data(), data.size());
      if (remain == data.size()) {
        out.chunks.push_back(current);
      }
      return data.size();
    };
    http::response_parser<http::string_body> parser;
    parser.body_limit(64ull * 1024 * 1024);
    parser.on_chunk_header(on_chunk_header);
    parser.on_chunk_body(on_chunk_body);
    beast::get_lowest_layer(stream_).expires_after(opts_.timeout);
    auto [ec, n] = co_await http::async_read_header(stream_, buffer_, parser, use_tuple);
    if (!ec) {
      fill_header(out, parser);
      beast::get_lowest_layer(stream_).expires_after(opts_.timeout);
      auto [read_ec, read_n] = co_await http::async_read(stream_, buffer_, parser, use_tuple);
      ec = read_ec;
    }
    out.error = ec;
    out.timed_out = ec == beast::error::timeout;
    for (const auto& chunk : out.chunks) {
      out.body += chunk;
    }
    if (!parser.chunked()) {
      out.body = parser.get().body();
    }
    co_return out;
  }

  client_options opts_;
  asio::io_context ioc_;
  asio::ssl::context ssl_;
  Stream stream_;
  beast::flat_buffer buffer_;
};

}  // namespace

connection::connection(client_options opts) {
  if (opts.tls) {
    impl_ = std::make_unique<client<tls_stream>>(std::move(opts));
  } else {
    impl_ = std::make_unique<client<plain_stream>>(std::move(opts));
  }
}

connection::~connection() = default;

error_code connection::connect_error() const {
  return impl_->connect_error;
}

reply connection::request(const std::string& method, const std::string& target,
                          const std::string& body, const header_list& headers) {
  return impl_->request(method, target, body, headers);
}

reply fetch(const client_options& opts, const std::string& method, const std::string& target,
            const std::string& body, const header_list& headers) {
  connection c(opts);
  if (c.connect_error()) {
    reply out;
    out.error = c.connect_error();
    return out;
  }
  return c.request(method, target, body, headers);
}

}  // namespace interlingua::fake::testing
