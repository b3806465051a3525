// mailcase.toml [business_hours]: days, hours, time zone and holidays, with their
// defaults and the errors that name the key.
#include <gtest/gtest.h>

#include <fstream>

#include "config/config.h"
#include "support/test_support.h"

namespace mailcase::config {
namespace {

Result<Config> load_file(const testing::TempDir& dir, const std::string& text) {
  std::ofstream(dir.path() / "mailcase.toml") << text;
  return load(dir.path() / "mailcase.toml");
}

TEST(BusinessHoursConfig, DefaultsAreMondayToFridayNineToFiveUtcAndTheInitFileAgrees) {
  testing::TempDir dir;
  for (const auto& text : {std::string(), default_file_text()}) {
    auto c = load_file(dir, text);
    ASSERT_TRUE(c.has_value()) << c.error().message;
    const auto& h = c->business_hours;
    EXPECT_EQ(h.days, (std::vector<int>{1, 2, 3, 4, 5}));
    EXPECT_EQ(h.open_minute, 9 * 60);
    EXPECT_EQ(h.close_minute, 17 * 60);
    EXPECT_EQ(h.time_zone, "UTC");
    EXPECT_TRUE(h.holidays.empty());
  }
  EXPECT_NE(default_file_text().find("[business_hours]"), std::string::npos);
}

TEST(BusinessHoursConfig, EveryKeyIsRead) {
  testing::TempDir dir;
  auto c = load_file(dir,
                     "[business_hours]\n"
                     "days = [\"Sun\", \"MON\", \"tue\", \"mon\"]\n"
                     "hours = \"22:30-06:15\"\n"
                     "time_zone = \"Europe/Warsaw\"\n"
                     "holidays = [\"2026-12-25\", \"2026-12-26\"]\n");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  const auto& h = c->business_hours;
  EXPECT_EQ(h.days, (std::vector<int>{1, 2, 7}));
  EXPECT_EQ(h.open_minute, 22 * 60 + 30);
  EXPECT_EQ(h.close_minute, 6 * 60 + 15);
  EXPECT_EQ(h.time_zone, "Europe/Warsaw");
  EXPECT_EQ(h.holidays, (std::vector<std::string>{"2026-12-25", "2026-12-26"}));

  c = load_file(dir, "[business_hours]\nhours = \"00:00-24:00\"\n");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->business_hours.open_minute, 0);
  EXPECT_EQ(c->business_hours.close_minute, 24 * 60);
}

TEST(BusinessHoursConfig, BadValuesNameTheFileAndTheKey) {
  testing::TempDir dir;
  const struct {
    const char* text;
    const char* key;
  } cases[] = {
      {"days = [\"monday\"]", "business_hours.days"},
      {"days = []", "business_hours.days"},
      {"days = \"mon\"", "business_hours.days"},
      {"days = [1, 2]", "business_hours.days"},
      {"hours = \"9-17\"", "business_hours.hours"},
      {"hours = \"09:00\"", "business_hours.hours"},
      {"hours = \"25:00-26:00\"", "business_hours.hours"},
      {"hours = \"24:00-08:00\"", "business_hours.hours"},
      {"hours = \"09:60-17:00\"", "business_hours.hours"},
      {"hours = 9", "business_hours.hours"},
      {"time_zone = \"Mars/Olympus\"", "business_hours.time_zone"},
      {"time_zone = \"\"", "business_hours.time_zone"},
      {"holidays = [\"2026-02-30\"]", "business_hours.holidays"},
      {"holidays = [\"25.12.2026\"]", "business_hours.holidays"},
  };
  for (const auto& bad : cases) {
    auto c = load_file(dir, std::string("[business_hours]\n") + bad.text + "\n");
    ASSERT_FALSE(c.has_value()) << bad.text;
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidInput);
    EXPECT_NE(c.error().message.find("mailcase.toml"), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find(bad.key), std::string::npos) << bad.text << ": " << c.error().message;
  }
}

}  // namespace
}  // namespace mailcase::config
