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

// A number too large for the setting used to be cut to its width: 4294967297 workers
// became 1 and 4294967321 as the SMTP port became 25, both accepted without a word.
TEST(Config, NumberTooLargeForTheSettingIsRefused) {
  for (const char* text : {"[http]\nworkers = 4294967297\n", "[outbound]\nsmtp_port = 4294967321\n",
                           "[threading]\ncase_digits = 4294967303\n"}) {
    auto c = load_text(text, "mailcase.toml");
    ASSERT_FALSE(c.has_value()) << text;
    EXPECT_NE(c.error().message.find("must be at most 2147483647"), std::string::npos) << c.error().message;
  }
  auto ok = load_text("[http]\nworkers = 8\n[limits]\nmax_message_bytes = 4294967297\n", "mailcase.toml");
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_EQ(ok->http.workers, 8);
  EXPECT_EQ(ok->limits.max_message_bytes, 4294967297ull);
}

// load_text is what load applies to the file's text: same values, same errors.
TEST(Config, TextAndFileLoadAlike) {
  testing::TempDir dir;
  const std::string text = "[limits]\nmax_message_bytes = 1000\n[storage]\nsync = \"sometimes\"\n";
  write(dir.path() / "mailcase.toml", text);
  auto from_file = load(dir.path() / "mailcase.toml");
  auto from_text = load_text(text, dir.path() / "mailcase.toml");
  ASSERT_FALSE(from_file.has_value());
  ASSERT_FALSE(from_text.has_value());
  EXPECT_EQ(from_file.error().message, from_text.error().message);
  auto good = load_text("[limits]\nmax_message_bytes = 1000\n", "x.toml");
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(good->limits.max_message_bytes, 1000u);
  auto bad = load_text("[limits\n", "x.toml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message.rfind("x.toml:1: ", 0), 0u) << bad.error().message;
}

// A path that exists but cannot be read as a file is a clear error, not defaults.
TEST(Config, UnreadableFileIsAnError) {
  testing::TempDir dir;
  std::filesystem::create_directory(dir.path() / "mailcase.toml");
  auto c = load(dir.path() / "mailcase.toml");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message.find("mailcase.toml"), std::string::npos) << c.error().message;
}

// A float too large for an integer (found by config_fuzz): toml++ converted it before
// checking its range, undefined behaviour that the UBSan stage of scripts/test reports.
// Now a clear error; a whole float in range is still taken as before.
TEST(Config, HugeFloatWhereAnIntegerBelongsIsAnError) {
  for (const char* text : {"[limits]\nmax_message_bytes = 1e80\n", "[http]\nworkers = -1e80\n",
                           "[lmtp]\ndata_timeout = 1e80\n", "[limits]\nmax_message_bytes = inf\n",
                           "[limits]\nmax_message_bytes = 1.5\n"}) {
    auto c = load_text(text, "mailcase.toml");
    ASSERT_FALSE(c.has_value()) << text;
    EXPECT_NE(c.error().message.find("mailcase.toml: "), std::string::npos) << c.error().message;
  }
  auto whole = load_text("[limits]\nmax_message_bytes = 1000.0\n[lmtp]\ndata_timeout = 90.0\n", "mailcase.toml");
  ASSERT_TRUE(whole.has_value()) << whole.error().message;
  EXPECT_EQ(whole->limits.max_message_bytes, 1000u);
  EXPECT_EQ(whole->lmtp.data_timeout_seconds, 90);
}

// A hugely negative duration with a unit (found by the long config_fuzz run): it passed
// the upper bound and overflowed when multiplied by the unit. Now a clear error.
TEST(Config, HugeNegativeDurationWithAUnitIsAnError) {
  for (const char* text : {"[lmtp]\nsession_timeout = \"-399994999999999928m\"\n",
                           "[lmtp]\nsession_timeout = \"-5h\"\n", "[lmtp]\nsession_timeout = \"0s\"\n",
                           "[lmtp]\nsession_timeout = \"9223372036854775807h\"\n"}) {
    auto c = load_text(text, "mailcase.toml");
    ASSERT_FALSE(c.has_value()) << text;
    EXPECT_NE(c.error().message.find("lmtp.session_timeout must be a positive duration"), std::string::npos)
        << c.error().message;
  }
  auto ok = load_text("[lmtp]\nsession_timeout = \"2h\"\n", "mailcase.toml");
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_EQ(ok->lmtp.session_timeout_seconds, 7200);
}

}  // namespace
}  // namespace mailcase::config
