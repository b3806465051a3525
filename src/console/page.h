// What the console's page files share: the borrowed parts, the session check, CSRF, the
// layout and how a page is answered. Internal to src/console/.
//
// Contracts for every page file:
// - Mount routes through page(ctx, need, handler): without a live session a GET goes to
//   /login (303) and anything else gets 401; an agent on an admin page gets 403; a POST
//   (or PATCH, DELETE) without the session's CSRF token (form field "csrf", or header
//   X-CSRF-Token, which htmx sends from the body's hx-headers) gets 403 and changes nothing.
// - Build markup only with html() (console/html.h): every string is escaped there.
// - Answer with send_page() (a whole page in the layout) or send_fragment() (an htmx
//   swap); both set the console's security headers (CSP without inline script).
// - Change cases only through ctx.cases (the case services), read through pooled read
//   units (ctx.store.open_unit(store::Access::kRead)).
#pragma once

#include <httplib.h>

#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <semaphore>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "console/html.h"
#include "console/login_throttle.h"
#include "console/sessions.h"
#include "domain/clock.h"
#include "services/case_services.h"
#include "store/store.h"
#include "util/ip_range.h"
#include "web/http_server.h"

namespace mailcase::ingest {
class Pipeline;
}

namespace mailcase::console {

struct Context {
  Context(store::Store& s, services::CaseServices& c, const config::Config& conf, const domain::Clock& clk,
          std::filesystem::path dir);
  store::Store& store;
  services::CaseServices& cases;
  const config::Config& cfg;
  const domain::Clock& clock;
  std::filesystem::path data_dir;
  // The process's ingest pipeline (Console::set_ingest): retrying held mail; null: 503.
  ingest::Pipeline* ingest = nullptr;
  Sessions sessions;
  LoginThrottle throttle;
  std::vector<util::IpRange> trusted_proxies;
  // Password checks running at once: each holds 64 MiB for ~0.1 s (Argon2id), so a flood
  // of logins must queue here rather than take the machine's memory.
  std::counting_semaphore<2> password_checks{2};
  bool secure_cookies = false;  // http.public_url (or outbound.base_url) is https
  // The session's cookie name: kSecureSessionCookie when secure_cookies, else
  // kSessionCookie. Only this name is read: over https, a cookie without the prefix
  // (which anyone on the path could have set) is no session.
  std::string_view session_cookie = kSessionCookie;
};

enum class Need { kAgent, kAdmin };
// Who asks: the agent (a page opened, a form sent), or a page refreshing a part of itself
// on a timer (htmx's "every 5s"), which does not count as use of the session: a page left
// open still ends its session after http.session_idle_minutes.
enum class Use { kAgent, kRefresh };
using PageHandler = std::function<void(const Viewer&, const httplib::Request&, httplib::Response&)>;

web::HttpServer::Handler page(Context& ctx, Need need, PageHandler h, Use use = Use::kAgent);

// Sets a response header, replacing the one the server put there by default (two
// Content-Security-Policy headers would both apply: the stricter default would win).
void replace_header(httplib::Response& res, const std::string& name, const std::string& value);
// The console's security headers: CSP (scripts and styles only from us, no inline
// script, frames only from `frame_src`), no framing of the console, no sniffing, no
// referrer beyond us, nothing cached.
void set_console_headers(httplib::Response& res, std::string_view frame_src = "'none'");

// A whole page: the layout (navigation for the viewer's role, the logout form, the CSRF
// token for htmx) around body. nav: the navigation entry to mark current ("cases",
// "mail", "outbox", "admin"...).
void send_page(httplib::Response& res, int status, const Viewer& v, std::string_view title,
               std::string_view nav, const Html& body, std::string_view frame_src = "'none'");
// A page without a session (login, errors before one).
void send_bare_page(httplib::Response& res, int status, std::string_view title, const Html& body);
// A piece of a page for an htmx swap.
void send_fragment(httplib::Response& res, int status, const Html& body);
// An error page in the layout (a short message, a link back).
void send_error(httplib::Response& res, int status, const Viewer& v, std::string_view message);
// The HTTP status for a failed read or action: 404, 409, 422, 503 or 500.
int status_of(const Error& e);
// An error page for a failed read or action: its status and its message.
void send_failure(httplib::Response& res, const Viewer& v, const Error& e);
// A 503 page for what the store could not read just now: "`what` cannot be read just now.
// Please try again." The store's own words go to the log, not to the page.
void send_unreadable(httplib::Response& res, const Viewer& v, std::string_view what, const Error& e);
// The row id in a route's first capture (\d{1,18}); 0, no row's, when out of range.
store::Id row_id_of(const httplib::Request& req);
// The form fields (or query parameters) `names` of a request, each "" when absent.
std::map<std::string, std::string> fields_of(const httplib::Request& req,
                                             std::initializer_list<const char*> names);
// A list page's request: `limit` rows from the request's cursor (the first page without
// one), with the total.
store::PageRequest page_request_of(const httplib::Request& req, int limit);
// The "First page" and "Next page" links of a list at `base` (a path, with or without a
// query); empty on a list of one page.
Html pager_html(std::string_view base, const std::optional<std::string>& next, bool first);
// 303 to a path of ours.
void redirect(httplib::Response& res, std::string_view location);
// A cookie's value from the request's Cookie header ("" when absent).
std::string cookie_value(const httplib::Request& req, std::string_view name);
// Whether the request came from htmx (HX-Request: true): answer a fragment then.
bool is_htmx(const httplib::Request& req);

// A message above an admin page: what was done (`ok`), or why nothing was (`error`,
// which wins); empty when both are.
Html notice(std::string_view ok, std::string_view error);
// The admin's words for an error of the admin layer: its message ("FIELD: why" for invalid
// input), or "busy" for a temporary one; each ends "Nothing was changed."
std::string failure_text(const Error& e);

// An admin form's error for the field `name` (errors by field), below it; empty when
// it has none.
Html field_error(const std::map<std::string, std::string>& errors, const std::string& name);
// A text input of an admin form with its label, its value from `values` and its error
// from `errors` (the input then marked invalid and described by it); `extra`: more
// attributes, trusted.
Html text_input(const char* name, const char* label, const std::map<std::string, std::string>& values,
                const std::map<std::string, std::string>& errors, const char* extra = "");

// The hidden form field carrying the viewer's CSRF token.
Html csrf_field(const Viewer& v);
// The hidden form field "once": a fresh random key on every page drawn, so that a form
// sent twice (a double click, a reload of its answer) runs once (case_actions.cpp).
Html once_field();
// A form field of a url-encoded or multipart POST, or a query parameter ("" when absent).
std::string form_value(const httplib::Request& req, const std::string& name);
// A date as the store writes it (ISO 8601 UTC) in a <time> element: readable as it is,
// and shown in the reader's own time zone by console.js.
Html time_html(std::string_view iso);
// Whether `next` is a path of ours to go back to after login (no scheme, no host, no "//").
bool is_local_path(std::string_view next);
// Where a login goes back to after a form was sent with an ended session: the Referer's
// path (query included) when the Referer is of this console — its origin is
// `public_url`'s (http.public_url), or its host is the request's `host` (the Host header)
// — else "/". Browsers send the Referer to the same origin (Referrer-Policy same-origin).
// A URL with userinfo, a look-alike host, another port or scheme gives "/". Pure.
std::string referer_return_path(std::string_view referer, std::string_view host, std::string_view public_url);
// "host:port" without the scheme's default port (":443" for https, ":80" for http).
std::string authority_without_default_port(std::string authority, std::string_view scheme);

// Route files (each mounts its own paths):
void mount_login_routes(web::HttpServer& server, Context& ctx);  // /login, /logout
void mount_case_pages(web::HttpServer& server, Context& ctx);    // /, /cases, /cases/{number}…
void mount_mail_pages(web::HttpServer& server, Context& ctx);    // /mail…, /outbox…
void mount_admin_pages(web::HttpServer& server, Context& ctx);   // /admin/…
void mount_rule_pages(web::HttpServer& server, Context& ctx);    // /admin/rules…
void mount_alert_rule_pages(web::HttpServer& server, Context& ctx);  // /admin/alert-rules…
void mount_people_pages(web::HttpServer& server, Context& ctx);      // /contacts…, /accounts…
void mount_history_pages(web::HttpServer& server, Context& ctx);     // /cases/{number}/history, /admin/events

}  // namespace mailcase::console
