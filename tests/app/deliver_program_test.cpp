// `mailcase-deliver`, the delivery-only program for an MTA's pipe: the same command line,
// JSON outcome and exit codes as `mailcase deliver`, into the same store; and it starts
// without the network libraries a delivery never uses (libetpan, cpp-httplib, curl and
// their TLS, Kerberos and LDAP dependencies), which `mailcase` loads.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::run_mailcase;
using nlohmann::json;

// Runs mailcase-deliver (or another program) with these arguments and stdin.
testing::CommandResult run_mailcase_deliver(const std::vector<std::string>& args, const std::string& in = "",
                                            const std::string& program = MAILCASE_DELIVER_BINARY) {
  return testing::run_program(program, args, in);
}

// The shared libraries in ldd's (or the loader's trace) output, less a sanitizer build's
// own runtimes (libasan, libubsan), which are not the program's libraries.
int count_libraries(const std::string& listing) {
  int loaded = 0;
  std::istringstream lines(listing);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(".so") == std::string::npos) continue;
    if (line.find("libasan") != std::string::npos || line.find("libubsan") != std::string::npos) continue;
    ++loaded;
  }
  return loaded;
}

std::string mail(const std::string& subject, const std::string& id) {
  return "From: Anna <anna@example.org>\r\nTo: support@corp.example\r\nSubject: " + subject +
         "\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <" + id +
         ">\r\n\r\nIt does not print.\r\n";
}

class DeliverProgram : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    ASSERT_EQ(run_mailcase({"--data", data_, "init"}).exit_code, 0);
    ASSERT_EQ(run_mailcase({"--data", data_, "address", "add", "support@corp.example", "--queue", "Support"})
                  .exit_code,
              0);
  }
  testing::TempDir dir_;
  std::string data_;
};

TEST_F(DeliverProgram, RecordsMailAndRepliesAsMailcaseDeliverDoes) {
  auto r = run_mailcase_deliver(
      {"--data", data_, "deliver", "--recipient", "support@corp.example", "--sender", "anna@example.org"},
      mail("Printer", "p1@example.org"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(out.is_object()) << r.out;
  EXPECT_EQ(out["outcome"], "created") << r.out;
  EXPECT_EQ(out["case"], "CS0000001") << r.out;

  r = run_mailcase_deliver({"--data", data_, "deliver", "--recipient", "support@corp.example"},
                           mail("Re: [CS0000001] Printer", "p2@example.org"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  out = json::parse(r.out, nullptr, false);
  EXPECT_EQ(out["outcome"], "updated") << r.out;
  EXPECT_EQ(out["case"], "CS0000001") << r.out;

  // The same mail again, through `mailcase deliver`: the one store knows it.
  r = run_mailcase({"--data", data_, "deliver", "--recipient", "support@corp.example"},
                   mail("Re: [CS0000001] Printer", "p2@example.org"));
  EXPECT_EQ(json::parse(r.out, nullptr, false)["outcome"], "duplicate") << r.out;
  auto cases = json::parse(run_mailcase({"--data", data_, "case", "list", "--json"}).out, nullptr, false);
  ASSERT_TRUE(cases.is_array());
  EXPECT_EQ(cases.size(), 1u);
}

TEST_F(DeliverProgram, ExitCodesAreTheMtasAsForMailcaseDeliver) {
  // No store: the MTA keeps the mail and tries again.
  const std::string missing = (dir_.path() / "none").string();
  auto r = run_mailcase_deliver({"--data", missing, "deliver"}, mail("Printer", "p3@example.org"));
  EXPECT_EQ(r.exit_code, 75) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("no store"), std::string::npos) << r.err;

  // Over limits.max_message_bytes: refused (65), bounced with the reason.
  std::ofstream(dir_.path() / "data" / "mailcase.toml") << "[limits]\nmax_message_bytes = 100000\n";
  std::string big = mail("Huge", "p4@example.org");
  while (big.size() < 300000) big += std::string(70, 'z') + "\r\n";
  r = run_mailcase_deliver({"--data", data_, "deliver", "--recipient", "support@corp.example"}, big);
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_EQ(json::parse(r.out, nullptr, false)["outcome"], "failed") << r.out;

  // Only deliver: any other command is a usage error, the store untouched.
  r = run_mailcase_deliver({"--data", data_, "case", "list"});
  EXPECT_EQ(r.exit_code, 64) << r.err;
}

// A store that cannot be opened for any reason (here a migration that fails) is no fault
// of the mail: the MTA keeps it and tries again (75), never bounces it (65, 70).
TEST_F(DeliverProgram, AStoreThatCannotBeOpenedExits75) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((std::filesystem::path(data_) / "mailcase.db").c_str(), &db), SQLITE_OK);
  // Migration 4 is run again on tables it already made, and fails.
  EXPECT_EQ(sqlite3_exec(db, "DELETE FROM schema_version WHERE version > 3", nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto r = run_mailcase_deliver({"--data", data_, "deliver", "--recipient", "support@corp.example"},
                                mail("Printer", "p5@example.org"));
  EXPECT_EQ(r.exit_code, 75) << r.err;
  EXPECT_EQ(r.out, "");
  r = run_mailcase({"--data", data_, "deliver", "--recipient", "support@corp.example"},
                   mail("Printer", "p5@example.org"));
  EXPECT_EQ(r.exit_code, 75) << r.err;
}

// A mail it cannot make a case of is kept, held or failed with its reason, and the MTA is
// told it was taken (exit 0): the outcome is printed in full before the program ends.
TEST_F(DeliverProgram, KeepsABadMailWithItsReason) {
  auto r = run_mailcase_deliver({"--data", data_, "deliver", "--recipient", "support@corp.example"},
                                "Subject: \xff\xfe who sent this?\r\n\r\nbody\r\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(out.is_object()) << r.out;
  EXPECT_EQ(out["outcome"], "held") << r.out;
  EXPECT_EQ(out["reason"], "no sender address") << r.out;
  EXPECT_TRUE(out["case"].is_null()) << r.out;

  r = run_mailcase_deliver({"--data", data_, "deliver", "--recipient", "support@corp.example"}, "");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out, nullptr, false)["outcome"], "failed") << r.out;

  auto held = json::parse(run_mailcase({"--data", data_, "message", "list", "--state", "held", "--json"}).out,
                          nullptr, false);
  ASSERT_TRUE(held.is_array());
  ASSERT_EQ(held.size(), 1u) << held.dump();
  EXPECT_EQ(held[0]["reason"], "no sender address");
}

// mailcase-deliver killed (SIGKILL) at random moments, each mail then handed to it again
// as an MTA does until it exits 0: every mail is recorded once, makes one case, and
// nothing is left half done.
TEST_F(DeliverProgram, KilledAtRandomMomentsEveryMailOnce) {
  std::mt19937 rng(17);
  const int mails = 20;
  int kills = 0;
  for (int i = 0; i < mails; ++i) {
    const auto path = dir_.path() / ("mail-" + std::to_string(i) + ".eml");
    std::ofstream(path, std::ios::binary)
        << mail("Printer " + std::to_string(i), "kill-" + std::to_string(i) + "@example.org");
    for (int attempt = 0; attempt < 4; ++attempt) {
      const pid_t pid = ::fork();
      if (pid == 0) {
        const int in = ::open(path.c_str(), O_RDONLY), out = ::open("/dev/null", O_WRONLY);
        ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(out, 2);
        ::execl(MAILCASE_DELIVER_BINARY, MAILCASE_DELIVER_BINARY, "--data", data_.c_str(), "deliver",
                "--recipient", "support@corp.example", static_cast<char*>(nullptr));
        _exit(127);
      }
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 60000));
      ::kill(pid, SIGKILL);
      int status = 0;
      ::waitpid(pid, &status, 0);
      if (WIFSIGNALED(status))
        ++kills;
      else
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "exit " << status;
    }
    // The MTA's last try, not killed.
    auto r = run_mailcase_deliver({"--data", data_, "deliver", "--recipient", "support@corp.example"},
                                  testing::read_file(path));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto outcome = json::parse(r.out, nullptr, false)["outcome"];
    EXPECT_TRUE(outcome == "created" || outcome == "duplicate") << r.out;
  }
  auto list = json::parse(run_mailcase({"--data", data_, "message", "list", "--json"}).out, nullptr, false);
  ASSERT_TRUE(list.is_array());
  EXPECT_EQ(list.size(), static_cast<size_t>(mails));
  for (const auto& m : list) EXPECT_EQ(m["state"], "processed") << m.dump();
  auto cases = json::parse(run_mailcase({"--data", data_, "case", "list", "--json"}).out, nullptr, false);
  ASSERT_TRUE(cases.is_array());
  EXPECT_EQ(cases.size(), static_cast<size_t>(mails));
  std::cout << "mailcase-deliver: " << mails << " mails, " << kills << " SIGKILLs\n";
}

// The shared libraries the dynamic loader maps for a program (LD_TRACE_LOADED_OBJECTS,
// what ldd prints), without running it.
std::string loaded_libraries(const std::string& program, const testing::TempDir& dir) {
  const auto out = dir.path() / "libs.txt";
  const std::string cmd = "LD_TRACE_LOADED_OBJECTS=1 " + program + " >" + out.string() + " 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  return testing::read_file(out);
}

// mailcase-deliver-direct: the delivery that commits by itself, which mailcase-deliver runs
// when serve does not take the mail.
TEST_F(DeliverProgram, StartsWithoutTheNetworkLibrariesMailcaseLoads) {
  const std::string full = loaded_libraries(MAILCASE_BINARY, dir_);
  const std::string deliver = loaded_libraries(MAILCASE_DELIVER_DIRECT_BINARY, dir_);
  ASSERT_NE(deliver.find("libc.so"), std::string::npos) << deliver;  // the trace is read
  for (const char* lib :
       {"libetpan", "libcpp-httplib", "libcurl", "libgnutls", "libssl", "libkrb5", "libldap"}) {
    EXPECT_NE(full.find(lib), std::string::npos) << lib << " no longer in mailcase: update this test";
    EXPECT_EQ(deliver.find(lib), std::string::npos) << lib << " loaded by mailcase-deliver:\n" << deliver;
  }
}

// Each shared library costs every delivery its mapping and the dynamic loader's symbol
// lookups (most of a delivery's start-up): a new one, or an archive no longer found, shows
// here as a count over the bound set in tests/CMakeLists.txt.
TEST_F(DeliverProgram, LoadsNoMoreSharedLibrariesThanItsBound) {
  const std::string deliver = loaded_libraries(MAILCASE_DELIVER_DIRECT_BINARY, dir_);
  const int loaded = count_libraries(deliver);
  ASSERT_GT(loaded, 0) << deliver;
  EXPECT_LE(loaded, MAILCASE_DELIVER_MAX_LIBRARIES) << deliver;
  if (MAILCASE_DELIVER_STATIC_MIME) {
    // GMime and GLib are linked in from their archives: none of their shared libraries.
    for (const char* lib : {"libgmime", "libglib", "libgobject", "libgio", "libnettle", "libffi", "libidn2"})
      EXPECT_EQ(deliver.find(lib), std::string::npos) << lib << " loaded by mailcase-deliver:\n" << deliver;
  }
}

// mailcase-deliver itself, one process per mail: linked statically, no dynamic loader runs
// before its main (ldd: "not a dynamic executable"); under the sanitizers, whose runtimes
// are shared, libc and the loader's own only.
TEST_F(DeliverProgram, TheProgramTheMtaRunsLinksAlmostNothing) {
  const auto out = dir_.path() / "ldd.txt";
  const std::string cmd = std::string("ldd ") + MAILCASE_DELIVER_BINARY + " >" + out.string() + " 2>&1";
  std::system(cmd.c_str());  // exits 1 for a static program
  const std::string libs = testing::read_file(out);
  if (MAILCASE_DELIVER_CLIENT_STATIC) {
    EXPECT_NE(libs.find("not a dynamic executable"), std::string::npos) << libs;
    return;
  }
  EXPECT_LE(count_libraries(libs), 6) << libs;
  for (const char* lib : {"libgmime", "libsqlite", "libspdlog", "libfmt", "libglib"})
    EXPECT_EQ(libs.find(lib), std::string::npos) << lib << " loaded by mailcase-deliver:\n" << libs;
}

// Without serve (this fixture runs none) mailcase-deliver runs mailcase-deliver-direct with
// its command line and stdin: --help, a usage error and an argument that is not text are
// that program's answers, and the mail is committed (RecordsMailAndRepliesAsMailcaseDeliverDoes).
TEST_F(DeliverProgram, WhatItDoesNotHandOverIsTheFullProgramsAnswer) {
  auto r = run_mailcase_deliver({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("--data"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("deliver"), std::string::npos) << r.out;

  r = run_mailcase_deliver({"--data", data_, "deliver", "--recipient", "support@corp.example", "--bogus"},
                           mail("Printer", "u1@example.org"));
  EXPECT_EQ(r.exit_code, 64) << r.err;
  r = run_mailcase_deliver({"--data", data_, "deliver", "--recipient", "a\x01b@corp.example"},
                           mail("Printer", "u2@example.org"));
  EXPECT_EQ(r.exit_code, 64) << r.err;
  EXPECT_NE(r.err.find("not valid UTF-8 text"), std::string::npos) << r.err;
  auto cases = json::parse(run_mailcase({"--data", data_, "case", "list", "--json"}).out, nullptr, false);
  ASSERT_TRUE(cases.is_array());
  EXPECT_EQ(cases.size(), 0u);

  // The --opt=value forms and a non-ASCII recipient: committed as given.
  r = run_mailcase_deliver(
      {"--data=" + data_, "deliver", "--recipient=support@corp.example", "--sender=anna@example.org"},
      mail("Printer", "u3@example.org"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out, nullptr, false)["outcome"], "created") << r.out;
}

// mailcase-deliver alone, without mailcase-deliver-direct beside it: the mail is not
// recorded and the MTA is told to try again (75), with the reason on stderr.
TEST_F(DeliverProgram, WithoutTheFullProgramBesideItExits75AndRecordsNothing) {
  const auto lone = dir_.path() / "lone";
  std::filesystem::create_directories(lone);
  std::filesystem::copy_file(MAILCASE_DELIVER_BINARY, lone / "mailcase-deliver");
  auto r = run_mailcase_deliver({"--data", data_, "deliver", "--recipient", "support@corp.example"},
                                mail("Printer", "m1@example.org"), (lone / "mailcase-deliver").string());
  EXPECT_EQ(r.exit_code, 75) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("mailcase-deliver-direct"), std::string::npos) << r.err;
  auto messages =
      json::parse(run_mailcase({"--data", data_, "message", "list", "--json"}).out, nullptr, false);
  ASSERT_TRUE(messages.is_array());
  EXPECT_EQ(messages.size(), 0u) << messages.dump();
}

}  // namespace
}  // namespace mailcase
