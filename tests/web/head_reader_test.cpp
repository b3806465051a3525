// The connection reader's pure choice: which held connection is closed first when too
// many are held.
#include "web/head_reader.h"

#include <gtest/gtest.h>

#include <vector>

namespace mailcase::web {
namespace {

TEST(FirstToClose, ALingeringConnectionGoesFirstThenTheOneWaitingLongest) {
  const auto t0 = SteadyClock::now();
  using std::chrono::seconds;
  EXPECT_EQ(first_to_close({{false, t0 + seconds(3)}, {false, t0 + seconds(1)}, {false, t0 + seconds(2)}}),
            1u);
  // Its answer written, a lingering one loses least, however recent.
  EXPECT_EQ(first_to_close({{false, t0}, {true, t0 + seconds(9)}, {true, t0 + seconds(5)}}), 2u);
  EXPECT_EQ(first_to_close({{false, t0}}), 0u);
}

}  // namespace
}  // namespace mailcase::web
