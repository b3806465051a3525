#include "rules/business_hours.h"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <cstdio>
#include <exception>

namespace mailcase::rules {
namespace {

// The zone, or nullptr when the database does not know it (or cannot be read).
const date::time_zone* find_zone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

std::string iso_date(date::local_days day) {
  const date::year_month_day ymd{day};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

// A working day: one of the days, and no holiday.
bool open_on(const BusinessHours& h, date::local_days day) {
  const int iso = static_cast<int>(date::weekday{day}.iso_encoding());
  if (std::find(h.days.begin(), h.days.end(), iso) == h.days.end()) return false;
  return std::find(h.holidays.begin(), h.holidays.end(), iso_date(day)) == h.holidays.end();
}

}  // namespace

Status check_business_hours(const BusinessHours& h) {
  if (h.days.empty())
    return fail(ErrorCode::kInvalidInput, "business hours: days must name at least one day");
  for (int d : h.days)
    if (d < 1 || d > 7)
      return fail(ErrorCode::kInvalidInput, "business hours: a weekday must be 1 (Monday) to 7");
  if (h.open_minute < 0 || h.open_minute >= 24 * 60 || h.close_minute < 0 || h.close_minute > 24 * 60)
    return fail(ErrorCode::kInvalidInput, "business hours: hours must be within 00:00 and 24:00");
  // "UTC" (the default) is right without the zone database: reading it cost every
  // process that loads the configuration (a `deliver` per mail) ~1.8 million instructions.
  if (h.time_zone != "UTC" && !find_zone(h.time_zone))
    return fail(ErrorCode::kInvalidInput, "business hours: unknown time zone: " + h.time_zone);
  for (const auto& day : h.holidays) {
    unsigned y = 0, m = 0, d = 0;
    char tail = 0;
    const bool shaped = day.size() == 10 && day[4] == '-' && day[7] == '-' &&
                        std::sscanf(day.c_str(), "%4u-%2u-%2u%c", &y, &m, &d, &tail) == 3;
    const date::year_month_day ymd{date::year{static_cast<int>(y)}, date::month{m}, date::day{d}};
    if (!shaped || !ymd.ok() || iso_date(date::local_days{ymd}) != day)
      return fail(ErrorCode::kInvalidInput, "business hours: not a date (YYYY-MM-DD): " + day);
  }
  return {};
}

bool within_business_hours(const BusinessHours& h, std::chrono::system_clock::time_point at) {
  using namespace std::chrono;
  const auto utc = floor<seconds>(at);
  date::local_time<seconds> local{utc.time_since_epoch()};  // UTC, when the zone is unknown
  if (h.time_zone != "UTC")
    if (const auto* zone = find_zone(h.time_zone)) local = zone->to_local(utc);
  const auto day = floor<date::days>(local);
  const int minute = static_cast<int>(floor<minutes>(local - day).count());
  if (h.close_minute > h.open_minute)
    return open_on(h, day) && minute >= h.open_minute && minute < h.close_minute;
  // Hours past midnight ("22:00-06:00"): the hours after midnight belong to the working
  // day that began the evening before, so a holiday or a closed day ends at its own
  // close, the morning after. Equal open and close: open round the clock on working days.
  if (minute >= h.open_minute && open_on(h, day)) return true;
  return minute < h.close_minute && open_on(h, day - date::days{1});
}

}  // namespace mailcase::rules
