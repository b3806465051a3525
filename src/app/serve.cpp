// `mailcase serve`: one node's share of the work, by role, until SIGTERM/SIGINT.
//   ingest: the mailbox agents and, with --lmtp, the LMTP listener;
//   outbox: the outbox worker (when outbound mail is enabled);
//   http:   with --http, the console, the REST API and the customer pages; with
//           --public-http as well, the customer pages on that listener instead.
// Two nodes on one data directory can split the roles (`--roles ingest --lmtp …` on one,
// `--roles outbox,http --http …` on another); a role not asked for starts nothing.
#include <signal.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/api.h"
#include "app/app.h"
#include "channels/agent_roster.h"
#include "channels/deliver_socket.h"
#include "channels/lmtp_server.h"
#include "channels/mailbox_agent.h"
#include "metrics/metrics.h"
#include "outbound/outbox_worker.h"
#include "web/customer_pages.h"
#include "console/assets.h"
#include "console/console.h"
#include "web/http_server.h"

namespace mailcase::app {
namespace {

constexpr const char* kAllRoles = "ingest,outbox,http";

struct Roles {
  bool ingest = false;
  bool outbox = false;
  bool http = false;
};

struct HostPort {
  std::string host;
  int port = 0;
};

// What serve was asked to run, checked before anything opens or starts.
struct ServePlan {
  Roles roles;
  std::optional<HostPort> lmtp;
  std::optional<HostPort> http;
  std::optional<HostPort> public_http;  // the customer pages' own listener
};

std::optional<HostPort> parse_host_port(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  HostPort hp;
  hp.host = s.substr(0, colon);
  if (hp.host.size() > 1 && hp.host.front() == '[' && hp.host.back() == ']')
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  try {
    hp.port = std::stoi(s.substr(colon + 1));
  } catch (...) {
    return std::nullopt;
  }
  if (hp.port < 0 || hp.port > 65535 || hp.host.empty()) return std::nullopt;
  return hp;
}

// "ingest,outbox,http" (any of them, in any order, at least one) → Roles.
Result<Roles> parse_roles(const std::string& text) {
  Roles r;
  size_t start = 0;
  bool any = false;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string role = text.substr(start, end - start);
    if (role == "ingest")
      r.ingest = true;
    else if (role == "outbox")
      r.outbox = true;
    else if (role == "http")
      r.http = true;
    else
      return fail(ErrorCode::kInvalidInput,
                  "--roles: unknown role '" + role +
                      "' (the roles are ingest, outbox and http, separated by commas)");
    any = true;
    start = end + 1;
  }
  if (!any) return fail(ErrorCode::kInvalidInput, "--roles wants one or more of ingest, outbox, http");
  return r;
}

Result<ServePlan> plan_serve(const std::string& roles, const std::string& lmtp, const std::string& http,
                             const std::string& public_http) {
  ServePlan plan;
  MC_ASSIGN_OR_RETURN(plan.roles, parse_roles(roles));
  if (!lmtp.empty()) {
    if (!plan.roles.ingest)
      return fail(ErrorCode::kInvalidInput, "--lmtp needs the ingest role (--roles " + roles + " has none)");
    plan.lmtp = parse_host_port(lmtp);
    if (!plan.lmtp) return fail(ErrorCode::kInvalidInput, "--lmtp wants HOST:PORT");
  }
  if (!http.empty()) {
    if (!plan.roles.http)
      return fail(ErrorCode::kInvalidInput, "--http needs the http role (--roles " + roles + " has none)");
    plan.http = parse_host_port(http);
    if (!plan.http) return fail(ErrorCode::kInvalidInput, "--http wants HOST:PORT");
  }
  if (!public_http.empty()) {
    if (!plan.roles.http)
      return fail(ErrorCode::kInvalidInput,
                  "--public-http needs the http role (--roles " + roles + " has none)");
    plan.public_http = parse_host_port(public_http);
    if (!plan.public_http) return fail(ErrorCode::kInvalidInput, "--public-http wants HOST:PORT");
  }
  return plan;
}

// The parts a node runs, each started by its role's function and all stopped together
// by stop() (or the destructor, when a later part failed to start).
class Node {
 public:
  explicit Node(runtime::Runtime& rt) : rt_(rt), book_(rt.store()) {}
  ~Node() { stop(); }
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Binds the LMTP listener (an error when the address cannot be had); serve_lmtp()
  // then accepts on it.
  Status listen_lmtp(const HostPort& at) {
    const config::Config& cfg = rt_.config();
    channels::LmtpOptions o;
    o.host = at.host;
    o.port = at.port;
    o.max_size = cfg.limits.max_message_bytes;
    o.max_recipients = cfg.lmtp.max_recipients;
    o.session_timeout_seconds = cfg.lmtp.session_timeout_seconds;
    o.data_timeout_seconds = cfg.lmtp.data_timeout_seconds;
    o.idle_timeout_seconds = cfg.lmtp.idle_timeout_seconds;
    o.max_line_bytes = cfg.lmtp.max_line_bytes;
    o.max_connections = cfg.lmtp.max_connections;
    o.commit_batch = cfg.lmtp.commit_batch;
    o.max_buffered_bytes = cfg.lmtp.max_buffered_bytes;
    auto server = std::make_unique<channels::LmtpServer>(rt_.ingest(), o);
    MC_RETURN_IF_ERROR(server->listen());
    lmtp_ = std::move(server);
    std::cerr << "lmtp: listening on " << o.host << ":" << lmtp_->bound_port() << std::endl;
    return {};
  }

  // The delivery socket (DATA_DIR/deliver.sock) unless [deliver] handoff is off. Not
  // having it is no reason to stop: deliveries then commit by themselves.
  void listen_deliver() {
    const config::Config& cfg = rt_.config();
    if (!cfg.deliver.handoff) return;
    channels::DeliverSocketOptions o;
    o.path = rt_.data_dir() / "deliver.sock";
    o.max_size = cfg.limits.max_message_bytes;
    o.max_connections = cfg.deliver.max_connections;
    o.request_timeout_seconds = cfg.deliver.request_timeout_seconds;
    o.idle_timeout_seconds = cfg.deliver.idle_timeout_seconds;
    o.commit_batch = cfg.lmtp.commit_batch;
    auto socket = std::make_unique<channels::DeliverSocket>(rt_.ingest(), deliver_answer, o);
    if (auto s = socket->listen(); !s) {
      spdlog::warn("deliver: deliveries commit by themselves: {}", s.error().message);
      return;
    }
    deliver_ = std::move(socket);
    std::cerr << "deliver: taking deliveries on " << o.path.string() << std::endl;
    threads_.emplace_back([this] { deliver_->serve(stop_); });
  }

  web::HttpLimits http_limits() const {
    const config::Config& cfg = rt_.config();
    web::HttpLimits limits;
    limits.max_head_bytes = static_cast<size_t>(cfg.http.max_head_bytes);
    limits.max_body_bytes = static_cast<size_t>(cfg.http.max_body_bytes);
    limits.request_timeout_seconds = cfg.http.request_timeout_seconds;
    limits.workers = cfg.http.workers;
    limits.max_connections = cfg.http.max_connections;
    limits.max_buffered_bytes = static_cast<size_t>(cfg.http.max_buffered_bytes);
    return limits;
  }

  web::CustomerPages& customer_pages() {
    if (!pages_)
      pages_ = std::make_unique<web::CustomerPages>(rt_.store(), rt_.cases(), rt_.config(), rt_.links(),
                                                    rt_.clock());
    return *pages_;
  }

  // Binds the HTTP listener with the console and the REST API on it, and the customer
  // pages unless they have a listener of their own; serve_pages() then answers.
  Status listen_pages(const HostPort& at, bool with_customer_pages = true) {
    const config::Config& cfg = rt_.config();
    auto http = std::make_unique<web::HttpServer>(http_limits());
    if (with_customer_pages) customer_pages().mount(*http, /*with_root=*/false);
    api_ = std::make_unique<api::Api>(rt_.store(), rt_.cases(), cfg, rt_.clock(), rt_.data_dir());
    api_->set_ingest(rt_.ingest());
    api_->mount(*http);
    console_ = std::make_unique<console::Console>(rt_.store(), rt_.cases(), cfg, rt_.clock(), rt_.data_dir());
    console_->set_ingest(rt_.ingest());
    console_->mount(*http);
    http->set_observer(metrics::observe_http);
    MC_RETURN_IF_ERROR(http->listen(at.host, at.port));
    http_ = std::move(http);
    std::cerr << "http: listening on " << at.host << ":" << http_->bound_port() << std::endl;
    return {};
  }

  // Binds the customer pages' own listener (--public-http): the pages, "/" and the
  // stylesheet and script they load, and nothing of the console or the API.
  Status listen_public(const HostPort& at) {
    auto http = std::make_unique<web::HttpServer>(http_limits());
    customer_pages().mount(*http, /*with_root=*/true);
    console::mount_assets(*http);
    http->set_observer(metrics::observe_http);
    MC_RETURN_IF_ERROR(http->listen(at.host, at.port));
    public_http_ = std::move(http);
    std::cerr << "public http: listening on " << at.host << ":" << public_http_->bound_port() << std::endl;
    return {};
  }

  // The outbox's senders (outbound.senders), when outbound mail is enabled. Each works
  // through pooled units of its own under a worker name of its own, claiming one mail at a
  // time, and a mail one gives up on is told on its case by the case services.
  void start_outbox() {
    const config::Config& cfg = rt_.config();
    if (!cfg.outbound.enabled) return;
    services::CaseServices& cases = rt_.cases();
    const outbound::FailureNote note = [&cases](store::UnitOfWork& w, const store::OutboxMail& m,
                                                const std::string& text) {
      return cases.mail_failed(w, m, text);
    };
    for (int i = 0; i < cfg.outbound.senders; ++i)
      threads_.emplace_back(
          [this, note] { outbound::run_outbox(rt_.store(), rt_.config(), note, stop_, rt_.clock()); });
    std::cerr << "outbox: sending through " << cfg.outbound.smtp_host << ":" << cfg.outbound.smtp_port << " ("
              << cfg.outbound.senders << (cfg.outbound.senders == 1 ? " sender)" : " senders)") << std::endl;
  }

  void serve_pages() {
    if (http_) threads_.emplace_back([this] { http_->serve(); });
    if (public_http_) threads_.emplace_back([this] { public_http_->serve(); });
  }

  // One agent per mailbox, on the agents' book (pooled units of the runtime's store),
  // started now for `mailboxes`; then a watcher reads the mailboxes every
  // kMailboxWatchSeconds and starts, stops or restarts agents to match, so that a mailbox
  // an admin adds, changes or removes takes effect without a restart.
  void start_agents(const std::vector<store::Mailbox>& mailboxes) {
    roster_ = std::make_unique<channels::AgentRoster>(rt_.ingest(), book_, rt_.config().mailbox.fetch_batch,
                                                      rt_.config().limits.max_message_bytes);
    roster_->sync(mailboxes);
    threads_.emplace_back([this] { watch_mailboxes(); });
  }

  void serve_lmtp() {
    if (lmtp_) threads_.emplace_back([this] { lmtp_->serve(stop_); });
  }

  // Mailboxes are a handful of rows: reading them all every few seconds is cheaper than
  // any bookkeeping of changes, and sees the command line's changes too.
  static constexpr int kMailboxWatchSeconds = 2;

  void watch_mailboxes() {
    std::string last_problem;  // told once, not every few seconds
    while (!stop_.load()) {
      for (int i = 0; i < kMailboxWatchSeconds * 10 && !stop_.load(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (stop_.load()) break;
      auto all = [&]() -> Result<std::vector<store::Mailbox>> {
        MC_ASSIGN_OR_RETURN(auto unit, rt_.store().open_unit(store::Access::kRead));
        return unit.mailboxes().list_mailboxes();
      }();
      if (!all) {
        // The agents running stay as they are until the mailboxes can be read again.
        if (all.error().message != last_problem)
          spdlog::warn("mailboxes: cannot read them to follow changes: {}", all.error().message);
        last_problem = all.error().message;
        continue;
      }
      last_problem.clear();
      roster_->sync(*all);
    }
    roster_->stop_all();
  }

  // Every part finishes the mail in hand and ends; returns when all have.
  void stop() {
    stop_ = true;
    if (http_) http_->stop();
    if (public_http_) public_http_->stop();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    threads_.clear();
  }

 private:
  runtime::Runtime& rt_;
  channels::AgentBook book_;
  std::atomic<bool> stop_{false};
  std::unique_ptr<channels::LmtpServer> lmtp_;
  std::unique_ptr<channels::DeliverSocket> deliver_;
  std::unique_ptr<web::CustomerPages> pages_;
  std::unique_ptr<api::Api> api_;
  std::unique_ptr<console::Console> console_;
  std::unique_ptr<web::HttpServer> http_;         // after the parts it serves: stopped and gone first
  std::unique_ptr<web::HttpServer> public_http_;  // likewise
  std::unique_ptr<channels::AgentRoster> roster_;
  std::vector<std::thread> threads_;  // last: joined (by stop) before the parts they use go
};

void serve(Globals& g, const std::string& roles, const std::string& lmtp, const std::string& http,
           const std::string& public_http) {
  auto plan = plan_serve(roles, lmtp, http, public_http);
  if (!plan) {
    print_error(plan.error());
    g.exit_code = kExitUsage;
    return;
  }
  auto rt = open_runtime(g);
  if (!rt) return;
  if (auto s = rt->store().maintain_in_background(); !s) {
    print_error(s.error());
    g.exit_code = exit_code_for(s.error());
    return;
  }
  std::vector<store::Mailbox> mailboxes;
  if (plan->roles.ingest) {
    auto all = rt->store().list_mailboxes();
    if (!all) {
      print_error(all.error());
      g.exit_code = exit_code_for(all.error());
      return;
    }
    mailboxes = std::move(*all);
  }
  // Signals are taken by sigwait below, in this thread only: blocked before any thread
  // starts, so that every thread inherits the mask.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  Node node(*rt);
  if (plan->lmtp) {
    if (auto s = node.listen_lmtp(*plan->lmtp); !s) {
      print_error(s.error());
      g.exit_code = kExitTempFail;
      return;
    }
  }
  if (plan->http) {
    if (auto s = node.listen_pages(*plan->http, /*with_customer_pages=*/!plan->public_http); !s) {
      print_error(s.error());
      g.exit_code = kExitTempFail;
      return;
    }
  }
  if (plan->public_http) {
    if (auto s = node.listen_public(*plan->public_http); !s) {
      print_error(s.error());
      g.exit_code = kExitTempFail;
      return;
    }
  }
  if (plan->roles.outbox) node.start_outbox();
  node.serve_pages();
  if (plan->roles.ingest) node.start_agents(mailboxes);
  node.serve_lmtp();
  if (plan->roles.ingest) node.listen_deliver();
  std::cerr << "serving; SIGTERM or SIGINT stops" << std::endl;
  int sig = 0;
  sigwait(&sigs, &sig);
  std::cerr << "stopping (" << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << "): finishing the mail in hand"
            << std::endl;
  node.stop();
  std::cerr << "stopped" << std::endl;
}

}  // namespace

void register_serve_command(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("serve",
                                 "run the mailbox agents, the outbox, and the LMTP listener and customer "
                                 "pages when asked, until SIGTERM/SIGINT");
  auto roles = std::make_shared<std::string>(kAllRoles);
  auto lmtp = std::make_shared<std::string>();
  auto http = std::make_shared<std::string>();
  cmd->add_option("--roles", *roles,
                  "what this node runs, of ingest (mailbox agents, --lmtp), outbox and http (--http); "
                  "default: all three");
  cmd->add_option("--lmtp", *lmtp, "listen for LMTP on HOST:PORT (off unless given; ingest role)");
  cmd->add_option("--http", *http,
                  "serve the console, the REST API and the customer pages on HOST:PORT (off unless given; "
                  "http role)");
  auto public_http = std::make_shared<std::string>();
  cmd->add_option("--public-http", *public_http,
                  "serve the customer pages on a listener of their own at HOST:PORT (then not on --http; "
                  "http role)");
  cmd->callback([&g, roles, lmtp, http, public_http] {
    g.action = [&g, roles, lmtp, http, public_http] { serve(g, *roles, *lmtp, *http, *public_http); };
  });
}

}  // namespace mailcase::app
