// deliver: one mail from stdin, as an MTA's pipe runs it. Registered by `mailcase` and by
// `mailcase-deliver`, the same command line in a program that links only what a delivery
// needs (see CMakeLists.txt).
//
// When `serve` runs on the data directory it takes the mail over DATA_DIR/deliver.sock
// (channels/deliver_socket.h) and commits it with the others arriving at that moment;
// otherwise the delivery commits by itself. Either way the same JSON, stderr text and exit
// code, and exit 0 only once the commit is on disk.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>

#include "app/app.h"
#include "ingest/deliver_protocol.h"
#include "present/json.h"
#include "util/text.h"

namespace mailcase::app {

namespace hf = ingest::handoff;

hf::Answer deliver_answer(const Result<ingest::Outcome>& r) {
  hf::Answer a;
  if (!r) {
    // Cannot record it now: the MTA must keep the mail and try again.
    a.exit_code = kExitTempFail;
    a.err = "mailcase: " + r.error().message + "\n";
    return a;
  }
  a.exit_code = kExitOk;
  a.json = json_text(present::outcome_json(*r));
  if (r->too_large) {
    // The MTA bounces it with this reason; only its head is kept, on its record.
    a.exit_code = kExitDataErr;
    a.err = "mailcase: mail refused: " + r->reason + " (limits.max_message_bytes)\n";
  }
  return a;
}

namespace {

// Prints an outcome as `deliver` does and ends the process with its code. Done: the
// outcome is printed and its commit is on disk. Closing the store (no checkpoint on
// close: it writes nothing) and freeing the runtime would only give memory back, ~4% of
// a plain delivery's instructions, so the process ends here, as it may at any moment
// (the kill -9 tests).
[[noreturn]] void finish(const hf::Answer& a) {
  if (!a.json.empty()) std::cout << a.json << "\n";
  std::cerr << a.err;
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(a.exit_code);
}

bool send_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    s.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Hands the mail on stdin to a running serve. nullopt: not handed over (no socket, nobody
// listening, a path too long, BUSY, no greeting, an envelope the framing cannot carry)
// and stdin untouched: the delivery commits by itself. Otherwise serve's answer, or exit
// 75 when the connection was lost after stdin was read (the MTA tries again; a mail
// recorded already comes back as a duplicate). Reads neither the configuration nor the
// store: a delivery that goes this way costs its process start and a few system calls.
std::optional<hf::Answer> hand_off(const std::string& data_dir, const hf::Envelope& envelope) {
  auto header = hf::encode_header(envelope);
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
  while (greeting.size() < hf::kMaxGreetingBytes && c != '\n') {
    ssize_t n = ::recv(fd, &c, 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    greeting += c;
  }
  if (greeting != hf::kReady) return std::nullopt;

  // From here stdin is consumed: the outcome is serve's, or 75.
  const hf::Answer lost{kExitTempFail, "",
                        "mailcase: the mail was handed to serve on " + path +
                            " and the connection was lost before its answer; try again\n"};
  timeval send_wait{600, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_wait, sizeof send_wait);
  std::string out = std::move(*header);
  constexpr size_t kRead = 64 * 1024;
  static_assert(kRead <= hf::kMaxChunkBytes);
  auto buf = std::make_unique<char[]>(kRead);
  uint64_t total = 0;
  while (true) {
    ssize_t n = ::read(STDIN_FILENO, buf.get(), kRead);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::cerr << "mailcase: cannot read the mail on stdin: " << std::strerror(errno) << "\n";
      return hf::Answer{kExitTempFail, "", ""};  // no end frame: serve records nothing
    }
    if (n == 0) break;
    out += hf::chunk_frame_head(static_cast<size_t>(n));
    out.append(buf.get(), static_cast<size_t>(n));
    total += static_cast<uint64_t>(n);
    if (out.size() >= 4 * kRead) {
      if (!send_all(fd, out)) return lost;
      out.clear();
    }
  }
  out += hf::end_frame(total);
  if (!send_all(fd, out)) return lost;

  // serve answers after the commit; its own deadline (deliver.request_timeout) ends a
  // request long before this one.
  timeval answer_wait{3600, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &answer_wait, sizeof answer_wait);
  std::string in;
  hf::Answer a;
  while (true) {
    ssize_t n = ::recv(fd, buf.get(), kRead, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return lost;
    in.append(buf.get(), static_cast<size_t>(n));
    switch (hf::parse_answer(in, a)) {
      case hf::AnswerState::kDone:
        return a;
      case hf::AnswerState::kBad:
        return lost;
      case hf::AnswerState::kNeedMore:
        break;
    }
  }
}

}  // namespace

void register_deliver_command(CLI::App& app, Globals& g) {
  {
    auto* deliver =
        app.add_subcommand("deliver", "record one mail from stdin (for the MTA: exit 75 = retry)");
    auto recipients = std::make_shared<std::vector<std::string>>();
    deliver->add_option("--recipient", *recipients, "envelope recipient (repeatable)");
    auto sender = std::make_shared<std::string>();
    auto* sender_opt = deliver->add_option(
        "--sender", *sender,
        "envelope sender as the MTA has it (Postfix: ${sender}); '' or '<>' for the null sender");
    deliver->callback([&g, recipients, sender, sender_opt] {
      g.action = [&g, recipients, sender, sender_opt] {
        // Before anything costly: a running serve takes the mail if it can.
        hf::Envelope he{std::nullopt, *recipients};
        if (sender_opt->count() > 0) he.sender = *sender;
        if (auto a = hand_off(g.data_dir, he)) finish(*a);

        auto p = open_runtime(g);
        if (!p) {
          // Cannot record it now: the MTA must keep the mail and try again.
          if (g.exit_code == kExitConfig) g.exit_code = kExitTempFail;
          return;
        }
        ingest::Envelope env{"pipe", *recipients};
        // Given: the MTA tells us (an empty one, "<>", is the null sender). Not given: the
        // mail's Return-Path, if any, stands for it. serve applies the same rule to a mail
        // handed over (channels/deliver_socket.cpp).
        if (sender_opt->count() > 0) env.sender = text::normalize_email(*sender);
        finish(deliver_answer(p->ingest().deliver_stream(std::cin, env)));
      };
    });
  }
}

}  // namespace mailcase::app
