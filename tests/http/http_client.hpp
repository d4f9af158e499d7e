#pragma once
// A small blocking HTTP client for the desk tests (Boost.Beast), and a reader
// for a Server-Sent Events stream that gives up after a deadline.

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <map>
#include <string>

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

}  // namespace wachtpost::testing
