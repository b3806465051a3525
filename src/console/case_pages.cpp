// The queues ("/": each queue's open cases by status, and the agent's own open cases) and
// the case list ("/cases": filters, search with highlighted snippets, sort and keyset
// pages, all in the URL of a GET form so that a list can be shared). The case page and
// its actions are in case_page.cpp and case_actions.cpp.
#include "console/case_pages.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "console/case_logic.h"
#include "util/text.h"

namespace mailcase::console {
namespace {

constexpr int kMyCasesShown = 25;

Html owner_html(const store::CaseSummary& s, const std::map<std::string, std::string>& names) {
  if (s.c.owner.empty()) return html("<span class=\"muted\">nobody</span>");
  auto it = names.find(text::normalize_email(s.c.owner));
  return html("{}", it != names.end() && !it->second.empty() ? it->second : s.c.owner);
}

Html contact_html(const store::CaseSummary& s) {
  if (!s.contact) return html("<span class=\"muted\">none</span>");
  const std::string email = s.contact->emails.empty() ? "" : s.contact->emails.front();
  return html("<a href=\"/contacts/{}\">{}</a>", s.contact->id,
              s.contact->name.empty() ? email : s.contact->name);
}

Html case_row(const store::CaseHit& hit, const std::map<std::string, std::string>& names, bool with_contact) {
  const auto& c = hit.summary.c;
  Html snippet;
  // The store's snippets are escaped text with <mark> around matches; anything else is
  // shown as text.
  if (!hit.snippet.empty())
    snippet = is_mark_only_html(hit.snippet)
                  ? html("<div class=\"meta\">{}</div>", Html::trusted(hit.snippet))
                  : html("<div class=\"meta\">{}</div>", hit.snippet);
  return html(
      "<tr><td><a href=\"/cases/{}\">{}</a></td><td>{}{}</td><td><span class=\"badge {}\">{}</span></td>"
      "<td class=\"optional\">{}</td><td class=\"optional\">{}</td>{}<td>{}</td></tr>",
      c.number, c.number, c.subject, snippet, status_class(c.status), status_words(c.status), c.queue,
      owner_html(hit.summary, names),
      with_contact ? html("<td class=\"optional\">{}</td>", contact_html(hit.summary)) : Html(),
      time_html(c.updated_at));
}

Html count_link(const std::string& queue, std::string_view status, int64_t n) {
  if (n == 0) return html("<span class=\"muted\">0</span>");
  ListForm f;
  f.queue = queue;
  f.status = std::string(status);
  return html("<a href=\"{}\">{}</a>", list_link(f), n);
}

void queues_page(Context& ctx, const Viewer& v, httplib::Response& res) {
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_error(res, 503, v, "The queues cannot be read just now. Please try again.");
  auto counts = unit->cases().count_open_by_queue();
  auto agents = unit->agents().list_agents();
  if (!counts || !agents)
    return send_error(res, 503, v, "The queues cannot be read just now. Please try again.");
  // The agent's open cases, the newest first (CaseQuery::unsolved).
  store::CaseQuery my_query;
  my_query.owner = v.agent.email;
  my_query.unsolved = true;
  my_query.limit = kMyCasesShown;
  auto my_page = unit->cases().find_cases(my_query);
  if (!my_page) return send_error(res, 503, v, "The queues cannot be read just now. Please try again.");
  std::vector<store::CaseHit> mine = std::move(my_page->items);

  std::vector<Html> rows;
  for (const auto& qc : *counts) {
    ListForm all;  // the queue's cases still to be worked, as the row counts them
    all.queue = qc.queue;
    all.status = "unsolved";
    rows.push_back(html(
        "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        list_link(all), qc.queue.empty() ? "(no queue)" : qc.queue, count_link(qc.queue, "new", qc.new_cases),
        count_link(qc.queue, "open", qc.open),
        count_link(qc.queue, store::to_string(store::CaseStatus::kSolutionProposed), qc.solution_proposed),
        qc.total()));
  }
  Html queues = rows.empty() ? html("<p class=\"muted\">No open cases in any queue.</p>")
                             : html(
                                   "<table><thead><tr><th scope=\"col\">Queue</th><th scope=\"col\">New</th>"
                                   "<th scope=\"col\">Open</th><th scope=\"col\">Solution proposed</th>"
                                   "<th scope=\"col\">All open</th></tr></thead><tbody>{}</tbody></table>",
                                   join(rows));
  ListForm my;
  my.owner = "me";
  my.status = "unsolved";
  ListForm unassigned;
  unassigned.owner = "nobody";
  unassigned.status = "unsolved";
  Html my_cases = mine.empty() ? html("<p class=\"muted\">No open case is assigned to you.</p>")
                               : case_table(mine, agent_names(*agents));
  send_page(
      res, 200, v, "Queues", "queues",
      html("<h1>Queues</h1><section aria-labelledby=\"queues-h\"><h2 id=\"queues-h\">Open cases by "
           "queue</h2>{}</section><section aria-labelledby=\"mine-h\"><h2 id=\"mine-h\">My open cases</h2>"
           "{}<p><a href=\"{}\">All my open cases</a> · <a href=\"{}\">Unassigned open cases</a></p>"
           "</section>",
           queues, my_cases, list_link(my), list_link(unassigned)));
}

Html option(std::string_view value, std::string_view label, std::string_view current) {
  return value == current ? html("<option value=\"{}\" selected>{}</option>", value, label)
                          : html("<option value=\"{}\">{}</option>", value, label);
}

Html filter_form(const ListForm& f, const std::vector<store::Agent>& agents) {
  std::vector<Html> statuses = {option("", "Any", f.status),
                                option("unsolved", "Unsolved (new, open, solution proposed)", f.status)};
  for (auto s : {store::CaseStatus::kNew, store::CaseStatus::kOpen, store::CaseStatus::kSolutionProposed,
                 store::CaseStatus::kResolved, store::CaseStatus::kClosed})
    statuses.push_back(option(store::to_string(s), status_words(s), f.status));
  std::vector<Html> owners = {option("", "Anyone", f.owner), option("me", "Me", f.owner),
                              option("nobody", "Nobody", f.owner)};
  bool listed = f.owner.empty() || f.owner == "me" || f.owner == "nobody";
  for (const auto& a : agents) {
    if (!a.active) continue;
    listed = listed || a.email == text::normalize_email(f.owner);
    owners.push_back(option(a.email, a.name.empty() ? a.email : a.name,
                            a.email == text::normalize_email(f.owner) ? a.email : f.owner));
  }
  if (!listed) owners.push_back(option(f.owner, f.owner, f.owner));
  std::vector<Html> sorts;
  for (auto [value, label] : {std::pair{"", "Default (best match with search words, else last updated)"},
                              {"-updated", "Updated, newest first"},
                              {"updated", "Updated, oldest first"},
                              {"-created", "Opened, newest first"},
                              {"created", "Opened, oldest first"},
                              {"relevance", "Relevance (with search words)"}})
    sorts.push_back(option(value, label, f.sort));
  return html(
      "<form method=\"get\" action=\"/cases\" class=\"filters\" role=\"search\">"
      "<div><label for=\"f-q\">Search</label><input id=\"f-q\" name=\"q\" type=\"search\" maxlength=\"1000\" "
      "value=\"{}\"></div>"
      "<div><label for=\"f-status\">Status</label><select id=\"f-status\" name=\"status\">{}</select></div>"
      "<div><label for=\"f-queue\">Queue</label><input id=\"f-queue\" name=\"queue\" type=\"text\" "
      "maxlength=\"200\" list=\"queue-names\" value=\"{}\"></div>"
      "<div><label for=\"f-owner\">Owner</label><select id=\"f-owner\" name=\"owner\">{}</select></div>"
      "<div><label for=\"f-contact\">Contact's email</label><input id=\"f-contact\" name=\"contact\" "
      "type=\"email\" maxlength=\"320\" value=\"{}\"></div>"
      "<div><label for=\"f-sort\">Sort</label><select id=\"f-sort\" name=\"sort\">{}</select></div>"
      "{}<button type=\"submit\">Show</button> <a href=\"/cases\">Clear</a></form>",
      f.q, join(statuses), f.queue, join(owners), f.contact, join(sorts),
      f.limit.empty() ? Html() : html("<input type=\"hidden\" name=\"limit\" value=\"{}\">", f.limit));
}

void list_page(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  const ListForm form = list_form_of(req.params);
  const ListQuery lq = list_query_of(form, v.agent.email);
  auto unit = ctx.store.open_unit(store::access_for(lq.query));
  if (!unit) return send_error(res, 503, v, "The cases cannot be read just now. Please try again.");
  auto agents = unit->agents().list_agents();
  if (!agents) return send_error(res, 503, v, "The cases cannot be read just now. Please try again.");
  const Html filters = html("{}{}", filter_form(form, *agents), queue_names_html(*unit, ctx.cfg));
  auto fail_page = [&](int status, std::string_view why) {
    send_page(res, status, v, "Cases", "cases",
              html("<h1>Cases</h1>{}<p class=\"error\" role=\"alert\">{}</p>", filters, why));
  };
  if (!lq.error.empty()) return fail_page(422, lq.error);
  // A search that is a case's number (a customer read it out, a subject showed it) opens
  // that case; a number no case has is searched as words.
  if (form.cursor.empty()) {
    if (auto number =
            case_number_named(form.q, ctx.cfg.threading.case_prefix, ctx.cfg.threading.case_digits)) {
      auto found = unit->cases().find_case_by_number(*number);
      if (found && *found) return redirect(res, "/cases/" + *number);
    }
  }
  auto page = store::find_cases_in(*unit, lq.query);
  if (!page) {
    if (page.error().code == ErrorCode::kInvalidInput)
      return fail_page(422, form.cursor.empty()
                                ? "These filters cannot be searched: " + page.error().message + "."
                                : "This page's link does not fit these filters any more. Start "
                                  "again from the first page.");
    spdlog::warn("console: case list failed: {}", page.error().message);
    return fail_page(503, "The cases cannot be read just now. Please try again.");
  }
  Html pager;
  if (page->next_cursor || !form.cursor.empty()) {
    Html first = form.cursor.empty() ? Html() : html("<a href=\"{}\">First page</a>", list_link(form));
    Html next = page->next_cursor
                    ? html("<a href=\"{}\" rel=\"next\">Next page</a>", list_link(form, *page->next_cursor))
                    : Html();
    pager = html("<nav class=\"pager\" aria-label=\"Pages\">{}{}</nav>", first, next);
  }
  Html results = page->items.empty() ? html("<p class=\"muted\" role=\"status\">No case matches.</p>")
                                     : case_table(page->items, agent_names(*agents));
  send_page(res, 200, v, "Cases", "cases", html("<h1>Cases</h1>{}{}{}", filters, results, pager));
}

}  // namespace

Html case_table(const std::vector<store::CaseHit>& hits, const std::map<std::string, std::string>& names,
                bool with_contact) {
  std::vector<Html> rows;
  for (const auto& h : hits) rows.push_back(case_row(h, names, with_contact));
  return html(
      "<table><thead><tr><th scope=\"col\">Case</th><th scope=\"col\">Subject</th><th "
      "scope=\"col\">Status</th>"
      "<th scope=\"col\" class=\"optional\">Queue</th><th scope=\"col\" class=\"optional\">Owner</th>"
      "{}<th scope=\"col\">Updated</th></tr></thead><tbody>{}</tbody></table>",
      with_contact ? html("<th scope=\"col\" class=\"optional\">Contact</th>") : Html(), join(rows));
}

std::map<std::string, std::string> agent_names(const std::vector<store::Agent>& agents) {
  std::map<std::string, std::string> out;
  for (const auto& a : agents) out[a.email] = a.name;
  return out;
}

Result<std::map<std::string, std::string>> read_agent_names(store::UnitOfWork& unit) {
  MC_ASSIGN_OR_RETURN(auto agents, unit.agents().list_agents());
  return agent_names(agents);
}

Html queue_names_html(store::UnitOfWork& unit, const config::Config& cfg) {
  auto queues = known_queues(unit, cfg);
  if (!queues) {
    spdlog::warn("console: cannot read the queues: {}", queues.error().message);
    return {};
  }
  std::vector<Html> options;
  for (const auto& name : *queues) options.push_back(html("<option value=\"{}\"></option>", name));
  return html("<datalist id=\"queue-names\">{}</datalist>", join(options));
}

Result<std::vector<std::string>> known_queues(store::UnitOfWork& unit, const config::Config& cfg) {
  std::vector<std::string> out;
  auto add = [&](const std::string& name) {
    if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  MC_ASSIGN_OR_RETURN(auto queues, unit.queues().list_queues());
  for (const auto& q : queues) add(q.name);
  MC_ASSIGN_OR_RETURN(auto addresses, unit.routing().list_addresses());
  for (const auto& a : addresses) add(a.queue);
  MC_ASSIGN_OR_RETURN(auto rules, unit.rules().list_rules());
  for (const auto& r : rules) add(r.set.queue);
  add(cfg.routing.default_queue);
  add(cfg.routing.fallback_queue);
  return out;
}

std::vector<std::string> priority_choices(const config::Config& cfg, std::string_view current) {
  std::vector<std::string> out{"low", "normal", "high", "urgent"};
  for (const std::string& extra : {cfg.routing.default_priority, std::string(current)}) {
    const bool known =
        std::any_of(out.begin(), out.end(), [&](const auto& p) { return text::iequals(p, extra); });
    if (!extra.empty() && !known) out.push_back(extra);
  }
  return out;
}

void mount_case_pages(web::HttpServer& server, Context& ctx) {
  server.get(
      "/", "/",
      page(ctx, Need::kAgent, [&ctx](const Viewer& v, const httplib::Request&, httplib::Response& res) {
        queues_page(ctx, v, res);
      }));
  server.get(
      "/cases", "/cases",
      page(ctx, Need::kAgent, [&ctx](const Viewer& v, const httplib::Request& req, httplib::Response& res) {
        list_page(ctx, v, req, res);
      }));
  mount_case_page(server, ctx);
  mount_case_actions(server, ctx);
}

}  // namespace mailcase::console
