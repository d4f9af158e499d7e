#include "http/desk_server.hpp"

#include <spdlog/spdlog.h>

#include <simdjson.h>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <thread>

#include "alert/json_writer.hpp"
#include "ingest/rfc3339.hpp"

namespace wachtpost {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// One string field of a small JSON object body; nothing when the body is not
// such an object or the field is missing or not a string.
std::optional<std::string> json_string_field(const std::string& body, std::string_view key) {
  simdjson::ondemand::parser parser;
  const simdjson::padded_string padded(body);
  simdjson::ondemand::document document;
  if (parser.iterate(padded).get(document) != simdjson::SUCCESS) return std::nullopt;
  simdjson::ondemand::object object;
  if (document.get_object().get(object) != simdjson::SUCCESS) return std::nullopt;
  std::string_view value;
  if (object.find_field_unordered(key).get_string().get(value) != simdjson::SUCCESS) return std::nullopt;
  return std::string(value);
}

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::pair<std::string, unsigned short> split_host_port(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) throw std::runtime_error("'" + address + "': expected host:port");
  unsigned port = 0;
  const char* begin = address.data() + colon + 1;
  const char* end = address.data() + address.size();
  const auto [ptr, ec] = std::from_chars(begin, end, port);
  if (ec != std::errc() || ptr != end || port > 65535) {
    throw std::runtime_error("'" + address + "': the port must be a number from 0 to 65535");
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return {host, static_cast<unsigned short>(port)};
}

namespace {
class Session;
}  // namespace

struct DeskServer::State : std::enable_shared_from_this<DeskServer::State> {
  DeskServerOptions options;
  std::shared_ptr<AlertFeed> feed;
  std::shared_ptr<const BearerTokens> tokens;
  std::shared_ptr<PipelineMetrics> metrics;
  std::function<bool()> ready;
  std::atomic<std::shared_ptr<AdminActions>> admin;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> feeds{0};
  std::thread thread;
  // Open connections (touched on the server's thread only), closed on shutdown
  // so their pending handlers finish and release this state.
  std::vector<std::weak_ptr<Session>> sessions;

  void accept();
  void shut_down();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<DeskServer::State> state)
      : stream_(std::move(socket)), state_(std::move(state)), timer_(stream_.get_executor()) {}
  ~Session() {
    --state_->connections;
    if (streaming_) {
      const auto left = --state_->feeds;
      if (state_->metrics) state_->metrics->set_desk_clients(left);
    }
  }

  void start() { read(); }

  void close() {
    timer_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->options.max_header_bytes));
    parser_->body_limit(state_->options.max_body_bytes);
    stream_.expires_after(state_->options.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::header_limit || ec == http::error::body_limit) {
      respond(http::status::payload_too_large, "text/plain", "request too large\n", false);
      return;
    }
    if (ec) return;  // closed, timed out or malformed: nothing to answer
    handle(parser_->release());
  }

  void respond(http::status status, std::string_view type, std::string body, bool keep_alive,
               std::string_view extra_header = {}, std::string_view extra_value = {}) {
    auto response = std::make_shared<http::response<http::string_body>>(status, 11);
    response->set(http::field::server, "wachtpost");
    response->set(http::field::content_type, beast::string_view(type.data(), type.size()));
    response->set(http::field::cache_control, "no-store");
    response->set("X-Content-Type-Options", "nosniff");
    if (!extra_header.empty()) {
      response->set(beast::string_view(extra_header.data(), extra_header.size()),
                    beast::string_view(extra_value.data(), extra_value.size()));
    }
    response->keep_alive(keep_alive);
    response->body() = std::move(body);
    response->prepare_payload();
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response, keep_alive](beast::error_code ec, std::size_t) {
                        if (ec) return;
                        if (keep_alive) {
                          self->read();
                        } else {
                          beast::error_code ignored;
                          self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                        }
                      });
  }

  std::optional<TokenHolder> holder(const http::request<http::string_body>& request) {
    const auto header = request.find(http::field::authorization);
    if (header == request.end()) return std::nullopt;
    return state_->tokens->holder_of_header(std::string_view(header->value().data(), header->value().size()));
  }

  std::optional<std::string> who(const http::request<http::string_body>& request) {
    auto found = holder(request);
    if (!found) return std::nullopt;
    return std::move(found->name);
  }

  void reply_json(unsigned status, std::string json, bool keep_alive) {
    respond(static_cast<http::status>(status), "application/json", std::move(json) + "\n", keep_alive);
  }

  void handle_admin(const http::request<http::string_body>& request, std::string_view action, bool keep_alive) {
    const auto caller = holder(request);
    if (!caller) return unauthorized();
    const bool get = request.method() == http::verb::get;
    const bool post = request.method() == http::verb::post;
    const bool known = action == "reload" || action == "propose" || action == "approve" || action == "withdraw";
    if (action != "status" && !known) return respond(http::status::not_found, "text/plain", "not found\n", keep_alive);
    if (action == "status" ? !get : !post) {
      return respond(http::status::method_not_allowed, "text/plain", action == "status" ? "GET only\n" : "POST only\n",
                     keep_alive);
    }
    const std::shared_ptr<AdminActions> admin = state_->admin.load();
    if (!admin) return reply_json(503, R"({"error":"no pattern-set control on this server"})", keep_alive);
    if (action == "status") return reply_json(200, admin->status_json(), keep_alive);
    if (caller->role != TokenRole::kAdmin) {
      spdlog::warn("desk: {} tried /admin/{} without the admin role", caller->name, action);
      return reply_json(403, R"({"error":"an admin token is required"})", keep_alive);
    }
    AdminReply reply;
    if (action == "reload" || action == "propose") {
      reply = admin->request_build(caller->name, action == "reload");
    } else if (action == "withdraw") {
      reply = admin->withdraw(caller->name);
    } else {
      const auto hash = json_string_field(request.body(), "hash");
      if (!hash || hash->empty()) return reply_json(400, R"({"error":"body must be {\"hash\": \"...\"}"})", keep_alive);
      reply = admin->approve(caller->name, *hash);
    }
    reply_json(reply.status, std::move(reply.json), keep_alive);
  }

  void unauthorized() {
    respond(http::status::unauthorized, "application/json", "{\"error\":\"a valid bearer token is required\"}\n", false,
            "WWW-Authenticate", "Bearer realm=\"wachtpost\"");
  }

  void handle(http::request<http::string_body> request) {
    const std::string_view target(request.target().data(), request.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    const bool keep_alive = request.keep_alive();
    const bool get = request.method() == http::verb::get;
    if (get && path == "/healthz") return respond(http::status::ok, "text/plain", "ok\n", keep_alive);
    if (get && path == "/readyz") {
      const bool ready = !state_->ready || state_->ready();
      return respond(ready ? http::status::ok : http::status::service_unavailable, "text/plain",
                     ready ? "ready\n" : "not ready: no partitions assigned yet\n", keep_alive);
    }
    if (get && path == "/")
      return respond(http::status::ok, "text/html; charset=utf-8", std::string(desk_page_html()), keep_alive);
    if (get && path == "/alerts/stream") {
      const auto name = who(request);
      if (!name) return unauthorized();
      std::uint64_t last = 0;
      if (const auto header = request.find("Last-Event-ID"); header != request.end()) {
        const std::string_view value(header->value().data(), header->value().size());
        std::from_chars(value.data(), value.data() + value.size(), last);
      }
      return start_feed(last);
    }
    constexpr std::string_view kAdmin = "/admin/";
    if (path.starts_with(kAdmin)) return handle_admin(request, path.substr(kAdmin.size()), keep_alive);
    constexpr std::string_view kAlerts = "/alerts/";
    constexpr std::string_view kAck = "/ack";
    if (path.starts_with(kAlerts) && path.ends_with(kAck) && path.size() > kAlerts.size() + kAck.size()) {
      if (request.method() != http::verb::post) {
        return respond(http::status::method_not_allowed, "text/plain", "POST only\n", keep_alive);
      }
      const auto name = who(request);
      if (!name) return unauthorized();
      const std::string_view alert_id = path.substr(kAlerts.size(), path.size() - kAlerts.size() - kAck.size());
      return acknowledge(alert_id, *name, request.body(), keep_alive);
    }
    respond(http::status::not_found, "text/plain", "not found\n", keep_alive);
  }

  void acknowledge(std::string_view alert_id, const std::string& by, const std::string& body, bool keep_alive) {
    const std::string disposition = json_string_field(body, "disposition").value_or(std::string());
    if (std::find(std::begin(kDispositions), std::end(kDispositions), disposition) == std::end(kDispositions)) {
      return respond(http::status::bad_request, "application/json",
                     "{\"error\":\"disposition must be actioned, false_positive or duplicate\"}\n", keep_alive);
    }
    const auto ack = state_->feed->acknowledge(alert_id, by, disposition, format_rfc3339_ms(now_unix_ms()));
    if (!ack)
      return respond(http::status::not_found, "application/json", "{\"error\":\"no such alert held\"}\n", keep_alive);
    if (state_->metrics) state_->metrics->count_disposition(ack->rule, ack->disposition);
    spdlog::info("desk: alert {} acknowledged by {} as {}", ack->alert_id, ack->by, ack->disposition);
    std::string json;
    JsonWriter w(json);
    w.begin_object().field("alert_id", ack->alert_id).field("by", ack->by).field("at", ack->at);
    w.field("disposition", ack->disposition).end_object();
    respond(http::status::ok, "application/json", json + "\n", keep_alive);
  }

  void start_feed(std::uint64_t last) {
    streaming_ = true;
    const auto now = ++state_->feeds;
    if (state_->metrics) state_->metrics->set_desk_clients(now);
    last_id_ = last;
    stream_.expires_never();
    pending_ =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: keep-alive\r\n"
        "X-Accel-Buffering: no\r\n\r\nretry: 1000\n\n";
    next_heartbeat_ = std::chrono::steady_clock::now() + state_->options.heartbeat;
    write_pending();
  }

  void write_pending() {
    asio::async_write(stream_, asio::buffer(pending_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;  // the desk went away
      self->pending_.clear();
      self->wait_for_events();
    });
  }

  void wait_for_events() {
    timer_.expires_after(state_->options.feed_poll);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || !self->state_->acceptor.is_open()) return;
      bool missed = false;
      for (const auto& event : self->state_->feed->since(self->last_id_, &missed)) {
        self->pending_ +=
            "id: " + std::to_string(event.id) + "\nevent: " + event.type + "\ndata: " + event.data + "\n\n";
        self->last_id_ = event.id;
      }
      if (missed) self->pending_.insert(0, "event: missed\ndata: {}\n\n");
      const auto now = std::chrono::steady_clock::now();
      if (self->pending_.empty() && now >= self->next_heartbeat_) self->pending_ = ": ping\n\n";
      if (self->pending_.empty()) return self->wait_for_events();
      self->next_heartbeat_ = now + self->state_->options.heartbeat;
      self->write_pending();
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<DeskServer::State> state_;
  asio::steady_timer timer_;
  bool streaming_ = false;
  std::uint64_t last_id_ = 0;
  std::string pending_;
  std::chrono::steady_clock::time_point next_heartbeat_{};
};

}  // namespace

void DeskServer::State::accept() {
  acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (!self->acceptor.is_open()) return;
    if (!ec) {
      if (++self->connections > self->options.max_connections) {
        --self->connections;
        beast::error_code ignored;
        socket.close(ignored);  // over the limit: refused at the door
      } else {
        auto session = std::make_shared<Session>(std::move(socket), self);
        std::erase_if(self->sessions, [](const std::weak_ptr<Session>& s) { return s.expired(); });
        self->sessions.push_back(session);
        session->start();
      }
    }
    self->accept();
  });
}

DeskServer::DeskServer(DeskServerOptions options, std::shared_ptr<AlertFeed> feed,
                       std::shared_ptr<const BearerTokens> tokens, std::shared_ptr<PipelineMetrics> metrics,
                       std::function<bool()> ready)
    : state_(std::make_shared<State>()) {
  state_->options = std::move(options);
  state_->feed = std::move(feed);
  state_->tokens = std::move(tokens);
  state_->metrics = std::move(metrics);
  state_->ready = std::move(ready);
  const auto [host, port] = split_host_port(state_->options.address);
  beast::error_code ec;
  const auto ip = asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("--http-addr '" + state_->options.address + "': not an IP address");
  const tcp::endpoint endpoint(ip, port);
  state_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) state_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) state_->acceptor.bind(endpoint, ec);
  if (!ec) state_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("--http-addr " + state_->options.address + ": " + ec.message());
  state_->accept();
  state_->thread = std::thread([state = state_] { state->io.run(); });
}

void DeskServer::State::shut_down() {
  beast::error_code ignored;
  acceptor.close(ignored);
  for (const auto& weak : sessions) {
    if (auto session = weak.lock()) session->close();
  }
  sessions.clear();
}

DeskServer::~DeskServer() {
  // Closing the acceptor and every connection completes their handlers with
  // errors; none arms another, so the thread runs out of work and ends, and
  // nothing keeps the state alive.
  asio::post(state_->io, [state = state_] { state->shut_down(); });
  if (state_->thread.joinable()) state_->thread.join();
}

void DeskServer::set_admin(std::shared_ptr<AdminActions> admin) {
  state_->admin.store(std::move(admin));
}

unsigned short DeskServer::port() const {
  return state_->acceptor.local_endpoint().port();
}

}  // namespace wachtpost
