#include "channels/lmtp_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include "util/text.h"

namespace mailcase::channels {
namespace {

using SteadyClock = lmtp::Clock;
using lmtp::LineEnd;

// Buffered line reader on a socket, with the deadlines of lmtp::give_up.
class Conn {
 public:
  static constexpr auto kIdle = std::chrono::minutes(5);

  Conn(int fd, const std::atomic<bool>& stop, SteadyClock::time_point session_deadline)
      : fd_(fd), stop_(stop), session_deadline_(session_deadline) {}
  // A line without CRLF; nullopt on EOF, error, a deadline or stop (see ended()).
  // data_deadline: SteadyClock::time_point::max() outside DATA.
  std::optional<std::string> line(bool in_data, SteadyClock::time_point data_deadline) {
    lmtp::LineWait w;
    w.session_deadline = session_deadline_;
    w.data_deadline = data_deadline;
    w.in_data = in_data;
    // A stop seen earlier in this DATA keeps counting its grace.
    if (in_data) w.stop_seen = stop_seen_;
    auto verdict = [&](bool idle_counts) {
      const auto now = SteadyClock::now();
      if (stop_.load() && !w.stop_seen) w.stop_seen = stop_seen_ = now;
      w.idle_until = idle_counts ? idle_until_ : SteadyClock::time_point::max();
      return lmtp::give_up(w, now);
    };
    while (true) {
      auto nl = buf_.find('\n', pos_);
      if (nl != std::string::npos) {
        std::string l = buf_.substr(pos_, nl - pos_);
        pos_ = nl + 1;
        if (pos_ > 65536) {
          buf_.erase(0, pos_);
          pos_ = 0;
        }
        if (!l.empty() && l.back() == '\r') l.pop_back();
        return l;
      }
      if (buf_.size() - pos_ > 1024 * 1024) return end(LineEnd::kClosed);  // no line is this long
      pollfd p{fd_, POLLIN, 0};
      idle_until_ = SteadyClock::now() + kIdle;
      while (true) {
        int n = ::poll(&p, 1, 250);
        if (n > 0) break;
        if (n < 0 && errno != EINTR) return end(LineEnd::kClosed);
        if (auto why = verdict(true)) return end(*why);
      }
      // A client that keeps sending is still bound by the deadlines.
      if (auto why = verdict(false)) return end(*why);
      char chunk[65536];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return end(LineEnd::kClosed);
      buf_.append(chunk, static_cast<size_t>(n));
    }
  }
  LineEnd ended() const { return ended_; }
  bool send(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      s.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

 private:
  std::nullopt_t end(LineEnd why) {
    ended_ = why;
    return std::nullopt;
  }
  int fd_;
  const std::atomic<bool>& stop_;
  SteadyClock::time_point session_deadline_;
  std::optional<SteadyClock::time_point> stop_seen_;
  SteadyClock::time_point idle_until_{};
  LineEnd ended_ = LineEnd::kClosed;
  std::string buf_;
  size_t pos_ = 0;
};

std::string arg_address(std::string_view rest) {
  // "TO:<a@b> PARAMS" or "FROM:<a@b> SIZE=10"
  auto lt = rest.find('<');
  auto gt = rest.find('>', lt == std::string_view::npos ? 0 : lt);
  if (lt != std::string_view::npos && gt != std::string_view::npos)
    return std::string(rest.substr(lt + 1, gt - lt - 1));
  auto colon = rest.find(':');
  std::string_view v = colon == std::string_view::npos ? rest : rest.substr(colon + 1);
  v = text::trim(v);
  return std::string(v.substr(0, v.find(' ')));
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && text::iequals(s.substr(0, prefix.size()), prefix);
}

}  // namespace

std::optional<LineEnd> lmtp::give_up(const LineWait& w, Clock::time_point now) {
  if (w.stop_seen && (!w.in_data || now - *w.stop_seen > kStopGrace)) return LineEnd::kStopped;
  if (now > w.session_deadline || now > w.data_deadline || now > w.idle_until) return LineEnd::kTimedOut;
  return std::nullopt;
}

// Sessions hand their finished mail over and wait; one thread commits everything
// waiting at that moment with one deliver_prepared (one transaction, one sync). The
// costly part (spooling, MIME and HTML parsing) is done by each session on its own
// thread beforehand (MailSink::prepare), so one hard mail never holds back the
// commits of the others.
class LmtpServer::GroupCommit {
 public:
  explicit GroupCommit(ingest::MailSink& sink) : sink_(sink), thread_([this] { run(); }) {}
  ~GroupCommit() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  Result<ingest::Outcome> deliver(std::unique_ptr<ingest::PreparedMail> mail) {
    Job job{std::move(mail), {}};
    auto done = job.done.get_future();
    {
      std::lock_guard lock(mu_);
      queue_.push_back(&job);
    }
    cv_.notify_one();
    return done.get();
  }

 private:
  struct Job {
    std::unique_ptr<ingest::PreparedMail> mail;
    std::promise<Result<ingest::Outcome>> done;
  };
  static constexpr size_t kMaxBatch = 256;

  void run() {
    while (true) {
      std::vector<Job*> jobs;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and nobody waits
        while (!queue_.empty() && jobs.size() < kMaxBatch) {
          jobs.push_back(queue_.front());
          queue_.pop_front();
        }
      }
      std::vector<std::unique_ptr<ingest::PreparedMail>> mails;
      mails.reserve(jobs.size());
      for (auto* j : jobs) mails.push_back(std::move(j->mail));
      auto results = sink_.deliver_prepared(std::move(mails));
      for (size_t i = 0; i < jobs.size(); ++i) {
        jobs[i]->done.set_value(i < results.size()
                                    ? std::move(results[i])
                                    : Result<ingest::Outcome>(fail(ErrorCode::kInternal, "not processed")));
      }
    }
  }

  ingest::MailSink& sink_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job*> queue_;
  bool stop_ = false;
  std::thread thread_;
};

LmtpServer::LmtpServer(ingest::MailSink& sink, LmtpOptions options) : sink_(sink), opt_(std::move(options)) {}

LmtpServer::~LmtpServer() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

Status LmtpServer::listen() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(opt_.port);
  if (int rc = ::getaddrinfo(opt_.host.c_str(), port.c_str(), &hints, &res); rc != 0)
    return fail(ErrorCode::kInvalidInput, "LMTP address " + opt_.host + ": " + ::gai_strerror(rc));
  int fd = ::socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || ::bind(fd, res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd, 128) != 0) {
    std::string why = std::strerror(errno);
    ::freeaddrinfo(res);
    if (fd >= 0) ::close(fd);
    return fail(ErrorCode::kTemporary, "cannot listen for LMTP on " + opt_.host + ":" + port + ": " + why);
  }
  ::freeaddrinfo(res);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  port_ = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                         : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  listen_fd_ = fd;
  return {};
}

void LmtpServer::serve(const std::atomic<bool>& stop) {
  GroupCommit commit(sink_);  // outlives every session below
  // Each session has its thread and a flag it sets when done; finished ones are
  // joined (at once, they have ended) on every turn of the loop, so accepting never
  // waits for a session still running.
  struct Session {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::list<Session> sessions;
  auto reap = [&sessions] {
    for (auto it = sessions.begin(); it != sessions.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = sessions.erase(it);
      } else {
        ++it;
      }
    }
  };
  while (!stop.load()) {
    reap();
    pollfd p{listen_fd_, POLLIN, 0};
    int n = ::poll(&p, 1, 200);
    if (n <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (active_.load() >= opt_.max_connections) {
      const char busy[] = "421 4.3.2 too many connections, try again later\r\n";
      (void)!::send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL);
      ::close(fd);
      continue;
    }
    // A client that stops reading must not hold its session (and shutdown) forever.
    timeval send_timeout{30, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
    ++active_;
    auto done = std::make_shared<std::atomic<bool>>(false);
    sessions.push_back(Session{std::thread([this, fd, &stop, &commit, done] {
                                 session(fd, stop, commit);
                                 ::close(fd);
                                 --active_;
                                 done->store(true);
                               }),
                               done});
  }
  for (auto& s : sessions) s.thread.join();
}

void LmtpServer::session(int fd, const std::atomic<bool>& stop, GroupCommit& commit) {
  constexpr auto kNoDeadline = SteadyClock::time_point::max();
  Conn c(fd, stop, SteadyClock::now() + std::chrono::seconds(opt_.session_timeout_seconds));
  const std::string& host = opt_.hostname;
  // The last word to a client whose session ends without QUIT.
  auto farewell = [&] {
    if (c.ended() == LineEnd::kStopped)
      c.send("421 4.3.2 " + host + " shutting down\r\n");
    else if (c.ended() == LineEnd::kTimedOut)
      c.send("421 4.4.2 " + host + " timeout, closing the connection\r\n");
  };
  if (!c.send("220 " + host + " LMTP mailcase ready\r\n")) return;
  bool greeted = false;
  std::optional<std::string> mail_from;
  std::vector<std::string> rcpts;
  auto reset = [&] {
    mail_from.reset();
    rcpts.clear();
  };
  while (true) {
    auto line = c.line(false, kNoDeadline);
    if (!line) {
      farewell();
      return;
    }
    std::string_view cmd = *line;
    if (starts_with_ci(cmd, "LHLO")) {
      greeted = true;
      reset();
      c.send("250-" + host + "\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-SIZE " +
             std::to_string(opt_.max_size) + "\r\n250 OK\r\n");
    } else if (starts_with_ci(cmd, "MAIL FROM:")) {
      if (!greeted) {
        c.send("503 5.5.1 LHLO first\r\n");
        continue;
      }
      std::string upper = text::ascii_lower(std::string(cmd));
      if (auto p = upper.find(" size="); p != std::string::npos) {
        uint64_t declared = std::strtoull(upper.c_str() + p + 6, nullptr, 10);
        if (declared > opt_.max_size) {
          c.send("552 5.3.4 message larger than " + std::to_string(opt_.max_size) + " bytes\r\n");
          continue;
        }
      }
      reset();
      mail_from = arg_address(cmd.substr(10));  // "" for the null sender <>
      c.send("250 2.1.0 OK\r\n");
    } else if (starts_with_ci(cmd, "RCPT TO:")) {
      if (!mail_from) {
        c.send("503 5.5.1 MAIL first\r\n");
        continue;
      }
      if (rcpts.size() >= static_cast<size_t>(opt_.max_recipients)) {
        c.send("452 4.5.3 too many recipients (at most " + std::to_string(opt_.max_recipients) +
               " per mail), send the rest again\r\n");
        continue;
      }
      std::string rcpt = arg_address(cmd.substr(8));
      if (!sink_.accepts_recipient(rcpt)) {
        c.send("550 5.1.1 <" + rcpt + ">: not a support address here\r\n");
        continue;
      }
      rcpts.push_back(rcpt);
      c.send("250 2.1.5 OK\r\n");
    } else if (text::iequals(cmd, "DATA")) {
      if (!mail_from || rcpts.empty()) {
        c.send("503 5.5.1 no valid recipients\r\n");
        continue;
      }
      c.send("354 2.0.0 end data with <CR><LF>.<CR><LF>\r\n");
      const auto data_deadline = SteadyClock::now() + std::chrono::seconds(opt_.data_timeout_seconds);
      // Up to max_size bytes are kept; past it only the head stays (for the record of
      // the refused mail) and the rest is counted, not stored.
      std::string data;
      uint64_t total = 0;
      bool complete = false;
      while (auto l = c.line(true, data_deadline)) {
        if (*l == ".") {
          complete = true;
          break;
        }
        std::string_view v = *l;
        if (!v.empty() && v[0] == '.') v.remove_prefix(1);  // dot-stuffing
        total += v.size() + 2;
        if (total <= opt_.max_size) {
          data.append(v);
          data += "\r\n";
        } else if (data.size() > ingest::oversize_head_bytes(opt_.max_size)) {
          data.resize(ingest::oversize_head_bytes(opt_.max_size));
          data.shrink_to_fit();
        }
      }
      if (!complete) {  // the client went away, a deadline or a stop: nothing was acknowledged
        farewell();
        return;
      }
      const bool too_big = total > opt_.max_size;
      ingest::Envelope env{"lmtp", rcpts, *mail_from};
      auto prepared = sink_.prepare(data, env, too_big ? total : 0);
      data = std::string();
      Result<ingest::Outcome> r = prepared ? commit.deliver(std::move(*prepared))
                                           : Result<ingest::Outcome>(tl::unexpected(prepared.error()));
      std::string reply;
      for (const auto& rcpt : rcpts) {
        if (too_big) {
          // Refused whether or not its head could be recorded: never taken.
          reply += "552 5.3.4 <" + rcpt + "> message of " + std::to_string(total) + " bytes is larger than " +
                   std::to_string(opt_.max_size) + " bytes\r\n";
        } else if (r) {
          reply += "250 2.0.0 <" + rcpt + "> " + ingest::to_string(r->kind) +
                   (r->case_number ? " " + *r->case_number : std::string()) + "\r\n";
        } else {
          reply += "451 4.3.0 <" + rcpt + "> not recorded, try again later\r\n";
        }
      }
      if (!r) spdlog::warn("lmtp: mail not recorded: {}", r.error().message);
      c.send(reply);
      reset();
    } else if (text::iequals(cmd, "RSET")) {
      reset();
      c.send("250 2.0.0 OK\r\n");
    } else if (text::iequals(cmd, "NOOP")) {
      c.send("250 2.0.0 OK\r\n");
    } else if (text::iequals(cmd, "QUIT")) {
      c.send("221 2.0.0 bye\r\n");
      return;
    } else if (starts_with_ci(cmd, "VRFY")) {
      c.send("252 2.5.0 cannot verify, send it\r\n");
    } else if (starts_with_ci(cmd, "HELO") || starts_with_ci(cmd, "EHLO")) {
      c.send("500 5.5.1 this is LMTP: use LHLO\r\n");
    } else {
      c.send("500 5.5.2 command not recognised\r\n");
    }
  }
}

}  // namespace mailcase::channels
