// The assignment rules' page of the console through HTTP: an admin sees the rules in
// their order with what they check and set, adds one with the form (a bad one gets its
// error beside the form and stores nothing), disables, moves and removes rules (as
// `mailcase rule list --json` then shows), and tests a pasted mail, which changes nothing;
// an agent gets 403 on the page and every form, and a form without the CSRF token is
// refused.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "config/config.h"
#include "console/console.h"
#include "console/console_test_support.h"
#include "runtime/runtime.h"
#include "support/test_support.h"
#include "web/http_server.h"

namespace mailcase::console {
namespace {

using mailcase::testing::ConsoleClient;
using nlohmann::json;

const char* const kMail =
    "From: Alice <alice@example.org>\r\nTo: support@corp.example\r\nSubject: Invoice 12 is wrong\r\n"
    "Message-ID: <r1@example.org>\r\n\r\nPlease refund.\r\n";

bool has(const std::string& s, std::string_view what) {
  return s.find(what) != std::string::npos;
}

class RulePages : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    ASSERT_EQ(cli({"init"}).exit_code, 0);
    ASSERT_EQ(
        cli({"agent", "add", "--name", "Ada", "--email", "ada@corp.example", "--role", "admin"}).exit_code,
        0);
    ASSERT_EQ(cli({"agent", "add", "--name", "Bob", "--email", "bob@corp.example"}).exit_code, 0);
    ASSERT_EQ(cli({"agent", "password", "ada@corp.example"}, "ada-password-1\n").exit_code, 0);
    ASSERT_EQ(cli({"agent", "password", "bob@corp.example"}, "bob-password-1\n").exit_code, 0);
    auto cfg = config::load(data_ / "mailcase.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    cfg_ = *cfg;
    auto rt = runtime::Runtime::open(data_, cfg_);
    ASSERT_TRUE(rt) << rt.error().message;
    rt_ = std::move(*rt);
    console_ = std::make_unique<Console>(rt_->store(), rt_->cases(), rt_->config(), rt_->clock(), data_);
    console_->set_ingest(rt_->ingest());
    http_ = std::make_unique<web::HttpServer>(web::HttpLimits{});
    console_->mount(*http_);
    ASSERT_TRUE(http_->listen("127.0.0.1", 0));
    thread_ = std::thread([this] { http_->serve(); });
    admin_ = ConsoleClient(http_->bound_port());
    agent_ = ConsoleClient(http_->bound_port());
    ASSERT_EQ(admin_.login("ada@corp.example", "ada-password-1")->status, 303);
    ASSERT_EQ(agent_.login("bob@corp.example", "bob-password-1")->status, 303);
  }
  void TearDown() override {
    if (http_) http_->stop();
    if (thread_.joinable()) thread_.join();
  }
  mailcase::testing::CommandResult cli(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data_.string()});
    return mailcase::testing::run_mailcase(args, in);
  }
  json cli_rules() {
    auto r = cli({"rule", "list", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  std::vector<std::string> names() {
    std::vector<std::string> out;
    for (const auto& r : cli_rules()) out.push_back(r.value("name", ""));
    return out;
  }
  // A rule added through the page's form; the answer (303 when it worked).
  httplib::Result add(httplib::Params fields) { return admin_.post("/admin/rules", std::move(fields)); }

  mailcase::testing::TempDir dir_;
  std::filesystem::path data_;
  config::Config cfg_;
  std::unique_ptr<runtime::Runtime> rt_;
  std::unique_ptr<Console> console_;
  std::unique_ptr<web::HttpServer> http_;
  std::thread thread_;
  ConsoleClient admin_{0}, agent_{0};  // their port once the server listens
};

TEST_F(RulePages, AnAdminAddsARuleWithTheFormAndSeesItListed) {
  auto page = admin_.get("/admin/rules");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  EXPECT_TRUE(has(page->body, "<h1>Assignment rules</h1>")) << page->body;
  EXPECT_TRUE(has(page->body, "No rules yet")) << page->body;
  for (const char* f :
       {"name=\"if_address\"", "name=\"if_sender\"", "name=\"if_sender_domain\"", "name=\"if_contact\"",
        "name=\"if_account\"", "name=\"if_account_level\"", "name=\"if_subject\"", "name=\"if_body\"",
        "name=\"if_attachments\"", "name=\"if_priority\"", "name=\"if_language\"",
        "name=\"if_business_hours\"", "name=\"set_queue\"", "name=\"set_owner\"", "name=\"set_priority\"",
        "name=\"set_product\"", "name=\"set_process\"", "name=\"continue\"", "name=\"mail\""})
    EXPECT_TRUE(has(page->body, f)) << f;
  auto index = admin_.get("/admin");
  ASSERT_TRUE(index);
  EXPECT_TRUE(has(index->body, "href=\"/admin/rules\"")) << index->body;

  auto a = add({{"name", "billing"},
                {"if_sender_domain", "example.org"},
                {"if_subject", "invoice|refund"},
                {"if_attachments", "no"},
                {"set_queue", "Billing"},
                {"set_priority", "high"},
                {"set_owner", "bob@corp.example"}});
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status, 303) << a->body;
  auto rules = cli_rules();
  ASSERT_EQ(rules.size(), 1u) << rules;
  EXPECT_EQ(rules[0]["if"],
            json({{"sender_domain", "example.org"}, {"subject", "invoice|refund"}, {"attachments", false}}));
  EXPECT_EQ(rules[0]["set"],
            json({{"queue", "Billing"}, {"priority", "high"}, {"owner", "bob@corp.example"}}));

  page = admin_.get(a->get_header_value("Location"));
  ASSERT_TRUE(page);
  EXPECT_TRUE(has(page->body, "Added the rule billing.")) << page->body;
  EXPECT_TRUE(has(page->body, "<td>billing</td>")) << page->body;
  EXPECT_TRUE(has(page->body, "subject matches <code>invoice|refund</code>")) << page->body;
  EXPECT_TRUE(has(page->body, "queue → <b>Billing</b>")) << page->body;
  EXPECT_TRUE(has(page->body, "has no attachments")) << page->body;
}

TEST_F(RulePages, ABadRuleShowsItsErrorBesideTheFormAndStoresNothing) {
  ASSERT_EQ(add({{"name", "billing"}, {"set_queue", "Billing"}})->status, 303);
  auto bad = add({{"name", "broken"}, {"if_subject", "(unclosed"}, {"set_queue", "Q"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 422);
  EXPECT_TRUE(has(bad->body, "id=\"e-if_subject\"")) << bad->body;
  EXPECT_TRUE(has(bad->body, "value=\"(unclosed\"")) << "the form keeps what was typed";
  // In the form's words: no command line flag on a page.
  EXPECT_TRUE(has(bad->body, "The rule has invalid fields.")) << bad->body;
  EXPECT_FALSE(has(bad->body, "--if-subject")) << bad->body;
  auto dup = add({{"name", "billing"}, {"set_queue", "Other"}});
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->status, 409);
  EXPECT_TRUE(has(dup->body, "id=\"e-name\"")) << dup->body;
  auto owner = add({{"name", "owned"}, {"set_owner", "nobody@corp.example"}});
  ASSERT_TRUE(owner);
  EXPECT_EQ(owner->status, 422);
  EXPECT_TRUE(has(owner->body, "id=\"e-set_owner\"")) << owner->body;
  EXPECT_FALSE(has(owner->body, "--set-owner")) << owner->body;
  auto nothing = add({{"name", "idle"}, {"if_sender", "alice@example.org"}});
  ASSERT_TRUE(nothing);
  EXPECT_EQ(nothing->status, 422);
  EXPECT_TRUE(has(nothing->body, "A rule must set at least one of queue")) << nothing->body;
  EXPECT_FALSE(has(nothing->body, "--set-")) << nothing->body;
  auto yn = add({{"name", "yn"}, {"if_attachments", "maybe"}, {"set_queue", "Q"}});
  ASSERT_TRUE(yn);
  EXPECT_EQ(yn->status, 422);
  EXPECT_TRUE(has(yn->body, "id=\"e-if_attachments\"")) << yn->body;
  EXPECT_EQ(names(), std::vector<std::string>{"billing"});
}

TEST_F(RulePages, DisableMoveAndRemoveChangeWhatTheCommandLineShows) {
  ASSERT_EQ(add({{"name", "first"}, {"set_queue", "A"}})->status, 303);
  ASSERT_EQ(add({{"name", "second one"}, {"set_queue", "B"}, {"continue", "yes"}})->status, 303);
  auto page = admin_.get("/admin/rules");
  ASSERT_TRUE(page);
  EXPECT_LT(page->body.find("<td>first</td>"), page->body.find("<td>second one</td>"));
  EXPECT_TRUE(has(page->body, "data-confirm=\"Remove the rule second one?")) << page->body;
  EXPECT_TRUE(has(page->body, "then continue")) << page->body;

  auto off = admin_.post("/admin/rules/enable", {{"name", "first"}, {"enabled", "no"}});
  ASSERT_TRUE(off);
  EXPECT_EQ(off->status, 303);
  EXPECT_EQ(cli_rules()[0]["enabled"], false);
  auto moved = admin_.post("/admin/rules/move", {{"name", "second one"}, {"position", "1"}});
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->status, 303);
  EXPECT_EQ(names(), (std::vector<std::string>{"second one", "first"}));
  auto gone = admin_.post("/admin/rules/remove", {{"name", "second one"}});
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 303);
  EXPECT_EQ(names(), std::vector<std::string>{"first"});
  auto missing = admin_.post("/admin/rules/remove", {{"name", "second one"}});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto bad_pos = admin_.post("/admin/rules/move", {{"name", "first"}, {"position", "up"}});
  ASSERT_TRUE(bad_pos);
  EXPECT_EQ(bad_pos->status, 422);
}

// Edit opens the form filled with what the rule does; saved, the rule does what the form
// says and keeps its place, its state and its hits. A bad change shows its error beside
// the form, still filled, and changes nothing.
TEST_F(RulePages, AnAdminChangesWhatARuleDoesWithTheFilledForm) {
  ASSERT_EQ(add({{"name", "first"}, {"set_priority", "low"}})->status, 303);
  ASSERT_EQ(add({{"name", "billing & co"},
                 {"if_subject", "invoice"},
                 {"if_attachments", "no"},
                 {"set_queue", "Billing"},
                 {"set_priority", "high"}})
                ->status,
            303);
  ASSERT_EQ(admin_.post("/admin/rules/enable", {{"name", "billing & co"}, {"enabled", "no"}})->status, 303);
  auto page = admin_.get("/admin/rules");
  ASSERT_TRUE(page);
  EXPECT_TRUE(has(page->body, "href=\"/admin/rules?edit=billing%20%26%20co#rule-form\"")) << page->body;

  auto form = admin_.get("/admin/rules?edit=billing%20%26%20co");
  ASSERT_TRUE(form);
  ASSERT_EQ(form->status, 200) << form->body;
  EXPECT_TRUE(has(form->body, "Change the rule billing &amp; co")) << form->body;
  EXPECT_TRUE(has(form->body, "action=\"/admin/rules/edit\"")) << form->body;
  EXPECT_TRUE(has(form->body, "<input type=\"hidden\" name=\"name\" value=\"billing &amp; co\">")) << form->body;
  EXPECT_TRUE(has(form->body, "name=\"if_subject\" value=\"invoice\"")) << form->body;
  EXPECT_TRUE(has(form->body, "name=\"set_queue\" value=\"Billing\"")) << form->body;
  EXPECT_TRUE(has(form->body, "<option value=\"no\" selected>no</option>")) << form->body;
  auto missing = admin_.get("/admin/rules?edit=nosuch");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);

  auto saved = admin_.post("/admin/rules/edit", {{"name", "billing & co"},
                                                 {"if_subject", "refund"},
                                                 {"set_queue", "Refunds"},
                                                 {"set_owner", "bob@corp.example"},
                                                 {"continue", "yes"}});
  ASSERT_TRUE(saved);
  ASSERT_EQ(saved->status, 303) << saved->body;
  auto rules = cli_rules();
  ASSERT_EQ(rules.size(), 2u) << rules;
  EXPECT_EQ(rules[1]["name"], "billing & co");
  EXPECT_EQ(rules[1]["position"], 2);
  EXPECT_EQ(rules[1]["enabled"], false);
  EXPECT_EQ(rules[1]["if"], json({{"subject", "refund"}}));
  EXPECT_EQ(rules[1]["set"], json({{"queue", "Refunds"}, {"owner", "bob@corp.example"}}));
  EXPECT_EQ(rules[1]["continue"], true);
  // (cpp-httplib's client decodes the Location header's value: the page it names, as sent.)
  page = admin_.get("/admin/rules?changed=billing%20%26%20co");
  ASSERT_TRUE(page);
  EXPECT_TRUE(has(page->body, "Changed the rule billing &amp; co.")) << page->body;

  auto bad = admin_.post("/admin/rules/edit",
                         {{"name", "billing & co"}, {"if_subject", "refund("}, {"set_queue", "Refunds"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 422);
  EXPECT_TRUE(has(bad->body, "id=\"e-if_subject\"")) << bad->body;
  EXPECT_TRUE(has(bad->body, "Change the rule billing &amp; co")) << "the form stays the edit form";
  EXPECT_TRUE(has(bad->body, "name=\"if_subject\" value=\"refund(\"")) << "what was typed stays";
  auto stranger = admin_.post("/admin/rules/edit", {{"name", "billing & co"}, {"set_owner", "zed@corp.example"}});
  ASSERT_TRUE(stranger);
  EXPECT_EQ(stranger->status, 422);
  EXPECT_TRUE(has(stranger->body, "id=\"e-set_owner\"")) << stranger->body;
  auto gone = admin_.post("/admin/rules/edit", {{"name", "nosuch"}, {"set_queue", "Q"}});
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 404);
  EXPECT_EQ(cli_rules()[1], rules[1]);
}

TEST_F(RulePages, TestingAPastedMailShowsTheRulesCheckedAndChangesNothing) {
  ASSERT_EQ(add({{"name", "other"}, {"if_sender_domain", "example.net"}, {"set_queue", "Other"}})->status,
            303);
  ASSERT_EQ(add({{"name", "billing"}, {"if_subject", "invoice"}, {"set_queue", "Billing"}})->status, 303);
  auto t = admin_.post("/admin/rules/test", {{"mail", kMail}});
  ASSERT_TRUE(t);
  ASSERT_EQ(t->status, 200) << t->body;
  const auto at = t->body.find("id=\"rule-test-result\"");
  ASSERT_NE(at, std::string::npos) << t->body;
  const std::string result = t->body.substr(at);
  EXPECT_TRUE(has(result, "<td>other</td><td>no: sender-domain does not hold</td>")) << result;
  EXPECT_TRUE(has(result, "<td>billing</td><td><b>matched</b></td>")) << result;
  EXPECT_TRUE(has(result, "It would set: queue → <b>Billing</b>")) << result;
  EXPECT_TRUE(has(t->body, "Invoice 12 is wrong")) << "the pasted mail stays in the form";
  for (const auto& r : cli_rules()) EXPECT_EQ(r["hits"], 0) << r;
  EXPECT_EQ(json::parse(cli({"case", "list", "--json"}).out, nullptr, false).size(), 0u);

  auto empty = admin_.post("/admin/rules/test", {{"mail", "  "}});
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 422);
}

TEST_F(RulePages, AnAgentGets403AndAFormWithoutItsCsrfTokenChangesNothing) {
  ASSERT_EQ(add({{"name", "first"}, {"set_queue", "A"}})->status, 303);
  auto page = agent_.get("/admin/rules");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 403);
  const std::vector<std::pair<std::string, httplib::Params>> posts = {
      {"/admin/rules", {{"name", "x"}, {"set_queue", "Q"}}},
      {"/admin/rules/enable", {{"name", "first"}, {"enabled", "no"}}},
      {"/admin/rules/move", {{"name", "first"}, {"position", "1"}}},
      {"/admin/rules/remove", {{"name", "first"}}},
      {"/admin/rules/edit", {{"name", "first"}, {"set_queue", "Other"}}},
      {"/admin/rules/test", {{"mail", kMail}}},
  };
  for (const auto& [path, fields] : posts) {
    auto a = agent_.post(path, fields);
    ASSERT_TRUE(a) << path;
    EXPECT_EQ(a->status, 403) << path;
    auto no_csrf = admin_.post(path, fields, /*with_csrf=*/false);
    ASSERT_TRUE(no_csrf) << path;
    EXPECT_EQ(no_csrf->status, 403) << path;
  }
  auto rules = cli_rules();
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0]["enabled"], true);
}

// ---- monitoring alert rules (/admin/alert-rules), on the same console

json cli_alert_rules(const std::function<mailcase::testing::CommandResult(std::vector<std::string>)>& cli) {
  auto r = cli({"alert", "list", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out, nullptr, false);
}

TEST_F(RulePages, AnAdminAddsAndRemovesAlertRulesWithTheForm) {
  auto run = [this](std::vector<std::string> a) { return cli(std::move(a)); };
  ASSERT_EQ(cli({"account", "add", "--name", "Acme"}).exit_code, 0);
  auto index = admin_.get("/admin");
  ASSERT_TRUE(index);
  EXPECT_TRUE(has(index->body, "href=\"/admin/alert-rules\"")) << index->body;
  auto page = admin_.get("/admin/alert-rules");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  EXPECT_TRUE(has(page->body, "No alert rules yet")) << page->body;
  for (const char* f : {"name=\"name\"", "name=\"format\"", "name=\"sender\"", "name=\"subject\"",
                        "name=\"body\"", "name=\"account\"", "name=\"reopen_within\""})
    EXPECT_TRUE(has(page->body, f)) << f;

  auto a = admin_.post("/admin/alert-rules", {{"name", "nagios <acme>"},
                                              {"format", "nagios"},
                                              {"sender", "@monitor\\.example\\.net$"},
                                              {"account", "Acme"},
                                              {"reopen_within", "6"}});
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status, 303) << a->body;
  auto rules = cli_alert_rules(run);
  ASSERT_EQ(rules.size(), 1u) << rules;
  EXPECT_EQ(rules[0]["name"], "nagios <acme>");
  EXPECT_EQ(rules[0]["format"], "nagios");
  EXPECT_EQ(rules[0]["sender"], "@monitor\\.example\\.net$");
  EXPECT_EQ(rules[0]["account"], "Acme");
  EXPECT_EQ(rules[0]["reopen_within_hours"], 6);
  page = admin_.get(a->get_header_value("Location"));
  ASSERT_TRUE(page);
  EXPECT_TRUE(has(page->body, "Added the alert rule nagios &lt;acme&gt;.")) << page->body;
  EXPECT_TRUE(has(page->body, "<td>nagios &lt;acme&gt;</td>")) << page->body;
  EXPECT_FALSE(has(page->body, "<acme>")) << "escaped";
  EXPECT_TRUE(has(page->body, "sender <code>@monitor\\.example\\.net$</code>")) << page->body;

  // Refused, the error beside the still-filled form; nothing stored.
  auto bad = admin_.post("/admin/alert-rules",
                         {{"name", "uptime"}, {"format", "generic"}, {"body", "no groups here"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 422);
  EXPECT_TRUE(has(bad->body, "id=\"e-body\"")) << bad->body;
  EXPECT_TRUE(has(bad->body, "value=\"no groups here\"")) << bad->body;
  EXPECT_TRUE(has(bad->body, "The alert rule has invalid fields.")) << bad->body;
  EXPECT_FALSE(has(bad->body, "--body")) << bad->body;
  auto no_account = admin_.post("/admin/alert-rules", {{"name", "x"}, {"format", "zabbix"}, {"account", "Nobody"}});
  ASSERT_TRUE(no_account);
  EXPECT_EQ(no_account->status, 422);
  EXPECT_TRUE(has(no_account->body, "id=\"e-account\"")) << no_account->body;
  auto dup = admin_.post("/admin/alert-rules", {{"name", "nagios <acme>"}, {"format", "icinga"}});
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->status, 409);
  auto bad_hours = admin_.post("/admin/alert-rules", {{"name", "y"}, {"format", "monit"}, {"reopen_within", "soon"}});
  ASSERT_TRUE(bad_hours);
  EXPECT_EQ(bad_hours->status, 422);
  EXPECT_TRUE(has(bad_hours->body, "id=\"e-reopen_within\"")) << bad_hours->body;
  EXPECT_EQ(cli_alert_rules(run).size(), 1u);

  // An agent may not; no CSRF token, no change.
  EXPECT_EQ(agent_.get("/admin/alert-rules")->status, 403);
  EXPECT_EQ(agent_.post("/admin/alert-rules/remove", {{"name", "nagios <acme>"}})->status, 403);
  EXPECT_EQ(admin_.post("/admin/alert-rules/remove", {{"name", "nagios <acme>"}}, /*with_csrf=*/false)->status,
            403);
  EXPECT_EQ(cli_alert_rules(run).size(), 1u);

  auto gone = admin_.post("/admin/alert-rules/remove", {{"name", "nagios <acme>"}});
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 303);
  EXPECT_EQ(cli_alert_rules(run).size(), 0u);
  auto missing = admin_.post("/admin/alert-rules/remove", {{"name", "nagios <acme>"}});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

// Edit: the rule's own form, filled with what it is; saving changes it in place (its name
// and place stay); a refusal shows beside its field and changes nothing.
TEST_F(RulePages, AnAdminChangesAnAlertRuleWithItsForm) {
  auto run = [this](std::vector<std::string> a) { return cli(std::move(a)); };
  ASSERT_EQ(cli({"account", "add", "--name", "Acme"}).exit_code, 0);
  ASSERT_EQ(cli({"alert", "add", "nagios <acme>", "--format", "nagios", "--subject", "PROBLEM"}).exit_code, 0);
  ASSERT_EQ(cli({"alert", "add", "later", "--format", "zabbix"}).exit_code, 0);
  auto list = admin_.get("/admin/alert-rules");
  ASSERT_TRUE(list);
  EXPECT_TRUE(has(list->body, "href=\"/admin/alert-rules/edit?name=nagios%20%3Cacme%3E\"")) << list->body;

  auto edit = admin_.get("/admin/alert-rules/edit?name=nagios%20%3Cacme%3E");
  ASSERT_TRUE(edit);
  ASSERT_EQ(edit->status, 200) << edit->body;
  EXPECT_TRUE(has(edit->body, "action=\"/admin/alert-rules/change\"")) << edit->body;
  EXPECT_TRUE(has(edit->body, "type=\"hidden\" name=\"name\" value=\"nagios &lt;acme&gt;\"")) << edit->body;
  EXPECT_TRUE(has(edit->body, "value=\"PROBLEM\"")) << edit->body;
  EXPECT_TRUE(has(edit->body, "<option selected>nagios</option>")) << edit->body;
  EXPECT_EQ(admin_.get("/admin/alert-rules/edit?name=nobody")->status, 404);

  auto saved = admin_.post("/admin/alert-rules/change", {{"name", "nagios <acme>"},
                                                         {"format", "icinga"},
                                                         {"sender", "@monitor\\.example\\.net$"},
                                                         {"subject", ""},
                                                         {"account", "Acme"},
                                                         {"reopen_within", "3"},
                                                         {"proven_sender", "yes"}});
  ASSERT_TRUE(saved);
  ASSERT_EQ(saved->status, 303) << saved->body;
  auto rules = cli_alert_rules(run);
  ASSERT_EQ(rules.size(), 2u) << rules;
  EXPECT_EQ(rules[0]["name"], "nagios <acme>");
  EXPECT_EQ(rules[0]["position"], 1);
  EXPECT_EQ(rules[0]["format"], "icinga");
  EXPECT_EQ(rules[0]["sender"], "@monitor\\.example\\.net$");
  EXPECT_EQ(rules[0].value("subject", ""), "");
  EXPECT_EQ(rules[0]["account"], "Acme");
  EXPECT_EQ(rules[0]["reopen_within_hours"], 3);
  EXPECT_EQ(rules[0]["proven_sender"], true);
  EXPECT_EQ(rules[1]["proven_sender"], false);
  auto page = admin_.get(saved->get_header_value("Location"));
  ASSERT_TRUE(page);
  EXPECT_TRUE(has(page->body, "Changed the alert rule nagios &lt;acme&gt;.")) << page->body;
  EXPECT_TRUE(has(page->body, "proven sender only")) << page->body;
  auto proven_edit = admin_.get("/admin/alert-rules/edit?name=nagios%20%3Cacme%3E");
  ASSERT_TRUE(proven_edit);
  EXPECT_TRUE(has(proven_edit->body, "name=\"proven_sender\" value=\"yes\" checked")) << proven_edit->body;

  auto bad = admin_.post("/admin/alert-rules/change",
                         {{"name", "nagios <acme>"}, {"format", "generic"}, {"body", "no groups here"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 422);
  EXPECT_TRUE(has(bad->body, "id=\"e-body\"")) << bad->body;
  EXPECT_TRUE(has(bad->body, "value=\"no groups here\"")) << bad->body;
  auto no_account = admin_.post("/admin/alert-rules/change",
                                {{"name", "nagios <acme>"}, {"format", "nagios"}, {"account", "Nobody"}});
  ASSERT_TRUE(no_account);
  EXPECT_EQ(no_account->status, 422);
  EXPECT_TRUE(has(no_account->body, "id=\"e-account\"")) << no_account->body;
  auto missing = admin_.post("/admin/alert-rules/change", {{"name", "nobody"}, {"format", "nagios"}});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(agent_.get("/admin/alert-rules/edit?name=later")->status, 403);
  EXPECT_EQ(agent_.post("/admin/alert-rules/change", {{"name", "later"}, {"format", "nagios"}})->status, 403);
  EXPECT_EQ(admin_.post("/admin/alert-rules/change", {{"name", "later"}, {"format", "nagios"}}, false)->status, 403);
  EXPECT_EQ(cli_alert_rules(run), rules);
}

}  // namespace
}  // namespace mailcase::console
