// The desk's hardening, over real TCP: header and body limits (431, 413),
// the connection limit, idle and slow clients cut off while a feed stays
// open; HTTPS with a certificate and key, and every way they can be wrong;
// tokens in no log; loopback unless an address says otherwise; the `desk`
// settings of the run config and the --desk-* flags.

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "cli/command_runner.hpp"
#include "cli/pattern_source.hpp"
#include "cli/run_command.hpp"
#include "cli/serving.hpp"
#include "http/alert_feed.hpp"
#include "http/bearer_tokens.hpp"
#include "http/desk_server.hpp"
#include "http/http_client.hpp"
#include "http/tls_test_support.hpp"
#include "metrics/pipeline_metrics.hpp"
#include "runtime/kafka_test_support.hpp"
#include "runtime/run_config.hpp"

using namespace wachtpost;
using namespace wachtpost::testing;
namespace http = boost::beast::http;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

const char* const kOfficer = "officer-token-0123456789";

std::shared_ptr<const BearerTokens> test_tokens() {
  return std::make_shared<BearerTokens>(BearerTokens::parse(std::string("officer-a:") + kOfficer + "\n", "tokens"));
}

std::map<std::string, std::string> officer() {
  return {{"Authorization", std::string("Bearer ") + kOfficer}};
}

// A desk on a free loopback port with `options` (the address is set here).
struct Desk {
  explicit Desk(DeskServerOptions options) {
    options.address = "127.0.0.1:0";
    options.feed_poll = milliseconds(20);
    server = std::make_unique<DeskServer>(options, feed, test_tokens(), std::make_shared<PipelineMetrics>(),
                                          [] { return true; });
  }
  [[nodiscard]] unsigned short port() const { return server->port(); }

  std::shared_ptr<AlertFeed> feed = std::make_shared<AlertFeed>();
  std::unique_ptr<DeskServer> server;
};

bool answered_http(const std::string& got) {
  return got.find("HTTP/") != std::string::npos;
}

// The message of the std::runtime_error that starting a desk with these files throws.
std::string tls_start_error(const std::string& cert, const std::string& key) {
  try {
    Desk desk(DeskServerOptions{.tls_cert_file = cert, .tls_key_file = key});
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "started with " << cert << " and " << key;
  return {};
}

// Everything logged while it lives goes to `text()` as well.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  [[nodiscard]] std::string text() const { return stream_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream stream_;
};

// Waits for `re` in the process's stderr; its first group, or "" after 15 s.
std::string wait_for_log(const Process& process, const std::regex& re) {
  std::smatch match;
  for (int i = 0; i < 300; ++i) {
    const std::string err = process.err();
    if (std::regex_search(err, match, re)) return match[1];
    std::this_thread::sleep_for(milliseconds(50));
  }
  return {};
}

}  // namespace

// ---------------------------------------------------------------------------
// Limits

TEST(DeskLimits, HeadersOverTheLimitAre431AndBodiesOverTheLimit413) {
  Desk desk(DeskServerOptions{.max_header_bytes = 2048, .max_body_bytes = 1024});
  desk.feed->publish_alert("a1", "nl.kill", "{}");
  EXPECT_EQ(http_request(desk.port(), http::verb::get, "/healthz", {{"X-Padding", std::string(1000, 'x')}}).status,
            200);
  EXPECT_EQ(http_request(desk.port(), http::verb::get, "/healthz", {{"X-Padding", std::string(3000, 'x')}}).status,
            431);
  EXPECT_EQ(http_request(desk.port(), http::verb::get, "/" + std::string(3000, 'p')).status, 431) << "a long target";

  auto headers = officer();
  EXPECT_EQ(http_request(desk.port(), http::verb::post, "/alerts/a1/ack", headers,
                         R"({"disposition":"actioned"})" + std::string(900, ' '))
                .status,
            200);
  EXPECT_EQ(http_request(desk.port(), http::verb::post, "/alerts/a1/ack", headers, std::string(2000, 'x')).status, 413);
  // A megabyte: what follows the refused header is read and dropped, so the
  // client still gets the answer rather than a reset.
  EXPECT_EQ(http_request(desk.port(), http::verb::post, "/alerts/a1/ack", headers, std::string(1 << 20, 'x')).status,
            413);
  // Chunked, with no length announced: refused once it passes the limit.
  const std::string chunked = std::string("POST /alerts/a1/ack HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") +
                              kOfficer + "\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + std::string(1024, 'x') +
                              "\r\n400\r\n" + std::string(1024, 'x') + "\r\n0\r\n\r\n";
  const RawReply raw = raw_exchange(desk.port(), chunked, seconds(5));
  EXPECT_TRUE(raw.got.starts_with("HTTP/1.1 413 ")) << raw.got;
  EXPECT_TRUE(raw.closed);
}

TEST(DeskLimits, OneConnectionOverTheLimitIsClosedUnansweredWhileTheOthersStayServed) {
  Desk desk(DeskServerOptions{.max_connections = 3});
  std::vector<std::unique_ptr<HttpConnection>> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(std::make_unique<HttpConnection>(desk.port()));
    ASSERT_EQ(open.back()->request("/healthz").status, 200) << "connection " << i;
  }
  const RawReply fourth = raw_exchange(desk.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", seconds(5));
  EXPECT_TRUE(fourth.closed);
  EXPECT_FALSE(answered_http(fourth.got)) << fourth.got;
  EXPECT_LT(fourth.after, seconds(2));
  for (auto& connection : open) EXPECT_EQ(connection->request("/readyz").status, 200);

  open.pop_back();  // one goes: a new one is let in
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    std::this_thread::sleep_for(milliseconds(20));
    status = HttpConnection(desk.port()).request("/healthz").status;
  }
  EXPECT_EQ(status, 200);
}

TEST(DeskLimits, SilentSlowAndIdleConnectionsAreClosedAfterTheIdleTimeout) {
  Desk desk(DeskServerOptions{.idle_timeout = seconds(1)});
  // Connects and says nothing.
  const RawReply silent = raw_exchange(desk.port(), "", seconds(5));
  EXPECT_TRUE(silent.closed);
  EXPECT_GE(silent.after, milliseconds(900));
  EXPECT_LT(silent.after, milliseconds(2500));
  EXPECT_EQ(silent.got, "");

  // Sends a request a few bytes every 100 ms (it would take 6 s): cut off
  // after the idle timeout although bytes keep coming.
  std::string slow = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 20; ++i) slow += "X-Slow-" + std::to_string(i) + ": y\r\n";
  slow += "\r\n";
  const RawReply slowloris = raw_exchange(desk.port(), slow, seconds(8), milliseconds(100), 5);
  EXPECT_TRUE(slowloris.closed);
  EXPECT_LT(slowloris.after, milliseconds(2500));
  EXPECT_FALSE(answered_http(slowloris.got)) << slowloris.got;

  // Keep-alive: served, then closed once idle.
  HttpConnection idle(desk.port());
  EXPECT_EQ(idle.request("/healthz").status, 200);
  EXPECT_EQ(idle.request("/healthz").status, 200);
  std::this_thread::sleep_for(milliseconds(1600));
  EXPECT_EQ(idle.request("/healthz").status, 0) << "still open after the idle timeout";
}

TEST(DeskLimits, TheFeedStaysOpenPastTheIdleTimeout) {
  Desk desk(DeskServerOptions{.idle_timeout = seconds(1), .heartbeat = seconds(1)});
  std::thread publisher([&] {
    std::this_thread::sleep_for(milliseconds(3000));
    desk.feed->publish_alert("late", "nl.kill", R"({"alert_id":"late"})");
  });
  const std::string got = read_feed(desk.port(), kOfficer, R"({"alert_id":"late"})", seconds(8));
  publisher.join();
  EXPECT_NE(got.find(R"(data: {"alert_id":"late"})"), std::string::npos) << got;
  EXPECT_NE(got.find(": ping"), std::string::npos) << got;
}

TEST(DeskLimits, NonsenseOptionsAreRefusedAtStart) {
  for (const auto& options : {DeskServerOptions{.max_connections = 0}, DeskServerOptions{.idle_timeout = seconds(0)},
                              DeskServerOptions{.max_header_bytes = 10}, DeskServerOptions{.max_body_bytes = 0}}) {
    EXPECT_THROW(Desk{options}, std::runtime_error);
  }
}

// ---------------------------------------------------------------------------
// TLS

TEST(DeskTls, ServesThePageProbesAndFeedOverHttpsOnly) {
  TempDir dir;
  const TestCertificate cert = make_test_certificate(dir.file(""));
  Desk desk(DeskServerOptions{.tls_cert_file = cert.cert_file, .tls_key_file = cert.key_file});
  EXPECT_TRUE(desk.server->tls());

  const auto page = https_request(desk.port(), cert.cert_file, http::verb::get, "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<title>wachtpost desk</title>"), std::string::npos);
  EXPECT_TRUE(page.headers.contains("Strict-Transport-Security"));
  EXPECT_EQ(https_request(desk.port(), cert.cert_file, http::verb::get, "/healthz").status, 200);
  EXPECT_EQ(https_request(desk.port(), cert.cert_file, http::verb::get, "/alerts/stream").status, 401);

  std::thread publisher([&] {
    std::this_thread::sleep_for(milliseconds(200));
    desk.feed->publish_alert("t1", "nl.kill", R"({"alert_id":"t1"})");
  });
  TlsClient feed(desk.port(), cert.cert_file);
  ASSERT_EQ(feed.handshake(), "");
  const std::string got = feed.read_feed(kOfficer, R"({"alert_id":"t1"})", seconds(5));
  publisher.join();
  EXPECT_NE(got.find("Content-Type: text/event-stream"), std::string::npos) << got;
  EXPECT_NE(got.find(R"(event: alert)"
                     "\n"
                     R"(data: {"alert_id":"t1"})"),
            std::string::npos)
      << got;

  // Plain HTTP on the TLS port gets no HTTP answer.
  const RawReply plain = raw_exchange(desk.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", seconds(5));
  EXPECT_TRUE(plain.closed);
  EXPECT_FALSE(answered_http(plain.got)) << plain.got;
  EXPECT_EQ(http_request(desk.port(), http::verb::get, "/healthz").status, 0);

  // A client that offers TLS 1.1 at most is refused.
  TlsClient old(desk.port(), cert.cert_file, TLS1_1_VERSION);
  const std::string too_old = old.handshake();
  EXPECT_NE(too_old.find("protocol version"), std::string::npos) << too_old;
  // A client that does not trust this certificate fails its handshake.
  const TestCertificate other = make_test_certificate(dir.file(""), "other-");
  TlsClient stranger(desk.port(), other.cert_file);
  const std::string untrusted = stranger.handshake();
  EXPECT_NE(untrusted.find("certificate verify failed"), std::string::npos) << untrusted;
  // The TLS handshake counts against the idle timeout like a request does.
  Desk quick(
      DeskServerOptions{.idle_timeout = seconds(1), .tls_cert_file = cert.cert_file, .tls_key_file = cert.key_file});
  const RawReply silent = raw_exchange(quick.port(), "", seconds(5));
  EXPECT_TRUE(silent.closed);
  EXPECT_LT(silent.after, milliseconds(2500));
}

TEST(DeskTls, AWrongCertificateOrKeyFailsAtStartNamingTheFile) {
  TempDir dir;
  const TestCertificate cert = make_test_certificate(dir.file(""));
  const TestCertificate other = make_test_certificate(dir.file(""), "other-");

  std::string error = tls_start_error(cert.cert_file, other.key_file);
  EXPECT_NE(error.find("desk TLS key '" + other.key_file + "': does not belong to the certificate in '" +
                       cert.cert_file + "'"),
            std::string::npos)
      << error;
  error = tls_start_error(dir.file("missing.pem"), cert.key_file);
  EXPECT_NE(error.find("desk TLS certificate '" + dir.file("missing.pem") + "': cannot be read: No such file"),
            std::string::npos)
      << error;
  error = tls_start_error(cert.cert_file, dir.file("missing.pem"));
  EXPECT_NE(error.find("desk TLS key '" + dir.file("missing.pem") + "': cannot be read"), std::string::npos) << error;
  error = tls_start_error(cert.key_file, cert.key_file);
  EXPECT_NE(error.find("desk TLS certificate '" + cert.key_file + "': holds no PEM certificate"), std::string::npos)
      << error;
  error = tls_start_error(cert.cert_file, cert.cert_file);
  EXPECT_NE(error.find("desk TLS key '" + cert.cert_file + "': holds no PEM private key"), std::string::npos) << error;
  std::ofstream(dir.file("broken.pem"))
      << "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n";
  error = tls_start_error(dir.file("broken.pem"), cert.key_file);
  EXPECT_NE(error.find("desk TLS certificate '" + dir.file("broken.pem") + "': not a valid PEM certificate"),
            std::string::npos)
      << error;
  const TestKey key = new_test_key();
  write_test_certificate(key, dir.file("enc-cert.pem"));
  write_test_key(key, dir.file("enc-key.pem"), "a passphrase");
  error = tls_start_error(dir.file("enc-cert.pem"), dir.file("enc-key.pem"));
  EXPECT_NE(error.find("desk TLS key '" + dir.file("enc-key.pem") + "': is encrypted"), std::string::npos) << error;
  error = tls_start_error(cert.cert_file, "");
  EXPECT_NE(error.find("give both or neither"), std::string::npos) << error;
  error = tls_start_error(dir.file(""), cert.key_file);
  EXPECT_NE(error.find("is a folder"), std::string::npos) << error;
}

// The flags through the binary: `demo` serves HTTPS on an address given
// explicitly as every interface, without the clear-text warning; `run` stops
// at start, exit code 2, naming the file, for a key of another certificate
// or a certificate without its key.
TEST(DeskTlsAgainstTheBinary, DemoServesHttpsAndRunRefusesAMismatchedKey) {
  TempDir dir;
  const TestCertificate cert = make_test_certificate(dir.file(""));
  const TestCertificate other = make_test_certificate(dir.file(""), "other-");
  std::ofstream(dir.file("tokens")) << "officer-a:" << kOfficer << "\n";
  Process demo({WACHTPOST_BINARY, "demo", "--rate", "200", "--http-addr", "0.0.0.0:0", "--metrics-addr", "", "--tokens",
                dir.file("tokens"), "--desk-tls-cert", cert.cert_file, "--desk-tls-key", cert.key_file},
               dir.file("out"), dir.file("err"));
  const std::string port_text = wait_for_log(demo, std::regex("desk at https://0\\.0\\.0\\.0:([0-9]+)/"));
  ASSERT_FALSE(port_text.empty()) << demo.err();
  const auto port = static_cast<unsigned short>(std::stoi(port_text));
  EXPECT_EQ(https_request(port, cert.cert_file, http::verb::get, "/healthz").status, 200);
  TlsClient feed(port, cert.cert_file);
  ASSERT_EQ(feed.handshake(), "");
  const std::string got = feed.read_feed(kOfficer, "event: alert", seconds(20));
  EXPECT_NE(got.find("event: alert"), std::string::npos) << got;
  demo.signal(SIGTERM);
  EXPECT_EQ(demo.wait(seconds(20)), 0);
  EXPECT_EQ(demo.err().find("without TLS"), std::string::npos) << demo.err();
  EXPECT_EQ(demo.err().find(kOfficer), std::string::npos);

  const std::string fixture = source_path("tests/data/replay/baseline");
  const auto mismatched = run_wachtpost("run --brokers 127.0.0.1:1 --patterns " + fixture +
                                        " --http-addr 127.0.0.1:0 --metrics-addr '' --desk-tls-cert " + cert.cert_file +
                                        " --desk-tls-key " + other.key_file);
  EXPECT_EQ(mismatched.exit_code, 2);
  EXPECT_NE(mismatched.err.find("desk TLS key '" + other.key_file + "': does not belong to the certificate"),
            std::string::npos)
      << mismatched.err;
  const auto alone =
      run_wachtpost("run --brokers 127.0.0.1:1 --patterns " + fixture + " --desk-tls-cert " + cert.cert_file);
  EXPECT_EQ(alone.exit_code, 2);
  EXPECT_NE(alone.err.find("desk.tls_cert is set but desk.tls_key is not"), std::string::npos) << alone.err;
}

// ---------------------------------------------------------------------------
// Tokens never in logs

// The issue's acceptance: a valid token, a wrong one, an officer trying an
// admin route, a proposal and its approval by two admins. Names appear in the
// log and the audit trail; no token, right or wrong, appears anywhere.
TEST(DeskTokensAgainstTheDemo, NoTokenReachesStdoutStderrOrTheAuditLog) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("rules"));
  std::filesystem::copy_file(source_path("tests/data/replay/baseline/rules.yaml"), dir.file("rules/rules.yaml"));
  const std::string admin_c = "admin-token-c-0123456789";
  const std::string admin_d = "admin-token-d-0123456789";
  const std::string wrong = "wrong-token-9999999999";
  std::ofstream(dir.file("tokens")) << "officer-a:" << kOfficer << "\nadmin-c:admin:" << admin_c
                                    << "\nadmin-d:admin:" << admin_d << "\n";
  Process demo({WACHTPOST_BINARY, "demo", "--rate", "200", "--patterns", dir.file("rules"), "--reload-policy",
                "four-eyes", "--audit-log", dir.file("audit.jsonl"), "--http-addr", "127.0.0.1:0", "--metrics-addr", "",
                "--tokens", dir.file("tokens")},
               dir.file("out"), dir.file("err"));
  const std::string port_text = wait_for_log(demo, std::regex("desk at http://127\\.0\\.0\\.1:([0-9]+)/"));
  ASSERT_FALSE(port_text.empty()) << demo.err();
  const auto port = static_cast<unsigned short>(std::stoi(port_text));
  const auto bearer = [](const std::string& token) {
    return std::map<std::string, std::string>{{"Authorization", "Bearer " + token}};
  };

  const std::string feed = read_feed(port, kOfficer, "event: alert", seconds(20));
  std::smatch alert_id;
  ASSERT_TRUE(std::regex_search(feed, alert_id, std::regex("\"alert_id\":\"([0-9a-f]+)\""))) << feed;
  const std::string ack = "/alerts/" + std::string(alert_id[1]) + "/ack";
  EXPECT_EQ(http_request(port, http::verb::post, ack, bearer(kOfficer), R"({"disposition":"actioned"})").status, 200);
  EXPECT_EQ(http_request(port, http::verb::get, "/alerts/stream", bearer(wrong)).status, 401);
  EXPECT_EQ(http_request(port, http::verb::post, ack, bearer(wrong), R"({"disposition":"duplicate"})").status, 401);
  EXPECT_EQ(http_request(port, http::verb::get, "/admin/status", bearer(wrong)).status, 401);
  EXPECT_EQ(http_request(port, http::verb::post, "/admin/reload", bearer(kOfficer)).status, 403);
  // A token pasted where a hash belongs is refused before it is logged.
  EXPECT_EQ(
      http_request(port, http::verb::post, "/admin/approve", bearer(admin_c), "{\"hash\":\"" + admin_d + "\"}").status,
      400);

  std::ofstream(dir.file("rules/more.yaml"))
      << "lang: nl\nrules:\n  - id: fx.more\n    rev: 1\n    description: more\n    author: t\n"
         "    category: violence\n    severity: low\n    threat: ['neerknallen']\n    examples:\n"
         "      positive: ['die rechter neerknallen']\n      negative: ['die fazant neerknallen']\n";
  EXPECT_EQ(http_request(port, http::verb::post, "/admin/propose", bearer(admin_c)).status, 202);
  std::smatch pending;
  std::string status;
  for (int i = 0; i < 300; ++i) {
    status = http_request(port, http::verb::get, "/admin/status", bearer(admin_d)).body;
    if (std::regex_search(status, pending, std::regex("\"pending\":\\{\"hash\":\"(sha256:[0-9a-f]+)\""))) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_FALSE(pending.empty()) << status;
  EXPECT_EQ(http_request(port, http::verb::post, "/admin/approve", bearer(admin_d),
                         "{\"hash\":\"" + std::string(pending[1]) + "\"}")
                .status,
            200);

  demo.signal(SIGTERM);
  EXPECT_EQ(demo.wait(seconds(20)), 0);
  const std::string out = demo.out();
  const std::string err = demo.err();
  const std::string audit = read_file(dir.file("audit.jsonl"));
  for (const std::string& token : {std::string(kOfficer), admin_c, admin_d, wrong}) {
    EXPECT_EQ(out.find(token), std::string::npos) << token << " on stdout";
    EXPECT_EQ(err.find(token), std::string::npos) << token << " on stderr:\n" << err;
    EXPECT_EQ(audit.find(token), std::string::npos) << token << " in the audit log:\n" << audit;
  }
  EXPECT_NE(err.find("acknowledged by officer-a"), std::string::npos) << err;
  EXPECT_NE(err.find("officer-a tried /admin/reload"), std::string::npos) << err;
  EXPECT_NE(audit.find("\"admin-c\""), std::string::npos) << audit;
  EXPECT_NE(audit.find("\"admin-d\""), std::string::npos) << audit;
}

// ---------------------------------------------------------------------------
// Loopback unless told otherwise

TEST(DeskAddresses, DefaultToLoopbackAndTakeEveryInterfaceOnlyWhenWrittenOut) {
  const ServeOptions defaults;
  EXPECT_EQ(defaults.http_addr, "127.0.0.1:8080");
  EXPECT_EQ(defaults.metrics_addr, "127.0.0.1:9464");
  EXPECT_TRUE(is_loopback_host(split_host_port(defaults.http_addr).first));
  EXPECT_TRUE(is_loopback_host(split_host_port(defaults.metrics_addr).first));
  EXPECT_TRUE(is_loopback_host(split_host_port(DeskServerOptions{}.address).first));
  EXPECT_TRUE(DeskConfig{}.tls_cert.empty());
  // What the command line really starts with (the admin routes are the desk's).
  for (const char* command : {"run", "demo"}) {
    const auto help = run_wachtpost(std::string(command) + " --help");
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("--http-addr TEXT=127.0.0.1:8080"), std::string::npos) << help.out;
    EXPECT_NE(help.out.find("--metrics-addr TEXT=127.0.0.1:9464"), std::string::npos) << help.out;
  }
  for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "localhost"}) EXPECT_TRUE(is_loopback_host(host)) << host;
  for (const char* host : {"0.0.0.0", "::", "10.0.0.1", "", "example.org"})
    EXPECT_FALSE(is_loopback_host(host)) << host;
  // No implicit wildcard: a bare port or an empty host is refused.
  EXPECT_THROW(split_host_port("8080"), std::runtime_error);
  EXPECT_THROW(split_host_port(":8080"), std::runtime_error);
  EXPECT_EQ(split_host_port("[::]:8080").first, "::");
  EXPECT_EQ(split_host_port("0.0.0.0:8080").first, "0.0.0.0");
}

TEST(DeskAddresses, EveryInterfaceWithoutTlsIsServedWithAWarning) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("rules"));
  std::filesystem::copy_file(source_path("tests/data/replay/baseline/rules.yaml"), dir.file("rules/rules.yaml"));
  const auto set = load_pattern_set({dir.file("rules"), "", {}});
  const std::regex desk_re("desk at (https?)://0\\.0\\.0\\.0:([0-9]+)/");
  {
    const LogCapture log;
    const Serving serving(ServeOptions{.http_addr = "0.0.0.0:0", .metrics_addr = "0.0.0.0:0"}, DeskConfig{}, *set);
    const std::string text = log.text();
    std::smatch desk;
    ASSERT_TRUE(std::regex_search(text, desk, desk_re)) << text;
    EXPECT_EQ(desk[1], "http");
    EXPECT_EQ(http_request(static_cast<unsigned short>(std::stoi(desk[2])), http::verb::get, "/healthz").status, 200);
    EXPECT_NE(text.find("the desk listens beyond loopback (0.0.0.0) without TLS"), std::string::npos) << text;
    EXPECT_NE(text.find("metrics listen beyond loopback (0.0.0.0)"), std::string::npos) << text;
  }
  const TestCertificate cert = make_test_certificate(dir.file(""));
  {
    const LogCapture log;
    const Serving serving(ServeOptions{.http_addr = "0.0.0.0:0", .metrics_addr = ""},
                          DeskConfig{.tls_cert = cert.cert_file, .tls_key = cert.key_file}, *set);
    const std::string text = log.text();
    std::smatch desk;
    ASSERT_TRUE(std::regex_search(text, desk, desk_re)) << text;
    EXPECT_EQ(desk[1], "https");
    EXPECT_EQ(text.find("without TLS"), std::string::npos) << text;
  }
  {
    const LogCapture log;
    const Serving serving(ServeOptions{.http_addr = "127.0.0.1:0", .metrics_addr = "127.0.0.1:0"}, DeskConfig{}, *set);
    EXPECT_EQ(log.text().find("beyond loopback"), std::string::npos) << log.text();
  }
}

// ---------------------------------------------------------------------------
// The run config's `desk` section and the --desk-* flags

TEST(DeskSettings, TheRunConfigsDeskSectionIsReadResolvedAndChecked) {
  TempDir dir;
  std::ofstream(dir.file("wachtpost.yaml"))
      << "brokers: k:9092\ndesk:\n  max_connections: 10\n  idle_timeout_seconds: 5\n  max_header_bytes: 4096\n"
         "  max_body_bytes: 2048\n  tls_cert: tls/cert.pem\n  tls_key: /etc/wachtpost/key.pem\n";
  const RunConfig config = load_run_config(dir.file("wachtpost.yaml"));
  EXPECT_EQ(config.desk.max_connections, 10U);
  EXPECT_EQ(config.desk.idle_timeout_seconds, 5U);
  EXPECT_EQ(config.desk.max_header_bytes, 4096U);
  EXPECT_EQ(config.desk.max_body_bytes, 2048U);
  EXPECT_EQ(config.desk.tls_cert, (std::filesystem::absolute(dir.file("")) / "tls/cert.pem").lexically_normal());
  EXPECT_EQ(config.desk.tls_key, "/etc/wachtpost/key.pem");
  EXPECT_NO_THROW(validate_run_config(config));

  std::ofstream(dir.file("plain.yaml")) << "brokers: k:9092\ndesk:\n  max_connections:\n";
  const RunConfig defaults = load_run_config(dir.file("plain.yaml"));
  EXPECT_EQ(defaults.desk.max_connections, 256U);
  EXPECT_EQ(defaults.desk.idle_timeout_seconds, 30U);
  EXPECT_EQ(defaults.desk.max_header_bytes, 8192U);
  EXPECT_EQ(defaults.desk.max_body_bytes, 16384U);
  EXPECT_TRUE(defaults.desk.tls_cert.empty() && defaults.desk.tls_key.empty());

  std::ofstream(dir.file("bad.yaml")) << "brokers: k:9092\ndesk:\n  max_connections: 0\n  idle_timeout_seconds: 1h\n"
                                         "  max_header_bytes: 100\n  max_body_bytes: 99999999\n  tls_crt: c.pem\n"
                                         "  tls_key: [a, b]\n";
  try {
    (void)load_run_config(dir.file("bad.yaml"));
    ADD_FAILURE() << "bad.yaml loaded";
  } catch (const ConfigError& e) {
    const std::string bad = dir.file("bad.yaml");
    EXPECT_EQ(std::string(e.what()),
              bad + ":3: desk.max_connections: 0 is out of range (1 to 100000)\n" + bad +
                  ":4: desk.idle_timeout_seconds: expected a whole number (1 to 3600), got '1h'\n" + bad +
                  ":5: desk.max_header_bytes: 100 is out of range (1024 to 1048576)\n" + bad +
                  ":6: desk.max_body_bytes: 99999999 is out of range (1024 to 1048576)\n" + bad +
                  ":7: desk: unknown key 'tls_crt' (did you mean 'tls_cert'?)\n" + bad +
                  ":8: desk.tls_key: expected a text value, not a list");
  }

  // A certificate in the file may get its key from --desk-tls-key: only the
  // whole is checked.
  std::ofstream(dir.file("half.yaml")) << "brokers: k:9092\ndesk: {tls_cert: cert.pem}\n";
  RunConfig half = load_run_config(dir.file("half.yaml"));
  try {
    validate_run_config(half);
    ADD_FAILURE() << "a certificate without its key validated";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("desk.tls_cert is set but desk.tls_key is not"), std::string::npos)
        << e.what();
  }
  DeskFlags flags;
  flags.tls_key = "key.pem";
  flags.max_connections = 7;
  flags.apply_to(half.desk);
  EXPECT_NO_THROW(validate_run_config(half));
  EXPECT_EQ(half.desk.max_connections, 7U);
  EXPECT_EQ(half.desk.idle_timeout_seconds, 30U) << "a flag not given keeps the file's value";
}

TEST(DeskSettings, FlagsAreCheckedAndOverTheConfigFile) {
  const auto low = run_wachtpost("demo --desk-max-header-bytes 10");
  EXPECT_EQ(low.exit_code, 2);
  EXPECT_NE(low.err.find("--desk-max-header-bytes: Value 10 not in range 1024 to 1048576"), std::string::npos)
      << low.err;
  const auto idle = run_wachtpost("run --desk-idle-timeout 0");
  EXPECT_EQ(idle.exit_code, 2);
  EXPECT_NE(idle.err.find("--desk-idle-timeout"), std::string::npos) << idle.err;
  const auto help = run_wachtpost("demo --help");
  for (const char* flag : {"--desk-max-connections", "--desk-idle-timeout", "--desk-max-header-bytes",
                           "--desk-max-body-bytes", "--desk-tls-cert", "--desk-tls-key"}) {
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
  }

  // The file names a certificate; the flag's key completes it, and the
  // start then fails on the file's certificate (relative to the file).
  TempDir dir;
  const TestCertificate cert = make_test_certificate(dir.file(""));
  std::ofstream(dir.file("wachtpost.yaml"))
      << "brokers: 127.0.0.1:1\npatterns: " << source_path("tests/data/replay/baseline")
      << "\ndesk: {tls_cert: nothing-here.pem, max_connections: 0}\n";
  const auto file_range = run_wachtpost("run --config " + dir.file("wachtpost.yaml"));
  EXPECT_EQ(file_range.exit_code, 2);
  EXPECT_NE(file_range.err.find("wachtpost.yaml:3: desk.max_connections: 0 is out of range"), std::string::npos)
      << file_range.err;
  std::ofstream(dir.file("wachtpost.yaml"), std::ios::trunc)
      << "brokers: 127.0.0.1:1\npatterns: " << source_path("tests/data/replay/baseline")
      << "\ndesk: {tls_cert: nothing-here.pem}\n";
  const auto completed = run_wachtpost("run --config " + dir.file("wachtpost.yaml") +
                                       " --http-addr 127.0.0.1:0 --metrics-addr '' --desk-tls-key " + cert.key_file);
  EXPECT_EQ(completed.exit_code, 2);
  EXPECT_NE(
      completed.err.find("desk TLS certificate '" +
                         (std::filesystem::absolute(dir.file("")) / "nothing-here.pem").lexically_normal().string() +
                         "': cannot be read"),
      std::string::npos)
      << completed.err;
}
