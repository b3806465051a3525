// `serve --roles`: a node runs only the roles it is given. An outbox-only node sends
// (and tells a case when its mail failed) but fetches nothing and listens nowhere; an
// ingest-only node takes mail over LMTP and from its mailboxes but sends nothing; a role
// mailcase does not know, or a listener without its role, is a usage error.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/test_support.h"

namespace mailcase::testing {
namespace {

using nlohmann::json;

// An SMTP server on loopback that takes every mail except to refused@example.org (550
// at RCPT), each connection on a thread of its own, and remembers whom it delivered to.
// A mail to an address given to hold() is read whole and then not answered until
// release(): a relay slow with one mail.
class SmtpSink {
 public:
  SmtpSink() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 8);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~SmtpSink() {
    release();
    stop_ = true;
    thread_.join();
    for (auto& t : sessions_) t.join();
    ::close(fd_);
  }
  void hold(const std::string& address) {
    std::lock_guard<std::mutex> lock(mu_);
    held_address_ = address;
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      held_address_.clear();
    }
    cv_.notify_all();
  }
  // Mails read whole and not yet answered (held).
  int holding() {
    std::lock_guard<std::mutex> lock(mu_);
    return holding_;
  }
  int connections() const { return connections_.load(); }
  std::vector<std::string> delivered() {
    std::lock_guard<std::mutex> lock(mu_);
    return delivered_;
  }

  int port = 0;

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++connections_;
      sessions_.emplace_back([this, c] {
        session(c);
        ::close(c);
      });
    }
  }
  // Reads one line (CRLF-terminated); false when the client is gone or stalls 10 s.
  bool read_line(int c, std::string& buf, std::string& line) {
    for (;;) {
      auto eol = buf.find("\r\n");
      if (eol != std::string::npos) {
        line = buf.substr(0, eol);
        buf.erase(0, eol + 2);
        return true;
      }
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0) return false;
      char tmp[4096];
      ssize_t n = ::read(c, tmp, sizeof tmp);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<size_t>(n));
    }
  }
  static void say(int c, const std::string& s) {
    const std::string out = s + "\r\n";
    (void)!::send(c, out.data(), out.size(), MSG_NOSIGNAL);
  }
  void session(int c) {
    std::string buf, line, rcpt;
    say(c, "220 sink.test ESMTP");
    while (read_line(c, buf, line)) {
      const std::string verb = line.substr(0, 4);
      if (verb == "EHLO" || verb == "HELO") {
        say(c, "250 sink.test");
      } else if (verb == "RCPT") {
        if (line.find("refused@example.org") != std::string::npos) {
          say(c, "550 5.1.1 no such user");
        } else {
          rcpt = line;
          say(c, "250 ok");
        }
      } else if (verb == "DATA") {
        say(c, "354 go on");
        while (read_line(c, buf, line) && line != ".") {
        }
        {
          std::unique_lock<std::mutex> lock(mu_);
          if (!held_address_.empty() && rcpt.find(held_address_) != std::string::npos) {
            ++holding_;
            cv_.wait(lock, [&] { return held_address_.empty(); });
            --holding_;
          }
          delivered_.push_back(rcpt);
        }
        say(c, "250 queued");
      } else if (verb == "QUIT") {
        say(c, "221 bye");
        return;
      } else {
        say(c, "250 ok");  // MAIL, RSET, NOOP
      }
    }
  }

  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> delivered_;  // under mu_
  std::string held_address_;            // under mu_
  int holding_ = 0;                     // under mu_
  std::thread thread_;
  std::vector<std::thread> sessions_;  // the accepting thread's own
};

class ServeRoles : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    ASSERT_EQ(run_mailcase({"--data", data_, "init"}).exit_code, 0);
    std::ofstream(dir_.path() / "data" / "mailcase.toml")
        << "[outbound]\nfrom_address = \"support@corp.example\"\nsmtp_host = \"127.0.0.1\"\nsmtp_port = "
        << smtp_.port << "\nsmtp_tls = \"none\"\n";
    ASSERT_EQ(mc({"address", "add", "support@corp.example"}).exit_code, 0);
    // A mailbox nobody answers for: only its agent's start line matters here.
    const auto pw = dir_.path() / "in.pw";
    std::ofstream(pw) << "secret\n";
    ASSERT_EQ(mc({"mailbox", "add", "in", "--protocol", "imap", "--host", "127.0.0.1", "--port",
                  std::to_string(free_port()), "--tls", "implicit", "--user", "alice", "--password-file",
                  pw.string()})
                  .exit_code,
              0);
  }

  CommandResult mc(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data_});
    return run_mailcase(args, in);
  }
  std::unique_ptr<Background> serve(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_, "serve"});
    auto b = std::make_unique<Background>(args);
    EXPECT_TRUE(wait_until([&] { return b->err().find("serving;") != std::string::npos; })) << b->err();
    return b;
  }
  // A case from `from`, with a public comment queued to them; returns its number.
  std::string case_with_queued_mail(const std::string& from, const std::string& id) {
    auto d = mc({"deliver", "--recipient", "support@corp.example"},
                "From: " + from + "\r\nTo: support@corp.example\r\nSubject: Help\r\nMessage-ID: <" + id +
                    ">\r\n\r\nIt does not print.\r\n");
    EXPECT_EQ(d.exit_code, 0) << d.err;
    const std::string number = json::parse(d.out, nullptr, false).value("case", "");
    EXPECT_FALSE(number.empty()) << d.out;
    auto c = mc({"case", "comment", number, "--public", "--body", "Please restart it."});
    EXPECT_EQ(c.exit_code, 0) << c.err;
    return number;
  }
  json outbox() {
    auto j = json::parse(mc({"outbox", "list", "--json"}).out, nullptr, false);
    return j.is_array() ? j : json::array();
  }
  json comment_rows(const std::string& number) {
    auto j = json::parse(mc({"outbox", "list", "--case", number, "--json"}).out, nullptr, false);
    json rows = json::array();
    if (j.is_array())
      for (const auto& r : j)
        if (r.value("kind", "") == "comment") rows.push_back(r);
    return rows;
  }

  TempDir dir_;
  std::string data_;
  SmtpSink smtp_;
};

TEST_F(ServeRoles, AnOutboxNodeSendsAndReportsFailuresButFetchesAndListensNowhere) {
  const std::string anna = case_with_queued_mail("Anna <anna@example.org>", "anna-1@example.org");
  const std::string refused = case_with_queued_mail("Ref <refused@example.org>", "ref-1@example.org");
  ASSERT_EQ(comment_rows(anna).size(), 1u);
  ASSERT_EQ(comment_rows(refused).size(), 1u);

  auto node = serve({"--roles", "outbox"});
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& r : outbox())
          if (r.value("state", "") == "queued") return false;
        return true;
      },
      60000))
      << outbox().dump() << "\n"
      << node->err();
  EXPECT_EQ(comment_rows(anna)[0].value("state", ""), "sent");
  EXPECT_EQ(comment_rows(refused)[0].value("state", ""), "failed");
  bool anna_got_it = false;
  for (const auto& rcpt : smtp_.delivered())
    anna_got_it |= rcpt.find("anna@example.org") != std::string::npos;
  EXPECT_TRUE(anna_got_it);

  // The failure is told on its case: an internal note and a mail_failed event by the system.
  auto shown = json::parse(mc({"case", "show", refused, "--json"}).out, nullptr, false);
  bool noted = false;
  for (const auto& c : shown.value("comments", json::array()))
    noted |= c.value("visibility", "") == "internal" && c.value("author", "") == "mailcase" &&
             c.value("body", "").find("could not be delivered: 550") != std::string::npos;
  EXPECT_TRUE(noted) << shown.dump();
  auto history = json::parse(mc({"case", "history", refused, "--json"}).out, nullptr, false);
  bool failed_event = false;
  for (const auto& e : history)
    failed_event |= e.value("action", "") == "mail_failed" && e.value("actor_kind", "") == "system";
  EXPECT_TRUE(failed_event) << history.dump();

  const std::string err = node->err();
  EXPECT_NE(err.find("outbox: sending through 127.0.0.1:" + std::to_string(smtp_.port)), std::string::npos)
      << err;
  EXPECT_EQ(err.find("agent started"), std::string::npos) << err;
  EXPECT_EQ(err.find("lmtp:"), std::string::npos) << err;
  EXPECT_EQ(err.find("http:"), std::string::npos) << err;
  EXPECT_EQ(node->stop(SIGTERM), 0) << node->err();
}

// outbound.senders (4 by default): while the relay holds one customer's mail, serve's
// other senders send the rest; that customer's next mail waits for the one held.
TEST_F(ServeRoles, WhileTheRelayHoldsOneMailTheOtherSendersSendTheRest) {
  const std::string slow = case_with_queued_mail("Sam <slow@example.org>", "slow-1@example.org");
  const std::string anna = case_with_queued_mail("Anna <anna@example.org>", "anna-1@example.org");
  smtp_.hold("slow@example.org");
  auto node = serve({"--roles", "outbox"});
  auto delivered_to = [&](const std::string& address) {
    int n = 0;
    for (const auto& rcpt : smtp_.delivered()) n += rcpt.find(address) != std::string::npos;
    return n;
  };
  ASSERT_TRUE(
      wait_until([&] { return smtp_.holding() == 1 && delivered_to("anna@example.org") >= 1; }, 60000))
      << outbox().dump() << "\n"
      << node->err();
  ASSERT_TRUE(wait_until([&] { return comment_rows(anna)[0].value("state", "") == "sent"; }, 60000))
      << outbox().dump();
  EXPECT_EQ(delivered_to("slow@example.org"), 0);
  EXPECT_EQ(comment_rows(slow)[0].value("state", ""), "queued") << "it waits for the mail held before it";
  smtp_.release();
  ASSERT_TRUE(wait_until([&] { return comment_rows(slow)[0].value("state", "") == "sent"; }, 60000))
      << outbox().dump() << "\n"
      << node->err();
  EXPECT_NE(node->err().find("(4 senders)"), std::string::npos) << node->err();
  EXPECT_EQ(node->stop(SIGTERM), 0) << node->err();
}

TEST_F(ServeRoles, AListenerWithoutItsRoleIsAUsageError) {
  auto lmtp = mc({"serve", "--roles", "outbox", "--lmtp", "127.0.0.1:" + std::to_string(free_port())});
  EXPECT_EQ(lmtp.exit_code, 64) << lmtp.err;
  EXPECT_NE(lmtp.err.find("--lmtp needs the ingest role"), std::string::npos) << lmtp.err;
  auto http = mc({"serve", "--roles", "ingest,outbox", "--http", "127.0.0.1:" + std::to_string(free_port())});
  EXPECT_EQ(http.exit_code, 64) << http.err;
  EXPECT_NE(http.err.find("--http needs the http role"), std::string::npos) << http.err;
}

TEST_F(ServeRoles, AnUnknownRoleIsAUsageError) {
  for (const std::string roles : {"ingest,mail", "", "outbox,"}) {
    auto r = mc({"serve", "--roles", roles});
    EXPECT_EQ(r.exit_code, 64) << "--roles '" << roles << "': " << r.err;
    EXPECT_NE(r.err.find("role"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("serving;"), std::string::npos) << r.err;
  }
  EXPECT_NE(mc({"serve", "--roles", "ingest,mail"}).err.find("unknown role 'mail'"), std::string::npos);
}

TEST_F(ServeRoles, AnIngestNodeTakesMailOverLmtpAndSendsNothing) {
  const int port = free_port();
  auto node = serve({"--roles", "ingest", "--lmtp", "127.0.0.1:" + std::to_string(port)});
  const std::string err = node->err();
  EXPECT_NE(err.find("lmtp: listening on 127.0.0.1:" + std::to_string(port)), std::string::npos) << err;
  EXPECT_NE(err.find("mailbox in: agent started"), std::string::npos) << err;
  EXPECT_EQ(err.find("outbox:"), std::string::npos) << err;
  EXPECT_EQ(err.find("http:"), std::string::npos) << err;

  const std::string py =
      "import smtplib,sys\n"
      "s=smtplib.LMTP('127.0.0.1',int(sys.argv[1]))\n"
      "s.sendmail('anna@example.org',['support@corp.example'],"
      "'From: Anna <anna@example.org>\\r\\nTo: support@corp.example\\r\\nSubject: Printer\\r\\n"
      "Message-ID: <lmtp-roles@example.org>\\r\\n\\r\\nIt does not print.\\r\\n')\n"
      "s.quit()\n";
  std::ofstream(dir_.path() / "lmtp.py") << py;
  ASSERT_EQ(
      std::system(("python3 '" + (dir_.path() / "lmtp.py").string() + "' " + std::to_string(port)).c_str()),
      0);
  std::string number;
  ASSERT_TRUE(wait_until([&] {
    auto cases = json::parse(mc({"case", "list", "--json"}).out, nullptr, false);
    if (!cases.is_array() || cases.empty()) return false;
    number = cases[0].value("number", "");
    return !number.empty();
  })) << node->err();
  ASSERT_EQ(mc({"case", "comment", number, "--public", "--body", "Please restart it."}).exit_code, 0);
  ASSERT_EQ(comment_rows(number).size(), 1u);

  // An outbox worker looks every second; give one several chances to send.
  std::this_thread::sleep_for(std::chrono::seconds(4));
  auto rows = comment_rows(number);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].value("state", ""), "queued");
  EXPECT_EQ(rows[0].value("attempts", -1), 0);
  EXPECT_EQ(smtp_.connections(), 0);
  EXPECT_EQ(node->stop(SIGTERM), 0) << node->err();
}

}  // namespace
}  // namespace mailcase::testing
