// Every statement the mail path prepares is checked with EXPLAIN QUERY PLAN: none may
// scan a table that grows with the mail (cases, raw messages, comments, message ids,
// outbox, contacts...). A scan there makes each delivery slower as the store fills up.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "ingest/pipeline.h"
#include "outbound/signed_link.h"
#include "outbound/templates.h"
#include "runtime/runtime.h"
#include "services/case_services.h"
#include "store/store.h"
#include "support/test_support.h"
#include "util/clock.h"

namespace mailcase::store {
namespace {

// Tables small by nature, which a scan may read whole:
//   routing_addresses: the support addresses an admin configured (a handful); the pipeline
//                      reads them all to route each mail.
//   mailboxes, mailbox_state: one row per configured IMAP/POP3 mailbox.
//   schema_version: one row per migration.
//   assignment_rules: the rules an admin wrote (a hundred, say); read whole only when
//                     rules_version moved, to compile them again.
//   alert_rules: the monitoring alert rules an admin configured (a handful); each mail
//                counts them to know whether to compile them again.
//   case_search_pending: the cases written since the search index was last brought up
//                        to date (migrations 28, 31): fewer than
//                        Connection::kSearchFlushAt after any commit, read whole and
//                        emptied when that many wait or a search comes.
//   case_search_mode: one row (migration 28).
//   contact_names_pending: the contacts added or renamed in the open transaction
//                          (migration 48), emptied as it commits.
const std::set<std::string> kSmallTables = {
    "routing_addresses",   "mailboxes",        "mailbox_state",
    "schema_version",      "assignment_rules", "alert_rules",
    "case_search_pending", "case_search_mode", "contact_names_pending"};

// The plan lines of one statement that read a growing table whole; empty when none does.
// "SCAN t" and "SCAN t USING [COVERING] INDEX i" both visit every row; "SEARCH" does not.
std::vector<std::string> growing_scans(sqlite3* db, const std::string& sql) {
  std::vector<std::string> out;
  sqlite3_stmt* st = nullptr;
  std::string eqp = "EXPLAIN QUERY PLAN " + sql;
  if (sqlite3_prepare_v2(db, eqp.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    out.push_back(std::string("cannot explain: ") + sqlite3_errmsg(db));
    return out;
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    auto* d = sqlite3_column_text(st, 3);
    std::string detail = d ? reinterpret_cast<const char*>(d) : "";
    if (detail.rfind("SCAN ", 0) != 0) continue;
    std::string table = detail.substr(5, detail.find(' ', 5) - 5);
    if (table == "CONSTANT") continue;  // "SCAN CONSTANT ROW": no table at all
    // "SCAN (subquery-N)": the rows a subquery made, whose own reads have plan lines of
    // their own (the search view's comments and addresses of one case).
    if (table.rfind("(subquery-", 0) == 0) continue;
    if (kSmallTables.count(table)) continue;
    out.push_back(detail);
  }
  sqlite3_finalize(st);
  return out;
}

// The plan lines of one statement, one per line.
std::string plan_of(sqlite3* db, const std::string& sql) {
  std::string out;
  sqlite3_stmt* st = nullptr;
  std::string eqp = "EXPLAIN QUERY PLAN " + sql;
  if (sqlite3_prepare_v2(db, eqp.c_str(), -1, &st, nullptr) != SQLITE_OK) return sqlite3_errmsg(db);
  while (sqlite3_step(st) == SQLITE_ROW) {
    auto* d = sqlite3_column_text(st, 3);
    out += std::string(d ? reinterpret_cast<const char*>(d) : "") + "\n";
  }
  sqlite3_finalize(st);
  return out;
}

std::string report(sqlite3* db, const std::vector<std::string>& statements) {
  std::string bad;
  for (const auto& sql : statements) {
    for (const auto& line : growing_scans(db, sql)) bad += line + "  <-  " + sql + "\n";
  }
  return bad;
}

std::string mail(const std::string& from, const std::string& id, const std::string& subject,
                 const std::string& in_reply_to, const std::string& body) {
  std::string m = "From: " + from + "\r\nTo: support@corp.example\r\nSubject: " + subject +
                  "\r\nMessage-ID: <" + id + ">\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n";
  if (!in_reply_to.empty())
    m += "In-Reply-To: <" + in_reply_to + ">\r\nReferences: <" + in_reply_to + ">\r\n";
  return m + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n";
}

// A Message-ID without its angle brackets, however it was stored.
std::string bare_id(std::string id) {
  if (!id.empty() && id.front() == '<') id.erase(0, 1);
  if (!id.empty() && id.back() == '>') id.pop_back();
  return id;
}

class QueryPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = mailcase::testing::run_mailcase({"--data", dir_.path().string(), "init"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = mailcase::testing::run_mailcase(
        {"--data", dir_.path().string(), "address", "add", "support@corp.example", "--queue", "Support"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto cfg = config::load(dir_.path() / "mailcase.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    cfg_ = *cfg;
    auto p = runtime::Runtime::open(dir_.path(), cfg_);
    ASSERT_TRUE(p) << p.error().message;
    runtime_ = std::move(*p);
    ASSERT_EQ(sqlite3_open_v2((dir_.path() / "mailcase.db").c_str(), &db_, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
  }
  void TearDown() override { sqlite3_close(db_); }

  ingest::Outcome deliver(const std::string& raw) {
    auto o =
        runtime_->ingest().deliver(raw, ingest::Envelope{"test", {"support@corp.example"}, std::nullopt});
    EXPECT_TRUE(o) << (o ? "" : o.error().message);
    return o ? *o : ingest::Outcome{};
  }

  mailcase::testing::TempDir dir_;
  config::Config cfg_;
  std::unique_ptr<runtime::Runtime> runtime_;
  sqlite3* db_ = nullptr;
};

// A mail's whole life: a new case and its confirmation, a duplicate, a reply threaded by
// In-Reply-To, agent comments, a proposed solution, the customer's acceptance by reply,
// a close, the outbox worker sending; then every statement the store prepared on the way.
TEST_F(QueryPlanTest, NoStatementOnTheMailPathScansAGrowingTable) {
  {
    // Bob writes from an account's address: his mail reads the account and its addresses.
    auto& st = runtime_->store();
    auto work = st.begin_work();
    ASSERT_TRUE(work) << work.error().message;
    Account a;
    a.name = "Other Corp";
    a.emails = {"bob@other.example"};
    ASSERT_TRUE(st.add_account(a));
    ASSERT_TRUE(work->commit());
  }
  auto first = mail("Ann <ann@customer.example>", "m1@customer.example", "Printer on fire", "", "It burns.");
  auto created = deliver(first);
  ASSERT_TRUE(created.case_number);
  deliver(first);  // the same bytes again: found by their key, whose row holds their sha256
  auto reply = deliver(mail("Ann <ann@customer.example>", "m2@customer.example", "Re: Printer on fire",
                            "m1@customer.example", "Still burning."));
  EXPECT_EQ(reply.case_number, created.case_number);
  deliver(mail("Bob <bob@other.example>", "m3@other.example", "Another question", "", "Hello?"));

  auto& st = runtime_->store();
  // The services' join form, on the store's own connection, whose statements are checked.
  auto& cs = runtime_->cases();
  const auto agent = services::Actor::agent("agent");
  auto act = [&](const std::function<Status(store::UnitOfWork&, Case&)>& fn) {
    auto work = st.begin_work();
    ASSERT_TRUE(work) << work.error().message;
    auto c = work->cases().find_case_by_number(*created.case_number);
    ASSERT_TRUE(c && *c);
    auto s = fn(*work, **c);
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_TRUE(work->commit());
  };
  act([&](store::UnitOfWork& w, Case& c) {
    return cs.comment(w, agent, c, services::AgentComment{"We are on it.", true, {}});
  });
  act([&](store::UnitOfWork& w, Case& c) {
    return cs.propose_solution(w, agent, c, services::AgentComment{"Use water.", true, {}});
  });
  // The customer answers the latest agent mail: threads by its Message-ID in the outbox.
  auto c = st.find_case_by_number(*created.case_number);
  ASSERT_TRUE(c && *c);
  auto sent = st.list_outbox((*c)->id, 10);
  ASSERT_TRUE(sent);
  ASSERT_FALSE(sent->empty());
  auto answer = deliver(mail("Ann <ann@customer.example>", "m4@customer.example", "Re: Printer on fire",
                             bare_id(sent->front().message_id), "Thanks, that worked."));
  EXPECT_EQ(answer.case_number, created.case_number);
  act([&](store::UnitOfWork& w, Case& c) { return cs.close(w, agent, c); });

  // What the outbox worker does: claims the due rows, then marks each sent.
  auto due = st.claim_due("plan:1:1", clock::unix_now() + 1, 100, 600);
  ASSERT_TRUE(due);
  ASSERT_FALSE(due->empty());
  for (auto m : *due) {
    auto again = st.find_outbox_by_message_id(m.message_id);
    ASSERT_TRUE(again && *again);
    m.state = store::OutboxState::kSent;
    ASSERT_TRUE(st.update_outbox(m));
  }

  auto statements = sqlite_prepared_sql(st);
  // The workload reached the lookups by case that used to scan.
  auto has = [&](const std::string& part) {
    return std::any_of(statements.begin(), statements.end(),
                       [&](const std::string& s) { return s.find(part) != std::string::npos; });
  };
  EXPECT_TRUE(has("FROM message_ids WHERE case_id")) << "workload did not confirm a case";
  EXPECT_TRUE(has("FROM outbox WHERE case_id")) << "workload did not read a case's outbox";
  EXPECT_TRUE(has("FROM outbox p WHERE p.case_id")) << "workload did not claim a mail";
  // A reply to a proposed solution: which proposal its mail carried, and the case's latest.
  EXPECT_TRUE(has("proposal, 0) FROM message_ids WHERE message_id")) << "workload did not thread a reply";
  EXPECT_TRUE(has("FROM events WHERE case_id = ? AND action = ?")) << "workload did not count proposals";
  EXPECT_TRUE(has("FROM raw_messages WHERE sha256")) << "workload did not look up a duplicate";
  EXPECT_TRUE(has("FROM raw_messages WHERE dedupe_key")) << "workload did not look up a mail's key";
  // A copy is looked up by its bytes only among the rows that hold no key, whose index
  // stays small whatever the store holds (no index of every row's SHA-256: its random keys
  // would write a page a mail into a large store); a mail's key (its Message-ID, else its
  // bytes' digest) through the unique index of the keys: one search whatever the store holds.
  const std::pair<const char*, const char*> lookups[] = {
      {"FROM raw_messages WHERE sha256", "USING INDEX raw_messages_copies"},
      {"FROM raw_messages WHERE dedupe_key", "USING INDEX raw_messages_dedupe"},
      // The outbox claims a case's mail to an address only when no earlier one to it is
      // queued: one entry of the small index of the queued mails.
      {"FROM outbox p WHERE p.case_id", "USING INDEX outbox_queued_conversation"}};
  for (const auto& [part, index] : lookups) {
    for (const auto& sql : statements) {
      if (sql.find(part) == std::string::npos) continue;
      EXPECT_NE(plan_of(db_, sql).find(index), std::string::npos) << plan_of(db_, sql);
    }
  }
  EXPECT_TRUE(has("FROM contact_emails WHERE contact_id")) << "workload did not read a contact";
  EXPECT_TRUE(has("FROM account_emails WHERE account_id")) << "workload did not read an account";
  EXPECT_GT(statements.size(), 25u);

  EXPECT_EQ(report(db_, statements), "");
}

// A mailbox agent reads the mails it left on the server (for their size) every pass, and
// `message retry` looks one up by its record: both by index, whatever the mail store holds.
TEST_F(QueryPlanTest, MailsLeftOnAServerAreFoundByIndex) {
  auto& st = runtime_->store();
  ASSERT_TRUE(st.left_mail_keys("in"));
  ASSERT_TRUE(st.left_mail_of(1));
  std::vector<std::string> left;
  for (const auto& sql : sqlite_prepared_sql(st)) {
    if (sql.find("mailbox_left") != std::string::npos) left.push_back(sql);
  }
  EXPECT_EQ(left.size(), 2u);
  EXPECT_EQ(report(db_, left), "");
}

// Whether a contact or an account is still named, before it is removed (the statements
// of AccountRepository::remove_contact and remove_account): one entry of an index each,
// whatever the store holds (cases_account is partial: a case of no account costs it
// nothing).
TEST_F(QueryPlanTest, WhatStillNamesAContactOrAnAccountIsOneIndexEntry) {
  const std::pair<const char*, const char*> checks[] = {
      {"SELECT 1 FROM cases WHERE contact_id = ? LIMIT 1", "USING COVERING INDEX cases_contact_updated"},
      {"SELECT 1 FROM cases WHERE account_id = ? LIMIT 1", "USING COVERING INDEX cases_account"},
      {"SELECT 1 FROM contacts WHERE account_id = ? LIMIT 1", "USING COVERING INDEX contacts_account"}};
  for (const auto& [sql, index] : checks)
    EXPECT_NE(plan_of(db_, sql).find(index), std::string::npos) << plan_of(db_, sql);
}

// The API's pages of a case's comments and events (oldest first, by keyset): each page
// and its count is one range of the case's index, never a scan or a sort.
TEST_F(QueryPlanTest, ACasesCommentAndEventPagesAreOneIndexRangeWithoutASort) {
  auto created =
      deliver(mail("Ann <ann@customer.example>", "p1@customer.example", "Printer", "", "It jams."));
  ASSERT_TRUE(created.case_number);
  ASSERT_TRUE(runtime_->cases().comment(services::Actor::agent("ann@corp.example"), *created.case_number,
                                        {.body = "Called her.", .is_public = false}));
  auto& st = runtime_->store();
  auto c = st.find_case_by_number(*created.case_number);
  ASSERT_TRUE(c && *c);
  PageRequest r;
  r.limit = 1;
  r.count = true;
  auto comments = st.page_comments((*c)->id, r);
  ASSERT_TRUE(comments) << comments.error().message;
  auto events = st.page_events((*c)->id, r);
  ASSERT_TRUE(events) << events.error().message;
  ASSERT_TRUE(events->next_cursor);  // created, then the note
  r.cursor = events->next_cursor;
  ASSERT_TRUE(st.page_events((*c)->id, r));
  // An open case page's poll: the case's latest event.
  auto latest = st.last_event_id((*c)->id);
  ASSERT_TRUE(latest) << latest.error().message;
  EXPECT_GT(*latest, 0);

  std::vector<std::string> paging;
  for (const auto& sql : sqlite_prepared_sql(st))
    if (sql.find("FROM comments WHERE case_id = ?") != std::string::npos ||
        sql.find("FROM events WHERE case_id = ?") != std::string::npos)
      paging.push_back(sql);
  EXPECT_GE(paging.size(), 5u);
  EXPECT_EQ(report(db_, paging), "");
  for (const auto& sql : paging) {
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db_, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &stmt, nullptr), SQLITE_OK);
    std::string plan;
    while (sqlite3_step(stmt) == SQLITE_ROW)
      plan += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
    sqlite3_finalize(stmt);
    EXPECT_NE(plan.find("SEARCH"), std::string::npos) << sql << "\n" << plan;
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << sql << "\n" << plan;
  }
}

// The check itself fails where it should: without the index on message_ids(case_id)
// (the schema before migration 8), confirming a case reads every message id.
TEST_F(QueryPlanTest, ReportsAScanOfAGrowingTable) {
  sqlite3_close(db_);
  db_ = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir_.path() / "mailcase.db").c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db_, "DROP INDEX message_ids_case", nullptr, nullptr, nullptr), SQLITE_OK);
  std::string sql =
      "SELECT message_id FROM message_ids WHERE case_id = ? AND (? = '' OR direction = ?) ORDER BY rowid";
  auto bad = report(db_, {sql});
  EXPECT_NE(bad.find("SCAN message_ids"), std::string::npos) << bad;
  // A small configuration table may be read whole.
  EXPECT_EQ(report(db_, {"SELECT email FROM routing_addresses ORDER BY email"}), "");
}

}  // namespace
}  // namespace mailcase::store
