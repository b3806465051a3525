// The import's progress rate (util/rate.h).
#include "util/rate.h"

#include <gtest/gtest.h>

namespace mailcase {
namespace {

// Whole numbers from 10 a second, one decimal below (a slow run is not "0/s"), none for
// under a second of time.
TEST(Rate, ReadsWellForSlowFastAndShortRuns) {
  EXPECT_EQ(text::rate_per_second(1200, 2.0), "600/s");
  EXPECT_EQ(text::rate_per_second(10, 1.0), "10/s");
  EXPECT_EQ(text::rate_per_second(1, 2.5), "0.4/s");
  EXPECT_EQ(text::rate_per_second(19, 2.0), "9.5/s");
  EXPECT_EQ(text::rate_per_second(0, 3.0), "0.0/s");
  EXPECT_EQ(text::rate_per_second(500, 0.2), "");
  EXPECT_EQ(text::rate_per_second(0, 0.0), "");
}

}  // namespace
}  // namespace mailcase
