// [http]: the customer pages' request limits, their defaults and their errors.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "config/config.h"
#include "support/test_support.h"

namespace mailcase::config {
namespace {

Result<Config> load_text(const testing::TempDir& dir, const std::string& text) {
  std::ofstream(dir.path() / "mailcase.toml") << text;
  return load(dir.path() / "mailcase.toml");
}

TEST(HttpConfig, DefaultsAndTheDefaultFileAgree) {
  testing::TempDir dir;
  auto c = load_text(dir, default_file_text());
  ASSERT_TRUE(c) << c.error().message;
  Config d;
  EXPECT_EQ(d.http.max_head_bytes, 16384);
  EXPECT_EQ(d.http.max_body_bytes, 16384);
  EXPECT_EQ(d.http.request_timeout_seconds, 15);
  EXPECT_EQ(d.http.workers, 64);
  EXPECT_EQ(d.http.max_connections, 512);
  EXPECT_EQ(c->http.max_connections, d.http.max_connections);
  EXPECT_EQ(d.http.max_buffered_bytes, 64 * 1024 * 1024);
  EXPECT_EQ(c->http.max_buffered_bytes, d.http.max_buffered_bytes);
  EXPECT_EQ(c->http.max_head_bytes, d.http.max_head_bytes);
  EXPECT_EQ(c->http.max_body_bytes, d.http.max_body_bytes);
  EXPECT_EQ(c->http.request_timeout_seconds, d.http.request_timeout_seconds);
  EXPECT_EQ(c->http.workers, d.http.workers);
}

TEST(HttpConfig, ValuesAreRead) {
  testing::TempDir dir;
  auto c = load_text(dir,
                     "[http]\nmax_head_bytes = 8192\nmax_body_bytes = 4096\nrequest_timeout_seconds = 30\n"
                     "workers = 16\nmax_connections = 2000\nmax_buffered_bytes = 2097152\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->http.max_head_bytes, 8192);
  EXPECT_EQ(c->http.max_body_bytes, 4096);
  EXPECT_EQ(c->http.request_timeout_seconds, 30);
  EXPECT_EQ(c->http.workers, 16);
  EXPECT_EQ(c->http.max_connections, 2000);
  EXPECT_EQ(c->http.max_buffered_bytes, 2097152);
}

TEST(HttpConfig, OutOfRangeValuesNameTheKey) {
  for (const std::string bad :
       {"max_head_bytes = 10", "max_body_bytes = 0", "max_body_bytes = 99999999",
        "request_timeout_seconds = 0", "request_timeout_seconds = 100000", "workers = 0", "workers = -3",
        "workers = \"many\"", "max_connections = 15", "max_connections = 100000", "max_buffered_bytes = 1000",
        "max_buffered_bytes = 2000000000"}) {
    testing::TempDir dir;
    auto c = load_text(dir, "[http]\n" + bad + "\n");
    ASSERT_FALSE(c) << bad;
    const auto key = bad.substr(0, bad.find(' '));
    EXPECT_NE(c.error().message.find("http." + key), std::string::npos) << c.error().message;
  }
}

}  // namespace
}  // namespace mailcase::config

namespace mailcase::config {
namespace {

// http.public_url: where agents' notices link to; empty by default (no link).
TEST(HttpConfig, PublicUrlIsAnHttpUrlOrNothing) {
  Config d;
  EXPECT_EQ(d.http.public_url, "");
  {
    testing::TempDir dir;
    auto c = load_text(dir, default_file_text());
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->http.public_url, "");
  }
  {
    testing::TempDir dir;
    auto c = load_text(dir, "[http]\npublic_url = \"https://help.example.com/desk\"\n");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->http.public_url, "https://help.example.com/desk");
  }
  for (const std::string bad : {"\"ftp://help.example.com\"", "\"help.example.com\"", "\"https://a b.example\"",
                                "\"https://x.example/\\r\\nBcc: y\"", "\"https://x.example/<script>\"", "42"}) {
    testing::TempDir dir;
    auto c = load_text(dir, "[http]\npublic_url = " + bad + "\n");
    ASSERT_FALSE(c) << bad;
    EXPECT_NE(c.error().message.find("http.public_url"), std::string::npos) << c.error().message;
  }
}

}  // namespace
}  // namespace mailcase::config

namespace mailcase::config {
namespace {

// http.metrics_token: empty by default (a scraper on loopback needs no token); when set,
// a bearer token, refused (without repeating it) when it could not be one.
TEST(HttpConfig, MetricsTokenIsABearerTokenOrNothing) {
  Config d;
  EXPECT_EQ(d.http.metrics_token, "");
  {
    testing::TempDir dir;
    auto c = load_text(dir, default_file_text());
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->http.metrics_token, "");
  }
  for (const std::string& good : std::vector<std::string>{"0123456789abcdef0123456789abcdef",
                                                          "Ab-._~+/0123456789==", std::string(256, 'x')}) {
    testing::TempDir dir;
    auto c = load_text(dir, "[http]\nmetrics_token = \"" + good + "\"\n");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->http.metrics_token, good);
  }
  for (const std::string& bad :
       std::vector<std::string>{"short-secret-15", "has a space in it!!", "0123456789abcdef\\r\\nX: y",
                                "=0123456789abcdef", "0123456789=abcdef", std::string(257, 'x')}) {
    testing::TempDir dir;
    auto c = load_text(dir, "[http]\nmetrics_token = \"" + bad + "\"\n");
    ASSERT_FALSE(c) << bad;
    EXPECT_NE(c.error().message.find("http.metrics_token"), std::string::npos) << c.error().message;
    EXPECT_EQ(c.error().message.find(bad), std::string::npos)
        << "the token is a secret: " << c.error().message;
  }
  testing::TempDir dir;
  auto c = load_text(dir, "[http]\nmetrics_token = 42\n");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("http.metrics_token"), std::string::npos) << c.error().message;
}

}  // namespace
}  // namespace mailcase::config
