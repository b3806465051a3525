// The only place that serves sockets with cpp-httplib (http_server.h).
//
// Debian's cpp-httplib 0.11 is a compiled library: its CPPHTTPLIB_* size macros are
// fixed inside it, it buffers a request line or header line of any length, reads any
// number of headers, times out each read rather than a whole request, and holds one of
// its workers for each connection, idle or not. So each connection is served here
// (GuardedServer overrides its per-connection entry point): it waits in a HeadReader
// (head_reader.h) until its request's head and body are there, and only then takes a
// worker, which reads the request through GuardedStream: that counts the
// head against http.max_head_bytes, stops a body past its area's limit, and keeps the
// request's deadline (http.request_timeout_seconds from its first byte); a request
// refused there gets its answer (408, 413, 414, 431) written by the stream itself. A body
// whose declared length is too large is refused from the head alone, before any of it is
// read.
#include "web/http_server.h"

#include <httplib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <regex>
#include <thread>
#include <vector>

#include "util/text.h"
#include "web/head_reader.h"

namespace mailcase::web {
namespace {

constexpr size_t kRequestsPerConnection = 20;

std::optional<std::string_view> header_of(const httplib::Request& req, const char* name) {
  auto it = req.headers.find(name);
  if (it == req.headers.end()) return std::nullopt;
  return std::string_view(it->second);
}

// Every value of a header the request repeats, in order (cpp-httplib's header_of and
// get_header_value see the first only).
std::vector<std::string_view> header_values(const httplib::Request& req, const char* name) {
  std::vector<std::string_view> out;
  auto [b, e] = req.headers.equal_range(name);
  for (auto it = b; it != e; ++it) out.emplace_back(it->second);
  return out;
}

BodyVerdict check_request_body(const httplib::Request& req, size_t max_body) {
  return check_body(req.method, header_values(req, "Content-Length"), header_of(req, "Transfer-Encoding"),
                    max_body);
}

// What the observer hears of the request this thread is answering: set when its head
// was read and when a route took it, read when the answer was written.
struct RequestTrace {
  SteadyClock::time_point start = SteadyClock::now();
  const std::string* route = nullptr;
};
thread_local RequestTrace t_trace;

// Whether the request this thread is answering could be read as a request. head_taken:
// cpp-httplib parsed its head and handed it over (it answers a head it cannot parse, a
// bare LF or a NUL in it, say, without doing so). unreadable: the answer is cpp-httplib's
// own for a request it could not read, head or body, rather than a route's or "no such
// page"; where the next request on the connection starts is then unknown, so the
// connection ends after the answer.
struct RequestRead {
  bool head_taken = false;
  bool unreadable = false;
};
thread_local RequestRead t_read;

// One request of a connection as cpp-httplib reads and writes it, bounded: see the top of
// the file.
class GuardedStream final : public httplib::Stream {
 public:
  // listening: the server's socket, INVALID_SOCKET once it stops; then waits end at
  // once, so that stopping the server does not wait for slow clients. read_ahead: the
  // request's bytes the HeadReader read already. deadline: the request's.
  GuardedStream(int fd, const HttpLimits& limits, const std::atomic<socket_t>& listening,
                std::string read_ahead, SteadyClock::time_point deadline)
      : fd_(fd),
        listening_(listening),
        head_(limits.max_head_bytes),
        max_body_(limits.max_body_bytes),
        deadline_(deadline),
        in_(std::move(read_ahead)) {}

  // The body limit of the request being read, once its head (and so its path) is known.
  void set_body_limit(size_t max_body) { max_body_ = max_body; }
  // Whether the stream answered and gave up on the request itself.
  bool refused() const { return refused_; }
  // The bytes read and not yet taken by cpp-httplib: the start of the next request.
  std::string take_unread() {
    std::string rest = in_.substr(off_);
    in_.clear();
    off_ = 0;
    return rest;
  }

  bool is_readable() const override { return off_ < in_.size() || wait(POLLIN); }
  bool is_writable() const override { return !refused_ && wait(POLLOUT); }

  ssize_t read(char* ptr, size_t size) override {
    if (refused_) return -1;
    if (off_ == in_.size()) {
      if (!wait(POLLIN)) {
        refuse(listening_ == INVALID_SOCKET ? 503 : 408);
        return -1;
      }
      in_.resize(kReadChunk);
      ssize_t n;
      do n = ::recv(fd_, in_.data(), in_.size(), 0);
      while (n < 0 && errno == EINTR);
      in_.resize(n > 0 ? static_cast<size_t>(n) : 0);
      off_ = 0;
      if (n <= 0) return n;
    }
    const size_t n = std::min(size, in_.size() - off_);
    const std::string_view chunk(in_.data() + off_, n);
    size_t head = 0;
    if (!head_.done()) {
      head = head_.feed(chunk);
      if (head_.overflowed()) {
        refuse(head_.overflow_status());
        return -1;
      }
    }
    body_bytes_ += n - head;
    if (body_bytes_ > max_body_) {
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

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    socket_address(fd_, false, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    socket_address(fd_, true, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  static constexpr size_t kReadChunk = 16 * 1024;

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
    socket_address(fd_, false, ip, port);
    spdlog::info("http: {} {} to {}", status, status_text(status), ip);
    const std::string r = refusal_response(status);
    // Best effort: the socket's send buffer is empty at this point of a request.
    (void)::send(fd_, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }

  int fd_;
  const std::atomic<socket_t>& listening_;
  HeadScanner head_;
  size_t body_bytes_ = 0;
  size_t max_body_ = 0;
  SteadyClock::time_point deadline_;
  bool refused_ = false;
  std::string in_;  // bytes read; in_[off_…] not yet taken
  size_t off_ = 0;
};

// cpp-httplib's Server with each connection held by a HeadReader between requests, and
// each request that is there to answer read through a GuardedStream by one of
// http.workers workers.
class GuardedServer final : public httplib::Server {
 public:
  // body_limit_of: the body limit of a request path (its area's); called on the
  // worker's thread once the head was read.
  GuardedServer(const HttpLimits& limits, std::function<size_t(const std::string&)> body_limit_of,
                std::function<void()> on_head)
      : limits_(limits), body_limit_of_(std::move(body_limit_of)), on_head_(std::move(on_head)) {
    new_task_queue = [this] { return new Serving(*this); };
    set_payload_max_length(limits_.max_body_bytes);
    set_keep_alive_max_count(kRequestsPerConnection);
    // The accept loop wakes this often to see that stop() closed its socket, rather than
    // trusting that closing a socket wakes a thread blocked in accept() on it.
    set_idle_interval(0, 200000);
  }

 private:
  // What cpp-httplib's accept loop hands each new connection to, for as long as it
  // listens: the connection goes to the HeadReader at once (on the accept thread), and
  // the reader hands each request that is there to the workers.
  class Serving final : public httplib::TaskQueue {
   public:
    explicit Serving(GuardedServer& server)
        : server_(server), workers_(static_cast<size_t>(server.limits_.workers)) {
      reader_ = std::make_unique<HeadReader>(
          server.limits_,
          [&server](std::string_view target) {
            // The path as cpp-httplib makes req.path of the target: before '?', decoded.
            const std::string_view path = target.substr(0, target.find_first_of("?#"));
            return server.body_limit_of_(httplib::detail::decode_url(std::string(path), false));
          },
          [this](Connection c) {
            auto shared = std::make_shared<Connection>(std::move(c));
            workers_.enqueue([this, shared] { server_.answer(std::move(*shared), *reader_); });
          });
      server_.reader_ = reader_.get();
    }
    // fn is process_and_close_socket(sock), which only gives sock to the reader.
    void enqueue(std::function<void()> fn) override { fn(); }
    // Once the server stopped listening: the reader closes what it holds, then the
    // workers finish (their waits end at once), closing what they give back.
    void shutdown() override {
      reader_->stop();
      workers_.shutdown();
      server_.reader_ = nullptr;
    }

   private:
    GuardedServer& server_;
    httplib::ThreadPool workers_;
    std::unique_ptr<HeadReader> reader_;
  };

  bool process_and_close_socket(socket_t sock) override {
    // Each answer goes out as soon as it is written: cpp-httplib sends a response's head
    // and its body in separate writes, and with Nagle's algorithm the body would wait for
    // the client's delayed ACK of the head (40 ms on Linux) on most requests of a
    // keep-alive connection.
    const int one = 1;
    (void)::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    reader_->add(sock);
    return true;
  }

  // Answers c's request on a worker, then gives the connection back to the reader: kept
  // for its next request, or lingering after a request refused unread; or closes it.
  void answer(Connection c, HeadReader& reader) {
    const int fd = c.fd;
    GuardedStream strm(fd, limits_, svr_sock_, std::move(c.read_ahead),
                       c.started + std::chrono::seconds(limits_.request_timeout_seconds));
    const bool last = c.answered + 1 >= kRequestsPerConnection;
    const bool continued = c.continued;
    bool closed = false;
    bool unread_body = false;
    t_read = RequestRead{};
    const bool ok = process_request(strm, last, closed, [&](httplib::Request& req) {
      // A request refused from its head (see the pre-routing handler) leaves its
      // body unread: answer, then close rather than read the body as a request.
      on_head_();
      t_read.head_taken = true;
      // The reader told the client to go on already; a second "100 Continue" would do no
      // harm to a client, but is no answer it waits for.
      if (continued) req.headers.erase("Expect");
      const size_t max_body = body_limit_of_(req.path);
      strm.set_body_limit(max_body);
      if (check_request_body(req, max_body).status != 0) {
        unread_body = true;
        req.headers.erase("Connection");
        req.set_header("Connection", "close");
      }
    });
    // Answered without a head handed over: a malformed request (see RequestRead).
    if (ok && !t_read.head_taken) t_read.unreadable = true;
    if (t_read.unreadable) unread_body = true;
    if (unread_body || strm.refused()) return reader.linger(fd);
    if (!ok || closed || last || svr_sock_ == INVALID_SOCKET) {
      ::shutdown(fd, SHUT_RDWR);
      ::close(fd);
      return;
    }
    reader.keep(Connection{fd, strm.take_unread(), false, c.answered + 1, {}});
  }

  HttpLimits limits_;
  std::function<size_t(const std::string&)> body_limit_of_;
  std::function<void()> on_head_;
  // The reader of the Serving that cpp-httplib's accept loop uses: set as it starts
  // listening, read by that loop's thread alone.
  HeadReader* reader_ = nullptr;
};

}  // namespace

const std::string* current_route() {
  return t_trace.route;
}

std::string html_page(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<meta name=\"referrer\" content=\"no-referrer\"><title>" +
         text::html_escape(title) +
         "</title><style>body{font-family:sans-serif;max-width:46em;margin:2em auto;padding:0 1em;color:#222}"
         ".c{border-left:3px solid #ccc;padding:.2em 1em;margin:1em 0;white-space:pre-wrap}"
         ".out{border-color:#36c}.meta{color:#666;font-size:.9em}button{font-size:1em;padding:.4em "
         "1em;margin:.3em}"
         "</style></head><body>\n" +
         body + "\n</body></html>\n";
}

void html_error_page(int status, const std::string& reason, httplib::Response& res) {
  res.status = status;
  const std::string text = reason.empty() ? status_explanation(status) : text::html_escape(reason) + ".";
  res.set_content(
      html_page(status_text(status), "<h1>" + std::string(status_text(status)) + "</h1><p>" + text + "</p>"),
      "text/html; charset=utf-8");
}

struct HttpServer::Impl {
  struct Area {
    std::string prefix;
    size_t max_body;
    ErrorPage page;
  };
  explicit Impl(const HttpLimits& l) : limits(l) {}

  const Area& area_of(const std::string& path) const {
    const Area* best = &fallback;
    for (const auto& a : areas)
      if (path.compare(0, a.prefix.size(), a.prefix) == 0 && a.prefix.size() >= best->prefix.size())
        best = &a;
    return *best;
  }
  // Keeps the route's name alive for as long as the server: handlers point at it.
  Handler traced(std::string route, Handler h) {
    names.push_back(std::make_unique<std::string>(std::move(route)));
    const std::string* name = names.back().get();
    return [name, h = std::move(h)](const httplib::Request& req, httplib::Response& res) {
      t_trace.route = name;
      h(req, res);
    };
  }

  // As cpp-httplib matches them: for 405, which methods a path has.
  void add_pattern(const char* method, const std::string& pattern) {
    patterns.emplace_back(method, std::regex(pattern));
  }
  // The methods with a route for path, "GET" followed by "HEAD" (cpp-httplib answers HEAD
  // from GET's route); empty when none has one.
  std::vector<std::string> methods_of(const std::string& path) const {
    std::vector<std::string> out;
    for (const auto& [method, re] : patterns) {
      if (std::find(out.begin(), out.end(), method) != out.end() || !std::regex_match(path, re)) continue;
      out.push_back(method);
      if (method == "GET") out.push_back("HEAD");
    }
    return out;
  }

  HttpLimits limits;
  std::vector<std::pair<std::string, std::regex>> patterns;
  Area fallback{"", 0, html_error_page};
  std::vector<Area> areas;
  std::vector<std::unique_ptr<std::string>> names;
  std::vector<RouteInfo> route_list;
  Observer observer;
  std::unique_ptr<GuardedServer> server;
  int port = 0;
  // stop() may come before serve() has started listening, when cpp-httplib's own stop()
  // does nothing: stop() keeps asking until serve() has returned.
  std::atomic<bool> stopping{false};
  std::atomic<bool> served{false};
};

HttpServer::HttpServer(const HttpLimits& limits) : impl_(std::make_unique<Impl>(limits)) {
  auto& d = *impl_;
  d.fallback.max_body = limits.max_body_bytes;
  d.server = std::make_unique<GuardedServer>(
      limits, [&d](const std::string& path) { return d.area_of(path).max_body; },
      [] { t_trace = RequestTrace{}; });
  auto& server = *d.server;
  // Before the body is read: a body that is too large, or of unknown length, is
  // refused from the head alone (GuardedServer then closes the connection).
  server.set_pre_routing_handler([&d](const httplib::Request& req, httplib::Response& res) {
    const auto& area = d.area_of(req.path);
    auto v = check_request_body(req, area.max_body);
    if (v.status == 0) return httplib::Server::HandlerResponse::Unhandled;
    area.page(v.status, v.reason, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  // Answers cpp-httplib makes itself (404, 400, 413 ...) are rendered by their area.
  server.set_error_handler(
      httplib::Server::HandlerWithResponse([&d](const httplib::Request& req, httplib::Response& res) {
        // No route answered and it is not "no such page": the request was refused from
        // its head (the pre-routing handler) or cpp-httplib could not read it (its head,
        // or its body: a failed read, a broken multipart form). The connection ends after
        // this answer, and the answer says so unless the request did (cpp-httplib then
        // writes Connection: close itself; here it adds its Keep-Alive field all the same,
        // but Connection: close is what clients obey).
        if (!t_read.head_taken || (t_trace.route == nullptr && res.status != 404)) {
          t_read.unreadable = true;
          if (req.get_header_value("Connection") != "close") res.set_header("Connection", "close");
        }
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        // No route for this method, but one for another: 405 with the methods there are
        // (RFC 9110 §15.5.6), not "no such page".
        std::string reason;
        if (res.status == 404 && t_read.head_taken && t_trace.route == nullptr) {
          if (auto allowed = d.methods_of(req.path); !allowed.empty()) {
            res.status = 405;
            res.set_header("Allow", text::join(allowed, ", "));
            reason = req.method + " is not answered here: " + text::join(allowed, ", ") + " are";
          }
        }
        d.area_of(req.path).page(res.status, reason, res);
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler([&d](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
    spdlog::error("http: {} {}: a handler failed", req.method, req.path);
    res.body.clear();
    d.area_of(req.path).page(500, "", res);
  });
  server.set_logger([&d](const httplib::Request&, const httplib::Response& res) {
    if (!d.observer) return;
    static const std::string kOther = "other";
    // The trace first: a worker thread whose first request could not be read meets its
    // thread_local here, made now, and the clock must be read after it (else a negative time).
    const SteadyClock::time_point start = t_trace.start;
    const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    d.observer(t_trace.route ? *t_trace.route : kOther, res.status, seconds);
    t_trace.route = nullptr;
  });
  // Every answer, error pages included, carries the security headers.
  httplib::Headers headers;
  for (const auto& [k, v] : security_headers()) headers.emplace(k, v);
  server.set_default_headers(headers);
}

HttpServer::~HttpServer() = default;

void HttpServer::get(std::string route, const std::string& pattern, Handler h) {
  impl_->add_pattern("GET", pattern);
  impl_->route_list.push_back({"GET", route});
  impl_->server->Get(pattern, impl_->traced(std::move(route), std::move(h)));
}
void HttpServer::post(std::string route, const std::string& pattern, Handler h) {
  impl_->add_pattern("POST", pattern);
  impl_->route_list.push_back({"POST", route});
  impl_->server->Post(pattern, impl_->traced(std::move(route), std::move(h)));
}
void HttpServer::patch(std::string route, const std::string& pattern, Handler h) {
  impl_->add_pattern("PATCH", pattern);
  impl_->route_list.push_back({"PATCH", route});
  impl_->server->Patch(pattern, impl_->traced(std::move(route), std::move(h)));
}
void HttpServer::put(std::string route, const std::string& pattern, Handler h) {
  impl_->add_pattern("PUT", pattern);
  impl_->route_list.push_back({"PUT", route});
  impl_->server->Put(pattern, impl_->traced(std::move(route), std::move(h)));
}
void HttpServer::del(std::string route, const std::string& pattern, Handler h) {
  impl_->add_pattern("DELETE", pattern);
  impl_->route_list.push_back({"DELETE", route});
  impl_->server->Delete(pattern, impl_->traced(std::move(route), std::move(h)));
}

std::vector<HttpServer::RouteInfo> HttpServer::routes() const {
  return impl_->route_list;
}

void HttpServer::area(std::string prefix, size_t max_body, ErrorPage page) {
  auto& d = *impl_;
  if (prefix.empty()) {
    d.fallback = Impl::Area{"", max_body, std::move(page)};
  } else {
    d.areas.push_back(Impl::Area{std::move(prefix), max_body, std::move(page)});
  }
  size_t largest = d.fallback.max_body;
  for (const auto& a : d.areas) largest = std::max(largest, a.max_body);
  d.server->set_payload_max_length(largest);
}

void HttpServer::set_observer(Observer o) {
  impl_->observer = std::move(o);
}

Status HttpServer::listen(const std::string& host, int port) {
  auto& d = *impl_;
  if (port == 0) {
    d.port = d.server->bind_to_any_port(host);
    if (d.port < 0) return fail(ErrorCode::kTemporary, "cannot listen for HTTP on " + host);
  } else {
    if (!d.server->bind_to_port(host, port))
      return fail(ErrorCode::kTemporary, "cannot listen for HTTP on " + host + ":" + std::to_string(port));
    d.port = port;
  }
  return {};
}

int HttpServer::bound_port() const {
  return impl_->port;
}

void HttpServer::serve() {
  if (!impl_->stopping) impl_->server->listen_after_bind();
  impl_->served = true;
}

void HttpServer::stop() {
  auto& d = *impl_;
  d.stopping = true;
  // Bounded: serve() returns within one idle interval of a stop() that found it running.
  for (int i = 0; i < 500 && !d.served; ++i) {
    if (d.server->is_running()) d.server->stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace mailcase::web
