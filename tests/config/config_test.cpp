// mailcase.toml: defaults, the file `init` writes, and clear errors.
#include <gtest/gtest.h>

#include <fstream>

#include "config/config.h"
#include "support/test_support.h"

namespace mailcase::config {
namespace {

void write(const std::filesystem::path& p, const std::string& text) { std::ofstream(p) << text; }

TEST(Config, MissingFileGivesDefaults) {
  testing::TempDir dir;
  auto c = load(dir.path() / "mailcase.toml");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->limits.max_message_bytes, 50ull * 1024 * 1024);
  EXPECT_EQ(c->threading.case_prefix, "CS");
  EXPECT_EQ(c->routing.fallback_queue, "Unrouted");
}

TEST(Config, DefaultFileParsesToTheDefaults) {
  testing::TempDir dir;
  write(dir.path() / "mailcase.toml", default_file_text());
  auto c = load(dir.path() / "mailcase.toml");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  Config d;
  EXPECT_EQ(c->limits.max_message_bytes, d.limits.max_message_bytes);
  EXPECT_EQ(c->threading.subject_tags, d.threading.subject_tags);
  EXPECT_EQ(c->storage.sync, d.storage.sync);
}

TEST(Config, ValuesAreRead) {
  testing::TempDir dir;
  write(dir.path() / "mailcase.toml",
        "[limits]\nmax_message_bytes = 1000\n[threading]\nnumeric_tags = true\nsubject_tags = [\"Ticket#{number}\"]\n"
        "[routing]\ndefault_queue = \"Help\"\n");
  auto c = load(dir.path() / "mailcase.toml");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->limits.max_message_bytes, 1000u);
  EXPECT_TRUE(c->threading.numeric_tags);
  EXPECT_EQ(c->threading.subject_tags, std::vector<std::string>{"Ticket#{number}"});
  EXPECT_EQ(c->routing.default_queue, "Help");
}

TEST(Config, SyntaxErrorNamesFileAndLine) {
  testing::TempDir dir;
  write(dir.path() / "mailcase.toml", "[limits]\nmax_message_bytes = = 3\n");
  auto c = load(dir.path() / "mailcase.toml");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message.find("mailcase.toml"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("2"), std::string::npos) << c.error().message;
}

TEST(Config, BadValueNamesTheKey) {
  testing::TempDir dir;
  write(dir.path() / "mailcase.toml", "[storage]\nsync = \"sometimes\"\n");
  auto c = load(dir.path() / "mailcase.toml");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message.find("sync"), std::string::npos) << c.error().message;
}

TEST(Config, AutomaticMailSettingsHaveDefaultsAndAreChecked) {
  testing::TempDir dir;
  auto d = load(dir.path() / "mailcase.toml");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->outbound.max_auto_replies_total_per_hour, 200);
  EXPECT_FALSE(d->outbound.confirm_unverified_senders);
  write(dir.path() / "mailcase.toml",
        "[outbound]\nmax_auto_replies_total_per_hour = 7\nconfirm_unverified_senders = true\n");
  auto c = load(dir.path() / "mailcase.toml");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->outbound.max_auto_replies_total_per_hour, 7);
  EXPECT_TRUE(c->outbound.confirm_unverified_senders);
  write(dir.path() / "mailcase.toml", "[outbound]\nmax_auto_replies_total_per_hour = -1\n");
  auto bad = load(dir.path() / "mailcase.toml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("max_auto_replies_total_per_hour"), std::string::npos);
  write(dir.path() / "mailcase.toml", "[outbound]\nconfirm_unverified_senders = \"yes\"\n");
  bad = load(dir.path() / "mailcase.toml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("confirm_unverified_senders"), std::string::npos) << bad.error().message;
}

TEST(Config, WhoMayWriteToACaseIsValidated) {
  testing::TempDir dir;
  Config d;
  EXPECT_EQ(d.threading.non_participant, "internal");
  EXPECT_EQ(d.threading.verdict_from, "contact");
  write(dir.path() / "mailcase.toml", "[threading]\nnon_participant = \"new\"\nverdict_from = \"account\"\n");
  auto c = load(dir.path() / "mailcase.toml");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->threading.non_participant, "new");
  EXPECT_EQ(c->threading.verdict_from, "account");
  write(dir.path() / "mailcase.toml", "[threading]\nnon_participant = \"public\"\n");
  c = load(dir.path() / "mailcase.toml");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message.find("threading.non_participant must be internal, hold or new"), std::string::npos)
      << c.error().message;
  write(dir.path() / "mailcase.toml", "[threading]\nverdict_from = \"anyone\"\n");
  c = load(dir.path() / "mailcase.toml");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message.find("threading.verdict_from must be contact or account"), std::string::npos)
      << c.error().message;
}

}  // namespace
}  // namespace mailcase::config
