#include "channels/net.h"

#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>
#include <netdb.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <optional>
#include <string_view>
#include <utility>

#include "channels/imap_screen.h"
#include "util/text.h"

namespace mailcase::channels {
namespace {

Result<int> tcp_connect(const Endpoint& ep) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(ep.port);
  int rc = ::getaddrinfo(ep.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    return fail(ErrorCode::kTemporary, "name resolution of " + ep.host + " failed: " + ::gai_strerror(rc));
  }
  std::string last = "no address";
  int fd = -1;
  for (addrinfo* a = res; a; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    // Non-blocking connect with a timeout, then back to blocking for libetpan.
    int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int c = ::connect(fd, a->ai_addr, a->ai_addrlen);
    int err = c == 0 ? 0 : errno;
    if (err == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int n = ::poll(&p, 1, ep.timeout_s * 1000);
      if (n <= 0) {
        err = ETIMEDOUT;
      } else {
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      }
    }
    if (err == 0) {
      ::fcntl(fd, F_SETFL, flags);
      break;
    }
    last = std::strerror(err);
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd < 0)
    return fail(ErrorCode::kTemporary, "connection to " + ep.host + ":" + port + " failed: " + last);
  return fd;
}

// The end-of-stream guard (end_of_stream_is_an_error): a low-level stream wrapping
// another, the same in everything but its reads: a read of 0 bytes (the server closed)
// becomes -1 (an error), and so does a read past the reply's bounds (ReplyBounds), counted
// from the client's last write (its last command).
struct Guard {
  mailstream_low* inner;
  ReplyBounds bounds;
  uint64_t read = 0;                            // bytes read since the last write
  std::chrono::steady_clock::time_point since;  // the last write (or the stream's start)
  bool broken = false;  // a reply broke the bounds: the connection is read no more (nor its LOGOUT's reply)
  std::unique_ptr<ImapReplyScreen> screen;  // IMAP: replies judged before libetpan reads them
  std::string peer;                         // the server, for the log
};
Guard* guard_of(mailstream_low* s) {
  return static_cast<Guard*>(s->data);
}
mailstream_low* inner_of(mailstream_low* s) {
  return guard_of(s)->inner;
}
// One read of the server's bytes within the reply's bounds: -1 past them, at an error, or
// at the end of the stream.
ssize_t bounded_read(Guard& g, void* buf, size_t count) {
  if (g.broken) return -1;
  if (g.bounds.max_bytes > 0) {
    if (g.read >= g.bounds.max_bytes) {
      g.broken = true;
      return -1;
    }
    count = static_cast<size_t>(std::min<uint64_t>(count, g.bounds.max_bytes - g.read));
  }
  if (g.bounds.min_bytes_per_second > 0) {
    // A server that sends a byte now and then, never enough to be timed out, would keep
    // the client reading one reply for ever.
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - g.since).count();
    if (elapsed > g.bounds.grace_seconds &&
        g.read < static_cast<uint64_t>(elapsed) * g.bounds.min_bytes_per_second) {
      g.broken = true;
      return -1;
    }
  }
  ssize_t r = mailstream_low_read(g.inner, buf, count);
  if (r > 0) g.read += static_cast<uint64_t>(r);
  return r == 0 ? -1 : r;
}
ssize_t guard_read(mailstream_low* s, void* buf, size_t count) {
  Guard& g = *guard_of(s);
  if (!g.screen) return bounded_read(g, buf, count);
  // Reads until the screen has judged some bytes: a line is held back until it has been
  // seen whole (or enough of it), so libetpan never reads a line the screen refuses.
  while (g.screen->ready().empty()) {
    if (g.screen->refused()) {
      if (!g.broken)
        spdlog::warn("IMAP server {}: reply refused, the connection is dropped: {}", g.peer,
                     *g.screen->refused());
      g.broken = true;
      return -1;
    }
    char chunk[16384];
    const ssize_t r = bounded_read(g, chunk, sizeof chunk);
    if (r < 0) return -1;
    g.screen->take(std::string_view(chunk, static_cast<size_t>(r)));
  }
  const std::string_view ready = g.screen->ready();
  const size_t n = std::min(count, ready.size());
  std::memcpy(buf, ready.data(), n);
  g.screen->consume(n);
  return static_cast<ssize_t>(n);
}
ssize_t guard_write(mailstream_low* s, const void* buf, size_t count) {
  Guard& g = *guard_of(s);
  g.read = 0;
  g.since = std::chrono::steady_clock::now();
  return mailstream_low_write(g.inner, buf, count);
}
int guard_close(mailstream_low* s) {
  return mailstream_low_close(inner_of(s));
}
int guard_get_fd(mailstream_low* s) {
  return mailstream_low_get_fd(inner_of(s));
}
void guard_free(mailstream_low* s) {
  mailstream_low_free(inner_of(s));  // frees, does not close: STARTTLS goes on on the same socket
  delete guard_of(s);
  std::free(s);  // as libetpan's own drivers free theirs (malloc'd by mailstream_low_new)
}
void guard_cancel(mailstream_low* s) {
  mailstream_low_cancel(inner_of(s));
}
struct mailstream_cancel* guard_get_cancel(mailstream_low* s) {
  return mailstream_low_get_cancel(inner_of(s));
}
carray* guard_certificate_chain(mailstream_low* s) {
  return mailstream_low_get_certificate_chain(inner_of(s));
}
int guard_setup_idle(mailstream_low* s) {
  return mailstream_low_setup_idle(inner_of(s));
}
int guard_unsetup_idle(mailstream_low* s) {
  return mailstream_low_unsetup_idle(inner_of(s));
}
int guard_interrupt_idle(mailstream_low* s) {
  return mailstream_low_interrupt_idle(inner_of(s));
}

mailstream_low_driver kEndOfStreamGuard = {
    guard_read,       guard_write,        guard_close,         guard_get_fd,
    guard_free,       guard_cancel,       guard_get_cancel,    guard_certificate_chain,
    guard_setup_idle, guard_unsetup_idle, guard_interrupt_idle};

}  // namespace

void end_of_stream_is_an_error(mailstream* stream, const ReplyBounds& bounds) {
  mailstream_low* inner = mailstream_get_low(stream);
  if (!inner || inner->driver == &kEndOfStreamGuard) return;
  auto* g = new (std::nothrow) Guard{inner, bounds, 0, std::chrono::steady_clock::now()};
  if (!g) return;  // out of memory: the stream stays as libetpan made it
  mailstream_low* guard = mailstream_low_new(g, &kEndOfStreamGuard);
  if (!guard) {
    delete g;
    return;
  }
  mailstream_low_set_timeout(guard, mailstream_low_get_timeout(inner));
  mailstream_set_low(stream, guard);
}

namespace {
// The guard end_of_stream_is_an_error put under `stream`, or nullptr (another stream).
Guard* guard_under(mailstream* stream) {
  mailstream_low* low = stream ? mailstream_get_low(stream) : nullptr;
  return low && low->driver == &kEndOfStreamGuard ? guard_of(low) : nullptr;
}
}  // namespace

void screen_imap_replies(mailstream* stream, bool greeting_first, std::string_view peer) {
  Guard* g = guard_under(stream);
  if (!g) return;
  g->screen = std::make_unique<ImapReplyScreen>(greeting_first);
  g->peer = std::string(peer);
}

bool reply_bytes_held(mailstream* stream) {
  Guard* g = guard_under(stream);
  return g && g->screen && !g->screen->ready().empty();
}

std::optional<std::string> refused_reply(mailstream* stream) {
  Guard* g = guard_under(stream);
  return g && g->screen ? g->screen->refused() : std::nullopt;
}

uint64_t set_reply_max_bytes(mailstream* stream, uint64_t max_bytes) {
  Guard* g = guard_under(stream);
  return g ? std::exchange(g->bounds.max_bytes, max_bytes) : 0;
}

void set_server_name_callback(struct mailstream_ssl_context* ctx, void* data) {
  mailstream_ssl_set_server_name(ctx, static_cast<char*>(data));
}

Result<mailstream*> open_stream(const Endpoint& ep) {
  MC_ASSIGN_OR_RETURN(auto fd, tcp_connect(ep));
  mailstream* s = nullptr;
  if (ep.tls == domain::TlsMode::kImplicit) {
    s = mailstream_ssl_open_with_callback_timeout(fd, ep.timeout_s, set_server_name_callback,
                                                  const_cast<char*>(ep.host.c_str()));
    if (!s) {
      ::close(fd);
      return fail(ErrorCode::kTemporary, "TLS handshake with " + ep.host + ":" + std::to_string(ep.port) +
                                             " failed (is the port for implicit TLS?)");
    }
    if (auto v = verify_certificate(s, ep); !v) {
      mailstream_close(s);
      return tl::unexpected(v.error());
    }
  } else {
    s = mailstream_socket_open_timeout(fd, ep.timeout_s);
    if (!s) {
      ::close(fd);
      return fail(ErrorCode::kTemporary, "cannot open a stream to " + ep.host);
    }
  }
  end_of_stream_is_an_error(s, ep.bounds);
  return s;
}

Status verify_certificate(mailstream* stream, const Endpoint& ep) {
  if (!ep.tls_verify) return {};
  carray* chain = mailstream_get_certificate_chain(stream);
  if (!chain || carray_count(chain) == 0) {
    if (chain) mailstream_certificate_chain_free(chain);
    return fail(ErrorCode::kTemporary, "certificate: the server sent none");
  }
  gnutls_x509_trust_list_t trust = nullptr;
  gnutls_x509_trust_list_init(&trust, 0);
  std::vector<gnutls_x509_crt_t> certs;
  auto cleanup = [&] {
    for (auto c : certs) gnutls_x509_crt_deinit(c);
    gnutls_x509_trust_list_deinit(trust, 1);
    mailstream_certificate_chain_free(chain);
  };
  int added = ep.ca_file.empty() ? gnutls_x509_trust_list_add_system_trust(trust, 0, 0)
                                 : gnutls_x509_trust_list_add_trust_file(trust, ep.ca_file.c_str(), nullptr,
                                                                         GNUTLS_X509_FMT_PEM, 0, 0);
  if (added <= 0) {
    cleanup();
    return fail(ErrorCode::kInvalidInput, ep.ca_file.empty()
                                              ? "certificate: no system trust store"
                                              : "certificate: cannot read CA file " + ep.ca_file);
  }
  for (unsigned i = 0; i < carray_count(chain); ++i) {
    auto* der = static_cast<MMAPString*>(carray_get(chain, i));
    gnutls_x509_crt_t crt = nullptr;
    gnutls_x509_crt_init(&crt);
    gnutls_datum_t d{reinterpret_cast<unsigned char*>(der->str), static_cast<unsigned>(der->len)};
    if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0) {
      gnutls_x509_crt_deinit(crt);
      cleanup();
      return fail(ErrorCode::kTemporary, "certificate: cannot read the server's certificate");
    }
    certs.push_back(crt);
  }
  gnutls_typed_vdata_st vdata{GNUTLS_DT_DNS_HOSTNAME,
                              reinterpret_cast<unsigned char*>(const_cast<char*>(ep.host.c_str())), 0};
  unsigned status = 0;
  int rc = gnutls_x509_trust_list_verify_crt2(trust, certs.data(), static_cast<unsigned>(certs.size()),
                                              &vdata, 1, 0, &status, nullptr);
  std::string why;
  if (rc < 0) {
    why = gnutls_strerror(rc);
  } else if (status != 0) {
    gnutls_datum_t out{};
    if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) == 0) {
      why.assign(reinterpret_cast<char*>(out.data), out.size);
      gnutls_free(out.data);
    } else {
      why = "not trusted";
    }
  }
  cleanup();
  if (!why.empty())
    return fail(ErrorCode::kTemporary, "certificate of " + ep.host + " rejected: " + why +
                                           " (use --ca-file for a private CA, or --tls-verify no)");
  return {};
}

Result<std::string> run_token_command(const std::string& command) {
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return fail(ErrorCode::kTemporary, "cannot run the token command");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  if (rc != 0)
    return fail(ErrorCode::kTemporary, "the token command failed (exit status " + std::to_string(rc) + ")");
  std::string token(text::trim(out));
  if (token.empty()) return fail(ErrorCode::kTemporary, "the token command printed no token");
  return token;
}

Endpoint endpoint_of(const domain::Mailbox& m, uint64_t max_reply) {
  Endpoint ep;
  ep.bounds.max_bytes = std::max(max_reply, kMinReplyBytes);
  ep.bounds.grace_seconds = ep.timeout_s;
  ep.bounds.min_bytes_per_second = kMinReplyBytesPerSecond;
  ep.host = m.host;
  ep.port = m.port;
  ep.tls = m.tls;
  ep.ca_file = m.ca_file;
  ep.tls_verify = m.tls_verify;
  return ep;
}

std::string server_says(const char* response) {
  if (!response || !*response) return "";
  return std::string(": ") + std::string(text::trim(response));
}

Result<std::string> secret_of(const domain::Mailbox& m) {
  if (m.auth == domain::AuthMethod::kXOAuth2) return run_token_command(m.token_command);
  return read_password_file(m.password_file);
}

Secret::~Secret() {
  std::fill(value.begin(), value.end(), '\0');
}

}  // namespace mailcase::channels
