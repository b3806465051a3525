// Held and failed mail (/mail), one mail with its reason and raw text (/mail/{id}), its
// retry, "make the sender a contact and retry" and its dismissal, and the outbox (/outbox) with retry.
// The same store queries and admin / ingest calls as the REST API's mail routes
// (src/api/mail_routes.cpp), so a page and the API never disagree.
#include <map>

#include "admin/admin.h"
#include "console/mail_frame.h"
#include "console/page.h"
#include "ingest/pipeline.h"
#include "spool/blob_store.h"
#include "util/text.h"

namespace mailcase::console {
namespace {

constexpr int kPageSize = 50;
// The raw mail shown on its page; the download has all of it.
constexpr size_t kMaxRawShown = 256 * 1024;

// Each row's case number ("" for none), read once per case.
template <typename Row>
Result<std::map<store::Id, std::string>> case_numbers(store::UnitOfWork& unit, const std::vector<Row>& rows) {
  std::map<store::Id, std::string> numbers;
  for (const auto& r : rows) {
    if (!r.case_id || numbers.count(*r.case_id)) continue;
    MC_ASSIGN_OR_RETURN(auto c, unit.cases().get_case(*r.case_id));
    numbers[*r.case_id] = c ? c->number : "";
  }
  return numbers;
}

Html case_link(const std::map<store::Id, std::string>& numbers, const std::optional<store::Id>& id) {
  if (!id) return {};
  auto it = numbers.find(*id);
  if (it == numbers.end() || it->second.empty()) return {};
  return html("<a href=\"/cases/{}\">{}</a>", it->second, it->second);
}

Html state_tabs(std::string_view base, std::string_view current,
                std::initializer_list<std::string_view> states, std::optional<int64_t> total) {
  std::vector<Html> links;
  for (auto s : states) {
    const std::string href = std::string(base) + "?state=" + std::string(s);
    if (s == current)
      links.push_back(
          total ? html("<a href=\"{}\" aria-current=\"page\"><strong>{} ({})</strong></a>", href, s, *total)
                : html("<a href=\"{}\" aria-current=\"page\"><strong>{}</strong></a>", href, s));
    else
      links.push_back(html("<a href=\"{}\">{}</a>", href, s));
  }
  return html("<nav class=\"pager\" aria-label=\"State\">{}</nav>", join(links, " "));
}

// ---- held and failed mail

void mail_list(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  std::string state = form_value(req, "state");
  if (state.empty()) state = "held";
  auto raw_state = store::raw_state_from(state);
  // The lists of mail an agent may run again: held, failed and dismissed.
  if (!raw_state || !store::may_retry(*raw_state))
    return send_error(res, 400, v, "The state must be held, failed or dismissed.");
  const store::PageRequest pr = page_request_of(req, kPageSize);
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_failure(res, v, unit.error());
  auto page = unit->raw_messages().page_raw(*raw_state, pr);
  if (!page) {
    if (page.error().code == ErrorCode::kInvalidInput)
      return send_error(res, 400, v, "This page link is not valid.");
    return send_failure(res, v, page.error());
  }
  auto numbers = case_numbers(*unit, page->items);
  if (!numbers) return send_failure(res, v, numbers.error());
  std::vector<Html> rows;
  for (const auto& m : page->items) {
    rows.push_back(html(
        "<tr><td class=\"optional\">{}</td><td>{}</td><td><a href=\"/mail/{}\">{}</a></td><td>{}</td><td "
        "class=\"optional\">{}</td></tr>",
        time_html(m.received_at), m.from.empty() ? std::string("(no sender)") : m.from, m.id,
        m.subject.empty() ? std::string("(no subject)") : m.subject, m.reason,
        case_link(*numbers, m.case_id)));
  }
  Html body = html("<h1>Held and failed mail</h1>{}",
                   state_tabs("/mail", state, {"held", "failed", "dismissed"}, page->total));
  // Back from a mail's Dismiss: which mail, so that a mistaken one is one click away.
  if (const std::string dismissed = form_value(req, "dismissed");
      !dismissed.empty() && dismissed.find_first_not_of("0123456789") == std::string::npos &&
      dismissed.size() <= 18)
    body += html(
        "<p class=\"ok\" role=\"status\">The mail was dismissed. It is kept under <a "
        "href=\"/mail?state=dismissed\">dismissed</a>; <a href=\"/mail/{}\">its page</a> can retry it.</p>",
        dismissed);
  if (rows.empty()) {
    body += html("<p class=\"muted\">No {} mail.</p>", state);
  } else {
    body += html(
        "<table><thead><tr><th scope=\"col\" class=\"optional\">Received</th><th scope=\"col\">From</th><th "
        "scope=\"col\">Subject</th><th scope=\"col\">Reason</th><th scope=\"col\" "
        "class=\"optional\">Case</th></tr></thead><tbody>{}</tbody></table>",
        join(rows));
  }
  body += pager_html("/mail?state=" + state, page->next_cursor, !pr.cursor.has_value());
  send_page(res, 200, v, "Held and failed mail", "mail", body);
}

// What the page shows from the parsed mail: the sender's display name (to suggest the
// contact's name) and whether there is an HTML part to offer.
struct MailGist {
  std::string sender_name;
  bool has_html = false;
};
MailGist gist_of(const std::string& bytes, const config::Limits& limits) {
  spool::NullBlobSink sink;
  auto parsed = mime::parse_bytes(bytes, sink, parse_limits(limits));
  if (!parsed) return {};
  return {parsed->from.name, !parsed->html_body.empty()};
}

Html mail_view(const RawMail& mail, const httplib::Request& req, bool html_part) {
  const std::string id = std::to_string(mail.row.id);
  if (form_value(req, "view") != "html" || !html_part) {
    std::string shown = mail.bytes.substr(0, kMaxRawShown);
    Html cut = mail.bytes.size() > kMaxRawShown ? html(
                                                      "<p class=\"muted\">Only the first {} KB are shown; "
                                                      "download the raw mail for the rest.</p>",
                                                      static_cast<int64_t>(kMaxRawShown / 1024))
                                                : Html();
    Html toggle = html_part ? html("<a href=\"/mail/{}?view=html\">Show the HTML</a> · ", id) : Html();
    return html(
        "<h2>The mail</h2><p>{}<a href=\"/mail/{}/raw\">Download the raw mail</a></p>{}<pre class=\"body "
        "card\">{}</pre>",
        toggle, id, cut, text::make_valid_utf8(shown));
  }
  const bool remote = form_value(req, "images") == "remote";
  Html images =
      remote ? html("Remote images are shown. <a href=\"/mail/{}?view=html\">Hide them</a>", id)
             : html(
                   "Remote images are not loaded. <a href=\"/mail/{}?view=html&amp;images=remote\">Show "
                   "remote images</a>",
                   id);
  const std::string src = "/messages/" + id + "/html" + (remote ? "?images=remote" : "");
  return html(
      "<h2>The mail</h2><p><a href=\"/mail/{}\">Show the text</a> · <a href=\"/mail/{}/raw\">Download the "
      "raw "
      "mail</a></p><p class=\"muted\">{}</p><iframe class=\"mail\" title=\"The mail's HTML\" sandbox=\"{}\" "
      "src=\"{}\"></iframe>",
      id, id, images, kMailFrameSandbox, src);
}

// The "make the sender a contact" form refused: why, and what the agent typed.
struct ContactDraft {
  std::string error, name, account;
};

void mail_page(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res,
               int status = 200, const ContactDraft& draft = {}) {
  auto mail = load_raw_mail(ctx, row_id_of(req));
  if (!mail) return send_failure(res, v, mail.error());
  const auto& m = mail->row;
  std::string number;
  if (m.case_id) {
    auto unit = ctx.store.open_unit(store::Access::kRead);
    if (!unit) return send_failure(res, v, unit.error());
    auto c = unit->cases().get_case(*m.case_id);
    if (c && *c) number = (*c)->number;
  }
  std::vector<std::string> recipients = m.recipients;
  std::string to;
  for (const auto& r : recipients) to += (to.empty() ? "" : ", ") + r;
  // The envelope's, as the MTA gave them (LMTP's RCPT, deliver's arguments); the To line is
  // the sender's own and is in the mail below. A pipe or an import may give none.
  if (to.empty()) to = "(none given)";
  Html details = html(
      "<dl class=\"card details\"><dt>State</dt><dd><span "
      "class=\"badge\">{}</span></dd><dt>Reason</dt><dd>{}</dd>"
      "<dt>Received</dt><dd>{}</dd><dt>From</dt><dd>{}</dd><dt>Envelope sender</dt><dd>{}</dd><dt>Envelope "
      "recipients</dt>"
      "<dd>{}</dd><dt>Subject</dt><dd>{}</dd><dt>Source</dt><dd>{}</dd><dt>Attempts</dt><dd>{}</dd>{}</dl>",
      store::to_string(m.state), m.reason.empty() ? std::string("(none given)") : m.reason,
      time_html(m.received_at), m.from,
      m.envelope_sender ? (m.envelope_sender->empty() ? "<>" : *m.envelope_sender) : "", to, m.subject,
      m.source, static_cast<int64_t>(m.attempts),
      number.empty() ? Html() : html("<dt>Case</dt><dd><a href=\"/cases/{}\">{}</a></dd>", number, number));
  // What reading it as MIME read past: the agent reads the mail below knowing it.
  if (!m.problems.empty()) {
    std::vector<Html> items;
    for (const auto& p : m.problems) items.push_back(html("<li>{}</li>", p));
    details +=
        html("<div class=\"card\" id=\"mail-problems\"><h2>Read past</h2><ul>{}</ul></div>", join(items));
  }
  const MailGist gist = gist_of(mail->bytes, ctx.cfg.limits);
  Html actions;
  if (store::may_retry(m.state)) {
    const std::string id = std::to_string(m.id);
    actions = html(
        "<h2>Actions</h2><form method=\"post\" action=\"/mail/{}/retry\" class=\"actions\">{}<button "
        "type=\"submit\">Retry</button></form>",
        id, csrf_field(v));
    // Judged junk: put aside, kept (a retry brings it back), out of the held list.
    if (store::may_dismiss(m.state))
      actions += html(
          "<form method=\"post\" action=\"/mail/{}/dismiss\" class=\"card\">{}<h3>Dismiss</h3>"
          "<p class=\"muted\">Junk: the mail leaves the {} list and is kept under dismissed, where it can "
          "still be retried.</p><label for=\"dismiss-reason\">Reason (optional)</label><input type=\"text\" "
          "id=\"dismiss-reason\" name=\"reason\" maxlength=\"{}\">"
          "<div class=\"actions\"><button type=\"submit\">Dismiss</button></div></form>",
          id, csrf_field(v), store::to_string(m.state), static_cast<int64_t>(admin::kMaxDismissReasonBytes));
    // Held as spam: let an agent run it as mail, and allow its sender from now on.
    if (m.state != store::RawState::kFailed && m.reason.rfind("spam", 0) == 0)
      actions += html(
          "<form method=\"post\" action=\"/mail/{}/not-spam\" class=\"card\">{}<h3>Not spam</h3>"
          "<label><input type=\"checkbox\" name=\"allow_sender\" value=\"yes\"> Allow {} from now on (its "
          "later mail is not held as spam when its From is proven)</label>"
          "<div class=\"actions\"><button type=\"submit\">Not spam</button></div></form>",
          id, csrf_field(v), m.from.empty() ? std::string("its sender") : m.from);
    if (!m.from.empty()) {
      const bool refused = !draft.error.empty();
      actions += html(
          "<form method=\"post\" action=\"/mail/{}/contact\" class=\"card\" id=\"contact-form\">{}<h3>Make "
          "{} "
          "a contact and retry</h3>{}"
          "<label for=\"contact-name\">Name</label><input type=\"text\" id=\"contact-name\" name=\"name\" "
          "required maxlength=\"200\" value=\"{}\"><label for=\"contact-account\">Account (optional: its "
          "name)</label><input type=\"text\" id=\"contact-account\" name=\"account\" maxlength=\"200\" "
          "value=\"{}\">"
          "<div class=\"actions\"><button type=\"submit\">Add the contact and retry</button></div></form>",
          id, csrf_field(v), m.from,
          refused ? html("<p class=\"error\" role=\"alert\">{}</p>", draft.error) : Html(),
          refused ? draft.name : gist.sender_name, draft.account);
    }
  }
  Html body = html("<h1>{}</h1><p><a href=\"/mail?state={}\">Back to the list</a></p>{}{}{}",
                   m.subject.empty() ? std::string("(no subject)") : m.subject,
                   m.state == store::RawState::kFailed      ? "failed"
                   : m.state == store::RawState::kDismissed ? "dismissed"
                                                            : "held",
                   details, actions, mail_view(*mail, req, gist.has_html));
  // Frames only on the view that shows one, and only from our mail endpoint.
  const bool framed = gist.has_html && form_value(req, "view") == "html";
  send_page(res, status, v, m.subject.empty() ? "A mail" : m.subject, "mail", body,
            framed ? mail_frame_src(req) : "'none'");
}

void mail_raw(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  auto mail = load_raw_mail(ctx, row_id_of(req));
  if (!mail) return send_failure(res, v, mail.error());
  // The mail's bytes as they arrived: a download, never a page the browser renders.
  res.status = 200;
  set_console_headers(res);
  res.set_header("Content-Disposition",
                 "attachment; filename=\"message-" + std::to_string(mail->row.id) + ".eml\"");
  res.set_content(std::move(mail->bytes), "text/plain; charset=utf-8");
}

// The outcome of a retry, as a page: what became of the mail and where it is now.
void send_outcome(httplib::Response& res, const Viewer& v, const ingest::Outcome& o) {
  Html where = o.case_number
                   ? html("<p>Case: <a href=\"/cases/{}\">{}</a></p>", *o.case_number, *o.case_number)
                   : Html();
  Html reason = o.reason.empty() ? Html() : html("<p>Reason: {}</p>", o.reason);
  send_page(res, 200, v, "Mail retried", "mail",
            html("<h1>Mail retried</h1><p class=\"ok\" role=\"status\">The mail was {}.</p>{}{}<p><a "
                 "href=\"/mail/{}\">Back to the mail</a> · <a href=\"/mail\">Held and failed mail</a></p>",
                 ingest::to_string(o.kind), where, reason, o.message_id));
}

void mail_retry(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  if (!ctx.ingest)
    return send_error(res, 503, v, "Mail cannot be retried: ingest is not running in this process.");
  auto outcome = ctx.ingest->retry(row_id_of(req));
  if (!outcome) return send_failure(res, v, outcome.error());
  send_outcome(res, v, *outcome);
}

// "Not spam": the mail run as mail without the spam check, its sender allowed if asked.
void mail_not_spam(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  if (!ctx.ingest)
    return send_error(res, 503, v, "Mail cannot be retried: ingest is not running in this process.");
  ingest::Pipeline::RetryOptions options;
  options.not_spam = true;
  options.allow_sender = form_value(req, "allow_sender") == "yes";
  options.by = v.agent.email;
  auto outcome = ctx.ingest->retry(row_id_of(req), options);
  if (!outcome) return send_failure(res, v, outcome.error());
  send_outcome(res, v, *outcome);
}

// "Dismiss": the same admin call as `message dismiss` and the API's dismiss; back to the
// list the mail was on, which no longer shows it.
void mail_dismiss(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  const std::string reason(text::trim(form_value(req, "reason")));
  if (auto bad = admin::check_dismiss_reason(reason))
    return send_error(res, 422, v, "The reason: " + bad->message + ". The mail was not dismissed.");
  auto dismissed = admin::dismiss_message(ctx.store, row_id_of(req), reason, v.agent.email);
  if (!dismissed && dismissed.error().code == ErrorCode::kConflict)
    return send_error(res, 409, v, dismissed.error().message + ". Nothing was changed.");
  if (!dismissed) return send_failure(res, v, dismissed.error());
  redirect(res, std::string("/mail?state=") + store::to_string(dismissed->was) +
                    "&dismissed=" + std::to_string(dismissed->message.id));
}

void mail_contact(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  if (!ctx.ingest)
    return send_error(res, 503, v, "Mail cannot be retried: ingest is not running in this process.");
  std::optional<store::RawMessage> row;
  {
    auto unit = ctx.store.open_unit(store::Access::kRead);
    if (!unit) return send_failure(res, v, unit.error());
    auto found = unit->raw_messages().get_raw(row_id_of(req));
    if (!found) return send_failure(res, v, found.error());
    row = std::move(*found);
  }
  if (!row) return send_error(res, 404, v, "There is no such message.");
  if (row->from.empty()) return send_error(res, 422, v, "This mail names no sender to make a contact of.");
  // The same admin call as `contact add` and POST /api/v1/contacts.
  admin::ContactInput in{
      std::string(text::trim(form_value(req, "name"))), {row->from}, "", std::nullopt, std::nullopt};
  const std::string account(text::trim(form_value(req, "account")));
  if (!account.empty()) in.account_name = account;
  // Refused, the mail's page again with the reason beside the form, and what was typed.
  auto refuse = [&](int status, std::string why) {
    ContactDraft draft{text::capitalized(std::move(why)) + ". Nothing was changed.",
                       text::make_valid_utf8(in.name.substr(0, 200)),
                       text::make_valid_utf8(account.substr(0, 200))};
    mail_page(ctx, v, req, res, status, draft);
  };
  if (auto bad = admin::check_contact(in))
    return refuse(422, (bad->field == "name" ? "The name" : bad->field) + ": " + bad->message);
  auto contact = admin::add_contact(ctx.store, in, ctx.cfg.outbound.from_address);
  if (!contact && contact.error().code == ErrorCode::kNotFound)
    return refuse(422, contact.error().message + " (leave the account empty, or name one that exists)");
  if (!contact && contact.error().code == ErrorCode::kConflict) return refuse(409, contact.error().message);
  if (!contact) return send_failure(res, v, contact.error());
  auto outcome = ctx.ingest->retry(row->id);
  if (!outcome) return send_failure(res, v, outcome.error());
  send_outcome(res, v, *outcome);
}

// ---- the outbox

void outbox_list(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  std::string state = form_value(req, "state");
  if (state.empty()) state = "failed";
  auto st = store::outbox_state_from(state);
  if (!st) return send_error(res, 400, v, "The state must be queued, failed or sent.");
  const store::PageRequest pr = page_request_of(req, kPageSize);
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_failure(res, v, unit.error());
  auto page = unit->outbox().page_outbox(*st, pr);
  if (!page) {
    if (page.error().code == ErrorCode::kInvalidInput)
      return send_error(res, 400, v, "This page link is not valid.");
    return send_failure(res, v, page.error());
  }
  auto numbers = case_numbers(*unit, page->items);
  if (!numbers) return send_failure(res, v, numbers.error());
  std::vector<Html> rows;
  for (const auto& m : page->items) {
    Html action;
    if (m.state == store::OutboxState::kFailed)
      action = html(
          "<form method=\"post\" action=\"/outbox/{}/retry\" class=\"inline\">{}<button type=\"submit\" "
          "aria-label=\"Retry the mail to {}\">Retry</button></form>",
          m.id, csrf_field(v), m.to);
    rows.push_back(
        html("<tr><td class=\"optional\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td "
             "class=\"optional\">{}</td><td>{}</td></tr>",
             time_html(m.state == store::OutboxState::kSent && !m.sent_at.empty() ? m.sent_at : m.created_at),
             m.to, m.kind, case_link(*numbers, m.case_id), m.last_error, static_cast<int64_t>(m.attempts),
             action));
  }
  Html body =
      html("<h1>Outbox</h1>{}", state_tabs("/outbox", state, {"queued", "failed", "sent"}, page->total));
  if (form_value(req, "retried") == "1")
    body += html("<p class=\"ok\" role=\"status\">The mail is queued again.</p>");
  if (rows.empty()) {
    body += html("<p class=\"muted\">No {} mail.</p>", state);
  } else {
    body += html(
        "<table><thead><tr><th scope=\"col\" class=\"optional\">Time</th><th scope=\"col\">To</th><th "
        "scope=\"col\">Kind</th><th scope=\"col\">Case</th><th scope=\"col\">Failure</th><th scope=\"col\" "
        "class=\"optional\">Attempts</th><th scope=\"col\"><span "
        "class=\"skip\">Action</span></th></tr></thead>"
        "<tbody>{}</tbody></table>",
        join(rows));
  }
  body += pager_html("/outbox?state=" + state, page->next_cursor, !pr.cursor.has_value());
  send_page(res, 200, v, "Outbox", "outbox", body);
}

void outbox_retry(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  auto m = admin::retry_outbox(ctx.store, row_id_of(req), ctx.clock.now());
  if (!m) return send_failure(res, v, m.error());
  redirect(res, "/outbox?state=queued&retried=1");
}

}  // namespace

void mount_mail_pages(web::HttpServer& server, Context& ctx) {
  using Rq = const httplib::Request&;
  using Rs = httplib::Response&;
  const std::string id = R"((\d{1,18}))";
  server.get("/mail", "/mail",
             page(ctx, Need::kAgent, [&ctx](const Viewer& v, Rq q, Rs s) { mail_list(ctx, v, q, s); }));
  server.get("/mail/{id}", "/mail/" + id,
             page(ctx, Need::kAgent, [&ctx](const Viewer& v, Rq q, Rs s) { mail_page(ctx, v, q, s); }));
  server.get("/mail/{id}/raw", "/mail/" + id + "/raw",
             page(ctx, Need::kAgent, [&ctx](const Viewer& v, Rq q, Rs s) { mail_raw(ctx, v, q, s); }));
  server.post("/mail/{id}/retry", "/mail/" + id + "/retry",
              page(ctx, Need::kAgent, [&ctx](const Viewer& v, Rq q, Rs s) { mail_retry(ctx, v, q, s); }));
  server.post("/mail/{id}/not-spam", "/mail/" + id + "/not-spam",
              page(ctx, Need::kAgent, [&ctx](const Viewer& v, Rq q, Rs s) { mail_not_spam(ctx, v, q, s); }));
  server.post("/mail/{id}/dismiss", "/mail/" + id + "/dismiss",
              page(ctx, Need::kAgent, [&ctx](const Viewer& v, Rq q, Rs s) { mail_dismiss(ctx, v, q, s); }));
  server.post("/mail/{id}/contact", "/mail/" + id + "/contact",
              page(ctx, Need::kAgent, [&ctx](const Viewer& v, Rq q, Rs s) { mail_contact(ctx, v, q, s); }));
  server.get("/outbox", "/outbox",
             page(ctx, Need::kAgent, [&ctx](const Viewer& v, Rq q, Rs s) { outbox_list(ctx, v, q, s); }));
  server.post("/outbox/{id}/retry", "/outbox/" + id + "/retry",
              page(ctx, Need::kAgent, [&ctx](const Viewer& v, Rq q, Rs s) { outbox_retry(ctx, v, q, s); }));
  mount_mail_frame(server, ctx);
}

}  // namespace mailcase::console
