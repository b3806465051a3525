// `mailbox add` takes --protocol, --tls, --after and --auth as text and refuses any
// other; what it stores reads back as the same text; a stored value mailcase does
// not know stops `mailbox list` and `serve` with the reason instead of a guess.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::CommandResult;
using mailcase::testing::run_mailcase;
using nlohmann::json;

class MailboxSettingsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    ASSERT_EQ(run({"init"}).exit_code, 0);
    pw_ = (dir_.path() / "alice.pw").string();
    std::ofstream(pw_) << "alice-secret\n";
  }
  CommandResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_});
    return run_mailcase(args);
  }
  CommandResult add(const std::string& name, std::vector<std::string> modes) {
    std::vector<std::string> a = {"mailbox", "add",    name,    "--host",          "127.0.0.1", "--port",
                                  "993",     "--user", "alice", "--password-file", pw_};
    a.insert(a.end(), modes.begin(), modes.end());
    return run(a);
  }
  json list() {
    auto r = run({"mailbox", "list", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  mailcase::testing::TempDir dir_;
  std::string data_, pw_;
};

TEST_F(MailboxSettingsCli, UnknownModesAreRefusedNamingTheValuesAllowed) {
  struct Case {
    std::vector<std::string> modes;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--protocol", "smtp", "--tls", "implicit"}, "--protocol must be imap or pop3"},
      {{"--protocol", "IMAP", "--tls", "implicit"}, "--protocol must be imap or pop3"},
      {{"--protocol", "imap", "--tls", "ssl"}, "--tls must be implicit, starttls or none"},
      {{"--protocol", "imap", "--tls", "implicit", "--after", "archive"},
       "--after must be delete, seen, move:FOLDER or keep"},
      {{"--protocol", "imap", "--tls", "implicit", "--after", "move:"},
       "--after must be delete, seen, move:FOLDER or keep"},
      {{"--protocol", "imap", "--tls", "implicit", "--auth", "kerberos"},
       "--auth must be password or xoauth2"},
  };
  for (const auto& c : cases) {
    auto r = add("in", c.modes);
    EXPECT_EQ(r.exit_code, 64) << c.message << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  auto all = list();
  ASSERT_TRUE(all.is_array());
  EXPECT_TRUE(all.empty()) << all.dump();
}

TEST_F(MailboxSettingsCli, AMailboxAddedReadsBackWithTheTextGiven) {
  auto r = add("in", {"--protocol", "imap", "--tls", "starttls", "--after", "move:Done/2026", "--auth",
                      "xoauth2", "--token-command", "echo token"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(imap alice@127.0.0.1:993, after: move:Done/2026)"), std::string::npos) << r.out;
  // POP3 without --after deletes what it fetched; IMAP without it marks it seen.
  ASSERT_EQ(add("pop", {"--protocol", "pop3", "--tls", "implicit"}).exit_code, 0);
  ASSERT_EQ(add("plain", {"--protocol", "imap", "--tls", "none", "--allow-plaintext-auth", "yes"}).exit_code,
            0);

  auto all = list();
  ASSERT_TRUE(all.is_array());
  ASSERT_EQ(all.size(), 3u) << all.dump();
  // By name: in, plain, pop.
  EXPECT_EQ(all[0]["protocol"], "imap");
  EXPECT_EQ(all[0]["tls"], "starttls");
  EXPECT_EQ(all[0]["after"], "move:Done/2026");
  EXPECT_EQ(all[0]["auth"], "xoauth2");
  EXPECT_EQ(all[1]["tls"], "none");
  EXPECT_EQ(all[1]["after"], "seen");
  EXPECT_EQ(all[1]["auth"], "password");
  EXPECT_EQ(all[2]["protocol"], "pop3");
  EXPECT_EQ(all[2]["tls"], "implicit");
  EXPECT_EQ(all[2]["after"], "delete");

  auto text = run({"mailbox", "list"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("in\timap alice@127.0.0.1:993 INBOX\tafter move:Done/2026"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("pop\tpop3 alice@127.0.0.1:993 INBOX\tafter delete"), std::string::npos)
      << text.out;
}

TEST_F(MailboxSettingsCli, AnUnknownStoredTlsModeStopsListAndServeWithTheReason) {
  ASSERT_EQ(add("in", {"--protocol", "imap", "--tls", "implicit"}).exit_code, 0);
  // A hand edit, or a later mailcase's value.
  const std::string db = data_ + "/mailcase.db";
  ASSERT_EQ(
      std::system(("sqlite3 '" + db +
                   "' \"UPDATE mailboxes SET settings = json_set(settings, '$.tls', 'tls13') WHERE name = "
                   "'in'\"")
                      .c_str()),
      0);
  for (const auto& args :
       {std::vector<std::string>{"mailbox", "list"}, std::vector<std::string>{"mailbox", "list", "--json"}}) {
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 70) << r.out;
    EXPECT_NE(r.err.find("mailbox in: unknown tls 'tls13'"), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find("implicit"), std::string::npos) << r.out;
  }
  EXPECT_NE(run({"mailbox", "fetch", "in"}).err.find("unknown tls 'tls13'"), std::string::npos);

  // serve refuses to start rather than run the mailbox with a guessed TLS mode.
  mailcase::testing::Background serve({"--data", data_, "serve"});
  // Exited (a zombie until stop() reaps it and reads its status), or serving.
  auto exited = [&] {
    std::ifstream stat("/proc/" + std::to_string(serve.pid()) + "/stat");
    std::string pid, comm, state;
    stat >> pid >> comm >> state;
    return state == "Z";
  };
  ASSERT_TRUE(mailcase::testing::wait_until(
      [&] { return exited() || serve.err().find("serving;") != std::string::npos; }, 60000))
      << serve.err();
  EXPECT_EQ(serve.stop(SIGTERM), 70) << serve.err();
  EXPECT_NE(serve.err().find("mailbox in: unknown tls 'tls13'"), std::string::npos) << serve.err();
  EXPECT_EQ(serve.err().find("agent started"), std::string::npos) << serve.err();
}

}  // namespace
}  // namespace mailcase
