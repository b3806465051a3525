// POST /api/v1/messages/{id}/retry with not_spam and allow_sender, through a real server in
// this process: a mail held as spam (a trusted server's X-Spam-Flag) becomes a case, and
// options of the wrong type are refused by name.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "api_server_test.h"
#include "ingest/pipeline.h"
#include "support/test_support.h"

namespace mailcase::api {
namespace {

using nlohmann::json;

const char* kSpam =
    "Authentication-Results: mx.corp.example; dkim=pass header.d=customer.example; dmarc=pass "
    "header.from=customer.example\r\nX-Spam-Flag: YES\r\n"
    "From: Carol <carol@customer.example>\r\nTo: support@corp.example\r\nSubject: Invoice is wrong\r\n"
    "Message-ID: <spam1@customer.example>\r\n\r\nPlease fix invoice 42.\r\n";

class SpamRetryTest : public testing::ApiServerTest {
 protected:
  void SetUp() override {
    prepare();
    if (HasFatalFailure()) return;
    std::ofstream(data_ / "mailcase.toml", std::ios::app)
        << "[trust]\nauthserv_ids = [\"mx.corp.example\"]\n";
    start();
    if (HasFatalFailure()) return;
    auto held =
        rt_->ingest().deliver(kSpam, ingest::Envelope{"test", {"support@corp.example"}, std::nullopt});
    ASSERT_TRUE(held) << held.error().message;
    ASSERT_EQ(held->kind, ingest::OutcomeKind::kHeld) << held->reason;
    id_ = held->message_id;
  }

  std::pair<int, json> post(const std::string& path, const std::string& body) {
    auto a = raw_call("POST", path, agent_, body, "application/json");
    return {a.status, a.j()};
  }

  int64_t id_ = 0;
};

TEST_F(SpamRetryTest, NotSpamMakesTheCaseAndAllowsTheSender) {
  const std::string path = "/api/v1/messages/" + std::to_string(id_) + "/retry";
  // A plain retry runs the spam check again: held again.
  auto [plain_status, plain] = post(path, "");
  EXPECT_EQ(plain_status, 200);
  EXPECT_EQ(plain["outcome"], "held") << plain.dump();
  EXPECT_EQ(plain["reason"].get<std::string>().rfind("spam", 0), 0u) << plain.dump();

  auto [bad_status, bad] = post(path, R"({"not_spam": "yes"})");
  EXPECT_EQ(bad_status, 422) << bad.dump();
  EXPECT_EQ(bad["errors"][0]["field"], "not_spam") << bad.dump();
  EXPECT_EQ(post(path, "[true]").first, 422);
  EXPECT_EQ(post(path, "{").first, 400);

  auto [status, out] = post(path, R"({"not_spam": true, "allow_sender": true})");
  EXPECT_EQ(status, 200) << out.dump();
  EXPECT_EQ(out["outcome"], "created") << out.dump();
  EXPECT_FALSE(out["case"].is_null()) << out.dump();

  // Carol's next spam-flagged mail, her From proven, is let through.
  std::string next = kSpam;
  next.replace(next.find("spam1@"), 6, "spam2@");
  auto again = rt_->ingest().deliver(next, ingest::Envelope{"test", {"support@corp.example"}, std::nullopt});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->kind, ingest::OutcomeKind::kCreated) << again->reason;
}

}  // namespace
}  // namespace mailcase::api
