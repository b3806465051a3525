// `mailcase deliver` with a mail over limits.max_message_bytes: refused with exit 65
// (the MTA bounces it with the reason), recorded with its head only, never retried.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::run_mailcase;

TEST(DeliverSize, AMailOverTheLimitExits65AndKeepsOnlyItsHead) {
  testing::TempDir dir;
  const std::string data = (dir.path() / "data").string();
  ASSERT_EQ(run_mailcase({"--data", data, "init"}).exit_code, 0);
  std::ofstream(dir.path() / "data" / "mailcase.toml") << "[outbound]\nenabled = false\n"
                                                       << "[limits]\nmax_message_bytes = 2000000\n";
  std::string mail = "From: anna@example.org\r\nSubject: huge\r\nMessage-ID: <huge@example.org>\r\n\r\n";
  while (mail.size() < 5000000) mail += std::string(70, 'z') + "\r\n";

  auto r = run_mailcase({"--data", data, "deliver", "--recipient", "support@corp.example"}, mail);
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("too large: " + std::to_string(mail.size()) + " bytes, limit 2000000"),
            std::string::npos)
      << r.err;
  auto out = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(out.is_object()) << r.out;
  EXPECT_EQ(out["outcome"], "failed");

  auto list =
      nlohmann::json::parse(run_mailcase({"--data", data, "message", "list", "--json"}).out, nullptr, false);
  ASSERT_TRUE(list.is_array());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["state"], "failed");
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path() / "data")) {
    if (e.is_regular_file() && e.path().filename().string().rfind("mailcase.db", 0) != 0) {
      EXPECT_LT(e.file_size(), 2000000u) << e.path() << ": a whole copy of the mail";
    }
  }
  // The same mail again is refused again, not acknowledged as a duplicate.
  r = run_mailcase({"--data", data, "deliver"}, mail);
  EXPECT_EQ(r.exit_code, 65) << r.out << r.err;
  // Its head alone must never become a case.
  auto retry =
      run_mailcase({"--data", data, "message", "retry", std::to_string(list[0]["id"].get<int64_t>())});
  EXPECT_NE(retry.exit_code, 0) << retry.out;
  EXPECT_NE(retry.err.find("only its head was kept"), std::string::npos) << retry.err;
  auto cases =
      nlohmann::json::parse(run_mailcase({"--data", data, "case", "list", "--json"}).out, nullptr, false);
  EXPECT_TRUE(cases.is_array() && cases.empty()) << cases.dump();

  // Within the limit the same command still records the mail.
  r = run_mailcase({"--data", data, "deliver"}, "From: b@example.org\r\nSubject: small\r\n\r\nhello\r\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// An attachment that cannot be written (here the spool's segments cannot be: their folder
// is gone, as a full disk or an I/O error would refuse them) must not leave a case without
// it: the delivery exits 75 (the MTA tries again), and once the spool works again the same
// mail is recorded whole, once.
TEST(DeliverSize, AMailWhoseAttachmentCannotBeStoredIsRefusedForNowNotRecordedWithoutIt) {
  testing::TempDir dir;
  const auto data = dir.path() / "data";
  ASSERT_EQ(run_mailcase({"--data", data.string(), "init"}).exit_code, 0);
  std::ofstream(data / "mailcase.toml") << "[outbound]\nenabled = false\n";
  ASSERT_EQ(run_mailcase({"--data", data.string(), "address", "add", "support@corp.example"}).exit_code, 0);
  // Over a megabyte: the mail itself goes to a blob file of its own, its attachment to the spool.
  std::string mail =
      "From: Alice <alice@example.org>\r\nTo: support@corp.example\r\nSubject: logs\r\n"
      "Message-ID: <logs@example.org>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n";
  while (mail.size() < 1200000) mail += "All work and no play makes Jack a dull boy.\r\n";
  mail +=
      "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=a.bin\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n";
  for (int i = 0; i < 1000; ++i)
    mail += "eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4\r\n";
  mail += "--b--\r\n";
  std::filesystem::remove_all(data / "spool");
  std::ofstream(data / "spool") << "not a folder";
  auto r = run_mailcase({"--data", data.string(), "deliver"}, mail);
  EXPECT_EQ(r.exit_code, 75) << r.out << r.err;
  EXPECT_NE(r.err.find("cannot store an attachment"), std::string::npos) << r.err;
  auto cases = nlohmann::json::parse(run_mailcase({"--data", data.string(), "case", "list", "--json"}).out,
                                     nullptr, false);
  EXPECT_TRUE(cases.is_array() && cases.empty()) << cases.dump();

  std::filesystem::remove(data / "spool");
  std::filesystem::create_directory(data / "spool");
  std::filesystem::permissions(data / "spool", std::filesystem::perms::owner_all);
  r = run_mailcase({"--data", data.string(), "deliver"}, mail);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto out = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_EQ(out["outcome"], "created") << r.out;
  auto shown = nlohmann::json::parse(
      run_mailcase({"--data", data.string(), "case", "show", out["case"].get<std::string>(), "--json"}).out,
      nullptr, false);
  ASSERT_TRUE(shown["attachments"].is_array()) << shown.dump();
  ASSERT_EQ(shown["attachments"].size(), 1u) << shown.dump();
  EXPECT_EQ(shown["attachments"][0]["filename"], "a.bin");
  cases = nlohmann::json::parse(run_mailcase({"--data", data.string(), "case", "list", "--json"}).out,
                                nullptr, false);
  EXPECT_EQ(cases.size(), 1u);
}

// Nothing on standard input: a failed record that says the mail was empty, the same
// when it is retried (no internal word about where the bytes were kept).
TEST(DeliverSize, AnEmptyMailIsRecordedAsEmpty) {
  testing::TempDir dir;
  const std::string data = (dir.path() / "data").string();
  ASSERT_EQ(run_mailcase({"--data", data, "init"}).exit_code, 0);
  auto r = run_mailcase({"--data", data, "deliver", "--recipient", "support@corp.example"}, "");
  auto out = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(out.is_object()) << r.out << r.err;
  EXPECT_EQ(out["outcome"], "failed");
  EXPECT_EQ(out.value("reason", ""), "unparseable: empty message (0 bytes)") << r.out;
  auto list =
      nlohmann::json::parse(run_mailcase({"--data", data, "message", "list", "--json"}).out, nullptr, false);
  ASSERT_TRUE(list.is_array() && list.size() == 1u) << list.dump();
  EXPECT_EQ(list[0]["state"], "failed");
  EXPECT_EQ(list[0].value("reason", ""), "unparseable: empty message (0 bytes)");
  auto retry =
      run_mailcase({"--data", data, "message", "retry", std::to_string(list[0]["id"].get<int64_t>())});
  auto again = nlohmann::json::parse(retry.out, nullptr, false);
  ASSERT_TRUE(again.is_object()) << retry.out << retry.err;
  EXPECT_EQ(again.value("reason", ""), "unparseable: empty message (0 bytes)") << retry.out;
}

}  // namespace
}  // namespace mailcase
