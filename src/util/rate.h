// Rates for people to read (the import's progress and summary).
#pragma once

#include <cstddef>
#include <string>

namespace mailcase::text {

// `count` things in `seconds` as a rate for people to read: "120/s", or with one decimal
// below 10 a second ("0.4/s", so that a slow run does not read "0/s"); "" for less than a
// second, whose rate would be noise (or a division by about zero).
std::string rate_per_second(size_t count, double seconds);

}  // namespace mailcase::text
