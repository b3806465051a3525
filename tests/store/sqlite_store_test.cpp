#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::store {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite(dir_.path() / "t.db");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  // Waits (up to a minute: a loaded machine with sanitizers may take its time over the
  // checkpoints' syncs) until at least `copied` cases are in the database file itself,
  // then closes the store, opens the file again and expects all `cases` there.
  void expect_in_database_file_then_reopened(int64_t copied, int cases);
  // Adds an account named `name` in a pooled write unit of its own, and commits it.
  void add_account_in_write_unit(const std::string& name) {
    auto w = store_->open_unit(Access::kWrite);
    ASSERT_TRUE(w) << w.error().message;
    Account a;
    a.name = name;
    ASSERT_TRUE(w->accounts().add_account(a)) << "a write unit could not write " << name;
    ASSERT_TRUE(w->commit());
  }
  mailcase::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(SqliteStoreTest, MigratesOnceAndReopens) {
  store_.reset();
  auto again = open_sqlite(dir_.path() / "t.db");
  ASSERT_TRUE(again) << again.error().message;
}

TEST_F(SqliteStoreTest, ContactLookupIsCaseInsensitiveOnTheFullAddress) {
  auto work = store_->begin_work();
  ASSERT_TRUE(work) << work.error().message;
  Account a;
  a.name = "Acme";
  a.emails = {"IT@acme.example"};
  auto aid = store_->add_account(a);
  ASSERT_TRUE(aid);
  Contact c;
  c.name = "Ann";
  c.account_id = *aid;
  c.emails = {"Ann@Acme.example", "ann.private@mail.example"};
  ASSERT_TRUE(store_->add_contact(c));
  ASSERT_TRUE(work->commit());

  auto found = store_->find_contact_by_email("ANN@acme.EXAMPLE");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->name, "Ann");
  EXPECT_EQ((*found)->emails.size(), 2u);
  auto by_domain = store_->find_contact_by_email("bob@acme.example");
  ASSERT_TRUE(by_domain);
  EXPECT_FALSE(*by_domain);
  auto acct = store_->find_account_by_email("it@ACME.example");
  ASSERT_TRUE(acct && *acct);
  EXPECT_EQ((*acct)->name, "Acme");
}

TEST_F(SqliteStoreTest, AddressBelongsToOneContactOnly) {
  auto work = store_->begin_work();
  ASSERT_TRUE(work) << work.error().message;
  Contact c;
  c.name = "Ann";
  c.emails = {"ann@x.example"};
  ASSERT_TRUE(store_->add_contact(c));
  c.name = "Other";
  c.emails = {"ANN@x.example"};
  auto dup = store_->add_contact(c);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
  work->rollback();
}

TEST_F(SqliteStoreTest, CaseNumbersFollowIds) {
  auto work = store_->begin_work();
  ASSERT_TRUE(work) << work.error().message;
  Case c;
  c.subject = "s";
  c.queue = "q";
  auto a = store_->insert_case(c, "CS", 7);
  auto b = store_->insert_case(c, "CS", 7);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(work->commit());
  EXPECT_EQ(a->number, "CS0000001");
  EXPECT_EQ(b->number, "CS0000002");
  auto found = store_->find_case_by_number("CS0000002");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->id, b->id);
}

TEST_F(SqliteStoreTest, RollbackLeavesNothing) {
  auto work = store_->begin_work();
  ASSERT_TRUE(work) << work.error().message;
  Case c;
  c.subject = "s";
  ASSERT_TRUE(store_->insert_case(c, "CS", 7));
  work->rollback();
  auto all = store_->list_cases(10);
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->empty());
}

TEST_F(SqliteStoreTest, DedupeKeyIsUnique) {
  auto work = store_->begin_work();
  ASSERT_TRUE(work) << work.error().message;
  RawMessage m;
  m.sha256 = "aa";
  m.source = "test";
  auto id1 = store_->insert_raw(m);
  m.sha256 = "bb";
  auto id2 = store_->insert_raw(m);
  ASSERT_TRUE(id1 && id2);
  m.id = *id1;
  m.sha256 = "aa";
  m.dedupe_key = "mid:x@y";
  m.state = RawState::kProcessed;
  ASSERT_TRUE(store_->update_raw(m));
  m.id = *id2;
  auto clash = store_->update_raw(m);
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, ErrorCode::kConflict);
  work->rollback();
}

TEST_F(SqliteStoreTest, MessageIdsMapToCases) {
  auto work = store_->begin_work();
  ASSERT_TRUE(work) << work.error().message;
  Case c;
  c.subject = "s";
  auto k = store_->insert_case(c, "CS", 7);
  ASSERT_TRUE(k);
  ASSERT_TRUE(store_->add_message_id("a@x", k->id, "inbound"));
  ASSERT_TRUE(store_->add_message_id("a@x", k->id, "inbound"));  // idempotent
  ASSERT_TRUE(work->commit());
  auto id = store_->case_of_message_id("a@x");
  ASSERT_TRUE(id && *id);
  EXPECT_EQ(**id, k->id);
}

// The loop guard's counts: per mailbox (case and "+tag" folded) and overall, both
// answered from an index, not a scan of the outbox.
TEST_F(SqliteStoreTest, AutomaticRepliesAreCountedPerMailboxAndInAll) {
  auto work = store_->begin_work();
  ASSERT_TRUE(work) << work.error().message;
  int n = 0;
  for (const char* to : {"anna@example.org", "Anna+1@example.org", "anna+2@EXAMPLE.org", "bob@example.org"}) {
    OutboxMail m;
    m.kind = "confirmation";
    m.to = to;
    m.message_id = "m" + std::to_string(++n) + "@corp.example";
    m.raw = "x";
    m.automatic = true;
    ASSERT_TRUE(store_->add_outbox(m));
  }
  OutboxMail manual;
  manual.kind = "comment";
  manual.to = "anna@example.org";
  manual.message_id = "c1@corp.example";
  manual.raw = "x";
  ASSERT_TRUE(store_->add_outbox(manual));
  ASSERT_TRUE(work->commit());
  EXPECT_EQ(*store_->count_automatic_since("ANNA+x@example.org", "2000-01-01T00:00:00Z"), 3);
  EXPECT_EQ(*store_->count_automatic_since("bob@example.org", "2000-01-01T00:00:00Z"), 1);
  EXPECT_EQ(*store_->count_all_automatic_since("2000-01-01T00:00:00Z"), 4);
  EXPECT_EQ(*store_->count_all_automatic_since("2999-01-01T00:00:00Z"), 0);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() / "t.db").string().c_str(), &db), SQLITE_OK);
  auto plan = [&](const char* sql) {
    std::string out;
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, (std::string("EXPLAIN QUERY PLAN ") + sql).c_str(), -1, &st, nullptr),
              SQLITE_OK);
    while (st && sqlite3_step(st) == SQLITE_ROW)
      out += reinterpret_cast<const char*>(sqlite3_column_text(st, 3)) + std::string("\n");
    sqlite3_finalize(st);
    return out;
  };
  EXPECT_NE(plan("SELECT count(*) FROM outbox WHERE to_key = 'a' AND automatic = 1 AND created_at >= 'x'")
                .find("INDEX outbox_auto_to_key"),
            std::string::npos);
  EXPECT_NE(plan("SELECT count(*) FROM outbox WHERE automatic = 1 AND created_at >= 'x'")
                .find("INDEX outbox_auto_created"),
            std::string::npos);
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, TheEnvelopeSenderIsKeptAsGivenOrUnknown) {
  auto work = store_->begin_work();
  ASSERT_TRUE(work) << work.error().message;
  RawMessage a;
  a.sha256 = "a";
  a.source = "pipe";
  a.envelope_sender = "";
  auto ida = store_->insert_raw(a);
  RawMessage b;
  b.sha256 = "b";
  b.source = "pipe";
  auto idb = store_->insert_raw(b);
  ASSERT_TRUE(ida && idb);
  auto rb = store_->get_raw(*idb);
  ASSERT_TRUE(rb && *rb);
  EXPECT_FALSE((*rb)->envelope_sender.has_value());
  (*rb)->envelope_sender = "x@example.org";
  ASSERT_TRUE(store_->update_raw(**rb));
  ASSERT_TRUE(work->commit());
  EXPECT_EQ((*store_->get_raw(*ida))->envelope_sender, std::optional<std::string>(""));
  EXPECT_EQ((*store_->get_raw(*idb))->envelope_sender, std::optional<std::string>("x@example.org"));
}

TEST_F(SqliteStoreTest, ParticipantsPerCaseWhateverTheLetterCase) {
  auto work = store_->begin_work();
  ASSERT_TRUE(work) << work.error().message;
  Case c;
  c.subject = "s";
  c.queue = "q";
  auto a = store_->insert_case(c, "CS", 7);
  auto b = store_->insert_case(c, "CS", 7);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(store_->add_participant(a->id, " <Bob@Example.COM> ", "mail"));
  ASSERT_TRUE(store_->add_participant(a->id, "bob@example.com", "agent"));  // already there
  ASSERT_TRUE(work->commit());
  auto listed = store_->participants_of(a->id);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].email, "bob@example.com");
  EXPECT_EQ((*listed)[0].source, "mail");
  EXPECT_EQ(store_->is_participant(a->id, "BOB@example.com").value_or(false), true);
  EXPECT_EQ(store_->is_participant(b->id, "bob@example.com").value_or(true), false);
  EXPECT_EQ(store_->is_participant(a->id, "eve@example.com").value_or(true), false);
}

// The lookup runs on every mail that names a case: it must use the index, never scan.
TEST_F(SqliteStoreTest, ParticipantLookupUsesTheIndex) {
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir_.path() / "t.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  std::string sql = std::string("EXPLAIN QUERY PLAN ") + kSqliteIsParticipantSql;
  ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::string plan;
  while (sqlite3_step(st) == SQLITE_ROW) plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3)) + std::string("\n");
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_NE(plan.find("USING"), std::string::npos) << plan;
  EXPECT_NE(plan.find("INDEX"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("SCAN"), std::string::npos) << plan;
}

// The list reads each case with its contact and account (and their addresses, in the order
// they were added) in one statement; a case without them lists none.
TEST_F(SqliteStoreTest, CaseListCarriesContactsAndAccounts) {
  auto work = store_->begin_work();
  ASSERT_TRUE(work) << work.error().message;
  Account a;
  a.name = "Acme";
  a.support_level = "gold";
  a.emails = {"it@acme.example", "ops@acme.example"};
  auto aid = store_->add_account(a);
  ASSERT_TRUE(aid);
  Contact ct;
  ct.name = "Ann";
  ct.account_id = *aid;
  ct.language = "de";
  ct.emails = {"ann@acme.example", "ann.private@mail.example"};
  auto cid = store_->add_contact(ct);
  ASSERT_TRUE(cid);
  Case with;
  with.subject = "with";
  with.queue = "q";
  with.contact_id = *cid;
  with.account_id = *aid;
  ASSERT_TRUE(store_->insert_case(with, "CS", 7));
  Case without;
  without.subject = "without";
  without.queue = "q";
  ASSERT_TRUE(store_->insert_case(without, "CS", 7));
  ASSERT_TRUE(work->commit());

  auto list = store_->list_cases(10);
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].c.subject, "without");  // newest first
  EXPECT_FALSE((*list)[0].contact);
  EXPECT_FALSE((*list)[0].account);
  const auto& s = (*list)[1];
  EXPECT_EQ(s.c.subject, "with");
  ASSERT_TRUE(s.contact);
  EXPECT_EQ(s.contact->id, *cid);
  EXPECT_EQ(s.contact->name, "Ann");
  EXPECT_EQ(s.contact->account_id, *aid);
  EXPECT_EQ(s.contact->language, "de");
  EXPECT_EQ(s.contact->emails, (std::vector<std::string>{"ann@acme.example", "ann.private@mail.example"}));
  ASSERT_TRUE(s.account);
  EXPECT_EQ(s.account->name, "Acme");
  EXPECT_EQ(s.account->support_level, "gold");
  EXPECT_EQ(s.account->emails, (std::vector<std::string>{"it@acme.example", "ops@acme.example"}));
  EXPECT_EQ(store_->list_cases(1)->size(), 1u);
}

// The pool lends a bounded number of connections: past the bound a unit waits a while
// (a few seconds) and, when none comes back, is refused as temporary (retry later),
// never a new connection without end; a connection given back serves the next unit.
TEST_F(SqliteStoreTest, ThePoolLendsABoundedNumberOfConnections) {
  std::vector<UnitOfWork> lent;
  Result<UnitOfWork> refused = fail(ErrorCode::kInternal, "never refused");
  for (int i = 0; i < 64; ++i) {
    auto w = store_->open_unit(Access::kRead);
    if (!w) {
      refused = std::move(w);
      break;
    }
    lent.push_back(std::move(*w));
  }
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kTemporary) << refused.error().message;
  EXPECT_FALSE(lent.empty());
  lent.pop_back();
  auto again = store_->open_unit(Access::kRead);
  EXPECT_TRUE(again) << again.error().message;
}

// A unit's statements stay prepared on its pooled connection: starting a unit does not
// expire them (a flag pragma such as query_only, run at each unit's start, expired every
// statement of the connection: every statement a request used was parsed and planned
// again). Reads and writes in turn, as the API's requests come.
TEST_F(SqliteStoreTest, UnitsInTurnReuseTheirPooledConnectionsStatementsWithoutPreparingThemAgain) {
  for (int i = 0; i < 6; ++i) {
    ASSERT_NO_FATAL_FAILURE(add_account_in_write_unit("Acme " + std::to_string(i)));
    for (int j = 0; j < 3; ++j) {
      auto r = store_->open_unit(Access::kRead);
      ASSERT_TRUE(r) << r.error().message;
      auto found = r->accounts().find_account_by_name("Acme 0");
      ASSERT_TRUE(found && *found);
      ASSERT_TRUE(r->commit());
    }
  }
  EXPECT_EQ(sqlite_pooled_reprepares(*store_), 0);
}

// A pooled connection that served a write unit still refuses a read unit's write, and
// one that served a read unit takes a write unit's: the setting follows the unit.
TEST_F(SqliteStoreTest, APooledConnectionRefusesAReadUnitsWriteWhateverItServedBefore) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_NO_FATAL_FAILURE(add_account_in_write_unit("Written " + std::to_string(i)));
    auto r = store_->open_unit(Access::kRead);
    ASSERT_TRUE(r) << r.error().message;
    Account sneaky;
    sneaky.name = "Sneaky " + std::to_string(i);
    EXPECT_FALSE(r->accounts().add_account(sneaky)) << "a read unit wrote after a write unit";
    r->rollback();
  }
  for (int i = 0; i < 3; ++i) {
    auto found = store_->find_account_by_name("Sneaky " + std::to_string(i));
    ASSERT_TRUE(found);
    EXPECT_FALSE(*found);
    auto written = store_->find_account_by_name("Written " + std::to_string(i));
    ASSERT_TRUE(written);
    EXPECT_TRUE(*written);
  }
}

// A burst of units is served, not refused: one asked for while every connection is lent
// waits, and gets one as soon as another unit closes. The closing comes after the asker
// has started waiting (it cannot have a connection before); the bounds are generous.
TEST_F(SqliteStoreTest, AUnitAskedForWhileAllAreLentGetsOneWhenAnotherCloses) {
  std::vector<UnitOfWork> lent;
  for (int i = 0; i < 64; ++i) {
    auto w = store_->open_unit(Access::kRead);
    if (!w) break;  // (this first refusal waits the pool's few seconds)
    lent.push_back(std::move(*w));
  }
  ASSERT_FALSE(lent.empty());
  std::atomic<bool> closed{false};
  std::atomic<bool> asking{false};
  std::atomic<bool> closed_before_served{false};
  std::string error;
  std::thread asker([&] {
    asking = true;
    auto w = store_->open_unit(Access::kWrite);
    closed_before_served = closed.load();
    if (!w) {
      error = w.error().message;
      return;
    }
    Account a;
    a.name = "Waited";
    if (auto id = w->accounts().add_account(a); !id) error = id.error().message;
    if (auto c = w->commit(); !c) error = c.error().message;
  });
  ASSERT_TRUE(mailcase::testing::wait_until([&] { return asking.load(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let it reach the wait
  closed = true;
  lent.back().rollback();  // the unit closes: its connection goes back to the pool
  asker.join();
  EXPECT_EQ(error, "");
  EXPECT_TRUE(closed_before_served) << "the asker was served while every connection was lent";
  lent.clear();
  auto found = store_->find_account_by_name("Waited");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_TRUE(*found);
}

// The cases in the database file itself, leaving out the WAL (what checkpoints copied).
int64_t cases_in_database_file(const std::filesystem::path& db) {
  sqlite3* h = nullptr;
  std::string uri = "file:" + db.string() + "?immutable=1";
  int64_t n = -1;
  if (sqlite3_open_v2(uri.c_str(), &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, "SELECT count(*) FROM cases", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close_v2(h);
  return n;
}

void SqliteStoreTest::expect_in_database_file_then_reopened(int64_t copied, int cases) {
  const auto db = dir_.path() / "t.db";
  EXPECT_TRUE(mailcase::testing::wait_until([&] { return cases_in_database_file(db) >= copied; }, 60000))
      << cases_in_database_file(db) << " cases in the database file of " << std::filesystem::file_size(db)
      << " bytes beside a WAL of " << std::filesystem::file_size(db.string() + "-wal") << " bytes";
  store_.reset();
  auto again = open_sqlite(db);
  ASSERT_TRUE(again) << again.error().message;
  auto all = (*again)->list_cases(cases + 1);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), static_cast<size_t>(cases));
}

// A store kept up in the background (serve, import) still copies its WAL into the
// database file as commits fill it, from units on its own connection and on pooled ones
// alike, and the store closes cleanly with its checkpointing thread.
TEST_F(SqliteStoreTest, AStoreKeptUpInTheBackgroundStillCheckpointsItsWal) {
  ASSERT_TRUE(store_->maintain_in_background());
  ASSERT_TRUE(store_->maintain_in_background());  // a second call changes nothing
  const std::string subject(6000, 's');
  constexpr int kCases = 100;  // about 3,000 WAL pages in all (the search index's too)
  for (int i = 0; i < kCases; ++i) {
    Case c;
    c.subject = subject + std::to_string(i);
    if (i % 2 == 0) {
      auto work = store_->begin_work();
      ASSERT_TRUE(work) << work.error().message;
      ASSERT_TRUE(store_->insert_case(c, "CS", 7));
      ASSERT_TRUE(work->commit());
    } else {
      auto unit = store_->open_unit(Access::kWrite);
      ASSERT_TRUE(unit) << unit.error().message;
      ASSERT_TRUE(unit->cases().insert_case(c, "CS", 7));
      ASSERT_TRUE(unit->commit());
    }
  }
  // Under the bound at which a commit checkpoints itself: the thread copies them. The
  // last thousand pages or so may wait in the WAL for the next checkpoint. (A loaded
  // machine with sanitizers may take its time over the checkpoint's syncs.)
  expect_in_database_file_then_reopened(kCases / 2, kCases);
}

// Bulk writes (an import) checkpoint less often, not never: once the WAL holds 64 MB
// the thread copies it into the database file while the batches go on, and what the
// last batches left there once they have stopped; the store closes and opens again with
// every batch.
TEST_F(SqliteStoreTest, AStoreUnderBulkWritesStillCopiesItsWalIntoTheDatabaseFile) {
  ASSERT_TRUE(store_->maintain_in_background());
  ASSERT_TRUE(store_->expect_bulk_writes());
  const std::string subject(6000, 's');
  constexpr int kCases = 1600;  // about 20,000 WAL pages (the search index's too)
  constexpr int kBatch = 10;
  for (int i = 0; i < kCases; i += kBatch) {
    auto work = store_->begin_work();
    ASSERT_TRUE(work) << work.error().message;
    for (int k = i; k < i + kBatch; ++k) {
      Case c;
      c.subject = subject + std::to_string(k);
      ASSERT_TRUE(store_->insert_case(c, "CS", 7));
    }
    ASSERT_TRUE(work->commit());
  }
  expect_in_database_file_then_reopened(kCases, kCases);
}

// The last batches of a bulk run (an import whose input is all read): maintain_now() has
// the thread copy what is committed so far into the database file at once, while commits
// go on. Without it, those pages wait in the WAL until commits stop (or the close).
TEST_F(SqliteStoreTest, MaintainNowCopiesWhatIsCommittedWhileCommitsGoOn) {
  ASSERT_TRUE(store_->maintain_in_background());
  ASSERT_TRUE(store_->expect_bulk_writes());
  const auto db = dir_.path() / "t.db";
  int next = 0;
  const auto insert = [&](int count) {
    auto work = store_->begin_work();
    ASSERT_TRUE(work) << work.error().message;
    for (int k = 0; k < count; ++k) {
      Case c;
      c.subject = std::string(6000, 's') + std::to_string(next++);
      ASSERT_TRUE(store_->insert_case(c, "CS", 7));
    }
    ASSERT_TRUE(work->commit());
  };
  for (int i = 0; i < 5; ++i) insert(10);  // a few hundred pages: far below the bulk bound
  store_->maintain_now();
  // A commit every 10 ms meanwhile: commits never stop for the 200 ms after which what
  // bulk writes left in the WAL is copied anyway.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (cases_in_database_file(db) < 50 && std::chrono::steady_clock::now() < until) {
    insert(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(cases_in_database_file(db), 50) << "while " << next - 50 << " commits went on";
}

// A store kept up in the background leaves its WAL empty when it closes: the next process
// to open it alone does not read a WAL of tens of megabytes to rebuild the WAL's index
// (and again for each command until a commit empties it). A store without that upkeep (a
// `deliver`) leaves it as it is, for the next commit to reuse.
TEST_F(SqliteStoreTest, AStoreKeptUpInTheBackgroundLeavesItsWalEmptyWhenItCloses) {
  const auto wal = dir_.path() / "t.db-wal";
  const auto write = [&](int from, int count) {
    auto work = store_->begin_work();
    ASSERT_TRUE(work) << work.error().message;
    for (int k = from; k < from + count; ++k) {
      Case c;
      c.subject = std::string(6000, 's') + std::to_string(k);
      ASSERT_TRUE(store_->insert_case(c, "CS", 7));
    }
    ASSERT_TRUE(work->commit());
  };
  ASSERT_TRUE(store_->maintain_in_background());
  ASSERT_TRUE(store_->expect_bulk_writes());
  for (int i = 0; i < 200; i += 10) write(i, 10);
  ASSERT_GT(std::filesystem::file_size(wal), 1'000'000u);
  store_.reset();
  EXPECT_EQ(std::filesystem::exists(wal) ? std::filesystem::file_size(wal) : 0u, 0u);
  auto again = open_sqlite(dir_.path() / "t.db");
  ASSERT_TRUE(again) << again.error().message;
  auto all = (*again)->list_cases(1000);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 200u);

  // Without the upkeep, a few commits stay in the WAL.
  store_ = std::move(*again);
  write(200, 5);
  store_.reset();
  EXPECT_GT(std::filesystem::file_size(wal), 0u);
}

// A checkpoint that could not copy the whole WAL (a reader held an older snapshot) is
// tried again once commits stop: the burst's pages reach the database file without
// waiting for more commits to wake the thread.
TEST_F(SqliteStoreTest, PagesACheckpointCouldNotCopyAreCopiedOnceCommitsStop) {
  ASSERT_TRUE(store_->maintain_in_background());
  const auto db = dir_.path() / "t.db";
  const std::string subject(6000, 's');
  const auto insert = [&](int i) {
    Case c;
    c.subject = subject + std::to_string(i);
    auto work = store_->begin_work();
    ASSERT_TRUE(work) << work.error().message;
    ASSERT_TRUE(store_->insert_case(c, "CS", 7));
    ASSERT_TRUE(work->commit());
  };
  insert(0);
  // A reader on the snapshot of that first case, held while some 1,500 pages are
  // committed: the thread is woken and copies only up to the reader's snapshot.
  sqlite3* reader = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db.c_str(), &reader, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM cases;", nullptr, nullptr, nullptr), SQLITE_OK);
  constexpr int kCases = 120;
  for (int i = 1; i < kCases; ++i) insert(i);
  // Time for the checkpoint the last commit woke to run while the reader still holds it
  // back (were it to run later, the test would pass without telling anything, never fail).
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close_v2(reader);
  EXPECT_TRUE(mailcase::testing::wait_until([&] { return cases_in_database_file(db) == kCases; }, 60000))
      << cases_in_database_file(db) << " cases in the database file";
}

// The first processes to open a store after an upgrade start together (Postfix runs
// several deliveries at once): each must find the schema migrated, none may fail because
// another applied a migration while it waited for the lock ("table already exists": a
// delivery refused for good).
TEST(SqliteStoreMigration, StoresOpenedTogetherOnAnOldFileAllMigrateIt) {
  for (int round = 0; round < 3; ++round) {
    mailcase::testing::TempDir dir;
    const auto file = dir.path() / "t.db";
    {
      SqliteOptions old;
      old.max_schema_version = 1;
      ASSERT_TRUE(open_sqlite(file, old));
    }
    constexpr int kOpeners = 4;
    std::vector<std::string> errors(kOpeners);
    std::vector<std::thread> openers;
    for (int k = 0; k < kOpeners; ++k) {
      openers.emplace_back([&, k] {
        auto s = open_sqlite(file);
        if (!s) errors[k] = s.error().message;
      });
    }
    for (auto& t : openers) t.join();
    for (int k = 0; k < kOpeners; ++k) EXPECT_EQ(errors[k], "") << "round " << round << ", opener " << k;
  }
}

// Migration 37 rebuilds raw_messages without the UNIQUE index on sha256: every row, its
// id and the comments that name it stay; a failed mail gets its "sha:" key, so that a copy
// of it is still known; a duplicate is still found by its bytes.
TEST(SqliteStoreMigration, RawMessagesLoseTheirShaIndexAndKeepEveryRowAndReference) {
  mailcase::testing::TempDir dir;
  const auto file = dir.path() / "t.db";
  {
    SqliteOptions old;
    old.max_schema_version = 36;
    ASSERT_TRUE(open_sqlite(file, old));
  }
  auto exec = [&](const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  };
  exec(
      "INSERT INTO contacts (id, name, created_at) VALUES (1, 'Ann', '2026-12-01T00:00:00Z');"
      "INSERT INTO cases (id, number, subject, description, status, priority, queue, contact_id, created_at, "
      "updated_at) VALUES (1, 'CS0000001', 'Printer', '', 'new', 'medium', 'Support', 1, '2026-12-01T00:00:00Z', "
      "'2026-12-01T00:00:00Z');"
      "INSERT INTO raw_messages (id, sha256, size, source, state, dedupe_key, case_id, received_at) VALUES "
      "(7, 'aaaa', 10, 'pipe', 'processed', 'mid:a@x', 1, '2026-12-01T00:00:00Z'),"
      "(8, 'bbbb', 10, 'pipe', 'failed', NULL, NULL, '2026-12-01T00:00:00Z'),"
      "(9, 'cccc', 10, 'pipe', 'duplicate', NULL, 1, '2026-12-01T00:00:00Z');"
      "INSERT INTO comments (case_id, direction, author, body, visibility, raw_message_id, created_at) "
      "VALUES (1, 'inbound', 'ann@x', 'It jams.', 'public', 7, '2026-12-01T00:00:00Z');");

  auto store = open_sqlite(file);
  ASSERT_TRUE(store) << store.error().message;
  auto processed = (*store)->find_raw_by_dedupe_key("mid:a@x");
  ASSERT_TRUE(processed && *processed);
  EXPECT_EQ((*processed)->id, 7);
  EXPECT_EQ((*processed)->sha256, "aaaa");
  auto failed = (*store)->find_raw_by_dedupe_key("sha:bbbb");
  ASSERT_TRUE(failed && *failed);
  EXPECT_EQ((*failed)->id, 8);
  auto duplicate = (*store)->find_copy_by_sha("cccc");
  ASSERT_TRUE(duplicate && *duplicate);
  EXPECT_EQ((*duplicate)->id, 9);
  auto not_a_copy = (*store)->find_copy_by_sha("aaaa");
  ASSERT_TRUE(not_a_copy);
  EXPECT_FALSE(*not_a_copy);
  auto comments = (*store)->comments_of(1);
  ASSERT_TRUE(comments) << comments.error().message;
  ASSERT_EQ(comments->size(), 1u);
  EXPECT_EQ((*comments)[0].raw_message_id, std::optional<Id>(7));

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  auto one_text = [&](const char* sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    std::string out;
    while (sqlite3_step(st) == SQLITE_ROW) {
      auto* t = sqlite3_column_text(st, 0);
      out += std::string(t ? reinterpret_cast<const char*>(t) : "") + ";";
    }
    sqlite3_finalize(st);
    return out;
  };
  EXPECT_EQ(one_text("SELECT name FROM pragma_index_list('raw_messages') ORDER BY name"),
            "raw_messages_copies;raw_messages_dedupe;raw_messages_state;");
  EXPECT_EQ(one_text("SELECT \"table\" FROM pragma_foreign_key_check"), "");
  EXPECT_EQ(one_text("PRAGMA integrity_check"), "ok;");
  // Migration 38: the search index merges 16 segments at a time (fewer levels to rewrite).
  EXPECT_EQ(one_text("SELECT v FROM case_search_config WHERE k = 'automerge'"), "16;");
  EXPECT_EQ(one_text("SELECT foreign_keys FROM pragma_foreign_keys"), "0;");  // this connection's own
  sqlite3_close(db);
  // The store's own connection has its foreign keys on again: a comment naming no mail is refused.
  auto work = (*store)->begin_work();
  ASSERT_TRUE(work);
  Comment orphan;
  orphan.case_id = 1;
  orphan.direction = Direction::kInbound;
  orphan.author = "ann@x";
  orphan.body = "Lost?";
  orphan.visibility = Visibility::kPublic;
  orphan.raw_message_id = 4242;
  orphan.created_at = "2026-12-01T00:00:00Z";
  EXPECT_FALSE(work->cases().add_comment(orphan));
}

}  // namespace
}  // namespace mailcase::store
