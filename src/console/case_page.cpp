// One case: its facts, participants, the thread (oldest first; customer mail, our replies
// and internal notes told apart by class and by words), its attachments' downloads, and
// the forms of its actions (case_actions.cpp answers them). The thread polls for what is
// newer every 5 s: the poll is one index lookup of the case and one of its comments, and
// answers 204 when nothing is new.
#include <spdlog/spdlog.h>

#include <cctype>

#include "cases/case_view.h"
#include "cases/lifecycle.h"
#include "console/case_logic.h"
#include "console/case_pages.h"
#include "console/mail_frame.h"
#include "ingest/blob_reader.h"
#include "mime/filename.h"
#include "spool/raw_spool.h"
#include "util/text.h"

namespace mailcase::console {
namespace {

using AgentNames = std::map<std::string, std::string>;

std::string size_words(uint64_t n) {
  if (n < 1024) return std::to_string(n) + " B";
  if (n < 1024 * 1024) return std::to_string((n + 512) / 1024) + " KB";
  return std::to_string((n + 512 * 1024) / (1024 * 1024)) + " MB";
}

Html attachment_links(const std::vector<store::Attachment>& atts) {
  if (atts.empty()) return {};
  std::vector<Html> items;
  for (const auto& a : atts)
    items.push_back(html("<li><a href=\"/attachments/{}\">{}</a> <span class=\"muted\">({})</span></li>",
                         a.id, a.filename.empty() ? "attachment-" + std::to_string(a.id) : a.filename,
                         size_words(a.size)));
  return html("<ul class=\"attachments\" aria-label=\"Attachments\">{}</ul>", join(items));
}

Html comment_html(const store::Comment& c, const std::vector<store::Attachment>& all,
                  const AgentNames& names) {
  const CommentKind kind = comment_kind(c);
  const Author who = author_of(c.author, names);
  std::vector<store::Attachment> mine;
  for (const auto& a : all)
    if (a.comment_id && *a.comment_id == c.id) mine.push_back(a);
  Html quoted;
  if (!c.quoted.empty())
    quoted =
        html("<details><summary>Quoted text</summary><div class=\"body muted\">{}</div></details>", c.quoted);
  Html formatted;
  // A customer's mail keeps its original; its formatted view is the mail endpoint's, in a
  // sandboxed frame without scripts, opened only when the agent asks.
  if (c.raw_message_id && c.direction == store::Direction::kInbound)
    formatted = html(
        "<details><summary>Show formatted</summary><iframe class=\"mail\" sandbox=\"allow-popups "
        "allow-popups-to-escape-sandbox\" referrerpolicy=\"no-referrer\" loading=\"lazy\" "
        "src=\"/messages/{}/html\" title=\"{}\"></iframe></details>",
        *c.raw_message_id, "The formatted mail from " + who.name);
  Html author = who.address.empty()
                    ? html("<span class=\"author\">{}</span>", who.name)
                    : html("<span class=\"author\" title=\"{}\">{}</span>", who.address, who.name);
  // A comment from a mail says whether a trusted server proved its From (trust/).
  Html proof;
  if (c.sender_verified)
    proof = *c.sender_verified
                ? html(" <span class=\"badge verified\" title=\"{}\">verified</span>",
                       "A trusted server's DMARC or DKIM check vouched for the sender's domain")
                : html(" <span class=\"badge not-verified\" title=\"{}\">not verified</span>",
                       "No trusted server vouched for the sender's domain: the From may be forged");
  // Whom else its mail went to.
  Html copies;
  if (!c.cc.empty()) copies = html("<p class=\"meta cc\">Cc: {}</p>", text::join(c.cc, ", "));
  return html(
      "<article class=\"card comment {}\" id=\"c{}\"><p class=\"meta\"><strong>{}</strong> · {}{} · {}</p>"
      "{}<div class=\"body\">{}</div>{}{}{}</article>",
      kind.css, c.id, kind.label, author, proof, time_html(c.created_at), copies, c.body, quoted,
      attachment_links(mine), formatted);
}

// The element that asks every 5 s for the comments after `last_id`, and for the case's
// facts when it has events after `seen` (its latest event when the page was drawn: every
// change of a case is one); it replaces itself with one that asks after the newest.
Html poll_html(const std::string& number, store::Id last_id, store::Id seen) {
  return html(
      "<div id=\"thread-poll\" hx-get=\"/cases/{}/thread?after={}&amp;seen={}\" hx-trigger=\"every 5s\" "
      "hx-swap=\"outerHTML\"></div>",
      number, last_id, seen);
}

// The words above the page after a form succeeded (the redirect's ?done=).
std::string_view done_words(std::string_view done) {
  static const std::pair<std::string_view, std::string_view> kWords[] = {
      {"reply", "Your reply was sent to the customer."},
      {"note", "Your internal note was added."},
      {"solution", "The solution was proposed to the customer."},
      {"close", "The case was closed."},
      {"reopen", "The case was reopened."},
      {"assign", "The case was updated."},
      {"participant", "The participant was added."},
      {"participant-removed", "The participant was removed."},
      {"stage", "The case moved to another stage."}};
  for (const auto& [k, w] : kWords)
    if (k == done) return w;
  return {};
}

// The case's facts; `replacing`: as an htmx out-of-band swap of the page's own.
Html facts_html(const cases::CaseView& view, bool replacing = false) {
  const auto& c = view.c;
  Html owner = view.owner ? html("{} <span class=\"muted\">{}</span>", view.owner->name, view.owner->email)
                          : (c.owner.empty() ? html("Nobody") : html("{}", c.owner));
  Html contact = html("<span class=\"muted\">none</span>");
  if (view.contact) {
    const std::string email = view.contact->emails.empty() ? "" : view.contact->emails.front();
    contact = html(
        "<a href=\"/contacts/{}\">{}</a> <span class=\"muted\">{}</span> · <a "
        "href=\"/cases?contact={}\">their "
        "cases</a>",
        view.contact->id, view.contact->name.empty() ? email : view.contact->name, email, url_encode(email));
  }
  Html account = view.account ? html("<a href=\"/accounts/{}\">{}</a>", view.account->id, view.account->name)
                              : html("<span class=\"muted\">none</span>");
  Html process;
  if (!c.process.empty())
    process = html("<dt>Process</dt><dd>{} <span class=\"muted\">at</span> {}</dd>", c.process, c.stage);
  return html(
      "<dl class=\"card facts\" id=\"case-facts\"{}><dt>Status</dt><dd><span class=\"badge "
      "{}\">{}</span></dd>"
      "<dt>Queue</dt><dd>{}</dd><dt>Owner</dt><dd>{}</dd><dt>Priority</dt><dd>{}</dd>{}"
      "<dt>Contact</dt><dd>{}</dd><dt>Account</dt><dd>{}</dd>"
      "<dt>Opened</dt><dd>{}</dd><dt>Updated</dt><dd>{}</dd></dl>",
      replacing ? html(" hx-swap-oob=\"true\"") : Html(), status_class(c.status), status_words(c.status),
      c.queue, owner, c.priority, process, contact, account, time_html(c.created_at),
      time_html(c.updated_at));
}

Html participants_html(const cases::CaseView& view, const Viewer& v, const Draft& draft) {
  std::vector<Html> items;
  // Each with a button that takes it off (asked first: its mail then threads only as a
  // stranger's would).
  for (const auto& p : view.participants)
    items.push_back(html(
        "<li>{} <span class=\"muted\">(added by {})</span> <form class=\"inline\" method=\"post\" "
        "action=\"/cases/{}/participants/remove\" data-confirm=\"Remove {} from this case? Their mail will "
        "no longer be taken as a participant's.\">{}<input type=\"hidden\" name=\"email\" value=\"{}\">"
        "<button type=\"submit\" class=\"secondary\">Remove</button></form></li>",
        p.email, p.source == "agent" ? "an agent" : "mail", view.c.number, p.email, csrf_field(v), p.email));
  Html list = items.empty() ? html("<p class=\"muted\">Only the contact writes to this case.</p>")
                            : html("<ul>{}</ul>", join(items));
  return html(
      "<section aria-labelledby=\"participants-h\"><h2 id=\"participants-h\">Participants</h2>{}"
      "<form method=\"post\" action=\"/cases/{}/participants\" class=\"filters\">{}"
      "<div><label for=\"participant-email\">Add a participant</label><input id=\"participant-email\" "
      "name=\"email\" type=\"email\" required maxlength=\"254\" value=\"{}\"></div>"
      "<button type=\"submit\" class=\"secondary\">Add</button></form></section>",
      list, view.c.number, csrf_field(v), draft.form == "participant" ? draft.email : "");
}

Html comment_forms_html(const cases::CaseView& view, const Viewer& v, const Draft& draft) {
  const std::string& n = view.c.number;
  auto body_of = [&](std::string_view form) { return draft.form == form ? draft.body : std::string(); };
  // A closed case takes no reply (the lifecycle refuses it): no form to type one in, unless
  // one was just refused, whose text stays on the page.
  Html out;
  if (!cases::decide(view.c.status, cases::ActionKind::kPublicComment) && draft.form != "reply")
    out = html(
        "<section aria-labelledby=\"reply-h\" class=\"card\"><h2 id=\"reply-h\">Reply to the customer</h2>"
        "<p class=\"muted\">The case is closed: reopen it to reply to the customer.</p></section>");
  else
    out = html(
        "<section aria-labelledby=\"reply-h\" class=\"card\"><h2 id=\"reply-h\">Reply to the customer</h2>"
        "<form method=\"post\" action=\"/cases/{}/reply\" enctype=\"multipart/form-data\">{}{}"
        "<label for=\"reply-body\">Reply (mailed to the customer)</label>"
        "<textarea id=\"reply-body\" name=\"body\" required>{}</textarea>"
        "<label for=\"reply-cc\">Cc (addresses separated by commas)</label>"
        "<input id=\"reply-cc\" name=\"cc\" type=\"text\" maxlength=\"5000\" value=\"{}\">"
        "<label for=\"reply-files\">Attachments</label><input id=\"reply-files\" name=\"attachments\" "
        "type=\"file\" multiple>"
        "<div class=\"actions\"><button type=\"submit\">Send reply</button></div></form></section>",
        n, csrf_field(v), once_field(), body_of("reply"), draft.form == "reply" ? draft.cc : "");
  out += html(
      "<section aria-labelledby=\"note-h\" class=\"card\"><h2 id=\"note-h\">Internal note</h2>"
      "<form method=\"post\" action=\"/cases/{}/note\" enctype=\"multipart/form-data\">{}{}"
      "<label for=\"note-body\">Note (agents only, never mailed)</label>"
      "<textarea id=\"note-body\" name=\"body\" required>{}</textarea>"
      "<div class=\"actions\"><button type=\"submit\" class=\"secondary\">Add note</button></div></form>"
      "</section>",
      n, csrf_field(v), once_field(), body_of("note"));
  if (cases::decide(view.c.status, cases::ActionKind::kProposeSolution))
    out += html(
        "<section aria-labelledby=\"solution-h\" class=\"card\"><h2 id=\"solution-h\">Propose a solution</h2>"
        "<form method=\"post\" action=\"/cases/{}/solution\" enctype=\"multipart/form-data\">{}{}"
        "<label for=\"solution-body\">Solution (mailed to the customer, who accepts or rejects it)</label>"
        "<textarea id=\"solution-body\" name=\"body\" required>{}</textarea>"
        "<label for=\"solution-files\">Attachments</label><input id=\"solution-files\" name=\"attachments\" "
        "type=\"file\" multiple>"
        "<div class=\"actions\"><button type=\"submit\" class=\"secondary\">Propose solution</button></div>"
        "</form></section>",
        n, csrf_field(v), once_field(), body_of("solution"));
  return out;
}

Html case_form_html(const cases::CaseView& view, const std::vector<store::Agent>& agents, const Viewer& v,
                    const Draft& draft, const config::Config& cfg) {
  const auto& c = view.c;
  // A refused form shows what the agent chose; otherwise the case's own values.
  const bool refused = draft.form == "assign";
  const std::string& owner = refused ? draft.owner : c.owner;
  std::vector<Html> options = {owner.empty() ? html("<option value=\"\" selected>Nobody</option>")
                                             : html("<option value=\"\">Nobody</option>")};
  for (const auto& a : agents) {
    if (!a.active) continue;
    const std::string label = (a.name.empty() ? a.email : a.name) + (a.email == v.agent.email ? " (me)" : "");
    options.push_back(a.email == text::normalize_email(owner)
                          ? html("<option value=\"{}\" selected>{}</option>", a.email, label)
                          : html("<option value=\"{}\">{}</option>", a.email, label));
  }
  // The priority offered as chosen: the agent's choice when refused, else the case's. The
  // hidden was_* fields are the case's values as shown: what the assign action compares
  // with the case when it is saved (a field left as shown is not written back).
  const std::string& chosen_priority = refused ? draft.priority : c.priority;
  std::vector<Html> priorities;
  for (const auto& p : priority_choices(cfg, c.priority))
    priorities.push_back(text::iequals(p, chosen_priority) ? html("<option selected>{}</option>", p)
                                                           : html("<option>{}</option>", p));
  Html out = html(
      "<section aria-labelledby=\"case-h\" class=\"card\"><h2 id=\"case-h\">Assign</h2>"
      "<form method=\"post\" action=\"/cases/{}/assign\" class=\"filters\">{}"
      "<div><label for=\"assign-owner\">Owner</label><select id=\"assign-owner\" "
      "name=\"owner\">{}</select></div>"
      "<div><label for=\"assign-queue\">Queue</label><input id=\"assign-queue\" name=\"queue\" type=\"text\" "
      "required maxlength=\"200\" list=\"queue-names\" value=\"{}\"></div>"
      "<div><label for=\"assign-priority\">Priority</label><select id=\"assign-priority\" "
      "name=\"priority\">{}</select></div>"
      "<input type=\"hidden\" name=\"was_owner\" value=\"{}\"><input type=\"hidden\" name=\"was_queue\" "
      "value=\"{}\"><input type=\"hidden\" name=\"was_priority\" value=\"{}\">"
      "<button type=\"submit\" class=\"secondary\">Save</button></form><div class=\"actions\">",
      c.number, csrf_field(v), join(options), refused ? draft.queue : c.queue, join(priorities), c.owner,
      c.queue, c.priority);
  if (cases::decide(c.status, cases::ActionKind::kClose))
    out += html(
        "<form method=\"post\" action=\"/cases/{}/close\" data-confirm=\"Close this case?\">{}"
        "<button type=\"submit\" class=\"danger\">Close case</button></form>",
        c.number, csrf_field(v));
  if (cases::decide(c.status, cases::ActionKind::kReopen))
    out += html(
        "<form method=\"post\" action=\"/cases/{}/reopen\">{}<button type=\"submit\" class=\"secondary\">"
        "Reopen case</button></form>",
        c.number, csrf_field(v));
  return out + html("</div></section>");
}

// The case's stage, with a select of its process's stages to move it (POST
// /cases/{number}/stage); nothing for a case of no process (or of one that is gone).
Html stage_form_html(const cases::CaseView& view, const std::optional<store::Process>& process,
                     const Viewer& v) {
  if (!process) return Html();
  std::vector<Html> options;
  for (const auto& s : process->stages)
    options.push_back(s == view.c.stage ? html("<option value=\"{}\" selected>{}</option>", s, s)
                                        : html("<option value=\"{}\">{}</option>", s, s));
  return html(
      "<section aria-labelledby=\"stage-h\" class=\"card\"><h2 id=\"stage-h\">Stage <span "
      "class=\"muted\">({})</span></h2>"
      "<form method=\"post\" action=\"/cases/{}/stage\" class=\"filters\">{}"
      "<div><label for=\"stage-select\">Stage</label><select id=\"stage-select\" "
      "name=\"stage\">{}</select></div>"
      "<button type=\"submit\" class=\"secondary\">Move</button></form></section>",
      process->name, view.c.number, csrf_field(v), join(options));
}

void send_attachment(Context& ctx, const Viewer& v, const std::string& id_text, httplib::Response& res) {
  store::Id id = 0;
  try {
    id = std::stoll(id_text);
  } catch (...) {
    return send_error(res, 404, v, "There is no such attachment.");
  }
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_error(res, 503, v, "The attachment cannot be read just now. Please try again.");
  auto a = unit->cases().get_attachment(id);
  if (!a) return send_error(res, 503, v, "The attachment cannot be read just now. Please try again.");
  if (!*a) return send_error(res, 404, v, "There is no such attachment.");
  auto bytes = ingest::read_kept_blob(unit->raw_messages(), ctx.data_dir,
                                      spool::BlobRef{(*a)->sha256, (*a)->size, (*a)->blob_location});
  if (!bytes && bytes.error().code == ErrorCode::kNotFound)
    return send_error(res, 404, v, "The bytes of this attachment were not kept.");
  if (!bytes) return send_error(res, 503, v, "The attachment cannot be read just now. Please try again.");
  const std::string name = mime::safe_filename((*a)->filename, "attachment-" + id_text);
  res.status = 200;
  set_console_headers(res);
  replace_header(res, "Content-Disposition", mime::attachment_disposition(name));
  replace_header(res, "Cache-Control", "private, no-store");
  res.set_content(std::move(*bytes), mime::harmless_content_type((*a)->content_type));
}

// The comments after `after` as an htmx out-of-band append to the thread, with a new poll
// element; 204 when there are none.
void send_thread_after(Context& ctx, const std::string& number, const std::string& after_text,
                       const std::string& seen_text, httplib::Response& res) {
  store::Id after = 0;
  std::optional<store::Id> seen;  // none: a page of before this parameter, whose facts are left alone
  try {
    after = after_text.empty() ? 0 : std::stoll(after_text);
    if (!seen_text.empty()) seen = std::stoll(seen_text);
  } catch (...) {
    return send_fragment(res, 400, html("<p class=\"error\">Bad request.</p>"));
  }
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_fragment(res, 503, Html());
  auto c = unit->cases().find_case_by_number(number);
  if (!c) return send_fragment(res, 503, Html());
  if (!*c) return send_fragment(res, 404, html("<p class=\"error\">This case no longer exists.</p>"));
  auto comments = unit->cases().comments_after((*c)->id, after);
  if (!comments) return send_fragment(res, 503, Html());
  std::vector<store::Comment> fresh = std::move(*comments);
  // Another agent (or a mail) changed the case since the page was drawn: its facts are
  // drawn again, and the page says its forms are those of the case as it was.
  auto latest = unit->events().last_event_id((*c)->id);
  if (!latest) return send_fragment(res, 503, Html());
  const bool changed = seen && *latest > *seen;
  if (fresh.empty() && !changed) {
    res.status = 204;
    set_console_headers(res);
    return;
  }
  Html out;
  if (!fresh.empty()) {
    auto atts = unit->cases().attachments_of((*c)->id);
    auto agents = unit->agents().list_agents();
    if (!atts || !agents) return send_fragment(res, 503, Html());
    const AgentNames names = agent_names(*agents);
    std::vector<Html> items;
    for (const auto& cm : fresh) items.push_back(comment_html(cm, *atts, names));
    out = html("<div id=\"thread-items\" hx-swap-oob=\"beforeend\">{}</div>", join(items));
  }
  if (changed) {
    auto view = cases::load_case(*unit, number);
    if (!view) return send_fragment(res, 503, Html());
    out += html(
        "{}<p id=\"case-changed\" class=\"ok\" role=\"status\" hx-swap-oob=\"true\">This case changed "
        "since the page was opened (above: as it is now). <a href=\"/cases/{}\">Reload</a> to see its forms "
        "as they are.</p>",
        facts_html(*view, true), number);
  }
  out += poll_html(number, fresh.empty() ? after : fresh.back().id, *latest);
  send_fragment(res, 200, out);
}

}  // namespace

void show_case(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res,
               const std::string& number, int status, std::string_view error, const Draft& draft) {
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_error(res, 503, v, "The case cannot be read just now. Please try again.");
  auto view = cases::load_case(*unit, number);
  if (!view) {
    if (view.error().code == ErrorCode::kNotFound) {
      // "/cases/cs31" is CS0000031's page, if that case is there.
      auto canonical =
          case_number_named(number, ctx.cfg.threading.case_prefix, ctx.cfg.threading.case_digits);
      if (canonical && *canonical != number && req.method == "GET") {
        auto found = unit->cases().find_case_by_number(*canonical);
        if (found && *found) return redirect(res, "/cases/" + *canonical);
      }
      return send_error(res, 404, v, "There is no case " + number + ".");
    }
    spdlog::warn("console: cannot read case {}: {}", number, view.error().message);
    return send_error(res, 503, v, "The case cannot be read just now. Please try again.");
  }
  auto agents = unit->agents().list_agents();
  if (!agents) return send_error(res, 503, v, "The case cannot be read just now. Please try again.");
  const AgentNames names = agent_names(*agents);
  std::optional<store::Process> process;
  if (!view->c.process.empty()) {
    auto p = unit->processes().find_process(view->c.process);
    if (!p) return send_error(res, 503, v, "The case cannot be read just now. Please try again.");
    process = std::move(*p);
  }

  Html notice;
  if (!error.empty())
    notice = html("<p class=\"error\" role=\"alert\">{}</p>", error);
  else if (auto w = done_words(req.get_param_value("done")); !w.empty())
    notice = html("<p class=\"ok\" role=\"status\">{}</p>", w);

  std::vector<Html> items;
  store::Id last = 0;
  for (const auto& cm : view->comments) {
    items.push_back(comment_html(cm, view->attachments, names));
    last = cm.id;
  }
  std::vector<store::Attachment> loose;
  for (const auto& a : view->attachments)
    if (!a.comment_id) loose.push_back(a);
  Html description;
  if (!view->c.description.empty())
    description =
        html("<div class=\"card\"><p class=\"meta\">Description</p><div class=\"body\">{}</div></div>",
             view->c.description);
  Html loose_html;
  if (!loose.empty()) loose_html = html("<h2>Other attachments</h2>{}", attachment_links(loose));

  // Read in the same unit as the case: the poll then reports any change made after it.
  auto latest_event = unit->events().last_event_id(view->c.id);
  if (!latest_event) return send_error(res, 503, v, "The case cannot be read just now. Please try again.");
  const Html body = html(
      "<p class=\"meta\"><a href=\"/cases\">All cases</a> · <a href=\"/cases/{}/history\">History</a></p>"
      "<h1>{} · {}</h1>{}<p id=\"case-changed\" hidden></p>{}{}{}"
      "<section aria-labelledby=\"thread-h\"><h2 id=\"thread-h\">Thread <span class=\"muted\">(oldest "
      "first)</span>"
      "</h2><div class=\"thread\" id=\"thread-items\">{}</div>{}</section>{}{}{}{}{}",
      view->c.number, view->c.number, view->c.subject, notice, facts_html(*view), description,
      participants_html(*view, v, draft),
      items.empty() ? html("<p class=\"muted\">No comments yet.</p>") : join(items),
      poll_html(view->c.number, last, *latest_event), loose_html, comment_forms_html(*view, v, draft),
      case_form_html(*view, *agents, v, draft, ctx.cfg), stage_form_html(*view, process, v),
      queue_names_html(*unit, ctx.cfg));
  send_page(res, status, v, view->c.number + " " + view->c.subject, "cases", body, mail_frame_src(req));
}

void mount_case_page(web::HttpServer& server, Context& ctx) {
  const std::string one = std::string("/cases/") + kCaseNumberPattern;
  server.get(
      "/cases/{number}", one,
      page(ctx, Need::kAgent, [&ctx](const Viewer& v, const httplib::Request& req, httplib::Response& res) {
        show_case(ctx, v, req, res, req.matches[1], 200, "");
      }));
  server.get("/cases/{number}/thread", one + "/thread",
             page(
                 ctx, Need::kAgent,
                 [&ctx](const Viewer&, const httplib::Request& req, httplib::Response& res) {
                   send_thread_after(ctx, req.matches[1], req.get_param_value("after"),
                                     req.get_param_value("seen"), res);
                 },
                 Use::kRefresh));
  server.get(
      "/attachments/{id}", R"(/attachments/([0-9]{1,18}))",
      page(ctx, Need::kAgent, [&ctx](const Viewer& v, const httplib::Request& req, httplib::Response& res) {
        send_attachment(ctx, v, req.matches[1], res);
      }));
}

}  // namespace mailcase::console
