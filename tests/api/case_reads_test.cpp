// The API's read side through the real binary: `serve --http` with a token made by the
// CLI, as an agent's script would use it.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::Background;
using mailcase::testing::run_mailcase;

class ApiReadsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    ASSERT_EQ(run_mailcase({"--data", data_, "init"}).exit_code, 0);
    deliver("alice@example.org", "Facturé printer <b>broken</b>", "<p1@example.org>", "It does not print.");
    deliver("bob@example.org", "Password reset", "<p2@example.org>", "I cannot log in.");
    token_ = mailcase::testing::agent_with_token(data_, "marek@corp.example", "Marek");
    ASSERT_FALSE(token_.empty());
    port_ = mailcase::testing::free_port();
    serve_ = std::make_unique<Background>(std::vector<std::string>{
        "--data", data_, "serve", "--roles", "http", "--http", "127.0.0.1:" + std::to_string(port_)});
    ASSERT_TRUE(mailcase::testing::wait_until([&] { return static_cast<bool>(client().Get("/healthz")); }))
        << serve_->err();
  }
  void deliver(const std::string& from, const std::string& subject, const std::string& id,
               const std::string& body) {
    auto r = run_mailcase({"--data", data_, "deliver"},
                          "From: " + from + "\r\nTo: support@corp.example\r\nSubject: " + subject +
                              "\r\nMessage-ID: " + id + "\r\n\r\n" + body + "\r\n");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  httplib::Client client() {
    httplib::Client cli("127.0.0.1", port_);
    cli.set_read_timeout(30, 0);
    return cli;
  }
  httplib::Headers auth() const { return {{"Authorization", "Bearer " + token_}}; }

  mailcase::testing::TempDir dir_;
  std::string data_, token_;
  int port_ = 0;
  std::unique_ptr<Background> serve_;
};

TEST_F(ApiReadsTest, WithoutAValidTokenNothingIsShown) {
  for (const auto& h : std::vector<httplib::Headers>{{},
                                                     {{"Authorization", "Bearer mct_not-a-real-token"}},
                                                     {{"Authorization", "Basic bWFyZWs6eA=="}},
                                                     {{"Authorization", "Bearer " + token_ + "x"}}}) {
    auto r = client().Get("/api/v1/cases", h);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
    EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer realm=\"mailcase\"");
    EXPECT_EQ(r->body.find("Facturé"), std::string::npos);
  }
  auto revoked = run_mailcase({"--data", data_, "token", "revoke", "1"});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  auto r = client().Get("/api/v1/cases", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << "a revoked token stops working at once";
}

TEST_F(ApiReadsTest, ListsNewestFirstAndPagesWithACursor) {
  auto r = client().Get("/api/v1/cases?limit=1&count=true", auth());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = nlohmann::json::parse(r->body);
  ASSERT_EQ(j["items"].size(), 1u);
  EXPECT_EQ(j["total"], 2);
  EXPECT_EQ(j["items"][0]["number"], "CS0000002");
  ASSERT_TRUE(j["next_cursor"].is_string());
  auto next =
      client().Get("/api/v1/cases?limit=1&count=true&cursor=" + j["next_cursor"].get<std::string>(), auth());
  ASSERT_TRUE(next);
  auto k = nlohmann::json::parse(next->body);
  ASSERT_EQ(k["items"].size(), 1u);
  EXPECT_EQ(k["items"][0]["number"], "CS0000001");
  EXPECT_TRUE(k["next_cursor"].is_null());
  // A cursor made for other filters is refused, not silently misread.
  auto other = client().Get(
      "/api/v1/cases?limit=1&status=closed&cursor=" + j["next_cursor"].get<std::string>(), auth());
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 422) << other->body;
}

TEST_F(ApiReadsTest, SearchFindsWordsWithoutTheirAccentsAndMarksThemSafely) {
  auto r = client().Get("/api/v1/cases?q=facture", auth());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = nlohmann::json::parse(r->body);
  ASSERT_EQ(j["items"].size(), 1u);
  EXPECT_EQ(j["items"][0]["number"], "CS0000001");
  EXPECT_EQ(j["items"][0]["snippet"], "<mark>Facturé</mark> printer &lt;b&gt;broken&lt;/b&gt;");
  auto hostile = client().Get("/api/v1/cases?q=%22NEAR(*", auth());
  ASSERT_TRUE(hostile);
  EXPECT_EQ(hostile->status, 200)
      << hostile->body;  // A NUL inside a word once ended the FTS5 query there, unterminated: a 500.
  auto nul = client().Get("/api/v1/cases?q=facture%00printer%01", auth());
  ASSERT_TRUE(nul);
  ASSERT_EQ(nul->status, 200) << nul->body;
  EXPECT_EQ(nlohmann::json::parse(nul->body)["items"].size(), 1u) << "the words around it still count";
}

// The search index is written in batches (migration 31): a mail delivered a moment ago is
// found all the same, and the search leaves the index up to date for the next one.
TEST_F(ApiReadsTest, ASearchFindsAMailJustDeliveredAndLeavesTheIndexCurrent) {
  deliver("carol@example.org", "Zeppelin grounded", "<p3@example.org>", "The airship waits.");
  auto waiting = [&] {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open((std::filesystem::path(data_) / "mailcase.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    sqlite3_stmt* st = nullptr;
    int64_t n = -1;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM case_search_pending", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
  };
  EXPECT_GT(waiting(), 0);  // three cases, fewer than a batch
  auto r = client().Get("/api/v1/cases?q=airship", auth());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = nlohmann::json::parse(r->body);
  ASSERT_EQ(j["items"].size(), 1u) << r->body;
  EXPECT_EQ(j["items"][0]["number"], "CS0000003");
  EXPECT_EQ(waiting(), 0);
  auto all = client().Get("/api/v1/cases", auth());
  ASSERT_TRUE(all);
  EXPECT_EQ(nlohmann::json::parse(all->body)["items"].size(), 3u);
}

TEST_F(ApiReadsTest, BadParametersAreNamedInAProblem) {
  auto r = client().Get("/api/v1/cases?status=sleeping&limit=1000", auth());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["errors"][0]["field"], "status");
  EXPECT_EQ(j["errors"][1]["field"], "limit");
}

TEST_F(ApiReadsTest, ACaseHasItsThreadAndAnETag) {
  auto r = client().Get("/api/v1/cases/CS0000001", auth());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["comments"][0]["body"], "It does not print.");
  const auto etag = r->get_header_value("ETag");
  EXPECT_EQ(etag.front(), '"');
  auto again = client().Get("/api/v1/cases/CS0000001", auth());
  EXPECT_EQ(again->get_header_value("ETag"), etag);
  auto missing = client().Get("/api/v1/cases/CS0009999", auth());
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->get_header_value("Content-Type"), "application/problem+json");
}

TEST_F(ApiReadsTest, HealthAndMetricsAnswer) {
  auto h = client().Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(nlohmann::json::parse(h->body)["status"], "ok");
  ASSERT_TRUE(client().Get("/api/v1/cases", auth()));
  // A request is counted once its answer is written, on the thread that wrote it: the
  // scrape may come first, so ask until it shows.
  const std::string counted = "mailcase_http_requests_total{route=\"/api/v1/cases\",status=\"200\"} 1";
  std::string body;
  EXPECT_TRUE(mailcase::testing::wait_until([&] {
    auto m = client().Get("/metrics");
    if (!m || m->status != 200) return false;
    body = m->body;
    return body.find(counted) != std::string::npos;
  }))
      << body;
}

}  // namespace
}  // namespace mailcase
