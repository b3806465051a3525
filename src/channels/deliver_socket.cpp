#include "channels/deliver_socket.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

#include "channels/accept_loop.h"
#include "channels/group_commit.h"
#include "util/fd_io.h"
#include "util/text.h"

namespace mailcase::channels {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

DeliverSocket::DeliverSocket(ingest::MailSink& sink, DeliverAnswer answer, DeliverSocketOptions options)
    : sink_(sink), answer_(std::move(answer)), opt_(std::move(options)) {}

DeliverSocket::~DeliverSocket() {
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    ::unlink(opt_.path.c_str());
  }
}

Status DeliverSocket::listen() {
  const std::string path = opt_.path.string();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return fail(ErrorCode::kInvalidInput, "delivery socket path too long for a Unix socket: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return fail(ErrorCode::kTemporary, path + " exists and is not a socket; not removed");
    int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool live = probe >= 0 && ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (probe >= 0) ::close(probe);
    if (live) return fail(ErrorCode::kTemporary, "another serve takes deliveries on " + path);
    ::unlink(path.c_str());  // left by a serve that was killed
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return fail(ErrorCode::kTemporary, "cannot listen for deliveries on " + path + ": " + why);
  }
  // The data directory is the service user's alone; so is its socket.
  if (::chmod(path.c_str(), 0600) != 0 || ::listen(fd, 128) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    ::unlink(path.c_str());
    return fail(ErrorCode::kTemporary, "cannot listen for deliveries on " + path + ": " + why);
  }
  listen_fd_ = fd;
  return {};
}

void DeliverSocket::serve(const std::atomic<bool>& stop) {
  GroupCommit commit(sink_, opt_.commit_batch);  // outlives every session below
  // Past the bound the delivery commits by itself instead; nothing of its mail was read.
  accept_until_stopped(listen_fd_, stop, {opt_.max_connections, ingest::handoff::kBusy},
                       [&](int fd) { session(fd, stop, commit); });
}

void DeliverSocket::session(int fd, const std::atomic<bool>& stop, GroupCommit& commit) {
  namespace hf = ingest::handoff;
  if (!fd_io::send_all(fd, hf::kReady)) return;
  const auto deadline = Clock::now() + std::chrono::seconds(opt_.request_timeout_seconds);
  hf::RequestParser parser(opt_.max_size, ingest::oversize_head_bytes(opt_.max_size));
  auto buf = std::make_unique<char[]>(64 * 1024);
  while (parser.state() == hf::RequestParser::State::kNeedMore) {
    // Each wait is bounded by the silence allowed, the request's deadline and a stop.
    const auto idle_until = Clock::now() + std::chrono::seconds(opt_.idle_timeout_seconds);
    pollfd p{fd, POLLIN, 0};
    int n = 0;
    while ((n = ::poll(&p, 1, 250)) == 0 || (n < 0 && errno == EINTR)) {
      const auto now = Clock::now();
      if (stop.load() || now >= deadline || now >= idle_until) return;  // nothing recorded
    }
    if (n < 0 || Clock::now() >= deadline) return;
    ssize_t got = ::recv(fd, buf.get(), 64 * 1024, 0);
    if (got <= 0) return;  // the client went away before its end frame: nothing recorded
    parser.feed(std::string_view(buf.get(), static_cast<size_t>(got)));
  }
  if (parser.state() == hf::RequestParser::State::kBad) {
    spdlog::warn("deliver socket: request refused, nothing recorded: {}", parser.error());
    return;
  }
  const hf::Envelope& he = parser.envelope();
  ingest::Envelope env{"pipe", he.recipients};
  // As `deliver` does: a given sender is normalized ("" and "<>" the null sender); not
  // given, the mail's Return-Path stands for it.
  if (he.sender) env.sender = text::normalize_email(*he.sender);
  commit.preparing();
  auto prepared = sink_.prepare(parser.body(), env, parser.too_large() ? parser.size() : 0);
  parser.body() = std::string();
  if (!prepared) commit.done_preparing();
  Result<ingest::Outcome> r = prepared ? commit.deliver(std::move(*prepared))
                                       : Result<ingest::Outcome>(tl::unexpected(prepared.error()));
  const hf::Answer a = answer_(r);
  (void)fd_io::send_all(fd, hf::encode_answer(a.exit_code, a.json, a.err));
}

}  // namespace mailcase::channels
