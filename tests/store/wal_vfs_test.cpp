// The WAL-gathering VFS (store/sqlite/wal_vfs.h) as a store uses it: a commit reaches
// the WAL in one write, every other connection sees it at once (whether the commit
// waited for the disk or not), and a transaction larger than the gathering bound or than
// SQLite's page cache (whose pages spill into the WAL before the commit and are read
// back) commits whole.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "store/sqlite/wal_vfs.h"
#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::store {
namespace {

class WalVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite(dir_.path() / "t.db");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  // Closes the store and opens its file again: what a commit left on disk (store_ is then
  // the file opened anew).
  void reopen() {
    store_.reset();
    auto again = open_sqlite(dir_.path() / "t.db");
    ASSERT_TRUE(again) << again.error().message;
    store_ = std::move(*again);
  }
  Case make_case(int i, size_t subject_bytes) {
    Case c;
    c.subject = std::string(subject_bytes, static_cast<char>('a' + i % 26)) + " " + std::to_string(i);
    return c;
  }
  mailcase::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

// A commit of a dozen pages or so is one write (SQLite alone: two a page); now and then
// the search index merges its segments in a commit, which then writes more pages: a
// write per 31 of them.
TEST_F(WalVfsTest, EachCommitReachesTheWalInOneWrite) {
  ASSERT_NE(sqlite::wal_gathering_vfs(), nullptr);
  const uint64_t first = sqlite::wal_writes_issued();
  for (int i = 0; i < 20; ++i) {
    const uint64_t before = sqlite::wal_writes_issued();
    auto work = store_->begin_work();
    ASSERT_TRUE(work) << work.error().message;
    auto made = store_->insert_case(make_case(i, 8000), "CS", 7);  // a dozen pages or so
    ASSERT_TRUE(made) << made.error().message;
    auto committed = work->commit();
    ASSERT_TRUE(committed) << committed.error().message;
    EXPECT_GE(sqlite::wal_writes_issued() - before, 1u) << "commit " << i;
    EXPECT_LE(sqlite::wal_writes_issued() - before, 3u) << "commit " << i;
  }
  EXPECT_LE(sqlite::wal_writes_issued() - first, 24u);
}

TEST_F(WalVfsTest, OtherConnectionsSeeEachCommitAtOnceWaitedForOrNot) {
  for (bool wait : {true, false}) {
    ASSERT_TRUE(store_->set_commits_wait(wait));
    for (int i = 0; i < 10; ++i) {
      Result<Case> made = fail(ErrorCode::kInternal, "none");
      {
        auto work = store_->begin_work();
        ASSERT_TRUE(work) << work.error().message;
        made = store_->insert_case(make_case(i, 3000), "CS", 7);
        ASSERT_TRUE(made);
        ASSERT_TRUE(work->commit());
      }
      auto reader = store_->open_unit(Access::kRead);
      ASSERT_TRUE(reader) << reader.error().message;
      auto seen = reader->cases().get_case(made->id);
      ASSERT_TRUE(seen) << seen.error().message;
      ASSERT_TRUE(*seen) << "case " << made->id << " not seen by another connection (wait " << wait << ")";
      EXPECT_EQ((*seen)->subject, made->subject);
    }
    // And the other way: a pooled unit's commit, read on the store's own connection.
    Result<Case> made = fail(ErrorCode::kInternal, "none");
    {
      auto unit = store_->open_unit(Access::kWrite);
      ASSERT_TRUE(unit) << unit.error().message;
      made = unit->cases().insert_case(make_case(99, 5000), "CS", 7);
      ASSERT_TRUE(made);
      ASSERT_TRUE(unit->commit());
    }
    auto seen = store_->get_case(made->id);
    ASSERT_TRUE(seen);
    ASSERT_TRUE(*seen);
    EXPECT_EQ((*seen)->subject, made->subject);
  }
  ASSERT_TRUE(store_->set_commits_wait(true));
}

// Commits that do not wait for the disk are made durable by sync_commits(), called from
// another thread while the next transactions are written (import syncs a batch while it
// writes the next): each call succeeds, and every commit is there when the file is
// opened again.
TEST_F(WalVfsTest, CommitsNotWaitedForAreSyncedFromAnotherThreadBesideTheWrites) {
  ASSERT_TRUE(store_->set_commits_wait(false));
  std::atomic<bool> done{false};
  std::atomic<int> syncs{0};
  std::string sync_error;
  // At least once, however late the thread starts: a sync that never ran proves nothing.
  std::thread syncer([&] {
    do {
      if (auto s = store_->sync_commits(); !s) {
        sync_error = s.error().message;
        return;
      }
      ++syncs;
    } while (!done.load());
  });
  constexpr int kCases = 60;
  for (int i = 0; i < kCases; ++i) {
    auto work = store_->begin_work();
    ASSERT_TRUE(work) << work.error().message;
    ASSERT_TRUE(store_->insert_case(make_case(i, 2000), "CS", 7));
    ASSERT_TRUE(work->commit());
  }
  done = true;
  syncer.join();
  EXPECT_EQ(sync_error, "");
  EXPECT_GT(syncs.load(), 0);
  ASSERT_TRUE(store_->sync_commits());
  ASSERT_TRUE(store_->set_commits_wait(true));
  ASSERT_NO_FATAL_FAILURE(reopen());
  auto all = store_->list_cases(kCases + 1);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), static_cast<size_t>(kCases));
  // A store opened anew syncs what an earlier one left in the WAL (or finds none).
  ASSERT_TRUE(store_->sync_commits());
}

TEST_F(WalVfsTest, ATransactionLargerThanTheGatherAndThePageCacheCommitsWhole) {
  // About 24 MB of subjects (and their search index): past kWalGatherBytes, and past
  // SQLite's default page cache, so pages spill to the WAL and are read back before
  // the commit.
  constexpr int kCases = 800;
  {
    auto work = store_->begin_work();
    ASSERT_TRUE(work) << work.error().message;
    for (int i = 0; i < kCases; ++i) ASSERT_TRUE(store_->insert_case(make_case(i, 30000), "CS", 7));
    ASSERT_TRUE(work->commit());
  }
  ASSERT_NO_FATAL_FAILURE(reopen());
  auto all = store_->list_cases(kCases + 1);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), static_cast<size_t>(kCases));
  for (const auto& s : *all) {
    const Case& c = s.c;
    auto full = store_->get_case(c.id);
    ASSERT_TRUE(full && *full);
    const std::string tail = " " + std::to_string(c.id - 1);
    EXPECT_EQ((*full)->subject.size(), 30000 + tail.size()) << "case " << c.id;
    EXPECT_TRUE((*full)->subject.ends_with(tail)) << "case " << c.id;
  }
}

}  // namespace
}  // namespace mailcase::store
