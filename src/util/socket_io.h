// Writing to a connected socket. Libc alone, so that the static delivery client
// (app/deliver_client_main.cpp) links it as the servers do.
#pragma once

#include <string_view>

namespace mailcase::net_io {

// Sends every byte of s, retrying short writes and EINTR. False when the peer is gone or
// the socket's send timeout (SO_SNDTIMEO) ran out; never raises SIGPIPE.
[[nodiscard]] bool send_all(int fd, std::string_view s);

}  // namespace mailcase::net_io
