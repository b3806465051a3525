// The console's admin pages through HTTP: each page renders for an admin, each form
// changes what the command line then shows, an agent gets 403 on every admin page and
// form, a mailbox password never appears in any page, and bad input gets a clear message
// and changes nothing. Then the same against a running `serve` with Dovecot: a mailbox
// added through the console is fetched without a restart, and a routing address's new
// queue takes the next mail. And the pure parts: the forms' rules, the agents' roster
// plan, the template cache seeing an edited file.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <csignal>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "channels/agent_roster.h"
#include "config/config.h"
#include "console/admin_forms.h"
#include "console/console.h"
#include "outbound/templates.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "support/test_support.h"
#include "web/http_server.h"

namespace mailcase::console {
namespace {

using mailcase::testing::run_mailcase;
using nlohmann::json;

struct Answer {
  int status = 0;
  std::string body;
  std::string location;
};

std::string encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string form_encode(const std::map<std::string, std::string>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += encode(k) + "=" + encode(v);
  }
  return out;
}

// A browser of the console: logs in with the login form, keeps the session cookie and
// the CSRF token the pages carry, and sends forms as a browser does.
class Browser {
 public:
  explicit Browser(int port) : port_(port) {}

  bool login(const std::string& email, const std::string& password) {
    httplib::Client c("127.0.0.1", port_);
    auto form = c.Get("/login");
    if (!form) return false;
    std::smatch m;
    if (!std::regex_search(form->body, m, std::regex("name=\"login_csrf\" value=\"([^\"]+)\""))) return false;
    const std::string nonce = m[1];
    const std::string login_cookie = cookie_of(*form, "mc_login");
    httplib::Headers h{{"Cookie", "mc_login=" + login_cookie}};
    auto r = c.Post(
        "/login", h,
        form_encode({{"email", email}, {"password", password}, {"login_csrf", nonce}, {"next", "/admin"}}),
        "application/x-www-form-urlencoded");
    if (!r || r->status != 303) return false;
    session_ = cookie_of(*r, "mc_session");
    auto page = get("/admin/agents");  // any page: for its CSRF token
    std::smatch t;
    if (std::regex_search(page.body, t, std::regex("name=\"csrf\" value=\"([^\"]+)\""))) csrf_ = t[1];
    return !session_.empty();
  }

  Answer get(const std::string& path) {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    auto r = c.Get(path.c_str(), headers());
    EXPECT_TRUE(r) << "GET " << path;
    if (!r) return {};
    return {r->status, r->body, r->get_header_value("Location")};
  }

  // A form as a browser sends it, with the page's CSRF token unless with_csrf is false.
  Answer post(const std::string& path, std::map<std::string, std::string> fields, bool with_csrf = true) {
    if (with_csrf) fields["csrf"] = csrf_;
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    auto r = c.Post(path.c_str(), headers(), form_encode(fields), "application/x-www-form-urlencoded");
    EXPECT_TRUE(r) << "POST " << path;
    if (!r) return {};
    return {r->status, r->body, r->get_header_value("Location")};
  }

  const std::string& csrf() const { return csrf_; }

 private:
  static std::string cookie_of(const httplib::Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k != "Set-Cookie" || v.rfind(name + "=", 0) != 0) continue;
      return v.substr(name.size() + 1, v.find(';') - name.size() - 1);
    }
    return {};
  }
  httplib::Headers headers() const { return {{"Cookie", "mc_session=" + session_}}; }

  int port_;
  std::string session_, csrf_;
};

mailcase::testing::CommandResult mc(const std::filesystem::path& data, std::vector<std::string> args,
                                    const std::string& in = "") {
  args.insert(args.begin(), {"--data", data.string()});
  return run_mailcase(args, in);
}

// An admin (ada) and an agent (bob), each with a password, in a fresh data directory.
void make_people(const std::filesystem::path& data) {
  ASSERT_EQ(mc(data, {"init"}).exit_code, 0);
  ASSERT_EQ(
      mc(data, {"agent", "add", "--name", "Ada", "--email", "ada@corp.example", "--role", "admin"}).exit_code,
      0);
  ASSERT_EQ(mc(data, {"agent", "add", "--name", "Bob", "--email", "bob@corp.example"}).exit_code, 0);
  ASSERT_EQ(mc(data, {"agent", "password", "ada@corp.example"}, "ada-password-1\n").exit_code, 0);
  ASSERT_EQ(mc(data, {"agent", "password", "bob@corp.example"}, "bob-password-1\n").exit_code, 0);
}

json cli_json(const std::filesystem::path& data, std::vector<std::string> args) {
  args.push_back("--json");
  auto r = mc(data, args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out, nullptr, false);
}

// The console mounted on a server in this process, over the data directory's runtime;
// ada logged in as admin_, bob as agent_.
class AdminPages : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    make_people(data_);
    if (HasFatalFailure()) return;
    auto cfg = config::load(data_ / "mailcase.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    cfg_ = *cfg;
    auto rt = runtime::Runtime::open(data_, cfg_);
    ASSERT_TRUE(rt) << rt.error().message;
    rt_ = std::move(*rt);
    console_ = std::make_unique<Console>(rt_->store(), rt_->cases(), rt_->config(), rt_->clock(), data_);
    http_ = std::make_unique<web::HttpServer>(web::HttpLimits{});
    console_->mount(*http_);
    ASSERT_TRUE(http_->listen("127.0.0.1", 0));
    thread_ = std::thread([this] { http_->serve(); });
    admin_ = Browser(port());
    agent_ = Browser(port());
    ASSERT_TRUE(admin_.login("ada@corp.example", "ada-password-1"));
    ASSERT_TRUE(agent_.login("bob@corp.example", "bob-password-1"));
  }

  void TearDown() override {
    if (http_) http_->stop();
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return http_->bound_port(); }

  mailcase::testing::TempDir dir_;
  std::filesystem::path data_;
  config::Config cfg_;
  std::unique_ptr<runtime::Runtime> rt_;
  std::unique_ptr<Console> console_;
  std::unique_ptr<web::HttpServer> http_;
  std::thread thread_;
  Browser admin_{0}, agent_{0};
};

TEST_F(AdminPages, EveryPageRendersForAnAdmin) {
  const std::vector<std::pair<std::string, std::string>> pages = {
      {"/admin", "<h1>Administration</h1>"},
      {"/admin/addresses", "<h1>Routing addresses</h1>"},
      {"/admin/mailboxes", "<h1>Mailboxes</h1>"},
      {"/admin/mailbox-states", "id=\"mailbox-states\""},
      {"/admin/templates", "<h1>Templates</h1>"},
      {"/admin/templates/fr/confirmation", "<h1>Template: confirmation (fr)</h1>"},
      {"/admin/agents", "<h1>Agents</h1>"},
      {"/admin/agents/bob%40corp.example", "bob@corp.example"},
  };
  for (const auto& [path, expect] : pages) {
    auto a = admin_.get(path);
    EXPECT_EQ(a.status, 200) << path;
    EXPECT_NE(a.body.find(expect), std::string::npos) << path << "\n" << a.body;
  }
  auto index = admin_.get("/admin");
  for (const char* link : {"/admin/addresses", "/admin/mailboxes", "/admin/templates", "/admin/agents"})
    EXPECT_NE(index.body.find(std::string("href=\"") + link + "\""), std::string::npos) << link;
  EXPECT_EQ(admin_.get("/admin/templates/xx/confirmation").status, 404);
  EXPECT_EQ(admin_.get("/admin/mailboxes/nope").status, 404);
  EXPECT_EQ(admin_.get("/admin/agents/nobody%40corp.example").status, 404);
}

TEST_F(AdminPages, AnAgentGets403OnEveryAdminPageAndFormAndChangesNothing) {
  for (const char* path :
       {"/admin", "/admin/addresses", "/admin/mailboxes", "/admin/mailbox-states", "/admin/templates",
        "/admin/templates/en/confirmation", "/admin/agents", "/admin/agents/ada%40corp.example"}) {
    EXPECT_EQ(agent_.get(path).status, 403) << path;
  }
  const std::vector<std::pair<std::string, std::map<std::string, std::string>>> posts = {
      {"/admin/addresses", {{"email", "sales@corp.example"}, {"queue", "sales"}}},
      {"/admin/addresses/remove", {{"email", "sales@corp.example"}}},
      {"/admin/mailboxes",
       {{"name", "in"},
        {"protocol", "imap"},
        {"host", "127.0.0.1"},
        {"port", "993"},
        {"tls", "implicit"},
        {"user", "u"},
        {"password", "pw-123456"}}},
      {"/admin/mailboxes/in", {{"host", "h"}}},
      {"/admin/mailboxes/in/test", {}},
      {"/admin/mailboxes/in/remove", {}},
      {"/admin/templates/en/confirmation", {{"text", "Subject: owned\n\nx\n"}}},
      {"/admin/agents", {{"name", "Eve"}, {"email", "eve@corp.example"}, {"role", "admin"}}},
      {"/admin/agents/bob%40corp.example/role", {{"role", "admin"}}},
      {"/admin/agents/ada%40corp.example/active", {{"active", "no"}}},
      {"/admin/agents/ada%40corp.example/password", {{"password", "taken-over-1"}}},
  };
  for (const auto& [path, fields] : posts) EXPECT_EQ(agent_.post(path, fields).status, 403) << path;
  EXPECT_EQ(cli_json(data_, {"address", "list"}).size(), 0u);
  EXPECT_EQ(cli_json(data_, {"mailbox", "list"}).size(), 0u);
  auto agents = cli_json(data_, {"agent", "list"});
  EXPECT_EQ(agents.size(), 2u);
  for (const auto& a : agents) {
    EXPECT_TRUE(a.value("active", false)) << a.dump();
    if (a.value("email", "") == "bob@corp.example") {
      EXPECT_EQ(a.value("role", ""), "agent");
    }
  }
  std::ifstream t(data_ / "templates" / "en" / "confirmation.txt");
  std::string text((std::istreambuf_iterator<char>(t)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("owned"), std::string::npos);
  // Ada's password is still hers.
  Browser again(port());
  EXPECT_TRUE(again.login("ada@corp.example", "ada-password-1"));
}

TEST_F(AdminPages, AFormWithoutTheCsrfTokenChangesNothing) {
  auto r = admin_.post("/admin/addresses", {{"email", "sales@corp.example"}}, /*with_csrf=*/false);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(cli_json(data_, {"address", "list"}).size(), 0u);
}

TEST_F(AdminPages, RoutingAddressesAreAddedChangedAndRemoved) {
  auto added = admin_.post("/admin/addresses", {{"email", "Sales@Corp.example"},
                                                {"queue", "sales"},
                                                {"product", "printers"},
                                                {"unknown_sender", "hold"},
                                                {"creates_cases", "yes"}});
  EXPECT_EQ(added.status, 303) << added.body;
  auto list = cli_json(data_, {"address", "list"});
  ASSERT_EQ(list.size(), 1u) << list.dump();
  EXPECT_EQ(list[0].value("email", ""), "sales@corp.example");
  EXPECT_EQ(list[0].value("queue", ""), "sales");
  EXPECT_EQ(list[0].value("unknown_sender", ""), "hold");
  auto page = admin_.get(added.location);
  EXPECT_NE(page.body.find("Saved the address sales@corp.example"), std::string::npos) << page.body;
  auto edit = admin_.get("/admin/addresses?edit=sales%40corp.example");
  EXPECT_NE(edit.body.find("value=\"printers\""), std::string::npos);

  // The same address again: changed (its queue), and creates_cases unticked.
  EXPECT_EQ(admin_.post("/admin/addresses", {{"email", "sales@corp.example"}, {"queue", "sales-2"}}).status,
            303);
  list = cli_json(data_, {"address", "list"});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].value("queue", ""), "sales-2");
  EXPECT_FALSE(list[0].value("creates_cases", true));

  // Bad input: a clear message on the page, and nothing changed.
  auto bad_email = admin_.post("/admin/addresses", {{"email", "not an address"}, {"queue", "x"}});
  EXPECT_EQ(bad_email.status, 422);
  EXPECT_NE(bad_email.body.find("role=\"alert\">email: not an e-mail address"), std::string::npos)
      << bad_email.body;
  EXPECT_NE(bad_email.body.find("Nothing was changed"), std::string::npos);
  auto bad_queue = admin_.post("/admin/addresses", {{"email", "sales@corp.example"}, {"queue", "a\nb"}});
  EXPECT_EQ(bad_queue.status, 422);
  EXPECT_NE(bad_queue.body.find("queue: one line"), std::string::npos) << bad_queue.body;
  auto bad_unknown =
      admin_.post("/admin/addresses", {{"email", "sales@corp.example"}, {"unknown_sender", "drop"}});
  EXPECT_EQ(bad_unknown.status, 422);
  EXPECT_NE(bad_unknown.body.find("unknown_sender: must be create or hold"), std::string::npos);
  list = cli_json(data_, {"address", "list"});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].value("queue", ""), "sales-2");

  EXPECT_EQ(admin_.post("/admin/addresses/remove", {{"email", "sales@corp.example"}}).status, 303);
  EXPECT_EQ(cli_json(data_, {"address", "list"}).size(), 0u);
  auto gone = admin_.post("/admin/addresses/remove", {{"email", "sales@corp.example"}});
  EXPECT_EQ(gone.status, 404);
  EXPECT_NE(gone.body.find("There is no routing address sales@corp.example"), std::string::npos);
}

TEST_F(AdminPages, ARoutingAddressNamesAProcessThatExistsAndItsEditFormKeepsIt) {
  auto unknown = admin_.post("/admin/addresses", {{"email", "sales@corp.example"}, {"process", "Sales"}});
  EXPECT_EQ(unknown.status, 422);
  EXPECT_NE(unknown.body.find("no process Sales"), std::string::npos) << unknown.body;
  EXPECT_EQ(cli_json(data_, {"address", "list"}).size(), 0u);

  ASSERT_EQ(mailcase::testing::run_mailcase(
                {"--data", data_.string(), "process", "add", "Sales", "--stages", "Lead,Offer,Won"})
                .exit_code,
            0);
  auto added = admin_.post("/admin/addresses", {{"email", "sales@corp.example"}, {"process", "Sales"}});
  EXPECT_EQ(added.status, 303) << added.body;
  auto list = cli_json(data_, {"address", "list"});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].value("process", ""), "Sales");
  // Changing the address from its edit form keeps the process the form shows.
  auto edit = admin_.get("/admin/addresses?edit=sales%40corp.example");
  EXPECT_NE(edit.body.find("name=\"process\" value=\"Sales\""), std::string::npos) << edit.body;
}

const std::string kSecret = "Sw0rdfish-not-shown";

std::map<std::string, std::string> mailbox_fields(int port) {
  return {
      {"name", "in"},      {"protocol", "imap"},  {"host", "127.0.0.1"},    {"port", std::to_string(port)},
      {"tls", "implicit"}, {"user", "alice"},     {"password", kSecret},    {"folder", "INBOX"},
      {"idle", "yes"},     {"tls_verify", "yes"}, {"poll_interval_s", "60"}};
}

std::string file_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST_F(AdminPages, MailboxesAreAddedChangedTestedAndRemovedAndThePasswordIsNeverShown) {
  const int closed = mailcase::testing::free_port();  // nothing listens there
  auto added = admin_.post("/admin/mailboxes", mailbox_fields(closed));
  ASSERT_EQ(added.status, 303) << added.body;
  EXPECT_EQ(added.location, "/admin/mailboxes/in?saved=1");
  auto list = cli_json(data_, {"mailbox", "list"});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].value("port", 0), closed);
  const auto secret_file = data_ / "secrets" / "mailbox-in.password";
  EXPECT_EQ(file_text(secret_file), kSecret + "\n");
  struct stat st {};
  ASSERT_EQ(::stat(secret_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  std::vector<std::string> seen;
  auto look = [&](const std::string& path) {
    auto a = admin_.get(path);
    EXPECT_EQ(a.status, 200) << path;
    EXPECT_EQ(a.body.find(kSecret), std::string::npos) << path;
    EXPECT_EQ(a.body.find(secret_file.string()), std::string::npos) << path;  // nor where it is kept
    return a;
  };
  auto one = look("/admin/mailboxes/in?saved=1");
  EXPECT_NE(one.body.find("not connected"), std::string::npos);
  EXPECT_NE(one.body.find("Saved."), std::string::npos);
  look("/admin/mailboxes");

  // The test action, as `mailcase mailbox test`: nothing listens, so it fails, named.
  auto tested = admin_.post("/admin/mailboxes/in/test", {});
  EXPECT_EQ(tested.status, 200);
  EXPECT_NE(tested.body.find("Test failed:"), std::string::npos) << tested.body;
  EXPECT_EQ(tested.body.find(kSecret), std::string::npos);

  // A change without a password keeps it; a bad port changes nothing and says why.
  auto f = mailbox_fields(closed + 1);
  f.erase("name");
  f["password"] = "";
  EXPECT_EQ(admin_.post("/admin/mailboxes/in", f).status, 303);
  list = cli_json(data_, {"mailbox", "list"});
  EXPECT_EQ(list[0].value("port", 0), closed + 1);
  EXPECT_EQ(file_text(secret_file), kSecret + "\n");
  f["port"] = "imap";
  f["password"] = "another-" + kSecret;
  auto bad = admin_.post("/admin/mailboxes/in", f);
  EXPECT_EQ(bad.status, 422);
  EXPECT_NE(bad.body.find("port: the server&#39;s port, 1 to 65535"), std::string::npos) << bad.body;
  EXPECT_EQ(bad.body.find("another-"), std::string::npos);  // a refused form does not echo its password
  EXPECT_EQ(cli_json(data_, {"mailbox", "list"})[0].value("port", 0), closed + 1);
  EXPECT_EQ(file_text(secret_file), kSecret + "\n");
  f["port"] = std::to_string(closed);
  EXPECT_EQ(admin_.post("/admin/mailboxes/in", f).status, 303);
  EXPECT_EQ(file_text(secret_file), "another-" + kSecret + "\n");

  // A new mailbox with bad fields: each named, nothing added. A server path sent as a
  // field is no field of the form: it is never taken.
  auto bad_new = mailbox_fields(closed);
  bad_new["name"] = "../x";
  bad_new["host"] = "";
  bad_new["password"] = "";
  bad_new["password_file"] = "/etc/shadow";
  auto refused = admin_.post("/admin/mailboxes", bad_new);
  EXPECT_EQ(refused.status, 422);
  for (const char* why : {"name: 1 to 64", "host: the server", "password: the mailbox"})
    EXPECT_NE(refused.body.find(why), std::string::npos) << why << "\n" << refused.body;
  auto named_file = mailbox_fields(closed);
  named_file["name"] = "other";
  named_file["password_file"] = "/etc/shadow";
  EXPECT_EQ(admin_.post("/admin/mailboxes", named_file).status, 303);
  for (const auto& m : cli_json(data_, {"mailbox", "list"}))
    EXPECT_EQ(m.dump().find("/etc/shadow"), std::string::npos);
  EXPECT_EQ(admin_.post("/admin/mailboxes", mailbox_fields(closed)).status, 422);  // "in" exists

  auto removed = admin_.post("/admin/mailboxes/in/remove", {});
  EXPECT_EQ(removed.status, 303);
  EXPECT_NE(admin_.get(removed.location).body.find("Removed the mailbox in."), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(secret_file));
  EXPECT_EQ(cli_json(data_, {"mailbox", "list"}).size(), 1u);
  EXPECT_EQ(admin_.post("/admin/mailboxes/in/remove", {}).status, 404);
}

// What a mailbox's agent remembers (the last UID fetched) must not make it skip mail of
// another mailbox: one added under a name a removed one had, or one moved to another
// server, account or folder, starts from nothing; a change of anything else keeps it.
TEST_F(AdminPages, AMailboxAddedAgainOrMovedElsewhereStartsFromNothing) {
  auto remembered = [&](int64_t uid) {
    auto unit = rt_->store().open_unit(store::Access::kWrite);
    ASSERT_TRUE(unit);
    store::MailboxState st;
    st.name = "in";
    st.status = "stopped";
    st.uidvalidity = 7;
    st.last_uid = uid;
    ASSERT_TRUE(unit->mailboxes().put_mailbox_state(st));
    ASSERT_TRUE(unit->commit());
  };
  auto last_uid = [&] {
    auto unit = rt_->store().open_unit(store::Access::kRead);
    EXPECT_TRUE(unit);
    auto st = unit->mailboxes().mailbox_state("in");
    EXPECT_TRUE(st);
    return st ? st->last_uid : -1;
  };
  remembered(40);  // left by the agent of a mailbox "in" removed earlier
  ASSERT_EQ(admin_.post("/admin/mailboxes", mailbox_fields(993)).status, 303);
  EXPECT_EQ(last_uid(), 0);

  remembered(41);
  auto f = mailbox_fields(993);
  f.erase("name");
  f["password"] = "";
  f["poll_interval_s"] = "120";
  ASSERT_EQ(admin_.post("/admin/mailboxes/in", f).status, 303);
  EXPECT_EQ(last_uid(), 41);
  f["folder"] = "Support";
  ASSERT_EQ(admin_.post("/admin/mailboxes/in", f).status, 303);
  EXPECT_EQ(last_uid(), 0);
}

TEST_F(AdminPages, TemplatesAreShownAndEditedAndABadOneIsRefused) {
  auto page = admin_.get("/admin/templates/en/confirmation");
  EXPECT_NE(page.body.find("Subject: {{{case_tag}}}"), std::string::npos) << page.body;
  const auto file = data_ / "templates" / "en" / "confirmation.txt";
  const std::string before = file_text(file);

  auto bad = admin_.post("/admin/templates/en/confirmation", {{"text", "Hello {{{contact_name}}}\r\n"}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_NE(bad.body.find("the first line must be"), std::string::npos) << bad.body;
  EXPECT_EQ(file_text(file), before);

  auto saved = admin_.post("/admin/templates/en/confirmation",
                           {{"text", "Subject: We have it {{{case_tag}}}\r\n\r\nThanks.\r\n"}});
  EXPECT_EQ(saved.status, 200);
  EXPECT_NE(saved.body.find("Saved."), std::string::npos);
  EXPECT_EQ(file_text(file), "Subject: We have it {{{case_tag}}}\n\nThanks.\n");
  // What the running process renders: the runtime's templates, read before the edit.
  auto r = rt_->templates().render("confirmation", "en", {{"case_tag", "[CS1]"}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->subject, "We have it [CS1]");
}

TEST_F(AdminPages, AgentsAreAddedDisabledPromotedAndGivenAPassword) {
  auto added =
      admin_.post("/admin/agents", {{"name", "Eve"}, {"email", "Eve@Corp.example"}, {"role", "agent"}});
  EXPECT_EQ(added.status, 303) << added.body;
  auto find = [&](const std::string& email) {
    for (const auto& a : cli_json(data_, {"agent", "list"}))
      if (a.value("email", "") == email) return a;
    return json();
  };
  EXPECT_EQ(find("eve@corp.example").value("role", ""), "agent");
  EXPECT_NE(admin_.get(added.location).body.find("Set a password"), std::string::npos);

  auto bad = admin_.post("/admin/agents", {{"name", "Mallory"}, {"email", "mallory@"}, {"role", "agent"}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_NE(bad.body.find("email:"), std::string::npos) << bad.body;
  EXPECT_NE(bad.body.find("Nothing was changed"), std::string::npos);
  EXPECT_TRUE(find("mallory@").is_null());
  EXPECT_EQ(admin_.post("/admin/agents", {{"name", "Eve"}, {"email", "eve@corp.example"}, {"role", "agent"}})
                .status,
            422);

  EXPECT_EQ(admin_.post("/admin/agents/eve%40corp.example/password", {{"password", "short"}}).status, 422);
  EXPECT_EQ(admin_.post("/admin/agents/eve%40corp.example/password", {{"password", "eve-password-1"}}).status,
            200);
  Browser eve(port());
  EXPECT_TRUE(eve.login("eve@corp.example", "eve-password-1"));
  EXPECT_EQ(eve.get("/admin").status, 403);

  EXPECT_EQ(admin_.post("/admin/agents/eve%40corp.example/role", {{"role", "admin"}}).status, 200);
  EXPECT_EQ(find("eve@corp.example").value("role", ""), "admin");
  EXPECT_EQ(eve.get("/admin").status, 200);
  EXPECT_EQ(admin_.post("/admin/agents/eve%40corp.example/role", {{"role", "boss"}}).status, 422);

  EXPECT_EQ(admin_.post("/admin/agents/eve%40corp.example/active", {{"active", "no"}}).status, 200);
  EXPECT_FALSE(find("eve@corp.example").value("active", true));
  EXPECT_NE(eve.get("/admin").status, 200);  // her session ended
  EXPECT_FALSE(Browser(port()).login("eve@corp.example", "eve-password-1"));
  EXPECT_EQ(admin_.post("/admin/agents/eve%40corp.example/active", {{"active", "yes"}}).status, 200);
  EXPECT_TRUE(find("eve@corp.example").value("active", false));

  // An admin cannot lock themselves out.
  EXPECT_EQ(admin_.post("/admin/agents/ada%40corp.example/active", {{"active", "no"}}).status, 422);
  EXPECT_EQ(admin_.post("/admin/agents/ada%40corp.example/role", {{"role", "agent"}}).status, 422);
  EXPECT_EQ(find("ada@corp.example").value("role", ""), "admin");
}

// ---- pure parts

TEST(AdminForms, AnAddressFormIsCheckedAsTheApiChecksIt) {
  auto ok =
      address_from_form({{"email", " Help@Corp.Example "}, {"queue", "help"}, {"creates_cases", "yes"}});
  EXPECT_FALSE(ok.invalid);
  EXPECT_EQ(ok.address.email, "help@corp.example");
  EXPECT_EQ(ok.address.unknown_sender, "create");
  EXPECT_TRUE(ok.address.creates_cases);
  EXPECT_FALSE(address_from_form({{"email", "help@corp.example"}}).address.creates_cases);  // unticked
  EXPECT_EQ(address_from_form({{"email", "help"}}).invalid->field, "email");
  EXPECT_EQ(address_from_form({{"email", "a@b.example"}, {"product", "x\ry"}}).invalid->field, "product");
  EXPECT_EQ(address_from_form({{"email", "a@b.example"}, {"unknown_sender", "bounce"}}).invalid->field,
            "unknown_sender");
}

TEST(AdminForms, AMailboxFormNamesEachBadFieldAndKeepsWhatAChangeDoesNotSend) {
  Fields f = {{"name", "in"},      {"protocol", "pop3"}, {"host", "mail.example"}, {"port", "995"},
              {"tls", "implicit"}, {"user", "u"},        {"password", "pw-1"}};
  auto ok = mailbox_from_form(f, std::nullopt);
  EXPECT_TRUE(ok.errors.empty());
  EXPECT_EQ(ok.mailbox.after.action, domain::AfterAction::kDelete);  // POP3's default
  EXPECT_EQ(*ok.secrets.password, "pw-1");
  EXPECT_FALSE(ok.mailbox.idle);  // unticked

  Fields bad = {{"name", ".x"},      {"protocol", "smtp"},   {"host", ""},         {"port", "70000"},
                {"tls", "tls13"},    {"user", "a\nb"},       {"after", "archive"}, {"poll_interval_s", "0"},
                {"address", "nope"}, {"folder", "IN\r\nBOX"}};
  std::set<std::string> fields;
  for (const auto& e : mailbox_from_form(bad, std::nullopt).errors) fields.insert(e.field);
  EXPECT_EQ(fields, (std::set<std::string>{"name", "protocol", "host", "port", "tls", "user", "after",
                                           "poll_interval_s", "address", "folder", "password"}));

  store::Mailbox base;
  base.name = "in";
  base.password_file = "/srv/pw";
  base.auth = domain::AuthMethod::kXOAuth2;
  base.token_command = "/usr/local/bin/token";
  Fields change = f;
  change["name"] = "renamed";
  change["password"] = "";
  auto kept = mailbox_from_form(change, base);
  EXPECT_TRUE(kept.errors.empty());
  EXPECT_EQ(kept.mailbox.name, "in");
  EXPECT_EQ(kept.mailbox.password_file, "/srv/pw");
  EXPECT_EQ(kept.mailbox.token_command, "/usr/local/bin/token");
  EXPECT_FALSE(kept.secrets.password);
}

TEST(AdminForms, APageTellsARefusalWithoutTheCommandLinesFlag) {
  EXPECT_EQ(without_flag("--set-*: a rule must set at least one of queue"),
            "A rule must set at least one of queue");
  EXPECT_EQ(without_flag("--if-subject: missing ): x("), "Missing ): x(");
  EXPECT_EQ(without_flag("no account named Acme"), "no account named Acme");
  EXPECT_EQ(without_flag("-- not a flag: at all"), "-- not a flag: at all");
}

TEST(AdminForms, OnlyMailcasesTemplatesAreTemplates) {
  EXPECT_TRUE(is_template("fr", "survey"));
  EXPECT_FALSE(is_template("..", "survey"));
  EXPECT_FALSE(is_template("en", "passwd"));
}

TEST(AgentRoster, ThePlanStartsNewStopsRemovedAndRestartsChanged) {
  auto p = channels::plan_roster({{"a", "1"}, {"b", "1"}, {"c", "1"}}, {{"b", "1"}, {"c", "2"}, {"d", "1"}});
  EXPECT_EQ(p.stop, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(p.start, (std::vector<std::string>{"c", "d"}));
  auto same = channels::plan_roster({{"a", "1"}}, {{"a", "1"}});
  EXPECT_TRUE(same.stop.empty() && same.start.empty());
}

TEST(AgentRoster, AFingerprintChangesWithASettingAndWithANewPasswordFile) {
  mailcase::testing::TempDir d;
  store::Mailbox m;
  m.name = "in";
  m.host = "mail.example";
  m.password_file = (d.path() / "pw").string();
  std::ofstream(m.password_file) << "one\n";
  const std::string first = channels::mailbox_fingerprint(m);
  EXPECT_EQ(channels::mailbox_fingerprint(m), first);
  store::Mailbox other = m;
  other.port = 994;
  EXPECT_NE(channels::mailbox_fingerprint(other), first);
  // A password stored anew (written aside and renamed over, as mailcase does).
  std::ofstream(m.password_file + ".tmp") << "two-longer\n";
  std::filesystem::rename(m.password_file + ".tmp", m.password_file);
  EXPECT_NE(channels::mailbox_fingerprint(m), first);
}

TEST(TemplateCache, AnEditedFileIsReadAgain) {
  mailcase::testing::TempDir d;
  outbound::Templates t(d.path());
  ASSERT_TRUE(t.install());
  auto first = t.render("closed", "en", {{"case_tag", "[CS1]"}});
  ASSERT_TRUE(first);
  const auto file = d.path() / "en" / "closed.txt";
  std::ofstream(file.string() + ".new") << "Subject: Done {{{case_tag}}}\n\nBye.\n";
  std::filesystem::rename(file.string() + ".new", file);
  auto second = t.render("closed", "en", {{"case_tag", "[CS1]"}});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->subject, "Done [CS1]");
  EXPECT_EQ(outbound::template_problem("no subject\n"), "the first line must be \"Subject: ...\"");
  EXPECT_NE(outbound::template_problem(std::string(outbound::kMaxTemplateBytes + 1, 'x')), "");
  EXPECT_EQ(outbound::template_problem("Subject: ok {{{case_tag}}}\n\nText\n"), "");
}

// ---- a running serve with Dovecot

std::string fixture_mail(int i) {
  return "From: Anna Customer <anna" + std::to_string(i) +
         "@example.org>\r\nTo: support@corp.example\r\nSubject: Printer " + std::to_string(i) +
         " is broken\r\nMessage-ID: <console-admin-" + std::to_string(i) +
         "@example.org>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nIt does not print.\r\n";
}

TEST(AdminPagesServe, AMailboxAddedAndAQueueChangedInTheConsoleTakeEffectWithoutARestart) {
  mailcase::testing::Dovecot dc;
  if (!dc.available()) GTEST_SKIP() << dc.why_not();
  mailcase::testing::TempDir dir;
  const auto data = dir.path() / "data";
  make_people(data);
  if (::testing::Test::HasFatalFailure()) return;
  ASSERT_EQ(mc(data, {"address", "add", "support@corp.example", "--queue", "first"}).exit_code, 0);
  const int port = mailcase::testing::free_port();
  mailcase::testing::Background serve({"--data", data.string(), "serve", "--roles", "ingest,http", "--http",
                                       "127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(mailcase::testing::wait_until([&] {
    return serve.err().find("serving;") != std::string::npos;
  })) << serve.err();
  Browser admin(port);
  ASSERT_TRUE(admin.login("ada@corp.example", "ada-password-1")) << serve.err();

  auto cases = [&] {
    auto j = cli_json(data, {"case", "list"});
    return j.is_array() ? j : json::array();
  };
  ASSERT_TRUE(dc.deliver("alice", fixture_mail(1)));
  auto f = mailbox_fields(dc.imaps_port);
  f["password"] = "alice-secret";
  f["ca_certificate"] = file_text(dc.ca_file());
  auto added = admin.post("/admin/mailboxes", f);
  ASSERT_EQ(added.status, 303) << added.body;
  EXPECT_TRUE(mailcase::testing::wait_until([&] { return cases().size() == 1; }, 30000)) << serve.err();
  EXPECT_EQ(cases()[0].value("queue", ""), "first");
  EXPECT_NE(serve.err().find("mailbox in: agent started"), std::string::npos) << serve.err();
  // Its live state, on its page: connected, nothing waiting, never its password.
  EXPECT_TRUE(mailcase::testing::wait_until(
      [&] { return admin.get("/admin/mailboxes/in").body.find(">connected<") != std::string::npos; }, 20000))
      << admin.get("/admin/mailboxes/in").body;
  EXPECT_EQ(admin.get("/admin/mailboxes").body.find("alice-secret"), std::string::npos);
  auto tested = admin.post("/admin/mailboxes/in/test", {});
  EXPECT_NE(tested.body.find("Test passed"), std::string::npos) << tested.body;

  // The address's new queue takes the next mail.
  EXPECT_EQ(admin
                .post("/admin/addresses",
                      {{"email", "support@corp.example"}, {"queue", "second"}, {"creates_cases", "yes"}})
                .status,
            303);
  ASSERT_TRUE(dc.deliver("alice", fixture_mail(2)));
  EXPECT_TRUE(mailcase::testing::wait_until([&] { return cases().size() == 2; }, 30000)) << serve.err();
  std::set<std::string> queues;
  for (const auto& c : cases()) queues.insert(c.value("queue", ""));
  EXPECT_EQ(queues, (std::set<std::string>{"first", "second"}));

  // A new password (all else the same) restarts its agent with it: here a wrong one.
  auto wrong = f;
  wrong.erase("name");
  wrong.erase("ca_certificate");  // empty: the one it has stays
  wrong["password"] = "not-alices-password";
  EXPECT_EQ(admin.post("/admin/mailboxes/in", wrong).status, 303);
  EXPECT_TRUE(mailcase::testing::wait_until(
      [&] { return serve.err().find("mailbox in: agent restarted") != std::string::npos; }, 20000))
      << serve.err();
  EXPECT_TRUE(mailcase::testing::wait_until(
      [&] {
        return admin.get("/admin/mailboxes/in").body.find("authentication as alice failed") !=
               std::string::npos;
      },
      20000))
      << admin.get("/admin/mailboxes/in").body;
  EXPECT_EQ(admin.get("/admin/mailboxes/in").body.find("not-alices-password"), std::string::npos);

  // Removed: its agent stops, and mail waiting there stays.
  EXPECT_EQ(admin.post("/admin/mailboxes/in/remove", {}).status, 303);
  EXPECT_TRUE(mailcase::testing::wait_until(
      [&] { return serve.err().find("mailbox in: agent stopped (removed)") != std::string::npos; }, 20000))
      << serve.err();
  ASSERT_TRUE(dc.deliver("alice", fixture_mail(3)));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(cases().size(), 2u);
  EXPECT_TRUE(serve.running());
  EXPECT_EQ(serve.stop(SIGTERM), 0) << serve.err();
}

}  // namespace
}  // namespace mailcase::console
