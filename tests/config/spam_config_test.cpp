// mailcase.toml [spam]: rspamd's address and timeout, the spam threshold; defaults and errors.
#include <gtest/gtest.h>

#include "config/config.h"

namespace mailcase::config {
namespace {

TEST(SpamConfig, DefaultsAndTheInitFileAgree) {
  auto c = load_text(default_file_text(), "mailcase.toml");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->spam.rspamd_url, "");
  EXPECT_EQ(c->spam.rspamd_timeout_seconds, 5);
  EXPECT_DOUBLE_EQ(c->spam.threshold, 5.0);
  Config d;
  EXPECT_EQ(d.spam.rspamd_url, "");
  EXPECT_EQ(d.spam.rspamd_timeout_seconds, 5);
  EXPECT_DOUBLE_EQ(d.spam.threshold, 5.0);
}

TEST(SpamConfig, ValuesAreRead) {
  auto c = load_text(
      "[spam]\nrspamd_url = \"http://127.0.0.1:11333\"\nrspamd_timeout_seconds = 2\nthreshold = 7.5\n", "f");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->spam.rspamd_url, "http://127.0.0.1:11333");
  EXPECT_EQ(c->spam.rspamd_timeout_seconds, 2);
  EXPECT_DOUBLE_EQ(c->spam.threshold, 7.5);
  c = load_text("[spam]\nthreshold = 6\n", "f");  // an integer is a number too
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_DOUBLE_EQ(c->spam.threshold, 6.0);
}

TEST(SpamConfig, BadValuesAreClearErrors) {
  struct Case {
    const char* text;
    const char* says;
  } cases[] = {
      {"[spam]\nrspamd_url = \"ftp://x\"\n", "spam.rspamd_url"},
      {"[spam]\nrspamd_url = \"http://a b\"\n", "spam.rspamd_url"},
      {"[spam]\nrspamd_url = 5\n", "spam.rspamd_url"},
      {"[spam]\nrspamd_timeout_seconds = 0\n", "spam.rspamd_timeout_seconds"},
      {"[spam]\nrspamd_timeout_seconds = 601\n", "spam.rspamd_timeout_seconds"},
      {"[spam]\nrspamd_timeout_seconds = -1\n", "spam.rspamd_timeout_seconds"},
      {"[spam]\nthreshold = \"high\"\n", "spam.threshold"},
      {"[spam]\nthreshold = nan\n", "spam.threshold"},
      {"[spam]\nthreshold = inf\n", "spam.threshold"},
      {"[spam]\nthreshold = 1e9\n", "spam.threshold"},
  };
  for (const auto& k : cases) {
    auto c = load_text(k.text, "mailcase.toml");
    ASSERT_FALSE(c.has_value()) << k.text;
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidInput);
    EXPECT_NE(c.error().message.find(k.says), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find("mailcase.toml"), std::string::npos) << c.error().message;
  }
}

}  // namespace
}  // namespace mailcase::config
