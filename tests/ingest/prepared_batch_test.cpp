// A batch prepared by its channel (LMTP, a delivery handed to serve) is recorded and
// processed in one commit: each mail answered as a mail alone would be, duplicates
// within the batch and of earlier mails included.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "ingest/ingest_runtime_test.h"
#include "ingest/pipeline.h"

namespace mailcase::ingest {
namespace {

class PreparedBatchTest : public testing::IngestRuntimeTest {
 protected:
  void SetUp() override { open(); }

  static std::string mail(const std::string& id, const std::string& subject) {
    return "From: Alice <alice@example.org>\r\nTo: support@corp.example\r\nSubject: " + subject +
           "\r\nMessage-ID: <" + id + "@example.org>\r\n\r\nHello.\r\n";
  }

  std::vector<Result<Outcome>> deliver_together(const std::vector<std::string>& raws) {
    std::vector<std::unique_ptr<PreparedMail>> prepared;
    for (const auto& raw : raws) {
      auto p = rt_->ingest().prepare(raw, Envelope{"lmtp", {"support@corp.example"}, std::nullopt}, 0);
      EXPECT_TRUE(p) << p.error().message;
      if (p) prepared.push_back(std::move(*p));
    }
    return rt_->ingest().deliver_prepared(std::move(prepared));
  }

  // The kinds of the outcomes, in order; a mail that failed fails the test.
  static std::vector<OutcomeKind> kinds(const std::vector<Result<Outcome>>& outcomes) {
    std::vector<OutcomeKind> out;
    for (const auto& o : outcomes) {
      EXPECT_TRUE(o) << o.error().message;
      out.push_back(o ? o->kind : OutcomeKind::kFailed);
    }
    return out;
  }
};

TEST_F(PreparedBatchTest, EachMailOfTheBatchMakesItsCase) {
  auto r = deliver_together({mail("a1", "Printer"), mail("a2", "Scanner"), mail("a3", "Badge")});
  ASSERT_EQ(r.size(), 3u);
  std::vector<std::string> numbers;
  for (auto& o : r) {
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_EQ(o->kind, OutcomeKind::kCreated);
    ASSERT_TRUE(o->case_number);
    numbers.push_back(*o->case_number);
  }
  EXPECT_NE(numbers[0], numbers[1]);
  EXPECT_NE(numbers[1], numbers[2]);
  EXPECT_NE(r[0]->message_id, r[1]->message_id);
}

TEST_F(PreparedBatchTest, TheSameBytesTwiceInOneBatchAreOneMail) {
  const std::string m = mail("b1", "Printer");
  auto r = deliver_together({m, m});
  ASSERT_EQ(kinds(r), (std::vector{OutcomeKind::kCreated, OutcomeKind::kDuplicate}));
  EXPECT_EQ(r[1]->message_id, r[0]->message_id);
  auto cases = rt_->store().list_cases(100);
  ASSERT_TRUE(cases);
  EXPECT_EQ(cases->size(), 1u);
}

TEST_F(PreparedBatchTest, AMailRecordedBeforeIsADuplicateNamingItsCase) {
  auto first = deliver_together({mail("c1", "Printer")});
  ASSERT_TRUE(first[0]) << first[0].error().message;
  auto again = deliver_together({mail("c2", "Scanner"), mail("c1", "Printer")});
  ASSERT_EQ(kinds(again), (std::vector{OutcomeKind::kCreated, OutcomeKind::kDuplicate}));
  EXPECT_EQ(again[1]->message_id, first[0]->message_id);
  EXPECT_EQ(again[1]->case_number, first[0]->case_number);
}

}  // namespace
}  // namespace mailcase::ingest
