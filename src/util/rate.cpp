#include "util/rate.h"

#include <cstdio>

namespace mailcase::text {

std::string rate_per_second(size_t count, double seconds) {
  if (!(seconds >= 1.0)) return "";
  const double rate = static_cast<double>(count) / seconds;
  char buf[64];
  std::snprintf(buf, sizeof buf, rate < 10.0 ? "%.1f/s" : "%.0f/s", rate);
  return buf;
}

}  // namespace mailcase::text
