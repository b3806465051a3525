// mailcase.toml [deliver]: the hand-off of pipe deliveries to serve, with its defaults
// and errors.
#include <gtest/gtest.h>

#include "config/config.h"

namespace mailcase::config {
namespace {

TEST(DeliverConfig, DefaultsAndTheInitFileAgree) {
  auto c = load_text(default_file_text(), "mailcase.toml");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  const Config d;
  EXPECT_TRUE(d.deliver.handoff);
  EXPECT_EQ(c->deliver.handoff, d.deliver.handoff);
  EXPECT_EQ(c->deliver.max_connections, d.deliver.max_connections);
  EXPECT_EQ(c->deliver.request_timeout_seconds, d.deliver.request_timeout_seconds);
  EXPECT_EQ(c->deliver.idle_timeout_seconds, d.deliver.idle_timeout_seconds);
}

TEST(DeliverConfig, ValuesAreReadAndCheckedWithTheirKey) {
  auto c = load_text(
      "[deliver]\nhandoff = false\nmax_connections = 3\nrequest_timeout = \"2m\"\nidle_timeout = 5\n",
      "mailcase.toml");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_FALSE(c->deliver.handoff);
  EXPECT_EQ(c->deliver.max_connections, 3);
  EXPECT_EQ(c->deliver.request_timeout_seconds, 120);
  EXPECT_EQ(c->deliver.idle_timeout_seconds, 5);
  for (const char* bad : {"[deliver]\nmax_connections = 0\n", "[deliver]\nidle_timeout = 0\n",
                          "[deliver]\nrequest_timeout = \"-1s\"\n", "[deliver]\nhandoff = \"yes\"\n"}) {
    auto r = load_text(bad, "mailcase.toml");
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_NE(r.error().message.find("deliver."), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace mailcase::config
