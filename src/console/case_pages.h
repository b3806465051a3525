// What the case page files share (case_pages.cpp: queues and the list; case_page.cpp:
// one case, its thread and attachments; case_actions.cpp: the case's forms). Internal to
// src/console/.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "console/page.h"

namespace mailcase::console {

// A case number in a path: the routes' patterns admit only these characters.
inline constexpr const char* kCaseNumberPattern = R"(([A-Za-z0-9_-]{1,64}))";

// What an agent typed into a form that failed, shown again so that nothing is lost.
struct Draft {
  std::string form;  // reply | note | solution | participant | assign
  std::string body, cc, email;
  std::string owner, queue, priority;  // the assign form's choices
};

// The case page, with `error` (a sentence for the user; empty: none) above it and the
// draft back in its form. 404 for an unknown case.
void show_case(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res,
               const std::string& number, int status, std::string_view error, const Draft& draft = {});

void mount_case_page(web::HttpServer& server, Context& ctx);     // /cases/{number}, thread, attachments
void mount_case_actions(web::HttpServer& server, Context& ctx);  // POST /cases/{number}/…

// The queues there are (known_queues), offered to a queue field by its list="queue-names",
// so that an agent picks a name as it is spelt (the store's names are matched exactly:
// "support" finds no case of "Support"). Nothing when they cannot be read: the field still
// takes what is typed.
Html queue_names_html(store::UnitOfWork& unit, const config::Config& cfg);
// The queues a case may be put in from the console: those with a row or open cases, the
// routing addresses', the assignment rules' and the configured default and fallback
// queues; each once.
Result<std::vector<std::string>> known_queues(store::UnitOfWork& unit, const config::Config& cfg);
// The priorities the console offers: low, normal, high, urgent, the configured default
// and `current` (a case's, which a rule or the API may have set to another word).
std::vector<std::string> priority_choices(const config::Config& cfg, std::string_view current);

// Agents' names by their normalized email, for case_table's owner column and a thread's
// or a history's authors.
std::map<std::string, std::string> agent_names(const std::vector<store::Agent>& agents);
// The same, read in `unit` (agents are tens: the whole list).
Result<std::map<std::string, std::string>> read_agent_names(store::UnitOfWork& unit);
// A table of cases (number, subject with its search snippet, status, queue, owner,
// contact unless with_contact is false (one contact's cases), updated), each row linking
// to its case and its contact.
Html case_table(const std::vector<store::CaseHit>& hits, const std::map<std::string, std::string>& names,
                bool with_contact = true);

}  // namespace mailcase::console
