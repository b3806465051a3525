#include "channels/lmtp_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <vector>

#include "channels/accept_loop.h"
#include "channels/byte_budget.h"
#include "channels/group_commit.h"

namespace mailcase::channels {
namespace {

using SteadyClock = lmtp::Clock;
using lmtp::LineEnd;

// How long a mail that finds the budget spent waits for other sessions' mails to give
// bytes back (their commit, or their giving way) before its recipients get 452. The
// session reads nothing meanwhile: the client's sending waits on TCP.
constexpr std::chrono::milliseconds kWaitForRoom{5000};

// Reads a socket within the deadlines of lmtp::give_up; the lines are the protocol's.
class Conn {
 public:
  static constexpr size_t kReadBytes = 64 * 1024;
  static constexpr std::chrono::milliseconds kTick{250};

  // idle: how long the client may stay silent while a line is awaited (lmtp.idle_timeout).
  Conn(int fd, const std::atomic<bool>& stop, SteadyClock::time_point session_deadline,
       std::chrono::seconds idle)
      : fd_(fd), stop_(stop), session_deadline_(session_deadline), idle_(idle) {}
  // The next bytes the client sent (at most kReadBytes); nullopt on EOF, error, a
  // deadline or stop (see ended()). data_deadline: SteadyClock::time_point::max()
  // outside DATA.
  std::optional<std::string> read(bool in_data, SteadyClock::time_point data_deadline) {
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
    // One buffer for the connection's reads: a new zeroed 64 KiB string per read cost
    // more than the rest of a small command's handling.
    if (!chunk_) {
      chunk_ = std::make_unique<char[]>(kReadBytes);
      // A read waits kTick at most (then the deadlines and a stop are looked at, and it
      // waits again): one recv(2) per read instead of a poll(2) and a recv(2).
      timeval tick{0, static_cast<suseconds_t>(kTick.count() * 1000)};
      (void)::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
    }
    idle_until_ = SteadyClock::now() + idle_;
    while (true) {
      const ssize_t n = ::recv(fd_, chunk_.get(), kReadBytes, 0);
      if (n > 0) {
        // A client that keeps sending is still bound by the deadlines.
        if (auto why = verdict(false)) return end(*why);
        return std::string(chunk_.get(), static_cast<size_t>(n));
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return end(LineEnd::kClosed);
      if (auto why = verdict(true)) return end(*why);
    }
  }
  LineEnd ended() const { return ended_; }
  // Writes all of s; false when the client is gone or given up. A client that reads a
  // little at a time keeps a blocking send going for as long as it likes, so writing is
  // bound by what bounds reading: the session deadline, a stop (after kStopGrace: a
  // reply for a mail just committed still goes out), and a client that reads nothing
  // for the accept loop's send timeout. What was not written stays unacknowledged.
  bool send(std::string_view s) {
    const auto stall = std::chrono::seconds(AcceptLimits{}.send_timeout_seconds);
    auto progress = SteadyClock::now();
    while (!s.empty()) {
      const ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        s.remove_prefix(static_cast<size_t>(n));
        progress = SteadyClock::now();
        continue;
      }
      if (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) return false;
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, 250) < 0 && errno != EINTR) return false;
      const auto now = SteadyClock::now();
      if (stop_.load() && !stop_seen_) stop_seen_ = now;
      if (now > session_deadline_ || now - progress > stall ||
          (stop_seen_ && now - *stop_seen_ > lmtp::kStopGrace))
        return false;
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
  std::chrono::seconds idle_;
  std::optional<SteadyClock::time_point> stop_seen_;
  SteadyClock::time_point idle_until_{};
  LineEnd ended_ = LineEnd::kClosed;
  std::unique_ptr<char[]> chunk_;  // kReadBytes, made at the first read
};

}  // namespace

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
  GroupCommit commit(sink_, opt_.commit_batch);  // outlives every session below
  // One mail of the largest size always fits.
  ByteBudget budget(std::max(opt_.max_buffered_bytes, opt_.max_size));
  accept_until_stopped(listen_fd_, stop,
                       {opt_.max_connections, "421 4.3.2 too many connections, try again later\r\n"},
                       [&](int fd) { session(fd, stop, commit, budget); });
}

void LmtpServer::session(int fd, const std::atomic<bool>& stop, GroupCommit& commit, ByteBudget& budget) {
  constexpr auto kNoDeadline = SteadyClock::time_point::max();
  // Each reply is sent as soon as it is due. With Nagle's algorithm a reply written while
  // the client had not yet acknowledged the one before (a PIPELINING client waits for
  // several, and delays its acknowledgment up to 40 ms) waited for that acknowledgment:
  // 22 mails/s on one connection (654 since, with the replies at hand sent together).
  const int one = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  Conn c(fd, stop, SteadyClock::now() + std::chrono::seconds(opt_.session_timeout_seconds),
         std::chrono::seconds(opt_.idle_timeout_seconds));
  // Outlives p: whatever the session's mail holds goes back however the session ends.
  ByteBudget::Reservation held(budget);
  lmtp::Protocol p(
      lmtp::Limits{opt_.hostname, opt_.max_size, opt_.max_recipients, opt_.max_line_bytes},
      [&held](uint64_t bytes) { return held.resize(bytes); },
      [&held](uint64_t bytes) { return held.resize_waiting(bytes, kWaitForRoom); });
  auto data_deadline = kNoDeadline;  // set when a DATA starts, from its 354
  auto flush = [&] {
    const std::string out = p.take_output();
    return out.empty() || c.send(out);
  };
  GroupCommit::Sender sender(commit);
  while (!p.closed()) {
    sender.mail_under_way(p.in_transaction());
    if (p.replies_due() && !flush()) return;
    switch (p.need()) {
      case lmtp::Need::kRecipientCheck:
        p.recipient_checked(sink_.accepts_recipient(p.recipient()));
        break;
      case lmtp::Need::kMailOutcome: {
        lmtp::Mail& m = p.mail();
        ingest::Envelope env{"lmtp", m.recipients, m.sender};
        commit.preparing(&sender);
        auto prepared = sink_.prepare(m.data, env, m.too_big ? m.size : 0);
        m.data = std::string();
        if (!prepared) commit.done_preparing();
        Result<ingest::Outcome> r = prepared ? commit.deliver(std::move(*prepared), &sender)
                                             : Result<ingest::Outcome>(tl::unexpected(prepared.error()));
        if (!r) spdlog::warn("lmtp: mail not recorded: {}", r.error().message);
        p.mail_done(r);
        break;
      }
      case lmtp::Need::kInput: {
        auto bytes = c.read(p.in_data(), data_deadline);
        if (!bytes) {
          // The client went away, a deadline or a stop: a DATA in hand is not acknowledged.
          p.end(c.ended());
          break;
        }
        const uint64_t refused = p.mails_refused_room();
        p.feed(*bytes);
        if (p.mails_refused_room() != refused)
          spdlog::warn(
              "lmtp: the {} bytes for mails in memory (lmtp.max_buffered_bytes) are spent: "
              "a mail is not kept, its recipients get 452",
              budget.total());
        break;
      }
      case lmtp::Need::kNothing:
        break;
    }
    if (!p.in_data())
      data_deadline = kNoDeadline;
    else if (data_deadline == kNoDeadline)
      data_deadline = SteadyClock::now() + std::chrono::seconds(opt_.data_timeout_seconds);
  }
  flush();
}

}  // namespace mailcase::channels
