// The connections of the HTTP server between answers, held by one thread (internal to
// src/web/, used by http_server.cpp).
//
// A worker is taken only by a request that is there to answer: its whole head, and its
// whole body when that is short (a form, a JSON call). Until then the connection waits
// here, with every other one, in one poll(): a new connection for its first request, a
// kept-alive one for its next, a client still sending a head a byte at a time, and one
// whose request was refused, whose sender's bytes are read and dropped for a moment so
// that it reads the answer rather than a reset. So clients that are slow, or that keep
// connections open and idle, hold no worker: the workers stay for the requests that
// came whole.
//
// A longer body (an upload to the API, up to its area's limit) is read here too, so that
// a client sending one slowly holds no worker either; a client that waits for "100
// Continue" gets it from here. Those bodies share limits.max_buffered_bytes: past it only
// the one holding the most is read on, the others wait (their deadline running).
//
// Bounds: a head at most limits.max_head_bytes (past it 414/431 and the connection is
// closed); a request's head and body within limits.request_timeout_seconds of its first
// byte (past it 408); an idle kept-alive connection kKeepAlive; at most
// limits.max_connections held at once: past it the one that has waited longest is closed;
// and the long bodies read ahead within limits.max_buffered_bytes and one body.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "web/http_guard.h"

namespace mailcase::web {

using SteadyClock = std::chrono::steady_clock;

// How long a kept-alive connection may wait idle for its next request.
inline constexpr auto kKeepAlive = std::chrono::seconds(5);
// After refusing a request whose body was not read, what the client still sends is read
// and dropped for this long, so that it reads our answer instead of a reset.
inline constexpr auto kLinger = std::chrono::seconds(2);
// A body up to this long (a form, a JSON call) is read ahead whatever the others hold;
// longer ones share limits.max_buffered_bytes.
inline constexpr size_t kShortBody = 64 * 1024;

// A connection with a request to answer.
struct Connection {
  int fd = -1;
  // The bytes read of the request: its whole head and body (unless a worker is to refuse
  // it from its head), perhaps more.
  std::string read_ahead;
  bool continued = false;             // "100 Continue" was answered: the worker must not again
  size_t answered = 0;                // requests answered on the connection before it
  SteadyClock::time_point started{};  // its first byte: its deadline is this + request_timeout
};

// A connection held, as the choice of which to close when too many are sees it.
struct Waiting {
  bool lingering = false;           // its request was refused and answered: closing it loses least
  SteadyClock::time_point since{};  // when it came to wait
};
// Which of the connections held (at least one) to close first: a lingering one before any
// other, and of those the one that has waited longest.
size_t first_to_close(const std::vector<Waiting>& held);

// The address of a socket's end as text (ip, port); empty when unknown.
void socket_address(int fd, bool local, std::string& ip, int& port);

class HeadReader {
 public:
  // ready: called on the reader's thread with each connection whose request is there to
  // answer; it must not block (it queues the connection for a worker).
  using Ready = std::function<void(Connection)>;

  // body_limit_of: the body limit of a request target, as the worker will apply it.
  HeadReader(const HttpLimits& limits, RequestArrival::BodyLimit body_limit_of, Ready ready);
  ~HeadReader();  // stop()
  HeadReader(const HeadReader&) = delete;
  HeadReader& operator=(const HeadReader&) = delete;

  // A new connection: waits for its first request.
  void add(int fd);
  // A connection whose last request was answered (answered counts it): waits up to
  // kKeepAlive for the next, whose start may be in c.read_ahead already.
  void keep(Connection c);
  // A connection whose request was refused unread: stops sending, reads and drops what
  // comes for up to kLinger, then closes.
  void linger(int fd);
  // Closes every connection held, and from now on each one given; returns once the
  // thread has ended.
  void stop();

 private:
  enum class Mode { kRequest, kIdle, kLinger };
  struct Held {
    int fd = -1;
    Mode mode = Mode::kRequest;
    std::string buf;
    RequestArrival arrival{0};
    bool continued = false;
    size_t answered = 0;
    SteadyClock::time_point since{};    // when it came here: the longest waiting goes first
    SteadyClock::time_point started{};  // its request's first byte
    SteadyClock::time_point deadline{};
  };

  void give(Held h);
  void run();
  // Takes what was given since the last turn; false once stopping.
  bool adopt();
  // Reads what h's socket has; false when h is done with here (handed over or closed).
  bool on_readable(Held& h);
  // Looks at h's bytes after `from`; false when h was handed over or refused.
  bool progress(Held& h, size_t from);
  bool on_deadline(Held& h);
  // Whether h is reading a body that counts against limits_.max_buffered_bytes.
  static bool long_body(const Held& h);
  void refuse(Held& h, int status);
  void start_request(Held& h, SteadyClock::time_point started);
  void evict_to(size_t room);
  void remove_held(size_t i);
  static void close_fd(int fd);

  HttpLimits limits_;
  RequestArrival::BodyLimit body_limit_of_;
  Ready ready_;
  std::mutex mu_;
  std::vector<Held> given_;  // under mu_
  bool stopping_ = false;    // under mu_
  int wake_[2] = {-1, -1};   // a pipe: given_ or stopping_ changed
  std::vector<Held> held_;   // the thread's own
  size_t evicted_ = 0;
  SteadyClock::time_point evictions_logged_{};
  std::thread thread_;
};

}  // namespace mailcase::web
