// The accept loop LMTP and the delivery socket share (channels/accept_loop.h), on a real
// Unix socket: past the bound a connection is told `busy` and closed, a session that ends
// frees its place, and a stop returns only once every session has returned.
#include "channels/accept_loop.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>

#include "support/test_support.h"

namespace mailcase::channels {
namespace {

sockaddr_un address_of(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  return a;
}

int connect_to(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_un a = address_of(path);
  EXPECT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0) << std::strerror(errno);
  return fd;
}

// Everything the peer sends until it closes, or what came within 10 s.
std::string read_to_end(int fd) {
  std::string got;
  char buf[256];
  pollfd p{fd, POLLIN, 0};
  while (::poll(&p, 1, 10'000) > 0) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

// The first line the peer sends (a session's greeting), within 10 s.
std::string read_line(int fd) {
  std::string got;
  char c;
  pollfd p{fd, POLLIN, 0};
  while (got.find('\n') == std::string::npos && ::poll(&p, 1, 10'000) > 0 && ::recv(fd, &c, 1, 0) == 1)
    got += c;
  return got;
}

TEST(AcceptLoop, PastTheBoundABusyAnswerAndAnEndedSessionFreesItsPlace) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "s.sock").string();
  const int listen_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_un a = address_of(path);
  ASSERT_EQ(::bind(listen_fd, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(listen_fd, 16), 0);

  std::atomic<bool> stop{false}, release{false};
  std::atomic<int> sessions_run{0}, sessions_returned{0};
  std::thread loop([&] {
    accept_until_stopped(listen_fd, stop, {1, "BUSY\n"}, [&](int fd) {
      const std::string hello = "HELLO " + std::to_string(++sessions_run) + "\n";
      (void)::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL);
      while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      ++sessions_returned;
    });
  });

  const int first = connect_to(path);
  EXPECT_EQ(read_line(first), "HELLO 1\n");
  const int second = connect_to(path);
  EXPECT_EQ(read_to_end(second), "BUSY\n");  // told and closed; no session ran for it
  EXPECT_EQ(sessions_run.load(), 1);

  release = true;
  EXPECT_EQ(read_to_end(first), "");  // its session returned: the loop closed it
  const int third = connect_to(path);
  EXPECT_EQ(read_line(third), "HELLO 2\n");

  stop = true;
  loop.join();
  EXPECT_EQ(sessions_returned.load(), 2);
  for (int fd : {first, second, third, listen_fd}) ::close(fd);
}

TEST(AcceptLoop, AStopWaitsForTheSessionsStillRunning) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "s.sock").string();
  const int listen_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_un a = address_of(path);
  ASSERT_EQ(::bind(listen_fd, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(listen_fd, 16), 0);

  std::atomic<bool> stop{false}, loop_returned{false};
  std::atomic<int> started{0};
  std::atomic<bool> release{false};
  std::thread loop([&] {
    accept_until_stopped(listen_fd, stop, {4, "BUSY\n"}, [&](int) {
      ++started;
      while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    });
    loop_returned = true;
  });
  const int c1 = connect_to(path), c2 = connect_to(path);
  for (int i = 0; i < 2000 && started.load() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(started.load(), 2);
  stop = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // past the loop's 200 ms poll
  EXPECT_FALSE(loop_returned.load());                           // two sessions are still running
  release = true;
  loop.join();
  EXPECT_TRUE(loop_returned.load());
  for (int fd : {c1, c2, listen_fd}) ::close(fd);
}

}  // namespace
}  // namespace mailcase::channels
