// Helpers shared by the test programs.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

// MAILCASE_TEST_UNDER_ASAN: 1 when built with AddressSanitizer, by gcc
// (__SANITIZE_ADDRESS__) or clang (__has_feature(address_sanitizer)), else 0.
#if defined(__SANITIZE_ADDRESS__)
#define MAILCASE_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MAILCASE_TEST_UNDER_ASAN 1
#endif
#endif
#ifndef MAILCASE_TEST_UNDER_ASAN
#define MAILCASE_TEST_UNDER_ASAN 0
#endif

namespace mailcase::testing {

// ../shared/corpus beside the project root, or nullopt when it is absent (tests then
// GTEST_SKIP with a message saying so).
std::optional<std::filesystem::path> corpus_dir();

std::string read_file(const std::filesystem::path& path);

// A fresh directory removed when the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the mailcase binary with these arguments, stdin from the given text.
CommandResult run_mailcase(const std::vector<std::string>& args, const std::string& stdin_text = "");
// The same for another program (mailcase-deliver, mailcase-deliver-direct), by its path.
CommandResult run_program(const std::string& program, const std::vector<std::string>& args,
                          const std::string& stdin_text = "");

// A data directory as an administrator sets one up: `mailcase init`, then `address add`
// of each address. Empty when both worked, else what failed, with the command's output.
std::string init_data_dir(const std::filesystem::path& data, const std::vector<std::string>& addresses);

// An agent added to the data directory (`agent add`), and an API token made for it
// (`token create`): the token, or "" when either command failed.
std::string agent_with_token(const std::filesystem::path& data, const std::string& email,
                             const std::string& name);

// `mailcase ARGS` running in the background (e.g. serve); stderr goes to a file.
class Background {
 public:
  explicit Background(const std::vector<std::string>& args);
  ~Background();  // SIGKILL if still running
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  // Sends sig and waits; returns the exit status as run_mailcase does.
  int stop(int sig);
  bool running();
  std::string err() const;
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  TempDir io_;
};

// Waits until pred() is true or timeout passes; returns pred()'s last value.
bool wait_until(const std::function<bool()>& pred, int timeout_ms = 20000);

// A throw-away Dovecot (IMAP, POP3, LMTP) on loopback high ports, from
// tests/fixtures/dovecot/dovecot-fixture. available() is false, with a reason, when
// dovecot is not installed.
class Dovecot {
 public:
  Dovecot();
  ~Dovecot();
  bool available() const { return ok_; }
  const std::string& why_not() const { return why_; }
  int imap_port = 0, imaps_port = 0, pop3_port = 0, pop3s_port = 0, lmtp_port = 0;
  std::filesystem::path ca_file() const { return dir_.path() / "ca.pem"; }
  // The fixture's own directory (certificate, SASL socket), for the Postfix fixture.
  std::filesystem::path fixture_dir() const { return dir_.path() / "dc"; }
  // Delivers a raw mail into USER's INBOX over Dovecot's LMTP.
  bool deliver(const std::string& user, const std::string& raw);
  bool stop_server();
  // Again, on the same ports and mail; false after 15 s of tries, with Dovecot's words
  // in start_log().
  bool start_server();
  std::string start_log() const;

 private:
  TempDir dir_;
  bool ok_ = false;
  std::string why_;
};

// A throw-away Postfix on a loopback high port relaying every mail to an LMTP port
// (tests/fixtures/postfix/postfix-fixture). tempfail@example.org gets 450 at RCPT,
// reject@example.org 550. available() is false, with a reason, without postfix or root.
class Postfix {
 public:
  // With dovecot_dir: also submission (STARTTLS + AUTH) and SMTPS (implicit TLS + AUTH)
  // ports, with Dovecot's certificate and users.
  explicit Postfix(int lmtp_port, const std::filesystem::path& dovecot_dir = {});
  ~Postfix();
  bool available() const { return ok_; }
  const std::string& why_not() const { return why_; }
  int smtp_port = 0, submission_port = 0, smtps_port = 0;

 private:
  TempDir dir_;
  bool ok_ = false;
  std::string why_;
};

// A free TCP port on 127.0.0.1 (free when asked; bind soon).
int free_port();

}  // namespace mailcase::testing
