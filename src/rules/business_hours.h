// Business hours (`[business_hours]` in mailcase.toml): whether an instant falls inside
// them, in their time zone. Pure apart from reading the system's time-zone database
// (/usr/share/zoneinfo) once per zone.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "util/result.h"

namespace mailcase::rules {

struct BusinessHours {
  std::vector<int> days = {1, 2, 3, 4, 5};  // ISO weekdays, 1 = Monday … 7 = Sunday
  int open_minute = 9 * 60;                 // minutes after local midnight, inclusive
  int close_minute = 17 * 60;               // exclusive; may be ≤ open_minute: hours past midnight
  std::string time_zone = "UTC";            // IANA name
  std::vector<std::string> holidays;        // local dates "YYYY-MM-DD": closed all day
};

// kInvalidInput for an unknown time zone, a bad weekday or date.
[[nodiscard]] Status check_business_hours(const BusinessHours& h);

// Whether `at` is inside the business hours. An unknown time zone reads as UTC
// (check_business_hours refuses it when the configuration is loaded).
bool within_business_hours(const BusinessHours& h, std::chrono::system_clock::time_point at);

}  // namespace mailcase::rules
