// The customer pages in the contact's language, with the console's look: through HTTP
// (the pages mounted in process, and `mailcase serve` with the pages on a listener of
// their own), and the pure parts (language choice, sender names, dates) without I/O.
#include "web/customer_pages.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <csignal>
#include <ctime>
#include <fstream>
#include <functional>
#include <regex>
#include <thread>

#include "config/config.h"
#include "console/assets.h"
#include "outbound/signed_link.h"
#include "outbound/templates.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "support/test_support.h"
#include "web/http_server.h"

namespace mailcase::web {
namespace {

using mailcase::testing::Background;
using mailcase::testing::run_mailcase;
using mailcase::testing::TempDir;
using mailcase::testing::wait_until;

constexpr const char* kPagesCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'";

// ---- pure parts

TEST(PageLanguageTest, TheContactsLanguageElseTheDefaultAsTheMailsChoose) {
  EXPECT_EQ(page_language("fr", "en"), "fr");
  EXPECT_EQ(page_language("pl", "fr"), "pl");
  EXPECT_EQ(page_language("", "pl"), "pl");
  EXPECT_EQ(page_language("", "en"), "en");
  // A language the mails have no templates for reads as English, as the mails do.
  EXPECT_EQ(page_language("de", "fr"), "en");
  EXPECT_EQ(page_language("fr-CA", "en"), "en");
}

TEST(PageLanguageTest, EveryLanguageOfTheMailsHasThePagesTexts) {
  for (const auto& lang : outbound::template_languages()) EXPECT_TRUE(has_page_texts(lang)) << lang;
  EXPECT_FALSE(has_page_texts("de"));
}

TEST(InboundSenderTest, TheContactsOwnMailShowsTheContactsName) {
  const std::vector<std::string> emails{"marie@globex.example", "m.dupont@mail.example"};
  EXPECT_EQ(inbound_sender("Marie D. <Marie@Globex.example>", "Marie Dupont", emails), "Marie Dupont");
  EXPECT_EQ(inbound_sender("m.dupont@mail.example", "Marie Dupont", emails), "Marie Dupont");
  EXPECT_EQ(inbound_sender("customer (web page)", "Marie Dupont", emails), "Marie Dupont");
  EXPECT_EQ(inbound_sender("customer", "Marie Dupont", emails), "Marie Dupont");
}

TEST(InboundSenderTest, SomeoneElseShowsTheirOwnNameOrAddress) {
  const std::vector<std::string> emails{"marie@globex.example"};
  EXPECT_EQ(inbound_sender("Paul Martin <paul@globex.example>", "Marie Dupont", emails), "Paul Martin");
  EXPECT_EQ(inbound_sender("paul@globex.example", "Marie Dupont", emails), "paul@globex.example");
  // A display name that is an address or a link is not shown as a name.
  EXPECT_EQ(inbound_sender("www.evil.example <paul@globex.example>", "Marie Dupont", emails),
            "paul@globex.example");
}

TEST(InboundSenderTest, AContactWithoutAPlainNameShowsTheirAddress) {
  EXPECT_EQ(inbound_sender("ann@acme.example", "", {"ann@acme.example"}), "ann@acme.example");
  EXPECT_EQ(inbound_sender("customer", "ann@acme.example", {"ann@acme.example"}), "ann@acme.example");
  EXPECT_EQ(inbound_sender("customer", "", {}), "customer");
}

TEST(TimeElementTest, ReadableUtcTextInsideAMachineReadableTime) {
  EXPECT_EQ(time_element("2026-12-01T20:05:09Z"),
            "<time datetime=\"2026-12-01T20:05:09Z\">2026-12-01 20:05 UTC</time>");
  EXPECT_EQ(time_element("<b>"), "<time datetime=\"&lt;b&gt;\">&lt;b&gt;</time>");
}

// ---- through HTTP

// A data directory with an English, a French and a Polish contact, a case each, and a
// public reply from a named agent on the French one.
class CustomerPagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    ASSERT_EQ(mc({"init"}).exit_code, 0);
    std::ofstream(data_ / "mailcase.toml") << "[outbound]\nfrom_address = \"support@corp.example\"\n"
                                           << "from_name = \"Corp Support\"\nenabled = false\n";
    ASSERT_EQ(mc({"address", "add", "support@corp.example"}).exit_code, 0);
    ASSERT_EQ(mc({"contact", "add", "--name", "Ann Smith", "--email", "ann@acme.example"}).exit_code, 0);
    ASSERT_EQ(mc({"contact", "add", "--name", "Marie Dupont", "--email", "marie@globex.example", "--language",
                  "fr"})
                  .exit_code,
              0);
    ASSERT_EQ(
        mc({"contact", "add", "--name", "Jan Kowalski", "--email", "jan@firma.example", "--language", "pl"})
            .exit_code,
        0);
    ASSERT_EQ(mc({"agent", "add", "--name", "Marek Nowak", "--email", "marek@corp.example"}).exit_code, 0);
    deliver("Ann S. <ann@acme.example>", "Printer jams", "a1");
    deliver("Marie <marie@globex.example>", "Connexion impossible", "m1");
    deliver("jan@firma.example", "Drukarka nie drukuje", "j1");
    ASSERT_EQ(mc({"--as", "marek@corp.example", "case", "comment", "CS0000002", "--public", "--body",
                  "Pouvez-vous essayer de nouveau ?"})
                  .exit_code,
              0);
    ASSERT_EQ(mc({"case", "comment", "CS0000002", "--public", "--body", "Un autre message."}).exit_code, 0);
    ASSERT_EQ(mc({"case", "comment", "CS0000002", "--internal", "--body", "Secret note"}).exit_code, 0);
  }

  void deliver(const std::string& from, const std::string& subject, const std::string& id) {
    auto r = mc({"deliver"}, "From: " + from + "\r\nTo: support@corp.example\r\nSubject: " + subject +
                                 "\r\nMessage-ID: <" + id + "@example.org>\r\n\r\nHello.\r\n");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  mailcase::testing::CommandResult mc(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data_.string()});
    return run_mailcase(args, in);
  }

  // An accept or reject token answers proposal (latest_proposal: the case's current one).
  std::string token(int64_t case_id, int64_t expires_at = std::time(nullptr) + 86400,
                    outbound::LinkAction action = outbound::LinkAction::kView, int64_t proposal = 0) {
    auto signer = outbound::LinkSigner::from_data_dir(data_);
    EXPECT_TRUE(signer) << signer.error().message;
    return signer ? signer->sign(case_id, expires_at, action, proposal) : "";
  }

  // The id of the case's latest solution_proposed event: what its solution mail's links name.
  int64_t latest_proposal(int64_t case_id) {
    auto st = store::open_sqlite(data_ / "mailcase.db", {});
    EXPECT_TRUE(st);
    if (!st) return 0;
    auto events = (*st)->events_of(case_id);
    EXPECT_TRUE(events);
    int64_t latest = 0;
    if (events)
      for (const auto& e : *events)
        if (e.action == store::EventAction::kSolutionProposed) latest = e.id;
    return latest;
  }

  // The pages and their assets on a server of their own, in process, for one request.
  httplib::Result get(const std::string& path) {
    return on_pages([&](httplib::Client& cli) { return cli.Get(path); });
  }
  httplib::Result post(const std::string& path, const httplib::Params& form) {
    return on_pages([&](httplib::Client& cli) { return cli.Post(path, form); });
  }
  httplib::Result on_pages(const std::function<httplib::Result(httplib::Client&)>& request) {
    auto cfg = config::load(data_ / "mailcase.toml");
    EXPECT_TRUE(cfg) << cfg.error().message;
    auto rt = runtime::Runtime::open(data_, *cfg);
    EXPECT_TRUE(rt) << rt.error().message;
    CustomerPages pages((*rt)->store(), (*rt)->cases(), (*rt)->config(), (*rt)->links());
    HttpServer http(HttpLimits{});
    pages.mount(http);
    console::mount_assets(http);
    EXPECT_TRUE(http.listen("127.0.0.1", 0));
    std::thread t([&] { http.serve(); });
    httplib::Client cli("127.0.0.1", http.bound_port());
    cli.set_read_timeout(30, 0);
    auto r = request(cli);
    http.stop();
    t.join();
    return r;
  }

  httplib::Result case_page(int64_t id) {
    return get("/case/CS000000" + std::to_string(id) + "?t=" + token(id));
  }

  TempDir dir_;
  std::filesystem::path data_;
};

TEST_F(CustomerPagesTest, AFrenchContactsPageIsInFrench) {
  auto r = case_page(2);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("<html lang=\"fr\">"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("Échanges"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("Dossier CS0000002"), std::string::npos) << r->body;
  EXPECT_EQ(r->body.find("Conversation"), std::string::npos) << r->body;
}

TEST_F(CustomerPagesTest, APolishContactsPageIsInPolish) {
  auto r = case_page(3);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("<html lang=\"pl\">"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("Korespondencja"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("Zgłoszenie CS0000003"), std::string::npos) << r->body;
}

TEST_F(CustomerPagesTest, AContactWithoutALanguageReadsTheDefaultLanguage) {
  auto r = case_page(1);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("<html lang=\"en\">"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("Conversation"), std::string::npos) << r->body;

  std::ofstream(data_ / "mailcase.toml", std::ios::app) << "default_language = \"pl\"\n";
  auto pl = case_page(1);
  ASSERT_TRUE(pl);
  EXPECT_NE(pl->body.find("<html lang=\"pl\">"), std::string::npos) << pl->body;
  EXPECT_NE(pl->body.find("Korespondencja"), std::string::npos) << pl->body;
}

TEST_F(CustomerPagesTest, AnExpiredLinkIsRefusedInTheContactsLanguage) {
  auto r = get("/case/CS0000002?t=" + token(2, std::time(nullptr) - 60));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_NE(r->body.find("<html lang=\"fr\">"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("Il a expiré."), std::string::npos) << r->body;
  EXPECT_EQ(r->body.find("Connexion impossible"), std::string::npos);
  // A link that is not ours tells nothing about the case, its language included.
  auto forged = get("/case/CS0000002?t=" + token(2) + "x");
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 403);
  EXPECT_NE(forged->body.find("<html lang=\"en\">"), std::string::npos) << forged->body;
}

TEST_F(CustomerPagesTest, AcceptingAndTheSurveyAnswerInTheContactsLanguage) {
  ASSERT_EQ(mc({"case", "propose-solution", "CS0000002", "--body", "Videz le cache."}).exit_code, 0);
  const int64_t until = std::time(nullptr) + 86400;
  const int64_t proposal = latest_proposal(2);
  ASSERT_NE(proposal, 0);
  auto page = get("/case/CS0000002?t=" + token(2, until, outbound::LinkAction::kAccept, proposal));
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("Accepter la solution"), std::string::npos) << page->body;
  EXPECT_NE(page->body.find("Solution proposée"), std::string::npos) << page->body;

  auto accepted = post("/case/CS0000002/accept",
                       {{"t", token(2, until, outbound::LinkAction::kAccept, proposal)}, {"do", "accept"}});
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 200) << accepted->body;
  EXPECT_NE(accepted->body.find("<html lang=\"fr\">"), std::string::npos) << accepted->body;
  EXPECT_NE(accepted->body.find("Vous avez accepté la solution pour le dossier CS0000002."),
            std::string::npos)
      << accepted->body;
  EXPECT_NE(accepted->body.find("Êtes-vous satisfait ?"), std::string::npos) << accepted->body;
  EXPECT_EQ(accepted->get_header_value("Content-Security-Policy"), kPagesCsp);

  const std::string survey = token(2, until, outbound::LinkAction::kSurvey);
  auto bad = post("/case/CS0000002/survey", {{"t", survey}, {"rating", "9"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("Veuillez choisir une note de 1 à 5."), std::string::npos) << bad->body;
  auto rated = post("/case/CS0000002/survey", {{"t", survey}, {"rating", "4"}});
  ASSERT_TRUE(rated);
  EXPECT_EQ(rated->status, 200) << rated->body;
  EXPECT_NE(rated->body.find("Votre note : 4 sur 5."), std::string::npos) << rated->body;
  auto again = post("/case/CS0000002/survey", {{"t", survey}, {"rating", "5"}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409);
  EXPECT_NE(again->body.find("Vous avez déjà répondu"), std::string::npos) << again->body;
}

TEST_F(CustomerPagesTest, DatesAreTimeElementsInUtc) {
  auto r = case_page(2);
  ASSERT_TRUE(r);
  const std::regex time_re(
      "<time datetime=\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\">[0-9]{4}-[0-9]{2}-[0-9]{2} "
      "[0-9]{2}:[0-9]{2} UTC</time>");
  const auto n =
      std::distance(std::sregex_iterator(r->body.begin(), r->body.end(), time_re), std::sregex_iterator());
  EXPECT_EQ(n, 3) << r->body;  // the mail and the two public replies; not the internal note
  EXPECT_NE(r->body.find("<script src=\"/assets/console.js\" defer></script>"), std::string::npos);
}

TEST_F(CustomerPagesTest, EachCommentShowsItsSenderByName) {
  auto r = case_page(2);
  ASSERT_TRUE(r);
  const std::string& b = r->body;
  // The contact's mail by the contact's name, not the From's display name or address.
  EXPECT_NE(b.find("<b class=\"sender\">Marie Dupont</b>"), std::string::npos) << b;
  EXPECT_EQ(b.find("marie@globex.example"), std::string::npos) << b;
  // Ours: the agent's name, else outbound.from_name.
  EXPECT_NE(b.find("<b class=\"sender\">Marek Nowak</b>"), std::string::npos) << b;
  EXPECT_NE(b.find("<b class=\"sender\">Corp Support</b>"), std::string::npos) << b;
  EXPECT_EQ(b.find("marek@corp.example"), std::string::npos) << b;
  EXPECT_EQ(b.find("Secret note"), std::string::npos) << b;
  // A contact's address when the mail gave no name.
  auto pl = case_page(3);
  ASSERT_TRUE(pl);
  EXPECT_NE(pl->body.find("<b class=\"sender\">Jan Kowalski</b>"), std::string::npos) << pl->body;
}

TEST_F(CustomerPagesTest, ThePagesHaveTheConsolesLookAndAStrictCsp) {
  auto r = case_page(2);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Security-Policy"), kPagesCsp);
  EXPECT_EQ(r->get_header_value_count("Content-Security-Policy"), 1u);
  EXPECT_EQ(r->get_header_value("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(r->get_header_value("X-Frame-Options"), "DENY");
  const std::string& b = r->body;
  EXPECT_NE(b.find("<link rel=\"stylesheet\" href=\"/assets/console.css\">"), std::string::npos);
  EXPECT_NE(b.find("class=\"thread\""), std::string::npos);
  EXPECT_NE(b.find("class=\"card comment inbound\""), std::string::npos);
  EXPECT_NE(b.find("class=\"card comment outbound\""), std::string::npos);
  EXPECT_NE(b.find("<div class=\"body\">"), std::string::npos);
  // Nothing inline the CSP would refuse: no style element or attribute, no inline
  // script, no event handler attribute.
  EXPECT_EQ(b.find("<style"), std::string::npos);
  EXPECT_EQ(b.find(" style="), std::string::npos);
  EXPECT_FALSE(std::regex_search(b, std::regex("<script(?! src=\"/assets/)")));
  EXPECT_FALSE(std::regex_search(b, std::regex(" on[a-z]+=")));
  // Refusals too.
  auto refused = get("/case/CS0000002?t=nothing");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->get_header_value("Content-Security-Policy"), kPagesCsp);
  // What the pages load is served beside them, and allowed by that CSP ('self').
  auto css = get("/assets/console.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->status, 200);
  EXPECT_NE(css->get_header_value("Content-Type").find("text/css"), std::string::npos);
  auto js = get("/assets/console.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
}

// `serve --public-http`: the customer pages on a listener of their own, the console
// and the API only on --http.
TEST_F(CustomerPagesTest, PublicHttpPutsTheCustomerPagesOnTheirOwnListener) {
  const int console_port = mailcase::testing::free_port();
  int public_port = mailcase::testing::free_port();
  while (public_port == console_port) public_port = mailcase::testing::free_port();
  Background serve({"--data", data_.string(), "serve", "--roles", "http", "--http",
                    "127.0.0.1:" + std::to_string(console_port), "--public-http",
                    "127.0.0.1:" + std::to_string(public_port)});
  ASSERT_TRUE(wait_until([&] {
    return serve.err().find("public http: listening") != std::string::npos &&
           serve.err().find("serving;") != std::string::npos;
  })) << serve.err();
  httplib::Client pub("127.0.0.1", public_port);
  httplib::Client con("127.0.0.1", console_port);
  pub.set_read_timeout(30, 0);
  con.set_read_timeout(30, 0);
  const std::string page = "/case/CS0000002?t=" + token(2);

  auto on_public = pub.Get(page);
  ASSERT_TRUE(on_public);
  EXPECT_EQ(on_public->status, 200) << on_public->body;
  EXPECT_NE(on_public->body.find("Connexion impossible"), std::string::npos);
  auto on_console = con.Get(page);
  ASSERT_TRUE(on_console);
  EXPECT_EQ(on_console->status, 404) << on_console->body;
  EXPECT_EQ(on_console->body.find("Connexion impossible"), std::string::npos);

  auto login = con.Get("/login");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 200);
  auto public_login = pub.Get("/login");
  ASSERT_TRUE(public_login);
  EXPECT_EQ(public_login->status, 404);
  auto public_api = pub.Get("/api/v1/cases");
  ASSERT_TRUE(public_api);
  EXPECT_EQ(public_api->status, 404);

  auto root = pub.Get("/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 200);
  EXPECT_NE(root->body.find("Open the link from our mail"), std::string::npos) << root->body;
  auto css = pub.Get("/assets/console.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->status, 200);
  EXPECT_EQ(serve.stop(SIGTERM), 0) << serve.err();
}

TEST_F(CustomerPagesTest, WithoutPublicHttpThePagesStayOnHttp) {
  const int port = mailcase::testing::free_port();
  Background serve(
      {"--data", data_.string(), "serve", "--roles", "http", "--http", "127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(wait_until([&] { return serve.err().find("serving;") != std::string::npos; })) << serve.err();
  EXPECT_EQ(serve.err().find("public http"), std::string::npos);
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(30, 0);
  auto r = cli.Get("/case/CS0000002?t=" + token(2));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  auto login = cli.Get("/login");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 200);
  EXPECT_EQ(serve.stop(SIGTERM), 0) << serve.err();
}

TEST(ServePublicHttpTest, PublicHttpNeedsTheHttpRoleAndAnAddress) {
  TempDir dir;
  const std::string data = (dir.path() / "data").string();
  ASSERT_EQ(run_mailcase({"--data", data, "init"}).exit_code, 0);
  auto no_role = run_mailcase({"--data", data, "serve", "--roles", "outbox", "--public-http", "127.0.0.1:0"});
  EXPECT_EQ(no_role.exit_code, 64) << no_role.err;
  EXPECT_NE(no_role.err.find("--public-http needs the http role"), std::string::npos) << no_role.err;
  auto bad = run_mailcase({"--data", data, "serve", "--public-http", "nowhere"});
  EXPECT_EQ(bad.exit_code, 64) << bad.err;
  EXPECT_NE(bad.err.find("--public-http wants HOST:PORT"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace mailcase::web
