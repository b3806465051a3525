// Helpers for the console's HTTP tests: a client that logs in like a browser (the login
// form's one-time value and its cookie, then the session cookie) and carries the
// session's CSRF token on its POSTs. cpp-httplib's client keeps no cookies, so this does.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "config/config.h"
#include "console/console.h"
#include "console/sessions.h"
#include "ingest/pipeline.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "support/test_support.h"
#include "web/http_server.h"

namespace mailcase::testing {

// The value a response's Set-Cookie gives cookie `name` ("" when it sets none).
inline std::string set_cookie_value(const httplib::Response& r, std::string_view name) {
  const std::string prefix = std::string(name) + "=";
  for (const auto& [k, v] : r.headers)
    if (k == "Set-Cookie" && v.starts_with(prefix))
      return v.substr(prefix.size(), v.find(';') - prefix.size());
  return {};
}

// The whole Set-Cookie line for cookie `name` ("" when none), to check its attributes.
inline std::string set_cookie_line(const httplib::Response& r, std::string_view name) {
  const std::string prefix = std::string(name) + "=";
  for (const auto& [k, v] : r.headers)
    if (k == "Set-Cookie" && v.starts_with(prefix)) return v;
  return {};
}

// The value attribute of the first input named `name` in a page ("" when absent). The
// console writes `name="N" value="V"` in that order for its hidden fields.
inline std::string input_value(std::string_view page, std::string_view name) {
  const std::string key = "name=\"" + std::string(name) + "\"";
  const auto at = page.find(key);
  if (at == std::string_view::npos) return {};
  const auto v = page.find("value=\"", at);
  if (v == std::string_view::npos) return {};
  const auto end = page.find('"', v + 7);
  return std::string(page.substr(v + 7, end - v - 7));
}

// A browser-like client of a console on 127.0.0.1:port.
class ConsoleClient {
 public:
  explicit ConsoleClient(int port) : port_(port) {}

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    return c;
  }

  // Logs in through the form; returns POST /login's answer (303 when it worked). On
  // success the session cookie and the CSRF token (read from the first page) are kept.
  httplib::Result login(const std::string& email, const std::string& password, const std::string& next = "/",
                        const httplib::Headers& extra = {}) {
    auto c = client();
    auto form = c.Get("/login");
    if (!form) return form;
    const std::string nonce = set_cookie_value(*form, login_cookie);
    httplib::Headers h = extra;
    h.emplace("Cookie", login_cookie + "=" + nonce);
    auto r = c.Post("/login", h,
                    httplib::Params{{"login_csrf", input_value(form->body, "login_csrf")},
                                    {"email", email},
                                    {"password", password},
                                    {"next", next},
                                    {"remember", remember ? "1" : ""}});
    if (r && r->status == 303) {
      const std::string s = set_cookie_value(*r, session_cookie);
      if (!s.empty()) {
        session = s;
        auto home = get("/");
        if (home && home->status == 200) csrf = input_value(home->body, "csrf");
      }
    }
    return r;
  }

  httplib::Headers with_session(httplib::Headers h = {}) const {
    if (!session.empty()) h.emplace("Cookie", session_cookie + "=" + session);
    return h;
  }
  httplib::Result get(const std::string& path, const httplib::Headers& h = {}) const {
    return client().Get(path.c_str(), with_session(h));
  }
  // A url-encoded form POST with the session's CSRF token added (unless with_csrf is false).
  httplib::Result post(const std::string& path, httplib::Params params = {}, bool with_csrf = true,
                       const httplib::Headers& h = {}) const {
    if (with_csrf) params.emplace("csrf", csrf);
    return client().Post(path.c_str(), with_session(h), params);
  }

  // The cookies' names: over https, "__Host-mc_session" and "__Secure-mc_login".
  std::string session_cookie = "mc_session";
  std::string login_cookie = "mc_login";
  std::string session;  // the session cookie's value
  std::string csrf;     // the session's CSRF token
  bool remember = false;  // login() ticks "Keep me logged in"

 private:
  int port_;
};

// An answer of the console, read whole.
struct Answer {
  int status = 0;
  std::string body;
  httplib::Headers headers;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  bool has(std::string_view s) const { return body.find(s) != std::string::npos; }
};

// The console over a runtime, served on 127.0.0.1 (a port of the system's choosing) by a
// thread of its own until destroyed, with a session of one agent as /login starts it (its
// cookie and CSRF token), for tests of the pages that need no login form. The runtime's
// ingest retries held mail. Build it in SetUp after the runtime; check ok().
class ServedConsole {
 public:
  ServedConsole(runtime::Runtime& rt, const std::filesystem::path& data, const std::string& agent_email)
      : console_(rt.store(), rt.cases(), rt.config(), rt.clock(), data), http_(web::HttpLimits{}) {
    console_.set_ingest(rt.ingest());
    console_.mount(http_);
    if (!http_.listen("127.0.0.1", 0)) return;
    thread_ = std::thread([this] { http_.serve(); });
    console::Sessions sessions(rt.store(), rt.config().http, rt.clock());
    auto unit = rt.store().open_unit(store::Access::kRead);
    if (!unit) return;
    auto agent = unit->agents().find_agent_by_email(agent_email);
    if (!agent || !*agent) return;
    auto started = sessions.start(**agent);
    if (!started) return;
    auto viewer = sessions.resume(*started);
    if (!viewer || !*viewer) return;
    cookie = *started;
    csrf = (*viewer)->csrf;
  }
  ~ServedConsole() {
    http_.stop();
    if (thread_.joinable()) thread_.join();
  }
  ServedConsole(const ServedConsole&) = delete;
  ServedConsole& operator=(const ServedConsole&) = delete;

  // Whether it serves and the agent's session started.
  bool ok() const { return thread_.joinable() && !cookie.empty(); }
  int port() { return http_.bound_port(); }

  Answer get(const std::string& path, bool logged_in = true) {
    httplib::Headers h;
    if (logged_in) h.emplace("Cookie", std::string(console::kSessionCookie) + "=" + cookie);
    return answer(path, client().Get(path.c_str(), h));
  }
  // A url-encoded form POST in the session, with its CSRF token unless with_csrf is false.
  Answer post(const std::string& path, httplib::Params form, bool with_csrf = true) {
    httplib::Headers h{{"Cookie", std::string(console::kSessionCookie) + "=" + cookie}};
    if (with_csrf) form.emplace("csrf", csrf);
    return answer(path, client().Post(path.c_str(), h, form));
  }

  std::string cookie, csrf;  // the session's

 private:
  httplib::Client client() {
    httplib::Client c("127.0.0.1", port());
    c.set_read_timeout(60, 0);
    return c;
  }
  static Answer answer(const std::string& path, const httplib::Result& r) {
    EXPECT_TRUE(r) << path;
    if (!r) return {};
    return {r->status, r->body, r->headers};
  }

  console::Console console_;
  web::HttpServer http_;
  std::thread thread_;
};

// The set-up of the console's page tests, as an administrator and a mail make it: a data
// folder by the command line (`init`, mailcase.toml, the address support@corp.example, the
// agent Bob), what the test adds there with cli(), then a runtime over it (open_runtime),
// mail delivered to the address (deliver) and the console served with Bob's session
// (serve). Each step ASSERTs: call them under ASSERT_NO_FATAL_FAILURE.
class ConsolePagesTest : public ::testing::Test {
 protected:
  // `extra_toml` follows the [outbound] section; `address_flags` follow `address add`.
  void make_data(const std::string& extra_toml = "", std::vector<std::string> address_flags = {}) {
    data_ = dir_.path() / "data";
    ASSERT_EQ(cli({"init"}).exit_code, 0);
    std::ofstream(data_ / "mailcase.toml") << "[outbound]\nfrom_address = \"support@corp.example\"\n"
                                           << extra_toml;
    std::vector<std::string> add{"address", "add", "support@corp.example"};
    add.insert(add.end(), address_flags.begin(), address_flags.end());
    ASSERT_EQ(cli(add).exit_code, 0);
    ASSERT_EQ(cli({"agent", "add", "--name", "Bob", "--email", "bob@corp.example"}).exit_code, 0);
  }

  // Runs `mailcase --data DATA args…`.
  CommandResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_.string()});
    return run_mailcase(args);
  }

  void open_runtime() {
    auto cfg = config::load(data_ / "mailcase.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    auto rt = runtime::Runtime::open(data_, *cfg);
    ASSERT_TRUE(rt) << rt.error().message;
    rt_ = std::move(*rt);
  }

  // `raw` delivered to support@corp.example; its outcome (the test fails when it errs).
  ingest::Outcome deliver(const std::string& raw) {
    auto made = rt_->ingest().deliver(raw, ingest::Envelope{"test", {"support@corp.example"}, std::nullopt});
    EXPECT_TRUE(made) << made.error().message;
    return made ? *made : ingest::Outcome{};
  }

  // The console served with a session of Bob's.
  void serve() {
    served_ = std::make_unique<ServedConsole>(*rt_, data_, "bob@corp.example");
    ASSERT_TRUE(served_->ok());
  }

  Answer get(const std::string& path, bool logged_in = true) { return served_->get(path, logged_in); }
  Answer post(const std::string& path, httplib::Params form, bool with_csrf = true) {
    return served_->post(path, std::move(form), with_csrf);
  }

  TempDir dir_;
  std::filesystem::path data_;
  std::unique_ptr<runtime::Runtime> rt_;
  std::unique_ptr<ServedConsole> served_;  // Bob's
};

}  // namespace mailcase::testing
