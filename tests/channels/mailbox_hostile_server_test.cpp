// Mailbox fetches against a scripted server on loopback that answers badly, each a
// defect fuzz/mailbox_reply_fuzz found in libetpan: `mailbox fetch` must end, with an
// error or a result, never crash or spin.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/test_support.h"

namespace mailcase::testing {
namespace {

// Accepts one connection, sends `script` (every reply of the session at once), ends its
// side of the stream, and reads what the client sends until it closes.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::string script) : script_(std::move(script)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ok_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) == 0 && ::listen(fd_, 1) == 0 &&
          ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    port_ = ntohs(a.sin_port);
    if (ok_) thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    ::shutdown(fd_, SHUT_RDWR);  // ends a pending accept
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  bool ok() const { return ok_; }
  int port() const { return port_; }

 private:
  void serve() {
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    (void)::send(c, script_.data(), script_.size(), MSG_NOSIGNAL);
    ::shutdown(c, SHUT_WR);
    char buf[4096];
    while (::recv(c, buf, sizeof buf, 0) > 0) {
    }
    ::close(c);
  }
  std::string script_;
  int fd_ = -1;
  int port_ = 0;
  bool ok_ = false;
  std::thread thread_;
};

class HostileServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data = (dir.path() / "data").string();
    ASSERT_EQ(run_mailcase({"--data", data, "init"}).exit_code, 0);
    std::ofstream(dir.path() / "data" / "mailcase.toml") << "[outbound]\nenabled = false\n";
    std::ofstream(dir.path() / "pw") << "secret\n";
    std::filesystem::permissions(dir.path() / "pw", std::filesystem::perms::owner_read);
  }

  // `mailbox fetch` against the server, ended after 30 s if it has not ended itself.
  // Returns its exit code (124: it had to be ended) and its output.
  std::pair<int, std::string> fetch(const std::string& protocol, int port, const std::string& after) {
    EXPECT_EQ(run_mailcase({"--data",
                            data,
                            "mailbox",
                            "add",
                            "in",
                            "--protocol",
                            protocol,
                            "--host",
                            "127.0.0.1",
                            "--port",
                            std::to_string(port),
                            "--tls",
                            "none",
                            "--allow-plaintext-auth",
                            "yes",
                            "--user",
                            "alice",
                            "--password-file",
                            (dir.path() / "pw").string(),
                            "--after",
                            after})
                  .exit_code,
              0);
    const std::string out = (dir.path() / "out").string();
    int rc = std::system(("timeout 30 '" + std::string(MAILCASE_BINARY) + "' --data '" + data +
                          "' mailbox fetch in >'" + out + "' 2>&1")
                             .c_str());
    std::ifstream in(out);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, text};
  }

  int cases() {
    auto j =
        nlohmann::json::parse(run_mailcase({"--data", data, "case", "list", "--json"}).out, nullptr, false);
    return j.is_array() ? static_cast<int>(j.size()) : -1;
  }

  TempDir dir;
  std::string data;
};

TEST_F(HostileServerTest, APop3ReplyCutShortEndsTheFetchWithAnError) {
  // The connection ends inside the CAPA list: libetpan read its end again forever.
  ScriptedServer server("+OK ready\r\n+OK\r\nTOP\r\n");
  ASSERT_TRUE(server.ok());
  auto [rc, out] = fetch("pop3", server.port(), "delete");
  EXPECT_NE(rc, 124) << "the fetch did not end: " << out;
  EXPECT_NE(rc, 0) << out;
}

TEST_F(HostileServerTest, AMalformedUidlListingIsIgnoredNotACrash) {
  const std::string mail =
      "From: anna@example.org\r\nSubject: Printer\r\nMessage-ID: <p@example.org>\r\n\r\nIt does not "
      "print.\r\n";
  // Its UIDL listing has lines that name no listed mail (0, 7, not a number), which
  // crashed libetpan; the one good line counts.
  ScriptedServer server(
      "+OK ready\r\n+OK\r\nUIDL\r\nTOP\r\n.\r\n+OK\r\n+OK\r\n+OK 1 messages\r\n1 " +
      std::to_string(mail.size()) +
      "\r\n.\r\n+OK\r\nReturn-Path: <x@example.org>\r\n0 zero\r\n7 seven\r\n1 one\r\n.\r\n+OK\r\n" + mail +
      ".\r\n+OK bye\r\n");
  ASSERT_TRUE(server.ok());
  auto [rc, out] = fetch("pop3", server.port(), "keep");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("fetched 1 mails"), std::string::npos) << out;
  EXPECT_EQ(cases(), 1);
}

TEST_F(HostileServerTest, AnImapServerListingNoCapabilitiesIsNotACrash) {
  // No capabilities in the greeting, the login or the CAPABILITY reply: libetpan copied
  // a list that was never made. Then an empty folder.
  ScriptedServer server(
      "* OK ready\r\n1 OK logged in\r\n2 OK done\r\n* 0 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n3 OK "
      "[READ-WRITE] "
      "selected\r\n* SEARCH\r\n4 OK done\r\n* BYE bye\r\n5 OK done\r\n");
  ASSERT_TRUE(server.ok());
  auto [rc, out] = fetch("imap", server.port(), "seen");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("fetched 0 mails"), std::string::npos) << out;
}

}  // namespace
}  // namespace mailcase::testing
