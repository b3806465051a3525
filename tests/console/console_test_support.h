// Helpers for the console's HTTP tests: a client that logs in like a browser (the login
// form's one-time value and its cookie, then the session cookie) and carries the
// session's CSRF token on its POSTs. cpp-httplib's client keeps no cookies, so this does.
#pragma once

#include <httplib.h>

#include <string>
#include <string_view>

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
                                    {"next", next}});
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

 private:
  int port_;
};

}  // namespace mailcase::testing
