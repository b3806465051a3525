// /login and /logout. A login form carries a random value, new with each form, that must
// match a cookie set with it (login CSRF: another site cannot log a browser in as someone
// else). A login does not spend it: what bounds guessing is the throttle, which counts
// each attempt before its password is checked.
// Wrong email and wrong password get the same answer, after the same work.
#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>

#include "access/credentials.h"
#include "console/client_address.h"
#include "console/page.h"
#include "util/text.h"

namespace mailcase::console {
namespace {

constexpr std::string_view kLoginCookie = "mc_login";
constexpr std::string_view kSecureLoginCookie = "__Secure-mc_login";  // see kSecureSessionCookie

std::string_view login_cookie(const Context& ctx) {
  return ctx.secure_cookies ? kSecureLoginCookie : kLoginCookie;
}

// max_age nullopt: a cookie of the browser's session, gone when the browser closes.
std::string cookie_attributes(const Context& ctx, std::string_view path, std::optional<int64_t> max_age) {
  std::string a = "; Path=" + std::string(path) + "; HttpOnly; SameSite=Strict";
  if (max_age) a += "; Max-Age=" + std::to_string(*max_age);
  if (ctx.secure_cookies) a += "; Secure";
  return a;
}

// remember: the "Keep me logged in" box as the agent left it, so that a form shown again
// after a failed attempt does not quietly untick it.
void login_form(Context& ctx, httplib::Response& res, int status, std::string_view next,
                std::string_view email, std::string_view message, bool remember = false) {
  const std::string nonce = random_token("");
  res.set_header("Set-Cookie",
                 std::string(login_cookie(ctx)) + "=" + nonce + cookie_attributes(ctx, "/login", 3600));
  Html alert =
      message.empty() ? Html() : html("<p class=\"error\" role=\"alert\" id=\"login-error\">{}</p>", message);
  send_bare_page(res, status, "Log in",
                 html("<div class=\"login\"><h1>mailcase</h1>{}<form method=\"post\" action=\"/login\">"
                      "<input type=\"hidden\" name=\"login_csrf\" value=\"{}\">"
                      "<input type=\"hidden\" name=\"next\" value=\"{}\">"
                      "<label for=\"email\">Email</label><input id=\"email\" name=\"email\" type=\"email\" "
                      "autocomplete=\"username\" required value=\"{}\" autofocus>"
                      "<label for=\"password\">Password</label><input id=\"password\" name=\"password\" "
                      "type=\"password\" autocomplete=\"current-password\" required>"
                      "<label class=\"remember\"><input name=\"remember\" type=\"checkbox\" value=\"1\"{}>"
                      " Keep me logged in on this computer</label>"
                      "<button type=\"submit\">Log in</button></form></div>",
                      alert, nonce, next, email, Html::trusted(remember ? " checked" : "")));
}

// Text from a form as it may appear in the log: printable ASCII only, bounded.
std::string loggable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 120)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

// Every X-Forwarded-For line, in order, as one list: a proxy may add a line of its own
// below the client's rather than append to it, and the client's line must not win.
std::string forwarded_for(const httplib::Request& req) {
  std::string all;
  const size_t lines = req.get_header_value_count("X-Forwarded-For");
  for (size_t i = 0; i < lines; ++i) {
    if (i) all += ", ";
    all += req.get_header_value("X-Forwarded-For", i);
  }
  return all;
}

// The hash checked when the email is no agent's, so that an unknown email costs the same
// time as a wrong password and the answer's timing tells nothing.
const std::string& decoy_hash() {
  static const std::string h = [] {
    auto r = access::hash_password(random_token("decoy-"));
    return r ? *r : std::string();
  }();
  return h;
}

}  // namespace

void mount_login_routes(web::HttpServer& server, Context& ctx) {
  server.get("/login", "/login", [&ctx](const httplib::Request& req, httplib::Response& res) {
    auto v = ctx.sessions.resume(cookie_value(req, ctx.session_cookie));
    std::string next = req.get_param_value("next");
    if (!is_local_path(next)) next = "/";
    if (v && *v) return redirect(res, next);
    login_form(ctx, res, 200, next, "", "");
  });

  server.post("/login", "/login", [&ctx](const httplib::Request& req, httplib::Response& res) {
    std::string next = form_value(req, "next");
    if (!is_local_path(next)) next = "/";
    const std::string email = text::normalize_email(form_value(req, "email").substr(0, 320));
    const std::string password = form_value(req, "password");
    const std::string nonce = cookie_value(req, login_cookie(ctx));
    const std::string sent_nonce = form_value(req, "login_csrf");
    const bool remember = form_value(req, "remember") == "1";
    if (nonce.empty() || !access::digests_equal(nonce, sent_nonce))
      return login_form(ctx, res, 403, next, email, "The login form had expired. Please log in again.",
                        remember);
    const std::string address = client_address(req.remote_addr, forwarded_for(req), ctx.trusted_proxies);
    const int64_t now = ctx.clock.now();
    const std::string key = throttle_key(address);
    if (const int64_t wait = ctx.throttle.begin_attempt(email, key, now); wait > 0) {
      res.set_header("Retry-After", std::to_string(wait));
      spdlog::warn("console: login for {} from {} refused: too many failed attempts", loggable(email),
                   loggable(address));
      return login_form(ctx, res, 429, next, email,
                        "Too many failed logins. Please wait " + std::to_string((wait + 59) / 60) +
                            " minute(s) and try again.",
                        remember);
    }
    // The attempt counts as a failure from here on; what checks no password gives it back.
    auto unchecked = [&] {
      ctx.throttle.unchecked(email, key, now);
      return login_form(ctx, res, 503, next, email, "Please try again in a moment.", remember);
    };
    std::optional<store::Agent> agent;
    std::optional<std::string> hash;
    {
      auto work = ctx.store.open_unit(store::Access::kRead);
      if (!work) return unchecked();
      auto a = work->agents().find_agent_by_email(email);
      if (!a) return unchecked();
      agent = *a;
      if (agent) {
        auto h = work->agents().agent_password_hash(email);
        if (h) hash = *h;
      }
    }
    if (!ctx.password_checks.try_acquire_for(std::chrono::seconds(5))) return unchecked();
    const bool good =
        access::verify_password(hash ? *hash : decoy_hash(), password) && agent && hash && agent->active;
    ctx.password_checks.release();
    if (!good) {
      spdlog::info("console: failed login for {} from {}", loggable(email), loggable(address));
      return login_form(ctx, res, 401, next, email, "Wrong email or password.", remember);
    }
    ctx.throttle.succeeded(email, key, now);
    auto cookie = ctx.sessions.start(*agent);
    if (!cookie) return login_form(ctx, res, 503, next, email, "Please try again in a moment.", remember);
    // Unless asked to stay, the cookie ends with the browser: on a shared computer, closing
    // the browser is a logout. Either way the session itself ends as http.session_idle_minutes
    // and http.session_max_hours say.
    res.set_header(
        "Set-Cookie",
        std::string(ctx.session_cookie) + "=" + *cookie +
            cookie_attributes(ctx, "/",
                              remember ? std::optional(ctx.sessions.limits().max_seconds) : std::nullopt));
    redirect(res, next);
  });

  server.post(
      "/logout", "/logout",
      page(ctx, Need::kAgent, [&ctx](const Viewer&, const httplib::Request& req, httplib::Response& res) {
        (void)ctx.sessions.end(cookie_value(req, ctx.session_cookie));
        res.set_header("Set-Cookie", std::string(ctx.session_cookie) + "=" + cookie_attributes(ctx, "/", 0));
        redirect(res, "/login");
      }));
}

}  // namespace mailcase::console
