// POST /api/v1/messages/{id}/retry with not_spam and allow_sender, through a real server in
// this process: a mail held as spam (a trusted server's X-Spam-Flag) becomes a case, and
// options of the wrong type are refused by name.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/api.h"
#include "config/config.h"
#include "ingest/pipeline.h"
#include "runtime/runtime.h"
#include "support/test_support.h"
#include "web/http_server.h"

namespace mailcase::api {
namespace {

using nlohmann::json;

const char* kSpam =
    "Authentication-Results: mx.corp.example; dkim=pass header.d=customer.example; dmarc=pass "
    "header.from=customer.example\r\nX-Spam-Flag: YES\r\n"
    "From: Carol <carol@customer.example>\r\nTo: support@corp.example\r\nSubject: Invoice is wrong\r\n"
    "Message-ID: <spam1@customer.example>\r\n\r\nPlease fix invoice 42.\r\n";

class SpamRetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    ASSERT_EQ(cli({"init"}).exit_code, 0);
    std::ofstream(data_ / "mailcase.toml") << "[trust]\nauthserv_ids = [\"mx.corp.example\"]\n";
    ASSERT_EQ(cli({"agent", "add", "--name", "Bob", "--email", "bob@corp.example"}).exit_code, 0);
    auto r = cli({"token", "create", "--agent", "bob@corp.example"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto end = r.out.find_last_not_of("\n");
    auto start = r.out.find_last_of('\n', end);
    token_ = r.out.substr(start == std::string::npos ? 0 : start + 1,
                          end - (start == std::string::npos ? 0 : start + 1) + 1);

    auto cfg = config::load(data_ / "mailcase.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    cfg_ = *cfg;
    auto rt = runtime::Runtime::open(data_, cfg_);
    ASSERT_TRUE(rt) << rt.error().message;
    rt_ = std::move(*rt);
    auto held =
        rt_->ingest().deliver(kSpam, ingest::Envelope{"test", {"support@corp.example"}, std::nullopt});
    ASSERT_TRUE(held) << held.error().message;
    ASSERT_EQ(held->kind, ingest::OutcomeKind::kHeld) << held->reason;
    id_ = held->message_id;

    api_ = std::make_unique<Api>(rt_->store(), rt_->cases(), rt_->config(), rt_->clock(), data_);
    api_->set_ingest(rt_->ingest());
    http_ = std::make_unique<web::HttpServer>(web::HttpLimits{});
    api_->mount(*http_);
    ASSERT_TRUE(http_->listen("127.0.0.1", 0));
    thread_ = std::thread([this] { http_->serve(); });
  }

  void TearDown() override {
    if (http_) http_->stop();
    if (thread_.joinable()) thread_.join();
  }

  mailcase::testing::CommandResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_.string()});
    return mailcase::testing::run_mailcase(args);
  }

  std::pair<int, json> post(const std::string& path, const std::string& body) {
    httplib::Client c("127.0.0.1", http_->bound_port());
    c.set_read_timeout(60, 0);
    httplib::Headers h{{"Authorization", "Bearer " + token_}};
    auto r = c.Post(path.c_str(), h, body, "application/json");
    EXPECT_TRUE(r) << path;
    if (!r) return {0, {}};
    return {r->status, json::parse(r->body, nullptr, false)};
  }

  mailcase::testing::TempDir dir_;
  std::filesystem::path data_;
  config::Config cfg_;
  std::string token_;
  int64_t id_ = 0;
  std::unique_ptr<runtime::Runtime> rt_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<web::HttpServer> http_;
  std::thread thread_;
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
