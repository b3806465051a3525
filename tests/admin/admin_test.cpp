// The administrative writes the command line and the REST API share: their checks name
// the field at fault, a mailbox's secrets given as values are kept by mailcase (the
// service user's alone) and removed with it, an outbox mail is queued again, and a held
// or failed mail is dismissed.
#include "admin/admin.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "admin/alert_rules.h"
#include "admin/processes.h"
#include "admin/queues.h"
#include "admin/rules.h"
#include "store/store.h"
#include "support/test_support.h"
#include "util/secret_file.h"

namespace mailcase::admin {
namespace {

// outbound.from_address, as the callers pass it from the configuration.
constexpr const char* kOutgoing = "support@corp.example";

class Admin : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::open_sqlite(dir_.path() / "t.db");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }

  static store::Mailbox imap(const std::string& name) {
    store::Mailbox m;
    m.name = name;
    m.host = "imap.corp.example";
    m.port = 993;
    m.user = "support";
    return m;
  }

  // The events of no case (the administration's), oldest first: "actor action details".
  std::vector<std::string> agent_events() {
    sqlite3* h = nullptr;
    EXPECT_EQ(sqlite3_open_v2((dir_.path() / "t.db").c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(
        sqlite3_prepare_v2(h, "SELECT actor, action, details FROM events WHERE case_id IS NULL ORDER BY id",
                           -1, &st, nullptr),
        SQLITE_OK);
    std::vector<std::string> out;
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::string line;
      for (int i = 0; i < 3; ++i)
        line += std::string(i ? " " : "") + reinterpret_cast<const char*>(sqlite3_column_text(st, i));
      out.push_back(line);
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return out;
  }
  static mode_t mode_of(const std::filesystem::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 0777;
  }

  mailcase::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
};

// The field an admin-layer error is about, read back from its words (the API's 422 and
// the console's error beside a field both come from it); pure.
TEST(ChangedAlertRule, EachFieldGivenReplacesTheRulesAndNothingElseMoves) {
  alerts::AlertRule r;
  r.id = 4;
  r.name = "nagios";
  r.format = alerts::Format::kNagios;
  r.sender_re = "@monitor";
  r.subject_re = "PROBLEM";
  r.account = "Acme";
  r.account_id = 9;
  r.reopen_within_hours = 6;
  r.position = 2;
  r.created_at = "2026-12-01T10:00:00Z";
  auto same = changed_alert_rule(r, {});
  EXPECT_EQ(same.subject_re, "PROBLEM");
  EXPECT_EQ(same.account_id, std::optional<domain::Id>(9));

  AlertRuleChange c;
  c.subject_re = "";
  c.account = "Beta";
  c.reopen_within_hours = 0;
  auto out = changed_alert_rule(r, c);
  EXPECT_EQ(out.name, "nagios");
  EXPECT_EQ(out.format, alerts::Format::kNagios);
  EXPECT_EQ(out.sender_re, "@monitor");
  EXPECT_EQ(out.subject_re, "");
  EXPECT_EQ(out.account, "Beta");
  EXPECT_FALSE(out.account_id) << "the store finds the new account's id";
  EXPECT_EQ(out.reopen_within_hours, 0);
  EXPECT_EQ(out.position, 2);
  EXPECT_EQ(out.created_at, "2026-12-01T10:00:00Z");

  // A change to a whole rule gives it every field of that rule.
  alerts::AlertRule other = r;
  other.format = alerts::Format::kGeneric;
  other.body_re = "(?P<host>\\S+) (?P<state>\\w+)";
  other.account = "";
  auto whole = changed_alert_rule(r, change_to(other));
  EXPECT_EQ(whole.format, alerts::Format::kGeneric);
  EXPECT_EQ(whole.body_re, other.body_re);
  EXPECT_EQ(whole.account, "");
  EXPECT_EQ(whole.subject_re, "PROBLEM");
}

TEST(InvalidOf, ReadsTheFieldOfAnErrorsWordsAndNothingElse) {
  auto flag = invalid_of("--if-subject: not an RE2 pattern: missing ): (x");
  ASSERT_TRUE(flag);
  EXPECT_EQ(flag->field, "if-subject");
  EXPECT_EQ(flag->message, "not an RE2 pattern: missing ): (x");
  auto plain = invalid_of("name: one line of 1 to 100 bytes");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->field, "name");
  EXPECT_EQ(invalid_of(invalid_error({"queue", "too long"}).message)->field, "queue");
  EXPECT_FALSE(invalid_of("no rule billing"));                        // no field named
  EXPECT_FALSE(invalid_of("an alert rule named x exists already"));  // no ": "
  EXPECT_FALSE(invalid_of("Queue: capitals are no field"));
  EXPECT_FALSE(invalid_of("--: nothing between"));
  EXPECT_FALSE(invalid_of(": nothing before"));
  EXPECT_FALSE(invalid_of(std::string(41, 'a') + ": past 40 bytes"));
}

TEST_F(Admin, AMailboxPasswordGivenAsAValueIsKeptPrivateAndRemovedWithIt) {
  const std::string pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  auto m = add_mailbox(*store_, dir_.path(), imap("support"), {std::string("s3cret pass"), pem});
  ASSERT_TRUE(m) << m.error().message;
  const auto secrets = secrets_dir(dir_.path());
  EXPECT_EQ(std::filesystem::path(m->password_file).parent_path(), secrets);
  EXPECT_EQ(std::filesystem::path(m->ca_file).parent_path(), secrets);
  EXPECT_EQ(mode_of(secrets), 0700u);
  EXPECT_EQ(mode_of(m->password_file), 0600u);
  EXPECT_EQ(mode_of(m->ca_file), 0600u);
  auto pw = read_password_file(m->password_file);
  ASSERT_TRUE(pw) << pw.error().message;
  EXPECT_EQ(*pw, "s3cret pass");
  EXPECT_EQ(mailcase::testing::read_file(m->ca_file), pem);

  auto stored = store_->list_mailboxes();
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].password_file, m->password_file);

  // The same name again: refused before anything is written; the first one's secret stays.
  auto again = add_mailbox(*store_, dir_.path(), imap("support"), {std::string("other"), std::nullopt});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(*read_password_file(m->password_file), "s3cret pass");

  ASSERT_TRUE(remove_mailbox(*store_, dir_.path(), "support"));
  EXPECT_FALSE(std::filesystem::exists(m->password_file));
  EXPECT_FALSE(std::filesystem::exists(m->ca_file));
  auto gone = remove_mailbox(*store_, dir_.path(), "support");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

TEST_F(Admin, MailboxSecretsAndNamesAreCheckedAndNamed) {
  struct Case {
    std::string name;
    MailboxSecrets s;
    std::string field;
  };
  const std::vector<Case> bad = {
      {"../etc", {std::string("pw"), std::nullopt}, "name"},
      {"", {std::string("pw"), std::nullopt}, "name"},
      {".hidden", {std::string("pw"), std::nullopt}, "name"},
      {std::string(65, 'a'), {}, "name"},
      {"ok", {std::string(""), std::nullopt}, "password"},
      {"ok", {std::string("two\nlines"), std::nullopt}, "password"},
      {"ok", {std::string(kMaxPasswordBytes + 1, 'p'), std::nullopt}, "password"},
      {"ok", {std::string("pw"), std::string("not a certificate")}, "ca_certificate"},
      {"ok", {std::string("pw"), std::string(kMaxCaPemBytes + 1, 'c')}, "ca_certificate"},
  };
  for (const auto& c : bad) {
    auto why = check_mailbox_secrets(c.name, c.s);
    ASSERT_TRUE(why) << c.name;
    EXPECT_EQ(why->field, c.field) << c.name;
    auto r = add_mailbox(*store_, dir_.path(), imap(c.name), c.s);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  }
  EXPECT_FALSE(std::filesystem::exists(secrets_dir(dir_.path())));
  // No password at all: the mailbox check refuses it, as `mailbox add` without one.
  auto none = add_mailbox(*store_, dir_.path(), imap("nopw"), {});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kInvalidInput);
  auto list = store_->list_mailboxes();
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->empty());
}

TEST_F(Admin, ContactsAreCheckedAddedAndUpdated) {
  EXPECT_EQ(check_contact({"", {"a@b.example"}, "", {}, {}})->field, "name");
  EXPECT_EQ(check_contact({"Bob", {}, "", {}, {}})->field, "emails");
  EXPECT_EQ(check_contact({"Bob", {"bob@x.example, eve@y.example"}, "", {}, {}})->field, "emails");
  EXPECT_EQ(check_contact({"Bob", {"bob@x.example"}, "French", {}, {}})->field, "language");
  EXPECT_EQ(check_contact({"Bob\nBcc: x", {"bob@x.example"}, "", {}, {}})->field, "name");
  EXPECT_FALSE(check_contact({"Bob", {"bob@x.example"}, "fr", {}, {}}));

  auto acme = add_account(*store_, {"Acme", "gold", {"billing@acme.example"}});
  ASSERT_TRUE(acme) << acme.error().message;
  auto dup = add_account(*store_, {"ACME", "", {}});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);

  auto bob = add_contact(*store_, {"Bob", {" Bob@Acme.Example "}, "en", acme->id, {}}, kOutgoing);
  ASSERT_TRUE(bob) << bob.error().message;
  EXPECT_EQ(bob->emails, std::vector<std::string>{"bob@acme.example"});
  EXPECT_EQ(bob->account_id, acme->id);
  auto no_account = add_contact(*store_, {"Eve", {"eve@x.example"}, "", store::Id{999}, {}}, kOutgoing);
  ASSERT_FALSE(no_account);
  EXPECT_EQ(no_account.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(no_account.error().message.rfind("account_id:", 0), 0u);
  auto taken = add_contact(*store_, {"Bobby", {"bob@acme.example"}, "", {}, {}}, kOutgoing);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kConflict);

  ContactPatch p;
  p.name = "Bob Builder";
  p.emails = std::vector<std::string>{"bob@new.example", "bob@acme.example"};
  p.clear_account = true;
  auto up = update_contact(*store_, bob->id, p, kOutgoing);
  ASSERT_TRUE(up) << up.error().message;
  EXPECT_EQ(up->name, "Bob Builder");
  EXPECT_FALSE(up->account_id);
  EXPECT_EQ(up->language, "en");  // not in the patch: kept
  auto back = store_->get_contact(bob->id);
  ASSERT_TRUE(back && *back);
  EXPECT_EQ((*back)->emails, (std::vector<std::string>{"bob@new.example", "bob@acme.example"}));
  auto missing = update_contact(*store_, 999, p, kOutgoing);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  ContactPatch bad;
  bad.emails = std::vector<std::string>{};
  EXPECT_EQ(check_contact_patch(bad)->field, "emails");
}

// One person written in from two addresses is two contacts until an agent merges them:
// then one, with both addresses (the first still the one mail goes to), both contacts'
// cases, each moved case's history saying so, and what the one that stays lacked.
TEST_F(Admin, TwoContactsOfOnePersonAreMergedIntoOne) {
  auto acme = add_account(*store_, {"Acme", "gold", {}});
  ASSERT_TRUE(acme) << acme.error().message;
  auto work = add_contact(*store_, {"Ann Smith", {"ann@acme.example"}, "", {}, {}}, kOutgoing);
  auto home = add_contact(
      *store_, {"Annie", {"ann@home.example", "a.smith@home.example"}, "fr", acme->id, {}}, kOutgoing);
  auto bob = add_contact(*store_, {"Bob", {"bob@x.example"}, "", {}, {}}, kOutgoing);
  ASSERT_TRUE(work && home && bob);
  std::vector<store::Id> home_cases;
  {
    auto u = store_->open_unit(store::Access::kWrite);
    ASSERT_TRUE(u);
    for (const char* subject : {"Printer on fire", "Toner", "Invoice"}) {
      store::Case c;
      c.subject = subject;
      c.queue = "support";
      c.contact_id = std::string_view(subject) == "Invoice" ? bob->id : home->id;
      auto in = u->cases().insert_case(c, "CS", 7);
      ASSERT_TRUE(in) << in.error().message;
      if (c.contact_id == home->id) home_cases.push_back(in->id);
    }
    ASSERT_TRUE(u->accounts().mark_contact_unverified(home->id));
    ASSERT_TRUE(u->commit());
  }

  // Refusals change nothing.
  auto self = merge_contact(*store_, home->id, home->id, "ada@corp.example");
  ASSERT_FALSE(self);
  EXPECT_EQ(self.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(invalid_of(self.error().message)->field, "into");
  auto nowhere = merge_contact(*store_, home->id, 999, "ada@corp.example");
  ASSERT_FALSE(nowhere);
  EXPECT_EQ(invalid_of(nowhere.error().message)->field, "into");
  auto nobody = merge_contact(*store_, 999, work->id, "ada@corp.example");
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().code, ErrorCode::kNotFound);
  auto still = store_->get_contact(home->id);
  ASSERT_TRUE(still && *still);
  EXPECT_EQ((*still)->emails.size(), 2u);

  auto merged = merge_contact(*store_, home->id, work->id, "ada@corp.example");
  ASSERT_TRUE(merged) << merged.error().message;
  EXPECT_EQ(merged->id, work->id);
  EXPECT_EQ(merged->name, "Ann Smith");
  EXPECT_EQ(merged->emails,
            (std::vector<std::string>{"ann@acme.example", "ann@home.example", "a.smith@home.example"}));
  EXPECT_EQ(merged->account_id, acme->id);  // it had none: the other's
  EXPECT_EQ(merged->language, "fr");
  auto gone = store_->get_contact(home->id);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
  auto by_old_address = store_->find_contact_by_email("A.Smith@home.example");
  ASSERT_TRUE(by_old_address && *by_old_address);
  EXPECT_EQ((*by_old_address)->id, work->id);
  auto unverified = store_->contact_unverified(work->id);
  ASSERT_TRUE(unverified);
  EXPECT_FALSE(*unverified);  // the contact that stays keeps its own standing

  // The cases are the contact's that stays, found by any of its addresses and by its name.
  for (const char* address : {"ann@acme.example", "ann@home.example"}) {
    store::CaseQuery q;
    q.contact = address;
    auto page = store_->find_cases(q);
    ASSERT_TRUE(page) << page.error().message;
    EXPECT_EQ(page->items.size(), 2u) << address;
  }
  store::CaseQuery by_name;
  by_name.text = "Smith toner";
  auto found = store_->find_cases(by_name);
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_EQ(found->items.size(), 1u);
  EXPECT_EQ(found->items[0].summary.c.id, home_cases[1]);
  for (store::Id id : home_cases) {
    auto ev = store_->events_of(id);
    ASSERT_TRUE(ev);
    ASSERT_FALSE(ev->empty());
    const auto& e = ev->back();
    EXPECT_EQ(e.action, store::EventAction::kChanged);
    EXPECT_EQ(e.actor, "ada@corp.example");
    EXPECT_EQ(e.details.at("field"), "contact");
    EXPECT_EQ(e.details.at("from"), "Annie <ann@home.example>");
    EXPECT_EQ(e.details.at("to"), "Ann Smith <ann@acme.example>");
  }
  // Bob's case was not moved: no event.
  store::CaseQuery of_bob;
  of_bob.contact = "bob@x.example";
  auto bob_cases = store_->find_cases(of_bob);
  ASSERT_TRUE(bob_cases);
  ASSERT_EQ(bob_cases->items.size(), 1u);
  auto bob_events = store_->events_of(bob_cases->items[0].summary.c.id);
  ASSERT_TRUE(bob_events);
  EXPECT_TRUE(bob_events->empty());

  // Named by an address or a number, as people name them.
  auto named = contact_named(*store_, " <ANN@home.example> ");
  ASSERT_TRUE(named) << named.error().message;
  EXPECT_EQ(named->id, work->id);
  auto numbered = contact_named(*store_, std::to_string(bob->id));
  ASSERT_TRUE(numbered);
  EXPECT_EQ(numbered->name, "Bob");
  for (const char* none : {"", "nobody@x.example", "99999", "99999999999999999999999"})
    EXPECT_EQ(contact_named(*store_, none).error().code, ErrorCode::kNotFound) << none;
}

// One of our routing addresses or the outgoing address (or a "+tag" of one) is no
// contact's and no agent's: mail to it would come back to us as mail from ourselves.
TEST_F(Admin, OurOwnAddressesAreNoContactsAndNoAgents) {
  store::RoutingAddress help;
  help.email = "help@corp.example";
  ASSERT_TRUE(put_routing_address(*store_, help));
  for (const char* ours : {"help@corp.example", "HELP@corp.example", "help+x@corp.example",
                           "support@corp.example", "Support+billing@CORP.example"}) {
    auto c = add_contact(*store_, ContactInput{"Us", {"ann@example.org", ours}, "", {}, {}}, kOutgoing);
    ASSERT_FALSE(c) << ours;
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidInput) << ours;
    EXPECT_NE(c.error().message.find("one of our own addresses"), std::string::npos) << c.error().message;
    auto a = agent_from("Us", ours, "agent");
    ASSERT_TRUE(a) << ours;
    EXPECT_FALSE(add_agent(*store_, *a, "admin", kOutgoing)) << ours;
  }
  auto ann = add_contact(*store_, ContactInput{"Ann", {"ann@example.org"}, "", {}, {}}, kOutgoing);
  ASSERT_TRUE(ann) << ann.error().message;
  ContactPatch p;
  p.emails = std::vector<std::string>{"ann@example.org", "help@corp.example"};
  auto changed = update_contact(*store_, ann->id, p, kOutgoing);
  ASSERT_FALSE(changed);
  EXPECT_EQ(changed.error().code, ErrorCode::kInvalidInput);
  p.emails = std::vector<std::string>{"ann@example.org", "support@corp.example"};
  auto outgoing = update_contact(*store_, ann->id, p, kOutgoing);
  ASSERT_FALSE(outgoing) << "the outgoing address is ours though it is no routing address";
  EXPECT_EQ(outgoing.error().code, ErrorCode::kInvalidInput);
  // Another deployment's outgoing address is anyone's.
  auto elsewhere =
      add_contact(*store_, ContactInput{"Them", {"support@corp.example"}, "", {}, {}}, "help@other.example");
  EXPECT_TRUE(elsewhere) << elsewhere.error().message;
}

// A PATCH of an alert rule or a rule is an edit of the rule as the write's own unit reads
// it: a change another made since (here, before the edit) is what the edit starts from,
// and the rule's name, position and creation stay whatever the edit returns. An edit that
// fails writes nothing, the other parts of a rule's patch included.
TEST_F(Admin, AnEditStartsFromTheRuleAsItsWriteReadsIt) {
  alerts::AlertRule a;
  a.name = "nagios";
  a.format = alerts::Format::kNagios;
  a.sender_re = "@nagios\\.";
  a.subject_re = "PROBLEM";
  ASSERT_TRUE(add_alert_rule(*store_, a, "admin"));
  AlertRuleChange theirs;
  theirs.sender_re = "@monitor\\.";
  ASSERT_TRUE(change_alert_rule(*store_, "nagios", theirs, "admin"));

  auto edited = edit_alert_rule(
      *store_, "nagios",
      [](const alerts::AlertRule& current) -> Result<alerts::AlertRule> {
        alerts::AlertRule r = current;
        r.subject_re = "DOWN";
        r.name = "renamed";
        r.position = 9;
        return r;
      },
      "admin");
  ASSERT_TRUE(edited) << edited.error().message;
  EXPECT_EQ(edited->sender_re, "@monitor\\.") << "the other's change is kept";
  EXPECT_EQ(edited->subject_re, "DOWN");
  EXPECT_EQ(edited->name, "nagios");
  EXPECT_EQ(edited->position, 1);

  auto refused = edit_alert_rule(
      *store_, "nagios",
      [](const alerts::AlertRule&) -> Result<alerts::AlertRule> {
        return fail(ErrorCode::kInvalidInput, "subject: no");
      },
      "admin");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "subject: no");
  auto rules = list_alert_rules(*store_);
  ASSERT_TRUE(rules);
  ASSERT_EQ(rules->size(), 1u);
  EXPECT_EQ(rules->front().subject_re, "DOWN");

  rules::Rule vip;
  vip.name = "vip";
  vip.set.queue = "vip";
  ASSERT_TRUE(add_rule(*store_, vip, "admin"));
  rules::Rule other;
  other.name = "other";
  other.set.queue = "other";
  ASSERT_TRUE(add_rule(*store_, other, "admin"));
  RulePatch p;
  p.enabled = false;
  p.position = 2;
  p.does = [](const rules::Rule& current) -> Result<rules::Rule> {
    EXPECT_EQ(current.set.queue, "vip");
    return fail(ErrorCode::kInvalidInput, "--set-queue: no");
  };
  ASSERT_FALSE(patch_rule(*store_, "vip", p, "admin"));
  auto kept = list_rules(*store_);
  ASSERT_TRUE(kept);
  ASSERT_EQ(kept->size(), 2u);
  EXPECT_EQ(kept->front().name, "vip");
  EXPECT_TRUE(kept->front().enabled) << "a refused edit writes no part of the patch";
  p.does = [](const rules::Rule& current) -> Result<rules::Rule> {
    rules::Rule r = current;
    r.set.queue = "priority";
    r.name = "renamed";
    return r;
  };
  auto patched = patch_rule(*store_, "vip", p, "admin");
  ASSERT_TRUE(patched) << patched.error().message;
  EXPECT_EQ(patched->name, "vip");
  EXPECT_EQ(patched->set.queue, "priority");
  EXPECT_FALSE(patched->enabled);
  EXPECT_EQ(patched->position, 2);
}

TEST_F(Admin, RoutingAddressesAreCheckedPutAndRemoved) {
  store::RoutingAddress a;
  a.email = "not an address";
  EXPECT_EQ(check_routing_address(a)->field, "email");
  a.email = "Help@Corp.Example";
  a.unknown_sender = "drop";
  EXPECT_EQ(check_routing_address(a)->field, "unknown_sender");
  a.unknown_sender = "hold";
  a.queue = "two\nlines";
  EXPECT_EQ(check_routing_address(a)->field, "queue");
  a.queue = "Hardware";
  auto put = put_routing_address(*store_, a);
  ASSERT_TRUE(put) << put.error().message;
  EXPECT_EQ(put->address.email, "help@corp.example");
  EXPECT_TRUE(put->added);
  ASSERT_TRUE(remove_routing_address(*store_, "HELP@corp.example"));
  auto gone = remove_routing_address(*store_, "help@corp.example");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

// A change of an address there is keeps what it does not touch, and says it changed one;
// a change that would fail its checks writes nothing.
TEST_F(Admin, ARoutingAddressChangeKeepsWhatItDoesNotTouch) {
  auto first = change_routing_address(*store_, " Sales@Corp.example", [](store::RoutingAddress& a) {
    a.queue = "Sales";
    a.subject_prefix = "[Sales]";
  });
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->added);
  EXPECT_EQ(first->address.email, "sales@corp.example");
  auto second = change_routing_address(*store_, "SALES@corp.example",
                                       [](store::RoutingAddress& a) { a.priority = "High"; });
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_FALSE(second->added);
  EXPECT_EQ(second->address.queue, "Sales");
  EXPECT_EQ(second->address.subject_prefix, "[Sales]");
  EXPECT_EQ(second->address.priority, "High");
  auto bad = change_routing_address(*store_, "sales@corp.example",
                                    [](store::RoutingAddress& a) { a.unknown_sender = "drop"; });
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidInput);
  EXPECT_TRUE(bad.error().message.starts_with("unknown_sender: ")) << bad.error().message;
  auto other = change_routing_address(*store_, "sales@corp.example",
                                      [](store::RoutingAddress& a) { a.email = "billing@corp.example"; });
  ASSERT_FALSE(other);
  auto stored = find_routing_address(*store_, "sales@corp.example");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->unknown_sender, second->address.unknown_sender);
  auto billing = find_routing_address(*store_, "billing@corp.example");
  ASSERT_TRUE(billing);
  EXPECT_FALSE(*billing);
}

TEST_F(Admin, AgentsAreAddedDisabledAndPromotedWithTheirEvents) {
  auto a = agent_from("Ada", "Ada@Corp.Example", "agent");
  ASSERT_TRUE(a);
  ASSERT_TRUE(add_agent(*store_, *a, "root@corp.example", kOutgoing));
  auto dup = add_agent(*store_, *a, "root@corp.example", kOutgoing);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);

  auto up =
      update_agent(*store_, "ada@corp.example", {false, store::AgentRole::kAdmin, {}}, "root@corp.example");
  ASSERT_TRUE(up) << up.error().message;
  EXPECT_FALSE(up->active);
  EXPECT_EQ(up->role, store::AgentRole::kAdmin);
  auto stored = store_->find_agent_by_email("ada@corp.example");
  ASSERT_TRUE(stored && *stored);
  EXPECT_FALSE((*stored)->active);
  EXPECT_EQ((*stored)->role, store::AgentRole::kAdmin);
  // Each change is on record, by whom: the role's too.
  ASSERT_TRUE(
      update_agent(*store_, "ada@corp.example", {true, store::AgentRole::kAgent, {}}, "root@corp.example"));
  EXPECT_EQ(agent_events(), (std::vector<std::string>{
                                "root@corp.example agent_added {\"email\":\"ada@corp.example\"}",
                                "root@corp.example agent_disabled {\"email\":\"ada@corp.example\"}",
                                "root@corp.example agent_role_changed "
                                "{\"email\":\"ada@corp.example\",\"from\":\"agent\",\"to\":\"admin\"}",
                                "root@corp.example agent_enabled {\"email\":\"ada@corp.example\"}",
                                "root@corp.example agent_role_changed "
                                "{\"email\":\"ada@corp.example\",\"from\":\"admin\",\"to\":\"agent\"}",
                            }));
  auto missing = update_agent(*store_, "nobody@corp.example", {.active = true}, "root@corp.example");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(agent_from("", "x@corp.example", "agent"));
  for (const char* name : {"Ada\nBcc: all@corp.example", "Ada\x1b[2J", "Ada\tLovelace", "Ada\xff"}) {
    auto bad = agent_from(name, "x@corp.example", "agent");
    ASSERT_FALSE(bad) << name;
    EXPECT_EQ(bad.error().code, ErrorCode::kInvalidInput);
  }
  EXPECT_TRUE(agent_from("Åsa Öberg", "asa@corp.example", "agent"));
  EXPECT_FALSE(agent_from("X", "not-an-address", "agent"));
  EXPECT_FALSE(agent_from("X", "x@corp.example", "boss"));
}

// The last active administrator can be neither disabled nor made an agent: nobody could
// then manage agents, tokens or rules. With another admin, either is fine.
// Each change of the configuration is on record, with who made it: an administrator's
// log that said nothing of routing, mailboxes, queues, processes or accounts could not tell
// who sent a support address's mail to another queue. A secret is never in it.
TEST_F(Admin, ConfigurationChangesAreOnRecordWithWhoMadeThem) {
  auto a = agent_from("Ada", "ada@corp.example", "admin");
  ASSERT_TRUE(a);
  ASSERT_TRUE(add_agent(*store_, *a, "admin", kOutgoing));
  const size_t before = agent_events().size();
  store::RoutingAddress r;
  r.email = "Billing@Corp.example";
  r.queue = "Billing";
  ASSERT_TRUE(put_routing_address(*store_, r, "ada@corp.example"));
  r.queue = "Finance";
  ASSERT_TRUE(put_routing_address(*store_, r, "ada@corp.example"));
  ASSERT_TRUE(remove_routing_address(*store_, "billing@corp.example", "root@corp.example"));
  ASSERT_TRUE(add_mailbox(*store_, dir_.path(), imap("support"), {std::string("s3cret pass"), std::nullopt},
                          "ada@corp.example"));
  ASSERT_TRUE(remove_mailbox(*store_, dir_.path(), "support", "ada@corp.example"));
  ASSERT_TRUE(add_queue(*store_, "Billing", {}, "ada@corp.example"));
  ASSERT_TRUE(add_queue_member(*store_, "Billing", "ADA@corp.example", "ada@corp.example"));
  ASSERT_TRUE(remove_queue_member(*store_, "Billing", "ada@corp.example", "ada@corp.example"));
  ASSERT_TRUE(add_process(*store_, "Refund", {"Check", "Pay"}, "ada@corp.example"));
  auto acct = add_account(*store_, {"Acme", "gold", {}}, "ada@corp.example");
  ASSERT_TRUE(acct) << acct.error().message;
  ASSERT_TRUE(update_account(*store_, acct->id, {std::string("Acme Ltd"), std::nullopt, std::nullopt}));
  auto all = agent_events();
  ASSERT_EQ(all.size(), before + 11) << ::testing::PrintToString(all);
  const std::vector<std::string> events(all.begin() + static_cast<long>(before), all.end());
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"ada@corp.example", "\"change\":\"added\""},
      {"ada@corp.example", "\"queue\":\"Finance\""},
      {"root@corp.example", "\"change\":\"removed\""},
      {"ada@corp.example", "\"what\":\"mailbox\""},
      {"ada@corp.example", "\"change\":\"removed\""},
      {"ada@corp.example", "\"what\":\"queue\""},
      {"ada@corp.example", "\"member_added\""},
      {"ada@corp.example", "\"member_removed\""},
      {"ada@corp.example", "\"stages\":\"Check, Pay\""},
      {"ada@corp.example", "\"name\":\"Acme\""},
      {"admin ", "\"name\":\"Acme Ltd\""}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(events[i].rfind(expected[i].first, 0), 0u) << events[i];
    EXPECT_NE(events[i].find(" config_changed "), std::string::npos) << events[i];
    EXPECT_NE(events[i].find(expected[i].second), std::string::npos) << i << ": " << events[i];
    EXPECT_EQ(events[i].find("s3cret"), std::string::npos) << events[i];
  }
  EXPECT_NE(events[1].find("\"change\":\"changed\""), std::string::npos) << events[1];
}

TEST_F(Admin, TheLastActiveAdministratorStaysOneAndAgentsAreRenamed) {
  for (const char* email : {"root@corp.example", "ada@corp.example"}) {
    auto a = agent_from("Someone", email, email == std::string("root@corp.example") ? "admin" : "agent");
    ASSERT_TRUE(a);
    ASSERT_TRUE(add_agent(*store_, *a, "admin", kOutgoing));
  }
  for (const AgentChange& change :
       {AgentChange{.active = false}, AgentChange{.role = store::AgentRole::kAgent},
        AgentChange{false, store::AgentRole::kAgent, "Root"}}) {
    auto refused = update_agent(*store_, "ROOT@corp.example", change, "root@corp.example");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
    EXPECT_NE(refused.error().message.find("last active administrator"), std::string::npos)
        << refused.error().message;
  }
  auto root = store_->find_agent_by_email("root@corp.example");
  ASSERT_TRUE(root && *root);
  EXPECT_TRUE((*root)->active);
  EXPECT_EQ((*root)->role, store::AgentRole::kAdmin);
  EXPECT_EQ((*root)->name, "Someone") << "a refused change changes nothing";
  // A disabled admin is no help: Ada is made one, disabled, and root still may not go.
  ASSERT_TRUE(
      update_agent(*store_, "ada@corp.example", {false, store::AgentRole::kAdmin, {}}, "root@corp.example"));
  EXPECT_FALSE(update_agent(*store_, "root@corp.example", {.active = false}, "root@corp.example"));
  ASSERT_TRUE(update_agent(*store_, "ada@corp.example", {.active = true}, "root@corp.example"));
  auto stepped_down =
      update_agent(*store_, "root@corp.example", {.role = store::AgentRole::kAgent}, "ada@corp.example");
  ASSERT_TRUE(stepped_down) << stepped_down.error().message;
  EXPECT_EQ(stepped_down->role, store::AgentRole::kAgent);
  // An agent's name changes, on record; a bad one is refused.
  auto renamed = update_agent(*store_, "ada@corp.example", {.name = "  Ada Lovelace "}, "ada@corp.example");
  ASSERT_TRUE(renamed) << renamed.error().message;
  EXPECT_EQ(renamed->name, "Ada Lovelace");
  EXPECT_EQ((*store_->find_agent_by_email("ada@corp.example"))->name, "Ada Lovelace");
  EXPECT_EQ(
      agent_events().back(),
      "ada@corp.example agent_renamed {\"email\":\"ada@corp.example\",\"from\":\"Someone\",\"to\":\"Ada "
      "Lovelace\"}");
  for (const char* bad : {"", "  ", "Ada\nBcc: x@corp.example"}) {
    auto no = update_agent(*store_, "ada@corp.example", {.name = bad}, "ada@corp.example");
    ASSERT_FALSE(no) << bad;
    EXPECT_EQ(no.error().code, ErrorCode::kInvalidInput);
  }
}

TEST_F(Admin, OnlyAHeldOrFailedMailIsDismissedKeptWithWhoAndWhy) {
  store::Id failed = 0, duplicate = 0;
  {
    auto u = store_->open_unit(store::Access::kWrite);
    ASSERT_TRUE(u);
    store::RawMessage m;
    m.sha256 = std::string(64, 'a');
    m.size = 10;
    m.source = "pipe";
    m.received_at = "2026-12-05T10:00:00Z";
    m.from = "x@spam.example";
    m.subject = "Garbage";
    m.state = store::RawState::kFailed;
    m.outcome = "failed";
    m.reason = "unparseable: no header";
    failed = *u->raw_messages().insert_raw(m);
    ASSERT_TRUE(u->raw_messages().update_raw([&] {
      auto f = m;
      f.id = failed;
      return f;
    }()));
    m.state = store::RawState::kDuplicate;
    m.outcome = "duplicate";
    duplicate = *u->raw_messages().insert_raw(m);
    ASSERT_TRUE(u->commit());
  }
  auto too_long =
      dismiss_message(*store_, failed, std::string(kMaxDismissReasonBytes + 1, 'x'), "root@corp.example");
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(too_long.error().message.rfind("reason: ", 0), 0u) << too_long.error().message;
  auto copy = dismiss_message(*store_, duplicate, "", "root@corp.example");
  ASSERT_FALSE(copy);
  EXPECT_EQ(copy.error().code, ErrorCode::kConflict);
  auto none = dismiss_message(*store_, 999, "", "root@corp.example");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(agent_events().empty());

  auto done = dismiss_message(*store_, failed, "", "root@corp.example");
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->message.state, store::RawState::kDismissed);
  EXPECT_EQ(done->was, store::RawState::kFailed);
  EXPECT_EQ(done->message.reason, "unparseable: no header; dismissed by root@corp.example");
  auto stored = store_->get_raw(failed);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->state, store::RawState::kDismissed);
  EXPECT_EQ((*stored)->sha256, std::string(64, 'a'));
  EXPECT_EQ(agent_events(),
            (std::vector<std::string>{
                "root@corp.example message_dismissed {\"from\":\"x@spam.example\",\"message\":\"" +
                std::to_string(failed) + "\",\"subject\":\"Garbage\",\"was\":\"failed\"}"}));
}

TEST_F(Admin, AFailedOutboxMailIsQueuedAgainNowASentOrQueuedOneIsNot) {
  store::Id failed = 0, sent = 0;
  {
    auto u = store_->open_unit(store::Access::kWrite);
    ASSERT_TRUE(u);
    store::OutboxMail m;
    m.kind = "comment";
    m.to = "bob@customer.example";
    m.message_id = "<1@corp.example>";
    m.raw = "bytes";
    m.state = store::OutboxState::kFailed;
    failed = *u->outbox().add_outbox(m);
    m.message_id = "<2@corp.example>";
    m.state = store::OutboxState::kSent;
    sent = *u->outbox().add_outbox(m);
    m.id = failed;
    m.state = store::OutboxState::kFailed;
    m.attempts = 8;
    m.last_error = "550 no such user";
    ASSERT_TRUE(u->outbox().update_outbox(m));
    ASSERT_TRUE(u->commit());
  }
  auto r = retry_outbox(*store_, failed, 1'800'000'000);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->state, store::OutboxState::kQueued);
  auto due = store_->claim_due("test:1:1", 1'800'000'000, 10, 600);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].id, failed);
  EXPECT_EQ((*due)[0].attempts, 0);

  // Claimed by one worker (being sent): a retry must not make it due for another.
  auto again = retry_outbox(*store_, failed, 1'800'000'000);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  auto second = store_->claim_due("test:2:2", 1'800'000'000, 10, 600);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->empty());

  auto no = retry_outbox(*store_, sent, 1'800'000'000);
  ASSERT_FALSE(no);
  EXPECT_EQ(no.error().code, ErrorCode::kConflict);
  auto missing = retry_outbox(*store_, 4242, 1'800'000'000);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace mailcase::admin
