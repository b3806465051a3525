// case list, case show, case add-participant.
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/app.h"
#include "cases/case_view.h"
#include "present/json.h"
#include "util/text.h"

namespace mailcase::app {

void register_case_commands(CLI::App& app, Globals& g) {
  auto* cs = app.add_subcommand("case",
                                "cases: list, show, history, add-participant, comment, propose-solution, "
                                "accept, reject, close, reopen, assign, create, set, stage");
  cs->require_subcommand(1);
  {
    auto* list = cs->add_subcommand("list", "list cases, newest first");
    auto json = std::make_shared<bool>(false);
    auto limit = std::make_shared<int>(1000);
    list->add_flag("--json", *json, "JSON output");
    list->add_option("--limit", *limit, "at most this many");
    list->callback([&g, json, limit] {
      g.action = [&g, json, limit] {
        auto p = open_runtime(g);
        if (!p) return;
        auto all = p->store().list_cases(*limit);
        if (!all) {
          print_error(all.error());
          g.exit_code = exit_code_for(all.error());
          return;
        }
        if (*json) {
          auto out = nlohmann::json::array();
          for (const auto& s : *all) out.push_back(present::case_json(s));
          std::cout << json_text(out, 2) << "\n";
          return;
        }
        for (const auto& s : *all) {
          std::cout << s.c.number << "  " << std::left << std::setw(10) << store::to_string(s.c.status) << " "
                    << std::setw(12) << s.c.queue << " " << (s.contact ? s.contact->name : "-") << "  "
                    << s.c.subject << "\n";
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
        auto p = open_runtime(g);
        if (!p) return;
        auto v = cases::load_case(p->store(), *number);
        if (!v) {
          print_error(v.error());
          g.exit_code = exit_code_for(v.error());
          return;
        }
        if (*json) {
          std::cout << json_text(present::case_detail_json(*v), 2) << "\n";
          return;
        }
        const auto& c = v->c;
        std::cout << c.number << "  " << c.subject << "\n"
                  << "status: " << store::to_string(c.status) << "  priority: " << c.priority
                  << "  queue: " << c.queue << "  product: " << (c.product.empty() ? "-" : c.product) << "\n"
                  << "contact: "
                  << (v->contact ? v->contact->name + " <" +
                                       (v->contact->emails.empty() ? "" : v->contact->emails.front()) + ">"
                                 : "-")
                  << "  account: " << (v->account ? v->account->name : "-") << "\n";
        if (!c.process.empty()) std::cout << "process: " << c.process << "  stage: " << c.stage << "\n";
        std::cout << "owner: "
                  << (v->owner          ? v->owner->name + " <" + v->owner->email + ">"
                      : c.owner.empty() ? "-"
                                        : c.owner)
                  << "\n";
        if (!v->participants.empty()) {
          std::cout << "participants:";
          for (const auto& pt : v->participants) std::cout << " " << pt.email << " (" << pt.source << ")";
          std::cout << "\n";
        }
        for (const auto& cm : v->comments) {
          std::cout << "\n--- " << cm.created_at << "  " << store::to_string(cm.direction) << " ("
                    << store::to_string(cm.visibility) << ")  " << cm.author
                    << (!cm.sender_verified   ? ""
                        : *cm.sender_verified ? "  [verified]"
                                              : "  [not verified]")
                    << "\n";
          if (!cm.cc.empty()) std::cout << "cc: " << text::join(cm.cc, ", ") << "\n";
          std::cout << cm.body << "\n";
          if (!cm.quoted.empty()) std::cout << "[quoted history: " << cm.quoted.size() << " bytes]\n";
        }
        for (const auto& a : v->attachments) {
          std::cout << "attachment: " << a.filename << " (" << a.content_type << ", " << a.size
                    << " bytes)\n";
        }
      };
    });
  }
  {
    // An agent lets someone answer on a case: their mail then threads as a participant's.
    auto* add = cs->add_subcommand("add-participant", "let an address write to a case (as a participant)");
    auto number = std::make_shared<std::string>();
    auto email = std::make_shared<std::string>();
    add->add_option("number", *number, "case number, e.g. CS0000001")->required();
    add->add_option("email", *email, "the address, e.g. colleague@example.com")->required();
    add->callback([&g, number, email] {
      g.action = [&g, number, email] {
        with_agent(g, [&](runtime::Runtime& rt, const services::Actor& by) -> Result<std::string> {
          MC_ASSIGN_OR_RETURN(auto c, rt.cases().add_participant(by, *number, *email));
          return c.number + ": " + text::normalize_email(*email) + " is a participant\n";
        });
      };
    });
  }
  {
    // And takes it off again: its mail then threads as a stranger's would.
    auto* rm = cs->add_subcommand("remove-participant", "take an address off a case's participants");
    auto number = std::make_shared<std::string>();
    auto email = std::make_shared<std::string>();
    rm->add_option("number", *number, "case number, e.g. CS0000001")->required();
    rm->add_option("email", *email, "the participant's address")->required();
    rm->callback([&g, number, email] {
      g.action = [&g, number, email] {
        with_agent(g, [&](runtime::Runtime& rt, const services::Actor& by) -> Result<std::string> {
          MC_ASSIGN_OR_RETURN(auto c, rt.cases().remove_participant(by, *number, *email));
          return c.number + ": " + text::normalize_email(*email) + " is no longer a participant\n";
        });
      };
    });
  }
  {
    // What happened to a case, oldest first: one line per event, or a JSON array.
    auto* history = cs->add_subcommand("history", "what happened to a case: who did what, when");
    auto number = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    history->add_option("number", *number, "case number, e.g. CS0000001")->required();
    history->add_flag("--json", *json, "JSON output");
    history->callback([&g, number, json] {
      g.action = [&g, number, json] {
        with_runtime(g, [&](runtime::Runtime& rt) -> Result<std::string> {
          MC_ASSIGN_OR_RETURN(auto c, rt.store().find_case_by_number(*number));
          if (!c) return fail(ErrorCode::kNotFound, "no case " + *number);
          MC_ASSIGN_OR_RETURN(auto events, rt.store().events_of(c->id));
          return events_text(events, *json);
        });
      };
    });
  }
  {
    // An agent opens a case for a contact (a phone call, say): the same service as the API's
    // POST /api/v1/cases.
    auto* create = cs->add_subcommand("create", "open a case for a contact (made if new)");
    auto n = std::make_shared<services::NewCase>();
    create->add_option("--contact", n->contact_email, "the contact's email address")->required();
    create->add_option("--contact-name", n->contact_name, "the name of a new contact");
    create->add_option("--subject", n->subject, "the case's subject")->required();
    create->add_option("--description", n->description, "what the case is about");
    create->add_option("--queue", n->queue, "default: routing.default_queue");
    create->add_option("--priority", n->priority, "default: routing.default_priority");
    create->add_option("--product", n->product, "the product");
    create->add_option("--owner", n->owner, "an active agent's email");
    create->add_flag("--confirm", n->confirm, "mail the contact the confirmation of the new case");
    create->callback([&g, n] {
      g.action = [&g, n] {
        with_agent(g, [&](runtime::Runtime& rt, const services::Actor& by) -> Result<std::string> {
          MC_ASSIGN_OR_RETURN(auto c, rt.cases().open_case(by, *n));
          return c.number + "\n";
        });
      };
    });
  }
  {
    // An agent moves a case to another queue, priority or product; each change is an event.
    auto* set = cs->add_subcommand("set", "change a case's queue, priority or product");
    auto number = std::make_shared<std::string>();
    auto f = std::make_shared<services::CaseFields>();
    set->add_option("number", *number, "case number, e.g. CS0000001")->required();
    set->add_option("--queue", f->queue, "the queue");
    set->add_option("--priority", f->priority, "the priority");
    set->add_option("--product", f->product, "the product ('' for none)");
    set->callback([&g, number, f] {
      g.action = [&g, number, f] {
        with_agent(g, [&](runtime::Runtime& rt, const services::Actor& by) -> Result<std::string> {
          MC_ASSIGN_OR_RETURN(auto c, rt.cases().change(by, *number, *f));
          return c.number + ": queue " + c.queue + ", priority " + c.priority + ", product " +
                 (c.product.empty() ? "-" : c.product) + "\n";
        });
      };
    });
  }
  {
    // An agent moves a case to another stage of its process; the move is an event.
    auto* stage = cs->add_subcommand("stage", "move a case to another stage of its process");
    auto number = std::make_shared<std::string>();
    auto to = std::make_shared<std::string>();
    stage->add_option("number", *number, "case number, e.g. CS0000001")->required();
    stage->add_option("stage", *to, "one of the stages of the case's process")->required();
    stage->callback([&g, number, to] {
      g.action = [&g, number, to] {
        with_agent(g, [&](runtime::Runtime& rt, const services::Actor& by) -> Result<std::string> {
          MC_ASSIGN_OR_RETURN(auto c, rt.cases().set_stage(by, *number, *to));
          return c.number + ": process " + c.process + ", stage " + c.stage + "\n";
        });
      };
    });
  }
}

}  // namespace mailcase::app
