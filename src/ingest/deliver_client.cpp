#include "ingest/deliver_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "util/fd_io.h"
#include "util/text.h"

namespace mailcase::ingest::handoff {

std::optional<Request> handoff_request(const std::vector<std::string_view>& args,
                                       std::string_view default_data_dir) {
  Request r;
  r.data_dir = std::string(default_data_dir);
  bool have_data = false, in_deliver = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    // Only single-line text: the full program refuses the rest with its own message.
    if (!text::is_clean_text(a, true)) return std::nullopt;
    std::string_view name = a;
    std::optional<std::string_view> value;
    if (auto eq = a.find('='); a.starts_with("--") && eq != a.npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      if (value->empty()) return std::nullopt;
    }
    if (!in_deliver && name == "deliver" && !value) {
      in_deliver = true;
      continue;
    }
    const bool known = in_deliver ? (name == "--recipient" || name == "--sender") : name == "--data";
    if (!known) return std::nullopt;
    if (!value) {
      if (i + 1 >= args.size()) return std::nullopt;
      value = args[++i];
      if (value->starts_with('-') || !text::is_clean_text(*value, true)) return std::nullopt;
    }
    if (name == "--data") {
      if (have_data || value->empty()) return std::nullopt;
      have_data = true;
      r.data_dir = std::string(*value);
    } else if (name == "--sender") {
      if (r.envelope.sender) return std::nullopt;
      r.envelope.sender = std::string(*value);
    } else {
      r.envelope.recipients.emplace_back(*value);
    }
  }
  if (!in_deliver) return std::nullopt;
  return r;
}

std::optional<Answer> hand_off(const std::string& data_dir, const Envelope& envelope) {
  auto header = encode_header(envelope);
  if (!header) return std::nullopt;
  const std::string path = data_dir + "/deliver.sock";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return std::nullopt;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return std::nullopt;
  // A serve that does not greet within this is taken as absent.
  timeval greet_wait{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &greet_wait, sizeof greet_wait);
  std::string greeting;
  char c = 0;
  while (greeting.size() < kMaxGreetingBytes && c != '\n') {
    ssize_t n = ::recv(fd, &c, 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    greeting += c;
  }
  if (greeting != kReady) return std::nullopt;

  // From here stdin is consumed: the outcome is serve's, or 75.
  const Answer lost{kAnswerTempFail, "",
                    "mailcase: the mail was handed to serve on " + path +
                        " and the connection was lost before its answer; try again\n"};
  timeval send_wait{600, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_wait, sizeof send_wait);
  std::string out = std::move(*header);
  constexpr size_t kRead = 64 * 1024;
  static_assert(kRead <= kMaxChunkBytes);
  auto buf = std::make_unique<char[]>(kRead);
  uint64_t total = 0;
  while (true) {
    ssize_t n = ::read(STDIN_FILENO, buf.get(), kRead);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      // No end frame: serve records nothing.
      return Answer{kAnswerTempFail, "",
                    std::string("mailcase: cannot read the mail on stdin: ") + std::strerror(errno) + "\n"};
    }
    if (n == 0) break;
    out += chunk_frame_head(static_cast<size_t>(n));
    out.append(buf.get(), static_cast<size_t>(n));
    total += static_cast<uint64_t>(n);
    if (out.size() >= 4 * kRead) {
      if (!fd_io::send_all(fd, out)) return lost;
      out.clear();
    }
  }
  out += end_frame(total);
  if (!fd_io::send_all(fd, out)) return lost;

  // serve answers after the commit; its own deadline (deliver.request_timeout) ends a
  // request long before this one.
  timeval answer_wait{3600, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &answer_wait, sizeof answer_wait);
  std::string in;
  Answer a;
  while (true) {
    ssize_t n = ::recv(fd, buf.get(), kRead, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return lost;
    in.append(buf.get(), static_cast<size_t>(n));
    switch (parse_answer(in, a)) {
      case AnswerState::kDone:
        return a;
      case AnswerState::kBad:
        return lost;
      case AnswerState::kNeedMore:
        break;
    }
  }
}

}  // namespace mailcase::ingest::handoff
