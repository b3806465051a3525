// An LMTP session asks, at each RCPT, whether the address is one of the store's routing
// addresses (Pipeline::accepts_recipient). The answer must not wait for a commit under way:
// the committing thread holds the pipeline for a whole group's commit and its sync, and a
// check that waited for it held every other session's RCPT for that long.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ingest/ingest_runtime_test.h"
#include "ingest/pipeline.h"

namespace mailcase::ingest {
namespace {

using namespace std::chrono_literals;

class RecipientCheckTest : public testing::IngestRuntimeTest {
 protected:
  void SetUp() override { open(); }
};

TEST_F(RecipientCheckTest, ARecipientIsAnsweredWhileAnotherSessionsCommitWaits) {
  auto prepared = rt_->ingest().prepare(
      "From: Alice <alice@example.org>\r\nTo: support@corp.example\r\nSubject: Printer\r\n"
      "Message-ID: <p1@example.org>\r\n\r\nHello.\r\n",
      Envelope{"lmtp", {"support@corp.example"}, std::nullopt}, 0);
  ASSERT_TRUE(prepared) << prepared.error().message;

  // Another process holds the store's write lock: the commit below waits for it (up to the
  // busy timeout), inside the pipeline.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open((data_ / "mailcase.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  std::vector<std::unique_ptr<PreparedMail>> batch;
  batch.push_back(std::move(*prepared));
  auto committing =
      std::async(std::launch::async, [&] { return rt_->ingest().deliver_prepared(std::move(batch)); });
  std::this_thread::sleep_for(200ms);  // the commit is under way, waiting for the lock
  ASSERT_EQ(committing.wait_for(0s), std::future_status::timeout) << "the commit did not wait for the lock";

  auto ours =
      std::async(std::launch::async, [&] { return rt_->ingest().accepts_recipient("Support@Corp.Example"); });
  auto theirs = std::async(std::launch::async,
                           [&] { return rt_->ingest().accepts_recipient("sales@elsewhere.example"); });
  const bool answered =
      ours.wait_for(3s) == std::future_status::ready && theirs.wait_for(3s) == std::future_status::ready;

  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  EXPECT_TRUE(answered) << "the recipient check waited for another session's commit";
  EXPECT_TRUE(ours.get());
  EXPECT_FALSE(theirs.get());
  auto outcomes = committing.get();
  ASSERT_EQ(outcomes.size(), 1u);
  ASSERT_TRUE(outcomes[0]) << outcomes[0].error().message;
  EXPECT_EQ(outcomes[0]->kind, OutcomeKind::kCreated);
}

TEST_F(RecipientCheckTest, AnAddressAddedOrRemovedCountsAtTheNextRecipient) {
  EXPECT_FALSE(rt_->ingest().accepts_recipient("billing@corp.example"));
  store::RoutingAddress billing;
  billing.email = "billing@corp.example";
  billing.queue = "Billing";
  ASSERT_TRUE(rt_->store().put_address(billing));
  EXPECT_TRUE(rt_->ingest().accepts_recipient("billing@corp.example"));
  ASSERT_TRUE(rt_->store().remove_address("billing@corp.example"));
  EXPECT_FALSE(rt_->ingest().accepts_recipient("billing@corp.example"));
  EXPECT_TRUE(rt_->ingest().accepts_recipient("support@corp.example"));
}

}  // namespace
}  // namespace mailcase::ingest
