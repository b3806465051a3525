// POST /api/v1/messages/{id}/retry with not_spam and allow_sender, through a real server in
// this process: a mail held as spam (a trusted server's X-Spam-Flag) becomes a case, and
// options of the wrong type are refused by name. POST /api/v1/messages/{id}/dismiss puts
// it aside, on record, until a retry brings it back.
#include <gtest/gtest.h>
#include <sqlite3.h>

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

TEST_F(SpamRetryTest, DismissPutsTheMailAsideOnRecordUntilARetry) {
  const std::string path = "/api/v1/messages/" + std::to_string(id_) + "/dismiss";
  EXPECT_EQ(raw_call("POST", path, "", "", "application/json").status, 401);
  EXPECT_EQ(post("/api/v1/messages/999999/dismiss", "").first, 404);
  auto [bad_status, bad] = post(path, R"({"reason": 5})");
  EXPECT_EQ(bad_status, 422) << bad.dump();
  EXPECT_EQ(bad["errors"][0]["field"], "reason") << bad.dump();
  auto [typo_status, typo] = post(path, R"({"reson": "x"})");
  EXPECT_EQ(typo_status, 422) << typo.dump();
  EXPECT_EQ(typo["errors"][0]["field"], "reson") << typo.dump();
  EXPECT_EQ(post(path, R"({"reason": "a\nb"})").first, 422);
  EXPECT_EQ(post(path, "{").first, 400);

  auto [status, out] = post(path, R"({"reason": "phishing"})");
  ASSERT_EQ(status, 200) << out.dump();
  EXPECT_EQ(out["id"], id_);
  EXPECT_EQ(out["state"], "dismissed");
  EXPECT_EQ(out["outcome"], "held");
  const std::string reason = out["reason"];
  EXPECT_EQ(reason.rfind("spam", 0), 0u) << reason;
  EXPECT_NE(reason.find("; dismissed by bob@corp.example: phishing"), std::string::npos) << reason;
  EXPECT_EQ(post(path, "").first, 409);

  auto held = call("GET", "/api/v1/messages?state=held", agent_);
  ASSERT_EQ(held.status, 200) << held.body;
  EXPECT_TRUE(held.j()["items"].empty()) << held.body;
  auto dismissed = call("GET", "/api/v1/messages?state=dismissed", agent_);
  ASSERT_EQ(dismissed.status, 200) << dismissed.body;
  ASSERT_EQ(dismissed.j()["items"].size(), 1u) << dismissed.body;
  EXPECT_EQ(dismissed.j()["items"][0]["id"], id_);
  EXPECT_EQ(call("GET", "/api/v1/messages/" + std::to_string(id_) + "/raw", agent_).body, kSpam);

  // The message_dismissed event names Bob, whose token it was.
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open_v2((data_ / "mailcase.db").c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(h,
                               "SELECT actor_kind, actor, details FROM events WHERE action = "
                               "'message_dismissed' AND case_id IS NULL",
                               -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))), "agent");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 1))), "bob@corp.example");
  auto details = json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 2)));
  EXPECT_EQ(details["message"], std::to_string(id_));
  EXPECT_EQ(details["reason"], "phishing");
  EXPECT_EQ(details["was"], "held");
  EXPECT_EQ(details["from"], "carol@customer.example");
  sqlite3_finalize(st);
  sqlite3_close(h);

  // A retry brings it back as mail; a mail that made its case is not dismissed.
  auto [retry_status, retried] =
      post("/api/v1/messages/" + std::to_string(id_) + "/retry", R"({"not_spam": true})");
  ASSERT_EQ(retry_status, 200) << retried.dump();
  EXPECT_EQ(retried["outcome"], "created") << retried.dump();
  auto [late_status, late] = post(path, "");
  EXPECT_EQ(late_status, 409) << late.dump();
  EXPECT_NE(late["detail"].get<std::string>().find("processed"), std::string::npos) << late.dump();
}

}  // namespace
}  // namespace mailcase::api
