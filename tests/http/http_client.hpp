#pragma once
// A small blocking HTTP client for the desk tests (Boost.Beast), and a reader
// for a Server-Sent Events stream that gives up after a deadline; the same
// over TLS (trusting one certificate and checking it names 127.0.0.1); a
// keep-alive connection; and raw bytes for what no polite client sends.

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>

namespace wachtpost::testing {

struct HttpReply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
};

inline HttpReply http_request(unsigned short port, boost::beast::http::verb verb, const std::string& target,
                              const std::map<std::string, std::string>& headers = {}, const std::string& body = {}) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(10));
  stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> request(verb, target, 11);
  request.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  beast::error_code ec;
  http::read(stream, buffer, response, ec);
  HttpReply reply;
  if (ec) return reply;
  reply.status = static_cast<int>(response.result_int());
  reply.body = response.body();
  for (const auto& field : response) reply.headers[std::string(field.name_string())] = std::string(field.value());
  return reply;
}

// Opens the feed and reads until `until` appears in what arrived, or the
// deadline passes; returns everything read (headers included).
inline std::string read_feed(unsigned short port, const std::string& token, const std::string& until,
                             std::chrono::milliseconds deadline, const std::string& last_event_id = {}) {
  using boost::asio::ip::tcp;
  boost::asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  std::string request = "GET /alerts/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
  if (!last_event_id.empty()) request += "Last-Event-ID: " + last_event_id + "\r\n";
  request += "\r\n";
  boost::asio::write(socket, boost::asio::buffer(request));
  socket.non_blocking(true);
  std::string got;
  const auto end = std::chrono::steady_clock::now() + deadline;
  char chunk[4096];
  while (std::chrono::steady_clock::now() < end && got.find(until) == std::string::npos) {
    boost::system::error_code ec;
    const std::size_t n = socket.read_some(boost::asio::buffer(chunk), ec);
    if (ec == boost::asio::error::would_block) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    if (ec) break;
    got.append(chunk, n);
  }
  return got;
}

// A keep-alive connection: requests go one after another on it. status 0
// when the server closed it (or never answered).
class HttpConnection {
 public:
  explicit HttpConnection(unsigned short port) : stream_(io_) {
    stream_.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  }

  HttpReply request(const std::string& target) {
    namespace http = boost::beast::http;
    http::request<http::string_body> request(http::verb::get, target, 11);
    request.set(http::field::host, "127.0.0.1");
    request.keep_alive(true);
    boost::beast::error_code ec;
    http::write(stream_.socket(), request, ec);
    HttpReply reply;
    if (ec) return reply;
    http::response<http::string_body> response;
    http::read(stream_.socket(), buffer_, response, ec);
    if (ec) return reply;
    reply.status = static_cast<int>(response.result_int());
    reply.body = response.body();
    return reply;
  }

 private:
  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
};

// What came back on a connection that sent `bytes`, and whether the server
// closed it before `deadline`.
struct RawReply {
  std::string got;
  bool closed = false;
  std::chrono::milliseconds after{0};  // until it was closed
};

// Sends `bytes` (in pieces `drip` apart when a drip is given, as a client that
// sends a request a byte at a time would) and reads until the server closes
// the connection or the deadline passes.
inline RawReply raw_exchange(unsigned short port, const std::string& bytes, std::chrono::milliseconds deadline,
                             std::chrono::milliseconds drip = std::chrono::milliseconds(0), std::size_t piece = 1) {
  using boost::asio::ip::tcp;
  boost::asio::io_context io;
  tcp::socket socket(io);
  const auto start = std::chrono::steady_clock::now();
  socket.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  socket.non_blocking(true);
  RawReply reply;
  std::size_t sent = drip.count() == 0 ? bytes.size() : 0;
  if (sent > 0) {
    boost::system::error_code ec;
    socket.non_blocking(false);
    boost::asio::write(socket, boost::asio::buffer(bytes), ec);
    socket.non_blocking(true);
  }
  auto next_drip = start;
  std::array<char, 4096> chunk{};
  while (std::chrono::steady_clock::now() - start < deadline) {
    if (sent < bytes.size() && std::chrono::steady_clock::now() >= next_drip) {
      boost::system::error_code ec;
      sent += socket.write_some(boost::asio::buffer(bytes.data() + sent, std::min(piece, bytes.size() - sent)), ec);
      next_drip += drip;
    }
    boost::system::error_code ec;
    const std::size_t n = socket.read_some(boost::asio::buffer(chunk), ec);
    if (ec == boost::asio::error::would_block) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (ec) {  // end of stream or reset: closed by the server
      reply.closed = true;
      break;
    }
    reply.got.append(chunk.data(), n);
  }
  reply.after = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  return reply;
}

// TLS to 127.0.0.1:port, trusting only the certificate in `ca_file` and
// checking that it names 127.0.0.1. `max_version` (TLS1_1_VERSION, say)
// makes a client that offers nothing newer.
class TlsClient {
 public:
  TlsClient(unsigned short port, const std::string& ca_file, int max_version = 0)
      : context_(boost::asio::ssl::context::tls_client) {
    // The context is set up before the stream: an SSL object takes the
    // context's settings when it is made.
    context_.load_verify_file(ca_file);
    context_.set_verify_mode(boost::asio::ssl::verify_peer);
    if (max_version != 0) {
      SSL_CTX_set_security_level(context_.native_handle(), 0);  // let an old client offer what it has
      SSL_CTX_set_min_proto_version(context_.native_handle(), 0);
      SSL_CTX_set_max_proto_version(context_.native_handle(), max_version);
    }
    stream_.emplace(io_, context_);
    stream_->set_verify_callback(boost::asio::ssl::host_name_verification("127.0.0.1"));
    boost::beast::get_lowest_layer(*stream_).connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    boost::beast::get_lowest_layer(*stream_).expires_after(std::chrono::seconds(10));
  }

  // The handshake's error, empty when it succeeded.
  std::string handshake() {
    boost::beast::error_code ec;
    stream_->handshake(boost::asio::ssl::stream_base::client, ec);
    return ec ? ec.message() : std::string();
  }

  HttpReply request(boost::beast::http::verb verb, const std::string& target,
                    const std::map<std::string, std::string>& headers = {}, const std::string& body = {}) {
    namespace http = boost::beast::http;
    http::request<http::string_body> request(verb, target, 11);
    request.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    request.prepare_payload();
    boost::beast::error_code ec;
    http::write(*stream_, request, ec);
    HttpReply reply;
    if (ec) return reply;
    http::response<http::string_body> response;
    http::read(*stream_, buffer_, response, ec);
    if (ec) return reply;
    reply.status = static_cast<int>(response.result_int());
    reply.body = response.body();
    for (const auto& field : response) reply.headers[std::string(field.name_string())] = std::string(field.value());
    return reply;
  }

  // Opens the feed and reads until `until` arrives or the deadline passes.
  std::string read_feed(const std::string& token, const std::string& until, std::chrono::milliseconds deadline) {
    const std::string request =
        "GET /alerts/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token + "\r\n\r\n";
    boost::beast::error_code ec;
    boost::asio::write(*stream_, boost::asio::buffer(request), ec);
    std::string got;
    if (ec) return got;
    std::array<char, 4096> chunk{};
    boost::beast::get_lowest_layer(*stream_).expires_after(deadline);
    std::function<void(boost::beast::error_code, std::size_t)> on_read = [&](boost::beast::error_code read_ec,
                                                                             std::size_t n) {
      if (read_ec) return;
      got.append(chunk.data(), n);
      if (got.find(until) == std::string::npos) stream_->async_read_some(boost::asio::buffer(chunk), on_read);
    };
    stream_->async_read_some(boost::asio::buffer(chunk), on_read);
    io_.restart();
    io_.run();
    return got;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ssl::context context_;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> stream_;
  boost::beast::flat_buffer buffer_;
};

// One request over a fresh TLS connection.
inline HttpReply https_request(unsigned short port, const std::string& ca_file, boost::beast::http::verb verb,
                               const std::string& target, const std::map<std::string, std::string>& headers = {},
                               const std::string& body = {}) {
  TlsClient client(port, ca_file);
  if (const std::string failed = client.handshake(); !failed.empty()) return {};
  return client.request(verb, target, headers, body);
}

}  // namespace wachtpost::testing
