// Wall-clock time as the store and the links use it.
#pragma once

#include <cstdint>
#include <string>

namespace mailcase::clock {

// Seconds since the Unix epoch.
int64_t unix_now();
// "2026-11-25T06:52:19Z" for Unix seconds t (UTC).
std::string iso8601(int64_t t);

}  // namespace mailcase::clock
