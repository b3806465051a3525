// The administrators' pages: routing addresses, mailboxes (with their agents' live state
// and the `test` action), templates and agents. Every write goes through admin/admin.h,
// as the command line's and the REST API's do; a mailbox's secrets are sent as values and
// kept by mailcase (never a file path or a command over HTTP), and a password is never
// shown back. What is changed here takes effect in the running serve: routing addresses
// are read for every mail, templates are read again when their file changed, and serve
// follows the mailboxes in the store (channels/agent_roster.h).
#include <fcntl.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>

#include "access/credentials.h"
#include "admin/admin.h"
#include "channels/mailbox_agent.h"
#include "console/admin_forms.h"
#include "console/case_logic.h"
#include "console/page.h"
#include "metrics/scrape.h"
#include "outbound/templates.h"
#include "util/text.h"

namespace mailcase::console {
namespace {

constexpr const char* kNameSegment = R"(([A-Za-z0-9._-]{1,64}))";
constexpr const char* kEmailSegment = R"(([^/]{1,320}))";
constexpr const char* kWordSegment = R"(([a-z]{1,32}))";

Html checkbox(const char* name, const char* label, bool on) {
  return html("<label class=\"check\"><input type=\"checkbox\" name=\"{}\" value=\"yes\"{}> {}</label>", name,
              Html::trusted(on ? " checked" : ""), label);
}

Html text_input(const char* name, const char* label, std::string_view value, const char* extra = "") {
  return html("<label for=\"f-{}\">{}</label><input type=\"text\" id=\"f-{}\" name=\"{}\" value=\"{}\"{}>",
              name, label, name, name, value, Html::trusted(extra));
}

Html select_input(const char* name, const char* label, std::string_view value,
                  const std::vector<std::string>& options) {
  Html opts;
  for (const auto& o : options)
    opts += html("<option{}>{}</option>", Html::trusted(o == value ? " selected" : ""), o);
  return html("<label for=\"f-{}\">{}</label><select id=\"f-{}\" name=\"{}\">{}</select>", name, label, name,
              name, opts);
}

Html crumbs(std::string_view here) {
  return html("<p class=\"meta\"><a href=\"/admin\">Admin</a> › {}</p>", here);
}

// ---- /admin

void admin_index(const Viewer& v, httplib::Response& res) {
  send_page(
      res, 200, v, "Admin", "admin",
      html("<h1>Administration</h1><ul class=\"admin-links\">"
           "<li><a href=\"/admin/addresses\">Routing addresses</a>: the addresses mail comes to, and the "
           "queue, product and priority of the cases each makes.</li>"
           "<li><a href=\"/admin/mailboxes\">Mailboxes</a>: the IMAP and POP3 accounts mailcase fetches "
           "from, their agents' state, and a test of each.</li>"
           "<li><a href=\"/admin/templates\">Templates</a>: the mails customers get, per language.</li>"
           "<li><a href=\"/admin/agents\">Agents</a>: who works cases, their roles and passwords.</li>"
           "<li><a href=\"/admin/rules\">Assignment rules</a>: the queue, owner, priority and product "
           "a new case gets from its mail, and a test of a mail.</li>"
           "<li><a href=\"/admin/alert-rules\">Alert rules</a>: which mails are a monitoring system's "
           "alerts, in which format, for which account.</li>"
           "<li><a href=\"/admin/events\">Log</a>: who added or changed agents, tokens and rules, and who "
           "dismissed which mail.</li>"
           "</ul><p class=\"meta\">Changes here take effect at once in the running mailcase.</p>"));
}

// ---- routing addresses

void addresses_page(Context& ctx, const Viewer& v, httplib::Response& res, int status, const Html& message,
                    const Fields& form) {
  std::vector<store::RoutingAddress> all;
  {
    auto unit = ctx.store.open_unit(store::Access::kRead);
    if (!unit) return send_error(res, 503, v, "The addresses cannot be read just now; please try again.");
    // Routing addresses are a handful (one per address mail comes to): listed whole.
    auto list = unit->routing().list_addresses();
    if (!list) return send_error(res, 503, v, "The addresses cannot be read just now; please try again.");
    all = std::move(*list);
  }
  Html rows;
  for (const auto& a : all) {
    rows += html(
        "<tr><td>{}</td><td>{}</td><td class=\"optional\">{}</td><td class=\"optional\">{}</td>"
        "<td class=\"optional\">{}</td><td>{}</td><td>{}</td><td class=\"actions\">"
        "<a href=\"/admin/addresses?edit={}#address-form\">Change</a>"
        "<form class=\"inline\" method=\"post\" action=\"/admin/addresses/remove\" data-confirm=\"Remove the "
        "routing address {}?\">{}<input type=\"hidden\" name=\"email\" value=\"{}\"><button type=\"submit\" "
        "class=\"secondary\">Remove</button></form></td></tr>",
        a.email, a.queue.empty() ? "(default)" : a.queue, a.product,
        a.priority.empty() ? "(default)" : a.priority, a.subject_prefix,
        a.unknown_sender == "hold" ? "held" : "become contacts", a.creates_cases ? "yes" : "no",
        url_encode(a.email), a.email, csrf_field(v), a.email);
  }
  Html table = all.empty()
                   ? html("<p>No routing addresses yet: every mail is taken, into the default queue.</p>")
                   : html(
                         "<table><thead><tr><th>Address</th><th>Queue</th><th class=\"optional\">Product"
                         "</th><th class=\"optional\">Priority</th><th class=\"optional\">Subject prefix"
                         "</th><th>Unknown senders</th><th>Creates cases</th><th>Actions</th></tr></thead>"
                         "<tbody>{}</tbody></table>",
                         rows);
  const bool creates = form.empty() || !field(form, "creates_cases").empty();
  const std::string unknown =
      field(form, "unknown_sender").empty() ? "create" : field(form, "unknown_sender");
  Html f = html(
      "<h2 id=\"address-form\">Add or change an address</h2><p class=\"meta\">An address that exists is "
      "changed.</p><form method=\"post\" action=\"/admin/addresses\" class=\"card\">{}"
      "<label for=\"f-email\">Address</label><input type=\"email\" id=\"f-email\" name=\"email\" required "
      "value=\"{}\">{}{}{}{}{}{}{}<div class=\"actions\"><button type=\"submit\">Save the "
      "address</button></div>"
      "</form>",
      csrf_field(v), field(form, "email"),
      text_input("queue", "Queue (empty: the default queue)", field(form, "queue")),
      text_input("product", "Product", field(form, "product")),
      text_input("priority", "Priority (empty: the default)", field(form, "priority")),
      text_input("subject_prefix", "Subject prefix a new case's subject must start with (empty: none)",
                 field(form, "subject_prefix")),
      text_input("process", "Process its new cases follow (empty: none)", field(form, "process")),
      select_input("unknown_sender", "Mail from unknown senders", unknown, {"create", "hold"}),
      checkbox("creates_cases", "Mail to this address creates cases", creates));
  send_page(res, status, v, "Routing addresses", "admin",
            crumbs("Routing addresses") + html("<h1>Routing addresses</h1>") + message + table + f);
}

void addresses_get(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  Fields form;
  if (const std::string edit = req.get_param_value("edit"); !edit.empty()) {
    auto unit = ctx.store.open_unit(store::Access::kRead);
    if (unit) {
      if (auto list = unit->routing().list_addresses()) {
        for (const auto& a : *list) {
          if (a.email != text::normalize_email(edit)) continue;
          form = {{"email", a.email},
                  {"queue", a.queue},
                  {"product", a.product},
                  {"priority", a.priority},
                  {"subject_prefix", a.subject_prefix},
                  {"process", a.process},
                  {"unknown_sender", a.unknown_sender},
                  {"creates_cases", a.creates_cases ? "yes" : ""}};
        }
      }
    }
  }
  Html message;
  if (auto s = req.get_param_value("saved"); !s.empty()) message = notice("Saved the address " + s + ".", "");
  if (auto s = req.get_param_value("removed"); !s.empty())
    message = notice("Removed the address " + s + ".", "");
  addresses_page(ctx, v, res, 200, message, form);
}

void addresses_post(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  const Fields f = fields_of(req, {"email", "queue", "product", "priority", "subject_prefix",
                                   "unknown_sender", "creates_cases", "process"});
  auto parsed = address_from_form(f);
  if (parsed.invalid)
    return addresses_page(
        ctx, v, res, 422,
        notice("", parsed.invalid->field + ": " + parsed.invalid->message + ". Nothing was changed."), f);
  auto put = admin::put_routing_address(ctx.store, parsed.address, v.agent.email);
  if (!put) return addresses_page(ctx, v, res, 422, notice("", failure_text(put.error())), f);
  spdlog::info("console: {} saved the routing address {}", v.agent.email, put->address.email);
  redirect(res, "/admin/addresses?saved=" + url_encode(put->address.email));
}

void addresses_remove(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  const std::string email = text::normalize_email(form_value(req, "email").substr(0, 320));
  auto st = admin::remove_routing_address(ctx.store, email, v.agent.email);
  if (!st) {
    const std::string why = st.error().code == ErrorCode::kNotFound
                                ? "There is no routing address " + email + ". Nothing was changed."
                                : failure_text(st.error());
    return addresses_page(ctx, v, res, st.error().code == ErrorCode::kNotFound ? 404 : 503, notice("", why),
                          {});
  }
  spdlog::info("console: {} removed the routing address {}", v.agent.email, email);
  redirect(res, "/admin/addresses?removed=" + url_encode(email));
}

// ---- mailboxes

struct MailboxRow {
  store::Mailbox m;
  store::MailboxState state;
};

Result<std::vector<MailboxRow>> read_mailboxes(Context& ctx) {
  MC_ASSIGN_OR_RETURN(auto unit, ctx.store.open_unit(store::Access::kRead));
  // Mailboxes are a handful (one per IMAP/POP3 account): read whole, with their state.
  MC_ASSIGN_OR_RETURN(auto all, unit.mailboxes().list_mailboxes());
  std::vector<MailboxRow> out;
  for (auto& m : all) {
    MC_ASSIGN_OR_RETURN(auto st, unit.mailboxes().mailbox_state(m.name));
    out.push_back({std::move(m), std::move(st)});
  }
  return out;
}

Html server_of(const store::Mailbox& m) {
  return html("{} {}@{}:{} {}", domain::to_string(m.protocol), m.user, m.host, m.port,
              m.protocol == domain::Protocol::kImap ? m.folder : std::string());
}

Html state_of(const store::MailboxState& st) {
  const bool connected = metrics::mailbox_connected(st.status);
  return html("<span class=\"badge {}\">{}</span> <span class=\"meta\">{}</span>",
              connected ? "connected" : "disconnected", connected ? "connected" : "not connected", st.status);
}

Html last_fetch_of(const store::MailboxState& st) {
  return st.last_success.empty() ? html("never") : time_html(st.last_success);
}

// The mailbox's settings form: new (an empty base) or a change of `base`.
Html mailbox_form(const Viewer& v, const std::optional<store::Mailbox>& base, const Fields& echo) {
  auto val = [&](const char* name, std::string fallback) {
    auto it = echo.find(name);
    return it != echo.end() ? it->second : fallback;
  };
  const store::Mailbox d = base.value_or(store::Mailbox{});
  const bool fresh = !base;
  auto on = [&](const char* name, bool fallback) {
    if (echo.empty()) return fallback;
    return !field(echo, name).empty();
  };
  const std::string after = base ? domain::to_string(d.after) : std::string();
  Html name =
      fresh ? text_input("name", "Name (A-Z a-z 0-9 . _ -)", val("name", ""), " required maxlength=\"64\"")
            : Html();
  Html secret_note = fresh ? html(
                                 "<p class=\"meta\">The password is kept by mailcase, readable by its "
                                 "service user alone; it is "
                                 "never shown again.</p>")
                           : html(
                                 "<p class=\"meta\">Leave the password empty to keep the one the mailbox "
                                 "has; it is never shown. "
                                 "A password given here is kept by mailcase.</p>");
  return html(
      "<form method=\"post\" action=\"{}\" class=\"card\" id=\"mailbox-form\">{}{}{}{}{}{}{}"
      "<label for=\"f-password\">Password</label><input type=\"password\" id=\"f-password\" "
      "name=\"password\" "
      "autocomplete=\"new-password\"{}>{}{}{}{}{}{}{}{}{}"
      "<label for=\"f-ca\">CA certificate of a private server (PEM; empty: {})</label>"
      "<textarea id=\"f-ca\" name=\"ca_certificate\"></textarea>"
      "<div class=\"actions\"><button type=\"submit\">{}</button></div></form>",
      fresh ? std::string("/admin/mailboxes") : "/admin/mailboxes/" + d.name, csrf_field(v), name,
      select_input("protocol", "Protocol", val("protocol", domain::to_string(d.protocol)), {"imap", "pop3"}),
      text_input("host", "Server host name", val("host", d.host), " required"),
      text_input("port", "Port", val("port", d.port ? std::to_string(d.port) : std::string()),
                 " required inputmode=\"numeric\""),
      select_input("tls", "TLS", val("tls", domain::to_string(d.tls)), {"implicit", "starttls", "none"}),
      text_input("user", "User name", val("user", d.user), " required autocomplete=\"off\""),
      Html::trusted(fresh ? " required" : ""), secret_note,
      text_input("folder", "Folder (IMAP)", val("folder", d.folder)),
      text_input("poll_interval_s", "Poll interval in seconds",
                 val("poll_interval_s", std::to_string(d.poll_interval_s)), " inputmode=\"numeric\""),
      text_input("after",
                 "After fetching: delete, seen, move:FOLDER or keep (empty: seen for IMAP, delete for POP3)",
                 val("after", after)),
      text_input("address", "Routing address its mail counts as delivered to (empty: the mail's own)",
                 val("address", d.address)),
      checkbox("idle", "Use IMAP IDLE when the server has it", on("idle", d.idle)),
      checkbox("tls_verify", "Verify the server's certificate", on("tls_verify", d.tls_verify)),
      checkbox("allow_plaintext_auth", "Allow the password without TLS (a trusted network only)",
               on("allow_plaintext_auth", d.allow_plaintext_auth)),
      Html(), fresh || d.ca_file.empty() ? "the system's CAs" : "keep the one it has",
      fresh ? "Add the mailbox" : "Save the changes");
}

const std::initializer_list<const char*> kMailboxFields = {"name",
                                                           "protocol",
                                                           "host",
                                                           "port",
                                                           "tls",
                                                           "user",
                                                           "password",
                                                           "folder",
                                                           "after",
                                                           "address",
                                                           "idle",
                                                           "tls_verify",
                                                           "allow_plaintext_auth",
                                                           "poll_interval_s",
                                                           "ca_certificate"};

// The form's fields to show again after an error: never the password or certificate.
Fields echo_of(Fields f) {
  f.erase("password");
  f.erase("ca_certificate");
  return f;
}

// The mailboxes' table with their agents' state, in a block that htmx reloads every few
// seconds (/admin/mailbox-states): the state a page shows stays live without a reload.
Html mailbox_states(const std::vector<MailboxRow>& rows) {
  Html body;
  for (const auto& r : rows) {
    body += html(
        "<tr><td><a href=\"/admin/mailboxes/{}\">{}</a></td><td class=\"optional\">{}</td><td>{}</td>"
        "<td>{}</td><td>{}</td><td class=\"error\">{}</td></tr>",
        r.m.name, r.m.name, server_of(r.m), state_of(r.state), last_fetch_of(r.state), r.state.backlog,
        r.state.last_error);
  }
  Html table = rows.empty()
                   ? html("<p>No mailboxes yet.</p>")
                   : html(
                         "<table><thead><tr><th>Name</th><th class=\"optional\">Server</th><th>State</th>"
                         "<th>Last fetch</th><th>Backlog</th><th>Last error</th></tr></thead><tbody>{}"
                         "</tbody></table>",
                         body);
  return html(
      "<div id=\"mailbox-states\" hx-get=\"/admin/mailbox-states\" hx-trigger=\"every 5s\" "
      "hx-swap=\"outerHTML\">{}<p class=\"meta\">The state each mailbox's agent last recorded, "
      "brought up to date every few seconds.</p></div>",
      table);
}

void mailboxes_page(Context& ctx, const Viewer& v, httplib::Response& res, int status, const Html& message,
                    const Fields& echo) {
  auto rows = read_mailboxes(ctx);
  if (!rows) return send_error(res, 503, v, "The mailboxes cannot be read just now; please try again.");
  send_page(res, status, v, "Mailboxes", "admin",
            crumbs("Mailboxes") + html("<h1>Mailboxes</h1>") + message + mailbox_states(*rows) +
                html("<h2>Add a mailbox</h2>") + mailbox_form(v, std::nullopt, echo));
}

void mailbox_page(Context& ctx, const Viewer& v, const std::string& name, httplib::Response& res, int status,
                  const Html& message, const Fields& echo) {
  auto rows = read_mailboxes(ctx);
  if (!rows) return send_error(res, 503, v, "The mailboxes cannot be read just now; please try again.");
  for (const auto& r : *rows) {
    if (r.m.name != name) continue;
    Html auth = r.m.auth == domain::AuthMethod::kXOAuth2
                    ? html(
                          "<p class=\"meta\">It signs in with XOAUTH2 (a token command set with `mailcase "
                          "mailbox add`).</p>")
                    : Html();
    Html page =
        crumbs("Mailboxes") + html("<h1>Mailbox {}</h1>", name) + message +
        html(
            "<dl class=\"card\"><dt>Server</dt><dd>{}</dd><dt>State</dt><dd>{}</dd><dt>Last fetch</dt>"
            "<dd>{}</dd><dt>Backlog</dt><dd>{}</dd><dt>Last error</dt><dd class=\"error\">{}</dd></dl>{}",
            server_of(r.m), state_of(r.state), last_fetch_of(r.state), r.state.backlog,
            r.state.last_error.empty() ? std::string("none") : r.state.last_error, auth) +
        html(
            "<div class=\"actions\"><form class=\"inline\" method=\"post\" "
            "action=\"/admin/mailboxes/{}/test\">"
            "{}<button type=\"submit\">Test the connection</button></form>"
            "<form class=\"inline\" method=\"post\" action=\"/admin/mailboxes/{}/remove\" "
            "data-confirm=\"Remove the mailbox {}? Its mail stays on its server.\">{}<button "
            "type=\"submit\" class=\"danger\">Remove the mailbox</button></form></div>",
            name, csrf_field(v), name, name, csrf_field(v)) +
        html("<h2>Change its settings</h2>") + mailbox_form(v, r.m, echo);
    return send_page(res, status, v, "Mailbox " + name, "admin", page);
  }
  send_error(res, 404, v, "There is no mailbox named " + name + ".");
}

std::optional<store::Mailbox> find_mailbox(Context& ctx, const std::string& name, bool& readable) {
  readable = true;
  auto rows = read_mailboxes(ctx);
  if (!rows) {
    readable = false;
    return std::nullopt;
  }
  for (auto& r : *rows)
    if (r.m.name == name) return r.m;
  return std::nullopt;
}

Html errors_html(const std::vector<admin::Invalid>& errors) {
  std::vector<Html> items;
  for (const auto& e : errors) items.push_back(html("<li>{}: {}</li>", e.field, e.message));
  return html("<div class=\"error\" role=\"alert\"><p>The mailbox was not saved:</p><ul>{}</ul></div>",
              join(items));
}

void mailboxes_post(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  const Fields f = fields_of(req, kMailboxFields);
  auto parsed = mailbox_from_form(f, std::nullopt);
  if (!parsed.errors.empty()) return mailboxes_page(ctx, v, res, 422, errors_html(parsed.errors), echo_of(f));
  auto added = admin::add_mailbox(ctx.store, ctx.data_dir, parsed.mailbox, parsed.secrets, v.agent.email);
  sodium_memzero(parsed.secrets.password ? parsed.secrets.password->data() : nullptr,
                 parsed.secrets.password ? parsed.secrets.password->size() : 0);
  if (!added) {
    const std::string why =
        added.error().code == ErrorCode::kConflict
            ? "A mailbox named " + parsed.mailbox.name + " exists already. Nothing was changed."
            : failure_text(added.error());
    return mailboxes_page(ctx, v, res, added.error().code == ErrorCode::kTemporary ? 503 : 422,
                          notice("", why), echo_of(f));
  }
  spdlog::info("console: {} added the mailbox {}", v.agent.email, added->name);
  redirect(res, "/admin/mailboxes/" + added->name + "?saved=1");
}

void mailbox_change(Context& ctx, const Viewer& v, const std::string& name, const httplib::Request& req,
                    httplib::Response& res) {
  bool readable = true;
  auto base = find_mailbox(ctx, name, readable);
  if (!readable)
    return send_error(res, 503, v, "The mailboxes cannot be read just now; nothing was changed.");
  if (!base) return send_error(res, 404, v, "There is no mailbox named " + name + ". Nothing was changed.");
  const Fields f = fields_of(req, kMailboxFields);
  auto parsed = mailbox_from_form(f, base);
  if (!parsed.errors.empty())
    return mailbox_page(ctx, v, name, res, 422, errors_html(parsed.errors), echo_of(f));
  auto changed =
      admin::change_mailbox(ctx.store, ctx.data_dir, parsed.mailbox, parsed.secrets, v.agent.email);
  sodium_memzero(parsed.secrets.password ? parsed.secrets.password->data() : nullptr,
                 parsed.secrets.password ? parsed.secrets.password->size() : 0);
  if (!changed)
    return mailbox_page(ctx, v, name, res, changed.error().code == ErrorCode::kTemporary ? 503 : 422,
                        notice("", failure_text(changed.error())), echo_of(f));
  spdlog::info("console: {} changed the mailbox {}", v.agent.email, name);
  redirect(res, "/admin/mailboxes/" + name + "?saved=1");
}

void mailbox_test(Context& ctx, const Viewer& v, const std::string& name, httplib::Response& res) {
  bool readable = true;
  auto m = find_mailbox(ctx, name, readable);
  if (!readable) return send_error(res, 503, v, "The mailboxes cannot be read just now; please try again.");
  if (!m) return send_error(res, 404, v, "There is no mailbox named " + name + ".");
  store::MailboxState state;
  if (auto unit = ctx.store.open_unit(store::Access::kRead))
    if (auto s = unit->mailboxes().mailbox_state(name)) state = *s;
  // What `mailcase mailbox test` does: connect, authenticate, open the folder, count.
  auto r = channels::probe_mailbox(*m, state);
  Html message;
  if (!r) {
    message = html("<div class=\"error\" role=\"alert\" id=\"test-result\"><p>Test failed: {}</p></div>",
                   r.error().message);
  } else {
    std::string caps;
    for (const auto& c : r->capabilities) caps += (caps.empty() ? "" : " ") + c;
    message = html(
        "<div class=\"ok\" role=\"status\" id=\"test-result\"><p>Test passed: connected to {}:{} and "
        "authenticated as {}. Waiting: {}.</p><p class=\"meta\">Capabilities: {}</p></div>",
        m->host, m->port, m->user, r->waiting, caps);
  }
  mailbox_page(ctx, v, name, res, 200, message, {});
}

void mailbox_remove(Context& ctx, const Viewer& v, const std::string& name, httplib::Response& res) {
  auto st = admin::remove_mailbox(ctx.store, ctx.data_dir, name, v.agent.email);
  if (!st) {
    if (st.error().code == ErrorCode::kNotFound)
      return send_error(res, 404, v, "There is no mailbox named " + name + ". Nothing was changed.");
    return send_error(res, 503, v, failure_text(st.error()));
  }
  spdlog::info("console: {} removed the mailbox {}", v.agent.email, name);
  redirect(res, "/admin/mailboxes?removed=" + name);
}

// ---- templates

std::filesystem::path template_file(const Context& ctx, const std::string& lang, const std::string& kind) {
  return ctx.data_dir / "templates" / lang / (kind + ".txt");
}

// The template's text as mailcase uses it: its file, or the built-in text when it has none.
std::string template_text(const Context& ctx, const std::string& lang, const std::string& kind,
                          bool& custom) {
  std::ifstream in(template_file(ctx, lang, kind), std::ios::binary);
  std::string text;
  if (in) text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  custom = !text.empty();
  return custom ? text : outbound::builtin_template(kind, lang);
}

// text into the template's file whole or not at all (a file beside it, renamed over it),
// the service user's alone. The renamed file is a new one: the running serve's template
// cache sees it changed.
Status write_template(const Context& ctx, const std::string& lang, const std::string& kind,
                      const std::string& text) {
  const auto file = template_file(ctx, lang, kind);
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec)
    return fail(ErrorCode::kTemporary, "cannot create " + file.parent_path().string() + ": " + ec.message());
  const std::string tmp = file.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return fail(ErrorCode::kTemporary, "cannot write " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  bool ok = true;
  while (ok && done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
    const int e = ok ? errno : err;
    ::unlink(tmp.c_str());
    return fail(ErrorCode::kTemporary, "cannot write " + file.string() + ": " + std::strerror(e));
  }
  return {};
}

void templates_list(Context& ctx, const Viewer& v, httplib::Response& res) {
  Html head;
  for (const auto& lang : outbound::template_languages()) head += html("<th>{}</th>", lang);
  Html rows;
  for (const auto& kind : outbound::template_kinds()) {
    Html cells;
    for (const auto& lang : outbound::template_languages()) {
      bool custom = false;
      (void)template_text(ctx, lang, kind, custom);
      cells += html("<td><a href=\"/admin/templates/{}/{}\">{} {}</a>{}</td>", lang, kind, kind, lang,
                    custom ? Html() : html(" <span class=\"meta\">(built-in)</span>"));
    }
    rows += html("<tr><th scope=\"row\">{}</th>{}</tr>", kind, cells);
  }
  send_page(
      res, 200, v, "Templates", "admin",
      crumbs("Templates") +
          html("<h1>Templates</h1><p>The mails customers get, one per kind and language "
               "(DATA/templates/LANGUAGE/KIND.txt). A customer whose language has none gets English.</p>"
               "<table><thead><tr><th>Kind</th>{}</tr></thead><tbody>{}</tbody></table>",
               head, rows));
}

void template_page(Context& ctx, const Viewer& v, const std::string& lang, const std::string& kind,
                   httplib::Response& res, int status, const Html& message,
                   const std::optional<std::string>& echo) {
  bool custom = false;
  const std::string text = echo ? *echo : template_text(ctx, lang, kind, custom);
  send_page(
      res, status, v, "Template " + kind + " " + lang, "admin",
      crumbs("Templates") + html("<h1>Template: {} ({})</h1>", kind, lang) + message +
          html(
              "<p class=\"meta\">The first line is \"Subject: …\", then a blank line, then the text. Values: "
              "{{{case_number}}}, {{{case_tag}}}, {{{subject}}}, {{{contact_name}}}, {{{body}}}, {{{link}}}, "
              "{{{accept_link}}}, {{{reject_link}}}, {{{survey_link}}}, {{{from_name}}}. The next mail sent "
              "uses "
              "what is saved here.</p>"
              "<form method=\"post\" action=\"/admin/templates/{}/{}\" class=\"card\">{}"
              "<label for=\"f-text\">Text</label><textarea id=\"f-text\" name=\"text\" rows=\"16\" "
              "required>{}</textarea><div class=\"actions\"><button type=\"submit\">Save the "
              "template</button>"
              "</div></form>",
              lang, kind, csrf_field(v), text));
}

void template_post(Context& ctx, const Viewer& v, const std::string& lang, const std::string& kind,
                   const httplib::Request& req, httplib::Response& res) {
  std::string text = form_value(req, "text");
  // Browsers send a textarea's lines with CRLF: kept as the file's own line ends.
  std::string lf;
  lf.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i)
    if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) lf += text[i];
  if (!lf.empty() && lf.back() != '\n') lf += '\n';
  if (auto why = outbound::template_problem(lf); !why.empty())
    return template_page(
        ctx, v, lang, kind, res, 422,
        notice("", "The template was not saved: " + why + ". Nothing was changed."),
        lf.size() <= outbound::kMaxTemplateBytes ? std::optional<std::string>(lf) : std::nullopt);
  if (auto st = write_template(ctx, lang, kind, lf); !st)
    return template_page(ctx, v, lang, kind, res, 503, notice("", failure_text(st.error())), lf);
  spdlog::info("console: {} saved the template {} {}", v.agent.email, kind, lang);
  template_page(ctx, v, lang, kind, res, 200, notice("Saved. The next mail of this kind uses it.", ""),
                std::nullopt);
}

// ---- agents

void agents_page(Context& ctx, const Viewer& v, httplib::Response& res, int status, const Html& message,
                 const Fields& echo) {
  std::vector<store::Agent> all;
  {
    auto unit = ctx.store.open_unit(store::Access::kRead);
    if (!unit) return send_error(res, 503, v, "The agents cannot be read just now; please try again.");
    // Agents are a help desk's people: tens, listed whole by email.
    auto list = unit->agents().list_agents();
    if (!list) return send_error(res, 503, v, "The agents cannot be read just now; please try again.");
    all = std::move(*list);
  }
  Html rows;
  for (const auto& a : all) {
    rows += html("<tr><td><a href=\"/admin/agents/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                 url_encode(a.email), a.name, a.email, store::to_string(a.role),
                 a.active ? "active" : "disabled");
  }
  const std::string role = field(echo, "role").empty() ? "agent" : field(echo, "role");
  send_page(
      res, status, v, "Agents", "admin",
      crumbs("Agents") + html("<h1>Agents</h1>") + message +
          html("<table><thead><tr><th>Name</th><th>Email</th><th>Role</th><th>State</th></tr></thead>"
               "<tbody>{}</tbody></table><h2>Add an agent</h2><form method=\"post\" action=\"/admin/agents\" "
               "class=\"card\">{}{}<label for=\"f-email\">Email</label><input type=\"email\" id=\"f-email\" "
               "name=\"email\" required value=\"{}\">{}<p class=\"meta\">Set a password on the agent's page "
               "once added.</p><div class=\"actions\"><button type=\"submit\">Add the agent</button></div>"
               "</form>",
               rows, csrf_field(v), text_input("name", "Name", field(echo, "name"), " required"),
               field(echo, "email"), select_input("role", "Role", role, {"agent", "admin"})));
}

void agents_post(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  const Fields f = fields_of(req, {"name", "email", "role"});
  std::vector<std::string> errors;
  const std::string name(text::trim(field(f, "name")));
  if (name.empty() || name.size() > admin::kMaxNameBytes || !text::is_clean_text(name, true))
    errors.push_back("name: one line of 1 to " + std::to_string(admin::kMaxNameBytes) + " bytes");
  if (auto why = store::agent_email_problem(std::string(text::trim(field(f, "email")))); !why.empty())
    errors.push_back("email: " + why);
  if (!store::parse_agent_role(field(f, "role"))) errors.push_back("role: agent or admin");
  if (!errors.empty()) {
    std::string all;
    for (const auto& e : errors) all += (all.empty() ? "" : "; ") + e;
    return agents_page(ctx, v, res, 422,
                       notice("", "The agent was not added: " + all + ". Nothing was changed."), f);
  }
  auto a = admin::agent_from(name, text::trim(field(f, "email")), field(f, "role"));
  if (!a) return agents_page(ctx, v, res, 422, notice("", failure_text(a.error())), f);
  auto added = admin::add_agent(ctx.store, *a, v.agent.email, ctx.cfg.outbound.from_address);
  if (!added) {
    const std::string why = added.error().code == ErrorCode::kConflict
                                ? a->email + " is an agent already. Nothing was changed."
                                : failure_text(added.error());
    return agents_page(ctx, v, res, added.error().code == ErrorCode::kTemporary ? 503 : 422, notice("", why),
                       f);
  }
  redirect(res, "/admin/agents/" + url_encode(added->email) + "?added=1");
}

void agent_page(Context& ctx, const Viewer& v, const std::string& email, httplib::Response& res, int status,
                const Html& message) {
  std::optional<store::Agent> agent;
  {
    auto unit = ctx.store.open_unit(store::Access::kRead);
    if (!unit) return send_error(res, 503, v, "The agent cannot be read just now; please try again.");
    auto found = unit->agents().find_agent_by_email(email);
    if (!found) return send_error(res, 503, v, "The agent cannot be read just now; please try again.");
    agent = *found;
  }
  if (!agent) return send_error(res, 404, v, "There is no agent " + email + ".");
  const store::Agent& a = *agent;
  const std::string base = "/admin/agents/" + url_encode(a.email);
  const bool self = a.email == v.agent.email;
  Html active_form =
      self ? html("<p class=\"meta\">You cannot disable yourself.</p>")
           : html(
                 "<form method=\"post\" action=\"{}/active\" class=\"inline\">{}<input type=\"hidden\" "
                 "name=\"active\" value=\"{}\"><button type=\"submit\" class=\"{}\">{}</button></form>",
                 base, csrf_field(v), a.active ? "no" : "yes", a.active ? "danger" : "secondary",
                 a.active ? "Disable the agent" : "Enable the agent");
  Html role_form =
      self ? html("<p class=\"meta\">You cannot change your own role.</p>")
           : html(
                 "<form method=\"post\" action=\"{}/role\" class=\"card\">{}{}<div class=\"actions\">"
                 "<button type=\"submit\">Change the role</button></div></form>",
                 base, csrf_field(v),
                 select_input("role", "Role", store::to_string(a.role), {"agent", "admin"}));
  send_page(
      res, status, v, "Agent " + a.email, "admin",
      crumbs("Agents") + html("<h1>{}</h1>", a.name) + message +
          html("<dl class=\"card\"><dt>Email</dt><dd>{}</dd><dt>Role</dt><dd>{}</dd><dt>State</dt><dd>{}</dd>"
               "</dl><div class=\"actions\">{}</div><h2>Role</h2>{}<h2>Password</h2>"
               "<form method=\"post\" action=\"{}/password\" class=\"card\">{}<label for=\"f-password\">New "
               "password ({} characters or more)</label><input type=\"password\" id=\"f-password\" "
               "name=\"password\" autocomplete=\"new-password\" required><p class=\"meta\">Setting it ends "
               "the agent's sessions: they log in again with it.</p><div class=\"actions\"><button "
               "type=\"submit\">Set the password</button></div></form>",
               a.email, store::to_string(a.role), a.active ? "active" : "disabled", active_form, role_form,
               base, csrf_field(v), static_cast<int>(access::kMinPasswordChars)));
}

void agent_active(Context& ctx, const Viewer& v, const std::string& email, const httplib::Request& req,
                  httplib::Response& res) {
  const std::string want = form_value(req, "active");
  if (want != "yes" && want != "no")
    return agent_page(ctx, v, email, res, 422, notice("", "active: yes or no. Nothing was changed."));
  if (text::normalize_email(email) == v.agent.email)
    return agent_page(ctx, v, email, res, 422,
                      notice("", "You cannot disable yourself. Nothing was changed."));
  auto a = admin::update_agent(ctx.store, email, {.active = want == "yes"}, v.agent.email);
  if (!a) {
    if (a.error().code == ErrorCode::kNotFound)
      return send_error(res, 404, v, "There is no agent " + email + ".");
    return agent_page(ctx, v, email, res, a.error().code == ErrorCode::kConflict ? 409 : 503,
                      notice("", failure_text(a.error())));
  }
  agent_page(ctx, v, a->email, res, 200,
             notice(a->active ? "The agent is enabled." : "The agent is disabled.", ""));
}

void agent_role(Context& ctx, const Viewer& v, const std::string& email, const httplib::Request& req,
                httplib::Response& res) {
  auto role = store::parse_agent_role(form_value(req, "role"));
  if (!role)
    return agent_page(ctx, v, email, res, 422, notice("", "role: agent or admin. Nothing was changed."));
  if (text::normalize_email(email) == v.agent.email)
    return agent_page(ctx, v, email, res, 422,
                      notice("", "You cannot change your own role. Nothing was changed."));
  auto a = admin::update_agent(ctx.store, email, {.role = *role}, v.agent.email);
  if (!a) {
    if (a.error().code == ErrorCode::kNotFound)
      return send_error(res, 404, v, "There is no agent " + email + ".");
    return agent_page(ctx, v, email, res, a.error().code == ErrorCode::kConflict ? 409 : 503,
                      notice("", failure_text(a.error())));
  }
  agent_page(ctx, v, a->email, res, 200,
             notice(std::string("The role is now ") + store::to_string(a->role) + ".", ""));
}

void agent_password(Context& ctx, const Viewer& v, const std::string& email, const httplib::Request& req,
                    httplib::Response& res) {
  std::string password = form_value(req, "password");
  if (auto why = access::password_problem(password); !why.empty()) {
    sodium_memzero(password.data(), password.size());
    return agent_page(ctx, v, email, res, 422, notice("", "The password was not set: " + why + "."));
  }
  std::optional<store::Agent> agent;
  {
    auto unit = ctx.store.open_unit(store::Access::kRead);
    if (unit)
      if (auto found = unit->agents().find_agent_by_email(email)) agent = *found;
  }
  if (!agent) {
    sodium_memzero(password.data(), password.size());
    return send_error(res, 404, v, "There is no agent " + email + ". Nothing was changed.");
  }
  // Each hash holds 64 MiB for a moment (Argon2id): they queue with the logins' checks.
  if (!ctx.password_checks.try_acquire_for(std::chrono::seconds(5))) {
    sodium_memzero(password.data(), password.size());
    return agent_page(ctx, v, email, res, 503,
                      notice("", "mailcase is busy; please try again. Nothing was changed."));
  }
  auto hash = access::hash_password(password);
  ctx.password_checks.release();
  sodium_memzero(password.data(), password.size());
  if (!hash)
    return agent_page(ctx, v, email, res, 422,
                      notice("", "The password was not set: " + hash.error().message));
  // The sessions made with the old password end (the admin's own too, when it is theirs).
  auto done = admin::set_agent_password(ctx.store, agent->email, *hash, v.agent.email);
  if (!done) return agent_page(ctx, v, email, res, 503, notice("", failure_text(done.error())));
  spdlog::info("console: {} set the password of {}", v.agent.email, agent->email);
  if (agent->email == v.agent.email) return redirect(res, "/login");
  agent_page(ctx, v, email, res, 200, notice("The password is set.", ""));
}

}  // namespace

void mount_admin_pages(web::HttpServer& server, Context& ctx) {
  using Rq = const httplib::Request&;
  using Rs = httplib::Response&;
  const std::string name = kNameSegment;
  const std::string email = kEmailSegment;
  const std::string word = kWordSegment;

  server.get("/admin", "/admin",
             page(ctx, Need::kAdmin, [](const Viewer& v, Rq, Rs res) { admin_index(v, res); }));

  server.get("/admin/addresses", "/admin/addresses",
             page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) { addresses_get(ctx, v, q, s); }));
  server.post("/admin/addresses", "/admin/addresses",
              page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) { addresses_post(ctx, v, q, s); }));
  server.post(
      "/admin/addresses/remove", "/admin/addresses/remove",
      page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) { addresses_remove(ctx, v, q, s); }));

  server.get("/admin/mailboxes", "/admin/mailboxes",
             page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) {
               // The name is of the segment's shape (the remove's redirect), or ignored.
               const std::string removed = q.get_param_value("removed");
               Html message;
               if (!removed.empty() && !admin::check_mailbox_secrets(removed, {}))
                 message = notice("Removed the mailbox " + removed + ". Its mail stays on its server.", "");
               mailboxes_page(ctx, v, s, 200, message, {});
             }));
  server.get("/admin/mailbox-states", "/admin/mailbox-states",
             page(
                 ctx, Need::kAdmin,
                 [&ctx](const Viewer&, Rq, Rs s) {
                   auto rows = read_mailboxes(ctx);
                   if (!rows)
                     return send_fragment(
                         s, 503, html("<p class=\"error\">The mailboxes cannot be read just now.</p>"));
                   send_fragment(s, 200, mailbox_states(*rows));
                 },
                 Use::kRefresh));
  server.post("/admin/mailboxes", "/admin/mailboxes",
              page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) { mailboxes_post(ctx, v, q, s); }));
  server.get("/admin/mailboxes/{name}", "/admin/mailboxes/" + name,
             page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) {
               Html message = q.has_param("saved")
                                  ? notice("Saved. The running mailcase uses it within seconds.", "")
                                  : Html();
               mailbox_page(ctx, v, q.matches[1].str(), s, 200, message, {});
             }));
  server.post("/admin/mailboxes/{name}", "/admin/mailboxes/" + name,
              page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) {
                mailbox_change(ctx, v, q.matches[1].str(), q, s);
              }));
  server.post("/admin/mailboxes/{name}/test", "/admin/mailboxes/" + name + "/test",
              page(ctx, Need::kAdmin,
                   [&ctx](const Viewer& v, Rq q, Rs s) { mailbox_test(ctx, v, q.matches[1].str(), s); }));
  server.post("/admin/mailboxes/{name}/remove", "/admin/mailboxes/" + name + "/remove",
              page(ctx, Need::kAdmin,
                   [&ctx](const Viewer& v, Rq q, Rs s) { mailbox_remove(ctx, v, q.matches[1].str(), s); }));

  server.get("/admin/templates", "/admin/templates",
             page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq, Rs s) { templates_list(ctx, v, s); }));
  auto template_route = [&ctx](bool post) {
    return page(ctx, Need::kAdmin, [&ctx, post](const Viewer& v, Rq q, Rs s) {
      const std::string lang = q.matches[1].str(), kind = q.matches[2].str();
      if (!is_template(lang, kind)) return send_error(s, 404, v, "There is no such template.");
      if (post) return template_post(ctx, v, lang, kind, q, s);
      template_page(ctx, v, lang, kind, s, 200, {}, std::nullopt);
    });
  };
  server.get("/admin/templates/{language}/{kind}", "/admin/templates/" + word + "/" + word,
             template_route(false));
  server.post("/admin/templates/{language}/{kind}", "/admin/templates/" + word + "/" + word,
              template_route(true));

  server.get("/admin/agents", "/admin/agents", page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq, Rs s) {
               agents_page(ctx, v, s, 200, {}, {});
             }));
  server.post("/admin/agents", "/admin/agents",
              page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) { agents_post(ctx, v, q, s); }));
  server.get("/admin/agents/{email}", "/admin/agents/" + email,
             page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) {
               Html message =
                   q.has_param("added") ? notice("Added. Set a password for them below.", "") : Html();
               agent_page(ctx, v, q.matches[1].str(), s, 200, message);
             }));
  server.post("/admin/agents/{email}/active", "/admin/agents/" + email + "/active",
              page(ctx, Need::kAdmin,
                   [&ctx](const Viewer& v, Rq q, Rs s) { agent_active(ctx, v, q.matches[1].str(), q, s); }));
  server.post("/admin/agents/{email}/role", "/admin/agents/" + email + "/role",
              page(ctx, Need::kAdmin,
                   [&ctx](const Viewer& v, Rq q, Rs s) { agent_role(ctx, v, q.matches[1].str(), q, s); }));
  server.post("/admin/agents/{email}/password", "/admin/agents/" + email + "/password",
              page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) {
                agent_password(ctx, v, q.matches[1].str(), q, s);
              }));
}

}  // namespace mailcase::console
