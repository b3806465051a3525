// Writing whole buffers to a file descriptor. Libc alone, so that the static delivery
// client (app/deliver_client_main.cpp) links it as the servers do.
#pragma once

#include <string_view>

namespace mailcase::fd_io {

// Sends every byte of s on a connected socket, retrying short writes and EINTR. False when
// the peer is gone or the socket's send timeout (SO_SNDTIMEO) ran out; never raises SIGPIPE.
[[nodiscard]] bool send_all(int fd, std::string_view s);

// The same for any descriptor (a pipe, a file, a terminal), with write(2).
bool write_all(int fd, std::string_view s);

}  // namespace mailcase::fd_io
