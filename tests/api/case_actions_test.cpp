// The REST API's case actions, through a real server (web::HttpServer with api::Api) on a
// data directory made by the command line: an agent's bearer token, each route's answer,
// the refusals (401, 404, 409, 412, 422), Idempotency-Key replays, what is mailed (the
// outbox) and what is not, and an attachment's bytes.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "api/api.h"
#include "config/config.h"
#include "ingest/pipeline.h"
#include "runtime/runtime.h"
#include "support/test_support.h"
#include "web/http_server.h"

namespace mailcase::api {
namespace {

using nlohmann::json;

class CaseActionsApi : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    ASSERT_EQ(run({"init"}).exit_code, 0);
    std::ofstream(data_ / "mailcase.toml") << "[outbound]\nfrom_address = \"support@corp.example\"\n";
    ASSERT_EQ(run({"address", "add", "help@corp.example"}).exit_code, 0);
    ASSERT_EQ(run({"agent", "add", "--name", "Marek", "--email", "marek@corp.example"}).exit_code, 0);
    ASSERT_EQ(run({"agent", "add", "--name", "Ada", "--email", "ada@corp.example"}).exit_code, 0);
    auto t = run({"token", "create", "--agent", "marek@corp.example"});
    ASSERT_EQ(t.exit_code, 0) << t.err;
    auto nl = t.out.find_last_not_of("\n");
    auto start = t.out.rfind('\n', nl);
    token_ = t.out.substr(start == std::string::npos ? 0 : start + 1,
                          nl - (start == std::string::npos ? 0 : start + 1) + 1);
    ASSERT_FALSE(token_.empty());

    auto cfg = config::load(data_ / "mailcase.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    cfg_ = *cfg;
    auto rt = runtime::Runtime::open(data_, cfg_);
    ASSERT_TRUE(rt) << rt.error().message;
    rt_ = std::move(*rt);
    // Alice's mail, with a file: case CS0000001.
    auto o = rt_->ingest().deliver(
        "From: Alice <alice@example.org>\r\nTo: help@corp.example\r\nSubject: Printer on floor 3\r\n"
        "Message-ID: <p1@example.org>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
        "It does not print.\r\n--b\r\nContent-Type: text/html\r\n"
        "Content-Disposition: attachment; "
        "filename=\"../err\\\"or.html\"\r\n\r\n<script>x</script>\r\n--b--\r\n",
        ingest::Envelope{"test", {"help@corp.example"}, std::nullopt});
    ASSERT_TRUE(o) << o.error().message;

    api_ = std::make_unique<Api>(rt_->store(), rt_->cases(), cfg_, rt_->clock(), data_);
    http_ = std::make_unique<web::HttpServer>(web::HttpLimits{});
    api_->mount(*http_);
    ASSERT_TRUE(http_->listen("127.0.0.1", 0));
    thread_ = std::thread([this] { http_->serve(); });
    cli_ = std::make_unique<httplib::Client>("127.0.0.1", http_->bound_port());
    cli_->set_read_timeout(30, 0);
  }
  void TearDown() override {
    if (http_) http_->stop();
    if (thread_.joinable()) thread_.join();
  }

  mailcase::testing::CommandResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_.string()});
    return mailcase::testing::run_mailcase(args);
  }
  httplib::Headers auth(httplib::Headers more = {}) {
    more.emplace("Authorization", "Bearer " + token_);
    return more;
  }
  httplib::Result post(const std::string& path, const json& body, httplib::Headers more = {}) {
    return cli_->Post(path.c_str(), auth(std::move(more)), body.dump(), "application/json");
  }
  httplib::Result patch(const std::string& path, const json& body, httplib::Headers more = {}) {
    return cli_->Patch(path.c_str(), auth(std::move(more)), body.dump(), "application/json");
  }
  httplib::Result get(const std::string& path) { return cli_->Get(path.c_str(), auth()); }
  static json body_of(const httplib::Result& r) { return json::parse(r->body, nullptr, false); }
  // The names of the fields a 422 problem lists.
  static std::vector<std::string> fields_of(const httplib::Result& r) {
    std::vector<std::string> out;
    auto j = body_of(r);
    if (j.contains("errors"))
      for (const auto& e : j["errors"]) out.push_back(e["field"]);
    return out;
  }
  // The mails queued to the customer for a case, but for the confirmation of Alice's new
  // case, which its first mail queued.
  std::vector<store::OutboxMail> outbox(const std::string& number) {
    auto w = rt_->store().open_unit(store::Access::kRead);
    EXPECT_TRUE(w);
    auto c = w->cases().find_case_by_number(number);
    EXPECT_TRUE(c && *c);
    auto rows = w->outbox().list_outbox((*c)->id, 100);
    EXPECT_TRUE(rows);
    std::vector<store::OutboxMail> out;
    for (auto& m : *rows)
      if (m.kind != "confirmation") out.push_back(std::move(m));
    return out;
  }

  mailcase::testing::TempDir dir_;
  std::filesystem::path data_;
  config::Config cfg_;
  std::string token_;
  std::unique_ptr<runtime::Runtime> rt_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<web::HttpServer> http_;
  std::thread thread_;
  std::unique_ptr<httplib::Client> cli_;
};

TEST_F(CaseActionsApi, EveryRouteWantsAToken) {
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"POST", "/api/v1/cases"},
      {"PATCH", "/api/v1/cases/CS0000001"},
      {"GET", "/api/v1/cases/CS0000001/comments"},
      {"POST", "/api/v1/cases/CS0000001/comments"},
      {"POST", "/api/v1/cases/CS0000001/solution"},
      {"GET", "/api/v1/cases/CS0000001/events"},
      {"POST", "/api/v1/cases/CS0000001/participants"},
      {"GET", "/api/v1/attachments/1"},
  };
  for (const auto& [method, path] : routes) {
    httplib::Headers bad{{"Authorization", "Bearer not-a-token"}};
    httplib::Result r = method == "GET"     ? cli_->Get(path.c_str(), bad)
                        : method == "PATCH" ? cli_->Patch(path.c_str(), bad, "{}", "application/json")
                                            : cli_->Post(path.c_str(), bad, "{}", "application/json");
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 401) << method << " " << path;
    EXPECT_TRUE(r->has_header("WWW-Authenticate")) << path;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json");
  }
}

TEST_F(CaseActionsApi, AnAgentOpensACaseAndGetsItsLocationAndDetail) {
  auto r = post("/api/v1/cases", {{"contact_email", "Bob@Example.org"},
                                  {"contact_name", "Bob"},
                                  {"subject", "VPN down"},
                                  {"description", "Called at 9:00"},
                                  {"queue", "Network"},
                                  {"owner", "ada@corp.example"},
                                  {"comment", {{"body", "We are on it."}, {"visibility", "public"}}}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  auto j = body_of(r);
  EXPECT_EQ(j["number"], "CS0000002");
  EXPECT_EQ(r->get_header_value("Location"), "/api/v1/cases/CS0000002");
  EXPECT_EQ(j["subject"], "VPN down");
  EXPECT_EQ(j["queue"], "Network");
  EXPECT_EQ(j["owner"], "ada@corp.example");
  EXPECT_EQ(j["status"], "open");
  auto shown = get("/api/v1/cases/CS0000002");
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->get_header_value("ETag"), r->get_header_value("ETag"));
  // The customer gets the comment; Ada, given the case by another agent, is told of it.
  auto rows = outbox("CS0000002");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].kind, "comment");  // newest first
  EXPECT_EQ(rows[0].to, "bob@example.org");
  EXPECT_EQ(rows[1].kind, "notice_assigned");
  EXPECT_EQ(rows[1].to, "ada@corp.example");
  auto ev = body_of(get("/api/v1/cases/CS0000002/events"));
  ASSERT_EQ(ev["items"].size(), 3u);
  EXPECT_EQ(ev["items"][0]["action"], "created");
  EXPECT_EQ(ev["items"][0]["actor"], "marek@corp.example");
}

TEST_F(CaseActionsApi, ANewCaseWithBadFieldsIs422NamingThem) {
  auto r = post("/api/v1/cases", {{"subject", 7}, {"queue", "a\nb"}, {"confirm", "yes"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422) << r->body;
  auto f = fields_of(r);
  for (const char* want : {"contact_email", "subject", "confirm"})
    EXPECT_NE(std::find(f.begin(), f.end(), want), f.end()) << want << " in " << r->body;
  auto owner = post("/api/v1/cases",
                    {{"contact_email", "x@example.org"}, {"subject", "s"}, {"owner", "nobody@corp.example"}});
  ASSERT_TRUE(owner);
  EXPECT_EQ(owner->status, 422) << owner->body;
  auto notjson = cli_->Post("/api/v1/cases", auth(), "subject=x", "application/x-www-form-urlencoded");
  ASSERT_TRUE(notjson);
  EXPECT_EQ(notjson->status, 415);
  EXPECT_EQ(body_of(get("/api/v1/cases"))["items"].size(), 1u);
}

TEST_F(CaseActionsApi, PatchChangesFieldsAndOwnerWithAnEventEach) {
  auto r = patch("/api/v1/cases/CS0000001",
                 {{"queue", "Hardware"}, {"priority", "high"}, {"owner", "ADA@corp.example"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = body_of(r);
  EXPECT_EQ(j["queue"], "Hardware");
  EXPECT_EQ(j["priority"], "high");
  EXPECT_EQ(j["owner"], "ada@corp.example");
  EXPECT_FALSE(r->get_header_value("ETag").empty());
  auto ev = body_of(get("/api/v1/cases/CS0000001/events"))["items"];
  std::vector<std::string> actions;
  for (const auto& e : ev) actions.push_back(e["action"]);
  EXPECT_EQ(actions, (std::vector<std::string>{"created", "assigned", "changed", "changed"})) << ev.dump();

  auto bad = patch("/api/v1/cases/CS0000001", {{"priority", ""}, {"action", "fly"}, {"colour", "red"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 422);
  auto f = fields_of(bad);
  for (const char* want : {"priority", "action", "colour"})
    EXPECT_NE(std::find(f.begin(), f.end(), want), f.end()) << want << " in " << bad->body;
}

TEST_F(CaseActionsApi, AStaleIfMatchIs412AndChangesNothing) {
  const auto etag = get("/api/v1/cases/CS0000001")->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  auto ok = patch("/api/v1/cases/CS0000001", {{"queue", "Hardware"}}, {{"If-Match", etag}});
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  auto stale = patch("/api/v1/cases/CS0000001", {{"queue", "Software"}}, {{"If-Match", etag}});
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 412) << stale->body;
  EXPECT_EQ(body_of(get("/api/v1/cases/CS0000001"))["queue"], "Hardware");
  auto fresh =
      patch("/api/v1/cases/CS0000001", {{"queue", "Software"}}, {{"If-Match", ok->get_header_value("ETag")}});
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->status, 200) << fresh->body;
  // "*" is any version of a case there is (RFC 9110 13.1.1); one tag of a list will do.
  auto any = patch("/api/v1/cases/CS0000001", {{"queue", "Hardware"}}, {{"If-Match", "*"}});
  ASSERT_TRUE(any);
  EXPECT_EQ(any->status, 200) << any->body;
  auto listed = patch("/api/v1/cases/CS0000001", {{"queue", "Software"}},
                      {{"If-Match", "\"old\", " + any->get_header_value("ETag")}});
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->status, 200) << listed->body;
  auto none = patch("/api/v1/cases/CS0000099", {{"queue", "Hardware"}}, {{"If-Match", "*"}});
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 404) << none->body;
  // A conditional GET: the version held is 304 without a body; one changed since is the case.
  auto h = auth();
  h.emplace("If-None-Match", listed->get_header_value("ETag"));
  auto held = cli_->Get("/api/v1/cases/CS0000001", h);
  ASSERT_TRUE(held);
  EXPECT_EQ(held->status, 304);
  EXPECT_TRUE(held->body.empty());
  h = auth();
  h.emplace("If-None-Match", etag);
  auto changed = cli_->Get("/api/v1/cases/CS0000001", h);
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->status, 200);
  EXPECT_EQ(body_of(changed)["queue"], "Software");
}

TEST_F(CaseActionsApi, TheLifecycleRefusesAnActionWith409) {
  auto accept = patch("/api/v1/cases/CS0000001", {{"action", "accept"}});
  ASSERT_TRUE(accept);
  EXPECT_EQ(accept->status, 409) << accept->body;
  EXPECT_FALSE(body_of(accept)["detail"].get<std::string>().empty());
  auto close = patch("/api/v1/cases/CS0000001", {{"action", "close"}});
  ASSERT_TRUE(close);
  ASSERT_EQ(close->status, 200) << close->body;
  EXPECT_EQ(body_of(close)["status"], "closed");
  auto again = patch("/api/v1/cases/CS0000001", {{"action", "close"}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409);
  auto reopen = patch("/api/v1/cases/CS0000001", {{"action", "reopen"}});
  ASSERT_TRUE(reopen);
  EXPECT_EQ(reopen->status, 200) << reopen->body;
  auto reason = patch("/api/v1/cases/CS0000001", {{"action", "close"}, {"reason", "why"}});
  ASSERT_TRUE(reason);
  EXPECT_EQ(reason->status, 422);
}

TEST_F(CaseActionsApi, AnUnknownCaseIs404OnEveryRoute) {
  EXPECT_EQ(patch("/api/v1/cases/CS0000099", {{"queue", "x"}})->status, 404);
  EXPECT_EQ(get("/api/v1/cases/CS0000099/comments")->status, 404);
  EXPECT_EQ(get("/api/v1/cases/CS0000099/events")->status, 404);
  EXPECT_EQ(post("/api/v1/cases/CS0000099/comments", {{"body", "x"}, {"visibility", "internal"}})->status,
            404);
  EXPECT_EQ(post("/api/v1/cases/CS0000099/solution", {{"body", "x"}})->status, 404);
  EXPECT_EQ(post("/api/v1/cases/CS0000099/participants", {{"email", "x@example.org"}})->status, 404);
  EXPECT_EQ(get("/api/v1/attachments/999")->status, 404);
}

TEST_F(CaseActionsApi, AnInternalCommentIsNotMailedAndAPublicOneIsQueued) {
  auto note =
      post("/api/v1/cases/CS0000001/comments", {{"body", "VIP customer"}, {"visibility", "internal"}});
  ASSERT_TRUE(note);
  ASSERT_EQ(note->status, 201) << note->body;
  EXPECT_EQ(body_of(note)["body"], "VIP customer");
  EXPECT_TRUE(outbox("CS0000001").empty());

  auto reply = post("/api/v1/cases/CS0000001/comments",
                    {{"body", "Which model?"}, {"visibility", "public"}, {"cc", {"boss@example.org"}}});
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 201) << reply->body;
  // The contact and the copy each get the mail, whose Cc names the copy.
  auto rows = outbox("CS0000001");
  ASSERT_EQ(rows.size(), 2u);
  std::set<std::string> to;
  for (const auto& m : rows) {
    to.insert(m.to);
    EXPECT_EQ(m.kind, "comment");
    EXPECT_NE(m.raw.find("Which model?"), std::string::npos);
    EXPECT_NE(m.raw.find("Cc: boss@example.org"), std::string::npos) << m.raw;
  }
  EXPECT_EQ(to, (std::set<std::string>{"alice@example.org", "boss@example.org"}));
  auto events = body_of(get("/api/v1/cases/CS0000001/events"))["items"];
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["action"], "commented");
  EXPECT_EQ(events.back()["details"]["cc"], "boss@example.org") << events.back().dump();

  auto list = body_of(get("/api/v1/cases/CS0000001/comments"));
  ASSERT_GE(list["items"].size(), 3u);
  EXPECT_EQ(list["items"].back()["body"], "Which model?");
  // The comment names its copy, as the POST's answer did; the note has none.
  EXPECT_EQ(list["items"].back()["cc"], json::array({"boss@example.org"})) << list["items"].back().dump();
  EXPECT_EQ(body_of(reply)["cc"], json::array({"boss@example.org"}));
  EXPECT_EQ(body_of(note)["cc"], json::array());
  // Each comment says its id: the one the POST answered is the one listed.
  EXPECT_EQ(list["items"].back()["id"], body_of(reply)["id"]);
  EXPECT_GT(body_of(reply)["id"].get<int64_t>(), body_of(note)["id"].get<int64_t>());
  auto detail = body_of(get("/api/v1/cases/CS0000001"));
  EXPECT_NE(detail.dump().find("boss@example.org"), std::string::npos);

  auto missing = post("/api/v1/cases/CS0000001/comments", {{"body", "x"}});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 422);
  EXPECT_EQ(fields_of(missing), std::vector<std::string>{"visibility"});
  auto ours = post("/api/v1/cases/CS0000001/comments",
                   {{"body", "x"}, {"visibility", "public"}, {"cc", {"help@corp.example"}}});
  ASSERT_TRUE(ours);
  EXPECT_EQ(ours->status, 422) << ours->body;
  EXPECT_EQ(fields_of(ours), std::vector<std::string>{"cc"});
  auto noted = post("/api/v1/cases/CS0000001/comments",
                    {{"body", "x"}, {"visibility", "internal"}, {"cc", {"carol@example.org"}}});
  ASSERT_TRUE(noted);
  EXPECT_EQ(noted->status, 422) << noted->body;
  EXPECT_EQ(fields_of(noted), std::vector<std::string>{"cc"});
  json many = json::array();
  for (int i = 0; i <= 20; ++i) many.push_back("p" + std::to_string(i) + "@example.org");
  auto too_many =
      post("/api/v1/cases/CS0000001/comments", {{"body", "x"}, {"visibility", "public"}, {"cc", many}});
  ASSERT_TRUE(too_many);
  EXPECT_EQ(too_many->status, 422) << too_many->body;
  EXPECT_EQ(fields_of(too_many), std::vector<std::string>{"cc"});
  EXPECT_EQ(outbox("CS0000001").size(), 2u);
}

// Comments and events come a page at a time, oldest first, each page after the last
// one's next_cursor; a cursor of another list or case, or a bad limit, is a 422 naming it.
TEST_F(CaseActionsApi, ACasesCommentsAndEventsComeAPageAtATimeOldestFirst) {
  for (int i = 1; i <= 4; ++i)
    ASSERT_EQ(post("/api/v1/cases/CS0000001/comments",
                   {{"body", "note " + std::to_string(i)}, {"visibility", "internal"}})
                  ->status,
              201);
  auto read_all = [&](const std::string& list, const std::string& field) {
    std::vector<std::string> seen;
    std::string path = "/api/v1/cases/CS0000001/" + list + "?limit=2";
    for (int pages = 0; pages < 20; ++pages) {
      auto r = get(path);
      EXPECT_TRUE(r);
      if (!r) break;
      EXPECT_EQ(r->status, 200) << r->body;
      auto j = body_of(r);
      EXPECT_LE(j["items"].size(), 2u);
      for (const auto& item : j["items"]) seen.push_back(item[field].get<std::string>());
      if (j["next_cursor"].is_null()) break;
      path = "/api/v1/cases/CS0000001/" + list + "?limit=2&cursor=" + j["next_cursor"].get<std::string>();
    }
    return seen;
  };
  auto bodies = read_all("comments", "body");
  ASSERT_EQ(bodies.size(), 5u);  // Alice's mail, then the notes in order
  EXPECT_NE(bodies[0].find("It does not print."), std::string::npos) << bodies[0];
  EXPECT_EQ(std::vector<std::string>(bodies.begin() + 1, bodies.end()),
            (std::vector<std::string>{"note 1", "note 2", "note 3", "note 4"}));
  auto actions = read_all("events", "action");
  ASSERT_GE(actions.size(), 5u);
  EXPECT_EQ(actions.front(), "created");
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "note"), 4);
  EXPECT_EQ(actions.back(), "note");

  auto counted = body_of(get("/api/v1/cases/CS0000001/comments?limit=1&count=true"));
  EXPECT_EQ(counted["total"], 5);
  EXPECT_EQ(counted["items"].size(), 1u);

  // A cursor of the events is not one of the comments', nor of another case.
  const std::string events_cursor =
      body_of(get("/api/v1/cases/CS0000001/events?limit=1"))["next_cursor"].get<std::string>();
  auto other_list = get("/api/v1/cases/CS0000001/comments?cursor=" + events_cursor);
  ASSERT_TRUE(other_list);
  EXPECT_EQ(other_list->status, 422) << other_list->body;
  EXPECT_EQ(fields_of(other_list), std::vector<std::string>{"cursor"});
  ASSERT_EQ(post("/api/v1/cases", {{"contact_email", "bob@example.org"}, {"subject", "Another"}})->status,
            201);
  auto other_case = get("/api/v1/cases/CS0000002/events?cursor=" + events_cursor);
  ASSERT_TRUE(other_case);
  EXPECT_EQ(other_case->status, 422) << other_case->body;
  auto bad_limit = get("/api/v1/cases/CS0000001/events?limit=0");
  ASSERT_TRUE(bad_limit);
  EXPECT_EQ(bad_limit->status, 422);
  EXPECT_EQ(fields_of(bad_limit), std::vector<std::string>{"limit"});
}

TEST_F(CaseActionsApi, AMultipartCommentCarriesItsFilesWhichDownloadSafely) {
  httplib::MultipartFormDataItems items = {
      {"body", "The manual is attached.", "", ""},
      {"visibility", "public", "", ""},
      {"attachments", "%PDF-1.4 manual", "../../manual \"v2\".pdf", "application/pdf"},
  };
  auto r = cli_->Post("/api/v1/cases/CS0000001/comments", auth(), items);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  auto rows = outbox("CS0000001");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NE(rows[0].raw.find("manual"), std::string::npos);

  auto detail = body_of(get("/api/v1/cases/CS0000001"));
  int64_t id = 0;
  for (const auto& a : detail["attachments"])
    if (a["content_type"] == "application/pdf") id = a["id"];
  ASSERT_NE(id, 0) << detail.dump();
  auto file = get("/api/v1/attachments/" + std::to_string(id));
  ASSERT_TRUE(file);
  ASSERT_EQ(file->status, 200);
  EXPECT_EQ(file->body, "%PDF-1.4 manual");
  EXPECT_EQ(file->get_header_value("Content-Type"), "application/pdf");
  EXPECT_EQ(file->get_header_value("X-Content-Type-Options"), "nosniff");
  const auto disposition = file->get_header_value("Content-Disposition");
  EXPECT_EQ(disposition.rfind("attachment; filename=\"", 0), 0u) << disposition;
  EXPECT_EQ(disposition.find(".."), std::string::npos) << disposition;
  EXPECT_EQ(disposition.find('/'), std::string::npos) << disposition;

  // The customer's HTML file comes as a download, never as a page.
  for (const auto& a : detail["attachments"]) {
    if (a["content_type"] != "text/html") continue;
    auto html = get("/api/v1/attachments/" + std::to_string(a["id"].get<int64_t>()));
    ASSERT_TRUE(html);
    EXPECT_EQ(html->status, 200);
    EXPECT_EQ(html->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(html->get_header_value("Content-Disposition").rfind("attachment;", 0), 0u);
  }

  httplib::MultipartFormDataItems no_visibility = {{"body", "x", "", ""}};
  auto bad = cli_->Post("/api/v1/cases/CS0000001/comments", auth(), no_visibility);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 422);
}

TEST_F(CaseActionsApi, ASolutionIsMailedAndParticipantsAreAdded) {
  auto s = post("/api/v1/cases/CS0000001/solution", {{"body", "Restart the printer."}});
  ASSERT_TRUE(s);
  ASSERT_EQ(s->status, 200) << s->body;
  EXPECT_EQ(body_of(s)["status"], "solution proposed");
  auto rows = outbox("CS0000001");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].kind, "solution");
  EXPECT_EQ(post("/api/v1/cases/CS0000001/solution", {{"body", ""}})->status, 422);

  auto p = post("/api/v1/cases/CS0000001/participants", {{"email", "Carl@Partner.example"}});
  ASSERT_TRUE(p);
  ASSERT_EQ(p->status, 200) << p->body;
  EXPECT_NE(p->body.find("carl@partner.example"), std::string::npos);
  auto ours = post("/api/v1/cases/CS0000001/participants", {{"email", "help@corp.example"}});
  ASSERT_TRUE(ours);
  EXPECT_EQ(ours->status, 422);
  EXPECT_EQ(fields_of(ours), std::vector<std::string>{"email"});
  // Taken off again (any letter case), with the history saying who did; a second time is 404.
  auto off = cli_->Delete("/api/v1/cases/CS0000001/participants/CARL@partner.example", auth());
  ASSERT_TRUE(off);
  ASSERT_EQ(off->status, 200) << off->body;
  EXPECT_EQ(off->body.find("carl@partner.example"), std::string::npos) << off->body;
  auto events = get("/api/v1/cases/CS0000001/events");
  EXPECT_NE(events->body.find("\"participant_removed\""), std::string::npos) << events->body;
  auto again = cli_->Delete("/api/v1/cases/CS0000001/participants/carl@partner.example", auth());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 404) << again->body;
}

TEST_F(CaseActionsApi, ARetryWithTheSameIdempotencyKeyGetsTheFirstAnswer) {
  const json body{{"contact_email", "dan@example.org"}, {"subject", "Keyboard"}};
  auto first = post("/api/v1/cases", body, {{"Idempotency-Key", "k-1"}});
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 201) << first->body;
  auto again = post("/api/v1/cases", body, {{"Idempotency-Key", "k-1"}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 201);
  EXPECT_EQ(again->body, first->body);
  EXPECT_EQ(again->get_header_value("Location"), first->get_header_value("Location"));
  EXPECT_EQ(body_of(get("/api/v1/cases"))["items"].size(), 2u);

  auto other = post("/api/v1/cases", {{"contact_email", "dan@example.org"}, {"subject", "Mouse"}},
                    {{"Idempotency-Key", "k-1"}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 422) << other->body;
  auto long_key = post("/api/v1/cases", body, {{"Idempotency-Key", std::string(201, 'k')}});
  ASSERT_TRUE(long_key);
  EXPECT_EQ(long_key->status, 400);

  // A refused request is answered the same way again (a 4xx is kept).
  auto bad = post("/api/v1/cases/CS0000001/comments", {{"body", "x"}}, {{"Idempotency-Key", "k-2"}});
  auto bad_again = post("/api/v1/cases/CS0000001/comments", {{"body", "x"}}, {{"Idempotency-Key", "k-2"}});
  ASSERT_TRUE(bad && bad_again);
  EXPECT_EQ(bad->status, 422);
  EXPECT_EQ(bad_again->status, 422);
  EXPECT_EQ(bad_again->body, bad->body);
}

}  // namespace
}  // namespace mailcase::api
