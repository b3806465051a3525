// Business hours (rules/business_hours.h): weekdays, holidays, time zones with their
// daylight saving changes, hours past midnight. Reads the system's time-zone database.
#include "rules/business_hours.h"

#include <date/date.h>
#include <gtest/gtest.h>

#include <chrono>

namespace mailcase::rules {
namespace {

// A UTC instant.
std::chrono::system_clock::time_point utc(int y, unsigned m, unsigned d, int hh, int mm) {
  using namespace std::chrono;
  const date::sys_days day{date::year{y} / date::month{m} / date::day{d}};
  return system_clock::time_point{day + hours{hh} + minutes{mm}};
}

TEST(BusinessHours, DefaultsAreMondayToFridayNineToFiveUtc) {
  BusinessHours h;
  EXPECT_TRUE(check_business_hours(h).has_value());
  // 2026-12-02 is a Wednesday.
  EXPECT_FALSE(within_business_hours(h, utc(2026, 12, 2, 8, 59)));
  EXPECT_TRUE(within_business_hours(h, utc(2026, 12, 2, 9, 0)));
  EXPECT_TRUE(within_business_hours(h, utc(2026, 12, 2, 16, 59)));
  EXPECT_FALSE(within_business_hours(h, utc(2026, 12, 2, 17, 0)));  // close is exclusive
}

TEST(BusinessHours, WeekendIsOutside) {
  BusinessHours h;
  EXPECT_FALSE(within_business_hours(h, utc(2026, 12, 5, 12, 0)));  // Saturday
  EXPECT_FALSE(within_business_hours(h, utc(2026, 12, 6, 12, 0)));  // Sunday
  EXPECT_TRUE(within_business_hours(h, utc(2026, 12, 7, 12, 0)));   // Monday
  h.days = {6};
  EXPECT_TRUE(within_business_hours(h, utc(2026, 12, 5, 12, 0)));
  EXPECT_FALSE(within_business_hours(h, utc(2026, 12, 7, 12, 0)));
}

TEST(BusinessHours, AHolidayIsClosedAllDayInItsLocalDate) {
  BusinessHours h;
  h.time_zone = "Europe/Warsaw";
  h.holidays = {"2026-12-24"};  // a Thursday
  EXPECT_TRUE(check_business_hours(h).has_value());
  EXPECT_FALSE(within_business_hours(h, utc(2026, 12, 24, 11, 0)));
  EXPECT_TRUE(within_business_hours(h, utc(2026, 12, 23, 11, 0)));
  EXPECT_TRUE(within_business_hours(h, utc(2026, 12, 28, 11, 0)));
}

TEST(BusinessHours, LocalTimeInWarsawAcrossTheDaylightSavingChange) {
  BusinessHours h;
  h.time_zone = "Europe/Warsaw";
  // Winter (CET, UTC+1): 07:30 UTC is 08:30 in Warsaw, before opening.
  EXPECT_FALSE(within_business_hours(h, utc(2026, 3, 27, 7, 30)));  // Friday
  EXPECT_TRUE(within_business_hours(h, utc(2026, 3, 27, 8, 0)));
  EXPECT_TRUE(within_business_hours(h, utc(2026, 3, 27, 15, 59)));
  EXPECT_FALSE(within_business_hours(h, utc(2026, 3, 27, 16, 0)));
  // Summer time from Sunday 2026-03-29 (CEST, UTC+2): the same 07:30 UTC is 09:30.
  EXPECT_TRUE(within_business_hours(h, utc(2026, 3, 30, 7, 30)));  // Monday
  EXPECT_FALSE(within_business_hours(h, utc(2026, 3, 30, 6, 59)));
  EXPECT_FALSE(within_business_hours(h, utc(2026, 3, 30, 15, 0)));  // 17:00 CEST

  // On the day of the change itself clocks jump from 02:00 to 03:00.
  BusinessHours night = h;
  night.days = {7};
  night.open_minute = 3 * 60;
  night.close_minute = 4 * 60;
  EXPECT_FALSE(within_business_hours(night, utc(2026, 3, 29, 0, 30)));  // 01:30 CET
  EXPECT_TRUE(within_business_hours(night, utc(2026, 3, 29, 1, 0)));    // 03:00 CEST
  EXPECT_TRUE(within_business_hours(night, utc(2026, 3, 29, 1, 59)));   // 03:59 CEST
  EXPECT_FALSE(within_business_hours(night, utc(2026, 3, 29, 2, 0)));   // 04:00 CEST
}

TEST(BusinessHours, AHolidayIsALocalDateNotAUtcOne) {
  BusinessHours h;
  h.time_zone = "America/New_York";
  h.open_minute = 18 * 60;
  h.close_minute = 23 * 60;
  h.holidays = {"2026-12-03"};  // Thursday in New York
  // 2026-12-04 01:00 UTC is Thursday 2026-12-03 20:00 in New York: a holiday there.
  EXPECT_FALSE(within_business_hours(h, utc(2026, 12, 4, 1, 0)));
  // A week earlier the same hour is inside.
  EXPECT_TRUE(within_business_hours(h, utc(2026, 11, 27, 1, 0)));
}

TEST(BusinessHours, HoursPastMidnightBelongToTheDayTheyBegan) {
  BusinessHours h;
  h.open_minute = 22 * 60;  // 22:00-06:00, Monday to Friday, UTC
  h.close_minute = 6 * 60;
  EXPECT_TRUE(within_business_hours(h, utc(2026, 12, 2, 23, 0)));  // Wednesday evening
  EXPECT_TRUE(within_business_hours(h, utc(2026, 12, 3, 5, 59)));  // Thursday morning, Wednesday's shift
  EXPECT_FALSE(within_business_hours(h, utc(2026, 12, 3, 6, 0)));
  EXPECT_FALSE(within_business_hours(h, utc(2026, 12, 2, 12, 0)));  // midday
  // Monday morning belongs to Sunday's shift: closed. Saturday morning to Friday's: open.
  EXPECT_FALSE(within_business_hours(h, utc(2026, 12, 7, 3, 0)));
  EXPECT_TRUE(within_business_hours(h, utc(2026, 12, 5, 3, 0)));
  EXPECT_FALSE(within_business_hours(h, utc(2026, 12, 5, 23, 0)));  // Saturday evening
  // A holiday's own evening is closed; the morning after it too.
  h.holidays = {"2026-12-02"};
  EXPECT_FALSE(within_business_hours(h, utc(2026, 12, 2, 23, 0)));
  EXPECT_FALSE(within_business_hours(h, utc(2026, 12, 3, 5, 0)));
  EXPECT_TRUE(within_business_hours(h, utc(2026, 12, 1, 23, 0)));
}

TEST(BusinessHours, AllDay) {
  BusinessHours h;
  h.open_minute = 0;
  h.close_minute = 24 * 60;
  EXPECT_TRUE(check_business_hours(h).has_value());
  EXPECT_TRUE(within_business_hours(h, utc(2026, 12, 2, 0, 0)));
  EXPECT_TRUE(within_business_hours(h, utc(2026, 12, 2, 23, 59)));
  EXPECT_FALSE(within_business_hours(h, utc(2026, 12, 5, 12, 0)));
}

TEST(BusinessHours, AnUnknownTimeZoneFailsTheCheckAndReadsAsUtc) {
  BusinessHours h;
  h.time_zone = "Europe/Atlantis";
  auto s = check_business_hours(h);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(s.error().message.find("Europe/Atlantis"), std::string::npos) << s.error().message;
  EXPECT_TRUE(within_business_hours(h, utc(2026, 12, 2, 9, 30)));
  EXPECT_FALSE(within_business_hours(h, utc(2026, 12, 2, 8, 30)));
  h.time_zone = "../../etc/passwd";
  EXPECT_FALSE(check_business_hours(h).has_value());
  h.time_zone = "";
  EXPECT_FALSE(check_business_hours(h).has_value());
}

TEST(BusinessHours, CheckRefusesBadDaysHoursAndDates) {
  BusinessHours h;
  h.days = {0};
  EXPECT_FALSE(check_business_hours(h).has_value());
  h.days = {};
  EXPECT_FALSE(check_business_hours(h).has_value());
  h = {};
  h.close_minute = 24 * 60 + 1;
  EXPECT_FALSE(check_business_hours(h).has_value());
  for (const char* bad :
       {"2026-02-30", "2026-13-01", "26-12-25", "2026-12-25x", "2026/12/25", "", "2026-1-05"}) {
    h = {};
    h.holidays = {bad};
    auto s = check_business_hours(h);
    ASSERT_FALSE(s.has_value()) << bad;
    EXPECT_NE(s.error().message.find("YYYY-MM-DD"), std::string::npos) << s.error().message;
  }
  h = {};
  h.holidays = {"2028-02-29"};
  EXPECT_TRUE(check_business_hours(h).has_value());
}

}  // namespace
}  // namespace mailcase::rules
