// What happened, as the events recorded it: a case's history (/cases/{number}/history,
// oldest first: who opened, wrote, assigned, changed, closed it, which rule matched, which
// mail bounced or failed) and the administration's log (/admin/events, newest first:
// agents, tokens, rules and dismissed mail, the events of no case). A page at a time, by
// keyset on the events' index; the words come from event_words.h.

#include "console/case_pages.h"
#include "console/event_words.h"

namespace mailcase::console {
namespace {

constexpr int kEventsShown = 50;

using Rq = const httplib::Request&;
using Rs = httplib::Response&;

// Who did it, in words: an agent by name, a rule by its name, mailcase itself.
Html actor_html(const store::Event& e, const std::map<std::string, std::string>& agents) {
  switch (e.actor_kind) {
    case store::ActorKind::kAgent: {
      auto a = agents.find(e.actor);
      if (a != agents.end()) return html("{} <span class=\"muted\">{}</span>", a->second, e.actor);
      return html("{}", e.actor.empty() ? std::string("An agent") : e.actor);
    }
    case store::ActorKind::kRule:
      return html("Rule {}", e.actor);
    case store::ActorKind::kSystem:
      return html("mailcase");
    case store::ActorKind::kCustomer:
    case store::ActorKind::kMail:
      break;
  }
  return html("{}", e.actor.empty() ? std::string("Someone") : e.actor);
}

Html events_html(const std::vector<store::Event>& events, const std::map<std::string, std::string>& agents) {
  std::vector<Html> rows;
  for (const auto& e : events) {
    std::vector<Html> details;
    for (const auto& [label, value] : event_details(e))
      details.push_back(html("<dt>{}</dt><dd>{}</dd>", label, value));
    rows.push_back(html("<li class=\"event\"><p>{} · {} {}</p>{}</li>", time_html(e.at),
                        actor_html(e, agents), event_phrase(e.action),
                        details.empty() ? Html() : html("<dl class=\"facts\">{}</dl>", join(details))));
  }
  return html("<ol class=\"history\">{}</ol>", join(rows));
}

void case_history(Context& ctx, const Viewer& v, Rq req, Rs res) {
  const std::string number = req.matches[1];
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_failure(res, v, unit.error());
  auto c = unit->cases().find_case_by_number(number);
  if (!c) return send_failure(res, v, c.error());
  if (!*c) return send_error(res, 404, v, "There is no case " + number + ".");
  store::PageRequest pr = page_request_of(req, kEventsShown);
  pr.count = true;
  auto page = unit->events().page_events((*c)->id, pr);
  if (!page) return send_failure(res, v, page.error());
  auto agents = read_agent_names(*unit);
  if (!agents) return send_unreadable(res, v, "The history", agents.error());
  const std::string path = "/cases/" + (*c)->number;
  Html body = html(
      "<p class=\"meta\"><a href=\"{}\">{} · {}</a></p><h1>History <span class=\"muted\">({} events, oldest "
      "first)</span></h1>{}{}",
      path, (*c)->number, (*c)->subject, page->total.value_or(0),
      page->items.empty() ? html("<p class=\"muted\">Nothing recorded yet.</p>")
                          : events_html(page->items, *agents),
      pager_html(path + "/history", page->next_cursor, !pr.cursor.has_value()));
  send_page(res, 200, v, "History of " + (*c)->number, "cases", body);
}

void admin_events(Context& ctx, const Viewer& v, Rq req, Rs res) {
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_failure(res, v, unit.error());
  const store::PageRequest pr = page_request_of(req, kEventsShown);
  auto page = unit->events().page_admin_events(pr);
  if (!page) return send_failure(res, v, page.error());
  auto agents = read_agent_names(*unit);
  if (!agents) return send_unreadable(res, v, "The log", agents.error());
  Html body = html(
      "<p class=\"meta\"><a href=\"/admin\">Admin</a> › Log</p><h1>Log <span class=\"muted\">(newest "
      "first)</span></h1><p class=\"muted\">What agents and admins did outside cases: agents, API tokens, "
      "rules, dismissed mail. A case's own history is on its page.</p>{}{}",
      page->items.empty() ? html("<p class=\"muted\">Nothing recorded yet.</p>")
                          : events_html(page->items, *agents),
      pager_html("/admin/events", page->next_cursor, !pr.cursor.has_value()));
  send_page(res, 200, v, "Log", "admin", body);
}

}  // namespace

void mount_history_pages(web::HttpServer& server, Context& ctx) {
  const std::string one = std::string("/cases/") + kCaseNumberPattern;
  server.get("/cases/{number}/history", one + "/history",
             page(ctx, Need::kAgent, [&ctx](const Viewer& v, Rq q, Rs s) { case_history(ctx, v, q, s); }));
  server.get("/admin/events", "/admin/events",
             page(ctx, Need::kAdmin, [&ctx](const Viewer& v, Rq q, Rs s) { admin_events(ctx, v, q, s); }));
}

}  // namespace mailcase::console
