#include "http/desk_server.hpp"

#include <spdlog/spdlog.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <simdjson.h>
#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <type_traits>

#include "alert/json_writer.hpp"
#include "ingest/rfc3339.hpp"
#include "runtime/atomic_shared_ptr.hpp"

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

// "sha256:" and lowercase hex, as PatternSet::hash() writes it. Anything else
// is refused before it reaches a log or the audit trail.
bool looks_like_set_hash(std::string_view text) {
  constexpr std::string_view kPrefix = "sha256:";
  if (!text.starts_with(kPrefix) || text.size() == kPrefix.size() || text.size() > kPrefix.size() + 64) return false;
  text.remove_prefix(kPrefix.size());
  return std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// ---------------------------------------------------------------------------
// TLS

std::string read_pem_file(const std::string& path, std::string_view what) {
  const auto fail = [&](const std::string& why) {
    return std::runtime_error(std::string(what) + " '" + path + "': " + why);
  };
  if (path.empty()) throw std::runtime_error(std::string(what) + ": no file given");
  if (std::error_code ec; std::filesystem::is_directory(path, ec)) throw fail("is a folder, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw fail("cannot be read: " + std::error_code(errno, std::generic_category()).message());
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw fail("cannot be read");
  return content.str();
}

// OpenSSL's reason for the last failure, and its error queue emptied.
std::string openssl_reason() {
  const unsigned long code = ERR_peek_last_error();
  const char* text = code == 0 ? nullptr : ERR_reason_error_string(code);
  ERR_clear_error();
  return text == nullptr ? std::string("unknown reason") : std::string(text);
}

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

// A server context for `cert_file` and `key_file`: TLS 1.2 or later, no
// renegotiation. Throws std::runtime_error naming the file at fault.
std::unique_ptr<asio::ssl::context> make_tls_context(const std::string& cert_file, const std::string& key_file) {
  if (cert_file.empty() != key_file.empty()) {
    throw std::runtime_error("desk TLS: a certificate needs its key and a key its certificate (give both or neither)");
  }
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                       asio::ssl::context::single_dh_use);
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    throw std::runtime_error("desk TLS: cannot require TLS 1.2: " + openssl_reason());
  }
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);

  const std::string cert = read_pem_file(cert_file, "desk TLS certificate");
  if (cert.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    throw std::runtime_error("desk TLS certificate '" + cert_file +
                             "': holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  }
  beast::error_code ec;
  context->use_certificate_chain(asio::buffer(cert), ec);
  if (ec) {
    ERR_clear_error();
    throw std::runtime_error("desk TLS certificate '" + cert_file + "': not a valid PEM certificate (" + ec.message() +
                             ")");
  }
  const std::string key = read_pem_file(key_file, "desk TLS key");
  if (key.find("PRIVATE KEY-----") == std::string::npos) {
    throw std::runtime_error("desk TLS key '" + key_file + "': holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
  }
  if (key.find("ENCRYPTED") != std::string::npos) {
    throw std::runtime_error("desk TLS key '" + key_file +
                             "': is encrypted; give the key unencrypted and readable by wachtpost only");
  }
  // Parsed here with a callback that gives no passphrase: a key that needs
  // one fails at once instead of prompting on a terminal nobody watches.
  const std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(key.data(), static_cast<int>(key.size())));
  pem_password_cb* const no_passphrase = [](char*, int, int, void*) { return -1; };
  const std::unique_ptr<EVP_PKEY, KeyFree> pkey(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr) : nullptr);
  if (!pkey) {
    throw std::runtime_error("desk TLS key '" + key_file + "': not a valid PEM private key (" + openssl_reason() + ")");
  }
  if (SSL_CTX_use_PrivateKey(native, pkey.get()) != 1 || SSL_CTX_check_private_key(native) != 1) {
    throw std::runtime_error("desk TLS key '" + key_file + "': does not belong to the certificate in '" + cert_file +
                             "' (" + openssl_reason() + ")");
  }
  if (X509* leaf = SSL_CTX_get0_certificate(native); leaf != nullptr) {
    if (X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0) {
      spdlog::warn("desk TLS certificate '{}' has expired: browsers will refuse the desk", cert_file);
    } else if (X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0) {
      spdlog::warn("desk TLS certificate '{}' is not valid yet", cert_file);
    }
  }
  ERR_clear_error();
  return context;
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

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  beast::error_code ec;
  const auto ip = asio::ip::make_address(host, ec);
  return !ec && ip.is_loopback();
}

namespace {

// An open connection, plain or TLS, as the server sees it on shutdown.
class Connection {
 public:
  Connection() = default;
  virtual ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  virtual void close() = 0;
};

}  // namespace

struct DeskServer::State : std::enable_shared_from_this<DeskServer::State> {
  DeskServerOptions options;
  std::shared_ptr<AlertFeed> feed;
  std::shared_ptr<const BearerTokens> tokens;
  std::shared_ptr<PipelineMetrics> metrics;
  std::function<bool()> ready;
  AtomicSharedPtr<AdminActions> admin;
  std::unique_ptr<asio::ssl::context> tls;  // null: plain HTTP
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_pause{io};
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> feeds{0};
  std::thread thread;
  // Open connections (touched on the server's thread only), closed on shutdown
  // so their pending handlers finish and release this state.
  std::vector<std::weak_ptr<Connection>> sessions;
  bool refusing = false;  // at max_connections: said once in the log

  void accept();
  void admit(tcp::socket socket);
  void shut_down();
};

namespace {

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// How long a connection that is done (an error answered, a request without
// keep-alive) may still send before it is closed: what it sent after its
// request is read and dropped, so the close does not reset the connection
// before the client read the answer.
constexpr std::chrono::seconds kLinger{2};

template <typename Stream>
class Session : public Connection, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Session(tcp::socket socket, std::shared_ptr<DeskServer::State> state)
      : stream_(open(std::move(socket), *state)), state_(std::move(state)), timer_(stream_.get_executor()) {}
  ~Session() override {
    --state_->connections;
    if (streaming_) {
      const auto left = --state_->feeds;
      if (state_->metrics) state_->metrics->set_desk_clients(left);
    }
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    if constexpr (kTls) {
      transport().expires_after(state_->options.idle_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) return;  // not TLS (a plain HTTP request, say), an old version or too slow: closed unanswered
        self->read();
      });
    } else {
      read();
    }
  }

  void close() override {
    timer_.cancel();
    beast::error_code ignored;
    transport().socket().shutdown(tcp::socket::shutdown_both, ignored);
    transport().socket().close(ignored);
  }

 private:
  static Stream open(tcp::socket socket, DeskServer::State& state) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *state.tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& transport() { return beast::get_lowest_layer(stream_); }

  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->options.max_header_bytes));
    parser_->body_limit(state_->options.max_body_bytes);
    // One deadline for the idle time before a request and the whole request:
    // a client that sends a byte now and then is cut off all the same.
    transport().expires_after(state_->options.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::header_limit) {
      respond(http::status::request_header_fields_too_large, "text/plain", "request headers too large\n", false);
      return;
    }
    if (ec == http::error::body_limit) {
      respond(http::status::payload_too_large, "text/plain", "request body too large\n", false);
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
    if constexpr (kTls) response->set(http::field::strict_transport_security, "max-age=31536000");
    if (!extra_header.empty()) {
      response->set(beast::string_view(extra_header.data(), extra_header.size()),
                    beast::string_view(extra_value.data(), extra_value.size()));
    }
    response->keep_alive(keep_alive);
    response->body() = std::move(body);
    response->prepare_payload();
    transport().expires_after(state_->options.idle_timeout);
    http::async_write(stream_, *response,
                      [self = this->shared_from_this(), response, keep_alive](beast::error_code ec, std::size_t) {
                        if (ec) return;
                        if (keep_alive) {
                          self->read();
                        } else {
                          self->finish();
                        }
                      });
  }

  // The last answer is out: say so, drop what the client still sends for a
  // moment, then the connection closes when the session goes.
  void finish() {
    transport().expires_after(kLinger);
    if constexpr (kTls) {
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ignored;
      transport().socket().shutdown(tcp::socket::shutdown_send, ignored);
      drain();
    }
  }

  void drain() {
    buffer_.clear();
    transport().async_read_some(buffer_.prepare(4096),
                                [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                                  if (!ec) self->drain();
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
      if (!hash || !looks_like_set_hash(*hash)) {
        return reply_json(400, R"({"error":"body must be {\"hash\": \"sha256:...\"}"})", keep_alive);
      }
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
    pending_ =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: keep-alive\r\n"
        "X-Accel-Buffering: no\r\n\r\nretry: 1000\n\n";
    next_heartbeat_ = std::chrono::steady_clock::now() + state_->options.heartbeat;
    write_pending();
  }

  // Between writes a feed has no deadline (heartbeats keep it alive); a
  // desk that stops reading for the idle timeout is dropped.
  void write_pending() {
    transport().expires_after(state_->options.idle_timeout);
    asio::async_write(stream_, asio::buffer(pending_),
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return;  // the desk went away
                        self->transport().expires_never();
                        self->pending_.clear();
                        self->wait_for_events();
                      });
  }

  void wait_for_events() {
    timer_.expires_after(state_->options.feed_poll);
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
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

  Stream stream_;
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
    if (ec) {
      // Out of file descriptors, say: wait a little instead of spinning.
      self->accept_pause.expires_after(std::chrono::milliseconds(100));
      self->accept_pause.async_wait([self](beast::error_code wait_ec) {
        if (!wait_ec) self->accept();
      });
      return;
    }
    self->admit(std::move(socket));
    self->accept();
  });
}

void DeskServer::State::admit(tcp::socket socket) {
  std::erase_if(sessions, [](const std::weak_ptr<Connection>& s) { return s.expired(); });
  if (connections.load() >= options.max_connections) {
    if (!refusing) {
      spdlog::warn("desk: {} connections open, the limit; new ones are closed unanswered until some end",
                   options.max_connections);
      refusing = true;
    }
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);  // over the limit: refused at the door
    return;
  }
  refusing = false;
  ++connections;
  if (tls) {
    auto session = std::make_shared<Session<TlsStream>>(std::move(socket), shared_from_this());
    sessions.push_back(session);
    session->start();
  } else {
    auto session = std::make_shared<Session<PlainStream>>(std::move(socket), shared_from_this());
    sessions.push_back(session);
    session->start();
  }
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
  const DeskServerOptions& checked = state_->options;
  if (checked.max_connections == 0) throw std::runtime_error("desk: max_connections must be at least 1");
  if (checked.idle_timeout.count() <= 0) throw std::runtime_error("desk: the idle timeout must be at least 1 s");
  if (checked.max_header_bytes < 256 || checked.max_header_bytes > std::uint32_t{0xFFFFFFFF}) {
    throw std::runtime_error("desk: max_header_bytes must be from 256 to 4294967295");
  }
  if (checked.max_body_bytes == 0) throw std::runtime_error("desk: max_body_bytes must be at least 1");
  if (!checked.tls_cert_file.empty() || !checked.tls_key_file.empty()) {
    state_->tls = make_tls_context(checked.tls_cert_file, checked.tls_key_file);
  }
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
  accept_pause.cancel();
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

bool DeskServer::tls() const {
  return state_->tls != nullptr;
}

}  // namespace wachtpost
