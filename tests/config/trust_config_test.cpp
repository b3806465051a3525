// mailcase.toml [trust]: the believed authserv-ids and what a failed DMARC does.
#include <gtest/gtest.h>

#include "config/config.h"

namespace mailcase::config {
namespace {

TEST(TrustConfig, DefaultsAndTheInitFileAgree) {
  auto c = load_text(default_file_text(), "mailcase.toml");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_TRUE(c->trust.authserv_ids.empty());
  EXPECT_EQ(c->trust.on_dmarc_fail, "hold");
  Config d;
  EXPECT_TRUE(d.trust.authserv_ids.empty());
  EXPECT_EQ(d.trust.on_dmarc_fail, "hold");
}

TEST(TrustConfig, IdsAndPolicyRead) {
  auto c = load_text(
      "[trust]\nauthserv_ids = [\"mx.corp.example\", \"MX2.corp.example\"]\non_dmarc_fail = \"internal\"\n",
      "mailcase.toml");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->trust.authserv_ids, (std::vector<std::string>{"mx.corp.example", "MX2.corp.example"}));
  EXPECT_EQ(c->trust.on_dmarc_fail, "internal");
}

TEST(TrustConfig, BadValuesNameTheKey) {
  for (const char* text : {"[trust]\non_dmarc_fail = \"drop\"\n", "[trust]\non_dmarc_fail = 1\n",
                           "[trust]\nauthserv_ids = \"mx.corp.example\"\n", "[trust]\nauthserv_ids = [1]\n",
                           "[trust]\nauthserv_ids = [\"\"]\n", "[trust]\nauthserv_ids = [\"mx corp\"]\n",
                           "[trust]\nauthserv_ids = [\"mx;x\"]\n"}) {
    auto c = load_text(text, "mailcase.toml");
    ASSERT_FALSE(c.has_value()) << text;
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidInput);
    EXPECT_NE(c.error().message.find("trust."), std::string::npos) << text << ": " << c.error().message;
  }
}

}  // namespace
}  // namespace mailcase::config
