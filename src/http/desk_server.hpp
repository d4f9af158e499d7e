#pragma once
// The desk's HTTP server (Boost.Beast on Boost.Asio, one thread of its own):
//
//   GET  /                     the desk page (a shell: it holds no data)
//   GET  /alerts/stream        Server-Sent Events: `id:`, `event: alert|ack`,
//                              one `data:` line of JSON; resumes after the
//                              Last-Event-ID header
//   POST /alerts/{id}/ack      {"disposition": "actioned|false_positive|duplicate"}
//   GET  /healthz, /readyz     for probes, no token
//   GET  /admin/status         pattern-set policy, live set, last reload,
//                              pending proposal and its shadow counts
//   POST /admin/reload         build the set from its files; live at once
//                              under the single-operator policy, else proposed
//   POST /admin/propose        build it as a proposal (runs in shadow)
//   POST /admin/approve        {"hash": "..."}: approve the pending proposal
//   POST /admin/withdraw       drop the pending proposal
//
// Everything but the page and the probes needs `Authorization: Bearer
// <token>` (401 without or with a wrong one); the POST /admin routes need a
// token with the admin role (403 otherwise). Acknowledgements and admin
// actions are attributed to the token's name. Header and body sizes (431,
// 413), connections and idle time are bounded. With a certificate and key the
// desk speaks HTTPS only (TLS 1.2 or later).

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "http/admin_actions.hpp"
#include "http/alert_feed.hpp"
#include "http/bearer_tokens.hpp"
#include "metrics/pipeline_metrics.hpp"

namespace wachtpost {

struct DeskServerOptions {
  std::string address = "127.0.0.1:8080";  // host:port; port 0 picks a free one
  // Open connections at most (feeds included); one more is closed unanswered.
  std::size_t max_connections = 256;
  // A connection has this long for its TLS handshake, for each request (from
  // the end of the last one: idle time included, so a request sent a byte at a
  // time is cut off too) and for taking each response or feed write. A feed
  // stays open for as long as its desk reads it.
  std::chrono::seconds idle_timeout{30};
  std::size_t max_header_bytes = std::size_t{8} * 1024;  // request line and headers; more: 431
  std::size_t max_body_bytes = std::size_t{16} * 1024;   // more: 413
  // PEM certificate (chain) and its unencrypted PEM private key: both or
  // neither. With them the desk speaks HTTPS only.
  std::string tls_cert_file{};
  std::string tls_key_file{};
  std::chrono::milliseconds feed_poll{200};
  std::chrono::seconds heartbeat{15};
};

class DeskServer {
 public:
  // Binds at once: throws std::runtime_error naming the address when it
  // cannot, and naming the file when a certificate or key cannot be read, is
  // not PEM, or the key does not belong to the certificate.
  DeskServer(DeskServerOptions options, std::shared_ptr<AlertFeed> feed, std::shared_ptr<const BearerTokens> tokens,
             std::shared_ptr<PipelineMetrics> metrics, std::function<bool()> ready);
  ~DeskServer();
  DeskServer(const DeskServer&) = delete;
  DeskServer& operator=(const DeskServer&) = delete;

  [[nodiscard]] unsigned short port() const;
  [[nodiscard]] bool tls() const;
  // Who answers the admin routes; null (the default): they answer 503.
  // Safe from any thread; a call in progress finishes on the old one.
  void set_admin(std::shared_ptr<AdminActions> admin);

  struct State;  // shared with the connections it serves

 private:
  std::shared_ptr<State> state_;
};

// The desk page: self-contained HTML, CSS and script.
std::string_view desk_page_html();

// "host:port" -> host and port; throws std::runtime_error on anything else
// (a bare port or ":port" too: listening on every interface takes 0.0.0.0 or
// [::] written out).
std::pair<std::string, unsigned short> split_host_port(const std::string& address);

// 127.0.0.0/8, ::1 or "localhost": reachable from this machine only.
bool is_loopback_host(const std::string& host);

}  // namespace wachtpost
