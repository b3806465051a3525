// mailcase.toml [lmtp]: recipient cap and deadlines, with their defaults and errors.
#include <gtest/gtest.h>

#include <fstream>

#include "config/config.h"
#include "support/test_support.h"

namespace mailcase::config {
namespace {

Result<Config> load_text(const testing::TempDir& dir, const std::string& text) {
  std::ofstream(dir.path() / "mailcase.toml") << text;
  return load(dir.path() / "mailcase.toml");
}

TEST(LmtpConfig, DefaultsAndTheInitFileAgree) {
  testing::TempDir dir;
  auto c = load_text(dir, default_file_text());
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->lmtp.max_recipients, 100);
  EXPECT_EQ(c->lmtp.session_timeout_seconds, 30 * 60);
  EXPECT_EQ(c->lmtp.data_timeout_seconds, 10 * 60);
  Config d;
  EXPECT_EQ(d.lmtp.max_recipients, 100);
  EXPECT_EQ(d.lmtp.session_timeout_seconds, 30 * 60);
  EXPECT_EQ(d.lmtp.data_timeout_seconds, 10 * 60);
}

TEST(LmtpConfig, DurationsAsSecondsOrWithAUnit) {
  testing::TempDir dir;
  auto c = load_text(dir, "[lmtp]\nmax_recipients = 5\nsession_timeout = \"2h\"\ndata_timeout = 45\n");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->lmtp.max_recipients, 5);
  EXPECT_EQ(c->lmtp.session_timeout_seconds, 7200);
  EXPECT_EQ(c->lmtp.data_timeout_seconds, 45);
  c = load_text(dir, "[lmtp]\ndata_timeout = \"90s\"\nsession_timeout = \"15m\"\n");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->lmtp.data_timeout_seconds, 90);
  EXPECT_EQ(c->lmtp.session_timeout_seconds, 900);
}

TEST(LmtpConfig, BadValuesNameTheKey) {
  testing::TempDir dir;
  for (const char* text : {"[lmtp]\ndata_timeout = \"10 minutes\"\n", "[lmtp]\ndata_timeout = 0\n",
                           "[lmtp]\nsession_timeout = \"m\"\n", "[lmtp]\nsession_timeout = -5\n"}) {
    auto c = load_text(dir, text);
    ASSERT_FALSE(c.has_value()) << text;
    EXPECT_NE(c.error().message.find("timeout must be a positive duration"), std::string::npos)
        << c.error().message;
  }
  auto c = load_text(dir, "[lmtp]\nmax_recipients = 0\n");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message.find("lmtp.max_recipients"), std::string::npos) << c.error().message;
}

}  // namespace
}  // namespace mailcase::config
