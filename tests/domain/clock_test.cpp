#include "domain/clock.h"

#include <gtest/gtest.h>

#include "util/clock.h"

namespace mailcase::domain {
namespace {

TEST(ClockTest, FixedClockSaysWhatItWasSetTo) {
  FixedClock c(1'700'000'000);
  EXPECT_EQ(c.now(), 1'700'000'000);
  c.advance(3600);
  EXPECT_EQ(c.now(), 1'700'003'600);
  c.set(5);
  const Clock& as_clock = c;
  EXPECT_EQ(as_clock.now(), 5);
}

TEST(ClockTest, SystemClockIsTheWallClock) {
  const int64_t before = clock::unix_now();
  const int64_t t = system_clock().now();
  const int64_t after = clock::unix_now();
  EXPECT_LE(before, t);
  EXPECT_LE(t, after);
}

}  // namespace
}  // namespace mailcase::domain
