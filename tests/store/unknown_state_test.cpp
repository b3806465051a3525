// A state the domain does not know, read back from the store, is an error naming the
// row: never read as some default (an unknown case status used to count as open).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::store {
namespace {

class UnknownStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite(dir_.path() / "t.db");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    Case c;
    c.subject = "Printer";
    auto k = store_->insert_case(c, "CS", 7);
    ASSERT_TRUE(k) << k.error().message;
    case_ = *k;
    Comment cm;
    cm.case_id = case_.id;
    cm.body = "It does not print.";
    ASSERT_TRUE(store_->add_comment(cm));
    OutboxMail m;
    m.case_id = case_.id;
    m.kind = "confirmation";
    m.to = "alice@example.org";
    m.message_id = "m1@corp.example";
    m.raw = "Subject: x\r\n\r\ny\r\n";
    ASSERT_TRUE(store_->add_outbox(m));
  }

  // What another program (or a hand edit) might leave in the file.
  void edit(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() / "t.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }

  mailcase::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  Case case_;
};

TEST_F(UnknownStateTest, KnownStatesReadBackAsWritten) {
  auto c = store_->get_case(case_.id);
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->status, CaseStatus::kNew);
  auto comments = store_->comments_of(case_.id);
  ASSERT_TRUE(comments && comments->size() == 1);
  EXPECT_EQ(comments->front().direction, Direction::kInbound);
  EXPECT_EQ(comments->front().visibility, Visibility::kPublic);
  auto out = store_->list_outbox(case_.id, 10);
  ASSERT_TRUE(out && out->size() == 1);
  EXPECT_EQ(out->front().state, OutboxState::kQueued);
}

TEST_F(UnknownStateTest, UnknownCaseStatusIsAnErrorNamingTheRow) {
  edit("UPDATE cases SET status = 'pending'");
  auto by_id = store_->get_case(case_.id);
  ASSERT_FALSE(by_id);
  EXPECT_EQ(by_id.error().code, ErrorCode::kInternal);
  EXPECT_EQ(by_id.error().message, "unknown case status 'pending' in row " + std::to_string(case_.id));
  auto by_number = store_->find_case_by_number(case_.number);
  ASSERT_FALSE(by_number);
  EXPECT_EQ(by_number.error().code, ErrorCode::kInternal);
  EXPECT_FALSE(store_->list_cases(10));
}

TEST_F(UnknownStateTest, UnknownCommentDirectionOrVisibilityIsAnError) {
  edit("UPDATE comments SET direction = 'sideways'");
  auto c = store_->comments_of(case_.id);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kInternal);
  EXPECT_NE(c.error().message.find("unknown comment direction 'sideways' in row"), std::string::npos);
  edit("UPDATE comments SET direction = 'note', visibility = 'secret'");
  auto v = store_->comments_of(case_.id);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("unknown comment visibility 'secret'"), std::string::npos);
}

TEST_F(UnknownStateTest, UnknownOutboxStateIsAnErrorAndNothingIsSent) {
  edit("UPDATE outbox SET state = 'sending'");
  auto due = store_->claim_due("test:1:1", 4'000'000'000, 10, 600);
  ASSERT_TRUE(due);  // only queued rows are due: the unknown one is not picked up
  EXPECT_TRUE(due->empty());
  auto all = store_->list_outbox(std::nullopt, 10);
  ASSERT_FALSE(all);
  EXPECT_EQ(all.error().code, ErrorCode::kInternal);
  EXPECT_NE(all.error().message.find("unknown outbox state 'sending' in row"), std::string::npos);
}

TEST_F(UnknownStateTest, UnknownRawMessageStateIsAnErrorNotAFreshMail) {
  RawMessage m;
  m.sha256 = std::string(64, 'a');
  m.size = 10;
  m.source = "lmtp";
  auto id = store_->insert_raw(m);
  ASSERT_TRUE(id) << id.error().message;
  edit("UPDATE raw_messages SET state = 'lost'");
  auto r = store_->get_raw(*id);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
  EXPECT_EQ(r.error().message, "unknown raw message state 'lost' in row " + std::to_string(*id));
}

// Through the CLI: the case is not shown as open; the user gets the reason.
TEST(UnknownStateCliTest, CaseShowReportsAnUnknownStatusInsteadOfShowingTheCaseAsOpen) {
  mailcase::testing::TempDir dir;
  const auto data = dir.path() / "data";
  auto mc = [&](std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data.string()});
    return mailcase::testing::run_mailcase(args, in);
  };
  ASSERT_EQ(mailcase::testing::run_mailcase({"--data", data.string(), "init"}).exit_code, 0);
  ASSERT_EQ(mc({"address", "add", "support@corp.example"}).exit_code, 0);
  ASSERT_EQ(mc({"deliver"},
               "From: Alice <alice@example.org>\r\nTo: support@corp.example\r\nSubject: "
               "Printer\r\nMessage-ID: <p1@example.org>\r\n\r\nIt does not print.\r\n")
                .exit_code,
            0);
  ASSERT_EQ(mc({"case", "show", "CS0000001"}).exit_code, 0);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((data / "mailcase.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE cases SET status = 'pending'", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto r = mc({"case", "show", "CS0000001"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("unknown case status 'pending'"), std::string::npos) << r.err << r.out;
  EXPECT_EQ(r.out.find("open"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace mailcase::store
