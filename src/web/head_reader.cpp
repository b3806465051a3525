#include "web/head_reader.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace mailcase::web {

size_t first_to_close(const std::vector<Waiting>& held) {
  const auto it = std::min_element(held.begin(), held.end(), [](const Waiting& a, const Waiting& b) {
    return a.lingering != b.lingering ? a.lingering : a.since < b.since;
  });
  return static_cast<size_t>(it - held.begin());
}

void socket_address(int fd, bool local, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if ((local ? ::getsockname(fd, sa, &len) : ::getpeername(fd, sa, &len)) != 0) return;
  std::array<char, NI_MAXHOST> host{};
  std::array<char, NI_MAXSERV> serv{};
  if (::getnameinfo(sa, len, host.data(), host.size(), serv.data(), serv.size(),
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host.data();
    port = std::atoi(serv.data());
  }
}

HeadReader::HeadReader(const HttpLimits& limits, RequestArrival::BodyLimit body_limit_of, Ready ready)
    : limits_(limits), body_limit_of_(std::move(body_limit_of)), ready_(std::move(ready)) {
  if (::pipe2(wake_, O_NONBLOCK | O_CLOEXEC) != 0) {
    // Without its pipe the thread still turns once a second (see run()).
    spdlog::error("http: no pipe to wake the connection reader: {}", std::strerror(errno));
    wake_[0] = wake_[1] = -1;
  }
  thread_ = std::thread([this] { run(); });
}

HeadReader::~HeadReader() {
  stop();
  for (int fd : wake_)
    if (fd >= 0) ::close(fd);
}

void HeadReader::close_fd(int fd) {
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

void HeadReader::add(int fd) {
  Held h;
  h.fd = fd;
  h.started = SteadyClock::now();
  give(std::move(h));
}

void HeadReader::keep(Connection c) {
  Held h;
  h.fd = c.fd;
  h.answered = c.answered;
  h.buf = std::move(c.read_ahead);
  // The next request's first bytes came with the last one's: its clock runs from now.
  h.mode = h.buf.empty() ? Mode::kIdle : Mode::kRequest;
  h.started = SteadyClock::now();
  give(std::move(h));
}

void HeadReader::linger(int fd) {
  Held h;
  h.fd = fd;
  h.mode = Mode::kLinger;
  ::shutdown(fd, SHUT_WR);
  give(std::move(h));
}

void HeadReader::give(Held h) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      given_.push_back(std::move(h));
      h.fd = -1;
    }
  }
  if (h.fd >= 0) {
    close_fd(h.fd);
    return;
  }
  if (wake_[1] >= 0) (void)!::write(wake_[1], "w", 1);
}

void HeadReader::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  if (wake_[1] >= 0) (void)!::write(wake_[1], "s", 1);
  if (thread_.joinable()) thread_.join();
}

bool HeadReader::adopt() {
  std::vector<Held> given;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    given.swap(given_);
  }
  const auto now = SteadyClock::now();
  for (auto& h : given) {
    h.since = now;
    switch (h.mode) {
      case Mode::kRequest:
        start_request(h, h.started);
        break;
      case Mode::kIdle:
        h.deadline = now + kKeepAlive;
        break;
      case Mode::kLinger:
        h.deadline = now + kLinger;
        break;
    }
    evict_to(static_cast<size_t>(std::max(limits_.max_connections, 1)) - 1);
    held_.push_back(std::move(h));
    // A kept-alive connection may bring its next request whole.
    if (held_.back().mode == Mode::kRequest && !held_.back().buf.empty() && !progress(held_.back(), 0))
      held_.pop_back();
  }
  return true;
}

// Closes the connections that have waited longest, lingering ones first (their answer
// is written), until at most `room` are held.
void HeadReader::evict_to(size_t room) {
  std::vector<Waiting> waiting;
  while (held_.size() > room) {
    waiting.clear();
    for (const auto& h : held_) waiting.push_back({h.mode == Mode::kLinger, h.since});
    const size_t victim = first_to_close(waiting);
    close_fd(held_[victim].fd);
    remove_held(victim);
    ++evicted_;
    const auto now = SteadyClock::now();
    if (now - evictions_logged_ > std::chrono::seconds(10)) {
      evictions_logged_ = now;
      spdlog::warn(
          "http: {} connections held at once (http.max_connections); closed the one waiting longest "
          "({} so far)",
          limits_.max_connections, evicted_);
    }
  }
}

// h reads a request whose first byte came at `started`: its deadline runs from then.
void HeadReader::start_request(Held& h, SteadyClock::time_point started) {
  h.mode = Mode::kRequest;
  h.started = started;
  h.deadline = started + std::chrono::seconds(limits_.request_timeout_seconds);
  h.arrival = RequestArrival(limits_.max_head_bytes);
  h.continued = false;
}

bool HeadReader::long_body(const Held& h) {
  return h.mode == Mode::kRequest && h.arrival.head_read() && h.arrival.plan().read_ahead > kShortBody;
}

// Removes held_[i], the last taking its place (never moved onto itself: that would empty
// it).
void HeadReader::remove_held(size_t i) {
  if (i + 1 != held_.size()) held_[i] = std::move(held_.back());
  held_.pop_back();
}

void HeadReader::run() {
  std::vector<pollfd> fds;
  while (adopt()) {
    const auto now = SteadyClock::now();
    auto next = now + std::chrono::seconds(1);
    for (size_t i = 0; i < held_.size();) {
      if (held_[i].deadline <= now && !on_deadline(held_[i])) {
        remove_held(i);
        continue;
      }
      next = std::min(next, held_[i].deadline);
      ++i;
    }
    // The long bodies read ahead: past the budget only the one holding the most reads on.
    size_t in_use = 0, largest = 0;
    for (const auto& h : held_)
      if (long_body(h)) {
        in_use += h.buf.size();
        largest = std::max(largest, h.buf.size());
      }
    fds.clear();
    fds.push_back({wake_[0], POLLIN, 0});
    for (const auto& h : held_) {
      const bool reads =
          !long_body(h) || may_read_body(h.buf.size(), in_use, largest, limits_.max_buffered_bytes);
      fds.push_back({h.fd, static_cast<short>(reads ? POLLIN : 0), 0});
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count() + 1;
    const int r = ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<long long>(wait, 1, 1000)));
    if (r <= 0) continue;
    if (fds[0].revents != 0) {
      std::array<char, 64> sink;
      while (wake_[0] >= 0 && ::read(wake_[0], sink.data(), sink.size()) > 0) {
      }
    }
    // held_[i] is fds[i + 1]; those done with here are removed after the pass.
    std::vector<bool> done(held_.size(), false);
    for (size_t i = 0; i < held_.size(); ++i)
      if (fds[i + 1].revents != 0) done[i] = !on_readable(held_[i]);
    size_t kept = 0;
    for (size_t i = 0; i < held_.size(); ++i) {
      if (done[i]) continue;
      if (kept != i) held_[kept] = std::move(held_[i]);  // never onto itself: that empties it
      ++kept;
    }
    held_.resize(kept);
  }
  for (auto& h : held_) close_fd(h.fd);
  held_.clear();
  std::lock_guard lock(mu_);
  for (auto& h : given_) close_fd(h.fd);
  given_.clear();
}

bool HeadReader::on_readable(Held& h) {
  std::array<char, 16 * 1024> chunk;
  ssize_t n;
  do n = ::recv(h.fd, chunk.data(), chunk.size(), MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
  if (n <= 0) {  // the client closed, or the connection failed: nothing to answer
    close_fd(h.fd);
    return false;
  }
  if (h.mode == Mode::kLinger) return true;  // dropped
  if (h.mode == Mode::kIdle) start_request(h, SteadyClock::now());
  const size_t from = h.buf.size();
  h.buf.append(chunk.data(), static_cast<size_t>(n));
  return progress(h, from);
}

bool HeadReader::progress(Held& h, size_t from) {
  switch (h.arrival.feed(h.buf, from, body_limit_of_)) {
    case RequestArrival::Step::kMore:
      return true;
    case RequestArrival::Step::kContinue: {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      // Best effort, as a refusal: nothing was written on the connection since its last
      // answer. Unsent, the client sends its body after its own wait all the same.
      h.continued = ::send(h.fd, kContinue.data(), kContinue.size(), MSG_NOSIGNAL | MSG_DONTWAIT) ==
                    static_cast<ssize_t>(kContinue.size());
      return true;
    }
    case RequestArrival::Step::kRefuse:
      refuse(h, h.arrival.refusal_status());
      return true;  // lingers
    case RequestArrival::Step::kReady:
      break;
  }
  Connection c{h.fd, std::move(h.buf), h.continued, h.answered, h.started};
  h.fd = -1;
  ready_(std::move(c));
  return false;
}

bool HeadReader::on_deadline(Held& h) {
  switch (h.mode) {
    case Mode::kIdle:  // a kept-alive connection that was not used again
    case Mode::kLinger:
      close_fd(h.fd);
      return false;
    case Mode::kRequest:
      refuse(h, 408);
      return true;
  }
  return false;
}

void HeadReader::refuse(Held& h, int status) {
  std::string ip;
  int port = 0;
  socket_address(h.fd, false, ip, port);
  spdlog::info("http: {} {} to {}", status, status_text(status), ip);
  const std::string r = refusal_response(status);
  // Best effort: nothing else was written on the connection since its last answer.
  (void)::send(h.fd, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(h.fd, SHUT_WR);
  h.mode = Mode::kLinger;
  h.buf.clear();
  h.buf.shrink_to_fit();
  h.deadline = SteadyClock::now() + kLinger;
}

}  // namespace mailcase::web
