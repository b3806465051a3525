// When a mailbox agent saves its status (channels::should_save_status): each save is a
// durable commit, so an unchanged status is saved again only once a minute.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "channels/mailbox_agent.h"

namespace mailcase::channels {
namespace {

using namespace std::chrono_literals;

TEST(StatusSave, TheFirstStatusIsAlwaysSaved) {
  EXPECT_TRUE(should_save_status("", "connecting", std::nullopt));
  // Even when it equals the status the agent started with (read from the store).
  EXPECT_TRUE(should_save_status("connecting", "connecting", std::nullopt));
}

TEST(StatusSave, AChangedStatusIsSavedAtOnce) {
  EXPECT_TRUE(should_save_status("connecting", "connected (IDLE)", 0s));
  EXPECT_TRUE(should_save_status("connected (IDLE)", "polling", 1ms));
}

TEST(StatusSave, TheSameStatusIsSavedAgainOnlyAfterAMinute) {
  EXPECT_FALSE(should_save_status("connected (IDLE)", "connected (IDLE)", 0s));
  EXPECT_FALSE(should_save_status("connected (IDLE)", "connected (IDLE)", 59s));
  EXPECT_TRUE(should_save_status("connected (IDLE)", "connected (IDLE)", 60s));
  EXPECT_TRUE(should_save_status("connected (IDLE)", "connected (IDLE)", 25min));
}

}  // namespace
}  // namespace mailcase::channels
