// CaseRepository::find_cases on SQLite: the filters, sorts and keyset pages of the case
// list, and the FTS5 search (migration 13) with its ranking and snippets.
#include "store/sqlite/case_search.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "store/sqlite/connection.h"
#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::store {
namespace {

using Sort = CaseQuery::Sort;

class CaseSearchTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void TearDown() override {
    if (raw_) sqlite3_close_v2(raw_);
  }

  void open(int max_version = 0) {
    store_.reset();
    SqliteOptions o;
    o.synchronous_full = false;
    o.max_schema_version = max_version;
    auto s = open_sqlite(dir_.path() / "t.db", o);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    if (!raw_) {
      ASSERT_EQ(sqlite3_open((dir_.path() / "t.db").c_str(), &raw_), SQLITE_OK);
      sqlite3_busy_timeout(raw_, 10000);
    }
  }

  Id contact(const std::string& name, std::vector<std::string> emails) {
    auto w = store_->begin_work();
    EXPECT_TRUE(w);
    Contact c;
    c.name = name;
    c.emails = std::move(emails);
    auto id = store_->add_contact(c);
    EXPECT_TRUE(id) << id.error().message;
    EXPECT_TRUE(w->commit());
    return *id;
  }

  // A case as the mail path makes one, with its first comment; updated_at set afterwards
  // when given, so that orders do not hang on the clock.
  Id add(const std::string& subject, const std::string& body = "", CaseStatus status = CaseStatus::kOpen,
         const std::string& queue = "Support", const std::string& owner = "",
         std::optional<Id> contact_id = std::nullopt, const std::string& updated_at = "") {
    auto w = store_->begin_work();
    EXPECT_TRUE(w);
    Case c;
    c.subject = subject;
    c.status = status;
    c.queue = queue;
    c.owner = owner;
    c.contact_id = contact_id;
    auto made = store_->insert_case(c, "CS", 7);
    EXPECT_TRUE(made) << made.error().message;
    if (!body.empty()) comment(made->id, body, false);
    EXPECT_TRUE(w->commit());
    if (!updated_at.empty()) set_updated(made->id, updated_at);
    return made->id;
  }

  void comment(Id case_id, const std::string& body, bool in_unit = true) {
    std::optional<UnitOfWork> w;
    if (in_unit) w.emplace(*store_->begin_work());
    Comment cm;
    cm.case_id = case_id;
    cm.body = body;
    cm.author = "x@example.org";
    auto r = store_->add_comment(cm);
    EXPECT_TRUE(r) << r.error().message;
    if (w) {
      EXPECT_TRUE(w->commit());
    }
  }

  void set_updated(Id id, const std::string& at) {
    std::string sql = "UPDATE cases SET updated_at = '" + at + "' WHERE id = " + std::to_string(id);
    ASSERT_EQ(sqlite3_exec(raw_, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(raw_);
  }

  std::vector<Id> ids(const CaseQuery& q) {
    auto page = store_->find_cases(q);
    EXPECT_TRUE(page) << page.error().message;
    std::vector<Id> out;
    if (page)
      for (const auto& h : page->items) out.push_back(h.summary.c.id);
    return out;
  }

  // Every id of q's pages, read through next_cursor with pages of `limit`.
  std::vector<Id> all_pages(CaseQuery q, int limit) {
    q.limit = limit;
    std::vector<Id> out;
    for (int guard = 0; guard < 1000; ++guard) {
      auto page = store_->find_cases(q);
      EXPECT_TRUE(page) << page.error().message;
      if (!page) break;
      for (const auto& h : page->items) out.push_back(h.summary.c.id);
      if (!page->next_cursor) break;
      q.cursor = page->next_cursor;
    }
    return out;
  }

  // The index agrees with the text it indexes (FTS5 reads every row back through the view).
  void integrity_check() {
    ASSERT_EQ(sqlite3_exec(raw_, "INSERT INTO case_search(case_search, rank) VALUES('integrity-check', 1)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(raw_);
  }

  // SetUp's store and file dropped for a new one at `version`.
  void open_new_file(int version) {
    store_.reset();
    sqlite3_close_v2(raw_);
    raw_ = nullptr;
    for (const char* f : {"t.db", "t.db-wal", "t.db-shm"}) std::filesystem::remove(dir_.path() / f);
    open(version);
  }

  // "filler filler …", at least `size` characters.
  static std::string filler(size_t size) {
    std::string out;
    while (out.size() < size) out += "filler ";
    return out;
  }

  CaseQuery text(const std::string& t) {
    CaseQuery q;
    q.text = t;
    return q;
  }

  mailcase::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  sqlite3* raw_ = nullptr;
};

TEST_F(CaseSearchTest, ListsByUpdatedNewestFirstByDefault) {
  Id a = add("a", "", CaseStatus::kOpen, "Support", "", std::nullopt, "2026-01-02T00:00:00Z");
  Id b = add("b", "", CaseStatus::kOpen, "Support", "", std::nullopt, "2026-01-03T00:00:00Z");
  Id c = add("c", "", CaseStatus::kOpen, "Support", "", std::nullopt, "2026-01-01T00:00:00Z");
  EXPECT_EQ(ids({}), (std::vector<Id>{b, a, c}));
  CaseQuery q;
  q.sort = Sort::kUpdatedAsc;
  EXPECT_EQ(ids(q), (std::vector<Id>{c, a, b}));
  q.sort = Sort::kCreatedDesc;
  EXPECT_EQ(ids(q), (std::vector<Id>{c, b, a}));
  q.sort = Sort::kCreatedAsc;
  EXPECT_EQ(ids(q), (std::vector<Id>{a, b, c}));
}

TEST_F(CaseSearchTest, FiltersAloneAndCombined) {
  Id anna = contact("Anna Nowak", {"anna@example.org", "Anna.Private@mail.example"});
  Id c1 = add("one", "", CaseStatus::kOpen, "Support", "marek@corp.example", anna, "2026-01-01T00:00:00Z");
  Id c2 = add("two", "", CaseStatus::kClosed, "Support", "", anna, "2026-01-05T00:00:00Z");
  Id c3 = add("three", "", CaseStatus::kOpen, "Sales", "marek@corp.example", std::nullopt,
              "2026-01-09T00:00:00Z");
  Id c4 = add("four", "", CaseStatus::kNew, "Sales", "", std::nullopt, "2026-01-10T00:00:00Z");

  CaseQuery q;
  q.status = CaseStatus::kOpen;
  EXPECT_EQ(ids(q), (std::vector<Id>{c3, c1}));
  q = {};
  q.queue = "Sales";
  EXPECT_EQ(ids(q), (std::vector<Id>{c4, c3}));
  q = {};
  q.owner = "Marek@Corp.Example";  // normalized like the stored owner
  EXPECT_EQ(ids(q), (std::vector<Id>{c3, c1}));
  q = {};
  q.contact = "anna.private@MAIL.example";  // any of the contact's addresses
  EXPECT_EQ(ids(q), (std::vector<Id>{c2, c1}));
  q.contact = "nobody@example.org";
  EXPECT_EQ(ids(q), (std::vector<Id>{}));
  q = {};
  q.updated_since = "2026-01-05";
  EXPECT_EQ(ids(q), (std::vector<Id>{c4, c3, c2}));

  q = {};
  q.status = CaseStatus::kOpen;
  q.queue = "Support";
  EXPECT_EQ(ids(q), (std::vector<Id>{c1}));
  q = {};
  q.owner = "marek@corp.example";
  q.updated_since = "2026-01-02T00:00:00Z";
  EXPECT_EQ(ids(q), (std::vector<Id>{c3}));
  q = {};
  q.contact = "anna@example.org";
  q.status = CaseStatus::kClosed;
  q.queue = "Support";
  EXPECT_EQ(ids(q), (std::vector<Id>{c2}));
}

// "Unsolved": new, open and solution proposed together, in the list's order, paged by
// its cursor across the three statuses, and counted; a status given wins over it.
TEST_F(CaseSearchTest, UnsolvedCasesAreTheThreeStatusesStillBeingWorkedInOneList) {
  std::vector<Id> unsolved;  // newest first, as the list gives them
  const CaseStatus cycle[] = {CaseStatus::kClosed, CaseStatus::kNew, CaseStatus::kResolved, CaseStatus::kOpen,
                              CaseStatus::kSolutionProposed};
  for (int i = 0; i < 25; ++i) {
    char at[32];
    std::snprintf(at, sizeof at, "2026-02-%02dT00:00:00Z", i + 1);
    const CaseStatus st = cycle[i % 5];
    Id id = add("case " + std::to_string(i), "", st, i % 2 ? "Sales" : "Support", "", std::nullopt, at);
    if (st != CaseStatus::kClosed && st != CaseStatus::kResolved) unsolved.insert(unsolved.begin(), id);
  }
  ASSERT_EQ(unsolved.size(), 15u);
  CaseQuery q;
  q.unsolved = true;
  q.limit = 4;
  q.count = true;
  std::vector<Id> seen;
  for (int page = 0; page < 10; ++page) {
    auto p = store_->find_cases(q);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->total, 15);
    for (const auto& h : p->items) seen.push_back(h.summary.c.id);
    if (!p->next_cursor) break;
    q.cursor = *p->next_cursor;
  }
  EXPECT_EQ(seen, unsolved);
  // Oldest first, and with a queue.
  q = {};
  q.unsolved = true;
  q.sort = Sort::kUpdatedAsc;
  q.limit = 200;
  auto asc = ids(q);
  EXPECT_EQ(asc, std::vector<Id>(unsolved.rbegin(), unsolved.rend()));
  q.queue = "Sales";
  for (Id id : ids(q)) EXPECT_NE(std::find(unsolved.begin(), unsolved.end(), id), unsolved.end());
  // A status given is the filter.
  q = {};
  q.unsolved = true;
  q.status = CaseStatus::kClosed;
  EXPECT_EQ(ids(q).size(), 5u);
  // A cursor of the unsolved list is no cursor of the whole list.
  CaseQuery first;
  first.unsolved = true;
  first.limit = 2;
  auto p = store_->find_cases(first);
  ASSERT_TRUE(p && p->next_cursor);
  CaseQuery all;
  all.cursor = *p->next_cursor;
  EXPECT_FALSE(store_->find_cases(all));
}

TEST_F(CaseSearchTest, SummariesCarryTheContact) {
  Id anna = contact("Anna Nowak", {"anna@example.org"});
  add("printer", "", CaseStatus::kOpen, "Support", "", anna);
  auto page = store_->find_cases({});
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->items.size(), 1u);
  ASSERT_TRUE(page->items[0].summary.contact);
  EXPECT_EQ(page->items[0].summary.contact->name, "Anna Nowak");
  EXPECT_EQ(page->items[0].summary.contact->emails, std::vector<std::string>{"anna@example.org"});
  EXPECT_EQ(page->items[0].summary.c.subject, "printer");
  EXPECT_EQ(page->items[0].snippet, "");
}

TEST_F(CaseSearchTest, PagesThroughEveryRowOnceInEachOrder) {
  std::set<Id> made;
  // Ties on updated_at (same second) are ordered by id, across page boundaries too.
  for (int i = 0; i < 23; ++i) {
    std::string at = "2026-01-" + std::string(i % 3 == 0 ? "01" : "02") + "T00:00:00Z";
    made.insert(add("case " + std::to_string(i), "", i % 2 ? CaseStatus::kOpen : CaseStatus::kNew, "Support",
                    "", std::nullopt, at));
  }
  for (Sort s : {Sort::kUpdatedDesc, Sort::kUpdatedAsc, Sort::kCreatedDesc, Sort::kCreatedAsc}) {
    CaseQuery q;
    q.sort = s;
    auto got = all_pages(q, 4);
    EXPECT_EQ(got.size(), made.size()) << static_cast<int>(s);
    EXPECT_EQ(std::set<Id>(got.begin(), got.end()), made) << static_cast<int>(s);
    q.limit = 200;
    EXPECT_EQ(got, ids(q)) << "pages differ from one long page, sort " << static_cast<int>(s);
  }
  CaseQuery open;
  open.status = CaseStatus::kOpen;
  EXPECT_EQ(all_pages(open, 3).size(), 11u);
}

TEST_F(CaseSearchTest, PagesStayStableWhileCasesAreAdded) {
  std::set<Id> before;
  for (int i = 0; i < 10; ++i)
    before.insert(add("printer " + std::to_string(i), "toner", CaseStatus::kOpen, "Support", "", std::nullopt,
                      "2026-01-01T00:00:" + std::string(i < 10 ? "0" : "") + std::to_string(i) + "Z"));
  for (Sort s :
       {Sort::kUpdatedDesc, Sort::kUpdatedAsc, Sort::kCreatedDesc, Sort::kCreatedAsc, Sort::kRelevance}) {
    CaseQuery q = text("printer");
    q.sort = s;
    q.limit = 3;
    std::vector<Id> seen;
    for (int guard = 0; guard < 100; ++guard) {
      auto page = store_->find_cases(q);
      ASSERT_TRUE(page) << page.error().message;
      for (const auto& h : page->items) seen.push_back(h.summary.c.id);
      add("printer new", "toner toner printer");  // between every two pages
      if (!page->next_cursor) break;
      q.cursor = page->next_cursor;
    }
    std::set<Id> uniq(seen.begin(), seen.end());
    EXPECT_EQ(uniq.size(), seen.size()) << "a row twice, sort " << static_cast<int>(s);
    for (Id id : before)
      EXPECT_TRUE(uniq.count(id)) << "case " << id << " skipped, sort " << static_cast<int>(s);
  }
}

TEST_F(CaseSearchTest, RefusesACursorOfOtherFiltersOrAltered) {
  for (int i = 0; i < 5; ++i) add("case " + std::to_string(i));
  CaseQuery q;
  q.limit = 2;
  q.queue = "Support";
  auto page = store_->find_cases(q);
  ASSERT_TRUE(page && page->next_cursor);
  auto other = q;
  other.cursor = page->next_cursor;
  other.queue = "Sales";
  auto r = store_->find_cases(other);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(r.error().message.find("cursor"), std::string::npos);
  auto sorted = q;
  sorted.cursor = page->next_cursor;
  sorted.sort = Sort::kCreatedAsc;
  EXPECT_EQ(store_->find_cases(sorted).error().code, ErrorCode::kInvalidInput);
  auto altered = q;
  altered.cursor = *page->next_cursor;
  (*altered.cursor)[3] = (*altered.cursor)[3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(store_->find_cases(altered).error().code, ErrorCode::kInvalidInput);
  altered.cursor = "not a cursor";
  EXPECT_EQ(store_->find_cases(altered).error().code, ErrorCode::kInvalidInput);
}

TEST_F(CaseSearchTest, RefusesBadLimitsSortsAndTimes) {
  for (int limit : {0, -1, 201, 100000}) {
    CaseQuery q;
    q.limit = limit;
    auto r = store_->find_cases(q);
    ASSERT_FALSE(r) << limit;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  }
  CaseQuery q;
  q.limit = 200;
  EXPECT_TRUE(store_->find_cases(q));
  q.limit = 1;
  EXPECT_TRUE(store_->find_cases(q));
  q.sort = Sort::kRelevance;
  EXPECT_EQ(store_->find_cases(q).error().code, ErrorCode::kInvalidInput);
  q = {};
  q.updated_since = "last week";
  EXPECT_EQ(store_->find_cases(q).error().code, ErrorCode::kInvalidInput);
  q = text(std::string(2000, 'a'));
  EXPECT_EQ(store_->find_cases(q).error().code, ErrorCode::kInvalidInput);
}

TEST_F(CaseSearchTest, CountsEveryPageWhenAsked) {
  for (int i = 0; i < 7; ++i)
    add("printer " + std::to_string(i), "", i < 3 ? CaseStatus::kOpen : CaseStatus::kNew);
  add("scanner", "", CaseStatus::kNew);
  CaseQuery q;
  q.limit = 2;
  auto page = store_->find_cases(q);
  ASSERT_TRUE(page);
  EXPECT_FALSE(page->total);
  q.count = true;
  page = store_->find_cases(q);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 8);
  EXPECT_EQ(page->items.size(), 2u);
  q.status = CaseStatus::kOpen;
  EXPECT_EQ(store_->find_cases(q)->total, 3);
  q = text("printer");
  q.count = true;
  q.limit = 1;
  EXPECT_EQ(store_->find_cases(q)->total, 7);
}

TEST_F(CaseSearchTest, FindsSubjectCommentAndContactWords) {
  Id anna = contact("Anna Kowalska", {"anna.k@example.org"});
  Id c1 = add("Printer jammed", "the tray is stuck", CaseStatus::kOpen, "Support", "", anna);
  Id c2 = add("Login problem", "password expired yesterday");
  comment(c2, "internal: escalate to identity team");

  EXPECT_EQ(ids(text("printer")), std::vector<Id>{c1});
  EXPECT_EQ(ids(text("tray")), std::vector<Id>{c1});
  EXPECT_EQ(ids(text("kowalska")), std::vector<Id>{c1});
  EXPECT_EQ(ids(text("anna.k@example.org")), std::vector<Id>{c1});
  EXPECT_EQ(ids(text("identity")), std::vector<Id>{c2});       // a later comment, internal too
  EXPECT_EQ(ids(text("LOGIN expired")), std::vector<Id>{c2});  // words ANDed across fields
  EXPECT_EQ(ids(text("printer expired")), std::vector<Id>{});
  EXPECT_EQ(ids(text("nothing")), std::vector<Id>{});
}

TEST_F(CaseSearchTest, CombinesTextWithFiltersAndSorts) {
  Id a = add("printer one", "", CaseStatus::kOpen, "Support", "", std::nullopt, "2026-01-03T00:00:00Z");
  Id b = add("printer two", "", CaseStatus::kClosed, "Support", "", std::nullopt, "2026-01-02T00:00:00Z");
  Id c = add("printer three", "", CaseStatus::kOpen, "Sales", "", std::nullopt, "2026-01-01T00:00:00Z");
  add("scanner", "", CaseStatus::kOpen, "Support", "", std::nullopt, "2026-01-04T00:00:00Z");
  auto q = text("printer");
  q.status = CaseStatus::kOpen;
  q.sort = Sort::kUpdatedDesc;
  EXPECT_EQ(ids(q), (std::vector<Id>{a, c}));
  q.sort = Sort::kUpdatedAsc;
  EXPECT_EQ(ids(q), (std::vector<Id>{c, a}));
  q = text("printer");
  q.queue = "Support";
  q.sort = Sort::kCreatedAsc;
  EXPECT_EQ(ids(q), (std::vector<Id>{a, b}));
  q.sort.reset();  // by relevance, a page at a time
  auto ranked = all_pages(q, 1);
  EXPECT_EQ(std::set<Id>(ranked.begin(), ranked.end()), (std::set<Id>{a, b}));
  EXPECT_EQ(ranked.size(), 2u);
}

TEST_F(CaseSearchTest, RanksASubjectMatchAboveACommentMatch) {
  Id in_body = add("Question about my account", "the invoice was wrong, please check the invoice");
  Id contact_match =
      add("Question", "", CaseStatus::kOpen, "Support", "", contact("Invoice Desk", {"desk@example.org"}));
  Id in_subject = add("Invoice wrong", "please check");
  EXPECT_EQ(ids(text("invoice")), (std::vector<Id>{in_subject, contact_match, in_body}));
  auto all = all_pages(text("invoice"), 1);
  EXPECT_EQ(all, (std::vector<Id>{in_subject, contact_match, in_body}));
}

TEST_F(CaseSearchTest, SnippetIsEscapedWithOnlyOurMarks) {
  add("Website", "hello <script>alert('x')</script> & goodbye");
  auto page = store_->find_cases(text("script"));
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].snippet,
            "hello &lt;<mark>script</mark>&gt;alert(&#39;x&#39;)&lt;/<mark>script</mark>&gt; &amp; goodbye");
}

TEST_F(CaseSearchTest, MailTextCannotForgeAMark) {
  add("Website",
      "a \xEE\x80\x80"
      "forged"
      "\xEE\x80\x81 mark and a real word");
  auto page = store_->find_cases(text("real"));
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->items.size(), 1u);
  const auto& s = page->items[0].snippet;
  EXPECT_NE(s.find("<mark>real</mark>"), std::string::npos) << s;
  EXPECT_EQ(s.find("<mark>forged"), std::string::npos) << s;
  EXPECT_EQ(s.find("\xEE\x80\x80"), std::string::npos) << s;
}

TEST_F(CaseSearchTest, HostileQueriesNeitherFailNorChangeMeaning) {
  Id c = add("NEAR the printer", "a \"quoted\" word and col:on and a*b");
  for (std::string hostile : {"\"",
                              "\"\"",
                              "NEAR(",
                              "NEAR(printer word)",
                              "*",
                              "printer*",
                              "a OR b",
                              "NOT printer",
                              "subject:printer",
                              "(printer",
                              "printer)",
                              "^printer",
                              "-printer",
                              "+printer",
                              "{subject comments}: printer",
                              "'; DROP TABLE cases;--",
                              "\xff\xfe",
                              "printer\x01",
                              "AND",
                              "OR",
                              ":"}) {
    auto r = store_->find_cases(text(hostile));
    EXPECT_TRUE(r) << hostile << ": " << r.error().message;
  }
  EXPECT_EQ(ids(text("NOT printer")), std::vector<Id>{});  // "not" is a word, not an operator
  EXPECT_EQ(ids(text("near printer")), std::vector<Id>{c});
  EXPECT_EQ(ids(text("\"quoted\"")), std::vector<Id>{c});
  EXPECT_EQ(ids(text("printer OR nothing")), std::vector<Id>{});  // OR is a word: ANDed
  // Nothing left to search: no text filter, the plain list.
  EXPECT_EQ(ids(text("* \" ( )")), std::vector<Id>{c});
  auto q = text("***");
  q.sort = Sort::kRelevance;
  EXPECT_EQ(ids(q), std::vector<Id>{c});
}

TEST_F(CaseSearchTest, IgnoresDiacritics) {
  Id c = add("Facturé en retard", "Żaba pożera ćmę");
  EXPECT_EQ(ids(text("facture")), std::vector<Id>{c});
  EXPECT_EQ(ids(text("FACTURÉ")), std::vector<Id>{c});
  EXPECT_EQ(ids(text("zaba POZERA cme")), std::vector<Id>{c});
}

// Letters Unicode gives no accent-free form (ł, ø, ß, æ, œ) are found by the plain letters
// too, as the accented ones are, and by themselves.
TEST_F(CaseSearchTest, FoldsLettersThatHaveNoAccentFreeForm) {
  Id c = add("Drukarka nie działa", "Michał z Łodzi: Øresund, Straße, Ærø");
  for (const char* q :
       {"dziala", "działa", "DZIAŁA", "michal", "lodzi", "łodzi", "oresund", "strasse", "straße", "aero"})
    EXPECT_EQ(ids(text(q)), std::vector<Id>{c}) << q;
  EXPECT_TRUE(ids(text("dzial")).empty()) << "a word, not a word's start, unless asked";
  Id plain = add("Printer broken", "nothing special");
  EXPECT_EQ(ids(text("printer")), std::vector<Id>{plain});
  // The snippet shows the text as written when the word matches it.
  CaseQuery q = text("działa");
  q.sort = Sort::kRelevance;
  auto page = store_->find_cases(q);
  ASSERT_TRUE(page && page->items.size() == 1u);
  EXPECT_EQ(page->items[0].snippet, "Drukarka nie <mark>działa</mark>");
  q = text("michal");
  q.sort = Sort::kRelevance;
  page = store_->find_cases(q);
  ASSERT_TRUE(page && page->items.size() == 1u);
  EXPECT_NE(page->items[0].snippet.find("<mark>Michał</mark>"), std::string::npos) << page->items[0].snippet;
  // A comment changed later keeps the index right: the old words go, the new come.
  Id ann = contact("Paweł Łęcki", {"pawel@example.org"});
  Id d = add("Skaner", "Zepsuł się", CaseStatus::kOpen, "Support", "", ann);
  EXPECT_EQ(ids(text("lecki")), std::vector<Id>{d});
  EXPECT_EQ(ids(text("zepsul")), std::vector<Id>{d});
}

TEST_F(CaseSearchTest, KeepsTheIndexCurrentThroughEveryWrite) {
  Id ann = contact("Ann", {"ann@example.org"});
  Id c = add("Old subject", "first words", CaseStatus::kOpen, "Support", "", ann);
  comment(c, "second words");
  EXPECT_EQ(ids(text("first second")), std::vector<Id>{c});

  auto got = store_->get_case(c);
  ASSERT_TRUE(got && *got);
  Case changed = **got;
  changed.subject = "New heading";
  {
    auto w = store_->begin_work();
    ASSERT_TRUE(store_->update_case(changed));
    ASSERT_TRUE(w->commit());
  }
  EXPECT_EQ(ids(text("old")), std::vector<Id>{});
  EXPECT_EQ(ids(text("heading")), std::vector<Id>{c});
  EXPECT_EQ(ids(text("first second")), std::vector<Id>{c});

  // The contact's name and addresses, as they change.
  ASSERT_EQ(sqlite3_exec(raw_,
                         "UPDATE contacts SET name = 'Annabelle' WHERE name = 'Ann';"
                         "INSERT INTO contact_emails (email, contact_id) SELECT 'ann.work@corp.example', id "
                         "FROM contacts WHERE name = 'Annabelle';",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(raw_);
  EXPECT_EQ(ids(text("annabelle")), std::vector<Id>{c});
  EXPECT_EQ(ids(text("corp")), std::vector<Id>{c});

  // A rolled-back comment leaves no trace in the index.
  {
    auto w = store_->begin_work();
    Comment cm;
    cm.case_id = c;
    cm.body = "vanishing";
    ASSERT_TRUE(store_->add_comment(cm));
  }
  EXPECT_EQ(ids(text("vanishing")), std::vector<Id>{});

  // An address insert that is skipped as a duplicate leaves the index as it was.
  ASSERT_EQ(
      sqlite3_exec(raw_,
                   "INSERT OR IGNORE INTO contact_emails (email, contact_id) SELECT 'ANN@example.org', id "
                   "FROM contacts WHERE name = 'Annabelle'",
                   nullptr, nullptr, nullptr),
      SQLITE_OK)
      << sqlite3_errmsg(raw_);
  EXPECT_EQ(ids(text("annabelle")), std::vector<Id>{c});

  integrity_check();
}

// Migration 28: a write unit indexes its cases once, just before its COMMIT. What the
// unit wrote is searchable inside it and after its commit; a rollback leaves nothing.
TEST_F(CaseSearchTest, SearchSeesAUnitsWritesBeforeAndAfterItsCommit) {
  Id c = add("Printer jammed", "paper everywhere");
  {
    auto w = store_->begin_work();
    ASSERT_TRUE(w);
    Comment cm;
    cm.case_id = c;
    cm.body = "replaced the toner";
    ASSERT_TRUE(store_->add_comment(cm));
    auto got = store_->get_case(c);
    ASSERT_TRUE(got && *got);
    Case changed = **got;
    changed.subject = "Scanner offline";
    ASSERT_TRUE(store_->update_case(changed));
    // Inside the unit: the new words, and no longer the subject it replaced.
    EXPECT_EQ(ids(text("toner")), std::vector<Id>{c});
    EXPECT_EQ(ids(text("scanner")), std::vector<Id>{c});
    EXPECT_EQ(ids(text("printer")), std::vector<Id>{});
    // Written after the search in the same unit: found after the commit.
    cm.body = "firmware updated";
    ASSERT_TRUE(store_->add_comment(cm));
    ASSERT_TRUE(w->commit());
  }
  EXPECT_EQ(ids(text("toner")), std::vector<Id>{c});
  EXPECT_EQ(ids(text("firmware")), std::vector<Id>{c});
  EXPECT_EQ(ids(text("paper")), std::vector<Id>{c});
  EXPECT_EQ(ids(text("printer")), std::vector<Id>{});
  {
    auto w = store_->begin_work();
    ASSERT_TRUE(w);
    Comment cm;
    cm.case_id = c;
    cm.body = "ephemeral";
    ASSERT_TRUE(store_->add_comment(cm));
    EXPECT_EQ(ids(text("ephemeral")), std::vector<Id>{c});
  }  // rolled back
  EXPECT_EQ(ids(text("ephemeral")), std::vector<Id>{});
  // Committed state: the searches above flushed every note.
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw_, "SELECT count(*) FROM case_search_pending", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 0);
  sqlite3_finalize(st);
}

// Many cases made in one pooled unit (as `import` commits a batch) are each found.
TEST_F(CaseSearchTest, FindsEveryCaseOfABatchUnit) {
  std::vector<Id> made;
  {
    auto w = store_->open_unit(Access::kWrite);
    ASSERT_TRUE(w) << w.error().message;
    for (int i = 0; i < 40; ++i) {
      Case c;
      c.subject = "batch subject" + std::to_string(i);
      c.queue = "Support";
      auto k = w->cases().insert_case(c, "CS", 7);
      ASSERT_TRUE(k) << k.error().message;
      Comment cm;
      cm.case_id = k->id;
      cm.body = "batch body" + std::to_string(i);
      ASSERT_TRUE(w->cases().add_comment(cm));
      if (i % 3 == 0) {
        cm.body = "batch reply" + std::to_string(i);
        ASSERT_TRUE(w->cases().add_comment(cm));
      }
      made.push_back(k->id);
    }
    ASSERT_TRUE(w->commit());
  }
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(ids(text("subject" + std::to_string(i))), std::vector<Id>{made[i]}) << i;
    EXPECT_EQ(ids(text("body" + std::to_string(i))), std::vector<Id>{made[i]}) << i;
    EXPECT_EQ(ids(text("reply" + std::to_string(i))),
              i % 3 == 0 ? std::vector<Id>{made[i]} : std::vector<Id>{})
        << i;
  }
  EXPECT_EQ(all_pages(text("batch"), 7).size(), 40u);
}

// Migration 31: the cases written in write units are re-indexed in batches (at a COMMIT
// that finds Connection::kSearchFlushAt of them waiting), yet every search sees every case
// as it is: a search brings the index up to date first.
class CaseSearchBatches : public CaseSearchTest {
 protected:
  int64_t waiting() {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(raw_, "SELECT count(*) FROM case_search_pending", -1, &st, nullptr), SQLITE_OK);
    int64_t n = -1;
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
  }
  // One case per pooled write unit, as an LMTP group of one commits it.
  Id add_in_unit(const std::string& subject) {
    auto w = store_->open_unit(Access::kWrite);
    EXPECT_TRUE(w) << w.error().message;
    Case c;
    c.subject = subject;
    c.queue = "Support";
    auto k = w->cases().insert_case(c, "CS", 7);
    EXPECT_TRUE(k) << k.error().message;
    EXPECT_TRUE(w->commit());
    return k->id;
  }
  std::vector<Id> search_in_unit(const std::string& words) {
    auto w = store_->open_unit(access_for(text(words)));
    EXPECT_TRUE(w) << w.error().message;
    auto page = w->cases().find_cases(text(words));
    EXPECT_TRUE(page) << page.error().message;
    std::vector<Id> out;
    if (page)
      for (const auto& h : page->items) out.push_back(h.summary.c.id);
    EXPECT_TRUE(w->commit());
    return out;
  }
};

// A new case takes the id of the last one, deleted while the index still held it (a new
// case is noted as not indexed without looking): the deleted case's words are gone from
// the index, the new one's found, and the index agrees with its content.
TEST_F(CaseSearchBatches, ANewCaseOnTheIdOfADeletedOneReplacesItsEntry) {
  const Id old_case = add_in_unit("vanishing orchard");
  EXPECT_EQ(search_in_unit("orchard"), std::vector<Id>{old_case});  // in the index now
  ASSERT_EQ(waiting(), 0);
  ASSERT_EQ(sqlite3_exec(raw_, ("DELETE FROM cases WHERE id = " + std::to_string(old_case)).c_str(), nullptr,
                         nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(raw_);
  const Id new_case = add_in_unit("arriving glacier");
  ASSERT_EQ(new_case, old_case);  // the largest id plus one: the same
  EXPECT_EQ(search_in_unit("orchard"), std::vector<Id>{});
  EXPECT_EQ(search_in_unit("glacier"), std::vector<Id>{new_case});
  integrity_check();
}

TEST_F(CaseSearchBatches, EveryCaseIsFoundAtOnceThoughTheIndexIsWrittenInBatches) {
  const int64_t n = sqlite::Connection::kSearchFlushAt * 2 + 5;
  std::vector<Id> made;
  for (int64_t i = 0; i < n; ++i) {
    made.push_back(add_in_unit("batched subject" + std::to_string(i)));
    // The waiting cases stay fewer than a batch: a commit that finds a batch writes it.
    EXPECT_LT(waiting(), sqlite::Connection::kSearchFlushAt) << i;
    if (i % 29 == 0) {
      // Found at once, by the search of an API request or a console page.
      EXPECT_EQ(search_in_unit("subject" + std::to_string(i)), std::vector<Id>{made.back()}) << i;
      EXPECT_EQ(waiting(), 0) << i;
    }
  }
  EXPECT_GT(waiting(), 0);  // the last few wait for a batch or a search
  for (int64_t i = 0; i < n; ++i)
    EXPECT_EQ(search_in_unit("subject" + std::to_string(i)), std::vector<Id>{made[static_cast<size_t>(i)]}) << i;
  EXPECT_EQ(all_pages(text("batched"), 50).size(), static_cast<size_t>(n));
  integrity_check();
}

TEST_F(CaseSearchBatches, AReadUnitRefusesASearchThatWouldMissWaitingCases) {
  add_in_unit("waiting words");
  ASSERT_GT(waiting(), 0);
  EXPECT_EQ(access_for(text("waiting")), Access::kWrite);
  EXPECT_EQ(access_for(CaseQuery{}), Access::kRead);
  {
    auto r = store_->open_unit(Access::kRead);
    ASSERT_TRUE(r);
    auto page = r->cases().find_cases(text("waiting"));
    ASSERT_FALSE(page);  // not a silent miss
    EXPECT_EQ(page.error().code, ErrorCode::kInternal);
    EXPECT_NE(page.error().message.find("write unit"), std::string::npos) << page.error().message;
    auto list = r->cases().find_cases(CaseQuery{});  // the list alone reads the cases
    ASSERT_TRUE(list) << list.error().message;
    EXPECT_EQ(list->items.size(), 1u);
  }
  EXPECT_EQ(search_in_unit("waiting").size(), 1u);
  {
    auto r = store_->open_unit(Access::kRead);  // nothing waits: a read unit finds it too
    ASSERT_TRUE(r);
    auto page = r->cases().find_cases(text("waiting"));
    ASSERT_TRUE(page) << page.error().message;
    EXPECT_EQ(page->items.size(), 1u);
  }
}

// find_cases_in, as the API and the console search: the search's unit is committed, so
// the index it brought up to date stays so; a list's unit stays open, as it was.
TEST_F(CaseSearchBatches, ASearchThroughFindCasesInKeepsTheIndexUpToDate) {
  Id c = add_in_unit("kept lantern");
  ASSERT_GT(waiting(), 0);
  {
    auto w = store_->open_unit(access_for(text("lantern")));
    ASSERT_TRUE(w);
    auto page = find_cases_in(*w, text("lantern"));
    ASSERT_TRUE(page) << page.error().message;
    ASSERT_EQ(page->items.size(), 1u);
    EXPECT_EQ(page->items[0].summary.c.id, c);
    EXPECT_FALSE(w->commit());  // already committed, so closed
  }
  EXPECT_EQ(waiting(), 0);
  add_in_unit("another lantern");
  {
    auto r = store_->open_unit(access_for(CaseQuery{}));
    ASSERT_TRUE(r);
    auto page = find_cases_in(*r, CaseQuery{});
    ASSERT_TRUE(page) << page.error().message;
    EXPECT_EQ(page->items.size(), 2u);
    EXPECT_TRUE(r->cases().get_case(c));  // the list's unit is still open
  }
}

// A writer outside any unit (the sqlite3 shell, a migration) while cases wait: its
// changes are noted as a unit's are (a case not waiting yet with the text it is indexed
// under), and the next search finds every case as it now is.
TEST_F(CaseSearchBatches, WritesOutsideUnitsKeepTheIndexExactWhileCasesWait) {
  Id settled = add_in_unit("settled harbour");
  Id doomed = add_in_unit("doomed anchor");
  Id plain = add_in_unit("plain meadow");
  EXPECT_EQ(search_in_unit("harbour"), std::vector<Id>{settled});  // all three indexed now
  ASSERT_EQ(waiting(), 0);
  auto unit_comment = [&](Id case_id, const std::string& body) {
    auto w = store_->open_unit(Access::kWrite);
    ASSERT_TRUE(w);
    Comment cm;
    cm.case_id = case_id;
    cm.body = body;
    ASSERT_TRUE(w->cases().add_comment(cm));
    ASSERT_TRUE(w->commit());
  };
  // Waiting with the text they are indexed under (their comments not in the index yet)…
  unit_comment(settled, "rewritten by a unit");
  unit_comment(doomed, "last words");
  // …and one not in the index at all.
  Id fresh = add_in_unit("waiting lighthouse");
  ASSERT_EQ(waiting(), 3);
  const std::string shell =
      "UPDATE cases SET subject = 'quiet valley' WHERE id = " + std::to_string(settled) +
      "; UPDATE cases SET subject = 'seaside beacon' WHERE id = " + std::to_string(fresh) +
      "; INSERT INTO comments (case_id, direction, body, author, visibility, created_at) VALUES (" +
      std::to_string(fresh) + ", 'inbound', 'shell note', 'x@example.org', 'public', '2026-01-01T00:00:00Z')" +
      "; DELETE FROM comments WHERE case_id = " + std::to_string(doomed) +
      "; DELETE FROM cases WHERE id = " + std::to_string(doomed) +
      "; UPDATE cases SET subject = 'green pasture' WHERE id = " + std::to_string(plain) + ";";
  ASSERT_EQ(sqlite3_exec(raw_, shell.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(raw_);
  EXPECT_EQ(waiting(), 4);  // the case that was not waiting is noted too
  EXPECT_EQ(search_in_unit("harbour"), std::vector<Id>{});
  EXPECT_EQ(search_in_unit("valley"), std::vector<Id>{settled});
  EXPECT_EQ(search_in_unit("rewritten"), std::vector<Id>{settled});
  EXPECT_EQ(search_in_unit("lighthouse"), std::vector<Id>{});
  EXPECT_EQ(search_in_unit("beacon"), std::vector<Id>{fresh});
  EXPECT_EQ(search_in_unit("shell"), std::vector<Id>{fresh});
  EXPECT_EQ(search_in_unit("anchor"), std::vector<Id>{});
  EXPECT_EQ(search_in_unit("words"), std::vector<Id>{});
  EXPECT_EQ(search_in_unit("meadow"), std::vector<Id>{});
  EXPECT_EQ(search_in_unit("pasture"), std::vector<Id>{plain});
  integrity_check();
}

// A mixed run of every kind of writer (units on both kinds of connection, savepoints
// rolled back, whole units rolled back, autocommit writes of the store and of another
// connection): the index then agrees with its content, and with a rebuild from it.
TEST_F(CaseSearchTest, IndexAgreesWithARebuildAfterAMixedRun) {
  Id ann = contact("Ann Mixed", {"ann@mixed.example"});
  Id bob = contact("Bob Mixed", {"bob@mixed.example"});
  std::vector<Id> cases;
  for (int i = 0; i < 6; ++i)
    cases.push_back(add("mixed case" + std::to_string(i), "opening words" + std::to_string(i),
                        CaseStatus::kOpen, "Support", "", i % 2 ? ann : bob));
  // A comment added inside the unit (on its own connection), not yet committed.
  auto unit_comment = [](UnitOfWork& w, Id case_id, const std::string& body) {
    Comment cm;
    cm.case_id = case_id;
    cm.body = body;
    return w.cases().add_comment(cm);
  };
  {
    auto w = store_->open_unit(Access::kWrite);
    ASSERT_TRUE(w);
    ASSERT_TRUE(unit_comment(*w, cases[0], "kept alpha"));
    ASSERT_TRUE(w->savepoint("one"));
    ASSERT_TRUE(unit_comment(*w, cases[0], "undone beta"));
    Case c;
    c.subject = "undone case";
    c.queue = "Support";
    ASSERT_TRUE(w->cases().insert_case(c, "CS", 7));
    ASSERT_TRUE(w->rollback_to_savepoint("one"));
    ASSERT_TRUE(w->release_savepoint("one"));
    auto got = w->cases().get_case(cases[1]);
    ASSERT_TRUE(got && *got);
    Case changed = **got;
    changed.subject = "renamed gamma";
    changed.contact_id = bob;
    ASSERT_TRUE(w->cases().update_case(changed));
    ASSERT_TRUE(w->commit());
  }
  {
    auto w = store_->open_unit(Access::kWrite);
    ASSERT_TRUE(w);
    ASSERT_TRUE(unit_comment(*w, cases[2], "lost delta"));
  }  // rolled back
  comment(cases[3], "autocommit epsilon", false);
  ASSERT_EQ(sqlite3_exec(raw_,
                         "UPDATE contacts SET name = 'Bobby Zeta' WHERE name = 'Bob Mixed';"
                         "INSERT INTO contact_emails (email, contact_id) SELECT 'ann.eta@mixed.example', id "
                         "FROM contacts WHERE name = 'Ann Mixed';"
                         "UPDATE comments SET body = 'edited theta' WHERE body = 'opening words4';",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(raw_);
  {
    auto w = store_->begin_work();
    ASSERT_TRUE(w);
    comment(cases[5], "unit iota", false);
    ASSERT_TRUE(w->commit());
  }

  const std::vector<std::string> words = {"alpha", "beta",  "gamma", "delta", "epsilon", "zeta",   "bobby",
                                          "eta",   "theta", "iota",  "mixed", "undone",  "words4", "ann"};
  std::vector<std::vector<Id>> before;
  for (const auto& w : words) before.push_back(all_pages(text(w), 3));
  EXPECT_EQ(before[0], std::vector<Id>{cases[0]});
  EXPECT_TRUE(before[1].empty());
  EXPECT_EQ(before[2], std::vector<Id>{cases[1]});
  EXPECT_TRUE(before[3].empty());
  EXPECT_EQ(before[4], std::vector<Id>{cases[3]});
  EXPECT_EQ(before[9], std::vector<Id>{cases[5]});
  EXPECT_TRUE(before[11].empty());
  EXPECT_TRUE(before[12].empty());
  integrity_check();
  ASSERT_EQ(
      sqlite3_exec(raw_, "INSERT INTO case_search(case_search) VALUES('rebuild')", nullptr, nullptr, nullptr),
      SQLITE_OK)
      << sqlite3_errmsg(raw_);
  for (size_t i = 0; i < words.size(); ++i) EXPECT_EQ(all_pages(text(words[i]), 3), before[i]) << words[i];
}

TEST_F(CaseSearchTest, MigrationIndexesExistingCases) {
  // A store as release 11 left it, on a file of its own.
  auto path = dir_.path() / "old.db";
  SqliteOptions o;
  o.max_schema_version = 11;
  auto old = open_sqlite(path, o);
  ASSERT_TRUE(old) << old.error().message;
  store_ = std::move(*old);
  // The case as that release wrote it (today's store writes columns it did not have).
  Id c = 0;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(
        sqlite3_exec(db,
                     "INSERT INTO cases (number, subject, description, status, priority, queue, created_at, "
                     "updated_at) VALUES ('CS0000001', 'Before the index', '', 'open', 'normal', 'Support', "
                     "'2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z')",
                     nullptr, nullptr, nullptr),
        SQLITE_OK)
        << sqlite3_errmsg(db);
    c = sqlite3_last_insert_rowid(db);
    sqlite3_close(db);
  }
  comment(c, "kept words");
  store_.reset();
  auto now = open_sqlite(path);
  ASSERT_TRUE(now) << now.error().message;
  store_ = std::move(*now);
  EXPECT_EQ(ids(text("kept")), std::vector<Id>{c});
  EXPECT_EQ(ids(text("before index")), std::vector<Id>{c});
}

// Migration 39: the index takes the first 65,536 characters of each comment and a case's
// comments while they total at most 524,296 characters, so that indexing a case (again at
// each mail onto it) holds a bounded share of memory whatever its mails hold.
TEST_F(CaseSearchTest, IndexesTheFirst64KOfEachCommentAndHalfAMegabyteOfACase) {
  Id long_one = add("Log dump", "early " + filler(70000) + " late");
  EXPECT_EQ(ids(text("early")), std::vector<Id>{long_one});
  EXPECT_EQ(ids(text("late")), std::vector<Id>{});
  auto hit = store_->find_cases(text("early"));
  ASSERT_TRUE(hit && hit->items.size() == 1);
  EXPECT_NE(hit->items[0].snippet.find("early"), std::string::npos) << hit->items[0].snippet;

  // Comments of 50,000 characters: ten fit (500,010 with their line breaks), the
  // eleventh does not; the case's subject is indexed whatever its comments hold.
  const std::string part = filler(50000).substr(0, 50000 - 8);
  Id thread = add("Many replies", "markera " + part);
  for (char m = 'b'; m <= 'k'; ++m) comment(thread, std::string("marker") + m + " " + part);
  for (char m = 'a'; m <= 'j'; ++m)
    EXPECT_EQ(ids(text(std::string("marker") + m)), std::vector<Id>{thread}) << m;
  EXPECT_EQ(ids(text("markerk")), std::vector<Id>{});
  EXPECT_EQ(ids(text("replies")), std::vector<Id>{thread});

  integrity_check();
}

// A store indexed before migration 39 has its cases past the bounds indexed again: the
// words past them are no longer found, and the index agrees with its text.
TEST_F(CaseSearchTest, MigrationReindexesCasesPastTheBounds) {
  open_new_file(38);
  Id long_one = add("Log dump", "early " + filler(70000) + " late");
  Id short_one = add("Short", "brief words");
  EXPECT_EQ(ids(text("late")), std::vector<Id>{long_one});
  open();
  EXPECT_EQ(ids(text("early")), std::vector<Id>{long_one});
  EXPECT_EQ(ids(text("late")), std::vector<Id>{});
  EXPECT_EQ(ids(text("brief")), std::vector<Id>{short_one});
  integrity_check();
}

// The first page of each main form reads its rows through an index, in order: no scan of
// cases, and no temporary b-tree for the ORDER BY.
TEST_F(CaseSearchTest, FirstPagesUseAnIndexInOrder) {
  add("seed");
  auto plan_of = [&](const CaseQuery& q) {
    std::string sql = sqlite::case_page_sql(q);
    EXPECT_FALSE(sql.empty());
    std::string out;
    sqlite3_stmt* st = nullptr;
    std::string eqp = "EXPLAIN QUERY PLAN " + sql;
    EXPECT_EQ(sqlite3_prepare_v2(raw_, eqp.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(raw_);
    while (st && sqlite3_step(st) == SQLITE_ROW)
      out += std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 3))) + "\n";
    sqlite3_finalize(st);
    return out;
  };
  struct Form {
    CaseQuery q;
    std::string index;
  };
  std::vector<Form> forms(8);
  forms[0].index = "cases_updated";
  forms[1].q.status = CaseStatus::kOpen;
  forms[1].index = "cases_status_updated";
  forms[2].q.queue = "Support";
  forms[2].index = "cases_queue_updated";
  forms[3].q.owner = "a@example.org";
  forms[3].index = "cases_owner_updated";
  forms[4].q.contact = "a@example.org";
  forms[4].index = "cases_contact_updated";
  forms[5].q.status = CaseStatus::kOpen;
  forms[5].q.queue = "Support";
  forms[5].index = "USING INDEX";
  forms[6].q.sort = Sort::kCreatedDesc;
  forms[6].index = "SCAN c";  // the primary key, in order
  forms[7].q.updated_since = "2026-01-01";
  forms[7].index = "cases_updated";
  for (const auto& f : forms) {
    auto plan = plan_of(f.q);
    EXPECT_NE(plan.find(f.index), std::string::npos) << plan;
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
    if (f.index != "SCAN c") {
      EXPECT_EQ(plan.find("SCAN c\n"), std::string::npos) << plan;
    }
  }
  // Unsolved: each status read on its own index range, in order; the merge sorts at most
  // a page of each, never the cases.
  CaseQuery unsolved;
  unsolved.unsolved = true;
  for (auto sort : {Sort::kUpdatedDesc, Sort::kUpdatedAsc}) {
    unsolved.sort = sort;
    auto plan = plan_of(unsolved);
    EXPECT_EQ(plan.find("SCAN c\n"), std::string::npos) << plan;
    size_t branches = 0;
    for (size_t at = plan.find("c USING"); at != std::string::npos; at = plan.find("c USING", at + 1))
      ++branches;
    EXPECT_EQ(branches, 3u) << plan;
  }
  // A search starts from the FTS index and never scans cases: alone it reads the index
  // only; with a filter it looks up each match's case by its key.
  auto plan = plan_of(text("printer"));
  EXPECT_NE(plan.find("VIRTUAL TABLE"), std::string::npos) << plan;
  EXPECT_EQ(plan.find(" c\n"), std::string::npos) << plan;
  EXPECT_EQ(plan.find(" c USING"), std::string::npos) << plan;
  auto open_printers = text("printer");
  open_printers.status = CaseStatus::kOpen;
  plan = plan_of(open_printers);
  EXPECT_NE(plan.find("VIRTUAL TABLE"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("SCAN c\n"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("SCAN c USING"), std::string::npos) << plan;
  EXPECT_NE(plan.find("SEARCH c USING INTEGER PRIMARY KEY"), std::string::npos) << plan;
}

}  // namespace
}  // namespace mailcase::store
