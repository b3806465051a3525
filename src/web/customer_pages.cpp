// The only translation unit that includes httplib.h (it compiles slowly).
//
// Debian's cpp-httplib 0.11 is a compiled library: its CPPHTTPLIB_* size macros are
// fixed inside it, it buffers a request line or header line of any length, reads any
// number of headers, and times out each read rather than a whole request. So each
// connection is served here (GuardedServer overrides its per-connection entry point)
// through GuardedStream, which counts the head against http.max_head_bytes as it
// arrives, stops a body past http.max_body_bytes, and gives every request one deadline
// (http.request_timeout_seconds); a request refused there gets its answer (408, 413,
// 414, 431) written by the stream itself. A body whose declared length is too large is
// refused from the head alone, before any of it is read.
#include "web/customer_pages.h"

#include <httplib.h>
#include <netdb.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include "cases/lifecycle.h"
#include "outbound/signed_link.h"
#include "services/case_services.h"
#include "mime/parser.h"
#include "spool/blob_store.h"
#include "store/store.h"
#include "util/text.h"
#include "web/http_guard.h"

namespace mailcase::web {
namespace {

using outbound::LinkAction;
using SteadyClock = std::chrono::steady_clock;
using text::html_escape;

constexpr size_t kRequestsPerConnection = 20;
constexpr time_t kKeepAliveSeconds = 5;
// After refusing a request whose body was not read, what the client still sends is
// read and dropped for this long, so that it reads our answer instead of a reset.
constexpr auto kLinger = std::chrono::seconds(2);
// Longest reason and survey comment a customer may type.
constexpr size_t kMaxReasonBytes = 4000;

std::string page(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<meta name=\"referrer\" content=\"no-referrer\"><title>" +
         html_escape(title) +
         "</title><style>body{font-family:sans-serif;max-width:46em;margin:2em auto;padding:0 1em;color:#222}"
         ".c{border-left:3px solid #ccc;padding:.2em 1em;margin:1em 0;white-space:pre-wrap}"
         ".out{border-color:#36c}.meta{color:#666;font-size:.9em}button{font-size:1em;padding:.4em "
         "1em;margin:.3em}"
         "</style></head><body>\n" +
         body + "\n</body></html>\n";
}

std::optional<std::string_view> header_of(const httplib::Request& req, const char* name) {
  auto it = req.headers.find(name);
  if (it == req.headers.end()) return std::nullopt;
  return std::string_view(it->second);
}

// One connection as cpp-httplib reads and writes it, bounded: see the top of the file.
class GuardedStream final : public httplib::Stream {
 public:
  // listening: the server's socket, INVALID_SOCKET once it stops; then waits end at
  // once, so that stopping the server does not wait for slow clients.
  GuardedStream(int fd, const HttpLimits& limits, const std::atomic<socket_t>& listening)
      : fd_(fd), limits_(limits), listening_(listening), head_(limits.max_head_bytes) {}

  void start_request(SteadyClock::time_point deadline) {
    deadline_ = deadline;
    head_ = HeadScanner(limits_.max_head_bytes);
    body_bytes_ = 0;
  }
  // Waits up to idle for the first byte of another request on this connection.
  bool wait_next_request(std::chrono::seconds idle) {
    if (off_ < len_) return true;
    deadline_ = SteadyClock::now() + idle;
    return wait(POLLIN);
  }
  // Whether the stream answered and gave up on the request itself.
  bool refused() const { return refused_; }

  bool is_readable() const override { return off_ < len_ || wait(POLLIN); }
  bool is_writable() const override { return !refused_ && wait(POLLOUT); }

  ssize_t read(char* ptr, size_t size) override {
    if (refused_) return -1;
    if (off_ == len_) {
      if (!wait(POLLIN)) {
        refuse(listening_ == INVALID_SOCKET ? 503 : 408);
        return -1;
      }
      ssize_t n;
      do n = ::recv(fd_, buf_.data(), buf_.size(), 0);
      while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      off_ = 0;
      len_ = static_cast<size_t>(n);
    }
    const size_t n = std::min(size, len_ - off_);
    const std::string_view chunk(buf_.data() + off_, n);
    size_t head = 0;
    if (!head_.done()) {
      head = head_.feed(chunk);
      if (head_.overflowed()) {
        refuse(head_.overflow_status());
        return -1;
      }
    }
    body_bytes_ += n - head;
    if (body_bytes_ > limits_.max_body_bytes) {
      refuse(413);
      return -1;
    }
    std::memcpy(ptr, chunk.data(), n);
    off_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (refused_ || !wait(POLLOUT)) return -1;
    ssize_t n;
    do n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { address_of(false, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address_of(true, ip, port); }
  socket_t socket() const override { return fd_; }

  // Stops sending, then reads and drops what the client still sends (up to kLinger),
  // so that a client still uploading a refused body receives our answer.
  void linger() {
    ::shutdown(fd_, SHUT_WR);
    deadline_ = SteadyClock::now() + kLinger;
    std::array<char, 4096> sink;
    while (wait(POLLIN)) {
      ssize_t n = ::recv(fd_, sink.data(), sink.size(), 0);
      if (n == 0 || (n < 0 && errno != EINTR)) break;
    }
  }

 private:
  // Waits for events until the request's deadline; false when it passed or the server
  // stops.
  bool wait(short events) const {
    for (;;) {
      if (listening_ == INVALID_SOCKET) return false;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - SteadyClock::now()).count();
      if (left <= 0) return false;
      pollfd p{fd_, events, 0};
      int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) return false;
    }
  }

  void refuse(int status) {
    refused_ = true;
    std::string ip;
    int port = 0;
    get_remote_ip_and_port(ip, port);
    spdlog::info("http: {} {} to {}", status, status_text(status), ip);
    const std::string r = refusal_response(status);
    // Best effort: the socket's send buffer is empty at this point of a request.
    (void)::send(fd_, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }

  void address_of(bool local, std::string& ip, int& port) const {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    auto* sa = reinterpret_cast<sockaddr*>(&addr);
    if ((local ? ::getsockname(fd_, sa, &len) : ::getpeername(fd_, sa, &len)) != 0) return;
    std::array<char, NI_MAXHOST> host{};
    std::array<char, NI_MAXSERV> serv{};
    if (::getnameinfo(sa, len, host.data(), host.size(), serv.data(), serv.size(),
                      NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
      ip = host.data();
      port = std::atoi(serv.data());
    }
  }

  int fd_;
  HttpLimits limits_;
  const std::atomic<socket_t>& listening_;
  HeadScanner head_;
  size_t body_bytes_ = 0;
  SteadyClock::time_point deadline_ = SteadyClock::now();
  bool refused_ = false;
  std::array<char, 4096> buf_{};
  size_t off_ = 0, len_ = 0;
};

// cpp-httplib's Server with each connection served through a GuardedStream, and
// http.workers connections at once.
class GuardedServer final : public httplib::Server {
 public:
  explicit GuardedServer(const HttpLimits& limits) : limits_(limits) {
    new_task_queue = [this] { return new httplib::ThreadPool(static_cast<size_t>(limits_.workers)); };
    set_payload_max_length(limits_.max_body_bytes);
    set_keep_alive_max_count(kRequestsPerConnection);
    set_keep_alive_timeout(kKeepAliveSeconds);
    // The accept loop wakes this often to see that stop() closed its socket, rather than
    // trusting that closing a socket wakes a thread blocked in accept() on it.
    set_idle_interval(0, 200000);
  }

 private:
  bool process_and_close_socket(socket_t sock) override {
    GuardedStream strm(sock, limits_, svr_sock_);
    const auto timeout = std::chrono::seconds(limits_.request_timeout_seconds);
    bool ok = false;
    bool unread_body = false;
    for (size_t n = 0; n < kRequestsPerConnection && svr_sock_ != INVALID_SOCKET; ++n) {
      if (n > 0 && !strm.wait_next_request(std::chrono::seconds(kKeepAliveSeconds))) break;
      strm.start_request(SteadyClock::now() + timeout);
      bool closed = false;
      ok = process_request(strm, n + 1 == kRequestsPerConnection, closed, [&](httplib::Request& req) {
        // A request refused from its head (see the pre-routing handler) leaves its
        // body unread: answer, then close rather than read the body as a request.
        if (check_body(req.method, header_of(req, "Content-Length"), header_of(req, "Transfer-Encoding"),
                       limits_.max_body_bytes)
                .status != 0) {
          unread_body = true;
          req.headers.erase("Connection");
          req.set_header("Connection", "close");
        }
      });
      if (!ok || closed || unread_body || strm.refused()) break;
    }
    if (unread_body || strm.refused()) strm.linger();  // returns at once when stopping
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ok;
  }

  HttpLimits limits_;
};

// Whether the outbox mail's text holds token (an old-format link is found in the mail
// it was sent in). Mails are stored encoded (quoted-printable, base64): decode first.
bool mail_carries(const std::string& raw, const std::string& token) {
  if (raw.find(token) != std::string::npos) return true;
  spool::NullBlobSink sink;
  auto parsed = mime::parse_bytes(raw, sink);
  return parsed && (parsed->text_body.find(token) != std::string::npos ||
                    parsed->html_body.find(token) != std::string::npos);
}

}  // namespace

struct CustomerPages::Impl {
  Impl(store::Store& s, services::CaseServices& cs, const config::Config& c, const outbound::LinkSigner& l,
       const domain::Clock& k)
      : store(s), cases(cs), cfg(c), signer(&l), clock(k) {}
  store::Store& store;  // only its pooled units: requests run on many threads
  services::CaseServices& cases;
  const config::Config& cfg;
  const outbound::LinkSigner* signer;
  const domain::Clock& clock;
  std::unique_ptr<GuardedServer> server;
  int port = 0;
  // stop() may come before serve() has started listening, when cpp-httplib's own stop()
  // does nothing: stop() keeps asking until serve() has returned.
  std::atomic<bool> stopping{false};
  std::atomic<bool> served{false};

  // What a valid link opens and lets its holder do.
  struct Access {
    store::Case c;
    outbound::Grants grants = 0;
    int64_t expires_at = 0;
    std::string token;
  };

  static void html(httplib::Response& res, int status, const std::string& title, const std::string& body) {
    res.status = status;
    res.set_content(page(title, body), "text/html; charset=utf-8");
  }

  // What an old-format token may do, from the mails of this case that carried it.
  outbound::Grants legacy_grants_for(store::UnitOfWork& u, store::Id case_id, const std::string& token) {
    std::vector<std::string> kinds;
    auto rows = u.outbox().list_outbox(case_id, 1000);
    if (rows)
      for (const auto& m : *rows)
        if (mail_carries(m.raw, token)) kinds.push_back(m.kind);
    return outbound::legacy_grants(kinds);
  }

  // The case the link opens, or nullopt after writing the refusal page.
  std::optional<Access> authorise(store::UnitOfWork& u, const httplib::Request& req, httplib::Response& res,
                                  const std::string& number) {
    const std::string token = req.has_param("t") ? req.get_param_value("t") : "";
    auto c = u.cases().find_case_by_number(number);
    outbound::LinkSigner::Verified v;
    if (c && *c) v = signer->verify(token, (*c)->id, clock.now());
    if (c && *c && v.check == outbound::LinkSigner::Check::kValid) {
      Access a{**c, 0, v.expires_at, token};
      a.grants = v.action ? outbound::grants_of(*v.action) : legacy_grants_for(u, a.c.id, token);
      return a;
    }
    const bool expired = v.check == outbound::LinkSigner::Check::kExpired;
    html(res, 403, "Link not valid",
         std::string("<h1>This link is not valid</h1><p>") +
             (expired ? "It has expired." : "It is not a link we sent, or it was changed.") +
             " Reply to our last mail and we will send you a new one.</p>");
    return std::nullopt;
  }

  // A button that posts to action with a token for that action alone, valid as long as
  // the link the page was opened with.
  std::string form(const Access& a, LinkAction action, const std::string& label,
                   const std::string& extra = "") {
    const std::string name = outbound::to_string(action);
    const std::string token = signer->sign(a.c.id, a.expires_at, action);
    return "<form method=\"post\" action=\"/case/" + html_escape(a.c.number) + "/" + name +
           "\"><input type=\"hidden\" name=\"t\" value=\"" + html_escape(token) + "\">" + extra +
           "<button type=\"submit\" name=\"do\" value=\"" + name + "\">" + html_escape(label) +
           "</button></form>";
  }

  std::string survey_form(const Access& a) {
    std::string radios;
    for (int i = 1; i <= 5; ++i)
      radios += "<label><input type=\"radio\" name=\"rating\" value=\"" + std::to_string(i) + "\"" +
                (i == 5 ? " checked" : "") + "> " + std::to_string(i) + "</label> ";
    return "<h2>How satisfied are you?</h2><p>1 = not at all, 5 = very.</p>" +
           form(a, LinkAction::kSurvey, "Send",
                "<p>" + radios + "</p><p><textarea name=\"comment\" rows=\"4\" cols=\"50\" maxlength=\"" +
                    std::to_string(kMaxReasonBytes / 4) +
                    "\" placeholder=\"Anything to add?\"></textarea></p>");
  }

  // A read unit of its own, or the "try again" page after writing it.
  std::optional<store::UnitOfWork> read_unit(httplib::Response& res) {
    auto u = store.open_unit(store::Access::kRead);
    if (u) return std::move(*u);
    html(res, 503, "Try again", "<p>Please try again in a moment.</p>");
    return std::nullopt;
  }

  void show(const httplib::Request& req, httplib::Response& res, const std::string& number) {
    auto u = read_unit(res);
    if (!u) return;
    auto a = authorise(*u, req, res, number);
    if (!a) return;
    const auto& c = a->c;
    std::string body = "<h1>Case " + html_escape(c.number) + ": " + html_escape(c.subject) +
                       "</h1><p class=\"meta\">Status: <b id=\"status\">" +
                       html_escape(store::to_string(c.status)) + "</b></p>";
    const auto st = c.status;
    if (st == cases::CaseStatus::kSolutionProposed) {
      const bool accept = outbound::allows(a->grants, LinkAction::kAccept);
      const bool reject = outbound::allows(a->grants, LinkAction::kReject);
      body += "<div id=\"decision\"><p>We have proposed a solution. Does it solve your problem?</p>";
      if (accept) body += form(*a, LinkAction::kAccept, "Accept the solution");
      if (reject)
        body += form(*a, LinkAction::kReject, "Reject the solution",
                     "<p><textarea name=\"why\" rows=\"3\" cols=\"50\" maxlength=\"" +
                         std::to_string(kMaxReasonBytes / 4) +
                         "\" placeholder=\"What is still wrong?\"></textarea></p>");
      if (!accept && !reject)
        body +=
            "<p>To accept or reject it, use the links in our mail with the proposed solution, or reply "
            "to it.</p>";
      body += "</div>";
    }
    auto sv = u->surveys().get_survey(c.id);
    if (cases::survey_open(st) && sv && (!*sv || (*sv)->rating == 0)) {
      if (outbound::allows(a->grants, LinkAction::kSurvey)) body += survey_form(*a);
    } else if (sv && *sv && (*sv)->rating > 0) {
      body += "<p>Thank you for your rating: " + std::to_string((*sv)->rating) + " of 5.</p>";
    }
    body += "<h2>Conversation</h2>";
    auto comments = u->cases().comments_of(c.id);
    if (comments) {
      for (const auto& cm : *comments) {
        if (cm.visibility != store::Visibility::kPublic) continue;
        const bool ours = cm.direction == store::Direction::kOutbound;
        body += "<div class=\"c" + std::string(ours ? " out" : "") + "\"><div class=\"meta\">" +
                html_escape(ours ? cfg.outbound.from_name : cm.author) + " · " + html_escape(cm.created_at) +
                "</div>" + html_escape(cm.body) + "</div>";
      }
    }
    html(res, 200, "Case " + c.number, body);
  }

  std::string back_link(const Access& a) {
    return "<p><a href=\"/case/" + html_escape(a.c.number) + "?t=" + html_escape(a.token) +
           "\">Back to the case</a></p>";
  }

  void act(const httplib::Request& req, httplib::Response& res, const std::string& number,
           const std::string& what) {
    std::optional<Access> a;
    {
      auto u = read_unit(res);
      if (!u) return;
      a = authorise(*u, req, res, number);
      if (!a) return;
    }
    const auto action = outbound::link_action_from_string(what).value_or(LinkAction::kView);
    if (!outbound::allows(a->grants, action)) {
      html(res, 403, "Not possible with this link",
           "<h1>Not possible with this link</h1><p id=\"result\">This link shows the case but cannot " +
               html_escape(what) + " it. Please use the link from the mail that asked you to.</p>" +
               back_link(*a));
      return;
    }
    // Everything typed into the form is checked before anything is stored.
    const std::string why = req.has_param("why") ? req.get_param_value("why") : "";
    const std::string comment = req.has_param("comment") ? req.get_param_value("comment") : "";
    std::optional<std::string> bad;
    if (action == LinkAction::kReject) bad = check_form_text("The reason", why, kMaxReasonBytes, true);
    if (action == LinkAction::kSurvey) bad = check_form_text("The comment", comment, kMaxReasonBytes, true);
    int rating = 0;
    if (!bad && action == LinkAction::kSurvey) {
      const std::string r = req.has_param("rating") ? req.get_param_value("rating") : "";
      if (r.size() == 1 && r[0] >= '1' && r[0] <= '5')
        rating = r[0] - '0';
      else
        bad = "Please choose a rating from 1 to 5.";
    }
    if (bad) {
      html(res, 400, "Not accepted",
           "<h1>Not accepted</h1><p id=\"result\">" + html_escape(*bad) + " Nothing was saved.</p>" +
               back_link(*a));
      return;
    }

    // The case as it is now, in the services' own unit of work: the change, its event
    // and its mails commit together.
    const auto by = services::Actor::customer("web");
    std::string body;
    Result<store::Case> done = fail(ErrorCode::kInvalidInput, "Nothing to do.");
    if (action == LinkAction::kAccept) {
      done = cases.on_case(a->c.id, [&](store::UnitOfWork& w, store::Case& c) { return cases.accept(w, by, c); });
      // The survey is shown right here (closing then sends no survey mail).
      if (done)
        body = "<h1>Thank you</h1><p id=\"result\">You accepted the solution for case " +
               html_escape(done->number) + ".</p>" + survey_form(*a);
    } else if (action == LinkAction::kReject) {
      done =
          cases.on_case(a->c.id, [&](store::UnitOfWork& w, store::Case& c) { return cases.reject(w, by, c, why); });
      if (done)
        body = "<h1>Thank you</h1><p id=\"result\">We will keep working on case " + html_escape(done->number) +
               ".</p>";
    } else if (action == LinkAction::kSurvey) {
      done = cases.on_case(a->c.id, [&](store::UnitOfWork& w, store::Case& c) {
        return cases.answer_survey(w, by, c, rating, comment);
      });
      if (done)
        body = "<h1>Thank you</h1><p id=\"result\">Your rating: " + std::to_string(rating) + " of 5.</p>";
    }
    if (!done) {
      const auto code = done.error().code;
      html(res, code == ErrorCode::kInvalidInput || code == ErrorCode::kConflict ? 409 : 503, "Not possible",
           "<h1>Not possible</h1><p id=\"result\">" + html_escape(done.error().message) + "</p>" +
               back_link(*a));
      return;
    }
    html(res, 200, "Case " + a->c.number, body);
  }
};

CustomerPages::CustomerPages(store::Store& store, services::CaseServices& cases, const config::Config& cfg,
                             const outbound::LinkSigner& links, const domain::Clock& clock)
    : impl_(std::make_unique<Impl>(store, cases, cfg, links, clock)) {}

CustomerPages::~CustomerPages() = default;

Status CustomerPages::listen(const std::string& host, int port) {
  auto& d = *impl_;
  HttpLimits limits;
  limits.max_head_bytes = static_cast<size_t>(d.cfg.http.max_head_bytes);
  limits.max_body_bytes = static_cast<size_t>(d.cfg.http.max_body_bytes);
  limits.request_timeout_seconds = d.cfg.http.request_timeout_seconds;
  limits.workers = d.cfg.http.workers;
  d.server = std::make_unique<GuardedServer>(limits);
  auto& server = *d.server;

  server.Get(R"(/case/([A-Za-z0-9_-]+))",
             [&d](const httplib::Request& req, httplib::Response& res) { d.show(req, res, req.matches[1]); });
  server.Post(R"(/case/([A-Za-z0-9_-]+)/(accept|reject|survey))",
              [&d](const httplib::Request& req, httplib::Response& res) {
                d.act(req, res, req.matches[1], req.matches[2]);
              });
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(page("mailcase", "<p>Open the link from our mail to see your case.</p>"),
                    "text/html; charset=utf-8");
  });
  // Before the body is read: a body that is too large, or of unknown length, is
  // refused from the head alone (GuardedServer then closes the connection).
  server.set_pre_routing_handler([max = limits.max_body_bytes](const httplib::Request& req,
                                                               httplib::Response& res) {
    auto v =
        check_body(req.method, header_of(req, "Content-Length"), header_of(req, "Transfer-Encoding"), max);
    if (v.status == 0) return httplib::Server::HandlerResponse::Unhandled;
    Impl::html(res, v.status, status_text(v.status),
               "<h1>" + std::string(status_text(v.status)) + "</h1><p>" + html_escape(v.reason) + ".</p>");
    return httplib::Server::HandlerResponse::Handled;
  });
  // Answers cpp-httplib makes itself (404, 400, 413 ...) get a page too.
  server.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        Impl::html(res, res.status, status_text(res.status),
                   "<h1>" + std::string(status_text(res.status)) + "</h1><p>" +
                       status_explanation(res.status) + "</p>");
        return httplib::Server::HandlerResponse::Handled;
      }));
  // Every answer, error pages included, carries the security headers.
  httplib::Headers headers;
  for (const auto& [k, v] : security_headers()) headers.emplace(k, v);
  server.set_default_headers(headers);
  if (port == 0) {
    d.port = server.bind_to_any_port(host);
    if (d.port < 0) return fail(ErrorCode::kTemporary, "cannot listen for HTTP on " + host);
  } else {
    if (!server.bind_to_port(host, port))
      return fail(ErrorCode::kTemporary, "cannot listen for HTTP on " + host + ":" + std::to_string(port));
    d.port = port;
  }
  return {};
}

int CustomerPages::bound_port() const {
  return impl_->port;
}

void CustomerPages::serve() {
  if (!impl_->stopping) impl_->server->listen_after_bind();
  impl_->served = true;
}

void CustomerPages::stop() {
  auto& d = *impl_;
  d.stopping = true;
  if (!d.server) return;
  // Bounded: serve() returns within one idle interval of a stop() that found it running.
  for (int i = 0; i < 500 && !d.served; ++i) {
    if (d.server->is_running()) d.server->stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace mailcase::web
