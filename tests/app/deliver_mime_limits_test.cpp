// `mailcase deliver` with mails far past limits.max_mime_parts / max_mime_depth but
// under the size limit: the mail becomes its case from the parts within the limits,
// and the process's peak memory stays bounded (GMime once built all 1,000,000 parts of
// such a mail: 1.9 GB). A memory bound, measured with getrusage on the child.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::run_mailcase;

// Peak RSS of the largest child waited for so far, in MB.
long children_peak_mb() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  return ru.ru_maxrss / 1024;
}

// Under AddressSanitizer freed memory is held in quarantine (256 MB by default); the
// bound there only tells a bounded parse from the gigabytes of the whole tree.
#if MAILCASE_TEST_UNDER_ASAN
constexpr long kPeakMb = 400;
#else
constexpr long kPeakMb = 100;
#endif

std::string init_data(const testing::TempDir& dir) {
  const std::string data = (dir.path() / "data").string();
  EXPECT_EQ(run_mailcase({"--data", data, "init"}).exit_code, 0);
  std::ofstream(dir.path() / "data" / "mailcase.toml") << "[outbound]\nenabled = false\n";
  return data;
}

nlohmann::json case_of(const std::string& data, const nlohmann::json& outcome) {
  if (!outcome.is_object() || !outcome["case"].is_string()) return nullptr;
  return nlohmann::json::parse(
      run_mailcase({"--data", data, "case", "show", "--json", outcome["case"].get<std::string>()}).out,
      nullptr, false);
}

TEST(DeliverMimeLimits, AMillionOneBytePartsBecomeACaseWithBoundedMemory) {
  testing::TempDir dir;
  const std::string data = init_data(dir);
  std::string mail =
      "From: anna@example.org\r\nSubject: a million parts\r\nMessage-ID: <million@example.org>\r\n"
      "Content-Type: multipart/mixed; boundary=m\r\n\r\n"
      "--m\r\nContent-Type: text/plain\r\n\r\nThe printer is broken again.\r\n";
  mail.reserve(50u * 1000 * 1000);
  for (int i = 0; i < 1000000; ++i) mail += "--m\r\nContent-Type: text/plain\r\n\r\nx\r\n";
  mail += "--m\r\nContent-Type: text/plain\r\n\r\nnever extracted\r\n--m--\r\n";
  ASSERT_LT(mail.size(), 50u * 1024 * 1024);  // under limits.max_message_bytes

  auto r = run_mailcase({"--data", data, "deliver", "--recipient", "support@corp.example"}, mail);
  long peak = children_peak_mb();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(peak, kPeakMb) << "peak RSS of mailcase deliver, MB";
  auto out = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(out.is_object()) << r.out;
  EXPECT_EQ(out["outcome"], "created") << r.out;
  auto c = case_of(data, out);
  ASSERT_TRUE(c.is_object()) << r.out;
  std::string shown = c.dump();
  EXPECT_NE(shown.find("The printer is broken again."), std::string::npos);
  EXPECT_EQ(shown.find("never extracted"), std::string::npos);
}

TEST(DeliverMimeLimits, TenThousandNestedMultipartsBecomeACaseWithBoundedMemory) {
  testing::TempDir dir;
  const std::string data = init_data(dir);
  std::string mail =
      "From: anna@example.org\r\nSubject: deep\r\nMessage-ID: <deep@example.org>\r\n"
      "Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
      "--b0\r\nContent-Type: text/plain\r\n\r\nThe scanner jams.\r\n";
  const int depth = 10000;
  for (int i = 0; i < depth; ++i)
    mail += "--b" + std::to_string(i) + "\r\nContent-Type: multipart/mixed; boundary=b" +
            std::to_string(i + 1) + "\r\n\r\n";
  mail += "--b" + std::to_string(depth) + "\r\nContent-Type: text/plain\r\n\r\nbottom\r\n";
  for (int i = depth; i >= 0; --i) mail += "--b" + std::to_string(i) + "--\r\n";

  auto r = run_mailcase({"--data", data, "deliver", "--recipient", "support@corp.example"}, mail);
  long peak = children_peak_mb();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(peak, kPeakMb) << "peak RSS of mailcase deliver, MB";
  auto out = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(out.is_object()) << r.out;
  EXPECT_EQ(out["outcome"], "created") << r.out;
  auto c = case_of(data, out);
  ASSERT_TRUE(c.is_object()) << r.out;
  EXPECT_NE(c.dump().find("The scanner jams."), std::string::npos);
}

TEST(DeliverMimeLimits, FiveMillionHeaderLinesAreRecordedWithBoundedMemory) {
  testing::TempDir dir;
  const std::string data = init_data(dir);
  std::string mail = "From: anna@example.org\r\nSubject: headers\r\nMessage-ID: <headers@example.org>\r\n";
  mail.reserve(45u * 1000 * 1000);
  for (int i = 0; i < 5000000; ++i) mail += "X-A: b\r\n";
  mail += "\r\nbody\r\n";

  auto r = run_mailcase({"--data", data, "deliver", "--recipient", "support@corp.example"}, mail);
  long peak = children_peak_mb();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(peak, kPeakMb) << "peak RSS of mailcase deliver, MB";
  auto out = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(out.is_object()) << r.out;
  EXPECT_EQ(out["outcome"], "created") << r.out;
}

// A uuencoded attachment is decoded a block at a time, as a base64 one is: a mail of
// 48 MB (under the size limit) once cost 130 MB, its attachment decoded whole in memory.
TEST(DeliverMimeLimits, AUuencodedAttachmentIsDecodedWithBoundedMemory) {
  testing::TempDir dir;
  const std::string data = init_data(dir);
  std::string mail =
      "From: anna@example.org\r\nSubject: uu\r\nMessage-ID: <uu@example.org>\r\n"
      "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\n"
      "The log is attached.\r\n--m\r\nContent-Type: application/octet-stream; name=log.bin\r\n"
      "Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 log.bin\r\n";
  // 45 bytes a line: "M" and 60 characters (every one "A", the bytes 0x04 0x10 0x41).
  const std::string line = "M" + std::string(60, 'A') + "\r\n";
  const size_t lines = 48u * 1024 * 1024 / line.size();
  mail.reserve(lines * line.size() + 1024);
  for (size_t i = 0; i < lines; ++i) mail += line;
  mail += "`\r\nend\r\n--m--\r\n";
  ASSERT_LT(mail.size(), 50u * 1024 * 1024);  // under limits.max_message_bytes

  auto r = run_mailcase({"--data", data, "deliver", "--recipient", "support@corp.example"}, mail);
  long peak = children_peak_mb();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(peak, kPeakMb) << "peak RSS of mailcase deliver, MB";
  auto c = case_of(data, nlohmann::json::parse(r.out, nullptr, false));
  ASSERT_TRUE(c.is_object()) << r.out;
  ASSERT_EQ(c["attachments"].size(), 1u) << c.dump();
  EXPECT_EQ(c["attachments"][0]["size"], lines * 45) << "the attachment whole";
}

// [limits] max_header_fields is the parser's bound: a mail of 60 header fields keeps its
// body under the default, and is cut at its 51st field when the setting is 50 (the
// case is still made from what came before; the original keeps the rest).
TEST(DeliverMimeLimits, TheHeaderFieldLimitIsTheSetting) {
  std::string mail = "From: anna@example.org\r\nSubject: many headers\r\nMessage-ID: <sixty@example.org>\r\n";
  for (int i = 0; i < 57; ++i) mail += "X-Trace-" + std::to_string(i) + ": hop\r\n";
  mail += "\r\nThe printer is broken again.\r\n";
  for (const bool limited : {false, true}) {
    testing::TempDir dir;
    const std::string data = init_data(dir);
    if (limited)
      std::ofstream(dir.path() / "data" / "mailcase.toml", std::ios::app)
          << "[limits]\nmax_header_fields = 50\n";
    auto r = run_mailcase({"--data", data, "deliver", "--recipient", "support@corp.example"}, mail);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto out = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_EQ(out["outcome"], "created") << r.out;
    auto c = case_of(data, out);
    ASSERT_TRUE(c.is_object()) << r.out;
    EXPECT_EQ(c.dump().find("The printer is broken again.") == std::string::npos, limited) << c.dump();
  }
}

// [limits] max_addresses bounds the addresses read from one field: the Cc of a mail
// makes its people participants of the case, up to the setting.
TEST(DeliverMimeLimits, TheAddressLimitIsTheSetting) {
  std::string mail = "From: anna@example.org\r\nTo: support@corp.example\r\nCc: ";
  for (int i = 0; i < 6; ++i) mail += (i ? ", " : "") + std::string("p") + std::to_string(i) + "@example.org";
  mail += "\r\nSubject: many people\r\nMessage-ID: <people@example.org>\r\n\r\nThe printer is broken.\r\n";
  for (const bool limited : {false, true}) {
    testing::TempDir dir;
    const std::string data = init_data(dir);
    if (limited)
      std::ofstream(dir.path() / "data" / "mailcase.toml", std::ios::app) << "[limits]\nmax_addresses = 3\n";
    auto r = run_mailcase({"--data", data, "deliver", "--recipient", "support@corp.example"}, mail);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto c = case_of(data, nlohmann::json::parse(r.out, nullptr, false));
    ASSERT_TRUE(c.is_object()) << r.out;
    const std::string shown = c["participants"].dump();
    EXPECT_NE(shown.find("p2@example.org"), std::string::npos) << shown;
    EXPECT_EQ(shown.find("p3@example.org") == std::string::npos, limited) << shown;
  }
}

}  // namespace
}  // namespace mailcase
