// The SMTP password never crosses an unencrypted connection unless allowed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "config/config.h"
#include "outbound/smtp.h"

namespace mailcase::outbound {
namespace {

// A listening socket on loopback that nobody answers: any connection stays pending.
struct Listener {
  int fd = -1;
  int port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd, 4);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
  bool someone_connected() const {
    int c = ::accept(fd, nullptr, nullptr);
    if (c >= 0) ::close(c);
    return c >= 0;
  }
};

TEST(SmtpAuth, RefusedOverPlainConnectionWithoutConnecting) {
  Listener server;
  config::Outbound o;
  o.smtp_host = "127.0.0.1";
  o.smtp_port = server.port;
  o.smtp_tls = "none";
  o.smtp_user = "alice";
  auto r = smtp_send(o, "alice-secret", "ann@example.com", "Subject: x\r\n\r\nx\r\n");
  EXPECT_EQ(r.kind, SmtpResult::Kind::kTemporary);  // ours to fix: the mail stays queued
  EXPECT_NE(r.message.find("smtp_allow_plaintext_auth"), std::string::npos) << r.message;
  EXPECT_EQ(r.message.find("alice-secret"), std::string::npos);
  EXPECT_FALSE(server.someone_connected());
}

TEST(SmtpAuth, NoAuthOrAllowedPlaintextStillConnects) {
  for (bool allowed : {false, true}) {
    Listener server;
    config::Outbound o;
    o.smtp_host = "127.0.0.1";
    o.smtp_port = server.port;
    o.smtp_tls = "none";
    if (allowed) {
      o.smtp_user = "alice";
      o.smtp_allow_plaintext_auth = true;
    }
    // Nobody answers the greeting: the attempt fails, but it was made.
    bool connected = false;
    std::thread closer([&] {
      for (int i = 0; i < 200 && !connected; ++i) {
        connected = server.someone_connected();
        if (!connected) ::usleep(50 * 1000);
      }
    });
    auto r = smtp_send(o, "pw", "ann@example.com", "Subject: x\r\n\r\nx\r\n");
    closer.join();
    EXPECT_TRUE(connected) << "the attempt was never made";
    EXPECT_EQ(r.kind, SmtpResult::Kind::kTemporary);
    EXPECT_EQ(r.message.find("smtp_allow_plaintext_auth"), std::string::npos) << r.message;
  }
}

TEST(SmtpAuth, ConfigReadsTheSetting) {
  auto dir = std::filesystem::temp_directory_path() / ("mc-smtp-auth-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "mailcase.toml") << "[outbound]\nsmtp_allow_plaintext_auth = true\n";
  auto c = config::load(dir / "mailcase.toml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->outbound.smtp_allow_plaintext_auth);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mailcase::outbound
