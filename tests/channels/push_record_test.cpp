// IMAP push figures (channels::record_push): what a pass woken by an IDLE notice
// records in its mailbox's state, and that the state keeps them in the store.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "channels/imap_source.h"
#include "channels/mailbox_agent.h"
#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::channels {
namespace {

using namespace std::chrono_literals;

PushNotice notice_at(std::chrono::steady_clock::time_point steady) {
  // 2026-11-23T10:00:00.250000Z
  return PushNotice{steady, std::chrono::system_clock::time_point(std::chrono::seconds(1795428000)) + 250ms};
}

TEST(PushRecord, RecordsTheNoticeAndItsDistanceToTheCommit) {
  store::MailboxState s;
  s.name = "support";
  const auto t0 = std::chrono::steady_clock::time_point(100s);
  record_push(s, notice_at(t0), t0 + 7500us, 1);
  EXPECT_EQ(s.push_count, 1);
  EXPECT_DOUBLE_EQ(s.push_last_ms, 7.5);
  EXPECT_EQ(s.push_last_notice_at, "2026-11-23T10:00:00.250000Z");
  record_push(s, notice_at(t0), t0 + 12ms, 3);
  EXPECT_EQ(s.push_count, 4);
  EXPECT_DOUBLE_EQ(s.push_last_ms, 12.0);
}

TEST(PushRecord, APassThatCommittedNothingChangesNothing) {
  store::MailboxState s;
  const auto t0 = std::chrono::steady_clock::time_point(100s);
  record_push(s, notice_at(t0), t0 + 5ms, 0);
  EXPECT_EQ(s.push_count, 0);
  EXPECT_LT(s.push_last_ms, 0);
  EXPECT_EQ(s.push_last_notice_at, "");
}

TEST(PushRecord, TheStoreKeepsThePushFigures) {
  mailcase::testing::TempDir dir;
  auto st = store::open_sqlite(dir.path() / "mailcase.db");
  ASSERT_TRUE(st) << st.error().message;
  AgentBook book(**st);
  store::MailboxState fresh = book.load("support");
  EXPECT_EQ(fresh.push_count, 0);
  EXPECT_LT(fresh.push_last_ms, 0);
  store::MailboxState s = fresh;
  const auto t0 = std::chrono::steady_clock::time_point(100s);
  record_push(s, notice_at(t0), t0 + 3250us, 2);
  book.save(s);
  store::MailboxState back = book.load("support");
  EXPECT_EQ(back.push_count, 2);
  EXPECT_DOUBLE_EQ(back.push_last_ms, 3.25);
  EXPECT_EQ(back.push_last_notice_at, "2026-11-23T10:00:00.250000Z");
}

}  // namespace
}  // namespace mailcase::channels
