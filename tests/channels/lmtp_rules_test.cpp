// lmtp::give_up: when an LMTP session stops waiting for its client (pure rules).
#include <gtest/gtest.h>

#include "channels/lmtp_server.h"

namespace mailcase::channels::lmtp {
namespace {

using std::chrono::seconds;
const Clock::time_point t0 = Clock::time_point() + std::chrono::hours(1000);

TEST(LmtpGiveUp, WithinEveryLimitKeepsWaiting) {
  LineWait w;
  w.session_deadline = t0 + seconds(60);
  w.idle_until = t0 + seconds(10);
  EXPECT_EQ(give_up(w, t0), std::nullopt);
  w.in_data = true;
  w.data_deadline = t0 + seconds(5);
  EXPECT_EQ(give_up(w, t0 + seconds(4)), std::nullopt);
}

TEST(LmtpGiveUp, EachDeadlineEndsTheSession) {
  LineWait w;
  w.session_deadline = t0 + seconds(60);
  EXPECT_EQ(give_up(w, t0 + seconds(61)), LineEnd::kTimedOut);
  w.session_deadline = Clock::time_point::max();
  w.idle_until = t0 + seconds(10);
  EXPECT_EQ(give_up(w, t0 + seconds(11)), LineEnd::kTimedOut);
  w.idle_until = Clock::time_point::max();
  w.in_data = true;
  w.data_deadline = t0 + seconds(5);
  EXPECT_EQ(give_up(w, t0 + seconds(6)), LineEnd::kTimedOut);
}

TEST(LmtpGiveUp, AStopEndsASessionBetweenCommandsAtOnce) {
  LineWait w;
  w.stop_seen = t0;
  EXPECT_EQ(give_up(w, t0), LineEnd::kStopped);
}

TEST(LmtpGiveUp, AStopLetsADataFinishForAFewSecondsOnly) {
  LineWait w;
  w.in_data = true;
  w.stop_seen = t0;
  EXPECT_EQ(give_up(w, t0 + seconds(1)), std::nullopt);
  EXPECT_EQ(give_up(w, t0 + kStopGrace + seconds(1)), LineEnd::kStopped);
  // Even a DATA with hours left on its deadlines.
  w.data_deadline = t0 + std::chrono::hours(2);
  w.session_deadline = t0 + std::chrono::hours(3);
  EXPECT_EQ(give_up(w, t0 + seconds(10)), LineEnd::kStopped);
}

}  // namespace
}  // namespace mailcase::channels::lmtp
