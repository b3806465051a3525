#include "channels/accept_loop.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <list>
#include <memory>
#include <thread>

#include "util/fd_io.h"

namespace mailcase::channels {

void accept_until_stopped(int listen_fd, const std::atomic<bool>& stop, const AcceptLimits& limits,
                          const std::function<void(int fd)>& session) {
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
    pollfd p{listen_fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    timeval send_timeout{limits.send_timeout_seconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
    reap();  // sessions that ended since the top of the loop free their places
    if (static_cast<int>(sessions.size()) >= limits.max_connections) {
      (void)fd_io::send_all(fd, limits.busy);
      ::close(fd);
      continue;
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    sessions.push_back(Session{std::thread([fd, done, &session] {
                                 session(fd);
                                 // Its place is free before its client sees the close, so
                                 // that a client that connects again at once is not BUSY.
                                 done->store(true);
                                 ::close(fd);
                               }),
                               done});
  }
  for (auto& s : sessions) s.thread.join();
}

}  // namespace mailcase::channels
