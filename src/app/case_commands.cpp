// case list, case show.
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/app.h"
#include "cases/case_view.h"

namespace mailcase::app {

void register_case_commands(CLI::App& app, Globals& g) {
  auto* cs = app.add_subcommand("case", "cases: list, show");
  cs->require_subcommand(1);
  {
    auto* list = cs->add_subcommand("list", "list cases, newest first");
    auto json = std::make_shared<bool>(false);
    auto limit = std::make_shared<int>(1000);
    list->add_flag("--json", *json, "JSON output");
    list->add_option("--limit", *limit, "at most this many");
    list->callback([&g, json, limit] {
      g.action = [&g, json, limit] {
        auto p = open_pipeline(g);
        if (!p) return;
        auto all = p->store().list_cases(*limit);
        if (!all) {
          print_error(all.error());
          g.exit_code = exit_code_for(all.error());
          return;
        }
        if (*json) {
          auto out = nlohmann::json::array();
          for (const auto& s : *all) out.push_back(cases::summary_json(s));
          std::cout << json_text(out, 2) << "\n";
          return;
        }
        for (const auto& s : *all) {
          std::cout << s.c.number << "  " << std::left << std::setw(10) << s.c.status << " " << std::setw(12)
                    << s.c.queue << " " << (s.contact ? s.contact->name : "-") << "  " << s.c.subject << "\n";
        }
      };
    });
  }
  {
    auto* show = cs->add_subcommand("show", "show one case with its thread");
    auto number = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    show->add_option("number", *number, "case number, e.g. CS0000001")->required();
    show->add_flag("--json", *json, "JSON output");
    show->callback([&g, number, json] {
      g.action = [&g, number, json] {
        auto p = open_pipeline(g);
        if (!p) return;
        auto v = cases::load_case(p->store(), *number);
        if (!v) {
          print_error(v.error());
          g.exit_code = exit_code_for(v.error());
          return;
        }
        if (*json) {
          std::cout << json_text(cases::to_json(*v), 2) << "\n";
          return;
        }
        const auto& c = v->c;
        std::cout << c.number << "  " << c.subject << "\n"
                  << "status: " << c.status << "  priority: " << c.priority << "  queue: " << c.queue
                  << "  product: " << (c.product.empty() ? "-" : c.product) << "\n"
                  << "contact: "
                  << (v->contact ? v->contact->name + " <" +
                                       (v->contact->emails.empty() ? "" : v->contact->emails.front()) + ">"
                                 : "-")
                  << "  account: " << (v->account ? v->account->name : "-") << "\n";
        for (const auto& cm : v->comments) {
          std::cout << "\n--- " << cm.created_at << "  " << cm.direction << " (" << cm.visibility << ")  "
                    << cm.author << "\n"
                    << cm.body << "\n";
          if (!cm.quoted.empty()) std::cout << "[quoted history: " << cm.quoted.size() << " bytes]\n";
        }
        for (const auto& a : v->attachments) {
          std::cout << "attachment: " << a.filename << " (" << a.content_type << ", " << a.size
                    << " bytes)\n";
        }
      };
    });
  }
}

}  // namespace mailcase::app
