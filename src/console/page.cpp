#include "console/page.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "access/credentials.h"
#include "util/text.h"

namespace mailcase::console {
namespace {

bool changes_state(const httplib::Request& req) {
  return req.method != "GET" && req.method != "HEAD";
}

std::string_view effective_public_url(const config::Config& cfg) {
  return cfg.http.public_url.empty() ? std::string_view(cfg.outbound.base_url)
                                     : std::string_view(cfg.http.public_url);
}

const char* kHead =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<meta name=\"htmx-config\" content='{\"includeIndicatorStyles\":false,\"allowEval\":false,"
    "\"allowScriptTags\":false,\"selfRequestsOnly\":true,\"historyCacheSize\":0}'>"
    "<link rel=\"stylesheet\" href=\"/assets/console.css\">"
    // A page without an icon of its own makes the browser ask for /favicon.ico, a 404 each time.
    "<link rel=\"icon\" href=\"/assets/favicon.svg\" type=\"image/svg+xml\">"
    "<script src=\"/assets/htmx.min.js\" defer></script>"
    "<script src=\"/assets/console.js\" defer></script>";

// Where the login goes back to: the request's own target, query included, so that it
// returns to the same filtered list or search; for an htmx request, whose target is a
// piece of a page, the page it was made from (htmx's HX-Current-URL), else the queues.
// is_local_path checks it again at the login.
std::string return_path(const httplib::Request& req) {
  if (!is_htmx(req)) return req.target.empty() ? req.path : req.target;
  const std::string current = req.get_header_value("HX-Current-URL");
  const size_t scheme = current.find("://");
  const size_t path = scheme == std::string::npos ? std::string::npos : current.find('/', scheme + 3);
  if (path != std::string::npos && is_local_path(std::string_view(current).substr(path)))
    return current.substr(path);
  return "/";
}

// The page a form was sent from, to go back to after logging in again.
std::string form_page_path(const httplib::Request& req, std::string_view public_url) {
  return referer_return_path(req.get_header_value("Referer"), req.get_header_value("Host"), public_url);
}

// The page for a form sent after its session ended: nothing was done, and the text the
// agent typed (a reply, a note) is on the page to copy, so that it is not lost.
Html session_ended_html(const httplib::Request& req, std::string_view public_url) {
  const std::string login = "/login?next=" + text::url_encode(form_page_path(req, public_url), "/");
  Html out = html(
      "<h1>Log in</h1><p>Your session has ended, and nothing was changed. <a href=\"{}\" target=\"_blank\" "
      "rel=\"noopener\">Log in</a> (a new tab opens) and send the form again.</p>",
      login);
  const std::string typed = form_value(req, "body");
  if (!text::trim(typed).empty())
    out += html(
        "<p>Your text was not sent. Here it is, to copy into the form once you are logged in:</p>"
        "<textarea readonly rows=\"12\" aria-label=\"Your text, not sent\">{}</textarea>",
        text::make_valid_utf8(typed));
  return out;
}

}  // namespace

Context::Context(store::Store& s, services::CaseServices& c, const config::Config& conf,
                 const domain::Clock& clk, std::filesystem::path dir)
    : store(s),
      cases(c),
      cfg(conf),
      clock(clk),
      data_dir(std::move(dir)),
      sessions(s, conf.http, clk),
      throttle(conf.http.login_failures_per_account, conf.http.login_failures_per_address,
               int64_t{conf.http.login_window_minutes} * 60, 100'000,
               conf.http.login_failures_per_account_all) {
  for (const auto& p : conf.http.trusted_proxies)
    if (auto r = util::parse_ip_range(p)) trusted_proxies.push_back(*r);  // config checked them
  secure_cookies = effective_public_url(conf).starts_with("https://");
  session_cookie = secure_cookies ? kSecureSessionCookie : kSessionCookie;
}

std::string cookie_value(const httplib::Request& req, std::string_view name) {
  const std::string header = req.get_header_value("Cookie");
  std::string_view rest(header);
  while (!rest.empty()) {
    const auto semi = rest.find(';');
    std::string_view item = text::trim(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    const auto eq = item.find('=');
    if (eq != std::string_view::npos && text::trim(item.substr(0, eq)) == name)
      return std::string(text::trim(item.substr(eq + 1)));
  }
  return {};
}

web::HttpServer::Handler page(Context& ctx, Need need, PageHandler h, Use use) {
  return [&ctx, need, h = std::move(h), use](const httplib::Request& req, httplib::Response& res) {
    auto viewer = ctx.sessions.resume(cookie_value(req, ctx.session_cookie), use == Use::kAgent);
    if (!viewer) {
      send_bare_page(res, 503, "Try again",
                     html("<h1>Try again</h1><p>The console could not be reached "
                          "just now. Please try again in a moment.</p>"));
      return;
    }
    if (!*viewer) {
      const std::string login = "/login?next=" + text::url_encode(return_path(req), "/");
      if (is_htmx(req)) {
        res.set_header("HX-Redirect", login);
        send_fragment(res, 401, html("<p>Please log in again.</p>"));
      } else if (changes_state(req)) {
        send_bare_page(res, 401, "Log in", session_ended_html(req, effective_public_url(ctx.cfg)));
      } else {
        redirect(res, login);
      }
      return;
    }
    const Viewer& v = **viewer;
    if (changes_state(req)) {
      std::string sent = req.get_header_value("X-CSRF-Token");
      if (sent.empty()) sent = form_value(req, "csrf");
      if (sent.empty() || !access::digests_equal(sent, v.csrf)) {
        send_error(res, 403, v, "This form has expired. Reload the page and try again; nothing was changed.");
        return;
      }
    }
    if (need == Need::kAdmin && v.agent.role != store::AgentRole::kAdmin) {
      send_error(res, 403, v, "Only administrators can open this page.");
      return;
    }
    h(v, req, res);
  };
}

void replace_header(httplib::Response& res, const std::string& name, const std::string& value) {
  res.headers.erase(name);
  res.set_header(name, value);
}

void set_console_headers(httplib::Response& res, std::string_view frame_src) {
  replace_header(
      res, "Content-Security-Policy",
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; frame-src " +
          std::string(frame_src));
  replace_header(res, "X-Content-Type-Options", "nosniff");
  replace_header(res, "X-Frame-Options", "DENY");
  replace_header(res, "Referrer-Policy", "same-origin");
  replace_header(res, "Cache-Control", "no-store");
}

namespace {

Html nav_link(std::string_view href, std::string_view label, std::string_view key, std::string_view current) {
  if (key == current) return html("<a href=\"{}\" aria-current=\"page\">{}</a>", href, label);
  return html("<a href=\"{}\">{}</a>", href, label);
}

Html layout(const Viewer* v, std::string_view title, std::string_view nav, const Html& body) {
  Html out = Html::trusted(kHead) + html("<title>{} · mailcase</title></head>", title);
  if (!v) return out + html("<body class=\"bare\"><main id=\"main\">{}</main></body></html>", body);
  out += html(
      "<body hx-headers='{\"X-CSRF-Token\":\"{}\"}'><a class=\"skip\" href=\"#main\">Skip to content</a>",
      v->csrf);
  std::vector<Html> links = {nav_link("/", "Queues", "queues", nav),
                             nav_link("/cases", "Cases", "cases", nav),
                             nav_link("/mail", "Held and failed mail", "mail", nav),
                             nav_link("/outbox", "Outbox", "outbox", nav),
                             nav_link("/contacts", "Contacts", "contacts", nav),
                             nav_link("/accounts", "Accounts", "accounts", nav)};
  if (v->agent.role == store::AgentRole::kAdmin) links.push_back(nav_link("/admin", "Admin", "admin", nav));
  out += html(
      "<header class=\"top\"><a class=\"brand\" href=\"/\">mailcase</a><nav aria-label=\"Main\">{}</nav>"
      "<form class=\"me\" method=\"post\" action=\"/logout\">{}<span>{}</span> <button type=\"submit\">Log "
      "out</button></form></header><main id=\"main\">{}</main></body></html>",
      join(links, " "), csrf_field(*v), v->agent.name.empty() ? v->agent.email : v->agent.name, body);
  return out;
}

}  // namespace

void send_page(httplib::Response& res, int status, const Viewer& v, std::string_view title,
               std::string_view nav, const Html& body, std::string_view frame_src) {
  res.status = status;
  set_console_headers(res, frame_src);
  res.set_content(layout(&v, title, nav, body).str(), "text/html; charset=utf-8");
}

void send_bare_page(httplib::Response& res, int status, std::string_view title, const Html& body) {
  res.status = status;
  set_console_headers(res);
  res.set_content(layout(nullptr, title, "", body).str(), "text/html; charset=utf-8");
}

void send_fragment(httplib::Response& res, int status, const Html& body) {
  res.status = status;
  set_console_headers(res);
  res.set_content(body.str(), "text/html; charset=utf-8");
}

void send_error(httplib::Response& res, int status, const Viewer& v, std::string_view message) {
  const Html body = html(
      "<h1>{}</h1><p class=\"error\" role=\"alert\">{}</p><p><a href=\"/\">Back to the "
      "queues</a></p>",
      status == 404   ? "Not found"
      : status == 403 ? "Not allowed"
                      : "Not possible",
      message);
  send_page(res, status, v, status == 404 ? "Not found" : "Not possible", "", body);
}

int status_of(const Error& e) {
  switch (e.code) {
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kInvalidInput:
      return 422;
    case ErrorCode::kTemporary:
      return 503;
    default:
      return 500;
  }
}

void send_failure(httplib::Response& res, const Viewer& v, const Error& e) {
  send_error(res, status_of(e), v, e.message);
}

void send_unreadable(httplib::Response& res, const Viewer& v, std::string_view what, const Error& e) {
  spdlog::warn("console: {} cannot be read: {}", what, e.message);
  send_error(res, 503, v, std::string(what) + " cannot be read just now. Please try again.");
}

store::Id row_id_of(const httplib::Request& req) {
  try {
    return std::stoll(req.matches[1]);
  } catch (const std::exception&) {
    return 0;
  }
}

std::map<std::string, std::string> fields_of(const httplib::Request& req,
                                             std::initializer_list<const char*> names) {
  std::map<std::string, std::string> f;
  for (const char* n : names) f[n] = form_value(req, n);
  return f;
}

store::PageRequest page_request_of(const httplib::Request& req, int limit) {
  store::PageRequest pr;
  const std::string cursor = form_value(req, "cursor");
  if (!cursor.empty()) pr.cursor = cursor.substr(0, store::kMaxCursorBytes);
  pr.limit = limit;
  pr.count = true;
  return pr;
}

Html pager_html(std::string_view base, const std::optional<std::string>& next, bool first) {
  const std::string sep = base.find('?') == std::string_view::npos ? "?" : "&";
  Html out;
  if (!first) out += html("<a href=\"{}\">First page</a>", base);
  if (next) out += html("<a href=\"{}{}cursor={}\" rel=\"next\">Next page</a>", base, sep, *next);
  return out.empty() ? out : html("<nav class=\"pager\" aria-label=\"Pages\">{}</nav>", out);
}

void redirect(httplib::Response& res, std::string_view location) {
  res.status = 303;
  set_console_headers(res);
  res.set_header("Location", std::string(location));
}

bool is_htmx(const httplib::Request& req) {
  return req.get_header_value("HX-Request") == "true";
}

Html csrf_field(const Viewer& v) {
  return html("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", v.csrf);
}

Html once_field() {
  return html("<input type=\"hidden\" name=\"once\" value=\"{}\">", random_token(""));
}

std::string form_value(const httplib::Request& req, const std::string& name) {
  if (req.has_param(name.c_str())) return req.get_param_value(name.c_str());
  if (req.has_file(name.c_str())) return req.get_file_value(name.c_str()).content;
  return {};
}

Html notice(std::string_view ok, std::string_view error) {
  if (!error.empty()) return html("<p class=\"error\" role=\"alert\">{}</p>", error);
  if (!ok.empty()) return html("<p class=\"ok\" role=\"status\">{}</p>", ok);
  return {};
}

std::string failure_text(const Error& e) {
  if (e.code == ErrorCode::kTemporary)
    return "mailcase is busy; please try again in a moment. Nothing was changed.";
  return e.message + ". Nothing was changed.";
}

Html field_error(const std::map<std::string, std::string>& errors, const std::string& name) {
  auto it = errors.find(name);
  if (it == errors.end()) return {};
  return html("<p class=\"error\" id=\"e-{}\">{}</p>", name, it->second);
}

Html text_input(const char* name, const char* label, const std::map<std::string, std::string>& values,
                const std::map<std::string, std::string>& errors, const char* extra) {
  const auto value = values.find(name);
  const bool bad = errors.count(name) > 0;
  return html(
      "<label for=\"f-{}\">{}</label><input type=\"text\" id=\"f-{}\" name=\"{}\" value=\"{}\"{}{}>{}", name,
      label, name, name, value == values.end() ? std::string() : value->second, Html::trusted(extra),
      bad ? html(" aria-invalid=\"true\" aria-describedby=\"e-{}\"", name) : Html(), field_error(errors, name));
}

Html time_html(std::string_view iso) {
  // "2026-12-01T20:00:00Z" reads as "2026-12-01 20:00 UTC" until the script localizes it.
  std::string shown(iso);
  if (iso.size() >= 16 && iso[10] == 'T')
    shown = std::string(iso.substr(0, 10)) + " " + std::string(iso.substr(11, 5)) + " UTC";
  return html("<time datetime=\"{}\">{}</time>", iso, shown);
}

namespace {

// An absolute http(s) URL's origin: its scheme and its host[:port], in lower case, the
// scheme's default port left out. None for another scheme, no host, or an authority with
// userinfo ("https://help.example.com@evil.example/" is evil.example's). The authority
// ends at "/", "?", "#" or a backslash (which browsers read as "/").
struct Origin {
  std::string scheme, authority;  // authority: host[:port], lower case
  size_t length = 0;              // of the origin's text in the URL
};
std::optional<Origin> origin_of(std::string_view url) {
  const size_t colon = url.find("://");
  if (colon == std::string_view::npos) return std::nullopt;
  Origin o;
  o.scheme = text::ascii_lower(url.substr(0, colon));
  if (o.scheme != "http" && o.scheme != "https") return std::nullopt;
  const size_t start = colon + 3;
  const size_t end = std::min(url.find_first_of("/?#\\", start), url.size());
  const std::string_view authority = url.substr(start, end - start);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  o.authority = authority_without_default_port(text::ascii_lower(authority), o.scheme);
  o.length = end;
  return o;
}

}  // namespace

std::string authority_without_default_port(std::string authority, std::string_view scheme) {
  const std::string_view port = scheme == "https" ? ":443" : scheme == "http" ? ":80" : "";
  if (!port.empty() && authority.size() > port.size() && authority.ends_with(port))
    authority.resize(authority.size() - port.size());
  return authority;
}

std::string referer_return_path(std::string_view referer, std::string_view host,
                                std::string_view public_url) {
  const auto from = origin_of(referer);
  if (!from) return "/";
  const auto ours = origin_of(public_url);
  const bool same_public = ours && ours->scheme == from->scheme && ours->authority == from->authority;
  // The Host header carries no scheme: the request came to this server under that name.
  const bool same_host = !host.empty() && authority_without_default_port(text::ascii_lower(host),
                                                                         from->scheme) == from->authority;
  std::string local(referer.substr(from->length));
  if (local.empty()) local = "/";
  return (same_public || same_host) && is_local_path(local) ? local : "/";
}

bool is_local_path(std::string_view next) {
  if (next.empty() || next.size() > 2048 || next[0] != '/') return false;
  if (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) return false;
  for (char c : next)
    if (c == '\\' || static_cast<unsigned char>(c) < 0x20) return false;
  return true;
}

}  // namespace mailcase::console
