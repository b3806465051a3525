// Mailbox agents and the LMTP listener against a real Dovecot on loopback
// (tests/fixtures/dovecot). Each test starts its own Dovecot and data directory.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "support/test_support.h"

namespace mailcase::testing {
namespace {

const std::string kTool = std::string(MAILCASE_SOURCE_DIR) + "/tests/fixtures/mailtool.py";

std::string sh_out(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

std::string mail(int i, const std::string& to = "support@corp.example") {
  return "From: Anna Customer <anna" + std::to_string(i) + "@example.org>\r\nTo: " + to +
         "\r\nSubject: Printer " + std::to_string(i) + " is broken\r\nMessage-ID: <printer-" +
         std::to_string(i) +
         "@example.org>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nIt does not print.\r\n";
}

class MailboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!dc.available()) GTEST_SKIP() << dc.why_not();
    data = (dir.path() / "data").string();
    ASSERT_EQ(run_mailcase({"--data", data, "init"}).exit_code, 0);
    ASSERT_EQ(run_mailcase({"--data", data, "address", "add", "support@corp.example"}).exit_code, 0);
    std::ofstream(dir.path() / "alice.pw") << "alice-secret\n";
    std::ofstream(dir.path() / "wrong.pw") << "not-her-password\n";
  }

  CommandResult mc(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data});
    return run_mailcase(args);
  }

  CommandResult add(const std::string& name, const std::string& protocol, int port, const std::string& tls,
                    std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"mailbox",
                                  "add",
                                  name,
                                  "--protocol",
                                  protocol,
                                  "--host",
                                  "127.0.0.1",
                                  "--port",
                                  std::to_string(port),
                                  "--tls",
                                  tls,
                                  "--user",
                                  "alice",
                                  "--password-file",
                                  (dir.path() / "alice.pw").string(),
                                  "--ca-file",
                                  dc.ca_file().string()};
    a.insert(a.end(), extra.begin(), extra.end());
    return mc(a);
  }

  int count(const std::string& folder, const std::string& criteria = "ALL") {
    return std::atoi(sh_out("python3 '" + kTool + "' imap-count 127.0.0.1 " + std::to_string(dc.imap_port) +
                            " alice alice-secret '" + folder + "' '" + criteria + "'")
                         .c_str());
  }

  int cases() {
    auto r = mc({"case", "list", "--json"});
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    return j.is_array() ? static_cast<int>(j.size()) : -1;
  }

  TempDir dir;
  Dovecot dc;
  std::string data;
};

TEST_F(MailboxTest, ImapImplicitTlsMarksSeenAndFetchesOnce) {
  ASSERT_TRUE(dc.deliver("alice", mail(1)));
  ASSERT_TRUE(dc.deliver("alice", mail(2)));
  ASSERT_EQ(add("in", "imap", dc.imaps_port, "implicit", {"--after", "seen"}).exit_code, 0);
  auto t = mc({"mailbox", "test", "in"});
  EXPECT_EQ(t.exit_code, 0) << t.out << t.err;
  EXPECT_NE(t.out.find("IDLE"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("waiting: 2"), std::string::npos) << t.out;
  auto f = mc({"mailbox", "fetch", "in"});
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_NE(f.out.find("fetched 2"), std::string::npos) << f.out;
  EXPECT_EQ(cases(), 2);
  EXPECT_EQ(count("INBOX"), 2);
  EXPECT_EQ(count("INBOX", "UNSEEN"), 0);
  EXPECT_NE(mc({"mailbox", "fetch", "in"}).out.find("fetched 0"), std::string::npos);
  EXPECT_EQ(cases(), 2);
}

TEST_F(MailboxTest, ImapStartTlsDeletes) {
  ASSERT_TRUE(dc.deliver("alice", mail(1)));
  ASSERT_EQ(add("in", "imap", dc.imap_port, "starttls", {"--after", "delete"}).exit_code, 0);
  auto f = mc({"mailbox", "fetch", "in"});
  EXPECT_NE(f.out.find("fetched 1"), std::string::npos) << f.out << f.err;
  EXPECT_EQ(count("INBOX"), 0);
  EXPECT_EQ(cases(), 1);
}

TEST_F(MailboxTest, ImapMovesToAFolderItCreates) {
  ASSERT_TRUE(dc.deliver("alice", mail(1)));
  ASSERT_TRUE(dc.deliver("alice", mail(2)));
  ASSERT_EQ(add("in", "imap", dc.imaps_port, "implicit", {"--after", "move:Done"}).exit_code, 0);
  auto f = mc({"mailbox", "fetch", "in"});
  EXPECT_NE(f.out.find("fetched 2"), std::string::npos) << f.out << f.err;
  EXPECT_EQ(count("INBOX"), 0);
  EXPECT_EQ(count("Done"), 2);
}

TEST_F(MailboxTest, ImapKeepLeavesMailAndRemembersUids) {
  ASSERT_TRUE(dc.deliver("alice", mail(1)));
  ASSERT_EQ(add("in", "imap", dc.imaps_port, "implicit", {"--after", "keep"}).exit_code, 0);
  EXPECT_NE(mc({"mailbox", "fetch", "in"}).out.find("fetched 1"), std::string::npos);
  ASSERT_TRUE(dc.deliver("alice", mail(2)));
  EXPECT_NE(mc({"mailbox", "fetch", "in"}).out.find("fetched 1"), std::string::npos);
  EXPECT_EQ(count("INBOX"), 2);
  EXPECT_EQ(count("INBOX", "UNSEEN"), 2);  // BODY.PEEK: keep means untouched
  EXPECT_EQ(cases(), 2);
}

TEST_F(MailboxTest, Pop3DeleteOverImplicitTls) {
  ASSERT_TRUE(dc.deliver("alice", mail(1)));
  ASSERT_TRUE(dc.deliver("alice", mail(2)));
  ASSERT_EQ(add("pop", "pop3", dc.pop3s_port, "implicit", {"--after", "delete"}).exit_code, 0);
  auto f = mc({"mailbox", "fetch", "pop"});
  EXPECT_NE(f.out.find("fetched 2"), std::string::npos) << f.out << f.err;
  EXPECT_EQ(count("INBOX"), 0);
  EXPECT_EQ(cases(), 2);
}

TEST_F(MailboxTest, Pop3KeepFetchesEachMailOnceByUidl) {
  ASSERT_TRUE(dc.deliver("alice", mail(1)));
  ASSERT_EQ(add("pop", "pop3", dc.pop3_port, "starttls", {"--after", "keep"}).exit_code, 0);
  EXPECT_NE(mc({"mailbox", "fetch", "pop"}).out.find("fetched 1"), std::string::npos);
  ASSERT_TRUE(dc.deliver("alice", mail(2)));
  auto f = mc({"mailbox", "fetch", "pop"});
  EXPECT_NE(f.out.find("fetched 1"), std::string::npos) << f.out << f.err;
  EXPECT_EQ(count("INBOX"), 2);
  EXPECT_EQ(cases(), 2);
}

TEST_F(MailboxTest, WrongPasswordSaysSoAndNeverShowsIt) {
  std::vector<std::string> a = {"mailbox",
                                "add",
                                "in",
                                "--protocol",
                                "imap",
                                "--host",
                                "127.0.0.1",
                                "--port",
                                std::to_string(dc.imaps_port),
                                "--tls",
                                "implicit",
                                "--user",
                                "alice",
                                "--password-file",
                                (dir.path() / "wrong.pw").string(),
                                "--ca-file",
                                dc.ca_file().string()};
  ASSERT_EQ(mc(a).exit_code, 0);
  auto t = mc({"mailbox", "test", "in"});
  EXPECT_NE(t.exit_code, 0);
  EXPECT_NE(t.out.find("authentication as alice failed"), std::string::npos) << t.out;
  auto l = mc({"mailbox", "list"});
  for (const auto& s : {t.out, t.err, l.out, l.err})
    EXPECT_EQ(s.find("not-her-password"), std::string::npos) << s;
}

// Microsoft 365 and Gmail take an OAuth2 access token instead of a password: the
// token comes from --token-command, and Dovecot checks it with the fixture's
// introspection endpoint.
TEST_F(MailboxTest, Xoauth2TokenFromACommand) {
  std::ofstream(dir.path() / "token.sh") << "#!/bin/sh\necho alice-token\n";
  std::ofstream(dir.path() / "bad-token.sh") << "#!/bin/sh\necho stolen-token\n";
  auto mk = [&](const std::string& name, const std::string& script) {
    return mc({"mailbox",
               "add",
               name,
               "--protocol",
               "imap",
               "--host",
               "127.0.0.1",
               "--port",
               std::to_string(dc.imaps_port),
               "--tls",
               "implicit",
               "--user",
               "alice",
               "--ca-file",
               dc.ca_file().string(),
               "--auth",
               "xoauth2",
               "--token-command",
               "sh '" + (dir.path() / script).string() + "'",
               "--after",
               "seen"});
  };
  ASSERT_EQ(mk("oauth", "token.sh").exit_code, 0);
  ASSERT_EQ(mk("badoauth", "bad-token.sh").exit_code, 0);
  ASSERT_TRUE(dc.deliver("alice", mail(1)));
  auto t = mc({"mailbox", "test", "oauth"});
  EXPECT_EQ(t.exit_code, 0) << t.out << t.err;
  auto f = mc({"mailbox", "fetch", "oauth"});
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_EQ(cases(), 1);
  auto bad = mc({"mailbox", "test", "badoauth"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("authentication as alice failed"), std::string::npos) << bad.out;
  for (const auto& s : {t.out, t.err, bad.out, bad.err, mc({"mailbox", "list"}).out}) {
    EXPECT_EQ(s.find("alice-token"), std::string::npos) << s;
    EXPECT_EQ(s.find("stolen-token"), std::string::npos) << s;
  }
}

// One mailbox that cannot log in keeps retrying on its own; the others go on.
TEST_F(MailboxTest, OneBadMailboxNeverStopsTheOthers) {
  ASSERT_EQ(
      add("good", "imap", dc.imaps_port, "implicit", {"--after", "seen", "--poll-interval", "1s"}).exit_code,
      0);
  std::vector<std::string> a = {"mailbox",
                                "add",
                                "bad",
                                "--protocol",
                                "imap",
                                "--host",
                                "127.0.0.1",
                                "--port",
                                std::to_string(dc.imaps_port),
                                "--tls",
                                "implicit",
                                "--user",
                                "alice",
                                "--password-file",
                                (dir.path() / "wrong.pw").string(),
                                "--ca-file",
                                dc.ca_file().string()};
  ASSERT_EQ(mc(a).exit_code, 0);
  ASSERT_TRUE(dc.deliver("alice", mail(1)));
  Background serve({"--data", data, "serve"});
  EXPECT_TRUE(wait_until([&] { return cases() == 1; }, 20000)) << serve.err();
  EXPECT_TRUE(wait_until([&] {
    auto l = mc({"mailbox", "list"}).out;
    return l.find("authentication as alice failed") != std::string::npos;
  })) << mc({"mailbox", "list"}).out;
  EXPECT_TRUE(serve.running());
  EXPECT_EQ(serve.stop(SIGTERM), 0);
}

TEST_F(MailboxTest, MissingFolderIsNamed) {
  ASSERT_EQ(add("in", "imap", dc.imaps_port, "implicit", {"--folder", "Nope"}).exit_code, 0);
  auto t = mc({"mailbox", "test", "in"});
  EXPECT_NE(t.exit_code, 0);
  EXPECT_NE(t.out.find("folder Nope"), std::string::npos) << t.out;
}

TEST_F(MailboxTest, UntrustedCertificateIsRefusedByDefault) {
  std::vector<std::string> a = {"mailbox",
                                "add",
                                "in",
                                "--protocol",
                                "imap",
                                "--host",
                                "127.0.0.1",
                                "--port",
                                std::to_string(dc.imaps_port),
                                "--tls",
                                "implicit",
                                "--user",
                                "alice",
                                "--password-file",
                                (dir.path() / "alice.pw").string()};
  ASSERT_EQ(mc(a).exit_code, 0);
  auto t = mc({"mailbox", "test", "in"});
  EXPECT_NE(t.exit_code, 0);
  EXPECT_NE(t.out.find("certificate"), std::string::npos) << t.out;
}

TEST_F(MailboxTest, ConnectionRefusedIsNamed) {
  ASSERT_EQ(add("in", "imap", 1, "implicit").exit_code, 0);
  auto t = mc({"mailbox", "test", "in"});
  EXPECT_NE(t.out.find("connection to 127.0.0.1:1 failed"), std::string::npos) << t.out;
}

TEST_F(MailboxTest, IdlePicksUpANewMailAndSurvivesADovecotRestart) {
  ASSERT_EQ(
      add("in", "imap", dc.imaps_port, "implicit", {"--after", "seen", "--poll-interval", "600s"}).exit_code,
      0);
  Background serve({"--data", data, "serve"});
  ASSERT_TRUE(wait_until([&] {
    return mc({"mailbox", "list"}).out.find("IDLE") != std::string::npos;
  })) << serve.err();
  ASSERT_TRUE(dc.deliver("alice", mail(1)));
  // Push: the poll interval is ten minutes, so only IDLE can bring it in time.
  EXPECT_TRUE(wait_until([&] { return cases() == 1; }, 15000)) << serve.err();

  ASSERT_TRUE(dc.stop_server());
  // Generous: under ASan on two busy cores the dropped IDLE connection may take a while
  // to be noticed and the state written.
  EXPECT_TRUE(wait_until(
      [&] {
        return mc({"mailbox", "list"}).out.find("error") != std::string::npos;
      },
      45000))
      << mc({"mailbox", "list"}).out << serve.err();
  ASSERT_TRUE(dc.start_server()) << dc.start_log();
  ASSERT_TRUE(wait_until(
      [&] {
        return mc({"mailbox", "list"}).out.find("IDLE") != std::string::npos;
      },
      30000))
      << mc({"mailbox", "list"}).out;
  ASSERT_TRUE(dc.deliver("alice", mail(2)));
  EXPECT_TRUE(wait_until([&] { return cases() == 2; }, 15000)) << serve.err();
  EXPECT_EQ(serve.stop(SIGTERM), 0);
  EXPECT_NE(mc({"mailbox", "list"}).out.find("stopped"), std::string::npos);
}

// Mails arriving one after another while the agent is busy acknowledging the one
// before: each must still wake it (a notice that came with a command's reply, or in
// the same read as "+ idling", used to leave it waiting for the next IDLE timeout).
TEST_F(MailboxTest, IdleSeesEveryMailOfAQuickSequence) {
  ASSERT_EQ(
      add("in", "imap", dc.imaps_port, "implicit", {"--after", "seen", "--poll-interval", "600s"}).exit_code,
      0);
  Background serve({"--data", data, "serve"});
  ASSERT_TRUE(wait_until([&] {
    return mc({"mailbox", "list"}).out.find("IDLE") != std::string::npos;
  })) << serve.err();
  // The next mail goes in the moment the one before is committed, while the agent
  // acknowledges it.
  auto out = sh_out("python3 '" + kTool + "' push-chain '" + data + "/mailcase.db' 127.0.0.1 " +
                    std::to_string(dc.lmtp_port) + " alice@localhost 100 chain");
  EXPECT_NE(out.find("all 100 picked up"), std::string::npos) << out;
  EXPECT_EQ(serve.stop(SIGTERM), 0);
}

// A mail brought by IDLE: its mailbox shows when the server's notice came and how long
// after it the mail was committed (mailcase's own share of the push delay); a mail
// fetched by a pass that no notice woke counts for nothing there.
TEST_F(MailboxTest, PushDelayIsShownPerMailbox) {
  ASSERT_EQ(
      add("in", "imap", dc.imaps_port, "implicit", {"--after", "seen", "--poll-interval", "600s"}).exit_code,
      0);
  ASSERT_TRUE(dc.deliver("alice", mail(1)));
  ASSERT_EQ(mc({"mailbox", "fetch", "in"}).exit_code, 0);
  auto shown = [&] {
    auto j = nlohmann::json::parse(mc({"mailbox", "list", "--json"}).out, nullptr, false);
    return j.is_array() && j.size() == 1 ? j[0] : nlohmann::json();
  };
  auto before = shown();
  ASSERT_TRUE(before.is_object()) << mc({"mailbox", "list", "--json"}).out;
  EXPECT_EQ(before["push_count"], 0);
  EXPECT_TRUE(before["push_last_ms"].is_null());
  EXPECT_EQ(before["push_last_notice_at"], "");
  EXPECT_EQ(mc({"mailbox", "list"}).out.find("last push"), std::string::npos);

  const auto rawlog = dc.fixture_dir() / "rawlog";
  std::filesystem::create_directories(rawlog);
  std::filesystem::permissions(rawlog, std::filesystem::perms::all);
  Background serve({"--data", data, "serve"});
  ASSERT_TRUE(wait_until([&] {
    return mc({"mailbox", "list"}).out.find("IDLE") != std::string::npos;
  })) << serve.err();
  ASSERT_TRUE(dc.deliver("alice", mail(2)));
  nlohmann::json after;
  EXPECT_TRUE(wait_until(
      [&] {
        after = shown();
        return after.is_object() && after["push_count"] == 1;
      },
      15000))
      << after.dump() << serve.err();
  EXPECT_EQ(cases(), 2);
  ASSERT_TRUE(after["push_last_ms"].is_number()) << after.dump();
  EXPECT_GE(after["push_last_ms"].get<double>(), 0.0);
  // ISO 8601, UTC, with microseconds: "2026-11-23T10:00:00.250000Z".
  const std::string at = after["push_last_notice_at"];
  EXPECT_EQ(at.size(), 27u) << at;
  EXPECT_EQ(at.back(), 'Z') << at;
  EXPECT_NE(mc({"mailbox", "list"}).out.find("last push "), std::string::npos) << mc({"mailbox", "list"}).out;
  EXPECT_EQ(serve.stop(SIGTERM), 0);
  // The notice's mail was fetched right after IDLE ended, without a search first.
  std::string after_done, logged;
  for (const auto& f : std::filesystem::directory_iterator(rawlog)) {
    if (f.path().extension() != ".in") continue;
    std::ifstream in(f.path());
    bool done = false;
    for (std::string line; std::getline(in, line);) {
      logged += line + "\n";
      if (done && after_done.empty()) after_done = line;
      done = line.find("DONE") != std::string::npos;
    }
  }
  EXPECT_NE(after_done.find("UID FETCH"), std::string::npos) << logged;
}

TEST_F(MailboxTest, LmtpAnswersPerRecipientAndCommitsFirst) {
  int port = 0;
  {
    // A free port for the listener.
    auto out = sh_out(
        "python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); "
        "print(s.getsockname()[1])'");
    port = std::atoi(out.c_str());
  }
  Background serve({"--data", data, "serve", "--lmtp", "127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(wait_until([&] { return serve.err().find("lmtp: listening") != std::string::npos; }))
      << serve.err();
  auto f = dir.path() / "m.eml";
  std::ofstream(f, std::ios::binary) << mail(7);
  auto out = sh_out("python3 '" + kTool + "' lmtp-file 127.0.0.1 " + std::to_string(port) +
                    " support@corp.example stranger@elsewhere.example < '" + f.string() + "'");
  EXPECT_NE(out.find("RCPT support@corp.example 250"), std::string::npos) << out;
  EXPECT_NE(out.find("RCPT stranger@elsewhere.example 550"), std::string::npos) << out;
  EXPECT_NE(out.find("DATA support@corp.example 250"), std::string::npos) << out;
  EXPECT_EQ(cases(), 1);  // committed before the 250 was sent
  out = sh_out("python3 '" + kTool + "' lmtp-file 127.0.0.1 " + std::to_string(port) +
               " support@corp.example < '" + f.string() + "'");
  EXPECT_NE(out.find("duplicate"), std::string::npos) << out;
  // Four connections at once share commits; every mail gets its 250 and one case.
  std::string script = "pids=; for k in 0 1 2 3; do python3 '" + kTool + "' lmtp-bulk 127.0.0.1 " +
                       std::to_string(port) +
                       " support@corp.example 50 conn$k & pids=\"$pids $!\"; done; rc=0; "
                       "for p in $pids; do wait $p || rc=1; done; exit $rc";
  std::ofstream(dir.path() / "conn.sh") << script << "\n";
  EXPECT_EQ(std::system(("bash '" + (dir.path() / "conn.sh").string() + "'").c_str()), 0);
  EXPECT_EQ(cases(), 1 + 4 * 50);
  EXPECT_EQ(serve.stop(SIGTERM), 0);
}

// Several thousand mails over IMAP while mailcase is SIGKILLed again and again: every
// mail is recorded exactly once and the mailbox ends in its --after state.
TEST_F(MailboxTest, KilledAtRandomMomentsEveryMailOnce) {
  const int total =
      std::getenv("MAILCASE_FAULT_MAILS") ? std::atoi(std::getenv("MAILCASE_FAULT_MAILS")) : 5000;
  ASSERT_EQ(std::system(("python3 '" + kTool + "' lmtp-bulk 127.0.0.1 " + std::to_string(dc.lmtp_port) +
                         " alice@localhost " + std::to_string(total) + " fault")
                            .c_str()),
            0);
  ASSERT_EQ(count("INBOX"), total);
  ASSERT_EQ(add("in", "imap", dc.imaps_port, "implicit", {"--after", "move:Done"}).exit_code, 0);
  std::mt19937 rng(12345);
  int kills = 0;
  for (int round = 0; round < 200 && count("INBOX") > 0; ++round) {
    Background serve({"--data", data, "serve"});
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 300));
    serve.stop(SIGKILL);
    ++kills;
  }
  {
    // Whatever is left: one clean pass.
    auto f = mc({"mailbox", "fetch", "in"});
    ASSERT_EQ(f.exit_code, 0) << f.err;
  }
  EXPECT_GE(kills, 10);
  EXPECT_EQ(count("INBOX"), 0);
  EXPECT_EQ(count("Done"), total);
  auto r = mc({"message", "list", "--json"});
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_array()) << r.out.substr(0, 200) << r.err;
  std::set<std::string> ids;
  int rows = 0;
  for (const auto& m : j) {
    ++rows;
    ids.insert(m.value("message_id", std::string()));
  }
  EXPECT_EQ(rows, total);
  EXPECT_EQ(static_cast<int>(ids.size()), total);
  for (int i = 0; i < total; i += 97) EXPECT_EQ(ids.count("fault-" + std::to_string(i) + "@test"), 1u) << i;
  std::cout << "fault injection: " << total << " mails, " << kills << " SIGKILLs, " << rows << " recorded\n";
}

// The UID FETCH commands for mails' bytes (BODY.PEEK[]) the IMAP sessions logged in
// Dovecot's rawlog directory.
int body_fetches(const std::filesystem::path& rawlog) {
  int n = 0;
  for (const auto& f : std::filesystem::directory_iterator(rawlog)) {
    if (f.path().extension() != ".in") continue;
    std::ifstream in(f.path());
    for (std::string line; std::getline(in, line);)
      if (line.find("UID FETCH") != std::string::npos && line.find("BODY.PEEK[]") != std::string::npos) ++n;
  }
  return n;
}

// [mailbox] fetch_batch is read by `mailbox fetch`: three mails in batches of two are
// fetched by two commands (as Dovecot logged the session), every mail once; a batch of
// 0 is refused with the key named before anything is fetched.
TEST_F(MailboxTest, FetchBatchIsTheSetting) {
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(dc.deliver("alice", mail(i)));
  ASSERT_EQ(add("in", "imap", dc.imaps_port, "implicit", {"--after", "seen"}).exit_code, 0);
  std::ofstream(dir.path() / "data" / "mailcase.toml") << "[mailbox]\nfetch_batch = 0\n";
  auto bad = mc({"mailbox", "fetch", "in"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("mailbox.fetch_batch"), std::string::npos) << bad.err;
  EXPECT_EQ(count("INBOX", "UNSEEN"), 3);

  const auto rawlog = dc.fixture_dir() / "rawlog";
  std::filesystem::create_directories(rawlog);
  std::filesystem::permissions(rawlog, std::filesystem::perms::all);
  std::ofstream(dir.path() / "data" / "mailcase.toml") << "[mailbox]\nfetch_batch = 2\n";
  auto f = mc({"mailbox", "fetch", "in"});
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_NE(f.out.find("fetched 3"), std::string::npos) << f.out;
  // The session's log is complete once Dovecot has closed it, shortly after the logout.
  wait_until([&] { return body_fetches(rawlog) >= 2; }, 5000);
  EXPECT_EQ(body_fetches(rawlog), 2);
  EXPECT_EQ(cases(), 3);
  EXPECT_EQ(count("INBOX", "UNSEEN"), 0);
}

// The commands the IMAP sessions logged in Dovecot's rawlog directory that contain `what`.
int commands_with(const std::filesystem::path& rawlog, const std::string& what) {
  int n = 0;
  for (const auto& f : std::filesystem::directory_iterator(rawlog)) {
    if (f.path().extension() != ".in") continue;
    std::ifstream in(f.path());
    for (std::string line; std::getline(in, line);)
      if (line.find(what) != std::string::npos) ++n;
  }
  return n;
}

// The round trips of a pass, which a pushed mail waits for before its commit: with
// --after seen, one search finds the new and the unseen mails together, and one UID
// FETCH brings each mail's size with its bytes. The pass then searches once more and
// finds nothing: two searches and one fetch in all for three waiting mails.
TEST_F(MailboxTest, APassSearchesOnceAndFetchesSizesWithTheBytes) {
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(dc.deliver("alice", mail(i)));
  ASSERT_EQ(add("in", "imap", dc.imaps_port, "implicit", {"--after", "seen"}).exit_code, 0);
  const auto rawlog = dc.fixture_dir() / "rawlog";
  std::filesystem::create_directories(rawlog);
  std::filesystem::permissions(rawlog, std::filesystem::perms::all);
  auto f = mc({"mailbox", "fetch", "in"});
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_NE(f.out.find("fetched 3"), std::string::npos) << f.out;
  wait_until([&] { return commands_with(rawlog, "LOGOUT") >= 1; }, 5000);
  EXPECT_EQ(commands_with(rawlog, "UID SEARCH"), 2);
  EXPECT_EQ(commands_with(rawlog, "UID FETCH"), 1);
  EXPECT_EQ(body_fetches(rawlog), 1);
  EXPECT_EQ(cases(), 3);
  EXPECT_EQ(count("INBOX", "UNSEEN"), 0);
}

}  // namespace
}  // namespace mailcase::testing
