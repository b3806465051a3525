// The store conformance suite: what every Store backend must do, written only against
// the store::Store interface (store/store.h), never against one backend's schema or SQL.
//
// Each test runs once per backend in kBackends' instantiation below. A PostgreSQL backend
// joins by adding one more INSTANTIATE_TEST_SUITE_P (or one more entry) whose factory
// opens a store on a fresh database tied to `dir` (e.g. a database named after the
// directory, created on first use, dropped with it): calling the factory twice with the
// same directory must open the same data, as the transaction tests open a second Store.
//
// Backend-neutral rules the tests keep: after a write fails inside a transaction the test
// rolls back at once (PostgreSQL refuses every later statement of that transaction); no
// test relies on SQLite's rowids, only on ids the interface returns.
//
// Orders the interface leaves unsaid are pinned here, so that every backend lists alike:
// raw messages, comments, attachments, participants and due outbox mail oldest first;
// cases and the outbox list newest first; addresses, mailboxes and agents by name/email.
//
// The events (audit) trail joins this suite with the step that replaces `audit`.
//
// Case status, comment direction/visibility and outbox state are read and written through
// the small helpers below only, so that a change of their types touches those lines alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::store {
namespace {

struct Backend {
  std::string name;
  // Opens (creating when needed) the backend's store for this test's directory.
  std::function<std::unique_ptr<Store>(const std::filesystem::path& dir)> open;
};

// Names the backend in test output instead of dumping the struct's bytes.
void PrintTo(const Backend& b, std::ostream* os) {
  *os << b.name;
}

std::unique_ptr<Store> open_sqlite_in(const std::filesystem::path& dir) {
  auto s = open_sqlite(dir / "conformance.db");
  if (!s) {
    ADD_FAILURE() << s.error().message;
    return nullptr;
  }
  return std::move(*s);
}

// --- the helpers behind which string states may become enums --------------------------

// The states are typed (domain/model.h); the suite speaks their stored text, so that a
// wrong mapping in a backend shows as a wrong word.
std::string status_of(const Case& c) {
  return to_string(c.status);
}
void set_status(Case& c, const std::string& s) {
  c.status = domain::status_from_string(s).value();
}
std::string direction_of(const Comment& c) {
  return to_string(c.direction);
}
void set_direction(Comment& c, const std::string& d) {
  c.direction = domain::direction_from(d).value();
}
std::string visibility_of(const Comment& c) {
  return to_string(c.visibility);
}
void set_visibility(Comment& c, const std::string& v) {
  c.visibility = domain::visibility_from(v).value();
}
std::string state_of(const OutboxMail& m) {
  return to_string(m.state);
}
void set_state(OutboxMail& m, const std::string& s) {
  m.state = domain::outbox_state_from(s).value();
}

Case make_case(const std::string& subject) {
  Case c;
  c.subject = subject;
  c.description = "description of " + subject;
  set_status(c, "new");
  c.priority = "normal";
  c.queue = "support";
  c.product = "widget";
  c.routing_address = "support@example.com";
  return c;
}

Comment make_comment(Id case_id, const std::string& body, const std::string& direction,
                     const std::string& visibility) {
  Comment c;
  c.case_id = case_id;
  set_direction(c, direction);
  set_visibility(c, visibility);
  c.author = "ann@example.com";
  c.body = body;
  c.quoted = "> earlier";
  return c;
}

OutboxMail make_outbox(std::optional<Id> case_id, const std::string& to, const std::string& message_id,
                       bool automatic, int64_t next_attempt_at) {
  OutboxMail m;
  m.case_id = case_id;
  m.kind = automatic ? "confirmation" : "comment";
  m.to = to;
  m.message_id = message_id;
  m.raw = "Subject: x\r\n\r\nbody " + message_id + "\r\n";
  m.automatic = automatic;
  set_state(m, "queued");
  m.next_attempt_at = next_attempt_at;
  return m;
}

RawMessage make_raw(const std::string& sha) {
  RawMessage m;
  m.sha256 = sha;
  m.size = 1234;
  m.source = "lmtp";
  m.recipients = {"support@example.com", "sales@example.com"};
  m.received_at = "2026-11-23T10:00:00Z";
  return m;
}

Agent make_agent(const std::string& name, const std::string& email) {
  Agent a;
  a.name = name;
  a.email = email;
  return a;
}

class StoreConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    store_ = GetParam().open(dir_.path());
    ASSERT_TRUE(store_);
  }

  // A second store on the same data, as another process would open it.
  std::unique_ptr<Store> reopen() { return GetParam().open(dir_.path()); }

  // Runs f in a transaction that must commit.
  template <typename F>
  void committed(F&& f) {
    auto r = in_transaction(*store_, [&]() -> Status {
      f();
      return {};
    });
    ASSERT_TRUE(r) << r.error().message;
  }

  Case insert_case(const std::string& subject) {
    Case out;
    committed([&] {
      auto c = store_->insert_case(make_case(subject), "CS", 7);
      ASSERT_TRUE(c) << c.error().message;
      out = *c;
    });
    return out;
  }

  // A write that must fail with `code`; the transaction is rolled back at once.
  template <typename F>
  void expect_failure_in_transaction(ErrorCode code, F&& write) {
    auto work = store_->begin_work();
    ASSERT_TRUE(work) << work.error().message;
    auto r = write();
    work->rollback();
    ASSERT_FALSE(r) << "the write succeeded";
    EXPECT_EQ(r.error().code, code) << r.error().message;
  }

  mailcase::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

// --- accounts and contacts -------------------------------------------------------------

TEST_P(StoreConformance, AccountsAreFoundByNameAnyCaseAndByAnyOfTheirEmails) {
  Account a;
  a.name = "Acme Corp";
  a.support_level = "gold";
  a.emails = {"IT@Acme.example", "billing@acme.example"};
  Id id = 0;
  committed([&] {
    auto r = store_->add_account(a);
    ASSERT_TRUE(r) << r.error().message;
    id = *r;
  });
  EXPECT_GT(id, 0);

  auto by_name = store_->find_account_by_name("ACME corp");
  ASSERT_TRUE(by_name && *by_name);
  EXPECT_EQ((*by_name)->id, id);
  EXPECT_EQ((*by_name)->name, "Acme Corp");
  EXPECT_EQ((*by_name)->support_level, "gold");
  ASSERT_EQ((*by_name)->emails.size(), 2u);

  for (const char* email : {"it@ACME.example", "BILLING@acme.example"}) {
    auto by_email = store_->find_account_by_email(email);
    ASSERT_TRUE(by_email && *by_email) << email;
    EXPECT_EQ((*by_email)->id, id) << email;
  }
  auto by_id = store_->get_account(id);
  ASSERT_TRUE(by_id && *by_id);
  EXPECT_EQ((*by_id)->name, "Acme Corp");

  auto none = store_->find_account_by_email("someone@acme.example");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  auto no_name = store_->find_account_by_name("Acme");
  ASSERT_TRUE(no_name);
  EXPECT_FALSE(*no_name);
  auto no_id = store_->get_account(id + 1000);
  ASSERT_TRUE(no_id);
  EXPECT_FALSE(*no_id);
}

TEST_P(StoreConformance, AccountNameAndEmailAreUniqueWhateverTheLetterCase) {
  Account a;
  a.name = "Acme";
  a.emails = {"it@acme.example"};
  committed([&] { ASSERT_TRUE(store_->add_account(a)); });

  Account same_name;
  same_name.name = "ACME";
  expect_failure_in_transaction(ErrorCode::kConflict, [&] { return store_->add_account(same_name); });

  Account same_email;
  same_email.name = "Other";
  same_email.emails = {"IT@Acme.Example"};
  expect_failure_in_transaction(ErrorCode::kConflict, [&] { return store_->add_account(same_email); });

  // The failed attempts left nothing behind.
  auto other = store_->find_account_by_name("Other");
  ASSERT_TRUE(other);
  EXPECT_FALSE(*other);
}

TEST_P(StoreConformance, ContactsAreFoundByAnyOfTheirEmailsWhateverTheLetterCase) {
  Id account = 0;
  Account a;
  a.name = "Acme";
  committed([&] {
    auto r = store_->add_account(a);
    ASSERT_TRUE(r);
    account = *r;
  });
  Contact c;
  c.name = "Ann Smith";
  c.account_id = account;
  c.language = "fr";
  c.emails = {"Ann@Acme.example", "ann.private@mail.example", "a.smith@acme.example"};
  Id id = 0;
  committed([&] {
    auto r = store_->add_contact(c);
    ASSERT_TRUE(r) << r.error().message;
    id = *r;
  });

  for (const char* email : {"ANN@acme.EXAMPLE", "Ann.Private@Mail.Example", "a.smith@acme.example"}) {
    auto found = store_->find_contact_by_email(email);
    ASSERT_TRUE(found && *found) << email;
    EXPECT_EQ((*found)->id, id);
    EXPECT_EQ((*found)->name, "Ann Smith");
    EXPECT_EQ((*found)->account_id, account);
    EXPECT_EQ((*found)->language, "fr");
    EXPECT_EQ((*found)->emails.size(), 3u);
  }
  auto by_id = store_->get_contact(id);
  ASSERT_TRUE(by_id && *by_id);
  EXPECT_EQ((*by_id)->emails.size(), 3u);

  // The full address, never the domain alone.
  auto other = store_->find_contact_by_email("bob@acme.example");
  ASSERT_TRUE(other);
  EXPECT_FALSE(*other);
  auto no_id = store_->get_contact(id + 1000);
  ASSERT_TRUE(no_id);
  EXPECT_FALSE(*no_id);
}

TEST_P(StoreConformance, ContactWithoutAccountKeepsNoAccount) {
  Contact c;
  c.name = "Walk-in";
  c.emails = {"walkin@mail.example"};
  committed([&] { ASSERT_TRUE(store_->add_contact(c)); });
  auto found = store_->find_contact_by_email("walkin@mail.example");
  ASSERT_TRUE(found && *found);
  EXPECT_FALSE((*found)->account_id);
}

TEST_P(StoreConformance, AnEmailBelongsToOneContactOnly) {
  Contact c;
  c.name = "Ann";
  c.emails = {"ann@x.example"};
  committed([&] { ASSERT_TRUE(store_->add_contact(c)); });
  Contact other;
  other.name = "Other";
  other.emails = {"bob@x.example", "ANN@X.example"};
  expect_failure_in_transaction(ErrorCode::kConflict, [&] { return store_->add_contact(other); });

  auto ann = store_->find_contact_by_email("ann@x.example");
  ASSERT_TRUE(ann && *ann);
  EXPECT_EQ((*ann)->name, "Ann");
  // Nothing of the refused contact stayed.
  auto bob = store_->find_contact_by_email("bob@x.example");
  ASSERT_TRUE(bob);
  EXPECT_FALSE(*bob);
}

TEST_P(StoreConformance, UnverifiedContactsAreRemembered) {
  Id id = 0;
  Contact c;
  c.name = "Maybe";
  c.emails = {"maybe@x.example"};
  committed([&] {
    auto r = store_->add_contact(c);
    ASSERT_TRUE(r);
    id = *r;
  });
  auto before = store_->contact_unverified(id);
  ASSERT_TRUE(before);
  EXPECT_FALSE(*before);
  committed([&] {
    ASSERT_TRUE(store_->mark_contact_unverified(id));
    ASSERT_TRUE(store_->mark_contact_unverified(id));  // twice is once
  });
  auto after = store_->contact_unverified(id);
  ASSERT_TRUE(after);
  EXPECT_TRUE(*after);
}

// --- routing addresses -----------------------------------------------------------------

TEST_P(StoreConformance, RoutingAddressPutReplacesAndListIsOrderedByEmail) {
  RoutingAddress sales;
  sales.email = "sales@example.com";
  sales.queue = "sales";
  RoutingAddress support;
  support.email = "Support@Example.com";
  support.queue = "first";
  support.product = "widget";
  support.creates_cases = false;
  support.subject_prefix = "[W]";
  support.unknown_sender = "hold";
  support.priority = "high";
  committed([&] {
    ASSERT_TRUE(store_->put_address(support));
    ASSERT_TRUE(store_->put_address(sales));
  });
  support.email = "support@example.com";
  support.queue = "second";
  committed([&] { ASSERT_TRUE(store_->put_address(support)); });

  auto list = store_->list_addresses();
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].email, "sales@example.com");
  EXPECT_EQ((*list)[1].email, "support@example.com");
  const auto& s = (*list)[1];
  EXPECT_EQ(s.queue, "second");
  EXPECT_EQ(s.product, "widget");
  EXPECT_FALSE(s.creates_cases);
  EXPECT_EQ(s.subject_prefix, "[W]");
  EXPECT_EQ(s.unknown_sender, "hold");
  EXPECT_EQ(s.priority, "high");
  EXPECT_TRUE((*list)[0].creates_cases);
}

// --- raw messages ----------------------------------------------------------------------

TEST_P(StoreConformance, AReceivedRawMessageIsFoundBySha256AndId) {
  RawMessage m = make_raw("aa11");
  m.spool_location = "3:4096";
  Id id = 0;
  committed([&] {
    auto r = store_->insert_raw(m);
    ASSERT_TRUE(r) << r.error().message;
    id = *r;
  });
  auto found = store_->find_copy_by_sha("aa11");
  ASSERT_TRUE(found && *found);
  const RawMessage& f = **found;
  EXPECT_EQ(f.id, id);
  EXPECT_EQ(f.size, 1234u);
  EXPECT_EQ(f.source, "lmtp");
  EXPECT_EQ(f.recipients, m.recipients);
  EXPECT_EQ(f.state, RawState::kReceived);
  EXPECT_EQ(f.received_at, "2026-11-23T10:00:00Z");
  EXPECT_EQ(f.spool_location, "3:4096");
  EXPECT_EQ(f.dedupe_key, "");
  EXPECT_EQ(f.attempts, 0);
  EXPECT_FALSE(f.case_id);
  auto by_id = store_->get_raw(id);
  ASSERT_TRUE(by_id && *by_id);
  EXPECT_EQ((*by_id)->sha256, "aa11");
  auto none = store_->find_copy_by_sha("bb22");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST_P(StoreConformance, RawMessageWithoutReceivedAtGetsTheTimeOfInsert) {
  RawMessage m = make_raw("cc33");
  m.received_at.clear();
  committed([&] { ASSERT_TRUE(store_->insert_raw(m)); });
  auto found = store_->find_copy_by_sha("cc33");
  ASSERT_TRUE(found && *found);
  EXPECT_FALSE((*found)->received_at.empty());
}

// By its bytes, a row is found while it is "received" or once it is a duplicate; a row
// processed, held or failed is found by its dedupe key, which holds its sha256.
TEST_P(StoreConformance, ACopyIsFoundByItsBytesWhileReceivedOrAsADuplicateElseByItsKey) {
  Id id = 0;
  committed([&] {
    auto r = store_->insert_raw(make_raw("copy1"));
    ASSERT_TRUE(r) << r.error().message;
    id = *r;
  });
  auto set_state = [&](RawState state, std::string key) {
    auto row = store_->get_raw(id);
    ASSERT_TRUE(row && *row);
    RawMessage m = **row;
    m.state = state;
    m.dedupe_key = std::move(key);
    committed([&] { ASSERT_TRUE(store_->update_raw(m)); });
  };
  auto by_bytes = [&]() -> std::optional<Id> {
    auto r = store_->find_copy_by_sha("copy1");
    EXPECT_TRUE(r) << r.error().message;
    return r && *r ? std::optional<Id>((*r)->id) : std::nullopt;
  };
  EXPECT_EQ(by_bytes(), id);
  set_state(RawState::kProcessed, "mid:copy1@example.com");
  EXPECT_EQ(by_bytes(), std::nullopt);
  auto keyed = store_->find_raw_by_dedupe_key("mid:copy1@example.com");
  ASSERT_TRUE(keyed && *keyed);
  EXPECT_EQ((*keyed)->id, id);
  EXPECT_EQ((*keyed)->sha256, "copy1");
  set_state(RawState::kDuplicate, "");
  EXPECT_EQ(by_bytes(), id);
  set_state(RawState::kFailed, "sha:copy1");
  EXPECT_EQ(by_bytes(), std::nullopt);
}

TEST_P(StoreConformance, ADedupeKeyIsHeldByOneRowOnly) {
  std::vector<RawMessage> rows;
  committed([&] {
    for (const char* sha : {"k1", "k2"}) {
      RawMessage m = make_raw(sha);
      auto id = store_->insert_raw(m);
      ASSERT_TRUE(id) << id.error().message;
      m.id = *id;
      m.state = RawState::kProcessed;
      m.dedupe_key = "mid:one@example.com";
      rows.push_back(m);
    }
  });
  committed([&] { ASSERT_TRUE(store_->update_raw(rows[0])); });
  expect_failure_in_transaction(ErrorCode::kConflict, [&] { return store_->update_raw(rows[1]); });
}

TEST_P(StoreConformance, KeptBytesComeBackWholeOnlyWhenTheirUnitCommitted) {
  const std::string bytes = std::string("a\0b\r\xff", 5) + std::string(300000, 'x');
  Id kept = 0;
  committed([&] {
    auto id = store_->keep_bytes(bytes);
    ASSERT_TRUE(id) << id.error().message;
    kept = *id;
  });
  auto got = store_->kept_bytes(kept);
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_TRUE(*got);
  EXPECT_EQ(**got, bytes);
  Id dropped = 0;
  {
    auto work = store_->begin_work();
    ASSERT_TRUE(work);
    auto id = store_->keep_bytes("rolled back");
    ASSERT_TRUE(id);
    dropped = *id;
    work->rollback();
  }
  auto gone = store_->kept_bytes(dropped);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
  auto never = store_->kept_bytes(kept + 1000);
  ASSERT_TRUE(never);
  EXPECT_FALSE(*never);
}

TEST_P(StoreConformance, RawMessageUpdateRoundTripsEveryWrittenField) {
  Case c = insert_case("about raw");
  Id id = 0;
  committed([&] {
    auto r = store_->insert_raw(make_raw("ee44"));
    ASSERT_TRUE(r);
    id = *r;
  });
  auto got = store_->get_raw(id);
  ASSERT_TRUE(got && *got);
  RawMessage m = **got;
  m.state = RawState::kProcessed;
  m.outcome = "created";
  m.reason = "new thread";
  m.dedupe_key = "mid:abc@example.com";
  m.message_id = "abc@example.com";
  m.from = "ann@example.com";
  m.subject = "Printer on fire";
  m.case_id = c.id;
  m.attempts = 2;
  committed([&] { ASSERT_TRUE(store_->update_raw(m)); });

  auto back = store_->find_raw_by_dedupe_key("mid:abc@example.com");
  ASSERT_TRUE(back && *back);
  const RawMessage& b = **back;
  EXPECT_EQ(b.id, id);
  EXPECT_EQ(b.state, RawState::kProcessed);
  EXPECT_EQ(b.outcome, "created");
  EXPECT_EQ(b.reason, "new thread");
  EXPECT_EQ(b.message_id, "abc@example.com");
  EXPECT_EQ(b.from, "ann@example.com");
  EXPECT_EQ(b.subject, "Printer on fire");
  EXPECT_EQ(b.case_id, c.id);
  EXPECT_EQ(b.attempts, 2);
  // Fields update_raw does not write are kept.
  EXPECT_EQ(b.sha256, "ee44");
  EXPECT_EQ(b.recipients, make_raw("x").recipients);
  auto none = store_->find_raw_by_dedupe_key("mid:other@example.com");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST_P(StoreConformance, RawMessageDedupeKeyIsUniqueOnceSet) {
  Id a = 0;
  Id b = 0;
  committed([&] {
    auto ra = store_->insert_raw(make_raw("k1"));
    auto rb = store_->insert_raw(make_raw("k2"));
    ASSERT_TRUE(ra && rb);
    a = *ra;
    b = *rb;
  });
  // Unprocessed rows share the empty key without conflict.
  auto all = store_->list_raw({});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 2u);

  auto first = store_->get_raw(a);
  ASSERT_TRUE(first && *first);
  RawMessage m = **first;
  m.dedupe_key = "sha:k";
  committed([&] { ASSERT_TRUE(store_->update_raw(m)); });
  auto second = store_->get_raw(b);
  ASSERT_TRUE(second && *second);
  RawMessage n = **second;
  n.dedupe_key = "sha:k";
  expect_failure_in_transaction(ErrorCode::kConflict, [&] { return store_->update_raw(n); });
}

TEST_P(StoreConformance, RawMessagesListByStateInInsertionOrderWithLimit) {
  std::vector<Id> ids;
  committed([&] {
    for (int i = 0; i < 5; ++i) {
      auto r = store_->insert_raw(make_raw("s" + std::to_string(i)));
      ASSERT_TRUE(r);
      ids.push_back(*r);
    }
  });
  // Rows 1 and 3 are held.
  committed([&] {
    for (size_t i : {size_t{1}, size_t{3}}) {
      auto got = store_->get_raw(ids[i]);
      ASSERT_TRUE(got && *got);
      RawMessage m = **got;
      m.state = RawState::kHeld;
      ASSERT_TRUE(store_->update_raw(m));
    }
  });
  MessageFilter held;
  held.state = RawState::kHeld;
  auto h = store_->list_raw(held);
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].id, ids[1]);
  EXPECT_EQ((*h)[1].id, ids[3]);

  MessageFilter received;
  received.state = RawState::kReceived;
  received.limit = 2;
  auto r = store_->list_raw(received);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].id, ids[0]);
  EXPECT_EQ((*r)[1].id, ids[2]);

  MessageFilter all;
  all.limit = 4;
  auto a = store_->list_raw(all);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->size(), 4u);
  EXPECT_EQ(a->front().id, ids[0]);
  EXPECT_EQ(a->back().id, ids[3]);
}

TEST_P(StoreConformance, RawMessageEnvelopeSenderKeepsUnknownNullAndAddressApart) {
  RawMessage unknown = make_raw("env1");
  RawMessage null_sender = make_raw("env2");
  null_sender.envelope_sender = "";
  RawMessage address = make_raw("env3");
  address.envelope_sender = "bounce@example.com";
  committed([&] {
    ASSERT_TRUE(store_->insert_raw(unknown));
    ASSERT_TRUE(store_->insert_raw(null_sender));
    ASSERT_TRUE(store_->insert_raw(address));
  });
  auto u = store_->find_copy_by_sha("env1");
  auto n = store_->find_copy_by_sha("env2");
  auto a = store_->find_copy_by_sha("env3");
  ASSERT_TRUE(u && *u && n && *n && a && *a);
  EXPECT_EQ((*u)->envelope_sender, std::nullopt);
  EXPECT_EQ((*n)->envelope_sender, std::optional<std::string>(""));
  EXPECT_EQ((*a)->envelope_sender, std::optional<std::string>("bounce@example.com"));

  // An update keeps each of them as it is.
  for (const char* sha : {"env1", "env2", "env3"}) {
    auto got = store_->find_copy_by_sha(sha);
    ASSERT_TRUE(got && *got);
    RawMessage m = **got;
    m.state = RawState::kProcessed;
    committed([&] { ASSERT_TRUE(store_->update_raw(m)); });
    auto back = store_->get_raw(m.id);
    ASSERT_TRUE(back && *back);
    EXPECT_EQ((*back)->envelope_sender, m.envelope_sender) << sha;
  }
}

// --- cases -----------------------------------------------------------------------------

TEST_P(StoreConformance, InsertCaseAssignsIdAndNumberFromPrefixAndDigits) {
  Case first = insert_case("first");
  Case second = insert_case("second");
  EXPECT_GT(first.id, 0);
  EXPECT_GT(second.id, first.id);
  EXPECT_EQ(first.number,
            "CS" + std::string(7 - std::to_string(first.id).size(), '0') + std::to_string(first.id));
  EXPECT_EQ(second.number,
            "CS" + std::string(7 - std::to_string(second.id).size(), '0') + std::to_string(second.id));
  EXPECT_FALSE(first.created_at.empty());
  EXPECT_FALSE(first.updated_at.empty());

  // An id longer than the digits is written whole, never cut.
  std::vector<Case> made;
  committed([&] {
    for (int i = 0; i < 12; ++i) {
      auto c = store_->insert_case(make_case("short"), "T-", 1);
      ASSERT_TRUE(c);
      made.push_back(*c);
    }
  });
  for (const auto& c : made) EXPECT_EQ(c.number, "T-" + std::to_string(c.id));
}

TEST_P(StoreConformance, CaseIsFoundByIdAndNumber) {
  Case c = make_case("Printer on fire");
  c.owner = "bob@example.com";
  c.origin = "web";
  Case made;
  committed([&] {
    auto r = store_->insert_case(c, "INC", 5);
    ASSERT_TRUE(r) << r.error().message;
    made = *r;
  });
  auto by_id = store_->get_case(made.id);
  ASSERT_TRUE(by_id && *by_id);
  const Case& g = **by_id;
  EXPECT_EQ(g.number, made.number);
  EXPECT_EQ(g.subject, "Printer on fire");
  EXPECT_EQ(g.description, "description of Printer on fire");
  EXPECT_EQ(status_of(g), "new");
  EXPECT_EQ(g.priority, "normal");
  EXPECT_EQ(g.queue, "support");
  EXPECT_EQ(g.product, "widget");
  EXPECT_EQ(g.origin, "web");
  EXPECT_EQ(g.owner, "bob@example.com");
  EXPECT_EQ(g.routing_address, "support@example.com");
  EXPECT_EQ(g.created_at, made.created_at);

  auto by_number = store_->find_case_by_number(made.number);
  ASSERT_TRUE(by_number && *by_number);
  EXPECT_EQ((*by_number)->id, made.id);
  auto none = store_->find_case_by_number("INC99999");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  auto no_id = store_->get_case(made.id + 1000);
  ASSERT_TRUE(no_id);
  EXPECT_FALSE(*no_id);
}

TEST_P(StoreConformance, CaseUpdateRoundTripsEveryWrittenField) {
  Id account = 0;
  Id contact = 0;
  committed([&] {
    Account a;
    a.name = "Acme";
    auto ra = store_->add_account(a);
    ASSERT_TRUE(ra);
    account = *ra;
    Contact ct;
    ct.name = "Ann";
    ct.emails = {"ann@acme.example"};
    auto rc = store_->add_contact(ct);
    ASSERT_TRUE(rc);
    contact = *rc;
  });
  Case c = insert_case("before");
  c.subject = "after";
  c.description = "new description";
  set_status(c, "open");
  c.priority = "high";
  c.queue = "second-line";
  c.product = "gadget";
  c.owner = "bob@example.com";
  c.contact_id = contact;
  c.account_id = account;
  committed([&] { ASSERT_TRUE(store_->update_case(c)); });

  auto back = store_->get_case(c.id);
  ASSERT_TRUE(back && *back);
  const Case& b = **back;
  EXPECT_EQ(b.subject, "after");
  EXPECT_EQ(b.description, "new description");
  EXPECT_EQ(status_of(b), "open");
  EXPECT_EQ(b.priority, "high");
  EXPECT_EQ(b.queue, "second-line");
  EXPECT_EQ(b.product, "gadget");
  EXPECT_EQ(b.owner, "bob@example.com");
  EXPECT_EQ(b.contact_id, contact);
  EXPECT_EQ(b.account_id, account);
  EXPECT_EQ(b.number, c.number);
  EXPECT_FALSE(b.updated_at.empty());

  // Clearing the links writes them back as none.
  c.contact_id.reset();
  c.account_id.reset();
  committed([&] { ASSERT_TRUE(store_->update_case(c)); });
  auto cleared = store_->get_case(c.id);
  ASSERT_TRUE(cleared && *cleared);
  EXPECT_FALSE((*cleared)->contact_id);
  EXPECT_FALSE((*cleared)->account_id);
}

TEST_P(StoreConformance, CaseListIsNewestFirstWithLimitAndJoinsContactAndAccount) {
  Id account = 0;
  Id contact = 0;
  committed([&] {
    Account a;
    a.name = "Acme";
    a.support_level = "gold";
    a.emails = {"it@acme.example", "ops@acme.example"};
    auto ra = store_->add_account(a);
    ASSERT_TRUE(ra);
    account = *ra;
    Contact ct;
    ct.name = "Ann";
    ct.account_id = account;
    ct.language = "pl";
    ct.emails = {"ann@acme.example", "ann@home.example"};
    auto rc = store_->add_contact(ct);
    ASSERT_TRUE(rc);
    contact = *rc;
  });
  Case oldest = insert_case("oldest");
  Case linked = make_case("linked");
  linked.contact_id = contact;
  linked.account_id = account;
  committed([&] {
    auto r = store_->insert_case(linked, "CS", 7);
    ASSERT_TRUE(r);
    linked = *r;
  });
  Case newest = insert_case("newest");

  auto all = store_->list_cases(10);
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].c.id, newest.id);
  EXPECT_EQ((*all)[1].c.id, linked.id);
  EXPECT_EQ((*all)[2].c.id, oldest.id);
  EXPECT_FALSE((*all)[0].contact);
  EXPECT_FALSE((*all)[0].account);

  const CaseSummary& s = (*all)[1];
  EXPECT_EQ(s.c.subject, "linked");
  ASSERT_TRUE(s.contact);
  EXPECT_EQ(s.contact->id, contact);
  EXPECT_EQ(s.contact->name, "Ann");
  EXPECT_EQ(s.contact->language, "pl");
  EXPECT_EQ(s.contact->account_id, account);
  EXPECT_EQ(s.contact->emails, (std::vector<std::string>{"ann@acme.example", "ann@home.example"}));
  ASSERT_TRUE(s.account);
  EXPECT_EQ(s.account->id, account);
  EXPECT_EQ(s.account->name, "Acme");
  EXPECT_EQ(s.account->support_level, "gold");
  EXPECT_EQ(s.account->emails, (std::vector<std::string>{"it@acme.example", "ops@acme.example"}));

  auto two = store_->list_cases(2);
  ASSERT_TRUE(two);
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0].c.id, newest.id);
  EXPECT_EQ((*two)[1].c.id, linked.id);
}

// --- Message-IDs -----------------------------------------------------------------------

TEST_P(StoreConformance, MessageIdsAreIdempotentAndListedInOrderByDirection) {
  Case c = insert_case("thread");
  Case other = insert_case("other thread");
  committed([&] {
    ASSERT_TRUE(store_->add_message_id("in1@example.com", c.id, "inbound"));
    ASSERT_TRUE(store_->add_message_id("out1@mailcase.example", c.id, "outbound"));
    ASSERT_TRUE(store_->add_message_id("in2@example.com", c.id, "inbound"));
    ASSERT_TRUE(store_->add_message_id("in1@example.com", c.id, "inbound"));  // again: no change
    ASSERT_TRUE(store_->add_message_id("elsewhere@example.com", other.id, "inbound"));
  });

  auto all = store_->message_ids_of(c.id, "");
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, (std::vector<std::string>{"in1@example.com", "out1@mailcase.example", "in2@example.com"}));
  auto inbound = store_->message_ids_of(c.id, "inbound");
  ASSERT_TRUE(inbound);
  EXPECT_EQ(*inbound, (std::vector<std::string>{"in1@example.com", "in2@example.com"}));
  auto outbound = store_->message_ids_of(c.id, "outbound");
  ASSERT_TRUE(outbound);
  EXPECT_EQ(*outbound, (std::vector<std::string>{"out1@mailcase.example"}));

  auto owner = store_->case_of_message_id("out1@mailcase.example");
  ASSERT_TRUE(owner && *owner);
  EXPECT_EQ(**owner, c.id);
  auto elsewhere = store_->case_of_message_id("elsewhere@example.com");
  ASSERT_TRUE(elsewhere && *elsewhere);
  EXPECT_EQ(**elsewhere, other.id);
  auto unknown = store_->case_of_message_id("never@example.com");
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown);
}

// What our next mail answers and refers to: the latest few, oldest first; the
// conversation leaves out the mails kept as internal notes; a solution mail names its
// proposal.
TEST_P(StoreConformance, TheLatestMessageIdsOfADirectionOrOfTheConversation) {
  Case c = insert_case("thread");
  Case other = insert_case("other thread");
  committed([&] {
    ASSERT_TRUE(store_->add_message_id("in1@example.com", c.id, "inbound"));
    ASSERT_TRUE(store_->add_solution_message_id("sol1@mailcase.example", c.id, 42));
    ASSERT_TRUE(store_->add_message_id("note@stranger.example", c.id, "internal"));
    ASSERT_TRUE(store_->add_message_id("in2@example.com", c.id, "inbound"));
    ASSERT_TRUE(store_->add_message_id("out2@mailcase.example", c.id, "outbound"));
    ASSERT_TRUE(store_->add_message_id("elsewhere@example.com", other.id, "inbound"));
  });
  using Ids = std::vector<std::string>;
  auto latest = [&](std::string_view direction, int64_t limit) {
    auto r = store_->latest_message_ids(c.id, direction, limit);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : Ids{};
  };
  EXPECT_EQ(latest("inbound", 1), Ids{"in2@example.com"});
  EXPECT_EQ(latest("inbound", 10), (Ids{"in1@example.com", "in2@example.com"}));
  EXPECT_EQ(latest("conversation", 3),
            (Ids{"sol1@mailcase.example", "in2@example.com", "out2@mailcase.example"}));
  EXPECT_EQ(latest("conversation", 10),
            (Ids{"in1@example.com", "sol1@mailcase.example", "in2@example.com", "out2@mailcase.example"}));
  EXPECT_EQ(latest("internal", 10), Ids{"note@stranger.example"});
  auto ref = store_->find_message_id("sol1@mailcase.example");
  ASSERT_TRUE(ref && *ref);
  EXPECT_EQ((*ref)->case_id, c.id);
  EXPECT_EQ((*ref)->proposal, 42);
  ref = store_->find_message_id("in1@example.com");
  ASSERT_TRUE(ref && *ref);
  EXPECT_EQ((*ref)->proposal, 0);
  ref = store_->find_message_id("never@example.com");
  ASSERT_TRUE(ref);
  EXPECT_FALSE(*ref);
}

TEST_P(StoreConformance, MessageIdKeepsTheFirstCaseItWasAddedTo) {
  Case first = insert_case("first");
  Case second = insert_case("second");
  committed([&] {
    ASSERT_TRUE(store_->add_message_id("shared@example.com", first.id, "inbound"));
    ASSERT_TRUE(store_->add_message_id("shared@example.com", second.id, "inbound"));
  });
  auto owner = store_->case_of_message_id("shared@example.com");
  ASSERT_TRUE(owner && *owner);
  EXPECT_EQ(**owner, first.id);
  auto of_second = store_->message_ids_of(second.id, "");
  ASSERT_TRUE(of_second);
  EXPECT_TRUE(of_second->empty());
}

// --- comments and attachments ----------------------------------------------------------

TEST_P(StoreConformance, CommentsRoundTripInIdOrderPerCase) {
  Case c = insert_case("talk");
  Case other = insert_case("other");
  Id raw = 0;
  std::vector<Id> ids;
  committed([&] {
    auto r = store_->insert_raw(make_raw("c1"));
    ASSERT_TRUE(r);
    raw = *r;
    Comment in = make_comment(c.id, "hello", "inbound", "public");
    in.raw_message_id = raw;
    in.created_at = "2026-11-23T10:00:00Z";
    for (const Comment& cm : {in, make_comment(c.id, "looking", "note", "internal"),
                              make_comment(other.id, "elsewhere", "inbound", "public"),
                              make_comment(c.id, "fixed", "outbound", "public")}) {
      auto id = store_->add_comment(cm);
      ASSERT_TRUE(id) << id.error().message;
      ids.push_back(*id);
    }
  });
  auto list = store_->comments_of(c.id);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].id, ids[0]);
  EXPECT_EQ((*list)[1].id, ids[1]);
  EXPECT_EQ((*list)[2].id, ids[3]);
  const Comment& first = (*list)[0];
  EXPECT_EQ(first.case_id, c.id);
  EXPECT_EQ(direction_of(first), "inbound");
  EXPECT_EQ(visibility_of(first), "public");
  EXPECT_EQ(first.author, "ann@example.com");
  EXPECT_EQ(first.body, "hello");
  EXPECT_EQ(first.quoted, "> earlier");
  EXPECT_EQ(first.raw_message_id, raw);
  EXPECT_EQ(first.created_at, "2026-11-23T10:00:00Z");
  EXPECT_EQ(direction_of((*list)[1]), "note");
  EXPECT_EQ(visibility_of((*list)[1]), "internal");
  EXPECT_FALSE((*list)[1].raw_message_id);
  EXPECT_FALSE((*list)[1].created_at.empty());  // given the time of insert
  EXPECT_EQ(direction_of((*list)[2]), "outbound");

  auto none = store_->comments_of(c.id + 1000);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());

  // What came after a comment a page has: the case's later comments only, oldest first.
  auto after_first = store_->comments_after(c.id, ids[0]);
  ASSERT_TRUE(after_first);
  ASSERT_EQ(after_first->size(), 2u);
  EXPECT_EQ((*after_first)[0].id, ids[1]);
  EXPECT_EQ((*after_first)[1].id, ids[3]);
  EXPECT_EQ((*after_first)[1].body, "fixed");
  auto after_last = store_->comments_after(c.id, ids[3]);
  ASSERT_TRUE(after_last);
  EXPECT_TRUE(after_last->empty()) << "the other case's later comment is not this case's";
  auto all = store_->comments_after(c.id, 0);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 3u);
}

TEST_P(StoreConformance, AttachmentsRoundTripInIdOrderPerCase) {
  Case c = insert_case("files");
  Case other = insert_case("other");
  Id comment = 0;
  std::vector<Id> ids;
  committed([&] {
    auto cm = store_->add_comment(make_comment(c.id, "see attached", "inbound", "public"));
    ASSERT_TRUE(cm);
    comment = *cm;
    Attachment logo;
    logo.case_id = c.id;
    logo.comment_id = comment;
    logo.filename = "logo.png";
    logo.content_type = "image/png";
    logo.size = 4096;
    logo.sha256 = "ff00";
    logo.content_id = "logo@x";
    logo.is_inline = true;
    Attachment elsewhere;
    elsewhere.case_id = other.id;
    elsewhere.filename = "other.txt";
    Attachment report;
    report.case_id = c.id;
    report.filename = "report.pdf";
    report.content_type = "application/pdf";
    report.size = 1;
    report.sha256 = "ee00";
    for (const Attachment& a : {logo, elsewhere, report}) {
      auto id = store_->add_attachment(a);
      ASSERT_TRUE(id) << id.error().message;
      ids.push_back(*id);
    }
  });
  auto list = store_->attachments_of(c.id);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  const Attachment& a = (*list)[0];
  EXPECT_EQ(a.id, ids[0]);
  EXPECT_EQ(a.case_id, c.id);
  EXPECT_EQ(a.comment_id, comment);
  EXPECT_EQ(a.filename, "logo.png");
  EXPECT_EQ(a.content_type, "image/png");
  EXPECT_EQ(a.size, 4096u);
  EXPECT_EQ(a.sha256, "ff00");
  EXPECT_EQ(a.content_id, "logo@x");
  EXPECT_TRUE(a.is_inline);
  const Attachment& b = (*list)[1];
  EXPECT_EQ(b.id, ids[2]);
  EXPECT_EQ(b.filename, "report.pdf");
  EXPECT_FALSE(b.comment_id);
  EXPECT_FALSE(b.is_inline);
}

// --- participants ----------------------------------------------------------------------

TEST_P(StoreConformance, ParticipantsAreNormalizedIdempotentAndFoundAnyCase) {
  Case c = insert_case("many people");
  Case other = insert_case("other");
  committed([&] {
    ASSERT_TRUE(store_->add_participant(c.id, "Carol@Example.com", "mail"));
    ASSERT_TRUE(store_->add_participant(c.id, "dave@example.com", "agent"));
    ASSERT_TRUE(store_->add_participant(c.id, "CAROL@example.COM", "agent"));  // already there
  });
  auto list = store_->participants_of(c.id);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].email, "carol@example.com");
  EXPECT_EQ((*list)[0].source, "mail");
  EXPECT_EQ((*list)[0].case_id, c.id);
  EXPECT_FALSE((*list)[0].added_at.empty());
  EXPECT_EQ((*list)[1].email, "dave@example.com");
  EXPECT_EQ((*list)[1].source, "agent");

  auto yes = store_->is_participant(c.id, "cArOl@EXAMPLE.com");
  ASSERT_TRUE(yes);
  EXPECT_TRUE(*yes);
  auto other_case = store_->is_participant(other.id, "carol@example.com");
  ASSERT_TRUE(other_case);
  EXPECT_FALSE(*other_case);
  auto stranger = store_->is_participant(c.id, "eve@example.com");
  ASSERT_TRUE(stranger);
  EXPECT_FALSE(*stranger);
}

// --- mailboxes -------------------------------------------------------------------------

TEST_P(StoreConformance, MailboxesAreAddedOnceListedByNameAndRemoved) {
  Mailbox imap;
  imap.name = "support";
  imap.host = "imap.example.com";
  imap.port = 993;
  imap.user = "support";
  imap.password_file = "/etc/mailcase/support.pw";
  imap.folder = "Cases";
  imap.poll_interval_s = 30;
  imap.idle = false;
  imap.after = {domain::AfterAction::kMove, "Done"};
  imap.address = "support@example.com";
  imap.ca_file = "/etc/ssl/ca.pem";
  imap.tls_verify = false;
  imap.auth = domain::AuthMethod::kXOAuth2;
  imap.token_command = "get-token support";
  imap.allow_plaintext_auth = true;
  imap.tls = domain::TlsMode::kStartTls;
  Mailbox pop;
  pop.name = "archive";
  pop.protocol = domain::Protocol::kPop3;
  pop.host = "pop.example.com";
  pop.port = 995;
  pop.after = {domain::AfterAction::kKeep, {}};
  committed([&] {
    ASSERT_TRUE(store_->add_mailbox(imap));
    ASSERT_TRUE(store_->add_mailbox(pop));
  });
  expect_failure_in_transaction(ErrorCode::kConflict, [&] { return store_->add_mailbox(imap); });

  auto list = store_->list_mailboxes();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "archive");
  EXPECT_EQ((*list)[0].protocol, domain::Protocol::kPop3);
  EXPECT_EQ((*list)[0].after.action, domain::AfterAction::kKeep);
  const Mailbox& m = (*list)[1];
  EXPECT_EQ(m.name, "support");
  EXPECT_EQ(m.protocol, domain::Protocol::kImap);
  EXPECT_EQ(m.host, "imap.example.com");
  EXPECT_EQ(m.port, 993);
  EXPECT_EQ(m.tls, domain::TlsMode::kStartTls);
  EXPECT_EQ(m.user, "support");
  EXPECT_EQ(m.password_file, "/etc/mailcase/support.pw");
  EXPECT_EQ(m.folder, "Cases");
  EXPECT_EQ(m.poll_interval_s, 30);
  EXPECT_FALSE(m.idle);
  EXPECT_EQ(m.after, (domain::AfterFetch{domain::AfterAction::kMove, "Done"}));
  EXPECT_EQ(m.address, "support@example.com");
  EXPECT_EQ(m.ca_file, "/etc/ssl/ca.pem");
  EXPECT_FALSE(m.tls_verify);
  EXPECT_EQ(m.auth, domain::AuthMethod::kXOAuth2);
  EXPECT_EQ(m.token_command, "get-token support");
  EXPECT_TRUE(m.allow_plaintext_auth);

  committed([&] { ASSERT_TRUE(store_->remove_mailbox("archive")); });
  auto after = store_->list_mailboxes();
  ASSERT_TRUE(after);
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].name, "support");
  expect_failure_in_transaction(ErrorCode::kNotFound, [&] { return store_->remove_mailbox("archive"); });
}

TEST_P(StoreConformance, MailboxStateRoundTripsAndStartsAsNotStarted) {
  auto fresh = store_->mailbox_state("support");
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->name, "support");
  EXPECT_EQ(fresh->status, MailboxState{}.status);
  EXPECT_EQ(fresh->last_uid, 0);

  MailboxState s;
  s.name = "support";
  s.status = "idle";
  s.last_success = "2026-11-23T10:00:00Z";
  s.last_error = "";
  s.backlog = 7;
  s.uidvalidity = 1700000000;
  s.last_uid = 42;
  committed([&] { ASSERT_TRUE(store_->put_mailbox_state(s)); });
  s.status = "error: login refused";
  s.last_error = "login refused";
  s.last_uid = 43;
  committed([&] { ASSERT_TRUE(store_->put_mailbox_state(s)); });

  auto back = store_->mailbox_state("support");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, "error: login refused");
  EXPECT_EQ(back->last_success, "2026-11-23T10:00:00Z");
  EXPECT_EQ(back->last_error, "login refused");
  EXPECT_EQ(back->backlog, 7);
  EXPECT_EQ(back->uidvalidity, 1700000000);
  EXPECT_EQ(back->last_uid, 43);
}

TEST_P(StoreConformance, RemovingAMailboxForgetsItsStateAndSeenUidls) {
  Mailbox m;
  m.name = "pop";
  m.protocol = domain::Protocol::kPop3;
  MailboxState s;
  s.name = "pop";
  s.status = "polling";
  s.last_uid = 9;
  committed([&] {
    ASSERT_TRUE(store_->add_mailbox(m));
    ASSERT_TRUE(store_->put_mailbox_state(s));
    ASSERT_TRUE(store_->add_pop3_seen("pop", "uidl-1"));
  });
  committed([&] { ASSERT_TRUE(store_->remove_mailbox("pop")); });
  // Added again under the same name, it starts afresh.
  committed([&] { ASSERT_TRUE(store_->add_mailbox(m)); });
  auto state = store_->mailbox_state("pop");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->status, MailboxState{}.status);
  EXPECT_EQ(state->last_uid, 0);
  auto seen = store_->pop3_seen("pop", "uidl-1");
  ASSERT_TRUE(seen);
  EXPECT_FALSE(*seen);
}

TEST_P(StoreConformance, Pop3SeenIsPerMailboxAndIdempotent) {
  committed([&] {
    ASSERT_TRUE(store_->add_pop3_seen("a", "uidl-1"));
    ASSERT_TRUE(store_->add_pop3_seen("a", "uidl-1"));
  });
  auto seen = store_->pop3_seen("a", "uidl-1");
  ASSERT_TRUE(seen);
  EXPECT_TRUE(*seen);
  auto other_uidl = store_->pop3_seen("a", "uidl-2");
  ASSERT_TRUE(other_uidl);
  EXPECT_FALSE(*other_uidl);
  auto other_mailbox = store_->pop3_seen("b", "uidl-1");
  ASSERT_TRUE(other_mailbox);
  EXPECT_FALSE(*other_mailbox);
}

// --- outbox ----------------------------------------------------------------------------

TEST_P(StoreConformance, ClaimingDueMailTakesItUntilItsLeaseRunsOut) {
  Case c = insert_case("claims");
  committed([&] {
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE(store_->add_outbox(make_outbox(c.id, "a" + std::to_string(i) + "@example.com",
                                                 "c" + std::to_string(i) + "@mc", false, 100)));
  });
  auto first = store_->claim_due("host-a:1:1", 100, 2, 600);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->size(), 2u);
  EXPECT_LT((*first)[0].id, (*first)[1].id);  // oldest first
  EXPECT_EQ((*first)[0].next_attempt_at, 700);
  EXPECT_EQ((*first)[0].claimed_by, "host-a:1:1");
  // The claimed rows are nobody else's to take now; the third one is.
  auto second = store_->claim_due("host-b:2:2", 100, 10, 600);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ(store_->claim_due("host-b:2:2", 699, 10, 600)->size(), 0u);
  // A claimant that died: its rows come due again when the lease runs out.
  auto again = store_->claim_due("host-b:2:2", 700, 10, 600);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->size(), 3u);
}

// Senders working side by side never send a case's mail to an address before the mail to
// it queued earlier: of those, only the earliest still queued may be taken, whether it is
// being sent or waits to be tried again. Other addresses and other cases go on meanwhile.
TEST_P(StoreConformance, ACasesMailsToOneAddressAreClaimedInTheOrderQueued) {
  Case c = insert_case("conversation");
  Case d = insert_case("another");
  committed([&] {
    ASSERT_TRUE(store_->add_outbox(make_outbox(c.id, "ann@example.com", "o1@mc", false, 100)));
    ASSERT_TRUE(store_->add_outbox(make_outbox(c.id, "ANN@example.com", "o2@mc", false, 100)));
    ASSERT_TRUE(store_->add_outbox(make_outbox(c.id, "bob@example.com", "o3@mc", false, 100)));
    ASSERT_TRUE(store_->add_outbox(make_outbox(d.id, "ann@example.com", "o4@mc", false, 100)));
    ASSERT_TRUE(store_->add_outbox(make_outbox(std::nullopt, "ann@example.com", "o5@mc", false, 100)));
  });
  auto ids = [](const std::vector<OutboxMail>& rows) {
    std::string out;
    for (const auto& m : rows) out += m.message_id + " ";
    return out;
  };
  auto first = store_->claim_due("a:1:1", 100, 10, 600);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(ids(*first), "o1@mc o3@mc o4@mc o5@mc ") << "o2 follows o1, still being sent";
  EXPECT_EQ(store_->claim_due("b:2:2", 100, 10, 600)->size(), 0u);
  for (size_t i = 1; i < first->size(); ++i) {
    OutboxMail sent = (*first)[i];
    set_state(sent, "sent");
    committed([&] { ASSERT_TRUE(store_->update_outbox(sent)); });
  }
  // o1 fails for now and waits to be tried again: o2 still waits behind it.
  OutboxMail o1 = first->front();
  o1.attempts = 1;
  o1.next_attempt_at = 5000;
  committed([&] { ASSERT_TRUE(store_->update_outbox(o1)); });
  EXPECT_EQ(store_->claim_due("b:2:2", 200, 10, 600)->size(), 0u);
  auto retried = store_->claim_due("b:2:2", 5000, 10, 600);
  ASSERT_TRUE(retried);
  EXPECT_EQ(ids(*retried), "o1@mc ");
  o1 = retried->front();
  set_state(o1, "sent");
  committed([&] { ASSERT_TRUE(store_->update_outbox(o1)); });
  auto next = store_->claim_due("b:2:2", 5000, 10, 600);
  ASSERT_TRUE(next);
  EXPECT_EQ(ids(*next), "o2@mc ") << "once o1 is sent";
}

// Who took a row is kept with it, for whoever reads the outbox later; a row never taken
// names nobody, and settling a row keeps the name of the worker that sent it.
TEST_P(StoreConformance, AClaimedRowNamesTheWorkerThatTookIt) {
  Case c = insert_case("claimants");
  committed([&] {
    ASSERT_TRUE(store_->add_outbox(make_outbox(c.id, "a@example.com", "n1@mc", false, 100)));
    ASSERT_TRUE(store_->add_outbox(make_outbox(c.id, "b@example.com", "n2@mc", false, 100)));
  });
  auto untouched = store_->find_outbox_by_message_id("n2@mc");
  ASSERT_TRUE(untouched && *untouched);
  EXPECT_EQ((*untouched)->claimed_by, "");

  auto work = store_->open_unit(Access::kWrite);
  ASSERT_TRUE(work) << work.error().message;
  auto taken = work->outbox().claim_due("mail1.example:4242:17", 100, 1, 600);
  ASSERT_TRUE(taken) << taken.error().message;
  ASSERT_EQ(taken->size(), 1u);
  ASSERT_TRUE(work->commit());

  auto listed = store_->list_outbox(c.id, 10);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[1].message_id, "n1@mc");  // newest first
  EXPECT_EQ((*listed)[1].claimed_by, "mail1.example:4242:17");
  EXPECT_EQ((*listed)[0].claimed_by, "");

  OutboxMail sent = taken->front();
  set_state(sent, "sent");
  sent.sent_at = "2026-11-23T10:00:00Z";
  committed([&] { ASSERT_TRUE(store_->update_outbox(sent)); });
  auto after = store_->find_outbox_by_message_id("n1@mc");
  ASSERT_TRUE(after && *after);
  EXPECT_EQ(state_of(**after), "sent");
  EXPECT_EQ((*after)->claimed_by, "mail1.example:4242:17");
}

TEST_P(StoreConformance, TwoWorkersNeverClaimTheSameMail) {
  Case c = insert_case("two workers");
  constexpr int kMails = 200;
  committed([&] {
    for (int i = 0; i < kMails; ++i)
      ASSERT_TRUE(store_->add_outbox(make_outbox(c.id, "a" + std::to_string(i) + "@example.com",
                                                 "w" + std::to_string(i) + "@mc", false, 100)));
  });
  auto other = reopen();
  std::vector<Id> taken[2];
  auto worker = [&](Store& st, std::vector<Id>& out) {
    while (true) {
      auto rows = st.claim_due(&st == store_.get() ? "a:1:1" : "b:2:2", 100, 7, 600);
      if (!rows) continue;  // the other worker held the lock past the busy timeout: try again
      if (rows->empty()) return;
      for (const auto& m : *rows) out.push_back(m.id);
    }
  };
  std::thread a([&] { worker(*store_, taken[0]); });
  std::thread b([&] { worker(*other, taken[1]); });
  a.join();
  b.join();
  std::set<Id> all(taken[0].begin(), taken[0].end());
  for (Id id : taken[1]) EXPECT_TRUE(all.insert(id).second) << "mail " << id << " was claimed twice";
  EXPECT_EQ(all.size(), static_cast<size_t>(kMails));
  // Each row names the worker that took it.
  auto rows = store_->list_outbox(c.id, kMails);
  ASSERT_TRUE(rows);
  const std::set<Id> by_a(taken[0].begin(), taken[0].end());
  for (const auto& m : *rows) EXPECT_EQ(m.claimed_by, by_a.count(m.id) ? "a:1:1" : "b:2:2") << m.id;
}

// As serve runs its outbox beside the other threads of one store: two threads, each
// claiming through units of work of its own, never take the same row.
TEST_P(StoreConformance, TwoWorkersOnUnitsOfOneStoreNeverClaimTheSameMail) {
  Case c = insert_case("two threads");
  constexpr int kMails = 120;
  committed([&] {
    for (int i = 0; i < kMails; ++i)
      ASSERT_TRUE(store_->add_outbox(make_outbox(c.id, "a" + std::to_string(i) + "@example.com",
                                                 "u" + std::to_string(i) + "@mc", false, 100)));
  });
  std::vector<Id> taken[2];
  std::string errors[2];
  auto worker = [&](int w) {
    const std::string name = "host:1:" + std::to_string(w);
    for (int attempts = 0; attempts < 10 * kMails; ++attempts) {
      auto work = store_->open_unit(Access::kWrite);
      if (!work) {
        errors[w] = work.error().message;
        continue;  // the write lock stayed busy past the timeout: try again
      }
      auto rows = work->outbox().claim_due(name, 100, 3, 600);
      if (!rows) {
        errors[w] = rows.error().message;
        continue;
      }
      if (auto s = work->commit(); !s) {
        errors[w] = s.error().message;
        continue;
      }
      if (rows->empty()) return;
      for (const auto& m : *rows) taken[w].push_back(m.id);
    }
  };
  std::thread a(worker, 0);
  std::thread b(worker, 1);
  a.join();
  b.join();
  std::set<Id> all(taken[0].begin(), taken[0].end());
  for (Id id : taken[1]) EXPECT_TRUE(all.insert(id).second) << "mail " << id << " was claimed twice";
  EXPECT_EQ(all.size(), static_cast<size_t>(kMails)) << errors[0] << " / " << errors[1];
}

TEST_P(StoreConformance, OutboxClaimTakesQueuedRowsAtOrBeforeNowOldestFirst) {
  Case c = insert_case("replies");
  std::vector<Id> ids;
  committed([&] {
    for (const auto& m : {make_outbox(c.id, "a@example.com", "m1@mc", true, 100),
                          make_outbox(c.id, "b@example.com", "m2@mc", false, 300),
                          make_outbox(std::nullopt, "c@example.com", "m3@mc", false, 50),
                          make_outbox(c.id, "d@example.com", "m4@mc", false, 200)}) {
      auto id = store_->add_outbox(m);
      ASSERT_TRUE(id) << id.error().message;
      ids.push_back(*id);
    }
  });
  // m4 was sent already: never due again.
  auto m4 = store_->find_outbox_by_message_id("m4@mc");
  ASSERT_TRUE(m4 && *m4);
  OutboxMail sent = **m4;
  set_state(sent, "sent");
  sent.sent_at = "2026-11-23T10:00:00Z";
  committed([&] { ASSERT_TRUE(store_->update_outbox(sent)); });

  auto nothing = store_->claim_due("a:1:1", 49, 10, 600);
  ASSERT_TRUE(nothing);
  EXPECT_TRUE(nothing->empty());
  auto due = store_->claim_due("a:1:1", 200, 10, 600);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].id, ids[0]);
  EXPECT_EQ((*due)[1].id, ids[2]);
  // Their leases end at 800: by then m2 (due at 300) is the oldest not taken; at 1000 the
  // first again.
  auto next = store_->claim_due("a:1:1", 700, 1, 600);
  ASSERT_TRUE(next);
  ASSERT_EQ(next->size(), 1u);
  EXPECT_EQ((*next)[0].id, ids[1]);
  auto limited = store_->claim_due("a:1:1", 1000, 1, 600);
  ASSERT_TRUE(limited);
  ASSERT_EQ(limited->size(), 1u);
  EXPECT_EQ((*limited)[0].id, ids[0]);
}

TEST_P(StoreConformance, OutboxUpdateRoundTripsAndIsFoundByMessageId) {
  Case c = insert_case("reply");
  OutboxMail m = make_outbox(c.id, "Ann@Example.com", "reply-1@mailcase.example", true, 1000);
  Id id = 0;
  committed([&] {
    auto r = store_->add_outbox(m);
    ASSERT_TRUE(r);
    id = *r;
  });
  auto found = store_->find_outbox_by_message_id("reply-1@mailcase.example");
  ASSERT_TRUE(found && *found);
  OutboxMail f = **found;
  EXPECT_EQ(f.id, id);
  EXPECT_EQ(f.case_id, c.id);
  EXPECT_EQ(f.kind, "confirmation");
  EXPECT_EQ(f.to, "Ann@Example.com");
  EXPECT_EQ(f.raw, m.raw);
  EXPECT_TRUE(f.automatic);
  EXPECT_EQ(state_of(f), "queued");
  EXPECT_EQ(f.attempts, 0);
  EXPECT_EQ(f.next_attempt_at, 1000);
  EXPECT_FALSE(f.created_at.empty());
  EXPECT_EQ(f.sent_at, "");

  set_state(f, "failed");
  f.attempts = 5;
  f.next_attempt_at = 5000;
  f.last_error = "550 no such user";
  f.sent_at = "";
  committed([&] { ASSERT_TRUE(store_->update_outbox(f)); });
  auto back = store_->find_outbox_by_message_id("reply-1@mailcase.example");
  ASSERT_TRUE(back && *back);
  EXPECT_EQ(state_of(**back), "failed");
  EXPECT_EQ((*back)->attempts, 5);
  EXPECT_EQ((*back)->next_attempt_at, 5000);
  EXPECT_EQ((*back)->last_error, "550 no such user");

  auto none = store_->find_outbox_by_message_id("other@mailcase.example");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  // A Message-ID names one mail only.
  expect_failure_in_transaction(ErrorCode::kConflict, [&] {
    return store_->add_outbox(make_outbox(c.id, "x@example.com", "reply-1@mailcase.example", false, 0));
  });
}

TEST_P(StoreConformance, OutboxListIsNewestFirstPerCaseWithLimit) {
  Case c = insert_case("one");
  Case other = insert_case("two");
  std::vector<Id> ids;
  committed([&] {
    for (const auto& m : {make_outbox(c.id, "a@example.com", "l1@mc", false, 0),
                          make_outbox(other.id, "a@example.com", "l2@mc", false, 0),
                          make_outbox(c.id, "a@example.com", "l3@mc", false, 0),
                          make_outbox(std::nullopt, "a@example.com", "l4@mc", false, 0)}) {
      auto id = store_->add_outbox(m);
      ASSERT_TRUE(id);
      ids.push_back(*id);
    }
  });
  auto of_case = store_->list_outbox(c.id, 10);
  ASSERT_TRUE(of_case);
  ASSERT_EQ(of_case->size(), 2u);
  EXPECT_EQ((*of_case)[0].id, ids[2]);
  EXPECT_EQ((*of_case)[1].id, ids[0]);
  auto all = store_->list_outbox(std::nullopt, 3);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, ids[3]);
  EXPECT_EQ((*all)[1].id, ids[2]);
  EXPECT_EQ((*all)[2].id, ids[1]);
}

TEST_P(StoreConformance, AutomaticRepliesAreCountedPerMailboxAndInTotal) {
  committed([&] {
    ASSERT_TRUE(store_->add_outbox(make_outbox(std::nullopt, "Ann@Example.com", "a1@mc", true, 0)));
    ASSERT_TRUE(store_->add_outbox(make_outbox(std::nullopt, "ann+orders@example.com", "a2@mc", true, 0)));
    ASSERT_TRUE(store_->add_outbox(make_outbox(std::nullopt, "ann@example.com", "a3@mc", false, 0)));
    ASSERT_TRUE(store_->add_outbox(make_outbox(std::nullopt, "bob@example.com", "a4@mc", true, 0)));
  });
  const std::string long_ago = "2000-01-01T00:00:00Z";
  const std::string future = "2999-01-01T00:00:00Z";
  // "+tag" and letter case name the same mailbox; a human reply does not count.
  auto ann = store_->count_automatic_since("ANN+other@example.COM", long_ago);
  ASSERT_TRUE(ann);
  EXPECT_EQ(*ann, 2);
  auto bob = store_->count_automatic_since("bob@example.com", long_ago);
  ASSERT_TRUE(bob);
  EXPECT_EQ(*bob, 1);
  auto carol = store_->count_automatic_since("carol@example.com", long_ago);
  ASSERT_TRUE(carol);
  EXPECT_EQ(*carol, 0);
  auto later = store_->count_automatic_since("ann@example.com", future);
  ASSERT_TRUE(later);
  EXPECT_EQ(*later, 0);

  auto total = store_->count_all_automatic_since(long_ago);
  ASSERT_TRUE(total);
  EXPECT_EQ(*total, 3);
  auto total_later = store_->count_all_automatic_since(future);
  ASSERT_TRUE(total_later);
  EXPECT_EQ(*total_later, 0);
}

// --- surveys ---------------------------------------------------------------------------

TEST_P(StoreConformance, SurveyPutReplacesOnePerCase) {
  Case c = insert_case("rated");
  Case other = insert_case("unrated");
  Survey s;
  s.case_id = c.id;
  s.rating = 2;
  s.comment = "slow";
  committed([&] { ASSERT_TRUE(store_->put_survey(s)); });
  s.rating = 5;
  s.comment = "great in the end";
  committed([&] { ASSERT_TRUE(store_->put_survey(s)); });

  auto back = store_->get_survey(c.id);
  ASSERT_TRUE(back && *back);
  EXPECT_EQ((*back)->case_id, c.id);
  EXPECT_EQ((*back)->rating, 5);
  EXPECT_EQ((*back)->comment, "great in the end");
  EXPECT_FALSE((*back)->created_at.empty());
  auto none = store_->get_survey(other.id);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

// --- agents ----------------------------------------------------------------------------

TEST_P(StoreConformance, AgentsAreFoundAnyCaseListedByEmailAndDeactivated) {
  Agent zoe = make_agent("Zoe", "Zoe@Example.com");
  zoe.role = AgentRole::kAdmin;
  zoe.created_at = "2026-01-02T03:04:05Z";
  Id zoe_id = 0;
  committed([&] {
    auto z = store_->add_agent(zoe);
    ASSERT_TRUE(z) << z.error().message;
    zoe_id = *z;
    ASSERT_TRUE(store_->add_agent(make_agent("Adam", "adam@example.com")));
  });

  auto found = store_->find_agent_by_email("ZOE@example.COM");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->id, zoe_id);
  EXPECT_EQ((*found)->name, "Zoe");
  EXPECT_EQ((*found)->email, "zoe@example.com");
  EXPECT_EQ((*found)->role, AgentRole::kAdmin);
  EXPECT_TRUE((*found)->active);
  EXPECT_EQ((*found)->created_at, "2026-01-02T03:04:05Z");

  auto list = store_->list_agents();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].email, "adam@example.com");
  EXPECT_EQ((*list)[0].role, AgentRole::kAgent);
  EXPECT_FALSE((*list)[0].created_at.empty());
  EXPECT_EQ((*list)[1].email, "zoe@example.com");

  committed([&] { ASSERT_TRUE(store_->set_agent_active("ZOE@EXAMPLE.COM", false)); });
  auto off = store_->find_agent_by_email("zoe@example.com");
  ASSERT_TRUE(off && *off);
  EXPECT_FALSE((*off)->active);
  committed([&] { ASSERT_TRUE(store_->set_agent_active("zoe@example.com", true)); });
  auto on = store_->find_agent_by_email("zoe@example.com");
  ASSERT_TRUE(on && *on);
  EXPECT_TRUE((*on)->active);

  expect_failure_in_transaction(ErrorCode::kNotFound,
                                [&] { return store_->set_agent_active("nobody@example.com", false); });
  auto nobody = store_->find_agent_by_email("nobody@example.com");
  ASSERT_TRUE(nobody);
  EXPECT_FALSE(*nobody);
}

TEST_P(StoreConformance, AgentEmailIsUniqueWhateverTheLetterCase) {
  committed([&] { ASSERT_TRUE(store_->add_agent(make_agent("Ann", "ann@example.com"))); });
  expect_failure_in_transaction(
      ErrorCode::kConflict, [&] { return store_->add_agent(make_agent("Other Ann", "ANN@Example.COM")); });
  auto list = store_->list_agents();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "Ann");
}

// --- queues ----------------------------------------------------------------------------

TEST_P(StoreConformance, QueuesHaveMembersAndCountTheirOpenCases) {
  committed([&] {
    ASSERT_TRUE(store_->add_agent(make_agent("Zoe", "zoe@example.com")));
    ASSERT_TRUE(store_->add_agent(make_agent("Adam", "adam@example.com")));
    ASSERT_TRUE(store_->queues().add_queue("billing"));
    ASSERT_TRUE(store_->queues().add_queue_member("billing", "ZOE@example.com"));
    ASSERT_TRUE(store_->queues().add_queue_member("billing", "adam@example.com"));
    ASSERT_TRUE(store_->queues().add_queue_member("billing", "adam@example.com"));  // again: nothing new
  });
  // Two open cases in "support" (a queue with no row) and a closed one in "billing".
  insert_case("one");
  insert_case("two");
  Case closed = insert_case("three");
  closed.queue = "billing";
  set_status(closed, "closed");
  committed([&] { ASSERT_TRUE(store_->update_case(closed)); });

  auto members = store_->queues().queue_agents("billing");
  ASSERT_TRUE(members) << members.error().message;
  ASSERT_EQ(members->size(), 2u);
  EXPECT_EQ((*members)[0].email, "adam@example.com");
  EXPECT_EQ((*members)[1].email, "zoe@example.com");
  EXPECT_TRUE((*members)[1].notify_new_case && (*members)[1].notify_reply && (*members)[1].notify_assigned);
  auto none = store_->queues().queue_agents("support");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty()) << "a queue named only on cases has no members";

  auto all = store_->queues().list_queues();
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "billing");
  EXPECT_EQ((*all)[0].members, (std::vector<std::string>{"adam@example.com", "zoe@example.com"}));
  EXPECT_EQ((*all)[0].open_cases, 0);
  EXPECT_EQ((*all)[1].name, "support");
  EXPECT_TRUE((*all)[1].members.empty());
  EXPECT_EQ((*all)[1].open_cases, 2);

  auto found = store_->queues().find_queue("billing");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->members.size(), 2u);
  auto missing = store_->queues().find_queue("support");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing) << "no row for a queue named only on cases";

  committed([&] { ASSERT_TRUE(store_->queues().remove_queue_member("billing", "Zoe@Example.com")); });
  members = store_->queues().queue_agents("billing");
  ASSERT_TRUE(members);
  ASSERT_EQ(members->size(), 1u);
  EXPECT_EQ((*members)[0].email, "adam@example.com");
}

TEST_P(StoreConformance, QueueNamesAreUniqueAndMembersMustExist) {
  committed([&] {
    ASSERT_TRUE(store_->add_agent(make_agent("Zoe", "zoe@example.com")));
    ASSERT_TRUE(store_->queues().add_queue("billing"));
  });
  expect_failure_in_transaction(ErrorCode::kConflict, [&] { return store_->queues().add_queue("billing"); });
  expect_failure_in_transaction(ErrorCode::kNotFound, [&] {
    return store_->queues().add_queue_member("billing", "nobody@example.com");
  });
  expect_failure_in_transaction(
      ErrorCode::kNotFound, [&] { return store_->queues().add_queue_member("nosuch", "zoe@example.com"); });
  expect_failure_in_transaction(ErrorCode::kNotFound, [&] {
    return store_->queues().remove_queue_member("billing", "zoe@example.com");
  });
}

TEST_P(StoreConformance, AgentsNotificationSettingsAreOnUntilTurnedOff) {
  committed([&] { ASSERT_TRUE(store_->add_agent(make_agent("Zoe", "zoe@example.com"))); });
  auto a = store_->find_agent_by_email("zoe@example.com");
  ASSERT_TRUE(a && *a);
  EXPECT_TRUE((*a)->notify_new_case && (*a)->notify_reply && (*a)->notify_assigned);
  committed([&] {
    ASSERT_TRUE(store_->queues().set_agent_notify("ZOE@example.com",
                                                  NotifySettingsPatch{false, std::nullopt, false}));
  });
  a = store_->find_agent_by_email("zoe@example.com");
  ASSERT_TRUE(a && *a);
  EXPECT_FALSE((*a)->notify_new_case);
  EXPECT_TRUE((*a)->notify_reply) << "a setting not given keeps its value";
  EXPECT_FALSE((*a)->notify_assigned);
  auto listed = store_->list_agents();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_FALSE((*listed)[0].notify_new_case);
  expect_failure_in_transaction(ErrorCode::kNotFound, [&] {
    return store_->queues().set_agent_notify("nobody@example.com", NotifySettingsPatch{true, true, true});
  });
}

// --- errors ----------------------------------------------------------------------------

// kConflict tells callers "it exists already"; a write naming a row that is not there is
// kNotFound, never reported as a duplicate.
TEST_P(StoreConformance, WritesNamingAMissingRowAreNotFound) {
  Case c = insert_case("real");
  const Id missing = c.id + 1000;
  expect_failure_in_transaction(ErrorCode::kNotFound, [&] {
    return store_->add_comment(make_comment(missing, "to nowhere", "note", "internal"));
  });
  expect_failure_in_transaction(ErrorCode::kNotFound,
                                [&] { return store_->add_message_id("x@example.com", missing, "inbound"); });
  Contact ct;
  ct.name = "Orphan";
  ct.account_id = missing;
  ct.emails = {"orphan@example.com"};
  expect_failure_in_transaction(ErrorCode::kNotFound, [&] { return store_->add_contact(ct); });

  Case ghost = c;
  ghost.id = missing;
  expect_failure_in_transaction(ErrorCode::kNotFound, [&] { return store_->update_case(ghost); });
  RawMessage raw = make_raw("ghost");
  raw.id = missing;
  expect_failure_in_transaction(ErrorCode::kNotFound, [&] { return store_->update_raw(raw); });
  OutboxMail mail = make_outbox(c.id, "a@example.com", "ghost@mc", false, 0);
  mail.id = missing;
  expect_failure_in_transaction(ErrorCode::kNotFound, [&] { return store_->update_outbox(mail); });

  // Updating a row with the values it has already is no error.
  committed([&] { ASSERT_TRUE(store_->update_case(c)); });
}

// --- transactions ----------------------------------------------------------------------

TEST_P(StoreConformance, CommitMakesWritesVisibleToAnotherStoreAndOnlyThen) {
  auto second = reopen();
  ASSERT_TRUE(second);
  auto work = store_->begin_work();
  ASSERT_TRUE(work) << work.error().message;
  Account a;
  a.name = "Acme";
  ASSERT_TRUE(store_->add_account(a));
  Case made;
  auto c = store_->insert_case(make_case("visible"), "CS", 7);
  ASSERT_TRUE(c);
  made = *c;
  // The writer sees its own writes; nobody else does before the commit.
  auto own = store_->find_account_by_name("Acme");
  ASSERT_TRUE(own && *own);
  auto not_yet = second->find_account_by_name("Acme");
  ASSERT_TRUE(not_yet);
  EXPECT_FALSE(*not_yet);
  ASSERT_TRUE(work->commit());

  auto now_there = second->find_account_by_name("Acme");
  ASSERT_TRUE(now_there && *now_there);
  auto the_case = second->find_case_by_number(made.number);
  ASSERT_TRUE(the_case && *the_case);
  EXPECT_EQ((*the_case)->subject, "visible");

  // And it stays after every store is closed.
  second.reset();
  store_.reset();
  auto third = reopen();
  ASSERT_TRUE(third);
  auto still = third->get_case(made.id);
  ASSERT_TRUE(still && *still);
}

TEST_P(StoreConformance, RollbackDiscardsEveryWriteOfTheTransaction) {
  Case kept = insert_case("kept");
  auto work = store_->begin_work();
  ASSERT_TRUE(work) << work.error().message;
  Account a;
  a.name = "Gone";
  a.emails = {"gone@acme.example"};
  ASSERT_TRUE(store_->add_account(a));
  Contact ct;
  ct.name = "Gone";
  ct.emails = {"gone@mail.example"};
  ASSERT_TRUE(store_->add_contact(ct));
  RoutingAddress addr;
  addr.email = "gone@example.com";
  ASSERT_TRUE(store_->put_address(addr));
  ASSERT_TRUE(store_->insert_raw(make_raw("gone")));
  auto gone_case = store_->insert_case(make_case("gone"), "CS", 7);
  ASSERT_TRUE(gone_case);
  Case changed = kept;
  changed.subject = "changed";
  ASSERT_TRUE(store_->update_case(changed));
  ASSERT_TRUE(store_->add_message_id("gone@example.com", kept.id, "inbound"));
  ASSERT_TRUE(store_->add_comment(make_comment(kept.id, "gone", "note", "internal")));
  Attachment att;
  att.case_id = kept.id;
  att.filename = "gone.txt";
  ASSERT_TRUE(store_->add_attachment(att));
  ASSERT_TRUE(store_->add_participant(kept.id, "gone@example.com", "agent"));
  Mailbox mb;
  mb.name = "gone";
  ASSERT_TRUE(store_->add_mailbox(mb));
  ASSERT_TRUE(store_->add_pop3_seen("gone", "u1"));
  ASSERT_TRUE(store_->add_outbox(make_outbox(kept.id, "gone@example.com", "gone@mc", true, 0)));
  Survey sv;
  sv.case_id = kept.id;
  sv.rating = 1;
  ASSERT_TRUE(store_->put_survey(sv));
  ASSERT_TRUE(store_->add_agent(make_agent("Gone", "gone-agent@example.com")));
  work->rollback();

  auto acct = store_->find_account_by_name("Gone");
  ASSERT_TRUE(acct);
  EXPECT_FALSE(*acct);
  auto contact = store_->find_contact_by_email("gone@mail.example");
  ASSERT_TRUE(contact);
  EXPECT_FALSE(*contact);
  auto addrs = store_->list_addresses();
  ASSERT_TRUE(addrs);
  EXPECT_TRUE(addrs->empty());
  auto raw = store_->find_copy_by_sha("gone");
  ASSERT_TRUE(raw);
  EXPECT_FALSE(*raw);
  auto cases = store_->list_cases(10);
  ASSERT_TRUE(cases);
  ASSERT_EQ(cases->size(), 1u);
  EXPECT_EQ((*cases)[0].c.subject, "kept");
  auto mid = store_->case_of_message_id("gone@example.com");
  ASSERT_TRUE(mid);
  EXPECT_FALSE(*mid);
  auto comments = store_->comments_of(kept.id);
  ASSERT_TRUE(comments);
  EXPECT_TRUE(comments->empty());
  auto atts = store_->attachments_of(kept.id);
  ASSERT_TRUE(atts);
  EXPECT_TRUE(atts->empty());
  auto parts = store_->participants_of(kept.id);
  ASSERT_TRUE(parts);
  EXPECT_TRUE(parts->empty());
  auto mailboxes = store_->list_mailboxes();
  ASSERT_TRUE(mailboxes);
  EXPECT_TRUE(mailboxes->empty());
  auto seen = store_->pop3_seen("gone", "u1");
  ASSERT_TRUE(seen);
  EXPECT_FALSE(*seen);
  auto outbox = store_->list_outbox(std::nullopt, 10);
  ASSERT_TRUE(outbox);
  EXPECT_TRUE(outbox->empty());
  auto survey = store_->get_survey(kept.id);
  ASSERT_TRUE(survey);
  EXPECT_FALSE(*survey);
  auto agents = store_->list_agents();
  ASSERT_TRUE(agents);
  EXPECT_TRUE(agents->empty());

  // Nothing of it holds a unique key either: the same writes succeed afterwards.
  committed([&] {
    ASSERT_TRUE(store_->add_account(a));
    ASSERT_TRUE(store_->insert_raw(make_raw("gone")));
    ASSERT_TRUE(store_->add_mailbox(mb));
    ASSERT_TRUE(store_->add_agent(make_agent("Gone", "gone-agent@example.com")));
  });
}

TEST_P(StoreConformance, AFailingWriteInsideInTransactionRollsBackTheOthers) {
  committed([&] { ASSERT_TRUE(store_->add_agent(make_agent("Ann", "ann@example.com"))); });
  Account a;
  a.name = "Half";
  auto r = in_transaction(*store_, [&]() -> Status {
    if (auto id = store_->add_account(a); !id) return tl::unexpected(id.error());
    if (auto c = store_->insert_case(make_case("half"), "CS", 7); !c) return tl::unexpected(c.error());
    if (auto id = store_->add_agent(make_agent("Ann again", "Ann@Example.com")); !id)
      return tl::unexpected(id.error());
    return {};
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);

  auto acct = store_->find_account_by_name("Half");
  ASSERT_TRUE(acct);
  EXPECT_FALSE(*acct);
  auto cases = store_->list_cases(10);
  ASSERT_TRUE(cases);
  EXPECT_TRUE(cases->empty());
  // The store is usable at once.
  committed([&] { ASSERT_TRUE(store_->add_account(a)); });
}

TEST_P(StoreConformance, ANestedUnitOfWorkIsRefusedAndLeavesTheOpenOneUsable) {
  auto work = store_->begin_work();
  ASSERT_TRUE(work) << work.error().message;
  Account a;
  a.name = "Outer";
  ASSERT_TRUE(store_->add_account(a));
  auto nested = store_->begin_work();
  EXPECT_FALSE(nested) << "a unit of work inside another began";
  Account b;
  b.name = "Outer too";
  ASSERT_TRUE(store_->add_account(b));
  ASSERT_TRUE(work->commit());

  auto second = reopen();
  ASSERT_TRUE(second);
  for (const char* name : {"Outer", "Outer too"}) {
    auto found = second->find_account_by_name(name);
    ASSERT_TRUE(found && *found) << name;
  }
}

// --- units of work ---------------------------------------------------------------------

TEST_P(StoreConformance, AUnitOfWorkDestroyedWithoutCommitRollsBack) {
  {
    auto work = store_->begin_work();
    ASSERT_TRUE(work) << work.error().message;
    Account a;
    a.name = "Abandoned";
    ASSERT_TRUE(store_->accounts().add_account(a));
    ASSERT_TRUE(store_->cases().insert_case(make_case("abandoned"), "CS", 7));
    EXPECT_TRUE(work->is_open());
  }
  auto acct = store_->find_account_by_name("Abandoned");
  ASSERT_TRUE(acct);
  EXPECT_FALSE(*acct);
  auto cases = store_->list_cases(10);
  ASSERT_TRUE(cases);
  EXPECT_TRUE(cases->empty());
  // No transaction is left open: the next unit begins and commits.
  auto next = store_->begin_work();
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_TRUE(next->commit());
}

TEST_P(StoreConformance, AUnitOfWorkCommittedThenDestroyedKeepsItsWrites) {
  Id id = 0;
  {
    auto work = store_->begin_work();
    ASSERT_TRUE(work) << work.error().message;
    auto c = store_->cases().insert_case(make_case("kept"), "CS", 7);
    ASSERT_TRUE(c);
    id = c->id;
    ASSERT_TRUE(work->commit());
    EXPECT_FALSE(work->is_open());
    // Committing twice is an error that touches nothing.
    auto again = work->commit();
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::kInternal);
  }
  auto second = reopen();
  ASSERT_TRUE(second);
  auto kept = second->cases().get_case(id);
  ASSERT_TRUE(kept && *kept);
  EXPECT_EQ((*kept)->subject, "kept");
}

TEST_P(StoreConformance, AMovedFromUnitOfWorkDoesNothing) {
  auto work = store_->begin_work();
  ASSERT_TRUE(work) << work.error().message;
  UnitOfWork moved = std::move(*work);
  EXPECT_FALSE(work->is_open());
  EXPECT_TRUE(moved.is_open());
  Account a;
  a.name = "Moved";
  ASSERT_TRUE(store_->add_account(a));
  // The moved-from unit neither commits nor rolls back the transaction it gave away.
  EXPECT_FALSE(work->commit());
  work->rollback();
  {
    UnitOfWork gone = std::move(moved);
    ASSERT_TRUE(gone.commit());
  }
  auto second = reopen();
  ASSERT_TRUE(second);
  auto found = second->find_account_by_name("Moved");
  ASSERT_TRUE(found);
  EXPECT_TRUE(*found) << "the moved-from unit rolled back the transaction it gave away";
}

TEST_P(StoreConformance, ASecondUnitOfWorkWhileOneIsOpenIsRefused) {
  auto outer = store_->begin_work();
  ASSERT_TRUE(outer);
  Account a;
  a.name = "Outer";
  ASSERT_TRUE(store_->add_account(a));
  auto nested = store_->begin_work();
  EXPECT_FALSE(nested) << "a unit of work inside another began";
  ASSERT_TRUE(outer->commit());
  auto found = store_->find_account_by_name("Outer");
  ASSERT_TRUE(found && *found);
}

// --- units of work on connections of their own (Store::open_unit) ----------------------

// A writing unit and a reading unit open at once on two threads: the reader is not held
// up by the writer's open transaction and sees none of its writes; both finish, and the
// write is there after the commit. Each thread waits for the other by a generous bound,
// so a unit that blocks fails the test instead of hanging it.
TEST_P(StoreConformance, TwoUnitsOnTwoThreadsOneWritingOneReadingBothFinish) {
  insert_case("before");
  std::promise<void> written;
  std::promise<void> read;
  auto written_f = written.get_future();
  auto read_f = read.get_future();
  std::string writer_error;
  std::string reader_error;
  std::vector<std::string> reader_saw;

  std::thread writer([&] {
    auto work = store_->open_unit(Access::kWrite);
    if (!work) {
      writer_error = work.error().message;
      written.set_value();
      return;
    }
    auto c = work->cases().insert_case(make_case("during"), "CS", 7);
    if (!c) writer_error = c.error().message;
    written.set_value();
    if (read_f.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
      writer_error = "the reader never finished reading";
      return;
    }
    if (auto s = work->commit(); !s) writer_error = s.error().message;
  });
  std::thread reader([&] {
    if (written_f.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
      reader_error = "the writer never wrote";
      read.set_value();
      return;
    }
    auto work = store_->open_unit(Access::kRead);
    if (!work) {
      reader_error = work.error().message;
      read.set_value();
      return;
    }
    auto list = work->cases().list_cases(10);
    if (!list)
      reader_error = list.error().message;
    else
      for (const auto& c : *list) reader_saw.push_back(c.c.subject);
    read.set_value();
    if (auto s = work->commit(); !s) reader_error = s.error().message;
  });
  writer.join();
  reader.join();

  EXPECT_EQ(writer_error, "");
  EXPECT_EQ(reader_error, "");
  EXPECT_EQ(reader_saw, std::vector<std::string>{"before"});
  auto after = store_->open_unit(Access::kRead);
  ASSERT_TRUE(after) << after.error().message;
  auto list = after->cases().list_cases(10);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 2u);
}

TEST_P(StoreConformance, AUnitsUncommittedWritesAreInvisibleToAnotherUnit) {
  auto writer = store_->open_unit(Access::kWrite);
  ASSERT_TRUE(writer) << writer.error().message;
  Account a;
  a.name = "Pending";
  ASSERT_TRUE(writer->accounts().add_account(a));
  auto own = writer->accounts().find_account_by_name("Pending");
  ASSERT_TRUE(own && *own) << "a unit does not see its own write";

  auto reader = store_->open_unit(Access::kRead);
  ASSERT_TRUE(reader) << reader.error().message;
  auto seen = reader->accounts().find_account_by_name("Pending");
  ASSERT_TRUE(seen) << seen.error().message;
  EXPECT_FALSE(*seen) << "another unit saw an uncommitted write";
  auto outside = store_->find_account_by_name("Pending");
  ASSERT_TRUE(outside) << outside.error().message;
  EXPECT_FALSE(*outside) << "the store's own connection saw an uncommitted write";
  reader->rollback();

  ASSERT_TRUE(writer->commit());
  auto later = store_->open_unit(Access::kRead);
  ASSERT_TRUE(later) << later.error().message;
  auto now_there = later->accounts().find_account_by_name("Pending");
  ASSERT_TRUE(now_there && *now_there);
}

TEST_P(StoreConformance, AUnitOnItsOwnConnectionRollsBackWhenDestroyed) {
  {
    auto work = store_->open_unit(Access::kWrite);
    ASSERT_TRUE(work) << work.error().message;
    ASSERT_TRUE(work->cases().insert_case(make_case("abandoned"), "CS", 7));
  }
  // Its connection went back to the pool with nothing open: the next write unit begins.
  auto next = store_->open_unit(Access::kWrite);
  ASSERT_TRUE(next) << next.error().message;
  auto list = next->cases().list_cases(10);
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->empty());
  ASSERT_TRUE(next->commit());
  auto outside = store_->list_cases(10);
  ASSERT_TRUE(outside);
  EXPECT_TRUE(outside->empty());
}

TEST_P(StoreConformance, AReadUnitCannotWrite) {
  auto work = store_->open_unit(Access::kRead);
  ASSERT_TRUE(work) << work.error().message;
  Account a;
  a.name = "Sneaky";
  auto r = work->accounts().add_account(a);
  EXPECT_FALSE(r) << "a read unit wrote";
  work->rollback();
  auto found = store_->find_account_by_name("Sneaky");
  ASSERT_TRUE(found);
  EXPECT_FALSE(*found);
  // The same pooled connection then serves a write unit.
  auto writer = store_->open_unit(Access::kWrite);
  ASSERT_TRUE(writer) << writer.error().message;
  ASSERT_TRUE(writer->accounts().add_account(a));
  ASSERT_TRUE(writer->commit());
}

TEST_P(StoreConformance, EachRepositoryIsAViewOfTheSameStore) {
  committed([&] {
    Account a;
    a.name = "Acme";
    a.emails = {"ops@acme.example"};
    ASSERT_TRUE(store_->accounts().add_account(a));
    RoutingAddress addr;
    addr.email = "support@example.com";
    ASSERT_TRUE(store_->routing().put_address(addr));
    ASSERT_TRUE(store_->raw_messages().insert_raw(make_raw("view")));
    Mailbox mb;
    mb.name = "view";
    ASSERT_TRUE(store_->mailboxes().add_mailbox(mb));
    ASSERT_TRUE(store_->agents().add_agent(make_agent("Ann", "ann@example.com")));
  });
  Case c = insert_case("view");
  committed([&] {
    ASSERT_TRUE(store_->outbox().add_outbox(make_outbox(c.id, "a@example.com", "view@mc", true, 0)));
    Survey sv;
    sv.case_id = c.id;
    sv.rating = 4;
    ASSERT_TRUE(store_->surveys().put_survey(sv));
    ASSERT_TRUE(store_->events().add_event({.case_id = c.id,
                                            .actor_kind = ActorKind::kAgent,
                                            .actor = "ann@example.com",
                                            .action = EventAction::kParticipantAdded,
                                            .details = {{"email", "b@example.com"}}}));
  });
  auto acct = store_->find_account_by_email("OPS@acme.example");
  ASSERT_TRUE(acct && *acct);
  auto addrs = store_->list_addresses();
  ASSERT_TRUE(addrs);
  EXPECT_EQ(addrs->size(), 1u);
  auto raw = store_->find_copy_by_sha("view");
  ASSERT_TRUE(raw && *raw);
  auto mbs = store_->list_mailboxes();
  ASSERT_TRUE(mbs);
  EXPECT_EQ(mbs->size(), 1u);
  auto agent = store_->find_agent_by_email("ann@example.com");
  ASSERT_TRUE(agent && *agent);
  auto out = store_->list_outbox(c.id, 10);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->size(), 1u);
  auto sv = store_->get_survey(c.id);
  ASSERT_TRUE(sv && *sv);
  EXPECT_EQ((*sv)->rating, 4);
  auto ev = store_->events_of(c.id);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->size(), 1u);
}

const Backend kBackends[] = {
    {"sqlite", open_sqlite_in},
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::ValuesIn(kBackends),
                         [](const ::testing::TestParamInfo<Backend>& info) { return info.param.name; });

}  // namespace
}  // namespace mailcase::store
