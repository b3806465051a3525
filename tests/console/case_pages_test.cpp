// The console's queues, case list and case page with its actions, through a real server
// (web::HttpServer with console::Console) on a data directory made by the command line,
// logged in with an agent's password as a browser is; and the pure parts of those pages
// (console/case_logic.h).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "cases/case_view.h"
#include "console/case_logic.h"
#include "console/console.h"
#include "ingest/pipeline.h"
#include "mime/filename.h"
#include "runtime/runtime.h"
#include "services/case_services.h"
#include "store/store.h"
#include "support/test_support.h"
#include "web/http_server.h"

namespace mailcase::console {
namespace {

// ---- pure parts ---------------------------------------------------------------------------

TEST(CaseLogicTest, MarkOnlyHtmlAcceptsTheStoresSnippetsAndNothingElse) {
  EXPECT_TRUE(is_mark_only_html("the <mark>printer</mark> &amp; &lt;b&gt; &quot;x&quot; &#39;"));
  EXPECT_TRUE(is_mark_only_html(""));
  EXPECT_FALSE(is_mark_only_html("<b>bold</b>"));
  EXPECT_FALSE(is_mark_only_html("<mark onclick=x>a</mark>"));
  EXPECT_FALSE(is_mark_only_html("a > b"));
  EXPECT_FALSE(is_mark_only_html("&#x3c;script"));
  EXPECT_FALSE(is_mark_only_html("say \"hi\""));
  EXPECT_FALSE(is_mark_only_html("<script>alert(1)</script>"));
}

TEST(CaseLogicTest, CcFieldSplitsOnCommasAndSemicolons) {
  EXPECT_EQ(split_cc(" a@x.org, b@y.org;c@z.org ,, "),
            (std::vector<std::string>{"a@x.org", "b@y.org", "c@z.org"}));
  EXPECT_TRUE(split_cc("").empty());
  EXPECT_TRUE(split_cc(" , ; ").empty());
}

TEST(CaseLogicTest, AuthorIsShownByName) {
  const std::map<std::string, std::string> agents{{"marek@corp.example", "Marek"}};
  EXPECT_EQ(author_of("marek@corp.example", agents).name, "Marek");
  EXPECT_EQ(author_of("Alice Smith <alice@example.org>", agents).name, "Alice Smith");
  EXPECT_EQ(author_of("Alice Smith <alice@example.org>", agents).address, "alice@example.org");
  EXPECT_EQ(author_of("\"Smith, Alice\" <alice@example.org>", agents).name, "Smith, Alice");
  EXPECT_EQ(author_of("<bob@example.org>", agents).name, "bob@example.org");
  EXPECT_EQ(author_of("customer", agents).name, "customer");
}

TEST(CaseLogicTest, OnlyHarmlessContentTypesAreKept) {
  EXPECT_EQ(mime::harmless_content_type("image/png"), "image/png");
  EXPECT_EQ(mime::harmless_content_type("Application/PDF; name=x"), "application/pdf");
  EXPECT_EQ(mime::harmless_content_type("text/plain"), "text/plain");
  const std::string docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
  EXPECT_EQ(mime::harmless_content_type(docx), docx);
  for (const char* bad : {"text/html", "image/svg+xml", "application/xhtml+xml", "text/xml",
                          "application/javascript", "", "image/", "image/png\r\nX: y", "multipart/mixed"})
    EXPECT_EQ(mime::harmless_content_type(bad), "application/octet-stream") << bad;
}

TEST(CaseLogicTest, ListQueryReadsTheForm) {
  ListForm f;
  f.owner = "me";
  f.status = "open";
  f.q = "printer";
  auto q = list_query_of(f, "Ada@Corp.example");
  ASSERT_TRUE(q.error.empty()) << q.error;
  EXPECT_EQ(q.query.owner, "ada@corp.example");
  EXPECT_EQ(q.query.status, store::CaseStatus::kOpen);
  EXPECT_EQ(q.query.text, "printer");
  EXPECT_EQ(q.query.limit, 50);
  f.owner = "nobody";
  EXPECT_EQ(list_query_of(f, "x@y").query.owner, "");
  f.status = "bogus";
  EXPECT_FALSE(list_query_of(f, "x@y").error.empty());
  f.status = "";
  f.q = "";
  f.sort = "relevance";
  EXPECT_FALSE(list_query_of(f, "x@y").error.empty());
  f.sort = "";
  f.limit = "500";
  EXPECT_FALSE(list_query_of(f, "x@y").error.empty());
  f.limit = "2";
  EXPECT_EQ(list_query_of(f, "x@y").query.limit, 2);
}

TEST(CaseLogicTest, ACaseNumberIsNamedInAnyLetterCaseAndPadding) {
  for (const char* typed : {"CS0000031", "cs31", " #CS31 ", "31", "0000031", "#31"})
    EXPECT_EQ(case_number_named(typed, "CS", 7), "CS0000031") << typed;
  EXPECT_EQ(case_number_named("CS123456789", "CS", 7), "CS123456789");
  for (const char* words : {"", "printer", "CS", "CS31x", "31 32", "-31", "0", "XX31", "#"})
    EXPECT_EQ(case_number_named(words, "CS", 7), std::nullopt) << words;
}

// An Assign save writes only what the agent changed, refuses a field someone else moved
// meanwhile, and takes a queue and a priority only as the lists know them.
TEST(CaseLogicTest, AnAssignmentWritesWhatTheAgentChangedAndRefusesAClash) {
  const std::vector<std::string> queues = {"Support", "Billing"};
  const std::vector<std::string> priorities = {"Low", "Medium", "High"};
  const Assignment shown{"ann@corp.example", "Support", "Medium"};
  // Only the priority changed, and no one else touched the case: the priority alone.
  auto w = decide_assignment({"ann@corp.example", "Support", "high"}, shown, shown, queues, priorities);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_FALSE(w->owner);
  EXPECT_FALSE(w->queue);
  EXPECT_EQ(w->priority, "High") << "the list's spelling";
  // Someone moved the queue meanwhile; this agent changed only the owner: theirs stays.
  const Assignment now{"ann@corp.example", "Billing", "Medium"};
  w = decide_assignment({"Bob@Corp.example", "Support", "Medium"}, shown, now, queues, priorities);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->owner, "Bob@Corp.example");
  EXPECT_FALSE(w->queue) << "another agent's queue is not put back";
  EXPECT_FALSE(w->priority);
  // Both changed the queue: refused, naming it.
  w = decide_assignment({"ann@corp.example", "support", "Medium"}, shown, now, queues, priorities);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::kConflict);
  EXPECT_NE(w.error().message.find("queue"), std::string::npos) << w.error().message;
  // An owner in another letter case is the same owner: nothing to write.
  w = decide_assignment({"ANN@corp.example", "Support", "Medium"}, shown, shown, queues, priorities);
  ASSERT_TRUE(w);
  EXPECT_FALSE(w->owner);
  // A typo of a queue makes no new queue; a priority off the list is refused.
  w = decide_assignment({"ann@corp.example", "Suport", "Medium"}, shown, shown, queues, priorities);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(w.error().message.find("Suport"), std::string::npos);
  w = decide_assignment({"ann@corp.example", "Support", "Urgent!!"}, shown, shown, queues, priorities);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::kInvalidInput);
  // A form that did not say what it showed (an older page) writes each field that differs.
  w = decide_assignment({"bob@corp.example", "billing", "Low"}, std::nullopt, shown, queues, priorities);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->owner, "bob@corp.example");
  EXPECT_EQ(w->queue, "Billing");
  EXPECT_EQ(w->priority, "Low");
}

TEST(CaseLogicTest, ListLinkKeepsTheFiltersEncoded) {
  ListForm f;
  f.queue = "Tier 2&3";
  f.q = "a=b";
  EXPECT_EQ(list_link(f), "/cases?queue=Tier%202%263&q=a%3Db");
  EXPECT_EQ(list_link(f, "abc"), "/cases?queue=Tier%202%263&q=a%3Db&cursor=abc");
  EXPECT_EQ(list_link(ListForm{}), "/cases");
}

// ---- the queries behind the pages --------------------------------------------------------------

TEST(CasePagesQueryPlanTest, QueueCountsNeverReadTheCases) {
  mailcase::testing::TempDir dir;
  const auto file = dir.path() / "mailcase.db";
  ASSERT_TRUE(store::open_sqlite(file));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  const std::string eqp = std::string("EXPLAIN QUERY PLAN ") + store::kSqliteOpenCaseCountsSql;
  ASSERT_EQ(sqlite3_prepare_v2(db, eqp.c_str(), -1, &q, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::string plan;
  while (sqlite3_step(q) == SQLITE_ROW)
    plan += reinterpret_cast<const char*>(sqlite3_column_text(q, 3)) + std::string("\n");
  sqlite3_finalize(q);
  sqlite3_close(db);
  // A row per queue and open status: however many cases there are, none is read.
  EXPECT_NE(plan.find("open_case_counts"), std::string::npos) << plan;
  EXPECT_EQ(plan.find(" cases"), std::string::npos) << plan;
}

// The kept counts follow every change of a case's status and queue.
TEST(CasePagesQueryPlanTest, QueueCountsFollowTheCases) {
  mailcase::testing::TempDir dir;
  auto s = store::open_sqlite(dir.path() / "mailcase.db");
  ASSERT_TRUE(s) << s.error().message;
  auto& st = **s;
  std::vector<store::Case> made;
  {
    auto w = st.begin_work();
    ASSERT_TRUE(w);
    for (auto [status, queue] : {std::pair{store::CaseStatus::kNew, "A"},
                                 {store::CaseStatus::kOpen, "A"},
                                 {store::CaseStatus::kClosed, "A"},
                                 {store::CaseStatus::kSolutionProposed, "B"},
                                 {store::CaseStatus::kOpen, "B"}}) {
      store::Case c;
      c.subject = "s";
      c.status = status;
      c.queue = queue;
      auto m = st.insert_case(c, "CS", 7);
      ASSERT_TRUE(m) << m.error().message;
      made.push_back(*m);
    }
    made[0].status = store::CaseStatus::kClosed;  // A: new 1 -> 0
    made[1].queue = "B";                          // open: A -> B
    made[2].status = store::CaseStatus::kOpen;    // reopened in A
    made[4].priority = "high";                    // neither status nor queue
    for (int i : {0, 1, 2, 4}) ASSERT_TRUE(st.update_case(made[i]));
    ASSERT_TRUE(w->commit());
  }
  auto counts = st.count_open_by_queue();
  ASSERT_TRUE(counts) << counts.error().message;
  ASSERT_EQ(counts->size(), 2u);
  EXPECT_EQ((*counts)[0].queue, "A");
  EXPECT_EQ((*counts)[0].new_cases, 0);
  EXPECT_EQ((*counts)[0].open, 1);
  EXPECT_EQ((*counts)[1].queue, "B");
  EXPECT_EQ((*counts)[1].open, 2);
  EXPECT_EQ((*counts)[1].solution_proposed, 1);
  EXPECT_EQ((*counts)[1].total(), 3);
}

// ---- through HTTP ------------------------------------------------------------------------------

constexpr const char* kPassword = "correct horse battery staple";

std::string mail(const std::string& from, const std::string& subject, const std::string& id,
                 const std::string& body, const std::string& extra = "") {
  return "From: " + from + "\r\nTo: help@corp.example\r\nSubject: " + subject + "\r\nMessage-ID: <" + id +
         ">\r\n" + extra + "\r\n" + body + "\r\n";
}

class CasePages : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    ASSERT_EQ(run({"init"}).exit_code, 0);
    std::ofstream(data_ / "mailcase.toml") << "[outbound]\nfrom_address = \"support@corp.example\"\n";
    ASSERT_EQ(run({"address", "add", "help@corp.example"}).exit_code, 0);
    ASSERT_EQ(run({"queue", "add", "Hardware"}).exit_code, 0);
    ASSERT_EQ(run({"agent", "add", "--name", "Marek", "--email", "marek@corp.example"}).exit_code, 0);
    ASSERT_EQ(run({"agent", "add", "--name", "Ada", "--email", "ada@corp.example"}).exit_code, 0);
    auto pw = run({"agent", "password", "marek@corp.example"}, std::string(kPassword) + "\n");
    ASSERT_EQ(pw.exit_code, 0) << pw.err;

    auto cfg = config::load(data_ / "mailcase.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    cfg_ = *cfg;
    auto rt = runtime::Runtime::open(data_, cfg_);
    ASSERT_TRUE(rt) << rt.error().message;
    rt_ = std::move(*rt);
    // Alice's mail, with a file: case CS0000001.
    deliver(
        "From: Alice <alice@example.org>\r\nTo: help@corp.example\r\nSubject: Printer on floor 3\r\n"
        "Message-ID: <p1@example.org>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
        "It does not print.\r\n--b\r\nContent-Type: text/html\r\n"
        "Content-Disposition: attachment; "
        "filename=\"../err\\\"or.html\"\r\n\r\n<script>x</script>\r\n--b--\r\n");

    console_ = std::make_unique<Console>(rt_->store(), rt_->cases(), cfg_, rt_->clock(), data_);
    http_ = std::make_unique<web::HttpServer>(web::HttpLimits{});
    console_->mount(*http_);
    ASSERT_TRUE(http_->listen("127.0.0.1", 0));
    thread_ = std::thread([this] { http_->serve(); });
    cli_ = std::make_unique<httplib::Client>("127.0.0.1", http_->bound_port());
    cli_->set_read_timeout(30, 0);
    login();
  }
  void TearDown() override {
    if (http_) http_->stop();
    if (thread_.joinable()) thread_.join();
  }

  mailcase::testing::CommandResult run(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data_.string()});
    return mailcase::testing::run_mailcase(args, in);
  }
  void deliver(const std::string& raw) {
    auto o = rt_->ingest().deliver(raw, ingest::Envelope{"test", {"help@corp.example"}, std::nullopt});
    ASSERT_TRUE(o) << o.error().message;
  }

  static std::string cookie_of(const httplib::Result& r, const std::string& name) {
    for (const auto& [k, v] : r->headers) {
      if (k != "Set-Cookie" || v.rfind(name + "=", 0) != 0) continue;
      return v.substr(name.size() + 1, v.find(';') - name.size() - 1);
    }
    return {};
  }
  static std::string field_of(const std::string& body, const std::string& name) {
    std::smatch m;
    const std::regex re("name=\"" + name + "\" value=\"([^\"]*)\"");
    return std::regex_search(body, m, re) ? m[1].str() : std::string();
  }
  void login() {
    auto form = cli_->Get("/login");
    ASSERT_TRUE(form);
    const std::string nonce = cookie_of(form, "mc_login");
    ASSERT_FALSE(nonce.empty());
    httplib::Params p{{"email", "marek@corp.example"},
                      {"password", kPassword},
                      {"login_csrf", field_of(form->body, "login_csrf")},
                      {"next", "/"}};
    auto r = cli_->Post("/login", {{"Cookie", "mc_login=" + nonce}}, p);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 303) << r->body;
    session_ = cookie_of(r, "mc_session");
    ASSERT_FALSE(session_.empty());
    auto home = get("/");
    ASSERT_EQ(home->status, 200);
    csrf_ = field_of(home->body, "csrf");
    ASSERT_FALSE(csrf_.empty());
  }
  httplib::Headers cookies() { return {{"Cookie", "mc_session=" + session_}}; }
  httplib::Result get(const std::string& path, httplib::Headers more = {}) {
    auto h = cookies();
    h.insert(more.begin(), more.end());
    auto r = cli_->Get(path.c_str(), h);
    EXPECT_TRUE(r) << path;
    return r;
  }
  // A url-encoded form, with the session's CSRF token unless told otherwise.
  httplib::Result post(const std::string& path, httplib::Params p, bool with_csrf = true) {
    if (with_csrf) p.emplace("csrf", csrf_);
    auto r = cli_->Post(path.c_str(), cookies(), p);
    EXPECT_TRUE(r) << path;
    return r;
  }
  httplib::Result post_multipart(const std::string& path, httplib::MultipartFormDataItems items) {
    items.push_back({"csrf", csrf_, "", ""});
    auto r = cli_->Post(path.c_str(), cookies(), items);
    EXPECT_TRUE(r) << path;
    return r;
  }

  cases::CaseView view(const std::string& number) {
    auto v = cases::load_case(rt_->store(), number);
    EXPECT_TRUE(v) << v.error().message;
    return v ? *v : cases::CaseView{};
  }
  std::vector<store::OutboxMail> mails_of(const std::string& number, const std::string& kind) {
    auto w = rt_->store().open_unit(store::Access::kRead);
    EXPECT_TRUE(w);
    auto c = w->cases().find_case_by_number(number);
    EXPECT_TRUE(c && *c);
    auto rows = w->outbox().list_outbox((*c)->id, 100);
    EXPECT_TRUE(rows);
    std::vector<store::OutboxMail> out;
    for (auto& m : *rows)
      if (m.kind == kind) out.push_back(std::move(m));
    return out;
  }

  mailcase::testing::TempDir dir_;
  std::filesystem::path data_;
  config::Config cfg_;
  std::unique_ptr<runtime::Runtime> rt_;
  std::unique_ptr<Console> console_;
  std::unique_ptr<web::HttpServer> http_;
  std::thread thread_;
  std::unique_ptr<httplib::Client> cli_;
  std::string session_, csrf_;
};

TEST_F(CasePages, EveryPageRendersForAnAgent) {
  ASSERT_EQ(run({"case", "assign", "CS0000001", "--owner", "marek@corp.example"}).exit_code, 0);
  auto home = get("/");
  ASSERT_EQ(home->status, 200);
  EXPECT_NE(home->body.find("Open cases by queue"), std::string::npos);
  EXPECT_NE(home->body.find(cfg_.routing.default_queue), std::string::npos) << home->body;
  EXPECT_NE(home->body.find("My open cases"), std::string::npos);
  EXPECT_NE(home->body.find("/cases/CS0000001"), std::string::npos) << home->body;

  auto list = get("/cases");
  ASSERT_EQ(list->status, 200);
  EXPECT_NE(list->body.find("Printer on floor 3"), std::string::npos);
  // The queue fields offer the queues there are, spelt as the store matches them.
  const std::string queue_option = "<option value=\"" + cfg_.routing.default_queue + "\"></option>";
  EXPECT_NE(list->body.find("name=\"queue\" type=\"text\" maxlength=\"200\" list=\"queue-names\""),
            std::string::npos)
      << list->body;
  EXPECT_NE(list->body.find(queue_option, list->body.find("<datalist id=\"queue-names\">")),
            std::string::npos)
      << list->body;
  EXPECT_NE(list->body.find("method=\"get\" action=\"/cases\""), std::string::npos);

  auto page = get("/cases/CS0000001");
  ASSERT_EQ(page->status, 200);
  const std::string& b = page->body;
  EXPECT_NE(b.find("id=\"assign-queue\" name=\"queue\" type=\"text\" required maxlength=\"200\" "
                   "list=\"queue-names\""),
            std::string::npos)
      << b;
  EXPECT_NE(b.find(queue_option, b.find("<datalist id=\"queue-names\">")), std::string::npos) << b;
  EXPECT_NE(b.find("Printer on floor 3"), std::string::npos);
  EXPECT_NE(b.find("It does not print."), std::string::npos);
  EXPECT_NE(b.find("comment inbound"), std::string::npos);
  EXPECT_NE(b.find("Customer mail"), std::string::npos);
  EXPECT_NE(b.find(">Alice<"), std::string::npos) << "the sender by name";
  EXPECT_NE(b.find("alice@example.org"), std::string::npos);
  EXPECT_NE(b.find("<time datetime=\""), std::string::npos);
  EXPECT_NE(b.find("href=\"/attachments/"), std::string::npos);
  EXPECT_NE(b.find("src=\"/messages/"), std::string::npos);
  EXPECT_NE(b.find("sandbox=\"allow-popups allow-popups-to-escape-sandbox\""), std::string::npos);
  EXPECT_NE(b.find("hx-trigger=\"every 5s\""), std::string::npos);
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("/messages/"), std::string::npos);

  EXPECT_EQ(get("/cases/CS9999999")->status, 404);
}

// A comment from a mail carries a badge saying whether a trusted server proved its sender
// (a class, no inline style: the page's CSP stays); an agent's comment carries none.
TEST_F(CasePages, MailCommentsSayWhetherTheirSenderWasVerified) {
  auto page = get("/cases/CS0000001");
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<span class=\"badge not-verified\""), std::string::npos) << page->body;
  EXPECT_EQ(page->body.find("<span class=\"badge verified\""), std::string::npos);
  ASSERT_EQ(run({"address", "add", "help@corp.example", "--authserv-id", "mx.corp.example"}).exit_code, 0);
  deliver(mail("Alice <alice@example.org>", "Re: [CS0000001] Printer on floor 3", "p2@example.org", "Thanks.",
               "Authentication-Results: mx.corp.example; dmarc=pass header.from=example.org\r\n"));
  page = get("/cases/CS0000001");
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<span class=\"badge verified\""), std::string::npos) << page->body;
  EXPECT_EQ(page->body.find("style="), std::string::npos);
}

TEST_F(CasePages, PagesNeedASession) {
  auto r = cli_->Get("/cases/CS0000001");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303);
  auto a = cli_->Get("/attachments/1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 303);
}

TEST_F(CasePages, ListFiltersAndPages) {
  deliver(mail("Bob <bob@example.org>", "Scanner jams", "s1@example.org", "The scanner jams."));
  deliver(mail("Carol <carol@example.org>", "Projector dark", "j1@example.org", "No picture."));
  ASSERT_EQ(run({"case", "assign", "CS0000002", "--owner", "marek@corp.example"}).exit_code, 0);
  ASSERT_EQ(run({"case", "close", "CS0000003"}).exit_code, 0);

  auto mine = get("/cases?owner=me");
  EXPECT_NE(mine->body.find("Scanner jams"), std::string::npos);
  EXPECT_EQ(mine->body.find("Printer on floor 3"), std::string::npos);
  auto nobody = get("/cases?owner=nobody");
  EXPECT_NE(nobody->body.find("Printer on floor 3"), std::string::npos);
  EXPECT_EQ(nobody->body.find("Scanner jams"), std::string::npos);
  auto closed = get("/cases?status=closed");
  EXPECT_NE(closed->body.find("Projector dark"), std::string::npos);
  EXPECT_EQ(closed->body.find("Scanner jams"), std::string::npos);
  auto bob = get("/cases?contact=BOB%40example.org");
  EXPECT_NE(bob->body.find("Scanner jams"), std::string::npos);
  EXPECT_EQ(bob->body.find("Projector dark"), std::string::npos);
  EXPECT_EQ(get("/cases?status=bogus")->status, 422);
  // "Unsolved": every case still being worked, none closed; the queues page links to it.
  auto unsolved = get("/cases?status=unsolved");
  ASSERT_EQ(unsolved->status, 200);
  EXPECT_NE(unsolved->body.find("Scanner jams"), std::string::npos);
  EXPECT_NE(unsolved->body.find("Printer on floor 3"), std::string::npos);
  EXPECT_EQ(unsolved->body.find("Projector dark"), std::string::npos);
  EXPECT_NE(unsolved->body.find("<option value=\"unsolved\" selected>"), std::string::npos);
  auto queues = get("/");
  EXPECT_NE(queues->body.find("/cases?status=unsolved&amp;owner=me"), std::string::npos) << queues->body;

  // Pages of two, oldest first: three cases on two pages, each once.
  auto first = get("/cases?sort=created&limit=2");
  ASSERT_EQ(first->status, 200);
  EXPECT_NE(first->body.find("Printer on floor 3"), std::string::npos);
  EXPECT_NE(first->body.find("Scanner jams"), std::string::npos);
  EXPECT_EQ(first->body.find("Projector dark"), std::string::npos);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(first->body, m, std::regex("href=\"(/cases\\?[^\"]*)\" rel=\"next\"")))
      << first->body;
  std::string next = m[1].str();
  for (size_t at; (at = next.find("&amp;")) != std::string::npos;) next.replace(at, 5, "&");
  auto second = get(next);
  ASSERT_EQ(second->status, 200);
  EXPECT_NE(second->body.find("Projector dark"), std::string::npos);
  EXPECT_EQ(second->body.find("Printer on floor 3"), std::string::npos);
  EXPECT_EQ(second->body.find("rel=\"next\""), std::string::npos);
  // A cursor with other filters is refused with a sentence, not a crash.
  const auto cursor = next.substr(next.find("cursor="));
  EXPECT_EQ(get("/cases?sort=-created&limit=2&" + cursor)->status, 422);
}

TEST_F(CasePages, SearchFindsAWordAndMarksIt) {
  deliver(mail("Bob <bob@example.org>", "Scanner jams", "s1@example.org", "The scanner eats paper."));
  auto r = get("/cases?q=paper");
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("Scanner jams"), std::string::npos);
  EXPECT_EQ(r->body.find("Printer on floor 3"), std::string::npos);
  EXPECT_NE(r->body.find("<mark>paper</mark>"), std::string::npos) << r->body;
}

// A search that is a case's number opens the case (any letter case, padding or "#");
// one that no case has is searched as words. A page address in another letter case or
// padding leads to the case's page.
TEST_F(CasePages, ACaseNumberSearchedOpensTheCase) {
  for (const std::string q : {"CS0000001", "cs1", "%23CS1", "1", "0000001", "%20cs0000001%20"}) {
    auto r = get("/cases?q=" + q);
    EXPECT_EQ(r->status, 303) << q << r->body;
    EXPECT_EQ(r->get_header_value("Location"), "/cases/CS0000001") << q;
  }
  auto none = get("/cases?q=CS0000099");
  EXPECT_EQ(none->status, 200);
  EXPECT_NE(none->body.find("No case matches."), std::string::npos) << none->body;
  auto lower = get("/cases/cs1");
  EXPECT_EQ(lower->status, 303);
  EXPECT_EQ(lower->get_header_value("Location"), "/cases/CS0000001");
  EXPECT_EQ(get("/cases/cs99")->status, 404);
}

TEST_F(CasePages, ScriptInASubjectIsShownEscaped) {
  deliver(mail("Eve <eve@example.org>", "<script>alert(1)</script> & <b>help</b>", "e1@example.org",
               "<img src=x onerror=alert(2)>"));
  for (const std::string path : {"/cases", "/cases/CS0000002", "/cases?q=help", "/"}) {
    auto r = get(path);
    ASSERT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->body.find("<script>alert"), std::string::npos) << path;
    EXPECT_EQ(r->body.find("<img src=x"), std::string::npos) << path;
  }
  auto page = get("/cases/CS0000002");
  EXPECT_NE(page->body.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
}

TEST_F(CasePages, ReplyIsMailedWithItsFileAndCc) {
  auto r = post_multipart("/cases/CS0000001/reply", {{"body", "Please restart it.", "", ""},
                                                     {"cc", "boss@example.org, it@example.org", "", ""},
                                                     {"attachments", "step 1\n", "howto.txt", "text/plain"}});
  ASSERT_EQ(r->status, 303) << r->body;
  EXPECT_EQ(r->get_header_value("Location"), "/cases/CS0000001?done=reply");
  auto v = view("CS0000001");
  ASSERT_FALSE(v.comments.empty());
  EXPECT_EQ(v.comments.back().body, "Please restart it.");
  EXPECT_EQ(v.comments.back().visibility, store::Visibility::kPublic);
  EXPECT_EQ(v.comments.back().cc, (std::vector<std::string>{"boss@example.org", "it@example.org"}));
  std::vector<std::string> participants;
  for (const auto& p : v.participants) participants.push_back(p.email);
  EXPECT_NE(std::find(participants.begin(), participants.end(), "boss@example.org"), participants.end());
  EXPECT_NE(std::find(participants.begin(), participants.end(), "it@example.org"), participants.end());
  // The customer and each copy get the reply, whose Cc names the copies (as the API's cc).
  auto sent = mails_of("CS0000001", "comment");
  ASSERT_EQ(sent.size(), 3u);
  std::set<std::string> to;
  for (const auto& m : sent) {
    to.insert(m.to);
    EXPECT_NE(m.raw.find("howto.txt"), std::string::npos);
    EXPECT_NE(m.raw.find("Cc: boss@example.org"), std::string::npos) << m.raw;
    EXPECT_NE(m.raw.find("it@example.org"), std::string::npos) << m.raw;
  }
  EXPECT_EQ(to.size(), 3u);
  EXPECT_TRUE(to.count("boss@example.org") && to.count("it@example.org"));
  auto page = get("/cases/CS0000001?done=reply");
  EXPECT_NE(page->body.find("Your reply was sent"), std::string::npos);
  EXPECT_NE(page->body.find("comment outbound"), std::string::npos);
  EXPECT_NE(page->body.find("Our reply"), std::string::npos);
  EXPECT_NE(page->body.find(">Marek<"), std::string::npos) << "our agent by name";
  // The thread shows whom the reply went to in copy.
  EXPECT_NE(page->body.find("Cc: boss@example.org, it@example.org"), std::string::npos);
}

// The same form sent twice (a double click, a reload of its answer) is one reply and one
// mail; another text under a used form is given back unsent.
TEST_F(CasePages, AReplySentTwiceIsSentOnce) {
  auto once_of = [](const std::string& page, const std::string& action) {
    const auto form = page.find("action=\"" + action + "\"");
    const auto at = page.find("name=\"once\" value=\"", form);
    if (form == std::string::npos || at == std::string::npos) return std::string();
    const auto start = at + std::string("name=\"once\" value=\"").size();
    return page.substr(start, page.find('"', start) - start);
  };
  const std::string page = get("/cases/CS0000001")->body;
  const std::string once = once_of(page, "/cases/CS0000001/reply");
  ASSERT_FALSE(once.empty()) << page;
  EXPECT_NE(once, once_of(page, "/cases/CS0000001/note")) << "each form its own key";
  const auto before = view("CS0000001").comments.size();
  for (int i = 0; i < 2; ++i) {
    auto r =
        post_multipart("/cases/CS0000001/reply", {{"body", "Please restart it.", "", ""},
                                                  {"once", once, "", ""},
                                                  {"attachments", "step 1\n", "howto.txt", "text/plain"}});
    ASSERT_EQ(r->status, 303) << i << r->body;
    EXPECT_EQ(r->get_header_value("Location"), "/cases/CS0000001?done=reply") << i;
  }
  EXPECT_EQ(view("CS0000001").comments.size(), before + 1);
  EXPECT_EQ(mails_of("CS0000001", "comment").size(), 1u);
  auto other = post_multipart("/cases/CS0000001/reply",
                              {{"body", "And one more thing.", "", ""}, {"once", once, "", ""}});
  EXPECT_EQ(other->status, 409);
  EXPECT_NE(other->body.find("And one more thing."), std::string::npos) << "the text is given back";
  EXPECT_NE(other->body.find("was not sent"), std::string::npos) << other->body;
  EXPECT_EQ(view("CS0000001").comments.size(), before + 1);
  // Sent from the page it got back (a fresh key), it goes.
  const std::string again = once_of(other->body, "/cases/CS0000001/reply");
  ASSERT_FALSE(again.empty());
  EXPECT_NE(again, once);
  auto sent = post_multipart("/cases/CS0000001/reply",
                             {{"body", "And one more thing.", "", ""}, {"once", again, "", ""}});
  EXPECT_EQ(sent->status, 303) << sent->body;
  EXPECT_EQ(view("CS0000001").comments.size(), before + 2);
  EXPECT_EQ(mails_of("CS0000001", "comment").size(), 2u);
  // The note form has its own key: a note is added beside the reply.
  auto note = post("/cases/CS0000001/note",
                   {{"body", "Checked the logs."}, {"once", once_of(page, "/cases/CS0000001/note")}});
  EXPECT_EQ(note->status, 303) << note->body;
  EXPECT_EQ(view("CS0000001").comments.size(), before + 3);
}

// A reply sent after the session ended is not sent, and not lost: the page shows it to copy,
// and its login goes back to the case.
TEST_F(CasePages, AReplySentAfterTheSessionEndedIsGivenBack) {
  const auto before = view("CS0000001").comments.size();
  session_ = "mcs_ended";
  const std::string from = "http://127.0.0.1:" + std::to_string(http_->bound_port()) + "/cases/CS0000001";
  httplib::MultipartFormDataItems items = {{"body", "A long answer <b>typed</b> for an hour", "", ""},
                                           {"csrf", csrf_, "", ""}};
  auto h = cookies();
  h.emplace("Referer", from);
  auto r = cli_->Post("/cases/CS0000001/reply", h, items);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_NE(r->body.find("A long answer &lt;b&gt;typed&lt;/b&gt; for an hour"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("/login?next=/cases/CS0000001\""), std::string::npos) << r->body;
  EXPECT_EQ(view("CS0000001").comments.size(), before);
  // A Referer of another site is not followed.
  h = cookies();
  h.emplace("Referer", "http://evil.example/cases/CS0000001");
  r = cli_->Post("/cases/CS0000001/reply", h, items);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body.find("evil.example"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("/login?next=/\""), std::string::npos) << r->body;
  // Behind a proxy that passes its own Host, the Referer is of the console's public URL.
  cfg_.http.public_url = "https://Help.example.com/";
  h = cookies();
  h.emplace("Referer", "https://help.example.com/cases/CS0000001?done=reply");
  r = cli_->Post("/cases/CS0000001/reply", h, items);
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("/login?next=/cases/CS0000001%3Fdone%3Dreply\""), std::string::npos) << r->body;
  h = cookies();
  h.emplace("Referer", "https://help.example.com.evil.example/cases/CS0000001");
  r = cli_->Post("/cases/CS0000001/reply", h, items);
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("/login?next=/\""), std::string::npos) << r->body;
}

// A reply over the console's limit (a large attachment) is refused from its head with a
// page that says the limit and that the typed text is not lost.
TEST_F(CasePages, AReplyTooLargeToSendSaysTheLimit) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(http_->bound_port()));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  const std::string head =
      "POST /cases/CS0000001/reply HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: mc_session=" + session_ +
      "\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 12000000\r\n\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) answer.append(buf, static_cast<size_t>(n));
  ::close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
  EXPECT_NE(answer.find("more than 10 MB"), std::string::npos) << answer;
  EXPECT_NE(answer.find("the text you typed is still in the form"), std::string::npos) << answer;
}

TEST_F(CasePages, RefusedReplyKeepsTheTextAndChangesNothing) {
  const auto before = view("CS0000001").comments.size();
  // One of our own addresses cannot be copied: the whole reply is refused.
  auto r = post_multipart("/cases/CS0000001/reply",
                          {{"body", "My long careful answer", "", ""}, {"cc", "help@corp.example", "", ""}});
  EXPECT_EQ(r->status, 422);
  EXPECT_NE(r->body.find("role=\"alert\""), std::string::npos);
  EXPECT_NE(r->body.find("My long careful answer"), std::string::npos) << "the text is given back";
  EXPECT_EQ(view("CS0000001").comments.size(), before);
  EXPECT_TRUE(mails_of("CS0000001", "comment").empty());
  auto empty = post("/cases/CS0000001/reply", {{"body", "   "}});
  EXPECT_EQ(empty->status, 422);
  EXPECT_EQ(view("CS0000001").comments.size(), before);
}

TEST_F(CasePages, NoteIsInternalAndNotMailed) {
  auto r = post("/cases/CS0000001/note", {{"body", "Toner is low."}});
  ASSERT_EQ(r->status, 303) << r->body;
  auto v = view("CS0000001");
  EXPECT_EQ(v.comments.back().body, "Toner is low.");
  EXPECT_EQ(v.comments.back().visibility, store::Visibility::kInternal);
  EXPECT_TRUE(mails_of("CS0000001", "comment").empty());
  auto page = get("/cases/CS0000001");
  EXPECT_NE(page->body.find("comment internal"), std::string::npos);
  EXPECT_NE(page->body.find("Internal note"), std::string::npos);
}

TEST_F(CasePages, LifecycleActionsChangeTheCaseAsTheApiWould) {
  auto s = post_multipart("/cases/CS0000001/solution", {{"body", "Replace the fuser.", "", ""}});
  ASSERT_EQ(s->status, 303) << s->body;
  EXPECT_EQ(view("CS0000001").c.status, store::CaseStatus::kSolutionProposed);
  EXPECT_EQ(mails_of("CS0000001", "solution").size(), 1u);
  // The queues count it under its status, with a link to the list of those cases.
  auto home = get("/");
  EXPECT_NE(home->body.find("status=solution%20proposed&amp;queue=Support\">1</a>"), std::string::npos)
      << home->body;
  auto listed = get("/cases?status=solution%20proposed");
  ASSERT_EQ(listed->status, 200);
  EXPECT_NE(listed->body.find("badge solution_proposed"), std::string::npos);

  ASSERT_EQ(post("/cases/CS0000001/close", {})->status, 303);
  EXPECT_EQ(view("CS0000001").c.status, store::CaseStatus::kClosed);
  auto again = post("/cases/CS0000001/close", {});
  EXPECT_EQ(again->status, 409);
  EXPECT_NE(again->body.find("role=\"alert\""), std::string::npos);
  // No solution for a closed case: refused with the lifecycle's reason.
  auto late = post("/cases/CS0000001/solution", {{"body", "Too late"}});
  EXPECT_EQ(late->status, 409);
  EXPECT_EQ(mails_of("CS0000001", "solution").size(), 1u);
  // A closed case offers no reply form (the lifecycle would refuse what is typed in it)
  // but says how to reply; a reply refused all the same keeps its text.
  auto closed = get("/cases/CS0000001");
  EXPECT_EQ(closed->body.find("action=\"/cases/CS0000001/reply\""), std::string::npos) << closed->body;
  EXPECT_NE(closed->body.find("reopen it to reply to the customer"), std::string::npos) << closed->body;
  EXPECT_NE(closed->body.find("action=\"/cases/CS0000001/note\""), std::string::npos) << closed->body;
  auto refused = post("/cases/CS0000001/reply", {{"body", "Une dernière question ?"}});
  EXPECT_EQ(refused->status, 422);
  EXPECT_NE(refused->body.find(">Une dernière question ?</textarea>"), std::string::npos) << refused->body;

  ASSERT_EQ(post("/cases/CS0000001/reopen", {})->status, 303);
  EXPECT_EQ(view("CS0000001").c.status, store::CaseStatus::kOpen);
  EXPECT_NE(get("/cases/CS0000001")->body.find("action=\"/cases/CS0000001/reply\""), std::string::npos);
}

TEST_F(CasePages, AssignSetsOwnerQueueAndPriority) {
  auto r = post("/cases/CS0000001/assign",
                {{"owner", "ada@corp.example"}, {"queue", "Hardware"}, {"priority", "high"}});
  ASSERT_EQ(r->status, 303) << r->body;
  auto c = view("CS0000001").c;
  EXPECT_EQ(c.owner, "ada@corp.example");
  EXPECT_EQ(c.queue, "Hardware");
  EXPECT_EQ(c.priority, "high");
  // Nobody: unassigned.
  ASSERT_EQ(
      post("/cases/CS0000001/assign", {{"owner", ""}, {"queue", "Hardware"}, {"priority", "high"}})->status,
      303);
  EXPECT_EQ(view("CS0000001").c.owner, "");
  // No agent of that address, an empty queue: refused, nothing changed.
  EXPECT_EQ(
      post("/cases/CS0000001/assign", {{"owner", "ghost@corp.example"}, {"queue", "Q"}, {"priority", "low"}})
          ->status,
      422);
  EXPECT_EQ(post("/cases/CS0000001/assign", {{"owner", ""}, {"queue", ""}, {"priority", "low"}})->status,
            422);
  c = view("CS0000001").c;
  EXPECT_EQ(c.queue, "Hardware");
  EXPECT_EQ(c.priority, "high");
  // The queues page counts the case in its new queue.
  auto home = get("/");
  EXPECT_NE(home->body.find("Hardware"), std::string::npos);
}

// A browser sends a text field as typed: a space left after a queue or priority is not
// part of it. A refused form shows the agent's choices again, not the case's.
TEST_F(CasePages, AssignTakesSpacesAroundAFieldAndARefusalKeepsTheChoices) {
  auto r = post("/cases/CS0000001/assign",
                {{"owner", "ada@corp.example"}, {"queue", "Hardware "}, {"priority", " high"}});
  ASSERT_EQ(r->status, 303) << r->body;
  auto c = view("CS0000001").c;
  EXPECT_EQ(c.owner, "ada@corp.example");
  EXPECT_EQ(c.queue, "Hardware");
  EXPECT_EQ(c.priority, "high");

  auto refused = post("/cases/CS0000001/assign",
                      {{"owner", "marek@corp.example"}, {"queue", "Réclamations"}, {"priority", ""}});
  ASSERT_EQ(refused->status, 422) << refused->body;
  const std::string& b = refused->body;
  EXPECT_NE(b.find("role=\"alert\""), std::string::npos) << b;
  EXPECT_NE(b.find("name=\"queue\" type=\"text\" required maxlength=\"200\" list=\"queue-names\" "
                   "value=\"Réclamations\""),
            std::string::npos)
      << b;
  EXPECT_NE(b.find("<select id=\"assign-priority\" name=\"priority\"><option>low</option>"),
            std::string::npos)
      << b;
  EXPECT_NE(b.find("<option value=\"marek@corp.example\" selected>"), std::string::npos) << b;
  EXPECT_EQ(b.find("<option value=\"ada@corp.example\" selected>"), std::string::npos) << b;
  c = view("CS0000001").c;
  EXPECT_EQ(c.owner, "ada@corp.example");
  EXPECT_EQ(c.queue, "Hardware");
}

// The page posts the values it showed: a field the agent left as it was is not written
// back over what another agent saved meanwhile, and a field both changed is refused with
// the case as it is now. A queue is one there is (its own spelling kept), a priority one
// of the list's: a typo makes no new queue.
TEST_F(CasePages, AStaleAssignFormKeepsAnotherAgentsChangesAndATypoMakesNoQueue) {
  auto page = get("/cases/CS0000001");
  ASSERT_NE(page->body.find("<input type=\"hidden\" name=\"was_queue\" value=\"Support\">"),
            std::string::npos)
      << page->body;
  ASSERT_NE(page->body.find("<input type=\"hidden\" name=\"was_priority\" value=\"normal\">"),
            std::string::npos);
  // Meanwhile another agent moves the case to Hardware, high.
  ASSERT_EQ(run({"--as", "ada@corp.example", "case", "set", "CS0000001", "--queue", "Hardware", "--priority",
                 "high"})
                .exit_code,
            0);
  // From the page as it was: only the owner changed.
  const httplib::Params stale{{"owner", "ada@corp.example"}, {"queue", "Support"},
                              {"priority", "normal"},        {"was_owner", ""},
                              {"was_queue", "Support"},      {"was_priority", "normal"}};
  auto r = post("/cases/CS0000001/assign", stale);
  ASSERT_EQ(r->status, 303) << r->body;
  auto c = view("CS0000001").c;
  EXPECT_EQ(c.owner, "ada@corp.example");
  EXPECT_EQ(c.queue, "Hardware") << "the other agent's queue stays";
  EXPECT_EQ(c.priority, "high");
  // Both changed the priority: refused, nothing changed, the page says so.
  auto both = post("/cases/CS0000001/assign", {{"owner", "ada@corp.example"},
                                               {"queue", "Support"},
                                               {"priority", "low"},
                                               {"was_owner", "ada@corp.example"},
                                               {"was_queue", "Support"},
                                               {"was_priority", "normal"}});
  ASSERT_EQ(both->status, 409) << both->body;
  EXPECT_NE(both->body.find("Someone changed this case&#39;s priority since you opened it"),
            std::string::npos)
      << both->body;
  c = view("CS0000001").c;
  EXPECT_EQ(c.owner, "ada@corp.example");
  EXPECT_EQ(c.priority, "high");
  // The refused form now shows what the case has as its was_* values: saved again, the
  // agent's choice is taken.
  EXPECT_NE(both->body.find("<input type=\"hidden\" name=\"was_priority\" value=\"high\">"),
            std::string::npos);
  // A queue nobody has, or a priority off the list: refused; a queue in another letter case
  // is the queue there is.
  const httplib::Params now{
      {"was_owner", "ada@corp.example"}, {"was_queue", "Hardware"}, {"was_priority", "high"}};
  auto with = [&](httplib::Params p) {
    p.insert(now.begin(), now.end());
    return p;
  };
  auto typo = post("/cases/CS0000001/assign",
                   with({{"owner", "ada@corp.example"}, {"queue", "Hardwre"}, {"priority", "high"}}));
  EXPECT_EQ(typo->status, 422);
  EXPECT_NE(typo->body.find("There is no queue “Hardwre”: choose one from the list."), std::string::npos)
      << typo->body;
  EXPECT_EQ(post("/cases/CS0000001/assign",
                 with({{"owner", "ada@corp.example"}, {"queue", "Hardware"}, {"priority", "urgentissimo"}}))
                ->status,
            422);
  ASSERT_EQ(post("/cases/CS0000001/assign",
                 with({{"owner", "ada@corp.example"}, {"queue", "support"}, {"priority", "URGENT"}}))
                ->status,
            303);
  c = view("CS0000001").c;
  EXPECT_EQ(c.queue, "Support");
  EXPECT_EQ(c.priority, "urgent");
  auto queues = run({"queue", "list"});
  EXPECT_EQ(queues.out.find("Hardwre"), std::string::npos) << queues.out;
}

TEST_F(CasePages, ParticipantIsAdded) {
  ASSERT_EQ(post("/cases/CS0000001/participants", {{"email", "Dave@Example.org"}})->status, 303);
  auto v = view("CS0000001");
  ASSERT_EQ(v.participants.size(), 1u);
  EXPECT_EQ(v.participants[0].email, "dave@example.org");
  EXPECT_EQ(post("/cases/CS0000001/participants", {{"email", "not an address"}})->status, 422);
  EXPECT_EQ(view("CS0000001").participants.size(), 1u);
  // Each is listed with a Remove button, asked first.
  auto page = get("/cases/CS0000001");
  EXPECT_NE(page->body.find("action=\"/cases/CS0000001/participants/remove\" data-confirm="),
            std::string::npos)
      << page->body;
  auto removed = post("/cases/CS0000001/participants/remove", {{"email", "DAVE@example.org"}});
  ASSERT_EQ(removed->status, 303) << removed->body;
  EXPECT_EQ(removed->get_header_value("Location"), "/cases/CS0000001?done=participant-removed");
  EXPECT_TRUE(view("CS0000001").participants.empty());
  EXPECT_NE(get("/cases/CS0000001?done=participant-removed")->body.find("The participant was removed."),
            std::string::npos);
  auto gone = post("/cases/CS0000001/participants/remove", {{"email", "dave@example.org"}});
  EXPECT_EQ(gone->status, 404);
  EXPECT_NE(gone->body.find("not a participant"), std::string::npos) << gone->body;
}

TEST_F(CasePages, PostWithoutCsrfChangesNothing) {
  const auto before = view("CS0000001");
  EXPECT_EQ(post("/cases/CS0000001/note", {{"body", "sneaky"}}, false)->status, 403);
  EXPECT_EQ(post("/cases/CS0000001/close", {}, false)->status, 403);
  EXPECT_EQ(post("/cases/CS0000001/assign",
                 {{"owner", "ada@corp.example"}, {"queue", "X"}, {"priority", "y"}}, false)
                ->status,
            403);
  EXPECT_EQ(post("/cases/CS0000001/note", {{"body", "sneaky"}, {"csrf", "wrong"}}, false)->status, 403);
  const auto after = view("CS0000001");
  EXPECT_EQ(after.comments.size(), before.comments.size());
  EXPECT_EQ(after.c.status, before.c.status);
  EXPECT_EQ(after.c.owner, before.c.owner);
}

TEST_F(CasePages, StageMovesACaseWithinItsProcess) {
  ASSERT_EQ(run({"process", "add", "Support", "--stages", "New,Fix,Done"}).exit_code, 0);
  ASSERT_EQ(run({"address", "add", "help@corp.example", "--process", "Support"}).exit_code, 0);
  deliver(
      "From: Alice <alice@example.org>\r\nTo: help@corp.example\r\nSubject: Scanner\r\n"
      "Message-ID: <stage1@example.org>\r\n\r\nIt does not scan.\r\n");
  auto page = get("/cases/CS0000002");
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<option value=\"New\" selected>New</option>"), std::string::npos) << page->body;
  EXPECT_NE(page->body.find("action=\"/cases/CS0000002/stage\""), std::string::npos);
  // A case of no process has no stage to move.
  EXPECT_EQ(get("/cases/CS0000001")->body.find("/stage\""), std::string::npos);

  auto r = post("/cases/CS0000002/stage", {{"stage", "Fix"}});
  ASSERT_EQ(r->status, 303) << r->body;
  EXPECT_EQ(view("CS0000002").c.stage, "Fix");
  EXPECT_NE(get("/cases/CS0000002?done=stage")->body.find("moved to another stage"), std::string::npos);
  EXPECT_EQ(post("/cases/CS0000002/stage", {{"stage", "Shipped"}})->status, 422);
  EXPECT_EQ(post("/cases/CS0000001/stage", {{"stage", "New"}})->status, 422);
  EXPECT_EQ(post("/cases/CS0000002/stage", {{"stage", "Done"}}, false)->status, 403);
  EXPECT_EQ(view("CS0000002").c.stage, "Fix");
  auto events = rt_->store().events_of(view("CS0000002").c.id);
  ASSERT_TRUE(events);
  EXPECT_EQ(events->back().action, store::EventAction::kStageChanged);
  EXPECT_EQ(events->back().actor, "marek@corp.example");
}

// A mail taken by LMTP keeps its bytes and attachments in the store, not the spool
// (ingest/blob_reader.h): the console's download reads them there.
TEST_F(CasePages, AnAttachmentOfAMailTakenByLmtpDownloads) {
  const std::string raw =
      "From: Alice <alice@example.org>\r\nTo: help@corp.example\r\nSubject: Badge reader\r\n"
      "Message-ID: <lmtp1@example.org>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
      "It beeps.\r\n--b\r\nContent-Type: application/octet-stream\r\n"
      "Content-Disposition: attachment; filename=\"log.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "AAEC/w==\r\n--b--\r\n";
  std::vector<std::unique_ptr<ingest::PreparedMail>> group;
  auto p = rt_->ingest().prepare(raw, ingest::Envelope{"lmtp", {"help@corp.example"}, std::nullopt}, 0);
  ASSERT_TRUE(p) << p.error().message;
  group.push_back(std::move(*p));
  auto done = rt_->ingest().deliver_prepared(std::move(group));
  ASSERT_TRUE(done.at(0)) << done[0].error().message;
  ASSERT_TRUE(done[0]->case_number);
  auto v = view(*done[0]->case_number);
  ASSERT_EQ(v.attachments.size(), 1u);
  auto r = get("/attachments/" + std::to_string(v.attachments[0].id));
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, std::string("\x00\x01\x02\xff", 4));
}

TEST_F(CasePages, AttachmentDownloadsWithSafeHeaders) {
  auto v = view("CS0000001");
  ASSERT_FALSE(v.attachments.empty());
  auto r = get("/attachments/" + std::to_string(v.attachments[0].id));
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, "<script>x</script>");
  const auto disposition = r->get_header_value("Content-Disposition");
  EXPECT_EQ(disposition.rfind("attachment; filename=\"", 0), 0u) << disposition;
  EXPECT_EQ(disposition.find(".."), std::string::npos) << disposition;
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  // The stored text/html is not served as such.
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/octet-stream");
  EXPECT_EQ(get("/attachments/999999")->status, 404);
}

TEST_F(CasePages, NewMailAppearsThroughThePoll) {
  auto v = view("CS0000001");
  const auto last = std::to_string(v.comments.back().id);
  auto idle = get("/cases/CS0000001/thread?after=" + last, {{"HX-Request", "true"}});
  EXPECT_EQ(idle->status, 204);
  deliver(mail("Alice <alice@example.org>", "Re: Printer on floor 3", "p2@example.org", "Still broken today.",
               "In-Reply-To: <p1@example.org>\r\n"));
  auto fresh = get("/cases/CS0000001/thread?after=" + last, {{"HX-Request", "true"}});
  ASSERT_EQ(fresh->status, 200);
  EXPECT_NE(fresh->body.find("Still broken today."), std::string::npos);
  EXPECT_EQ(fresh->body.find("It does not print."), std::string::npos) << "only what is newer";
  EXPECT_NE(fresh->body.find("hx-swap-oob=\"beforeend\""), std::string::npos);
  const auto newest = std::to_string(view("CS0000001").comments.back().id);
  EXPECT_NE(fresh->body.find("after=" + newest), std::string::npos) << "the next poll asks after the newest";
}

// A change another agent makes (status, owner …) reaches an open case page through its poll:
// the facts are drawn again and the page says its forms are of the case as it was.
TEST_F(CasePages, AnotherAgentsChangeAppearsThroughThePoll) {
  const std::string page = get("/cases/CS0000001")->body;
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(page, m, std::regex("/cases/CS0000001/thread\\?after=([0-9]+)&amp;seen=([0-9]+)")))
      << page;
  const std::string poll = "/cases/CS0000001/thread?after=" + m[1].str() + "&seen=" + m[2].str();
  EXPECT_EQ(get(poll, {{"HX-Request", "true"}})->status, 204) << "nothing changed";
  EXPECT_NE(page.find("id=\"case-facts\""), std::string::npos);
  auto closed = rt_->cases().close(services::Actor::agent("ada@corp.example", "api"), "CS0000001");
  ASSERT_TRUE(closed) << closed.error().message;
  auto r = get(poll, {{"HX-Request", "true"}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("id=\"case-facts\" hx-swap-oob=\"true\""), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("Closed"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("This case changed since the page was opened"), std::string::npos) << r->body;
  // The next poll knows the change: nothing new again.
  ASSERT_TRUE(std::regex_search(r->body, m, std::regex("thread\\?after=([0-9]+)&amp;seen=([0-9]+)")))
      << r->body;
  EXPECT_EQ(
      get("/cases/CS0000001/thread?after=" + m[1].str() + "&seen=" + m[2].str(), {{"HX-Request", "true"}})
          ->status,
      204);
}

}  // namespace
}  // namespace mailcase::console

namespace mailcase::console {
namespace {

// Each answer is a head and a body written one after the other; without TCP_NODELAY the
// body waited for the client's delayed ACK of the head, 40 ms on every kept-alive page.
TEST_F(CasePages, KeptAliveAnswersDoNotWaitForDelayedAcks) {
  httplib::Client keep("127.0.0.1", http_->bound_port());
  keep.set_keep_alive(true);
  keep.set_read_timeout(30, 0);
  std::vector<double> ms;
  for (int i = 0; i < 21; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = keep.Get("/assets/console.css", cookies());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  // The median: a stalled answer takes 40 ms or more; a busy machine's stray slow one
  // does not move it.
  EXPECT_LT(ms[ms.size() / 2], 25.0);
}

}  // namespace
}  // namespace mailcase::console
