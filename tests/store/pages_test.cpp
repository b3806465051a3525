// Keyset pages of the store's lists (the REST API's ?limit=&cursor=): cursors bound to
// their list, pages that neither repeat nor skip a row when rows arrive meanwhile, and
// plans that read one index range without sorting.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "store/page.h"
#include "store/store.h"
#include "support/query_plan.h"
#include "support/test_support.h"

namespace mailcase::store {
namespace {

TEST(PageCursor, RoundTripsOnItsListOnly) {
  const auto c = encode_cursor("messages:held", "42");
  auto id = decode_id_cursor("messages:held", c);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(*id, 42);
  EXPECT_EQ(c.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos)
      << c;  // safe in a query string as it is

  // Another list, another filter of the same list: refused, never read as a position.
  for (const char* other : {"messages:failed", "messages:", "outbox:held", "contacts"}) {
    auto r = decode_id_cursor(other, c);
    ASSERT_FALSE(r) << other;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
    EXPECT_NE(r.error().message.find("cursor"), std::string::npos);
  }
  auto key = decode_cursor("agents", encode_cursor("agents", "ada@corp.example"));
  ASSERT_TRUE(key);
  EXPECT_EQ(*key, "ada@corp.example");
}

TEST(PageCursor, GarbageAndTamperedCursorsAreRefused) {
  std::string tampered = encode_cursor("contacts", "7");
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  for (const std::string& bad :
       {std::string(), std::string("%%%"), std::string("abc"), tampered, std::string(2000, 'A'),
        encode_cursor("contacts", "x7"), encode_cursor("contacts", "-3"), encode_cursor("contacts", "0"),
        encode_cursor("contacts", "99999999999999999999999")}) {
    auto r = decode_id_cursor("contacts", bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  }
}

TEST(PageCursor, LimitIsOneToTwoHundred) {
  EXPECT_TRUE(check_page_limit(1));
  EXPECT_TRUE(check_page_limit(200));
  for (int bad : {0, -1, 201, 100000}) {
    auto r = check_page_limit(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
    EXPECT_NE(r.error().message.find("limit"), std::string::npos);
  }
}

class StorePages : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite(dir_.path() / "t.db");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }

  void write(const std::function<Status(UnitOfWork&)>& f) {
    auto u = store_->open_unit(Access::kWrite);
    ASSERT_TRUE(u) << u.error().message;
    auto st = f(*u);
    ASSERT_TRUE(st) << st.error().message;
    ASSERT_TRUE(u->commit());
  }

  Id add_raw(RawState state) {
    Id id = 0;
    write([&](UnitOfWork& u) -> Status {
      RawMessage m;
      m.sha256 = "sha-" + std::to_string(++n_);
      m.size = 10;
      m.source = "pipe";
      m.state = state;
      MC_ASSIGN_OR_RETURN(id, u.raw_messages().insert_raw(m));
      return {};
    });
    return id;
  }

  Id add_outbox(OutboxState state) {
    Id id = 0;
    write([&](UnitOfWork& u) -> Status {
      OutboxMail m;
      m.kind = "comment";
      m.to = "c" + std::to_string(++n_) + "@customer.example";
      m.message_id = "<o" + std::to_string(n_) + "@corp.example>";
      m.raw = std::string(5000, 'x');
      m.state = state;
      MC_ASSIGN_OR_RETURN(id, u.outbox().add_outbox(m));
      return {};
    });
    return id;
  }

  // The ids of every page of raw messages in `state`, following next_cursor; `between`
  // runs after each page (to add rows meanwhile).
  std::vector<Id> all_raw_pages(std::optional<RawState> state, int limit,
                                const std::function<void()>& between) {
    std::vector<Id> ids;
    PageRequest r;
    r.limit = limit;
    for (int guard = 0; guard < 100; ++guard) {
      auto page = store_->page_raw(state, r);
      EXPECT_TRUE(page) << page.error().message;
      if (!page) break;
      EXPECT_LE(page->items.size(), static_cast<size_t>(limit));
      for (const auto& m : page->items) ids.push_back(m.id);
      between();
      if (!page->next_cursor) break;
      r.cursor = page->next_cursor;
    }
    return ids;
  }

  // The plan of the one prepared statement whose text contains all of `parts`.
  std::string plan_of(const std::vector<std::string>& parts) {
    std::string sql;
    for (const auto& s : sqlite_prepared_sql(*store_)) {
      bool all = true;
      for (const auto& p : parts) all = all && s.find(p) != std::string::npos;
      if (all) sql = s;
    }
    EXPECT_FALSE(sql.empty()) << "no statement with " << parts.front();
    return mailcase::testing::query_plan(dir_.path() / "t.db", sql);
  }

  mailcase::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  int n_ = 0;
};

TEST_F(StorePages, HeldMailsNewestFirstNoneTwiceNoneSkippedWhileMailArrives) {
  std::vector<Id> held;
  for (int i = 0; i < 7; ++i) {
    held.push_back(add_raw(RawState::kHeld));
    add_raw(RawState::kProcessed);
    if (i % 3 == 0) add_raw(RawState::kFailed);
  }
  // While the pages are read, more held mail arrives: newer than the first page, so
  // never on a later one.
  auto ids = all_raw_pages(RawState::kHeld, 3, [&] { add_raw(RawState::kHeld); });
  std::vector<Id> expected(held.rbegin(), held.rend());
  EXPECT_EQ(ids, expected);

  PageRequest r;
  r.limit = 200;
  r.count = true;
  auto failed = store_->page_raw(RawState::kFailed, r);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->items.size(), 3u);
  EXPECT_FALSE(failed->next_cursor);
  ASSERT_TRUE(failed->total);
  EXPECT_EQ(*failed->total, 3);
  for (const auto& m : failed->items) EXPECT_EQ(m.state, RawState::kFailed);

  // No count unless asked.
  r.count = false;
  auto all = store_->page_raw(std::nullopt, r);
  ASSERT_TRUE(all);
  EXPECT_FALSE(all->total);
  EXPECT_GT(all->items.front().id, all->items.back().id);
}

TEST_F(StorePages, ACursorOfOneStateIsRefusedForAnother) {
  for (int i = 0; i < 3; ++i) add_raw(RawState::kHeld);
  PageRequest r;
  r.limit = 1;
  auto first = store_->page_raw(RawState::kHeld, r);
  ASSERT_TRUE(first && first->next_cursor);
  r.cursor = first->next_cursor;
  auto other = store_->page_raw(RawState::kFailed, r);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kInvalidInput);
  auto outbox = store_->page_outbox(std::nullopt, r);
  ASSERT_FALSE(outbox);
  EXPECT_EQ(outbox.error().code, ErrorCode::kInvalidInput);
  r.limit = 201;
  r.cursor.reset();
  EXPECT_FALSE(store_->page_raw(RawState::kHeld, r));
}

TEST_F(StorePages, OutboxByStateNewestFirstWithoutItsBytes) {
  std::vector<Id> failed;
  for (int i = 0; i < 5; ++i) {
    failed.push_back(add_outbox(OutboxState::kFailed));
    add_outbox(OutboxState::kSent);
  }
  PageRequest r;
  r.limit = 2;
  r.count = true;
  std::vector<Id> ids;
  for (int guard = 0; guard < 10; ++guard) {
    auto page = store_->page_outbox(OutboxState::kFailed, r);
    ASSERT_TRUE(page) << page.error().message;
    ASSERT_TRUE(page->total);
    EXPECT_EQ(*page->total, 5);
    for (const auto& m : page->items) {
      ids.push_back(m.id);
      EXPECT_EQ(m.state, OutboxState::kFailed);
      EXPECT_TRUE(m.raw.empty());
      EXPECT_FALSE(m.to.empty());
    }
    if (!page->next_cursor) break;
    r.cursor = page->next_cursor;
  }
  EXPECT_EQ(ids, std::vector<Id>(failed.rbegin(), failed.rend()));

  auto one = store_->get_outbox(failed.front());
  ASSERT_TRUE(one && *one);
  EXPECT_EQ((*one)->raw.size(), 5000u);
  auto none = store_->get_outbox(99999);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST_F(StorePages, ContactsWithTheirAddressesAccountsAgentsAndRoutingAddresses) {
  write([&](UnitOfWork& u) -> Status {
    for (int i = 0; i < 5; ++i) {
      Contact c;
      c.name = "C" + std::to_string(i);
      c.emails = {"c" + std::to_string(i) + "@customer.example", "c" + std::to_string(i) + "@home.example"};
      MC_RETURN_IF_ERROR(u.accounts().add_contact(c));
      Account a;
      a.name = "A" + std::to_string(i);
      a.emails = {"billing" + std::to_string(i) + "@customer.example"};
      MC_RETURN_IF_ERROR(u.accounts().add_account(a));
      Agent ag;
      ag.name = "Agent" + std::to_string(i);
      ag.email = "agent" + std::to_string(i) + "@corp.example";
      MC_RETURN_IF_ERROR(u.agents().add_agent(ag));
      RoutingAddress ra;
      ra.email = "q" + std::to_string(i) + "@corp.example";
      MC_RETURN_IF_ERROR(u.routing().put_address(ra));
    }
    return {};
  });
  PageRequest r;
  r.limit = 2;
  r.count = true;
  std::vector<std::string> names;
  for (int guard = 0; guard < 10; ++guard) {
    auto page = store_->page_contacts(r);
    ASSERT_TRUE(page) << page.error().message;
    EXPECT_EQ(page->total, 5);
    for (const auto& c : page->items) {
      names.push_back(c.name);
      ASSERT_EQ(c.emails.size(), 2u);
      EXPECT_NE(c.emails[0].find("@customer.example"), std::string::npos);
    }
    if (!page->next_cursor) break;
    r.cursor = page->next_cursor;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"C0", "C1", "C2", "C3", "C4"}));

  r = PageRequest{};
  r.limit = 4;
  auto accounts = store_->page_accounts(r);
  ASSERT_TRUE(accounts);
  ASSERT_EQ(accounts->items.size(), 4u);
  EXPECT_EQ(accounts->items[0].emails, std::vector<std::string>{"billing0@customer.example"});
  r.cursor = accounts->next_cursor;
  ASSERT_TRUE(r.cursor);
  auto rest = store_->page_accounts(r);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->items.size(), 1u);
  EXPECT_EQ(rest->items[0].name, "A4");
  EXPECT_FALSE(rest->next_cursor);

  r = PageRequest{};
  r.limit = 3;
  auto agents = store_->page_agents(r);
  ASSERT_TRUE(agents && agents->next_cursor);
  r.cursor = agents->next_cursor;
  auto agents2 = store_->page_agents(r);
  ASSERT_TRUE(agents2);
  ASSERT_EQ(agents2->items.size(), 2u);
  EXPECT_EQ(agents2->items[0].email, "agent3@corp.example");

  r = PageRequest{};
  r.limit = 5;
  r.count = true;
  auto addrs = store_->page_addresses(r);
  ASSERT_TRUE(addrs);
  EXPECT_EQ(addrs->items.size(), 5u);
  EXPECT_FALSE(addrs->next_cursor);
  EXPECT_EQ(addrs->total, 5);
  // A routing-address cursor is no agent cursor.
  r.limit = 1;
  r.count = false;
  auto a1 = store_->page_addresses(r);
  ASSERT_TRUE(a1 && a1->next_cursor);
  r.cursor = a1->next_cursor;
  auto wrong = store_->page_agents(r);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kInvalidInput);
}

// An account's page lists its contacts a page at a time, and only its own.
TEST_F(StorePages, AnAccountsContactsComeByIdAPageAtATime) {
  Id acme = 0, other = 0;
  write([&](UnitOfWork& u) -> Status {
    MC_ASSIGN_OR_RETURN(acme, u.accounts().add_account({0, "Acme", "", {}}));
    MC_ASSIGN_OR_RETURN(other, u.accounts().add_account({0, "Other", "", {}}));
    for (int i = 0; i < 7; ++i) {
      Contact c;
      c.name = "C" + std::to_string(i);
      c.emails = {"c" + std::to_string(i) + "@customer.example"};
      if (i % 3 != 2) c.account_id = i % 3 == 0 ? acme : other;
      MC_RETURN_IF_ERROR(u.accounts().add_contact(c));
    }
    return {};
  });
  PageRequest r;
  r.limit = 2;
  r.count = true;
  std::vector<std::string> names;
  for (int guard = 0; guard < 10; ++guard) {
    auto page = store_->page_account_contacts(acme, r);
    ASSERT_TRUE(page) << page.error().message;
    EXPECT_EQ(page->total, 3);
    for (const auto& c : page->items) {
      names.push_back(c.name);
      EXPECT_EQ(c.account_id, acme);
      EXPECT_EQ(c.emails.size(), 1u);
    }
    if (!page->next_cursor) break;
    r.cursor = page->next_cursor;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"C0", "C3", "C6"}));
  auto none = store_->page_account_contacts(99999, PageRequest{});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->items.empty());
  const auto plan = plan_of({"FROM contacts WHERE account_id = ? AND id > ?"});
  EXPECT_NE(plan.find("contacts_account"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
}

// An account's name, level and addresses are replaced at once; a clash changes nothing.
TEST_F(StorePages, UpdateAccountReplacesItsNameLevelAndAddresses) {
  Id acme = 0;
  write([&](UnitOfWork& u) -> Status {
    MC_ASSIGN_OR_RETURN(acme, u.accounts().add_account({0, "Acme", "", {"a@acme.example"}}));
    return u.accounts().add_account({0, "Globex", "", {"it@globex.example"}}).map([](Id) {});
  });
  write([&](UnitOfWork& u) -> Status {
    return u.accounts().update_account({acme, "Acme Corp", "gold", {"b@acme.example", "c@acme.example"}});
  });
  auto a = store_->get_account(acme);
  ASSERT_TRUE(a && *a);
  EXPECT_EQ((*a)->name, "Acme Corp");
  EXPECT_EQ((*a)->support_level, "gold");
  EXPECT_EQ((*a)->emails, (std::vector<std::string>{"b@acme.example", "c@acme.example"}));
  auto by_old = store_->find_account_by_email("a@acme.example");
  ASSERT_TRUE(by_old);
  EXPECT_FALSE(*by_old);
  auto unit = store_->open_unit(Access::kWrite);
  ASSERT_TRUE(unit);
  auto clash = unit->accounts().update_account({acme, "Acme Corp", "gold", {"it@globex.example"}});
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, ErrorCode::kConflict);
  auto none = unit->accounts().update_account({99999, "X", "", {}});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
}

// Contacts found by the start of a name, an address or an address's domain: index ranges,
// never a scan of the contacts or their addresses, and each page in id order without a sort.
TEST_F(StorePages, ContactsAreFoundByTheStartOfTheirNameOrAnAddress) {
  write([&](UnitOfWork& u) -> Status {
    MC_RETURN_IF_ERROR(u.accounts().add_contact({0, "Ann Smith", std::nullopt, "", {"ann@a.example"}}));
    MC_RETURN_IF_ERROR(
        u.accounts().add_contact({0, "Bob", std::nullopt, "", {"annex@b.example", "bob@b.example"}}));
    MC_RETURN_IF_ERROR(u.accounts().add_contact({0, "anna", std::nullopt, "", {"x@c.example"}}));
    MC_RETURN_IF_ERROR(u.accounts().add_contact({0, "Zed", std::nullopt, "", {"zed@ann.example"}}));
    MC_RETURN_IF_ERROR(
        u.accounts().add_contact({0, "Élodie Ségal-Ünver", std::nullopt, "", {"e@d.example"}}));
    MC_RETURN_IF_ERROR(u.accounts().add_contact({0, "Paweł Łęcki", std::nullopt, "", {"p@l.example"}}));
    return {};
  });
  auto names = [&](std::string_view prefix) {
    std::vector<std::string> out;
    PageRequest r;
    r.limit = 1;
    for (int guard = 0; guard < 10; ++guard) {
      auto page = store_->find_contacts(prefix, r);
      EXPECT_TRUE(page) << page.error().message;
      if (!page) break;
      for (const auto& c : page->items) out.push_back(c.name);
      if (!page->next_cursor) break;
      r.cursor = page->next_cursor;
    }
    return out;
  };
  EXPECT_EQ(names("ann"), (std::vector<std::string>{"Ann Smith", "Bob", "anna"}));
  EXPECT_EQ(names("ANN S"), std::vector<std::string>{"Ann Smith"});
  EXPECT_EQ(names("bob@"), std::vector<std::string>{"Bob"});
  // Any word of the name, by its start, whatever its letter case and accents.
  EXPECT_EQ(names("smith"), std::vector<std::string>{"Ann Smith"});
  EXPECT_EQ(names("SMI ann"), std::vector<std::string>{"Ann Smith"});
  EXPECT_TRUE(names("smith bob").empty());
  EXPECT_EQ(names("elodie"), std::vector<std::string>{"Élodie Ségal-Ünver"});
  EXPECT_EQ(names("ÉLO unv"), std::vector<std::string>{"Élodie Ségal-Ünver"});
  EXPECT_EQ(names("segal"), std::vector<std::string>{"Élodie Ségal-Ünver"});
  EXPECT_TRUE(names("lodie").empty());  // a word's start, not its middle
  // A letter of no accent-free form is found by its plain letter too.
  EXPECT_EQ(names("pawel"), std::vector<std::string>{"Paweł Łęcki"});
  EXPECT_EQ(names("LEC"), std::vector<std::string>{"Paweł Łęcki"});
  EXPECT_EQ(names("łęc"), std::vector<std::string>{"Paweł Łęcki"});
  // FTS5's syntax is text here, and a search of no word looks at addresses only.
  EXPECT_TRUE(names("NEAR(ann smith)").empty());
  EXPECT_EQ(names("ann*"), (std::vector<std::string>{"Ann Smith", "anna"}));  // "*" parts words
  EXPECT_TRUE(names("\"").empty());
  EXPECT_EQ(names("e@"), std::vector<std::string>{"Élodie Ségal-Ünver"});
  EXPECT_TRUE(names("@").empty());
  // The start of a domain: after an "@", or a text with a dot (and no "@" or space).
  EXPECT_EQ(names("@ann"), std::vector<std::string>{"Zed"});
  EXPECT_EQ(names("@B.EX"), std::vector<std::string>{"Bob"});
  EXPECT_EQ(names("ann.example"), std::vector<std::string>{"Zed"});
  EXPECT_EQ(names("@example").size(), 0u);  // the domain's start, not any of its labels
  EXPECT_EQ(names("x@c.example"), std::vector<std::string>{"anna"});
  EXPECT_TRUE(names("@zzz.example").empty());
  EXPECT_TRUE(names("ann@ann.example").empty());  // a whole address matches as one
  EXPECT_TRUE(names("\xF4\x8F\xBF\xBF").empty());
  PageRequest counted;
  counted.count = true;
  auto all = store_->find_contacts("ann", counted);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->total, 3);
  auto by_addresses = store_->find_contacts("@", counted);  // no word: the addresses' index only
  ASSERT_TRUE(by_addresses);
  EXPECT_EQ(by_addresses->total, 0);
  auto by_domain = store_->find_contacts("@b.example", counted);
  ASSERT_TRUE(by_domain);
  EXPECT_EQ(by_domain->total, 1);  // Bob, once for his two addresses there
  // With words (the names' index and the addresses'), and without (the addresses' only).
  for (const auto& parts :
       std::vector<std::vector<std::string>>{{"FROM contacts WHERE id IN", "LIMIT ?7"},
                                             {"count(*) FROM (SELECT contact_id", "MATCH"},
                                             {"FROM contacts WHERE id IN", "LIMIT ?6"},
                                             {"count(*) FROM (SELECT contact_id", "?4)"}}) {
    const auto plan = plan_of(parts);
    const bool words = parts.back() == "LIMIT ?7" || parts.back() == "MATCH";
    EXPECT_EQ(plan.find("contact_names VIRTUAL TABLE") != std::string::npos, words) << plan;
    EXPECT_NE(plan.find("sqlite_autoindex_contact_emails"), std::string::npos) << plan;
    EXPECT_NE(plan.find("contact_emails_domain"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("SCAN contacts"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("SCAN contact_emails"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("USE TEMP B-TREE FOR ORDER BY"), std::string::npos) << plan;
  }
}

// A contact's name goes into the names' index as its unit commits (migration 48), and a
// search of names sees its own unit's writes: a contact added, renamed or removed is
// found, or not, by its name as it is now, inside the unit and after it; a unit undone
// leaves the index as it was; a contact written outside any unit is found by the next
// search. The index agrees with the contacts throughout (FTS5's own integrity check).
TEST_F(StorePages, ContactNamesAreFoundAsTheyAreInTheirUnitAndAfterIt) {
  auto names_in = [](AccountRepository& a, std::string_view prefix) {
    std::vector<std::string> out;
    PageRequest r;
    r.limit = 50;
    auto page = a.find_contacts(prefix, r);
    EXPECT_TRUE(page) << page.error().message;
    if (page)
      for (const auto& c : page->items) out.push_back(c.name);
    return out;
  };
  auto names = [&](std::string_view prefix) { return names_in(*store_, prefix); };
  using V = std::vector<std::string>;
  const auto index_agrees = [&] {
    sqlite3* h = nullptr;
    EXPECT_EQ(sqlite3_open((dir_.path() / "t.db").c_str(), &h), SQLITE_OK);
    const int rc =
        sqlite3_exec(h, "INSERT INTO contact_names(contact_names, rank) VALUES('integrity-check', 1)",
                     nullptr, nullptr, nullptr);
    std::string msg = sqlite3_errmsg(h);
    sqlite3_close(h);
    return rc == SQLITE_OK ? std::string() : msg;
  };
  Contact kasia{0, "Kasia Nowak", std::nullopt, "", {"c1@m1.example"}};
  Contact olga{0, "Olga Brandt", std::nullopt, "", {"c2@m2.example"}};
  Contact greta{0, "Greta Lind", std::nullopt, "", {"c3@m3.example"}};
  write([&](UnitOfWork& u) -> Status {
    MC_ASSIGN_OR_RETURN(kasia.id, u.accounts().add_contact(kasia));
    MC_ASSIGN_OR_RETURN(olga.id, u.accounts().add_contact(olga));
    MC_ASSIGN_OR_RETURN(greta.id, u.accounts().add_contact(greta));
    EXPECT_EQ(names_in(u.accounts(), "kas"), V{"Kasia Nowak"});  // before the commit
    olga.name = "Oona Brandt";                                   // renamed before it was indexed
    MC_RETURN_IF_ERROR(u.accounts().update_contact(olga));
    EXPECT_EQ(names_in(u.accounts(), "olg"), V{});
    EXPECT_EQ(names_in(u.accounts(), "oon"), V{"Oona Brandt"});
    return {};
  });
  EXPECT_EQ(names("kas"), V{"Kasia Nowak"});
  EXPECT_EQ(names("oon"), V{"Oona Brandt"});
  EXPECT_EQ(names("olg"), V{});
  EXPECT_EQ(names("gre"), V{"Greta Lind"});
  EXPECT_EQ(index_agrees(), "");

  // Indexed as its unit commits, with no search in the unit.
  write([&](UnitOfWork& u) -> Status {
    return u.accounts().add_contact({0, "Hanna Sund", std::nullopt, "", {"c7@m7.example"}}).map([](Id) {});
  });
  EXPECT_EQ(index_agrees(), "");
  EXPECT_EQ(names("han"), V{"Hanna Sund"});

  // An indexed name renamed twice in one unit, an indexed contact removed, and a contact
  // added and removed in the same unit.
  write([&](UnitOfWork& u) -> Status {
    kasia.name = "Kinga Nowak";
    MC_RETURN_IF_ERROR(u.accounts().update_contact(kasia));
    EXPECT_EQ(names_in(u.accounts(), "kas"), V{});
    EXPECT_EQ(names_in(u.accounts(), "kin"), V{"Kinga Nowak"});
    kasia.name = "Karla Nowak";
    MC_RETURN_IF_ERROR(u.accounts().update_contact(kasia));
    MC_RETURN_IF_ERROR(u.accounts().remove_contact(greta.id));
    MC_ASSIGN_OR_RETURN(const Id yola,
                        u.accounts().add_contact({0, "Yola Brandt", std::nullopt, "", {"c4@m4.example"}}));
    EXPECT_EQ(names_in(u.accounts(), "brandt"), (V{"Oona Brandt", "Yola Brandt"}));
    return u.accounts().remove_contact(yola);
  });
  EXPECT_EQ(names("kin"), V{});
  EXPECT_EQ(names("kar"), V{"Karla Nowak"});
  EXPECT_EQ(names("nowak"), V{"Karla Nowak"});
  EXPECT_EQ(names("gre"), V{});
  EXPECT_EQ(names("brandt"), V{"Oona Brandt"});
  EXPECT_EQ(index_agrees(), "");

  // Undone: a contact added and an indexed one renamed leave no trace.
  {
    auto u = store_->open_unit(Access::kWrite);
    ASSERT_TRUE(u) << u.error().message;
    ASSERT_TRUE(u->accounts().add_contact({0, "Ulla Berg", std::nullopt, "", {"c5@m5.example"}}));
    Contact x = kasia;
    x.name = "Xenia Nowak";
    ASSERT_TRUE(u->accounts().update_contact(x));
    EXPECT_EQ(names_in(u->accounts(), "xen"), V{"Xenia Nowak"});
    EXPECT_EQ(names_in(u->accounts(), "ull"), V{"Ulla Berg"});
  }
  EXPECT_EQ(names("ull"), V{});
  EXPECT_EQ(names("xen"), V{});
  EXPECT_EQ(names("kar"), V{"Karla Nowak"});
  EXPECT_EQ(index_agrees(), "");

  // Written outside any unit (no mailcase code does): the search indexes it first.
  ASSERT_TRUE(store_->add_contact({0, "Wanda Ek", std::nullopt, "", {"c6@m6.example"}}));
  EXPECT_EQ(names("wan"), V{"Wanda Ek"});
  EXPECT_EQ(index_agrees(), "");
}

// The administration's log: the events of no case, newest first, by keyset on an index
// range (no scan of every case's events, no sort).
TEST_F(StorePages, TheEventsOfNoCaseArePagedNewestFirst) {
  write([&](UnitOfWork& u) -> Status {
    Case c;
    c.subject = "Printer";
    c.queue = "support";
    MC_ASSIGN_OR_RETURN(auto made, u.cases().insert_case(c, "CS", 7));
    for (int i = 0; i < 3; ++i) {
      MC_RETURN_IF_ERROR(u.events().add_event({.actor = "ada@corp.example",
                                               .action = EventAction::kAgentAdded,
                                               .details = {{"n", std::to_string(i)}}}));
      MC_RETURN_IF_ERROR(u.events().add_event({.case_id = made.id, .action = EventAction::kCreated}));
    }
    return {};
  });
  std::vector<std::string> seen;
  PageRequest r;
  r.limit = 2;
  r.count = true;
  for (int guard = 0; guard < 5; ++guard) {
    auto page = store_->page_admin_events(r);
    ASSERT_TRUE(page) << page.error().message;
    EXPECT_EQ(page->total, 3);
    for (const auto& e : page->items) {
      EXPECT_FALSE(e.case_id);
      seen.push_back(e.details.at("n"));
    }
    if (!page->next_cursor) break;
    r.cursor = page->next_cursor;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"2", "1", "0"}));
  PageRequest other;
  other.cursor = encode_cursor("events:1", "5");
  EXPECT_FALSE(store_->page_admin_events(other));
  const auto plan = plan_of({"WHERE case_id IS NULL AND id < ?"});
  EXPECT_NE(plan.find("events_case"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
}

TEST_F(StorePages, UpdateContactReplacesItsAddressesAndRemoveAddressAndRole) {
  Id bob = 0;
  write([&](UnitOfWork& u) -> Status {
    MC_ASSIGN_OR_RETURN(bob,
                        u.accounts().add_contact({0, "Bob", std::nullopt, "", {"bob@customer.example"}}));
    MC_RETURN_IF_ERROR(u.accounts().add_contact({0, "Eve", std::nullopt, "", {"eve@customer.example"}}));
    MC_RETURN_IF_ERROR(u.routing().put_address({.email = "help@corp.example"}));
    MC_RETURN_IF_ERROR(u.agents().add_agent({0, "Ada", "ada@corp.example", AgentRole::kAgent, true, ""}));
    return {};
  });
  write([&](UnitOfWork& u) -> Status {
    return u.accounts().update_contact(
        {bob, "Bob B.", std::nullopt, "fr", {"bob@new.example", "bob@customer.example"}});
  });
  auto c = store_->get_contact(bob);
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->name, "Bob B.");
  EXPECT_EQ((*c)->language, "fr");
  EXPECT_EQ((*c)->emails, (std::vector<std::string>{"bob@new.example", "bob@customer.example"}));
  auto by_new = store_->find_contact_by_email("BOB@new.example");
  ASSERT_TRUE(by_new && *by_new);
  EXPECT_EQ((*by_new)->id, bob);

  {
    // Refusals, in a unit that is then rolled back (as every caller does on an error).
    auto u = store_->open_unit(Access::kWrite);
    ASSERT_TRUE(u);
    auto taken = u->accounts().update_contact({bob, "Bob", std::nullopt, "", {"eve@customer.example"}});
    ASSERT_FALSE(taken);
    EXPECT_EQ(taken.error().code, ErrorCode::kConflict);
    auto missing = u->accounts().update_contact({999, "X", std::nullopt, "", {}});
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
    auto gone = u->routing().remove_address("nobody@corp.example");
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
    auto no_agent = u->agents().set_agent_role("nobody@corp.example", AgentRole::kAdmin);
    ASSERT_FALSE(no_agent);
    EXPECT_EQ(no_agent.error().code, ErrorCode::kNotFound);
  }
  write([&](UnitOfWork& u) -> Status {
    MC_RETURN_IF_ERROR(u.routing().remove_address("HELP@corp.example"));
    return u.agents().set_agent_role("Ada@corp.example", AgentRole::kAdmin);
  });
  auto addrs = store_->list_addresses();
  ASSERT_TRUE(addrs);
  EXPECT_TRUE(addrs->empty());
  auto ada = store_->find_agent_by_email("ada@corp.example");
  ASSERT_TRUE(ada && *ada);
  EXPECT_EQ((*ada)->role, AgentRole::kAdmin);
}

// The API lists held and failed mail and the outbox by state on every page view: each
// page is one index range read backwards, never a sort of the whole state.
TEST_F(StorePages, ListsByStateUseAnIndexAndNoSort) {
  add_raw(RawState::kHeld);
  add_outbox(OutboxState::kFailed);
  PageRequest r;
  r.count = true;
  ASSERT_TRUE(store_->page_raw(RawState::kHeld, r));
  ASSERT_TRUE(store_->page_outbox(OutboxState::kFailed, r));
  ASSERT_TRUE(store_->page_raw(std::nullopt, r));
  ASSERT_TRUE(store_->page_outbox(std::nullopt, r));
  ASSERT_TRUE(store_->page_contacts(r));
  ASSERT_TRUE(store_->page_agents(r));

  for (const auto& parts : std::vector<std::vector<std::string>>{
           {"FROM raw_messages WHERE state = ? AND id < ?"},
           {"FROM outbox INDEXED BY outbox_state WHERE state = ? AND id < ?"},
           {"FROM raw_messages WHERE id < ?"},
           {"FROM outbox WHERE id < ?"},
           {"FROM contacts WHERE id > ?"},
           {"FROM agents WHERE email > ?"},
           {"count(*) FROM raw_messages WHERE state = ?"},
           {"count(*) FROM outbox INDEXED BY outbox_state WHERE state = ?"}}) {
    const auto plan = plan_of(parts);
    EXPECT_NE(plan.find("SEARCH"), std::string::npos) << parts.front() << "\n" << plan;
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << parts.front() << "\n" << plan;
  }
}

}  // namespace
}  // namespace mailcase::store
