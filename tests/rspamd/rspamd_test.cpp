// The spam check against a real rspamd (Debian's package), started by each test in the
// foreground on a free loopback port with tests/fixtures/rspamd's minimal configuration:
// GTUBE is held as spam, a plain mail makes its case, and with rspamd gone the mail is
// accepted and recorded "unchecked". Skipped when rspamd is not installed.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::run_mailcase;

// GTUBE: the test string every spam filter calls spam.
const std::string kGtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}

// rspamd in the foreground (-f) in its own process group, stopped with the object.
class Rspamd {
 public:
  Rspamd() {
    for (const char* candidate : {"/usr/bin/rspamd", "/usr/sbin/rspamd"})
      if (::access(candidate, X_OK) == 0) bin_ = candidate;
    if (bin_.empty()) {
      why_ = "rspamd is not installed (Debian package rspamd; scripts/setup installs it)";
      return;
    }
    port_ = testing::free_port();
    const std::filesystem::path fixture =
        std::filesystem::path(MAILCASE_SOURCE_DIR) / "tests/fixtures/rspamd";
    std::string conf = testing::read_file(fixture / "rspamd.conf.in");
    conf = replace_all(conf, "@DIR@", dir_.path().string());
    conf = replace_all(conf, "@PORT@", std::to_string(port_));
    std::ofstream(dir_.path() / "rspamd.conf") << conf;
    std::filesystem::copy_file(fixture / "tld.dat", dir_.path() / "tld.dat");
    start();
    // Loading its configuration takes a few seconds, more on a busy machine.
    if (!testing::wait_until([this] { return ping(); }, 180000)) {
      why_ = "rspamd did not answer on port " + std::to_string(port_) + ": " +
             testing::read_file(dir_.path() / "rspamd.log");
      stop();
    }
  }
  ~Rspamd() { stop(); }
  Rspamd(const Rspamd&) = delete;
  Rspamd& operator=(const Rspamd&) = delete;

  bool installed() const { return !bin_.empty(); }
  bool available() const { return pid_ > 0 && why_.empty(); }
  const std::string& why_not() const { return why_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Ends rspamd and its workers; waits for the main process.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGTERM);
    int status = 0;
    bool ended = testing::wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, 20000);
    if (!ended) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    ::kill(-pid_, SIGKILL);  // any worker left behind
    pid_ = -1;
  }

 private:
  void start() {
    const std::string conf = (dir_.path() / "rspamd.conf").string();
    const std::string log = (dir_.path() / "rspamd.log").string();
    std::vector<std::string> args = {bin_, "-f", "-c", conf};
    // As root rspamd refuses to run unless told whom to run as.
    if (::geteuid() == 0) args.insert(args.end(), {"-u", "root", "-g", "root"});
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      if (!std::freopen("/dev/null", "rb", stdin) || !std::freopen(log.c_str(), "wb", stdout) ||
          !std::freopen(log.c_str(), "ab", stderr))
        _exit(127);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(bin_.c_str(), argv.data());
      _exit(127);
    }
    if (pid_ > 0) ::setpgid(pid_, pid_);
  }

  bool ping() {
    int status = 0;
    if (pid_ <= 0 || ::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return true;  // ended: stop waiting (available() says no)
    }
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(1);
    c.set_read_timeout(5);
    auto r = c.Get("/ping");
    return r && r->status == 200;
  }

  testing::TempDir dir_;
  std::string bin_;
  std::string why_;
  int port_ = 0;
  int pid_ = -1;
};

// A data directory whose spam check asks `url`; mail to support@corp.example.
std::string data_dir(const testing::TempDir& dir, const std::string& url) {
  const std::string data = (dir.path() / "data").string();
  EXPECT_EQ(run_mailcase({"--data", data, "init"}).exit_code, 0);
  std::ofstream(dir.path() / "data" / "mailcase.toml")
      << "[spam]\nrspamd_url = \"" << url << "\"\nrspamd_timeout_seconds = 30\n";
  return data;
}

std::string mail(const std::string& from, const std::string& subject, const std::string& body,
                 const std::string& id) {
  return "From: Anna <" + from + ">\r\nTo: support@corp.example\r\nSubject: " + subject +
         "\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <" + id + ">\r\n\r\n" + body + "\r\n";
}

nlohmann::json run_json(const std::vector<std::string>& args, const std::string& in = "") {
  auto r = run_mailcase(args, in);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
  return j;
}

nlohmann::json deliver(const std::string& data, const std::string& raw, const std::string& sender) {
  return run_json({"--data", data, "deliver", "--recipient", "support@corp.example", "--sender", sender},
                  raw);
}

// The same delivery by mailcase-deliver, the delivery-only program, which opens libcurl
// only when it asks rspamd (spam/rspamd.cpp).
nlohmann::json deliver_by_program(const std::string& data, const std::string& raw, const std::string& sender) {
  testing::TempDir io;
  std::ofstream(io.path() / "in", std::ios::binary) << raw;
  const std::string cmd = std::string(MAILCASE_DELIVER_BINARY) + " --data '" + data +
                          "' deliver --recipient support@corp.example --sender '" + sender + "' <'" +
                          (io.path() / "in").string() + "' >'" + (io.path() / "out").string() + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto j = nlohmann::json::parse(testing::read_file(io.path() / "out"), nullptr, false);
  EXPECT_FALSE(j.is_discarded());
  return j;
}

// The record of message `id` as `message list --json` shows it.
nlohmann::json record(const std::string& data, int64_t id) {
  for (const auto& m : run_json({"--data", data, "message", "list", "--json"}))
    if (m["id"] == id) return m;
  return {};
}

#define NEED_RSPAMD(r)                                 \
  if (!(r).installed()) GTEST_SKIP() << (r).why_not(); \
  ASSERT_TRUE((r).available()) << (r).why_not()

TEST(Rspamd, GtubeIsHeldAsSpamWithNoCaseAndNoMailSent) {
  Rspamd rspamd;
  NEED_RSPAMD(rspamd);
  testing::TempDir dir;
  const std::string data = data_dir(dir, rspamd.url());

  auto out = deliver_by_program(data, mail("anna@example.org", "Cheap watches", kGtube, "gtube-1@example.org"),
                                "anna@example.org");
  EXPECT_EQ(out["outcome"], "held") << out.dump();
  EXPECT_EQ(out["reason"].get<std::string>().rfind("spam: ", 0), 0u) << out.dump();
  EXPECT_NE(out["reason"].get<std::string>().find("(rspamd)"), std::string::npos) << out.dump();
  const int64_t id = out["message"].get<int64_t>();
  auto rec = record(data, id);
  EXPECT_EQ(rec["state"], "held");
  EXPECT_EQ(rec["spam"], "spam") << rec.dump();
  EXPECT_NE(rec["spam_detail"].get<std::string>().find("GTUBE"), std::string::npos) << rec.dump();
  EXPECT_TRUE(run_json({"--data", data, "case", "list", "--json"}).empty());
  EXPECT_TRUE(run_json({"--data", data, "outbox", "list", "--json"}).empty());
  // Listed with the held mail, its reason shown.
  auto held = run_mailcase({"--data", data, "message", "list", "--state", "held"});
  EXPECT_NE(held.out.find("(spam: "), std::string::npos) << held.out;

  // An agent says it is not spam and allows its sender: it makes its case now…
  auto retried =
      run_json({"--data", data, "message", "retry", std::to_string(id), "--not-spam", "--allow-sender"});
  EXPECT_EQ(retried["outcome"], "created") << retried.dump();
  EXPECT_NE(record(data, id)["spam_detail"].get<std::string>().find("released as not spam"),
            std::string::npos);
  // …and that sender's later mail, its envelope sender vouching for its From, is let
  // through, its verdict still recorded.
  out = deliver(data, mail("anna@example.org", "Again", kGtube, "gtube-2@example.org"), "bounce@example.org");
  EXPECT_EQ(out["outcome"], "created") << out.dump();
  rec = record(data, out["message"].get<int64_t>());
  EXPECT_EQ(rec["spam"], "spam");
  EXPECT_NE(rec["spam_detail"].get<std::string>().find("sender allowed"), std::string::npos) << rec.dump();
  // A forged From of that sender, sent from elsewhere, gains nothing.
  out = deliver(data, mail("anna@example.org", "Forged", kGtube, "gtube-3@example.org"),
                "spammer@evil.example");
  EXPECT_EQ(out["outcome"], "held") << out.dump();
  EXPECT_NE(out["reason"].get<std::string>().find("not proven"), std::string::npos) << out.dump();
}

TEST(Rspamd, PlainMailMakesACaseAndWithRspamdGoneIsRecordedUnchecked) {
  Rspamd rspamd;
  NEED_RSPAMD(rspamd);
  testing::TempDir dir;
  const std::string data = data_dir(dir, rspamd.url());

  auto out =
      deliver(data, mail("bob@example.org", "Printer broken", "It prints nothing.", "plain-1@example.org"),
              "bob@example.org");
  EXPECT_EQ(out["outcome"], "created") << out.dump();
  auto rec = record(data, out["message"].get<int64_t>());
  EXPECT_EQ(rec["spam"], "ham") << rec.dump();
  EXPECT_EQ(run_json({"--data", data, "case", "list", "--json"}).size(), 1u);

  rspamd.stop();
  out = deliver(data, mail("carol@example.org", "Scanner broken", "It scans nothing.", "plain-2@example.org"),
                "carol@example.org");
  EXPECT_EQ(out["outcome"], "created") << out.dump();
  rec = record(data, out["message"].get<int64_t>());
  EXPECT_EQ(rec["spam"], "unchecked") << rec.dump();
  EXPECT_NE(rec["spam_detail"].get<std::string>().find("not reached"), std::string::npos) << rec.dump();
  EXPECT_EQ(run_json({"--data", data, "case", "list", "--json"}).size(), 2u);
}

}  // namespace
}  // namespace mailcase
