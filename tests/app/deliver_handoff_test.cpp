// Pipe deliveries handed to a running `serve` over DATA_DIR/deliver.sock: the same JSON,
// stderr text, exit codes and cases as a delivery that commits by itself; committing by
// itself when serve is not there (stopped, killed, busy); a request cut short records
// nothing; serve killed in the middle of many deliveries loses none and doubles none.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::run_mailcase;
using mailcase::testing::run_program;
using nlohmann::json;
namespace fs = std::filesystem;

std::string mail(const std::string& subject, const std::string& id, const std::string& extra = "") {
  return "From: Anna <anna@example.org>\r\nTo: support@corp.example\r\nSubject: " + subject +
         "\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <" + id + ">\r\n" + extra +
         "\r\nIt does not print.\r\n";
}

class DeliverHandoff : public ::testing::Test {
 protected:
  void SetUp() override { data_ = make_data("data"); }

  std::string make_data(const std::string& name) {
    const std::string d = (dir_.path() / name).string();
    EXPECT_EQ(run_mailcase({"--data", d, "init"}).exit_code, 0);
    EXPECT_EQ(
        run_mailcase({"--data", d, "address", "add", "support@corp.example", "--queue", "Support"}).exit_code,
        0);
    return d;
  }
  fs::path socket_path(const std::string& data) const { return fs::path(data) / "deliver.sock"; }

  // serve (ingest only), waited for until its delivery socket answers.
  std::unique_ptr<testing::Background> start_serve(const std::string& data) {
    auto s = std::make_unique<testing::Background>(
        std::vector<std::string>{"--data", data, "serve", "--roles", "ingest"});
    EXPECT_TRUE(testing::wait_until([&] {
      return s->err().find("deliver: taking deliveries") != std::string::npos;
    })) << s->err();
    return s;
  }

  testing::CommandResult deliver(const std::string& data, const std::string& raw, bool program = false,
                                 std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--data", data, "deliver", "--recipient", "support@corp.example"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_program(program ? MAILCASE_DELIVER_BINARY : MAILCASE_BINARY, args, raw);
  }

  size_t messages(const std::string& data) {
    auto list = json::parse(run_mailcase({"--data", data, "message", "list", "--json"}).out, nullptr, false);
    EXPECT_TRUE(list.is_array());
    return list.is_array() ? list.size() : 0;
  }

  // Connects to the socket as a client would and sends these bytes, then closes.
  static void raw_client(const fs::path& sock, const std::string& bytes) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, sock.c_str(), sizeof a.sun_path - 1);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    char greeting[64] = {};
    ASSERT_GT(::recv(fd, greeting, sizeof greeting, 0), 0);
    EXPECT_EQ(std::string(greeting), "MCDELIVER 1 READY\n");
    (void)!::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    ::close(fd);
  }

  testing::TempDir dir_;
  std::string data_;
};

TEST_F(DeliverHandoff, SameOutcomeAndCaseAsCommittingAlone) {
  const std::string alone = make_data("alone");
  auto serve = start_serve(data_);
  struct stat st {};
  ASSERT_EQ(::lstat(socket_path(data_).c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // the service user's alone

  for (bool program : {false, true}) {
    SCOPED_TRACE(program ? "mailcase-deliver" : "mailcase deliver");
    const std::string id = program ? "p" : "m";
    const std::string a = mail("Printer " + id, id + "1@example.org");
    const std::string b =
        mail("Re: Printer " + id, id + "2@example.org", "In-Reply-To: <" + id + "1@example.org>\r\n");
    for (const std::string* raw : {&a, &b}) {
      auto handed = deliver(data_, *raw, program, {"--sender", "anna@example.org"});
      auto local = deliver(alone, *raw, program, {"--sender", "anna@example.org"});
      ASSERT_EQ(handed.exit_code, 0) << handed.err;
      EXPECT_EQ(handed.out, local.out);
      EXPECT_EQ(handed.err, local.err);
      // The reply threads onto the first mail's case.
      EXPECT_EQ(json::parse(handed.out, nullptr, false)["outcome"], raw == &a ? "created" : "updated")
          << handed.out;
    }
    // The same mail again: a duplicate either way.
    EXPECT_EQ(deliver(data_, b, program).out, deliver(alone, b, program).out);
    // The null sender (a bounce), given as '' and as '<>', and no sender at all.
    for (const std::vector<std::string>& sender :
         {std::vector<std::string>{"--sender", ""}, std::vector<std::string>{"--sender", "<>"},
          std::vector<std::string>{}}) {
      const std::string n = mail("Undeliverable " + id + std::to_string(sender.size()),
                                 id + "b" + (sender.empty() ? "" : sender[1]) + "@example.org");
      auto handed = deliver(data_, n, program, sender);
      auto local = deliver(alone, n, program, sender);
      EXPECT_EQ(handed.exit_code, local.exit_code) << handed.err;
      EXPECT_EQ(handed.out, local.out);
      EXPECT_EQ(handed.err, local.err);
    }
  }
  auto cases = json::parse(run_mailcase({"--data", data_, "case", "list", "--json"}).out, nullptr, false);
  ASSERT_TRUE(cases.is_array());
  auto alone_cases =
      json::parse(run_mailcase({"--data", alone, "case", "list", "--json"}).out, nullptr, false);
  EXPECT_EQ(cases.size(), alone_cases.size());
  EXPECT_GE(cases.size(), 2u);  // each reply threaded onto its first mail
  EXPECT_EQ(serve->stop(SIGTERM), 0);
  EXPECT_FALSE(fs::exists(socket_path(data_)));  // removed at stop
}

// The delivery that goes to serve reads neither the configuration nor the store: with a
// broken mailcase.toml it is still recorded while serve runs, and refused (75) once serve
// has stopped and the delivery would have to read it.
TEST_F(DeliverHandoff, HandedOverWithoutReadingTheConfiguration) {
  auto serve = start_serve(data_);
  const auto toml = fs::path(data_) / "mailcase.toml";
  const std::string good = testing::read_file(toml);
  { std::ofstream(toml) << "[limits\nbroken"; }
  auto r = deliver(data_, mail("Printer", "c1@example.org"), true);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out, nullptr, false)["outcome"], "created") << r.out;
  EXPECT_EQ(serve->stop(SIGTERM), 0);
  r = deliver(data_, mail("Printer", "c2@example.org"), true);
  EXPECT_EQ(r.exit_code, 75) << r.err;
  { std::ofstream(toml) << good; }
  // serve stopped: deliveries commit by themselves.
  r = deliver(data_, mail("Printer", "c3@example.org"), true);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(messages(data_), 2u);
}

TEST_F(DeliverHandoff, TooLargeIsRefusedTheSameWay) {
  const std::string alone = make_data("alone");
  for (const auto& d : {data_, alone})
    std::ofstream(fs::path(d) / "mailcase.toml") << "[limits]\nmax_message_bytes = 100000\n";
  auto serve = start_serve(data_);
  std::string big = mail("Huge", "big@example.org");
  while (big.size() < 300000) big += std::string(70, 'z') + "\r\n";
  auto handed = deliver(data_, big, true);
  auto local = deliver(alone, big, true);
  EXPECT_EQ(handed.exit_code, 65) << handed.err;
  EXPECT_EQ(local.exit_code, 65) << local.err;
  EXPECT_EQ(handed.out, local.out);
  EXPECT_EQ(handed.err, local.err);
  EXPECT_NE(handed.err.find("mail refused"), std::string::npos) << handed.err;
}

TEST_F(DeliverHandoff, SocketLeftByAKilledServeMeansCommittingAlone) {
  auto serve = start_serve(data_);
  EXPECT_NE(serve->stop(SIGKILL), 0);
  ASSERT_TRUE(fs::exists(socket_path(data_)));  // nobody removed it
  auto r = deliver(data_, mail("Printer", "s1@example.org"), true);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out, nullptr, false)["outcome"], "created") << r.out;
  // A new serve takes the place of the stale socket.
  auto again = start_serve(data_);
  r = deliver(data_, mail("Printer", "s2@example.org"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(messages(data_), 2u);
}

TEST_F(DeliverHandoff, TruncatedOrMalformedRequestRecordsNothing) {
  auto serve = start_serve(data_);
  const std::string body = mail("Printer", "t1@example.org");
  const std::string header = "H 26\n1\nN\nRsupport@corp.example\n";
  raw_client(socket_path(data_), header + "D " + std::to_string(body.size()) + "\n" + body.substr(0, 20));
  raw_client(socket_path(data_), header + "D " + std::to_string(body.size()) + "\n" + body);  // no end frame
  raw_client(socket_path(data_), header + "D " + std::to_string(body.size()) + "\n" + body + "E 1\n");
  raw_client(socket_path(data_), "GET / HTTP/1.0\r\n\r\n");
  raw_client(socket_path(data_), "");
  // serve still takes deliveries; only this one is recorded.
  auto r = deliver(data_, mail("Printer", "t2@example.org"), true);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(messages(data_), 1u);
  EXPECT_TRUE(serve->running());
}

// Past deliver.max_connections serve says BUSY at once and the delivery commits by
// itself; with deliver.handoff off serve makes no socket at all.
TEST_F(DeliverHandoff, BusyOrTurnedOffMeansCommittingAlone) {
  { std::ofstream(fs::path(data_) / "mailcase.toml") << "[deliver]\nmax_connections = 1\n"; }
  auto serve = start_serve(data_);
  // One connection held open, greeted and silent: serve's only place.
  const int held = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, socket_path(data_).c_str(), sizeof a.sun_path - 1);
  ASSERT_EQ(::connect(held, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  char greeting[64] = {};
  ASSERT_GT(::recv(held, greeting, sizeof greeting, 0), 0);
  auto r = deliver(data_, mail("Printer", "b1@example.org"), true);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out, nullptr, false)["outcome"], "created") << r.out;
  ::close(held);
  EXPECT_EQ(serve->stop(SIGTERM), 0);

  { std::ofstream(fs::path(data_) / "mailcase.toml") << "[deliver]\nhandoff = false\n"; }
  testing::Background off({"--data", data_, "serve", "--roles", "ingest"});
  ASSERT_TRUE(testing::wait_until([&] { return off.err().find("serving;") != std::string::npos; }))
      << off.err();
  EXPECT_FALSE(fs::exists(socket_path(data_)));
  r = deliver(data_, mail("Printer", "b2@example.org"), true);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(messages(data_), 2u);
}

// serve killed (SIGKILL) while two feeders deliver 200 mails: a delivery that exited 0 is
// recorded; one that exited 75 is delivered again, as the MTA does, until it exits 0.
// Every mail is then recorded exactly once.
TEST_F(DeliverHandoff, ServeKilledAmidDeliveriesLosesNoneAndDoublesNone) {
  auto serve = start_serve(data_);
  constexpr int kMails = 200;
  for (int i = 0; i < kMails; ++i)
    std::ofstream(dir_.path() / ("m" + std::to_string(i)), std::ios::binary)
        << mail("Printer " + std::to_string(i), "k" + std::to_string(i) + "@example.org");
  auto run_one = [&](int i) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      const int in = ::open((dir_.path() / ("m" + std::to_string(i))).c_str(), O_RDONLY);
      const int out = ::open("/dev/null", O_WRONLY);
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(out, 2);
      ::execl(MAILCASE_DELIVER_BINARY, MAILCASE_DELIVER_BINARY, "--data", data_.c_str(), "deliver",
              "--recipient", "support@corp.example", static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  std::atomic<int> done{0}, retried{0};
  std::vector<int> codes(kMails, -2);
  auto feeder = [&](int first) {
    for (int i = first; i < kMails; i += 2) {
      int code = run_one(i);
      while (code == 75) {  // the MTA tries again
        ++retried;
        code = run_one(i);
      }
      codes[static_cast<size_t>(i)] = code;
      ++done;
    }
  };
  std::thread a(feeder, 0), b(feeder, 1);
  testing::wait_until([&] { return done.load() >= kMails / 3; }, 120000);
  serve->stop(SIGKILL);
  a.join();
  b.join();
  for (int i = 0; i < kMails; ++i) EXPECT_EQ(codes[static_cast<size_t>(i)], 0) << i;
  auto list = json::parse(run_mailcase({"--data", data_, "message", "list", "--json"}).out, nullptr, false);
  ASSERT_TRUE(list.is_array());
  EXPECT_EQ(list.size(), static_cast<size_t>(kMails));
  auto cases = json::parse(run_mailcase({"--data", data_, "case", "list", "--json"}).out, nullptr, false);
  ASSERT_TRUE(cases.is_array());
  EXPECT_EQ(cases.size(), static_cast<size_t>(kMails));
  std::cout << "serve killed after " << kMails / 3 << "+ deliveries; " << retried.load() << " tried again\n";
}

}  // namespace
}  // namespace mailcase
