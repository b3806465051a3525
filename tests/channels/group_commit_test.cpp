// GroupCommit (channels/group_commit.h): which mails share a commit. The sink here only
// records each commit's size and takes a fixed time, as a commit's syncs do; the lingers
// are long beside the senders' own delays, so that a loaded machine keeps the outcome.
#include "channels/group_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mailcase::channels {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class RecordingSink final : public ingest::MailSink {
 public:
  explicit RecordingSink(std::chrono::milliseconds commit_time) : commit_time_(commit_time) {}

  Result<ingest::Outcome> deliver(std::string_view, const ingest::Envelope&) override { return unused(); }
  Result<ingest::Outcome> deliver_stream(std::istream&, const ingest::Envelope&) override { return unused(); }
  std::vector<Result<ingest::Outcome>> deliver_batch(const std::vector<ingest::RawMail>&) override { return {}; }
  bool accepts_recipient(std::string_view) override { return true; }
  Result<std::unique_ptr<ingest::PreparedMail>> prepare(std::string_view, const ingest::Envelope&,
                                                        uint64_t) override {
    return std::make_unique<ingest::PreparedMail>();
  }
  std::vector<Result<ingest::Outcome>> deliver_prepared(
      std::vector<std::unique_ptr<ingest::PreparedMail>> mails) override {
    std::this_thread::sleep_for(commit_time_);
    {
      std::lock_guard lock(mu_);
      sizes_.push_back(mails.size());
    }
    std::vector<Result<ingest::Outcome>> out;
    for (size_t i = 0; i < mails.size(); ++i) {
      ingest::Outcome o;
      o.kind = ingest::OutcomeKind::kCreated;
      out.emplace_back(o);
    }
    return out;
  }

  std::vector<size_t> sizes() {
    std::lock_guard lock(mu_);
    return sizes_;
  }

 private:
  static Result<ingest::Outcome> unused() { return fail(ErrorCode::kInternal, "not used here"); }
  const std::chrono::milliseconds commit_time_;
  std::mutex mu_;
  std::vector<size_t> sizes_;
};

// One mail from a connection as an LMTP session sends it: under way for `sending`, then
// handed over and waited for.
Result<ingest::Outcome> send_one(GroupCommit& commit, ingest::MailSink& sink, GroupCommit::Sender* sender,
                                 std::chrono::milliseconds sending) {
  if (sender) sender->mail_under_way(true);
  std::this_thread::sleep_for(sending);
  commit.preparing(sender);
  auto prepared = sink.prepare("", {}, 0);
  return commit.deliver(std::move(*prepared), sender);
}

// Four connections, each sending its next mail as soon as its last is answered: the
// connections answered together share the next commit too, instead of the first one
// back taking it alone.
TEST(GroupCommitTest, ConnectionsAnsweredTogetherShareTheirNextCommit) {
  for (bool senders : {true, false}) {
    RecordingSink sink(20ms);
    std::atomic<int> failed{0};
    {
      GroupCommit commit(sink, 256, 400ms);
      std::vector<std::thread> conns;
      std::latch connected(4);
      for (int c = 0; c < 4; ++c) {
        conns.emplace_back([&, c] {
          GroupCommit::Sender sender(commit);
          connected.arrive_and_wait();  // four connections open, then they send
          for (int i = 0; i < 6; ++i) {
            // The connections come back one after the other, as clients do.
            auto r = send_one(commit, sink, senders ? &sender : nullptr, std::chrono::milliseconds(5 + 10 * c));
            if (!r) ++failed;
          }
        });
      }
      for (auto& t : conns) t.join();
    }
    EXPECT_EQ(failed.load(), 0);
    const auto sizes = sink.sizes();
    size_t total = 0;
    for (size_t n : sizes) total += n;
    EXPECT_EQ(total, 24u);
    if (senders) {
      // All four come back within the linger each time: six commits of four.
      EXPECT_LE(sizes.size(), 8u) << "commits of " << ::testing::PrintToString(sizes);
    } else {
      // Without Senders the committer takes whatever has come: mostly commits of one (16).
      EXPECT_GE(sizes.size(), 12u) << "commits of " << ::testing::PrintToString(sizes);
    }
  }
}

// A connection answered and then left idle (a client's cached connection) holds back the
// next commit by the linger at most, and none after it.
TEST(GroupCommitTest, AnIdleConnectionHoldsBackOneCommitAtMost) {
  RecordingSink sink(1ms);
  GroupCommit commit(sink, 256, 300ms);
  GroupCommit::Sender idle(commit);
  ASSERT_TRUE(send_one(commit, sink, &idle, 0ms));  // answered, then sends nothing more
  GroupCommit::Sender busy(commit);
  const auto start = Clock::now();
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(send_one(commit, sink, &busy, 0ms));
  const auto took = Clock::now() - start;
  // One linger (300 ms) and six short commits; six lingers would be 1.8 s.
  EXPECT_LT(took, 1200ms);
}

// A mail that takes long to arrive (a slow client in DATA) holds back the others' commits
// by the linger at most: each is committed without it.
TEST(GroupCommitTest, ASlowSenderDelaysTheOthersByTheLingerAtMost) {
  RecordingSink sink(1ms);
  GroupCommit commit(sink, 256, 100ms);
  GroupCommit::Sender slow(commit);
  slow.mail_under_way(true);  // and it stays so
  GroupCommit::Sender quick(commit);
  const auto start = Clock::now();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(send_one(commit, sink, &quick, 0ms));
  EXPECT_LT(Clock::now() - start, 2s);  // about 4 lingers: the slow mail is not waited for
  EXPECT_EQ(sink.sizes().size(), 4u);
  slow.mail_under_way(false);
}

}  // namespace
}  // namespace mailcase::channels
