#include "util/fd_io.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace mailcase::fd_io {
namespace {

template <typename Write>
bool all_of(std::string_view s, Write write) {
  while (!s.empty()) {
    const ssize_t n = write(s);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    s.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

bool send_all(int fd, std::string_view s) {
  return all_of(s,
                [fd](std::string_view rest) { return ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL); });
}

bool write_all(int fd, std::string_view s) {
  return all_of(s, [fd](std::string_view rest) { return ::write(fd, rest.data(), rest.size()); });
}

}  // namespace mailcase::fd_io
