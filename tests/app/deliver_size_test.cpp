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

}  // namespace
}  // namespace mailcase
