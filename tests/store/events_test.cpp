// Case events (the history that replaced the free-text audit): what the store keeps,
// in what order, how each typed value maps to its text, and what migration 10 made of
// the old audit rows.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>

#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::store {
namespace {

class EventsTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }
  void reopen() {
    store_.reset();
    auto s = open_sqlite(db());
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  std::filesystem::path db() const { return dir_.path() / "t.db"; }
  // Runs SQL on the file through a connection of its own, as an older mailcase or an
  // administrator would.
  void sql(const std::string& text) {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db().c_str(), &h), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(h, text.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(h);
    ASSERT_EQ(rc, SQLITE_OK) << msg;
  }
  void add(const Event& e) {
    auto work = store_->begin_work();
    ASSERT_TRUE(work) << work.error().message;
    auto s = store_->add_event(e);
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_TRUE(work->commit());
  }

  mailcase::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(EventsTest, AddedEventsComeBackInOrderWithTheirFields) {
  add({.case_id = 7,
       .actor_kind = ActorKind::kMail,
       .actor = "ann@acme.example",
       .action = EventAction::kCreated,
       .details = {{"reason", "new mail"}}});
  add({.case_id = 8, .actor_kind = ActorKind::kAgent, .actor = "bob", .action = EventAction::kNote});
  add({.case_id = 7,
       .actor_kind = ActorKind::kAgent,
       .actor = "bob",
       .action = EventAction::kAssigned,
       .details = {{"owner", "bob@corp.example"}},
       .at = "2026-11-23T10:00:00Z"});
  add({.case_id = 7,
       .actor_kind = ActorKind::kCustomer,
       .actor = "customer",
       .action = EventAction::kAccepted});

  auto ev = store_->events_of(7);
  ASSERT_TRUE(ev) << ev.error().message;
  ASSERT_EQ(ev->size(), 3u);
  EXPECT_EQ((*ev)[0].action, EventAction::kCreated);
  EXPECT_EQ((*ev)[0].actor_kind, ActorKind::kMail);
  EXPECT_EQ((*ev)[0].actor, "ann@acme.example");
  EXPECT_EQ((*ev)[0].details, (std::map<std::string, std::string>{{"reason", "new mail"}}));
  EXPECT_EQ((*ev)[0].case_id, std::optional<Id>(7));
  // The store dates an event given no time, and keeps one it is given.
  EXPECT_EQ((*ev)[0].at.size(), std::string("2026-11-23T10:00:00Z").size()) << (*ev)[0].at;
  EXPECT_EQ((*ev)[1].action, EventAction::kAssigned);
  EXPECT_EQ((*ev)[1].at, "2026-11-23T10:00:00Z");
  EXPECT_EQ((*ev)[1].details.at("owner"), "bob@corp.example");
  EXPECT_EQ((*ev)[2].action, EventAction::kAccepted);
  EXPECT_TRUE((*ev)[2].details.empty());
  EXPECT_LT((*ev)[0].id, (*ev)[1].id);
  EXPECT_LT((*ev)[1].id, (*ev)[2].id);

  auto other = store_->events_of(8);
  ASSERT_TRUE(other);
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ((*other)[0].action, EventAction::kNote);
  auto none = store_->events_of(9);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_F(EventsTest, DetailsWithInvalidUtf8AreKeptNotRefused) {
  add({.case_id = 1,
       .actor_kind = ActorKind::kMail,
       .actor = "x@example.com",
       .action = EventAction::kCreated,
       .details = {{"reason", std::string("bad \xff byte")}}});
  auto ev = store_->events_of(1);
  ASSERT_TRUE(ev) << ev.error().message;
  ASSERT_EQ(ev->size(), 1u);
  EXPECT_EQ((*ev)[0].details.at("reason").rfind("bad ", 0), 0u);
}

TEST_F(EventsTest, EveryActorKindAndActionHasOneTextThatReadsBack) {
  std::set<std::string> seen;
  for (int i = 0; i <= static_cast<int>(ActorKind::kMail); ++i) {
    const auto k = static_cast<ActorKind>(i);
    const std::string text = to_string(k);
    EXPECT_TRUE(seen.insert(text).second) << text;
    EXPECT_EQ(actor_kind_from(text), k) << text;
  }
  EXPECT_EQ(seen, (std::set<std::string>{"customer", "agent", "system", "rule", "mail"}));
  seen.clear();
  for (int i = 0; i <= static_cast<int>(EventAction::kConfigChanged); ++i) {
    const auto a = static_cast<EventAction>(i);
    const std::string text = to_string(a);
    EXPECT_TRUE(seen.insert(text).second) << text;
    EXPECT_EQ(event_action_from(text), a) << text;
  }
  EXPECT_EQ(seen.size(), 40u);
  EXPECT_EQ(std::string(to_string(EventAction::kSolutionProposed)), "solution_proposed");
  EXPECT_EQ(std::string(to_string(EventAction::kMessageDismissed)), "message_dismissed");
  EXPECT_EQ(std::string(to_string(EventAction::kContactRemoved)), "contact_removed");
  EXPECT_EQ(std::string(to_string(EventAction::kSurveyAnswered)), "survey_answered");
  EXPECT_FALSE(actor_kind_from("Agent"));
  EXPECT_FALSE(actor_kind_from(""));
  EXPECT_FALSE(event_action_from("solution proposed"));
  EXPECT_FALSE(event_action_from(""));
}

TEST_F(EventsTest, AnUnknownValueReadFromTheStoreIsAnErrorNotADefault) {
  add({.case_id = 3, .actor_kind = ActorKind::kAgent, .actor = "bob", .action = EventAction::kClosed});
  auto expect_error = [&](const std::string& fragment) {
    auto ev = store_->events_of(3);
    ASSERT_FALSE(ev) << "read " << ev->size() << " events";
    EXPECT_EQ(ev.error().code, ErrorCode::kInternal);
    EXPECT_NE(ev.error().message.find(fragment), std::string::npos) << ev.error().message;
  };
  sql("UPDATE events SET action = 'teleported'");
  expect_error("unknown action 'teleported'");
  sql("UPDATE events SET action = 'closed', actor_kind = 'robot'");
  expect_error("unknown actor kind 'robot'");
  sql("UPDATE events SET actor_kind = 'agent', details = 'not json'");
  expect_error("not a JSON object");
  sql("UPDATE events SET details = '{\"rating\": 5}'");
  expect_error("'rating' is not text");
  sql("UPDATE events SET details = '{}'");
  auto ev = store_->events_of(3);
  ASSERT_TRUE(ev) << ev.error().message;
  EXPECT_EQ(ev->size(), 1u);
}

// The opener applies every migration, so the file is rewound to just before 10: events
// gone, the version-1 audit table back with rows an older mailcase wrote. (A migration
// after 10 must be rewound here too.)
TEST_F(EventsTest, Migration10CarriesOldAuditRowsOverAndDropsTheAuditTable) {
  store_.reset();
  // Migration 13: the case search's triggers, index, view and the list's indexes.
  std::string undo_13;
  for (const char* t :
       {"case_insert", "case_update_old", "case_update_new", "case_delete", "comment_insert_old",
        "comment_insert_new", "comment_update_old", "comment_update_new", "comment_delete_old",
        "comment_delete_new", "contact_update_old", "contact_update_new", "email_insert_old", "email_insert_new",
        "email_update_old", "email_update_new", "email_delete_old", "email_delete_new"})
    undo_13 += std::string("DROP TRIGGER IF EXISTS case_search_") + t + ";";
  for (const char* i : {"cases_updated", "cases_status_updated", "cases_queue_updated", "cases_owner_updated",
                        "cases_contact_updated"})
    undo_13 += std::string("DROP INDEX ") + i + ";";
  // Migration 35: the search triggers that always note (13's names for those that are 13's).
  sql("DROP TRIGGER case_search_case_update; DROP TRIGGER case_search_comment_insert; "
      "DROP TRIGGER case_search_comment_update; DROP TRIGGER case_search_comment_delete; "
      "DROP TRIGGER case_search_contact_update; DROP TRIGGER case_search_email_insert; "
      "DROP TRIGGER case_search_email_update; DROP TRIGGER case_search_email_delete;");
  // Migration 32: bytes kept in the store.
  sql("DROP TABLE kept_bytes;");
  // Migration 28: the index's per-transaction mode (its triggers have 13's names).
  // (Its mode, view and view's trigger are gone since 35.)
  sql("DROP TRIGGER IF EXISTS case_search_touch_note; DROP VIEW IF EXISTS case_search_touch; "
      "DROP TABLE case_search_pending; DROP TABLE IF EXISTS case_search_mode;");
  sql(undo_13 + "DROP TABLE case_search; DROP VIEW case_search_source;");
  sql(R"sql(
DROP TRIGGER contact_names_insert;
DROP TRIGGER contact_names_delete;
DROP TRIGGER contact_names_update;
DROP TABLE contact_names_pending;
DROP TABLE contact_names;
DROP INDEX contacts_account;
ALTER TABLE alert_rules DROP COLUMN proven_sender;
ALTER TABLE message_ids DROP COLUMN proposal;
ALTER TABLE attachments DROP COLUMN blob_location;
ALTER TABLE mailbox_state DROP COLUMN push_count;
ALTER TABLE mailbox_state DROP COLUMN push_last_notice_at;
ALTER TABLE mailbox_state DROP COLUMN push_last_ms;
ALTER TABLE routing_addresses DROP COLUMN api;
ALTER TABLE routing_addresses DROP COLUMN authserv_ids;
ALTER TABLE raw_messages DROP COLUMN auth_server;
ALTER TABLE raw_messages DROP COLUMN dkim;
ALTER TABLE raw_messages DROP COLUMN spf;
ALTER TABLE raw_messages DROP COLUMN dmarc;
ALTER TABLE raw_messages DROP COLUMN sender_verified;
ALTER TABLE raw_messages DROP COLUMN spam;
ALTER TABLE raw_messages DROP COLUMN spam_score;
ALTER TABLE raw_messages DROP COLUMN spam_detail;
ALTER TABLE comments DROP COLUMN sender_verified;
ALTER TABLE comments DROP COLUMN cc;
DROP TABLE assignment_rules;
DROP TABLE rules_version;
DROP TABLE processes;
ALTER TABLE cases DROP COLUMN process;
ALTER TABLE cases DROP COLUMN stage;
ALTER TABLE routing_addresses DROP COLUMN process;
DROP TABLE console_sessions;
DROP INDEX outbox_state;
DROP TABLE events;
ALTER TABLE outbox DROP COLUMN claimed_by;
DROP TABLE api_tokens;
ALTER TABLE agents DROP COLUMN password_hash;
DROP TABLE mailbox_left;
DROP TABLE idempotency_keys;
DROP TABLE queue_members;
DROP TABLE queues;
ALTER TABLE agents DROP COLUMN notify_new_case;
ALTER TABLE agents DROP COLUMN notify_reply;
ALTER TABLE agents DROP COLUMN notify_assigned;
DELETE FROM schema_version WHERE version >= 10;
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  case_id INTEGER,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT ''
);
INSERT INTO audit (case_id, at, actor, action, detail) VALUES
  (4, '2026-11-20T09:00:00Z', 'email', 'created', 'from ann@acme.example: new mail'),
  (5, '2026-11-20T09:00:30Z', 'email', 'created', 'from olga@other.example: new mail'),
  (4, '2026-11-20T09:01:00Z', 'mailcase', 'no confirmation', 'envelope sender is empty'),
  (4, '2026-11-20T09:02:00Z', 'agent', 'public comment', ''),
  (4, '2026-11-20T09:03:00Z', 'Bob Smith', 'solution proposed', ''),
  (4, '2026-11-20T09:04:00Z', 'customer', 'solution accepted', 'by mail'),
  (4, '2026-11-20T09:05:00Z', 'customer', 'survey', '4 of 5'),
  (4, '2026-11-20T09:06:00Z', 'agent', 'frobnicated', 'odd');
)sql");
  reopen();
  ASSERT_TRUE(store_);
  auto ev = store_->events_of(4);
  ASSERT_TRUE(ev) << ev.error().message;
  ASSERT_EQ(ev->size(), 7u);
  struct Want {
    ActorKind kind;
    std::string actor;
    EventAction action;
    std::map<std::string, std::string> details;
  };
  const std::vector<Want> want{
      {ActorKind::kMail, "email", EventAction::kCreated, {{"text", "from ann@acme.example: new mail"}}},
      {ActorKind::kSystem,
       "mailcase",
       EventAction::kConfirmationSkipped,
       {{"text", "envelope sender is empty"}}},
      {ActorKind::kAgent, "agent", EventAction::kCommented, {}},
      {ActorKind::kAgent, "Bob Smith", EventAction::kSolutionProposed, {}},
      {ActorKind::kCustomer, "customer", EventAction::kAccepted, {{"text", "by mail"}}},
      {ActorKind::kCustomer, "customer", EventAction::kSurveyAnswered, {{"text", "4 of 5"}}},
      {ActorKind::kAgent, "agent", EventAction::kLegacy, {{"action", "frobnicated"}, {"text", "odd"}}},
  };
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ((*ev)[i].actor_kind, want[i].kind);
    EXPECT_EQ((*ev)[i].actor, want[i].actor);
    EXPECT_EQ((*ev)[i].action, want[i].action);
    EXPECT_EQ((*ev)[i].details, want[i].details);
  }
  EXPECT_EQ((*ev)[0].at, "2026-11-20T09:00:00Z");
  EXPECT_EQ((*ev)[6].at, "2026-11-20T09:06:00Z");
  auto five = store_->events_of(5);
  ASSERT_TRUE(five);
  EXPECT_EQ(five->size(), 1u);

  // New events follow the carried ones; nothing writes to the old table any more.
  add({.case_id = 4, .actor_kind = ActorKind::kAgent, .actor = "agent", .action = EventAction::kClosed});
  ev = store_->events_of(4);
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->size(), 8u);
  EXPECT_EQ(ev->back().action, EventAction::kClosed);
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &h), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(h, "SELECT count(*) FROM sqlite_master WHERE name = 'audit'", -1, &st, nullptr),
      SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
}

}  // namespace
}  // namespace mailcase::store
