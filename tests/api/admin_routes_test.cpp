// The API's mail, outbox and admin resources, through a real server in this process:
// each route with a token, without one (401), as an agent on an admin route (403), an
// unknown id (404), and fields refused by name (422). A mailbox never takes a path or a
// command over HTTP, and its password is never in any answer; held mail retried through
// the API becomes a case.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/api.h"
#include "config/config.h"
#include "ingest/pipeline.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "support/test_support.h"
#include "web/http_server.h"

namespace mailcase::api {
namespace {

using nlohmann::json;

struct Answer {
  int status = 0;
  std::string body;
  httplib::Headers headers;
  json j() const { return json::parse(body, nullptr, false); }
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

const char* kHeldMail =
    "From: Carol <carol@customer.example>\r\nTo: support@corp.example\r\nSubject: Invoice is wrong\r\n"
    "Message-ID: <held1@customer.example>\r\n\r\nPlease fix invoice 42.\r\n";

class AdminRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    ASSERT_EQ(cli({"init"}).exit_code, 0);
    std::ofstream(data_ / "mailcase.toml") << "[outbound]\nfrom_address = \"support@corp.example\"\n";
    // Mail from senders who are no contact yet is held on this address.
    ASSERT_EQ(cli({"address", "add", "support@corp.example", "--unknown-sender", "hold"}).exit_code, 0);
    ASSERT_EQ(
        cli({"agent", "add", "--name", "Ada", "--email", "ada@corp.example", "--role", "admin"}).exit_code,
        0);
    ASSERT_EQ(cli({"agent", "add", "--name", "Bob", "--email", "bob@corp.example"}).exit_code, 0);
    admin_ = token_for("ada@corp.example");
    agent_ = token_for("bob@corp.example");

    auto cfg = config::load(data_ / "mailcase.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    cfg_ = *cfg;
    auto rt = runtime::Runtime::open(data_, cfg_);
    ASSERT_TRUE(rt) << rt.error().message;
    rt_ = std::move(*rt);
    auto held =
        rt_->ingest().deliver(kHeldMail, ingest::Envelope{"test", {"support@corp.example"}, std::nullopt});
    ASSERT_TRUE(held) << held.error().message;

    api_ = std::make_unique<Api>(rt_->store(), rt_->cases(), rt_->config(), rt_->clock(), data_);
    api_->set_ingest(rt_->ingest());
    http_ = std::make_unique<web::HttpServer>(web::HttpLimits{});
    api_->mount(*http_);
    ASSERT_TRUE(http_->listen("127.0.0.1", 0));
    thread_ = std::thread([this] { http_->serve(); });
  }

  void TearDown() override {
    if (http_) http_->stop();
    if (thread_.joinable()) thread_.join();
  }

  mailcase::testing::CommandResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_.string()});
    return mailcase::testing::run_mailcase(args);
  }

  std::string token_for(const std::string& email) {
    auto r = cli({"token", "create", "--agent", email});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto end = r.out.find_last_not_of("\n");
    auto start = r.out.find_last_of('\n', end);
    return r.out.substr(start == std::string::npos ? 0 : start + 1,
                        end - (start == std::string::npos ? 0 : start + 1) + 1);
  }

  Answer call(const std::string& method, const std::string& path, const std::string& token,
              const std::optional<json>& body = std::nullopt, httplib::Headers h = {}) {
    httplib::Client c("127.0.0.1", http_->bound_port());
    c.set_read_timeout(60, 0);
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    const std::string text = body ? body->dump() : "";
    auto r = [&]() {
      if (method == "POST") return c.Post(path.c_str(), h, text, "application/json");
      if (method == "PATCH") return c.Patch(path.c_str(), h, text, "application/json");
      if (method == "DELETE") return c.Delete(path.c_str(), h);
      return c.Get(path.c_str(), h);
    }();
    EXPECT_TRUE(r) << method << " " << path;
    if (!r) return {};
    return {r->status, r->body, r->headers};
  }

  // The names of a 422's field errors.
  static std::vector<std::string> fields_of(const Answer& a) {
    std::vector<std::string> out;
    auto j = a.j();
    if (j.contains("errors"))
      for (const auto& e : j["errors"]) out.push_back(e.value("field", ""));
    return out;
  }

  mailcase::testing::TempDir dir_;
  std::filesystem::path data_;
  config::Config cfg_;
  std::string admin_, agent_;
  std::unique_ptr<runtime::Runtime> rt_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<web::HttpServer> http_;
  std::thread thread_;
};

const std::vector<std::pair<std::string, std::string>> kAgentRoutes = {
    {"GET", "/api/v1/messages"},
    {"GET", "/api/v1/messages/1/raw"},
    {"POST", "/api/v1/messages/1/retry"},
    {"GET", "/api/v1/outbox"},
    {"POST", "/api/v1/outbox/1/retry"},
    {"GET", "/api/v1/contacts"},
    {"POST", "/api/v1/contacts"},
    {"GET", "/api/v1/contacts/1"},
    {"PATCH", "/api/v1/contacts/1"},
    {"GET", "/api/v1/accounts"},
    {"POST", "/api/v1/accounts"},
    {"GET", "/api/v1/accounts/1"},
    {"GET", "/api/v1/accounts/1/contacts"},
    {"PATCH", "/api/v1/accounts/1"},
};
const std::vector<std::pair<std::string, std::string>> kAdminRoutes = {
    {"GET", "/api/v1/routing-addresses"},
    {"POST", "/api/v1/routing-addresses"},
    {"DELETE", "/api/v1/routing-addresses/support@corp.example"},
    {"GET", "/api/v1/routing-addresses/support@corp.example"},
    {"GET", "/api/v1/tokens/1"},
    {"GET", "/api/v1/mailboxes"},
    {"POST", "/api/v1/mailboxes"},
    {"DELETE", "/api/v1/mailboxes/in"},
    {"GET", "/api/v1/mailboxes/in"},
    {"GET", "/api/v1/agents/ada@corp.example"},
    {"GET", "/api/v1/agents"},
    {"POST", "/api/v1/agents"},
    {"PATCH", "/api/v1/agents/bob@corp.example"},
    {"GET", "/api/v1/tokens"},
    {"POST", "/api/v1/tokens"},
    {"DELETE", "/api/v1/tokens/1"},
};

TEST_F(AdminRoutesTest, EveryRouteNeedsATokenAndAdminRoutesAnAdmin) {
  for (const auto& routes : {kAgentRoutes, kAdminRoutes}) {
    for (const auto& [method, path] : routes) {
      auto none = call(method, path, "", json::object());
      EXPECT_EQ(none.status, 401) << method << " " << path;
      EXPECT_EQ(none.header("WWW-Authenticate").rfind("Bearer", 0), 0u) << method << " " << path;
      auto bad = call(method, path, "mct_not-a-token", json::object());
      EXPECT_EQ(bad.status, 401) << method << " " << path;
    }
  }
  for (const auto& [method, path] : kAdminRoutes) {
    auto a = call(method, path, agent_, json::object());
    EXPECT_EQ(a.status, 403) << method << " " << path << ": " << a.body;
  }
  // Nothing changed by the refused calls.
  auto addrs = call("GET", "/api/v1/routing-addresses", admin_);
  ASSERT_EQ(addrs.status, 200);
  EXPECT_EQ(addrs.j()["items"].size(), 1u);
}

TEST_F(AdminRoutesTest, HeldMailIsListedDownloadedAndRetriedIntoACase) {
  auto held = call("GET", "/api/v1/messages?state=held", agent_);
  ASSERT_EQ(held.status, 200) << held.body;
  ASSERT_EQ(held.j()["items"].size(), 1u) << held.body;
  EXPECT_TRUE(held.j()["next_cursor"].is_null());
  const auto id = held.j()["items"][0]["id"].get<int64_t>();
  EXPECT_EQ(held.j()["items"][0]["state"], "held");

  // One mail's record, as the list shows it.
  auto one = call("GET", "/api/v1/messages/" + std::to_string(id), agent_);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.j(), held.j()["items"][0]);
  EXPECT_EQ(call("GET", "/api/v1/messages/999999", agent_).status, 404);

  auto raw = call("GET", "/api/v1/messages/" + std::to_string(id) + "/raw", agent_);
  ASSERT_EQ(raw.status, 200);
  EXPECT_EQ(raw.body, kHeldMail);
  EXPECT_EQ(raw.header("Content-Type"), "message/rfc822");
  EXPECT_EQ(raw.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(raw.header("Content-Disposition").rfind("attachment", 0), 0u);
  EXPECT_EQ(call("GET", "/api/v1/messages/999999/raw", agent_).status, 404);

  // Carol becomes a contact; her held mail, retried, opens a case.
  auto carol = call("POST", "/api/v1/contacts", agent_,
                    json{{"name", "Carol"}, {"emails", {"carol@customer.example"}}, {"language", "en"}});
  ASSERT_EQ(carol.status, 201) << carol.body;
  auto retried = call("POST", "/api/v1/messages/" + std::to_string(id) + "/retry", agent_);
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_FALSE(retried.j()["case"].is_null()) << retried.body;
  EXPECT_EQ(call("GET", "/api/v1/messages?state=held", agent_).j()["items"].size(), 0u);
  auto again = call("POST", "/api/v1/messages/" + std::to_string(id) + "/retry", agent_);
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(call("POST", "/api/v1/messages/999999/retry", agent_).status, 404);

  auto bad_state = call("GET", "/api/v1/messages?state=lost", agent_);
  EXPECT_EQ(bad_state.status, 422);
  EXPECT_EQ(fields_of(bad_state), std::vector<std::string>{"state"});
  auto bad_cursor = call("GET", "/api/v1/messages?state=held&cursor=bm9wZQ", agent_);
  EXPECT_EQ(bad_cursor.status, 422);
  EXPECT_EQ(fields_of(bad_cursor), std::vector<std::string>{"cursor"});
  EXPECT_EQ(fields_of(call("GET", "/api/v1/messages?limit=500", agent_)), std::vector<std::string>{"limit"});
}

TEST_F(AdminRoutesTest, AFailedOutboxMailIsQueuedAgain) {
  store::Id failed = 0, sent = 0;
  {
    auto u = rt_->store().open_unit(store::Access::kWrite);
    ASSERT_TRUE(u);
    store::OutboxMail m;
    m.kind = "comment";
    m.to = "carol@customer.example";
    m.message_id = "<o1@corp.example>";
    m.raw = "Subject: x\r\n\r\nsecret body\r\n";
    m.state = store::OutboxState::kFailed;
    failed = *u->outbox().add_outbox(m);
    m.message_id = "<o2@corp.example>";
    m.state = store::OutboxState::kSent;
    sent = *u->outbox().add_outbox(m);
    ASSERT_TRUE(u->commit());
  }
  auto list = call("GET", "/api/v1/outbox?state=failed&count=true", agent_);
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.j()["items"].size(), 1u);
  EXPECT_EQ(list.j()["total"], 1);
  EXPECT_EQ(list.j()["items"][0]["id"], failed);
  EXPECT_EQ(list.body.find("secret body"), std::string::npos);

  auto r = call("POST", "/api/v1/outbox/" + std::to_string(failed) + "/retry", agent_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j()["state"], "queued");
  EXPECT_EQ(r.j()["attempts"], 0);
  EXPECT_EQ(call("POST", "/api/v1/outbox/" + std::to_string(sent) + "/retry", agent_).status, 409);
  // Queued now (a worker may hold it): a second retry would let another worker send it too.
  EXPECT_EQ(call("POST", "/api/v1/outbox/" + std::to_string(failed) + "/retry", agent_).status, 409);
  EXPECT_EQ(call("POST", "/api/v1/outbox/999999/retry", agent_).status, 404);
  EXPECT_EQ(fields_of(call("GET", "/api/v1/outbox?state=lost", agent_)), std::vector<std::string>{"state"});
}

TEST_F(AdminRoutesTest, ContactsAndAccounts) {
  auto acme = call("POST", "/api/v1/accounts", agent_,
                   json{{"name", "Acme"}, {"support_level", "gold"}, {"emails", {"billing@acme.example"}}});
  ASSERT_EQ(acme.status, 201) << acme.body;
  const auto acme_id = acme.j()["id"].get<int64_t>();
  EXPECT_EQ(call("POST", "/api/v1/accounts", agent_, json{{"name", "acme"}}).status, 409);
  EXPECT_EQ(fields_of(call("POST", "/api/v1/accounts", agent_, json{{"name", ""}})),
            std::vector<std::string>{"name"});

  auto dan = call("POST", "/api/v1/contacts", agent_,
                  json{{"name", "Dan"}, {"email", "Dan@Acme.Example"}, {"account_id", acme_id}});
  ASSERT_EQ(dan.status, 201) << dan.body;
  EXPECT_EQ(dan.j()["email"], "dan@acme.example");
  EXPECT_EQ(dan.j()["account_id"], acme_id);
  const auto dan_id = dan.j()["id"].get<int64_t>();
  EXPECT_EQ(dan.header("Location"), "/api/v1/contacts/" + std::to_string(dan_id));

  EXPECT_EQ(fields_of(call("POST", "/api/v1/contacts", agent_,
                           json{{"name", "Eve"}, {"emails", {"not an address"}}})),
            std::vector<std::string>{"emails"});
  EXPECT_EQ(
      fields_of(call("POST", "/api/v1/contacts", agent_, json{{"name", 7}, {"emails", {"e@x.example"}}})),
      std::vector<std::string>{"name"});
  EXPECT_EQ(fields_of(call("POST", "/api/v1/contacts", agent_,
                           json{{"name", "Eve"}, {"emails", {"e@x.example"}}, {"account_id", 999}})),
            std::vector<std::string>{"account_id"});
  EXPECT_EQ(
      call("POST", "/api/v1/contacts", agent_, json{{"name", "Dan 2"}, {"email", "dan@acme.example"}}).status,
      409);

  auto patched = call(
      "PATCH", "/api/v1/contacts/" + std::to_string(dan_id), agent_,
      json{{"name", "Dan D."}, {"emails", {"dan@new.example", "dan@acme.example"}}, {"account_id", nullptr}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.j()["name"], "Dan D.");
  EXPECT_TRUE(patched.j()["account_id"].is_null());
  auto shown = call("GET", "/api/v1/contacts/" + std::to_string(dan_id), agent_);
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(shown.j()["emails"], (json{"dan@new.example", "dan@acme.example"}));
  EXPECT_EQ(call("GET", "/api/v1/contacts/999999", agent_).status, 404);
  EXPECT_EQ(call("PATCH", "/api/v1/contacts/999999", agent_, json{{"name", "X"}}).status, 404);
  EXPECT_EQ(fields_of(call("PATCH", "/api/v1/contacts/" + std::to_string(dan_id), agent_,
                           json{{"language", "Klingon"}})),
            std::vector<std::string>{"language"});

  // Pages of one: every contact once, then no cursor.
  call("POST", "/api/v1/contacts", agent_, json{{"name", "Fay"}, {"email", "fay@x.example"}});
  std::vector<std::string> names;
  std::string path = "/api/v1/contacts?limit=1&count=true";
  for (int guard = 0; guard < 10; ++guard) {
    auto page = call("GET", path, agent_);
    ASSERT_EQ(page.status, 200) << page.body;
    const auto j = page.j();
    if (guard == 0) {
      EXPECT_EQ(j["total"], 2) << page.body;
    }
    for (const auto& c : j["items"]) names.push_back(c["name"].get<std::string>());
    if (j["next_cursor"].is_null()) break;
    path = "/api/v1/contacts?limit=1&cursor=" + j["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(names, (std::vector<std::string>{"Dan D.", "Fay"}));
  auto one = call("GET", "/api/v1/accounts/" + std::to_string(acme_id), agent_);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.j()["name"], "Acme");
  EXPECT_EQ(call("GET", "/api/v1/accounts/999999", agent_).status, 404);
  auto accounts = call("GET", "/api/v1/accounts", agent_);
  ASSERT_EQ(accounts.status, 200);
  EXPECT_EQ(accounts.j()["items"][0]["emails"], json{"billing@acme.example"});
}

// ?q= finds contacts by the start of their name, of an address or of its domain, letter case
// ignored; an account's contacts are listed apart.
TEST_F(AdminRoutesTest, ContactsFoundByTheStartOfANameOrAnAddressAndAnAccountsContacts) {
  auto acme = call("POST", "/api/v1/accounts", agent_, json{{"name", "Acme"}});
  ASSERT_EQ(acme.status, 201) << acme.body;
  const auto acme_id = acme.j()["id"].get<int64_t>();
  ASSERT_EQ(call("POST", "/api/v1/contacts", agent_,
                 json{{"name", "Dan Brown"},
                      {"emails", {"dan@acme.example", "d.brown@home.example"}},
                      {"account_id", acme_id}})
                .status,
            201);
  ASSERT_EQ(call("POST", "/api/v1/contacts", agent_, json{{"name", "Danuta"}, {"email", "danuta@x.example"}})
                .status,
            201);
  ASSERT_EQ(call("POST", "/api/v1/contacts", agent_,
                 json{{"name", "Fay"}, {"email", "fay@acme.example"}, {"account_id", acme_id}})
                .status,
            201);
  auto names = [&](const std::string& path) {
    std::vector<std::string> out;
    auto r = call("GET", path, agent_);
    EXPECT_EQ(r.status, 200) << path << r.body;
    if (r.status != 200) return out;
    const auto j = r.j();
    for (const auto& c : j["items"]) out.push_back(c["name"].get<std::string>());
    return out;
  };
  EXPECT_EQ(names("/api/v1/contacts?q=dan"), (std::vector<std::string>{"Dan Brown", "Danuta"}));
  EXPECT_EQ(names("/api/v1/contacts?q=DAN%20B"), std::vector<std::string>{"Dan Brown"});
  EXPECT_EQ(names("/api/v1/contacts?q=d.brown%40"), std::vector<std::string>{"Dan Brown"});
  EXPECT_EQ(names("/api/v1/contacts?q=fay%40acme.example"), std::vector<std::string>{"Fay"});
  EXPECT_EQ(names("/api/v1/contacts?q=brown"), std::vector<std::string>{"Dan Brown"})
      << "any word of the name";
  EXPECT_TRUE(names("/api/v1/contacts?q=rown").empty()) << "a word's start, not any part";
  // The start of an address's domain: after an "@", or with a dot.
  EXPECT_EQ(names("/api/v1/contacts?q=%40ACME"), (std::vector<std::string>{"Dan Brown", "Fay"}));
  EXPECT_EQ(names("/api/v1/contacts?q=home.example"), std::vector<std::string>{"Dan Brown"});
  EXPECT_TRUE(names("/api/v1/contacts?q=%40example").empty()) << "a domain's start, not any of its labels";
  EXPECT_EQ(names("/api/v1/contacts?q=").size(), 3u);
  auto counted = call("GET", "/api/v1/contacts?q=dan&count=true&limit=1", agent_);
  ASSERT_EQ(counted.status, 200);
  EXPECT_EQ(counted.j()["total"], 2);
  ASSERT_TRUE(counted.j()["next_cursor"].is_string());
  const std::string cursor = counted.j()["next_cursor"].get<std::string>();
  EXPECT_EQ(names("/api/v1/contacts?q=dan&limit=1&cursor=" + cursor), std::vector<std::string>{"Danuta"});
  // A cursor of one search is no cursor of another, nor of the whole list.
  EXPECT_EQ(fields_of(call("GET", "/api/v1/contacts?q=fay&cursor=" + cursor, agent_)),
            std::vector<std::string>{"cursor"});
  EXPECT_EQ(fields_of(call("GET", "/api/v1/contacts?cursor=" + cursor, agent_)),
            std::vector<std::string>{"cursor"});
  EXPECT_EQ(fields_of(call("GET", "/api/v1/contacts?q=" + std::string(300, 'a'), agent_)),
            std::vector<std::string>{"q"});

  EXPECT_EQ(names("/api/v1/accounts/" + std::to_string(acme_id) + "/contacts"),
            (std::vector<std::string>{"Dan Brown", "Fay"}));
  EXPECT_EQ(call("GET", "/api/v1/accounts/999999/contacts", agent_).status, 404);
}

// PATCH changes an account's name, support level and own addresses; what would clash with
// another account is refused and changes nothing.
TEST_F(AdminRoutesTest, AnAccountIsChanged) {
  auto acme =
      call("POST", "/api/v1/accounts", agent_, json{{"name", "Acme"}, {"emails", {"a@acme.example"}}});
  ASSERT_EQ(acme.status, 201) << acme.body;
  ASSERT_EQ(
      call("POST", "/api/v1/accounts", agent_, json{{"name", "Globex"}, {"emails", {"it@globex.example"}}})
          .status,
      201);
  const std::string path = "/api/v1/accounts/" + std::to_string(acme.j()["id"].get<int64_t>());
  auto changed = call("PATCH", path, agent_, json{{"support_level", "gold"}});
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(changed.j()["support_level"], "gold");
  EXPECT_EQ(changed.j()["name"], "Acme");
  EXPECT_EQ(changed.j()["emails"], json{"a@acme.example"});
  auto renamed = call("PATCH", path, agent_, json{{"name", "Acme Corp"}, {"emails", {"B@Acme.example"}}});
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(renamed.j()["emails"], json{"b@acme.example"});
  EXPECT_EQ(renamed.j()["support_level"], "gold");

  EXPECT_EQ(call("PATCH", path, agent_, json{{"name", "GLOBEX"}}).status, 409);
  EXPECT_EQ(call("PATCH", path, agent_, json{{"emails", {"it@globex.example"}}}).status, 409);
  EXPECT_EQ(fields_of(call("PATCH", path, agent_, json{{"support_lvl", "gold"}})),
            std::vector<std::string>{"support_lvl"});
  EXPECT_EQ(fields_of(call("PATCH", path, agent_, json{{"name", ""}})), std::vector<std::string>{"name"});
  EXPECT_EQ(fields_of(call("PATCH", path, agent_, json{{"emails", {"nope"}}})),
            std::vector<std::string>{"emails"});
  EXPECT_EQ(call("PATCH", "/api/v1/accounts/999999", agent_, json{{"support_level", "gold"}}).status, 404);
  auto now = call("GET", path, agent_);
  EXPECT_EQ(now.j()["name"], "Acme Corp");
  EXPECT_EQ(now.j()["emails"], json{"b@acme.example"});
}

// If-Match holds a change of a contact, an account or an agent to the version read: a
// change made meanwhile by another is not overwritten (412), and nothing is written.
TEST_F(AdminRoutesTest, IfMatchHoldsAContactAnAccountOrAnAgentToTheVersionRead) {
  auto acme = call("POST", "/api/v1/accounts", agent_, json{{"name", "Acme"}});
  ASSERT_EQ(acme.status, 201) << acme.body;
  const std::string path = "/api/v1/accounts/" + std::to_string(acme.j()["id"].get<int64_t>());
  const std::string read = call("GET", path, agent_).header("ETag");
  ASSERT_FALSE(read.empty());
  // A conditional GET of the version held: 304 and no body; of another: the record.
  auto same = call("GET", path, agent_, std::nullopt, {{"If-None-Match", read}});
  EXPECT_EQ(same.status, 304);
  EXPECT_TRUE(same.body.empty());
  EXPECT_EQ(same.header("ETag"), read);
  EXPECT_EQ(call("GET", path, agent_, std::nullopt, {{"If-None-Match", "\"other\""}}).status, 200);
  EXPECT_EQ(call("GET", path, "", std::nullopt, {{"If-None-Match", read}}).status, 401)
      << "not before the token";
  auto mine = call("PATCH", path, agent_, json{{"support_level", "gold"}}, {{"If-Match", read}});
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_NE(mine.header("ETag"), read);
  EXPECT_EQ(call("GET", path, agent_).header("ETag"), mine.header("ETag"));
  auto theirs = call("PATCH", path, agent_, json{{"support_level", "bronze"}}, {{"If-Match", read}});
  EXPECT_EQ(theirs.status, 412) << theirs.body;
  EXPECT_EQ(call("GET", path, agent_).j()["support_level"], "gold");
  EXPECT_EQ(call("DELETE", path, admin_, std::nullopt, {{"If-Match", read}}).status, 412);
  EXPECT_EQ(call("PATCH", path, agent_, json{{"name", "Acme Ltd"}}, {{"If-Match", "*"}}).status, 200);
  EXPECT_EQ(call("PATCH", "/api/v1/accounts/999999", agent_, json{{"name", "X"}}, {{"If-Match", "*"}}).status,
            404);

  auto ann =
      call("POST", "/api/v1/contacts", agent_, json{{"name", "Ann"}, {"email", "ann@customer.example"}});
  ASSERT_EQ(ann.status, 201) << ann.body;
  const std::string contact_path = "/api/v1/contacts/" + std::to_string(ann.j()["id"].get<int64_t>());
  const std::string first = call("GET", contact_path, agent_).header("ETag");
  ASSERT_FALSE(first.empty());
  auto named = call("PATCH", contact_path, agent_, json{{"name", "Ann Smith"}}, {{"If-Match", first}});
  ASSERT_EQ(named.status, 200) << named.body;
  EXPECT_EQ(call("PATCH", contact_path, agent_, json{{"name", "Ann Jones"}}, {{"If-Match", first}}).status,
            412);
  EXPECT_EQ(call("GET", contact_path, agent_).j()["name"], "Ann Smith");
  // A removal is held to the version read too.
  EXPECT_EQ(call("DELETE", contact_path, admin_, std::nullopt, {{"If-Match", first}}).status, 412);
  EXPECT_EQ(call("GET", contact_path, agent_).status, 200) << "not removed";
  EXPECT_EQ(call("DELETE", contact_path, admin_, std::nullopt, {{"If-Match", named.header("ETag")}}).status,
            204);
  EXPECT_EQ(call("GET", contact_path, agent_).status, 404);

  const std::string agent_path = "/api/v1/agents/bob@corp.example";
  auto seen = call("GET", agent_path, admin_);
  ASSERT_EQ(seen.status, 200) << seen.body;
  const std::string tag = seen.header("ETag");
  ASSERT_FALSE(tag.empty());
  auto renamed = call("PATCH", agent_path, admin_, json{{"name", "Agnes"}, {"notify", {{"new_case", false}}}},
                      {{"If-Match", tag}});
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(renamed.j()["name"], "Agnes");
  EXPECT_EQ(renamed.j()["notify"]["new_case"], false);
  auto stale = call("PATCH", agent_path, admin_, json{{"name", "Agatha"}, {"notify", {{"new_case", true}}}},
                    {{"If-Match", tag}});
  EXPECT_EQ(stale.status, 412) << stale.body;
  auto now = call("GET", agent_path, admin_).j();
  EXPECT_EQ(now["name"], "Agnes");
  EXPECT_EQ(now["notify"]["new_case"], false) << "nothing of a refused change is written";
}

TEST_F(AdminRoutesTest, TwoContactsOfOnePersonAreMerged) {
  auto work =
      call("POST", "/api/v1/contacts", agent_, json{{"name", "Ann Smith"}, {"email", "ann@acme.example"}});
  auto home = call("POST", "/api/v1/contacts", agent_,
                   json{{"name", "Annie"}, {"emails", {"ann@home.example"}}, {"language", "fr"}});
  ASSERT_EQ(work.status, 201) << work.body;
  ASSERT_EQ(home.status, 201) << home.body;
  const int64_t work_id = work.j()["id"].get<int64_t>();
  const std::string home_path = "/api/v1/contacts/" + std::to_string(home.j()["id"].get<int64_t>());

  EXPECT_EQ(fields_of(call("POST", home_path + "/merge", agent_, json{{"into", home.j()["id"]}})),
            std::vector<std::string>{"into"});
  EXPECT_EQ(fields_of(call("POST", home_path + "/merge", agent_, json{{"into", 999999}})),
            std::vector<std::string>{"into"});
  EXPECT_EQ(fields_of(call("POST", home_path + "/merge", agent_, json::object())),
            std::vector<std::string>{"into"});
  EXPECT_EQ(fields_of(call("POST", home_path + "/merge", agent_, json{{"into", "ann@acme.example"}})),
            std::vector<std::string>{"into"});
  EXPECT_EQ(fields_of(call("POST", home_path + "/merge", agent_, json{{"into", work_id}, {"keep", true}})),
            std::vector<std::string>{"keep"});
  EXPECT_EQ(call("POST", "/api/v1/contacts/999999/merge", agent_, json{{"into", work_id}}).status, 404);
  EXPECT_EQ(call("GET", home_path, agent_).status, 200);  // nothing refused changed anything

  auto merged = call("POST", home_path + "/merge", agent_, json{{"into", work_id}});
  ASSERT_EQ(merged.status, 200) << merged.body;
  EXPECT_EQ(merged.j()["id"], work_id);
  EXPECT_EQ(merged.j()["name"], "Ann Smith");
  EXPECT_EQ(merged.j()["emails"], (json{"ann@acme.example", "ann@home.example"}));
  EXPECT_EQ(merged.j()["language"], "fr");
  EXPECT_EQ(call("GET", home_path, agent_).status, 404);
  EXPECT_EQ(call("POST", home_path + "/merge", agent_, json{{"into", work_id}}).status, 404);
  const auto found = call("GET", "/api/v1/contacts?q=ann%40home", agent_).j();
  ASSERT_EQ(found["items"].size(), 1u);
  EXPECT_EQ(found["items"][0]["id"], work_id);
}

TEST_F(AdminRoutesTest, AnAdminRemovesAContactWithoutCases) {
  auto typo =
      call("POST", "/api/v1/contacts", agent_, json{{"name", "Ann Smtih"}, {"email", "ann@acme.exmaple"}});
  ASSERT_EQ(typo.status, 201) << typo.body;
  const int64_t typo_id = typo.j()["id"].get<int64_t>();
  const std::string path = "/api/v1/contacts/" + std::to_string(typo_id);
  // A contact with a case keeps it: removing it is refused, and it stays whole.
  auto opened =
      call("POST", "/api/v1/cases", agent_,
           json{{"contact_email", "bob@example.org"}, {"subject", "VPN down"}, {"queue", "Network"}});
  ASSERT_EQ(opened.status, 201) << opened.body;
  const auto bob = call("GET", "/api/v1/contacts?q=bob%40example.org", agent_).j();
  ASSERT_EQ(bob["items"].size(), 1u) << bob.dump();
  const int64_t bob_id = bob["items"][0]["id"].get<int64_t>();
  const std::string bob_path = "/api/v1/contacts/" + std::to_string(bob_id);
  auto refused = call("DELETE", bob_path, admin_);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("merge"), std::string::npos) << refused.body;
  EXPECT_EQ(call("GET", bob_path, agent_).status, 200);
  // An agent may not; nor may anyone remove what is not there.
  EXPECT_EQ(call("DELETE", path, agent_).status, 403);
  EXPECT_EQ(call("DELETE", "/api/v1/contacts/999999", admin_).status, 404);

  auto removed = call("DELETE", path, admin_);
  EXPECT_EQ(removed.status, 204) << removed.body;
  EXPECT_EQ(call("GET", path, agent_).status, 404);
  EXPECT_EQ(call("DELETE", path, admin_).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/contacts?q=ann%40acme", agent_).j()["items"].size(), 0u);
  EXPECT_EQ(call("GET", "/api/v1/contacts?q=smtih", agent_).j()["items"].size(), 0u);
  // Its address is free again, and the log says who removed which contact, naming no one.
  EXPECT_EQ(
      call("POST", "/api/v1/contacts", agent_, json{{"name", "Ann Smith"}, {"email", "ann@acme.exmaple"}})
          .status,
      201);
  const auto log = call("GET", "/api/v1/events?limit=5", admin_).j();
  const json* event = nullptr;
  for (const auto& e : log["items"])
    if (e["action"] == "contact_removed") event = &e;
  ASSERT_NE(event, nullptr) << log.dump();
  EXPECT_EQ((*event)["details"], (json{{"contact", std::to_string(typo_id)}})) << event->dump();
  EXPECT_EQ(event->dump().find("Smtih"), std::string::npos);
}

TEST_F(AdminRoutesTest, AnAdminRemovesAnAccountNothingNames) {
  auto acme =
      call("POST", "/api/v1/accounts", agent_, json{{"name", "Acme"}, {"emails", {"info@acme.example"}}});
  ASSERT_EQ(acme.status, 201) << acme.body;
  const std::string acme_path = "/api/v1/accounts/" + std::to_string(acme.j()["id"].get<int64_t>());
  auto ann = call("POST", "/api/v1/contacts", agent_,
                  json{{"name", "Ann"}, {"email", "ann@acme.example"}, {"account_id", acme.j()["id"]}});
  ASSERT_EQ(ann.status, 201) << ann.body;
  auto opened =
      call("POST", "/api/v1/cases", agent_,
           json{{"contact_email", "ann@acme.example"}, {"subject", "Invoice"}, {"queue", "Billing"}});
  ASSERT_EQ(opened.status, 201) << opened.body;
  // Its contact names it; once she has none, her case still does.
  auto named = call("DELETE", acme_path, admin_);
  EXPECT_EQ(named.status, 409) << named.body;
  EXPECT_NE(named.body.find("contacts"), std::string::npos) << named.body;
  const std::string ann_path = "/api/v1/contacts/" + std::to_string(ann.j()["id"].get<int64_t>());
  ASSERT_EQ(call("PATCH", ann_path, agent_, json{{"account_id", nullptr}}).status, 200);
  auto cased = call("DELETE", acme_path, admin_);
  EXPECT_EQ(cased.status, 409) << cased.body;
  EXPECT_NE(cased.body.find("cases"), std::string::npos) << cased.body;
  EXPECT_EQ(call("GET", acme_path, agent_).j()["emails"], json{"info@acme.example"});

  auto gone =
      call("POST", "/api/v1/accounts", agent_, json{{"name", "Gone Ltd"}, {"emails", {"x@gone.example"}}});
  ASSERT_EQ(gone.status, 201) << gone.body;
  const std::string gone_path = "/api/v1/accounts/" + std::to_string(gone.j()["id"].get<int64_t>());
  EXPECT_EQ(call("DELETE", gone_path, agent_).status, 403);
  EXPECT_EQ(call("DELETE", "/api/v1/accounts/999999", admin_).status, 404);
  EXPECT_EQ(call("DELETE", gone_path, admin_).status, 204);
  EXPECT_EQ(call("GET", gone_path, agent_).status, 404);
  // Its name and address are free again; the log names it.
  EXPECT_EQ(
      call("POST", "/api/v1/accounts", agent_, json{{"name", "Gone Ltd"}, {"emails", {"x@gone.example"}}})
          .status,
      201);
  const auto log = call("GET", "/api/v1/events?limit=5", admin_).j();
  bool logged = false;
  for (const auto& e : log["items"])
    logged = logged || (e["action"] == "account_removed" && e["details"]["name"] == "Gone Ltd");
  EXPECT_TRUE(logged) << log.dump();
}

TEST_F(AdminRoutesTest, TheAdministrationsLogIsForAdminsNewestFirst) {
  EXPECT_EQ(call("GET", "/api/v1/events", agent_).status, 403);
  auto log = call("GET", "/api/v1/events?count=true", admin_);
  ASSERT_EQ(log.status, 200) << log.body;
  const auto j = log.j();
  ASSERT_GE(j["items"].size(), 2u);  // the agents added, the tokens made
  EXPECT_EQ(j["total"], j["items"].size());
  std::vector<std::string> actions;
  for (const auto& e : j["items"]) {
    // The setup's routing address is on record too (config_changed), before the agents.
    if (e["action"] != "config_changed") actions.push_back(e["action"].get<std::string>());
  }
  ASSERT_FALSE(actions.empty());
  EXPECT_EQ(actions.back(), "agent_added") << "newest first: the first agent added is last";
  EXPECT_EQ(j["items"].back()["action"], "config_changed") << "the routing address set up first";
  auto one = call("GET", "/api/v1/events?limit=1", admin_);
  ASSERT_EQ(one.status, 200);
  ASSERT_TRUE(one.j()["next_cursor"].is_string());
  auto next =
      call("GET", "/api/v1/events?limit=1&cursor=" + one.j()["next_cursor"].get<std::string>(), admin_);
  ASSERT_EQ(next.status, 200);
  EXPECT_EQ(next.j()["items"][0], j["items"][1]);
  EXPECT_EQ(call("GET", "/api/v1/events?cursor=nope", admin_).status, 422);
}

TEST_F(AdminRoutesTest, RoutingAddressesAgentsAndTokens) {
  auto put = call("POST", "/api/v1/routing-addresses", admin_,
                  json{{"email", "Billing@Corp.Example"}, {"queue", "Billing"}, {"creates_cases", false}});
  ASSERT_EQ(put.status, 201) << put.body;
  EXPECT_EQ(put.j()["email"], "billing@corp.example");
  // Where it is: GET it there (any letter case finds it).
  EXPECT_EQ(put.header("Location"), "/api/v1/routing-addresses/billing@corp.example");
  auto got = call("GET", put.header("Location"), admin_);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.j(), put.j());
  EXPECT_EQ(call("GET", "/api/v1/routing-addresses/BILLING@corp.example", admin_).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/routing-addresses/nobody@corp.example", admin_).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/routing-addresses", admin_).j()["items"].size(), 2u);
  EXPECT_EQ(fields_of(call("POST", "/api/v1/routing-addresses", admin_, json{{"email", "nope"}})),
            std::vector<std::string>{"email"});
  EXPECT_EQ(fields_of(call("POST", "/api/v1/routing-addresses", admin_,
                           json{{"email", "x@corp.example"}, {"unknown_sender", "drop"}})),
            std::vector<std::string>{"unknown_sender"});
  // The authserv-ids whose Authentication-Results are believed for its mail.
  auto trusted = call("POST", "/api/v1/routing-addresses", admin_,
                      json{{"email", "billing@corp.example"}, {"authserv_ids", json{"mx.provider.example"}}});
  ASSERT_EQ(trusted.status, 200) << "a change, not a new address: " << trusted.body;
  EXPECT_EQ(trusted.header("Location"), "/api/v1/routing-addresses/billing@corp.example");
  EXPECT_EQ(trusted.j()["authserv_ids"], json{"mx.provider.example"});
  EXPECT_EQ(fields_of(call("POST", "/api/v1/routing-addresses", admin_,
                           json{{"email", "x@corp.example"}, {"authserv_ids", json{"mx provider"}}})),
            std::vector<std::string>{"authserv_ids"});
  EXPECT_EQ(call("DELETE", "/api/v1/routing-addresses/billing@corp.example", admin_).status, 204);
  EXPECT_EQ(call("DELETE", "/api/v1/routing-addresses/billing%40corp.example", admin_).status, 404);

  auto cy = call("POST", "/api/v1/agents", admin_, json{{"name", "Cy"}, {"email", "cy@corp.example"}});
  ASSERT_EQ(cy.status, 201) << cy.body;
  EXPECT_EQ(cy.j()["role"], "agent");
  EXPECT_EQ(call("POST", "/api/v1/agents", admin_, json{{"name", "Cy"}, {"email", "cy@corp.example"}}).status,
            409);
  EXPECT_EQ(fields_of(call("POST", "/api/v1/agents", admin_,
                           json{{"name", "Z"}, {"email", "z"}, {"role", "boss"}})),
            (std::vector<std::string>{"email", "role"}));
  auto promoted =
      call("PATCH", "/api/v1/agents/cy@corp.example", admin_, json{{"role", "admin"}, {"active", false}});
  ASSERT_EQ(promoted.status, 200) << promoted.body;
  EXPECT_EQ(promoted.j()["role"], "admin");
  EXPECT_EQ(promoted.j()["active"], false);
  EXPECT_EQ(call("PATCH", "/api/v1/agents/nobody@corp.example", admin_, json{{"active", true}}).status, 404);
  EXPECT_EQ(fields_of(call("PATCH", "/api/v1/agents/cy@corp.example", admin_, json{{"active", "yes"}})),
            std::vector<std::string>{"active"});
  // The last active administrator (Ada: Cy is disabled) may not step down or off: 409, and
  // nothing changes.
  for (const json& change :
       {json{{"role", "agent"}}, json{{"active", false}}, json{{"name", "A"}, {"role", "agent"}}}) {
    auto refused = call("PATCH", "/api/v1/agents/ada@corp.example", admin_, change);
    EXPECT_EQ(refused.status, 409) << change.dump() << refused.body;
    EXPECT_NE(refused.body.find("last active administrator"), std::string::npos) << refused.body;
  }
  EXPECT_EQ(call("GET", "/api/v1/agents", admin_).status, 200) << "Ada is still an admin";
  // A name is changed (trimmed), or refused with its field.
  auto renamed = call("PATCH", "/api/v1/agents/bob@corp.example", admin_, json{{"name", " Bob B. "}});
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(renamed.j()["name"], "Bob B.");
  EXPECT_EQ(call("GET", "/api/v1/agents/bob@corp.example", admin_).j()["name"], "Bob B.");
  for (const json& bad :
       {json{{"name", 123}}, json{{"name", ""}}, json{{"name", "a\nb"}}, json{{"name", json::array()}}})
    EXPECT_EQ(fields_of(call("PATCH", "/api/v1/agents/bob@corp.example", admin_, bad)),
              std::vector<std::string>{"name"})
        << bad.dump();
  auto cy_now = call("GET", "/api/v1/agents/CY@corp.example", admin_);
  ASSERT_EQ(cy_now.status, 200) << cy_now.body;
  EXPECT_EQ(cy_now.j()["active"], false);
  EXPECT_EQ(call("GET", "/api/v1/agents/nobody@corp.example", admin_).status, 404);
  auto agents = call("GET", "/api/v1/agents?limit=2", admin_);
  ASSERT_EQ(agents.status, 200);
  EXPECT_EQ(agents.j()["items"].size(), 2u);
  EXPECT_FALSE(agents.j()["next_cursor"].is_null());

  // A token is shown once, works, is listed without itself, and stops working when revoked.
  auto made = call("POST", "/api/v1/tokens", admin_, json{{"agent", "bob@corp.example"}, {"label", "ci"}});
  ASSERT_EQ(made.status, 201) << made.body;
  const auto token = made.j()["token"].get<std::string>();
  const auto token_id = made.j()["id"].get<int64_t>();
  // Its Location reads its record, never the token again.
  auto record = call("GET", made.header("Location"), admin_);
  ASSERT_EQ(record.status, 200) << made.header("Location") << " " << record.body;
  EXPECT_EQ(record.j()["id"], token_id);
  EXPECT_EQ(record.body.find(token), std::string::npos);
  EXPECT_EQ(call("GET", "/api/v1/tokens/999999", admin_).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/contacts", token).status, 200);
  auto listed = call("GET", "/api/v1/tokens", admin_);
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body.find(token), std::string::npos);
  EXPECT_EQ(listed.j()["items"].size(), 3u);
  EXPECT_EQ(fields_of(call("POST", "/api/v1/tokens", admin_, json{{"agent", "nobody@corp.example"}})),
            std::vector<std::string>{"agent"});
  EXPECT_EQ(call("DELETE", "/api/v1/tokens/" + std::to_string(token_id), admin_).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/contacts", token).status, 401);
  EXPECT_EQ(call("DELETE", "/api/v1/tokens/999999", admin_).status, 404);
}

// A routing address posted again changes what the request gives and keeps the rest (its
// "hold unknown senders", its API mode), as `address add` does; "api" is read and shown.
TEST_F(AdminRoutesTest, ARoutingAddressPostedAgainKeepsWhatIsNotGiven) {
  auto made = call("POST", "/api/v1/routing-addresses", admin_,
                   json{{"email", "vip@corp.example"},
                        {"queue", "VIP"},
                        {"unknown_sender", "hold"},
                        {"subject_prefix", "[VIP]"},
                        {"priority", "high"},
                        {"api", true}});
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.j()["api"], true);
  auto changed = call("POST", "/api/v1/routing-addresses", admin_,
                      json{{"email", "VIP@corp.example"}, {"queue", "VIP2"}});
  ASSERT_EQ(changed.status, 200) << changed.body;
  const auto j = changed.j();
  EXPECT_EQ(j["queue"], "VIP2");
  EXPECT_EQ(j["unknown_sender"], "hold");
  EXPECT_EQ(j["subject_prefix"], "[VIP]");
  EXPECT_EQ(j["priority"], "high");
  EXPECT_EQ(j["api"], true);
  auto off =
      call("POST", "/api/v1/routing-addresses", admin_, json{{"email", "vip@corp.example"}, {"api", false}});
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_EQ(off.j()["api"], false);
  EXPECT_EQ(off.j()["queue"], "VIP2");
}

// A field the OpenAPI document does not give a request's body is refused with its name,
// on every route alike: a typo ("priorty") is never dropped without a word.
TEST_F(AdminRoutesTest, AFieldTheDocumentDoesNotKnowIsRefusedOnEveryRoute) {
  struct Case {
    const char* method;
    std::string path;
    json body;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"POST", "/api/v1/cases", json{{"contact_email", "a@b.example"}, {"subject", "x"}, {"priorty", "high"}},
       "priorty"},
      {"POST", "/api/v1/accounts", json{{"name", "N2"}, {"extra", 1}}, "extra"},
      {"POST", "/api/v1/contacts", json{{"name", "C"}, {"email", "c@b.example"}, {"phone", "1"}}, "phone"},
      {"POST", "/api/v1/agents", json{{"name", "A"}, {"email", "a2@corp.example"}, {"admin", true}}, "admin"},
      {"POST", "/api/v1/routing-addresses", json{{"email", "z@corp.example"}, {"queues", "Q"}}, "queues"},
      {"POST", "/api/v1/messages/1/retry", json{{"bogus", true}}, "bogus"},
      {"PATCH", "/api/v1/agents/bob@corp.example", json{{"nmae", "B"}}, "nmae"},
  };
  for (const auto& c : cases) {
    auto r = call(c.method, c.path, admin_, c.body);
    EXPECT_EQ(r.status, 422) << c.method << " " << c.path << ": " << r.body;
    EXPECT_EQ(fields_of(r), std::vector<std::string>{c.field}) << c.path << ": " << r.body;
  }
  EXPECT_EQ(call("GET", "/api/v1/accounts?limit=200", admin_).j()["items"].size(), 0u) << "nothing was made";
  // What the document has is taken: a case's product is changed.
  auto made = call("POST", "/api/v1/cases", admin_, json{{"contact_email", "a@b.example"}, {"subject", "x"}});
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string number = made.j()["number"].get<std::string>();
  auto patched = call("PATCH", "/api/v1/cases/" + number, admin_, json{{"product", "LaserJet"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.j()["product"], "LaserJet");
}

TEST_F(AdminRoutesTest, AMailboxTakesItsSecretsAsValuesNeverAPathOrACommand) {
  const json base{{"name", "in"},
                  {"protocol", "imap"},
                  {"host", "imap.corp.example"},
                  {"port", 993},
                  {"user", "support"},
                  {"password", "hunter2-secret"},
                  {"tls", "implicit"},
                  {"address", "support@corp.example"}};
  for (const char* field : {"password_file", "token_command", "ca_file"}) {
    auto body = base;
    body[field] = "/etc/shadow";
    auto r = call("POST", "/api/v1/mailboxes", admin_, body);
    EXPECT_EQ(r.status, 422) << field;
    EXPECT_EQ(fields_of(r), std::vector<std::string>{field});
  }
  auto xoauth = base;
  xoauth["auth"] = "xoauth2";
  EXPECT_EQ(fields_of(call("POST", "/api/v1/mailboxes", admin_, xoauth)), std::vector<std::string>{"auth"});
  auto nopw = base;
  nopw.erase("password");
  EXPECT_EQ(fields_of(call("POST", "/api/v1/mailboxes", admin_, nopw)), std::vector<std::string>{"password"});
  auto crlf = base;
  crlf["folder"] = "INBOX\r\nA1 DELETE INBOX";
  EXPECT_EQ(fields_of(call("POST", "/api/v1/mailboxes", admin_, crlf)), std::vector<std::string>{"folder"});
  auto badname = base;
  badname["name"] = "../x";
  EXPECT_EQ(fields_of(call("POST", "/api/v1/mailboxes", admin_, badname)), std::vector<std::string>{"name"});

  auto made = call("POST", "/api/v1/mailboxes", admin_, base);
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.body.find("hunter2"), std::string::npos);
  EXPECT_EQ(made.body.find("secrets"), std::string::npos);
  EXPECT_EQ(call("POST", "/api/v1/mailboxes", admin_, base).status, 409);
  auto listed = call("GET", "/api/v1/mailboxes", admin_);
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.j()["items"].size(), 1u);
  EXPECT_EQ(listed.body.find("hunter2"), std::string::npos);
  EXPECT_EQ(listed.body.find("password_file"), std::string::npos);
  // The CLI's list does not show it either; the file is the service user's alone.
  auto cli_list = cli({"mailbox", "list", "--json"});
  EXPECT_EQ(cli_list.out.find("hunter2"), std::string::npos);
  const auto file = data_ / "secrets" / "mailbox-in.password";
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto one = call("GET", "/api/v1/mailboxes/in", admin_);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.body.find("hunter2"), std::string::npos);
  EXPECT_EQ(one.j()["host"], "imap.corp.example");
  EXPECT_EQ(call("DELETE", "/api/v1/mailboxes/in", admin_).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/mailboxes/in", admin_).status, 404);
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_EQ(call("DELETE", "/api/v1/mailboxes/in", admin_).status, 404);
}

}  // namespace
}  // namespace mailcase::api
