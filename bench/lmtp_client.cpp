// LMTP load client for the benchmarks: N connections on N threads deliver the mails of
// an mbox (bench/gen_corpus), and a sink that answers everything at once, to show the
// client is not the limit.
//
//   lmtp_client --mbox FILE (--port P [--host H] | --unix PATH) [--connections 4]
//               [--count N] [--rcpt ADDR] [--from ADDR] [--pipelining]
//   lmtp_client --sink PORT     answers LHLO/MAIL/RCPT/DATA/QUIT with success, at once,
//                               until killed (one thread per connection)
//
// Per mail, on one connection after one LHLO: MAIL FROM, RCPT TO, DATA, the body
// (dot-stuffed, CRLF), "."; no RSET. With --pipelining MAIL, RCPT and DATA go out in one
// write and their replies are read after. A 250 after the body counts as delivered; any
// other reply anywhere is an error for that mail (the connection carries on with RSET
// after an error before DATA). Prints one line:
//   mails N delivered D errors E seconds S rate R p50_ms X p99_ms Y
// the latency being of one mail, from its MAIL FROM sent to its final reply read.
// Every mail of the mbox is read and prepared before the clock starts.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string unix_path;
  std::string mbox;
  int connections = 4;
  long count = -1;
  std::string rcpt = "support@corp.example";
  std::string from = "bench@example.org";
  bool pipelining = false;
  int sink_port = 0;
};

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "lmtp_client: %s\n", why.c_str());
  std::exit(2);
}

// The mails of an mbox, each ready to send: CRLF line ends, dot-stuffed, ">From "
// unescaped, ending in "\r\n.\r\n".
std::vector<std::string> read_mbox(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) die("cannot read " + path);
  std::vector<std::string> mails;
  std::string line;
  bool have = false;
  std::string cur;
  auto finish = [&] {
    if (have) {
      cur += ".\r\n";
      mails.push_back(std::move(cur));
    }
    cur.clear();
  };
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("From ", 0) == 0) {
      finish();
      have = true;
      continue;
    }
    if (!have) continue;
    if (line.rfind(">From ", 0) == 0) line.erase(0, 1);
    if (!line.empty() && line[0] == '.') cur += '.';
    cur += line;
    cur += "\r\n";
  }
  finish();
  return mails;
}

int connect_to(const Options& o) {
  if (!o.unix_path.empty()) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (o.unix_path.size() >= sizeof a.sun_path) die("unix socket path too long");
    std::memcpy(a.sun_path, o.unix_path.c_str(), o.unix_path.size() + 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("connect " + o.unix_path);
    return fd;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(o.host.c_str(), std::to_string(o.port).c_str(), &hints, &res) != 0)
    die("address " + o.host);
  int fd = ::socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
  if (fd < 0 || ::connect(fd, res->ai_addr, res->ai_addrlen) != 0)
    die("connect " + o.host + ":" + std::to_string(o.port) + ": " + std::strerror(errno));
  ::freeaddrinfo(res);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// Buffered line reading and whole writes on one socket.
class Sock {
 public:
  explicit Sock(int fd) : fd_(fd) {}
  ~Sock() { ::close(fd_); }
  Sock(const Sock&) = delete;
  Sock& operator=(const Sock&) = delete;

  bool send(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      s.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // One line without its CRLF; false on EOF or error.
  bool line(std::string& out) {
    while (true) {
      auto nl = buf_.find('\n', pos_);
      if (nl != std::string::npos) {
        out.assign(buf_, pos_, nl - pos_);
        if (!out.empty() && out.back() == '\r') out.pop_back();
        pos_ = nl + 1;
        return true;
      }
      buf_.erase(0, pos_);
      pos_ = 0;
      char chunk[65536];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buf_.append(chunk, static_cast<size_t>(n));
    }
  }
  // A whole reply (multi-line "250-..." included); its code, or 0 on EOF.
  int reply() {
    std::string l;
    while (line(l)) {
      if (l.size() < 3) return 0;
      if (l.size() == 3 || l[3] != '-') return std::atoi(l.substr(0, 3).c_str());
    }
    return 0;
  }
  // Bytes buffered and not yet consumed, for the sink's DATA.
  std::string& buffer() { return buf_; }
  size_t& pos() { return pos_; }
  int fd() const { return fd_; }

 private:
  int fd_;
  std::string buf_;
  size_t pos_ = 0;
};

struct Tally {
  long delivered = 0;
  long errors = 0;
  std::vector<double> latency_ms;
};

void run_connection(const Options& o, const std::vector<std::string>& mails, long first, long step,
                    long count, Tally& t) {
  Sock s(connect_to(o));
  if (s.reply() != 220) die("no greeting");
  if (!s.send("LHLO bench.example\r\n") || s.reply() != 250) die("LHLO refused");
  const std::string mail_from = "MAIL FROM:<" + o.from + ">\r\n";
  const std::string rcpt_to = "RCPT TO:<" + o.rcpt + ">\r\n";
  for (long i = first; i < count; i += step) {
    const std::string& body = mails[static_cast<size_t>(i) % mails.size()];
    const auto t0 = Clock::now();
    bool ok = true;
    if (o.pipelining) {
      if (!s.send(mail_from + rcpt_to + "DATA\r\n")) die("connection lost");
      int a = s.reply(), b = s.reply(), c = s.reply();
      if (a == 0 || b == 0 || c == 0) die("connection lost");
      if (c != 354) {
        ok = false;
        // A DATA refused for want of a recipient: nothing more to send for this mail.
      } else if (a != 250 || b != 250) {
        ok = false;  // 354 all the same (should not happen): the body is owed
      }
      if (c == 354) {
        if (!s.send(body)) die("connection lost");
        int r = s.reply();
        if (r == 0) die("connection lost");
        ok = ok && r == 250;
      }
    } else {
      int r = 0;
      if (!s.send(mail_from) || (r = s.reply()) == 0) die("connection lost");
      ok = r == 250;
      if (ok && (!s.send(rcpt_to) || (r = s.reply()) == 0)) die("connection lost");
      ok = ok && r == 250;
      if (ok && (!s.send("DATA\r\n") || (r = s.reply()) == 0)) die("connection lost");
      if (ok && r == 354) {
        if (!s.send(body) || (r = s.reply()) == 0) die("connection lost");
        ok = r == 250;
      } else {
        ok = false;
      }
    }
    const auto t1 = Clock::now();
    t.latency_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    if (ok) {
      ++t.delivered;
    } else {
      ++t.errors;
      if (!s.send("RSET\r\n") || s.reply() == 0) die("connection lost");
    }
  }
  s.send("QUIT\r\n");
  s.reply();
}

int run_client(const Options& o) {
  auto mails = read_mbox(o.mbox);
  if (mails.empty()) die("no mails in " + o.mbox);
  const long count = o.count < 0 ? static_cast<long>(mails.size()) : o.count;
  std::vector<Tally> tallies(static_cast<size_t>(o.connections));
  std::vector<std::thread> threads;
  const auto t0 = Clock::now();
  for (int k = 0; k < o.connections; ++k)
    threads.emplace_back(run_connection, std::cref(o), std::cref(mails), k, o.connections, count,
                         std::ref(tallies[static_cast<size_t>(k)]));
  for (auto& th : threads) th.join();
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  Tally all;
  for (auto& t : tallies) {
    all.delivered += t.delivered;
    all.errors += t.errors;
    all.latency_ms.insert(all.latency_ms.end(), t.latency_ms.begin(), t.latency_ms.end());
  }
  std::sort(all.latency_ms.begin(), all.latency_ms.end());
  auto pct = [&](double p) {
    if (all.latency_ms.empty()) return 0.0;
    auto k = static_cast<size_t>(p / 100.0 * static_cast<double>(all.latency_ms.size() - 1) + 0.5);
    return all.latency_ms[std::min(k, all.latency_ms.size() - 1)];
  };
  std::printf("mails %ld delivered %ld errors %ld seconds %.3f rate %.1f p50_ms %.3f p99_ms %.3f\n", count,
              all.delivered, all.errors, secs, static_cast<double>(all.delivered) / secs, pct(50), pct(99));
  return all.errors == 0 ? 0 : 1;
}

// The sink's side of one connection: every command succeeds at once.
void sink_session(int fd) {
  Sock s(fd);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!s.send("220 sink LMTP\r\n")) return;
  std::string l;
  int recipients = 0;
  while (s.line(l)) {
    std::string verb = l.substr(0, 4);
    for (auto& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string out;
    if (verb == "LHLO") {
      out = "250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n";
    } else if (verb == "MAIL") {
      recipients = 0;
      out = "250 2.1.0 ok\r\n";
    } else if (verb == "RCPT") {
      ++recipients;
      out = "250 2.1.5 ok\r\n";
    } else if (verb == "DATA") {
      if (!s.send("354 go ahead\r\n")) return;
      // The body, up to its lone ".".
      while (s.line(l) && l != ".") {
      }
      for (int i = 0; i < recipients; ++i) out += "250 2.0.0 ok\r\n";
    } else if (verb == "QUIT") {
      s.send("221 bye\r\n");
      return;
    } else {
      out = "250 ok\r\n";
    }
    if (!s.send(out)) return;
  }
}

int run_sink(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 64) != 0)
    die("cannot listen on port " + std::to_string(port));
  while (true) {
    int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    std::thread(sink_session, c).detach();
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--host")
      o.host = value();
    else if (a == "--port")
      o.port = std::atoi(value().c_str());
    else if (a == "--unix")
      o.unix_path = value();
    else if (a == "--mbox")
      o.mbox = value();
    else if (a == "--connections")
      o.connections = std::max(1, std::atoi(value().c_str()));
    else if (a == "--count")
      o.count = std::atol(value().c_str());
    else if (a == "--rcpt")
      o.rcpt = value();
    else if (a == "--from")
      o.from = value();
    else if (a == "--pipelining")
      o.pipelining = true;
    else if (a == "--sink")
      o.sink_port = std::atoi(value().c_str());
    else
      die("unknown argument " + a);
  }
  if (o.sink_port > 0) return run_sink(o.sink_port);
  if (o.mbox.empty() || (o.port <= 0 && o.unix_path.empty()))
    die("usage: see the head of bench/lmtp_client.cpp");
  return run_client(o);
}
