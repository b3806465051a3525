// The WAL-gathering rule (store/sqlite/wal_gather.h), write by write, without a file.
#include "store/sqlite/wal_gather.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace mailcase::store::sqlite {
namespace {

constexpr size_t kPage = 4096;
constexpr int64_t kFirstFrame = 32;  // after the WAL header
constexpr int64_t kFrameBytes = WalGather::kFrameHeaderBytes + kPage;

// A frame header: bytes 4..7 hold the database's size after a commit, 0 otherwise.
std::string header(bool commit) {
  std::string h(WalGather::kFrameHeaderBytes, '\x11');
  for (int i = 4; i < 8; ++i) h[i] = '\0';
  if (commit) h[7] = '\x05';
  return h;
}
std::string page(char fill) {
  return std::string(kPage, fill);
}

// What reached the "file": each run's offset and bytes, in order.
struct Sent {
  std::vector<std::pair<int64_t, std::string>> runs;
  int fail_with = 0;
  auto out() {
    return [this](int64_t at, std::string_view bytes) {
      runs.emplace_back(at, std::string(bytes));
      return fail_with;
    };
  }
};

TEST(WalGather, ATransactionsFramesGoOutTogetherOnceItsCommitFramesPageIsIn) {
  WalGather g;
  Sent sent;
  int64_t at = kFirstFrame;
  for (int i = 0; i < 3; ++i, at += kFrameBytes) {
    EXPECT_EQ(g.write(at, header(false), sent.out()), 0);
    EXPECT_EQ(g.write(at + 24, page('a'), sent.out()), 0);
  }
  EXPECT_EQ(g.write(at, header(true), sent.out()), 0);
  EXPECT_TRUE(sent.runs.empty()) << "nothing goes out before the commit frame's page";
  EXPECT_EQ(g.write(at + 24, page('c'), sent.out()), 0);
  ASSERT_EQ(sent.runs.size(), 1u);
  EXPECT_EQ(sent.runs[0].first, kFirstFrame);
  EXPECT_EQ(sent.runs[0].second.size(), static_cast<size_t>(4 * kFrameBytes));
  EXPECT_EQ(sent.runs[0].second.back(), 'c');
  EXPECT_EQ(g.gathered(), 0u);
}

TEST(WalGather, AWriteThatDoesNotFollowOnSendsTheGatheredBytesFirst) {
  WalGather g;
  Sent sent;
  ASSERT_EQ(g.write(kFirstFrame, header(false), sent.out()), 0);
  ASSERT_EQ(g.write(kFirstFrame + 24, page('a'), sent.out()), 0);
  // SQLite rewriting a page of this transaction in place, earlier in the file.
  ASSERT_EQ(g.write(kFirstFrame + 24, page('b'), sent.out()), 0);
  ASSERT_EQ(sent.runs.size(), 1u);
  EXPECT_EQ(sent.runs[0].first, kFirstFrame);
  EXPECT_EQ(sent.runs[0].second.back(), 'a');
  EXPECT_EQ(g.gathered(), kPage);
  ASSERT_EQ(g.write_out(sent.out()), 0);  // a read, sync or close sends the rest
  ASSERT_EQ(sent.runs.size(), 2u);
  EXPECT_EQ(sent.runs[1].first, kFirstFrame + 24);
  EXPECT_EQ(sent.runs[1].second, page('b'));
}

TEST(WalGather, WritesAfterACommitFrameGoOutAtOnceUntilTheNextTransaction) {
  WalGather g;
  Sent sent;
  int64_t at = kFirstFrame;
  ASSERT_EQ(g.write(at, header(true), sent.out()), 0);
  ASSERT_EQ(g.write(at + 24, page('c'), sent.out()), 0);
  at += kFrameBytes;
  // Padding frames repeat the commit frame: each goes out with its page.
  ASSERT_EQ(g.write(at, header(true), sent.out()), 0);
  ASSERT_EQ(g.write(at + 24, page('p'), sent.out()), 0);
  EXPECT_EQ(sent.runs.size(), 2u);
  at += kFrameBytes;
  // The next transaction's first frame is gathered again.
  ASSERT_EQ(g.write(at, header(false), sent.out()), 0);
  ASSERT_EQ(g.write(at + 24, page('n'), sent.out()), 0);
  EXPECT_EQ(sent.runs.size(), 2u);
  EXPECT_EQ(g.gathered(), static_cast<size_t>(kFrameBytes));
}

TEST(WalGather, ALargeTransactionGoesOutPastTheBoundInRunsTheDefaultVfsTakes) {
  WalGather g;
  Sent sent;
  int64_t at = kFirstFrame;
  size_t frames = 0;
  while (sent.runs.empty()) {
    ASSERT_EQ(g.write(at, header(false), sent.out()), 0);
    ASSERT_EQ(g.write(at + 24, page('a'), sent.out()), 0);
    at += kFrameBytes;
    ++frames;
  }
  EXPECT_GE(static_cast<int64_t>(frames * kFrameBytes), kWalGatherBytes);
  int64_t next = kFirstFrame;
  size_t total = 0;
  for (const auto& [offset, bytes] : sent.runs) {
    EXPECT_EQ(offset, next) << "runs go out in order, each where the last ended";
    EXPECT_LE(bytes.size(), WalGather::kMaxWriteBytes);
    next += static_cast<int64_t>(bytes.size());
    total += bytes.size();
  }
  EXPECT_EQ(total, frames * kFrameBytes);
  EXPECT_EQ(g.gathered(), 0u);
}

TEST(WalGather, AFailedWriteIsReportedOnceAndWhatWasGatheredIsDropped) {
  WalGather g;
  Sent sent;
  sent.fail_with = 13;  // SQLITE_FULL, say
  ASSERT_EQ(g.write(kFirstFrame, header(true), sent.out()), 0);
  EXPECT_EQ(g.write(kFirstFrame + 24, page('c'), sent.out()), 13);
  EXPECT_EQ(sent.runs.size(), 1u);
  EXPECT_EQ(g.gathered(), 0u);
  EXPECT_EQ(g.write_out(sent.out()), 0) << "nothing is written twice";
  EXPECT_EQ(sent.runs.size(), 1u);
}

}  // namespace
}  // namespace mailcase::store::sqlite
