// GET /metrics with http.metrics_token set, through the real binary: every scrape, from
// loopback too, needs the token (or an agent's API token); nothing else reads it.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <iterator>
#include <string>

#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::Background;
using mailcase::testing::run_mailcase;

constexpr const char* kMetricsToken = "8f14e45fceea167a5a36dedd4bea2543";

class MetricsTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    ASSERT_EQ(run_mailcase({"--data", data_, "init"}).exit_code, 0);
    // The file `init` wrote, with the token where it says metrics_token = "".
    const auto file = std::filesystem::path(data_) / "mailcase.toml";
    std::string text;
    {
      std::ifstream in(file);
      text.assign(std::istreambuf_iterator<char>(in), {});
    }
    const auto at = text.find("metrics_token = \"\"");
    ASSERT_NE(at, std::string::npos) << text;
    text.replace(at, std::string("metrics_token = \"\"").size(),
                 std::string("metrics_token = \"") + kMetricsToken + "\"");
    std::ofstream(file, std::ios::trunc) << text;
    agent_token_ = mailcase::testing::agent_with_token(data_, "marek@corp.example", "Marek");
    ASSERT_FALSE(agent_token_.empty());
    port_ = mailcase::testing::free_port();
    serve_ = std::make_unique<Background>(std::vector<std::string>{
        "--data", data_, "serve", "--roles", "http", "--http", "127.0.0.1:" + std::to_string(port_)});
    ASSERT_TRUE(mailcase::testing::wait_until([&] { return static_cast<bool>(client().Get("/healthz")); }))
        << serve_->err();
  }
  httplib::Client client() {
    httplib::Client cli("127.0.0.1", port_);
    cli.set_read_timeout(30, 0);
    return cli;
  }

  mailcase::testing::TempDir dir_;
  std::string data_, agent_token_;
  int port_ = 0;
  std::unique_ptr<Background> serve_;
};

TEST_F(MetricsTokenTest, FromLoopbackTooOnlyTheTokenReadsTheMetrics) {
  const std::string token = kMetricsToken;
  for (const auto& h : std::vector<httplib::Headers>{{},
                                                     {{"Authorization", "Bearer " + token + "x"}},
                                                     {{"Authorization", "Bearer " + token.substr(1)}},
                                                     {{"Authorization", "Basic " + token}},
                                                     {{"Authorization", "Bearer mct_not-a-real-token"}}}) {
    auto r = client().Get("/metrics", h);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << (h.empty() ? "" : h.begin()->second);
    EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer realm=\"mailcase\"");
    EXPECT_EQ(r->body.find("mailcase_build_info"), std::string::npos) << r->body;
  }
  for (const auto& bearer : {token, agent_token_}) {
    auto r = client().Get("/metrics", httplib::Headers{{"Authorization", "Bearer " + bearer}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_NE(r->body.find("mailcase_build_info{"), std::string::npos) << r->body;
    EXPECT_NE(r->body.find("mailcase_store_readable 1"), std::string::npos) << r->body;
  }
  // /healthz stays open: it says only whether this node can take mail.
  auto h = client().Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
}

}  // namespace
}  // namespace mailcase
