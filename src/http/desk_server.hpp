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
// actions are attributed to the token's name. Header and body sizes,
// connections and idle time are bounded.

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
  std::size_t max_connections = 256;
  std::chrono::seconds idle_timeout{30};  // for requests; a feed stays open
  std::size_t max_header_bytes = std::size_t{8} * 1024;
  std::size_t max_body_bytes = std::size_t{16} * 1024;
  std::chrono::milliseconds feed_poll{200};
  std::chrono::seconds heartbeat{15};
};

class DeskServer {
 public:
  // Binds at once: throws std::runtime_error naming the address when it cannot.
  DeskServer(DeskServerOptions options, std::shared_ptr<AlertFeed> feed, std::shared_ptr<const BearerTokens> tokens,
             std::shared_ptr<PipelineMetrics> metrics, std::function<bool()> ready);
  ~DeskServer();
  DeskServer(const DeskServer&) = delete;
  DeskServer& operator=(const DeskServer&) = delete;

  [[nodiscard]] unsigned short port() const;
  // Who answers the admin routes; null (the default): they answer 503.
  // Safe from any thread; a call in progress finishes on the old one.
  void set_admin(std::shared_ptr<AdminActions> admin);

  struct State;  // shared with the connections it serves

 private:
  std::shared_ptr<State> state_;
};

// The desk page: self-contained HTML, CSS and script.
std::string_view desk_page_html();

// "host:port" -> host and port; throws std::runtime_error on anything else.
std::pair<std::string, unsigned short> split_host_port(const std::string& address);

}  // namespace wachtpost
