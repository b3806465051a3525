// The customer pages check links against the clock their owner gives them, not the
// system's: a page served at a chosen instant shows what the customer would see then.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <thread>

#include "config/config.h"
#include "domain/clock.h"
#include "ingest/pipeline.h"
#include "runtime/runtime.h"
#include "outbound/signed_link.h"
#include "support/test_support.h"
#include "web/customer_pages.h"
#include "web/http_server.h"

namespace mailcase::web {
namespace {

constexpr int64_t kSent = 1'600'000'000;  // September 2020: long expired in real time
constexpr int kLinkDays = 30;

class PagesClockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    ASSERT_EQ(mailcase::testing::init_data_dir(data_, {"support@corp.example"}), "");
    std::ofstream(data_ / "mailcase.toml") << "[outbound]\nfrom_address = \"support@corp.example\"\n"
                                           << "link_valid_days = " << kLinkDays << "\n";
    auto cfg = config::load(data_ / "mailcase.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    cfg_ = *cfg;
    auto p = runtime::Runtime::open(data_, cfg_);
    ASSERT_TRUE(p) << p.error().message;
    auto o = (*p)->ingest().deliver(
        "From: Alice <alice@example.org>\r\nTo: support@corp.example\r\nSubject: Printer on floor 3\r\n"
        "Message-ID: <p1@example.org>\r\n\r\nIt does not print.\r\n",
        ingest::Envelope{"test", {"support@corp.example"}, std::nullopt});
    ASSERT_TRUE(o) << o.error().message;
    auto signer = outbound::LinkSigner::from_data_dir(data_);
    ASSERT_TRUE(signer) << signer.error().message;
    token_ = signer->sign(1, kSent + int64_t{kLinkDays} * 86400, outbound::LinkAction::kView);
  }

  // The case page as served by pages that read the time from `clock`.
  httplib::Result get_page(const domain::Clock& clock) {
    auto rt = runtime::Runtime::open(data_, cfg_, clock);
    EXPECT_TRUE(rt) << rt.error().message;
    CustomerPages pages((*rt)->store(), (*rt)->cases(), (*rt)->config(), (*rt)->links(), clock);
    HttpServer http(HttpLimits{});
    pages.mount(http);
    EXPECT_TRUE(http.listen("127.0.0.1", 0));
    std::thread t([&] { http.serve(); });
    httplib::Client cli("127.0.0.1", http.bound_port());
    cli.set_read_timeout(30, 0);
    auto r = cli.Get("/case/CS0000001?t=" + token_);
    http.stop();
    t.join();
    return r;
  }

  mailcase::testing::TempDir dir_;
  std::filesystem::path data_;
  config::Config cfg_;
  std::string token_;
};

TEST_F(PagesClockTest, ALinkIsValidWhileThePagesClockIsBeforeItsExpiry) {
  domain::FixedClock day_after(kSent + 86400);
  auto r = get_page(day_after);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("Printer on floor 3"), std::string::npos) << r->body;
}

TEST_F(PagesClockTest, TheSameLinkHasExpiredOnceThePagesClockIsPastIt) {
  domain::FixedClock later(kSent + int64_t{kLinkDays} * 86400 + 1);
  auto r = get_page(later);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_NE(r->body.find("It has expired."), std::string::npos) << r->body;
}

}  // namespace
}  // namespace mailcase::web
