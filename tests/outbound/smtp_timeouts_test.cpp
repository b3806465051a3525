// How long an SMTP attempt waits, phase by phase, and what an attempt that ended in a
// wait counts as: a scripted SMTP server on loopback, short bounds in place of RFC 5321's
// minutes, the outbox worker sending through the real client.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "config/config.h"
#include "outbound/outbox_fixture.h"
#include "outbound/outbox_worker.h"
#include "outbound/smtp.h"
#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::outbound {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// An SMTP server on loopback answering one connection after another, each command at
// once, except the end of the data (after end_delay, or never) and QUIT (at once, or
// never). A wait that is "never" lasts until the client closes the connection.
class ScriptedSmtp {
 public:
  struct Script {
    std::chrono::milliseconds end_delay{0};
    bool end_answered = true;
    bool quit_answered = true;
    bool quit_drops = false;  // the connection is closed instead of answering QUIT
    bool data_taken = true;   // false: after 354 nothing more is read
  };
  explicit ScriptedSmtp(Script s) : script_(s) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ok_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) == 0 && ::listen(fd_, 4) == 0 &&
          ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    port_ = ntohs(a.sin_port);
    if (ok_) thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedSmtp() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);  // ends a pending accept
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  bool ok() const { return ok_; }
  int port() const { return port_; }
  void set_script(Script s) {  // for the next connection
    std::lock_guard lock(mu_);
    script_ = s;
  }
  int mails_received() const { return received_; }  // whole mails, up to the end of data
  int mails_accepted() const { return accepted_; }  // answered 250 after the end of data
  int quits() const { return quits_; }

 private:
  void serve() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      Script s;
      {
        std::lock_guard lock(mu_);
        s = script_;
      }
      session(c, s);
      ::close(c);
    }
  }
  // Reads one line into `line`; false once the client has closed.
  bool read_line(int c, std::string& buf, std::string& line) {
    for (;;) {
      if (auto eol = buf.find("\r\n"); eol != std::string::npos) {
        line = buf.substr(0, eol);
        buf.erase(0, eol + 2);
        return true;
      }
      char chunk[4096];
      ssize_t n = ::recv(c, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buf.append(chunk, static_cast<size_t>(n));
    }
  }
  static void say(int c, const std::string& reply) {
    (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
  }
  // Waits until the client closes the connection (or the test ends).
  void hang(int c) {
    char chunk[4096];
    for (;;) {
      pollfd p{c, POLLIN, 0};
      if (stop_) return;
      if (::poll(&p, 1, 100) > 0 && ::recv(c, chunk, sizeof chunk, 0) <= 0) return;
    }
  }
  void session(int c, Script s) {
    std::string buf, line;
    say(c, "220 smtp.test ESMTP\r\n");
    bool in_data = false;
    while (read_line(c, buf, line)) {
      if (in_data) {
        if (line != ".") continue;
        in_data = false;
        ++received_;
        if (!s.end_answered) return hang(c);
        std::this_thread::sleep_for(s.end_delay);
        ++accepted_;
        say(c, "250 2.0.0 queued\r\n");
      } else if (line.starts_with("EHLO")) {
        say(c, "250-smtp.test\r\n250 8BITMIME\r\n");
      } else if (line.starts_with("DATA")) {
        in_data = true;
        say(c, "354 go ahead\r\n");
        if (!s.data_taken) {
          while (!stop_) std::this_thread::sleep_for(50ms);
          return;
        }
      } else if (line.starts_with("QUIT")) {
        ++quits_;
        if (s.quit_drops) return;
        if (!s.quit_answered) return hang(c);
        say(c, "221 bye\r\n");
        return;
      } else {
        say(c, "250 ok\r\n");  // MAIL, RCPT, RSET, NOOP
      }
    }
  }

  std::mutex mu_;
  Script script_;
  int fd_ = -1;
  int port_ = 0;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<int> received_{0};
  std::atomic<int> accepted_{0};
  std::atomic<int> quits_{0};
  std::thread thread_;
};

// One queued mail, and the outbox worker sending it through smtp_send to a scripted server.
class SmtpWaits : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(testing::open_with_one_queued_mail(dir.path() / "t.db", st));
    cfg.smtp_host = "127.0.0.1";
  }
  Sender sender(const ScriptedSmtp& server, const SmtpTimeouts& timeouts) {
    cfg.smtp_port = server.port();
    return [this, timeouts](const std::string& to, const std::string& raw) {
      return smtp_send(cfg, "", to, raw, timeouts);
    };
  }
  // Runs send_due at `now`; returns how long it held the worker.
  std::chrono::milliseconds send_at(const Sender& send, int64_t now, int expect_handled) {
    const auto start = SteadyClock::now();
    auto n = send_due(*st, cfg, send, now, no_note);
    EXPECT_EQ(n.value_or(-1), expect_handled) << (n ? "" : n.error().message);
    return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start);
  }
  store::OutboxMail row() { return st->list_outbox(std::nullopt, 10)->front(); }

  FailureNote no_note = [](store::UnitOfWork&, const store::OutboxMail&, const std::string&) -> Status {
    return {};
  };
  mailcase::testing::TempDir dir;
  std::unique_ptr<store::Store> st;
  config::Outbound cfg;
};

// Short bounds: every wait 1 s but the one for the end of data's reply (the RFC's
// 5 minutes against its 10).
SmtpTimeouts short_timeouts() {
  SmtpTimeouts t;
  t.connect = 1s;
  t.reply = 1s;
  t.data_block = 1s;
  t.data_end = 5s;
  t.quit = 1s;
  t.total = 20s;
  return t;
}

TEST_F(SmtpWaits, ASlowReplyToTheEndOfDataWithinItsBoundIsSentOnce) {
  // The reply comes after every other phase's bound (a single bound for the whole exchange,
  // as before, of that length would have given up and sent the mail again later).
  ScriptedSmtp server({.end_delay = 2500ms});
  ASSERT_TRUE(server.ok());
  const auto send = sender(server, short_timeouts());
  send_at(send, 100, 1);
  EXPECT_EQ(row().state, store::OutboxState::kSent) << row().last_error;
  EXPECT_EQ(row().attempts, 1);
  send_at(send, 100 + 3600, 0);  // nothing left to send
  EXPECT_EQ(server.mails_received(), 1);
  EXPECT_EQ(server.mails_accepted(), 1);
}

TEST_F(SmtpWaits, NoReplyToTheEndOfDataFailsAfterItsBoundAndIsTriedAgain) {
  ScriptedSmtp server({.end_answered = false});
  ASSERT_TRUE(server.ok());
  SmtpTimeouts t = short_timeouts();
  t.reply = 10s;  // not what ends the wait
  t.data_end = 1500ms;
  const auto send = sender(server, t);
  const auto held = send_at(send, 100, 1);
  EXPECT_GE(held, 1500ms);
  EXPECT_LT(held, 5s);
  auto r = row();
  EXPECT_EQ(r.state, store::OutboxState::kQueued);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.next_attempt_at, 100 + retry_delay(1));
  EXPECT_NE(r.last_error.find("end of the mail within 1500 ms"), std::string::npos) << r.last_error;
  EXPECT_EQ(server.mails_received(), 1);

  send_at(send, 100, 0);  // not due yet
  server.set_script({});  // the server answers now
  send_at(send, 100 + retry_delay(1), 1);
  EXPECT_EQ(row().state, store::OutboxState::kSent) << row().last_error;
  EXPECT_EQ(row().attempts, 2);
  EXPECT_EQ(server.mails_received(), 2);
  EXPECT_EQ(server.mails_accepted(), 1);
}

TEST_F(SmtpWaits, AServerTakingNoneOfTheMailFailsAfterTheDataBound) {
  ScriptedSmtp server({.data_taken = false});
  ASSERT_TRUE(server.ok());
  SmtpTimeouts t = short_timeouts();
  t.reply = 10s;
  cfg.smtp_port = server.port();
  // Far more than the socket buffers hold.
  std::string raw = "Subject: x\r\n\r\n";
  while (raw.size() < 32u << 20) raw += std::string(998, 'x') + "\r\n";
  const auto start = SteadyClock::now();
  auto r = smtp_send(cfg, "", "anna@example.org", raw, t);
  const auto took = SteadyClock::now() - start;
  EXPECT_EQ(r.kind, SmtpResult::Kind::kTemporary);
  EXPECT_NE(r.message.find("took none of the mail for 1 s"), std::string::npos) << r.message;
  EXPECT_LT(took, 5s);
}

TEST_F(SmtpWaits, AnAcceptedMailWhoseQuitIsNeverAnsweredIsSentAndTheWorkerMovesOn) {
  ScriptedSmtp server({.quit_answered = false});
  ASSERT_TRUE(server.ok());
  SmtpTimeouts t = short_timeouts();
  t.reply = 10s;
  t.data_end = 10s;  // libcurl's own bound per reply is past these
  const auto send = sender(server, t);
  const auto held = send_at(send, 100, 1);
  EXPECT_LT(held, 4s);  // the QUIT bound (1 s) and the checks' granularity
  EXPECT_EQ(row().state, store::OutboxState::kSent) << row().last_error;
  EXPECT_EQ(row().attempts, 1);
  EXPECT_EQ(server.quits(), 1);
  EXPECT_EQ(server.mails_accepted(), 1);
}

TEST_F(SmtpWaits, AnAcceptedMailIsSentWhenTheConnectionDropsAtQuit) {
  // The server closes instead of answering QUIT: still the server's 250 counts.
  ScriptedSmtp server({.quit_drops = true});
  ASSERT_TRUE(server.ok());
  cfg.smtp_port = server.port();
  auto r = smtp_send(cfg, "", "anna@example.org", "Subject: x\r\n\r\nhi\r\n", short_timeouts());
  EXPECT_EQ(r.kind, SmtpResult::Kind::kSent) << r.message;
  EXPECT_EQ(r.code, 250);
}

TEST_F(SmtpWaits, AGreetingThatNeverComesFailsAfterTheReplyBound) {
  // A listening socket nobody serves: the connection is made, no greeting comes.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), len), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  cfg.smtp_port = ntohs(a.sin_port);
  const auto start = SteadyClock::now();
  auto r = smtp_send(cfg, "", "anna@example.org", "Subject: x\r\n\r\nhi\r\n", short_timeouts());
  const auto took = SteadyClock::now() - start;
  ::close(fd);
  EXPECT_EQ(r.kind, SmtpResult::Kind::kTemporary);
  EXPECT_NE(r.message.find("no reply from the SMTP server within 1 s"), std::string::npos) << r.message;
  EXPECT_LT(took, 4s);
}

}  // namespace
}  // namespace mailcase::outbound
