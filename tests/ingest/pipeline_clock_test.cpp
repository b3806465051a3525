// The pipeline counts from the clock its owner gives it: the confirmation it queues
// is due at that clock's now, and its link expires counted from it.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "config/config.h"
#include "domain/clock.h"
#include "ingest/pipeline.h"
#include "runtime/runtime.h"
#include "outbound/signed_link.h"
#include "support/test_support.h"

namespace mailcase::ingest {
namespace {

TEST(PipelineClockTest, ConfirmationIsDueAndItsLinkExpiresByThePipelinesClock) {
  constexpr int64_t kNow = 1'600'000'000;  // September 2020
  mailcase::testing::TempDir dir;
  const auto data = dir.path() / "data";
  ASSERT_EQ(mailcase::testing::init_data_dir(data, {"support@corp.example"}), "");
  std::ofstream(data / "mailcase.toml") << "[outbound]\nfrom_address = \"support@corp.example\"\n"
                                        << "base_url = \"http://127.0.0.1:1\"\nlink_valid_days = 30\n";
  auto cfg = config::load(data / "mailcase.toml");
  ASSERT_TRUE(cfg) << cfg.error().message;
  domain::FixedClock clock(kNow);
  auto p = runtime::Runtime::open(data, *cfg, clock);
  ASSERT_TRUE(p) << p.error().message;
  auto o = (*p)->ingest().deliver(
      "From: Alice <alice@example.org>\r\nTo: support@corp.example\r\nSubject: Printer\r\n"
      "Message-ID: <p1@example.org>\r\n\r\nIt does not print.\r\n",
      Envelope{"test", {"support@corp.example"}, std::nullopt});
  ASSERT_TRUE(o) << o.error().message;

  auto rows = (*p)->store().list_outbox(std::nullopt, 10);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  const auto& m = rows->front();
  EXPECT_EQ(m.kind, "confirmation");
  EXPECT_EQ(m.next_attempt_at, kNow);

  // The link in the mail: valid at the pipeline's now, expired 30 days and a second later.
  std::string raw = std::regex_replace(m.raw, std::regex("=\r?\n"), "");
  raw = std::regex_replace(raw, std::regex("=3D"), "=");
  std::smatch match;
  ASSERT_TRUE(std::regex_search(raw, match, std::regex("/case/CS0000001\\?t=([A-Za-z0-9_-]+)"))) << raw;
  auto signer = outbound::LinkSigner::from_data_dir(data);
  ASSERT_TRUE(signer);
  EXPECT_EQ(signer->verify(match[1].str(), 1, kNow).check, outbound::LinkSigner::Check::kValid);
  EXPECT_EQ(signer->verify(match[1].str(), 1, kNow + 30 * 86400 + 1).check,
            outbound::LinkSigner::Check::kExpired);
}

}  // namespace
}  // namespace mailcase::ingest
