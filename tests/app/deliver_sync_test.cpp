// What one `mailcase deliver` asks of the disk: the files it wrote and their directories
// synced, never the whole filesystem (syncfs), and few sync points per mail. Counted with
// strace; skipped where strace is missing or may not trace.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::run_mailcase;
using nlohmann::json;

// Sync calls by name, from `strace -c` output.
std::map<std::string, long> sync_calls(const std::filesystem::path& report) {
  std::map<std::string, long> out;
  std::istringstream in(mailcase::testing::read_file(report));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::vector<std::string> f;
    for (std::string w; l >> w;) f.push_back(w);
    if (f.size() >= 5 && (f.back() == "fsync" || f.back() == "fdatasync" || f.back() == "syncfs" ||
                          f.back() == "sync" || f.back() == "sync_file_range"))
      out[f.back()] = std::atol(f[3].c_str());
  }
  return out;
}

class DeliverSync : public ::testing::Test {
 protected:
  void SetUp() override {
#if MAILCASE_TEST_UNDER_ASAN
    // The sanitizers' runtime makes sync calls of its own (its reports, its shadow
    // memory): the counts would be the runtime's, not the delivery's.
    GTEST_SKIP() << "built with AddressSanitizer: sync counts are checked in the normal build";
#endif
    if (std::system("strace -f -o /dev/null true >/dev/null 2>&1") != 0)
      GTEST_SKIP() << "strace cannot trace here";
    data_ = (dir_.path() / "data").string();
    ASSERT_EQ(run_mailcase({"--data", data_, "init"}).exit_code, 0);
    ASSERT_EQ(run_mailcase({"--data", data_, "address", "add", "support@corp.example", "--queue", "Support"})
                  .exit_code,
              0);
  }
  // Delivers `mail` under strace; returns its sync calls and checks it was recorded.
  std::map<std::string, long> traced_deliver(const std::string& mail, const std::string& outcome) {
    const auto in = dir_.path() / "mail.eml", out = dir_.path() / "out", report = dir_.path() / "strace";
    { std::ofstream(in, std::ios::binary) << mail; }
    const std::string cmd = "strace -f -c -o " + report.string() +
                            " -e trace=fsync,fdatasync,syncfs,sync,sync_file_range " + MAILCASE_BINARY +
                            " --data " + data_ + " deliver --recipient support@corp.example <" + in.string() +
                            " >" + out.string() + " 2>/dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    auto j = json::parse(mailcase::testing::read_file(out));
    EXPECT_EQ(j["outcome"], outcome) << j.dump();
    return sync_calls(report);
  }
  mailcase::testing::TempDir dir_;
  std::string data_;
};

std::string plain(int n) {
  return "From: customer" + std::to_string(n) +
         "@example.net\r\nTo: support@corp.example\r\nSubject: Question " + std::to_string(n) +
         "\r\nMessage-ID: <sync" + std::to_string(n) +
         "@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nMy printer is broken.\r\n";
}

TEST_F(DeliverSync, APlainMailSyncsItsBytesAndItsRecordOnly) {
  // The first delivery makes the spool segment and the WAL (directory syncs); count the next.
  (void)traced_deliver(plain(1), "created");
  for (int n = 2; n <= 4; ++n) {
    auto calls = traced_deliver(plain(n), "created");
    EXPECT_EQ(calls["syncfs"], 0);
    EXPECT_EQ(calls["sync"], 0);
    // The commit the outcome is answered on, which holds the mail's bytes too (a spool
    // segment's sync came before it until 2026-12-03; 7 + 2 syncfs at first), and the
    // directory SQLite opens its WAL in (SQLite syncs it once in each process).
    EXPECT_LE(calls["fsync"] + calls["fdatasync"], 2) << "delivery " << n;
    EXPECT_GE(calls["fsync"] + calls["fdatasync"], 1) << "delivery " << n;
  }
}

TEST_F(DeliverSync, AnAttachmentOfASmallMailGoesInWithItsCommitAndAsksNoSyncOfItsOwn) {
  (void)traced_deliver(plain(1), "created");
  const std::string mail =
      "From: customer9@example.net\r\nTo: support@corp.example\r\nSubject: Log\r\nMessage-ID: "
      "<sync-att@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nThe log is attached.\r\n--b\r\nContent-Type: "
      "application/octet-stream\r\n"
      "Content-Disposition: attachment; filename=\"app.log\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "bGluZSBvbmUKbGluZSB0d28K\r\n--b--\r\n";
  auto calls = traced_deliver(mail, "created");
  EXPECT_EQ(calls["syncfs"], 0);
  // As a plain mail: the commit (the mail, its attachment, their rows) and the WAL's
  // directory; no spool segment, no blob file.
  EXPECT_GE(calls["fsync"] + calls["fdatasync"], 1);
  EXPECT_LE(calls["fsync"] + calls["fdatasync"], 2);
  auto list = json::parse(run_mailcase({"--data", data_, "case", "list", "--json"}).out);
  EXPECT_EQ(list.size(), 2u);
}

// SQLite's statement journals (a write transaction's statements and savepoints) were a
// new file in /var/tmp for every delivery: an inode made and unlinked per mail, and a
// customer's mail copied outside the data directory. They stay in memory now.
TEST_F(DeliverSync, ADeliveryCreatesNoFileOutsideTheDataDirectory) {
  (void)traced_deliver(plain(1), "created");
  const auto tmp = dir_.path() / "tmp";
  std::filesystem::create_directory(tmp);
  for (const auto& [n, outcome] : {std::pair{2, "created"}, std::pair{2, "duplicate"}}) {
    const auto in = dir_.path() / "mail.eml", out = dir_.path() / "out", report = dir_.path() / "opens";
    { std::ofstream(in, std::ios::binary) << plain(n); }
    const std::string cmd = "SQLITE_TMPDIR=" + tmp.string() + " TMPDIR=" + tmp.string() + " strace -f -o " +
                            report.string() + " -e trace=open,openat,creat,mkdir,mkdirat " + MAILCASE_BINARY +
                            " --data " + data_ + " deliver --recipient support@corp.example <" + in.string() +
                            " >" + out.string() + " 2>/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    EXPECT_EQ(json::parse(mailcase::testing::read_file(out))["outcome"], outcome);
    std::istringstream trace(mailcase::testing::read_file(report));
    int created = 0;
    for (std::string line; std::getline(trace, line);) {
      const bool creates = line.find("O_CREAT") != std::string::npos ||
                           line.find("mkdir") != std::string::npos ||
                           line.find("creat(") != std::string::npos;
      if (!creates) continue;
      ++created;
      EXPECT_NE(line.find(data_), std::string::npos) << "created outside the data directory: " << line;
    }
    EXPECT_GT(created, 0) << "the trace saw no file made at all: " << mailcase::testing::read_file(report);
  }
}

// The spool's sync waited on the large-mail files on a thread of its own, started for
// every sync even with no such file (a clone per mail in serve). A plain mail starts none.
TEST_F(DeliverSync, APlainMailStartsNoThreadToSyncIt) {
  (void)traced_deliver(plain(1), "created");
  const auto in = dir_.path() / "mail.eml", out = dir_.path() / "out", report = dir_.path() / "clones";
  { std::ofstream(in, std::ios::binary) << plain(2); }
  const std::string cmd = "strace -f -c -o " + report.string() + " -e trace=clone,clone3,fdatasync " +
                          MAILCASE_BINARY + " --data " + data_ +
                          " deliver --recipient support@corp.example <" + in.string() + " >" + out.string() +
                          " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(json::parse(mailcase::testing::read_file(out))["outcome"], "created");
  const std::string summary = mailcase::testing::read_file(report);
  EXPECT_NE(summary.find("fdatasync"), std::string::npos) << "the trace saw no sync: " << summary;
  EXPECT_EQ(summary.find("clone"), std::string::npos) << summary;
}

// A store written only by deliveries committing alone (no `serve`: nothing checkpoints
// beside them) keeps its WAL bounded: SQLite's own checkpoint left the WAL to grow without
// end when each commit is a process of its own (every delivery past 1,000 pages then paid
// a checkpoint's syncs too).
TEST(DeliverAlone, TheWalStaysBoundedOverManyDeliveries) {
  mailcase::testing::TempDir dir;
  const std::string data = (dir.path() / "data").string();
  ASSERT_EQ(run_mailcase({"--data", data, "init"}).exit_code, 0);
  ASSERT_EQ(run_mailcase({"--data", data, "address", "add", "support@corp.example"}).exit_code, 0);
  const std::string body(6000, 'x');  // a few WAL pages a mail, so 1,000 pages come soon
  uintmax_t largest = 0;
  for (int n = 0; n < 150; ++n) {
    const std::string mail = "From: c" + std::to_string(n) + "@example.net\r\nTo: support@corp.example\r\nSubject: Q" +
                             std::to_string(n) + "\r\nMessage-ID: <wal" + std::to_string(n) +
                             "@example.net>\r\n\r\n" + body + "\r\n";
    auto r = run_mailcase({"--data", data, "deliver", "--recipient", "support@corp.example"}, mail);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::error_code ec;
    const auto size = std::filesystem::file_size(std::filesystem::path(data) / "mailcase.db-wal", ec);
    if (!ec) largest = std::max(largest, size);
  }
  // 1,000 pages of 4 KiB and a delivery's worth past them, with the frames' headers.
  EXPECT_LT(largest, uintmax_t{5} * 1024 * 1024);
}

}  // namespace
}  // namespace mailcase
