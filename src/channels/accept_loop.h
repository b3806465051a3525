// The accept loop the delivery servers share (LMTP, lmtp_server.h; the delivery socket,
// deliver_socket.h): one thread per connection, a bound on connections at once, and a
// send timeout on each, so that a client that stops reading cannot hold its session, or
// a shutdown, forever.
#pragma once

#include <atomic>
#include <functional>
#include <string_view>

namespace mailcase::channels {

struct AcceptLimits {
  int max_connections = 1;  // past this many at once, a connection gets `busy` and is closed
  std::string_view busy;    // what such a connection is told; nothing of its request is read
  int send_timeout_seconds = 30;
};

// Accepts connections on listen_fd until stop is set and runs session(fd) for each on a
// thread of its own; the fd is closed when session returns. Finished threads are joined
// on every turn, so accepting never waits for a session still running. Returns once every
// session has returned.
void accept_until_stopped(int listen_fd, const std::atomic<bool>& stop, const AcceptLimits& limits,
                          const std::function<void(int fd)>& session);

}  // namespace mailcase::channels
