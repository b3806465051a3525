// queue add/list/members: queues and the agents who are their members (members are told
// of each new case in the queue, per their settings: `agent set`).
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "admin/queues.h"
#include "app/app.h"
#include "present/json.h"
#include "util/text.h"

namespace mailcase::app {
namespace {

void fail_with(Globals& g, const Error& e) {
  print_error(e);
  g.exit_code = exit_code_for(e);
}

std::string members_text(const store::Queue& q) {
  if (q.members.empty()) return "no members";
  std::string out;
  for (const auto& m : q.members) out += (out.empty() ? "" : ", ") + m;
  return out;
}

// "a@x, b@y" (the --agents list): each address trimmed, empty ones dropped.
std::vector<std::string> split_emails(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    auto one = text::trim(std::string_view(list).substr(start, comma - start));
    if (!one.empty()) out.emplace_back(one);
    start = comma + 1;
  }
  return out;
}

}  // namespace

void register_queue_commands(CLI::App& app, Globals& g) {
  auto* queue = app.add_subcommand("queue", "queues and their members: add, list, members");
  queue->require_subcommand(1);
  {
    auto* add = queue->add_subcommand("add", "add a queue, with its members");
    auto name = std::make_shared<std::string>();
    auto agents = std::make_shared<std::string>();
    add->add_option("name", *name, "the queue's name, as cases and routing addresses name it")->required();
    add->add_option("--agents", *agents, "its members: agents' emails, separated by commas");
    add->callback([&g, name, agents] {
      g.action = [&g, name, agents] {
        auto p = open_runtime(g);
        if (!p) return;
        auto q = admin::add_queue(p->store(), *name, split_emails(*agents));
        if (!q) return fail_with(g, q.error());
        std::cout << "queue " << q->name << ": " << members_text(*q) << "\n";
      };
    });
  }
  {
    auto* list = queue->add_subcommand("list", "list queues by name, with their members and open cases");
    auto json = std::make_shared<bool>(false);
    list->add_flag("--json", *json, "JSON output");
    list->callback([&g, json] {
      g.action = [&g, json] {
        auto p = open_runtime(g);
        if (!p) return;
        auto all = admin::list_queues(p->store());
        if (!all) return fail_with(g, all.error());
        if (*json) {
          auto out = nlohmann::json::array();
          for (const auto& q : *all) out.push_back(present::queue_json(q));
          std::cout << json_text(out, 2) << "\n";
          return;
        }
        for (const auto& q : *all)
          std::cout << std::left << std::setw(24) << q.name << " " << std::setw(6) << q.open_cases
                    << " open  " << members_text(q) << "\n";
      };
    });
  }
  {
    auto* members = queue->add_subcommand("members", "add an agent to a queue, or remove one");
    auto name = std::make_shared<std::string>();
    auto add = std::make_shared<std::string>();
    auto remove = std::make_shared<std::string>();
    members->add_option("name", *name, "the queue's name")->required();
    auto* a = members->add_option("--add", *add, "the email of an agent to make a member");
    auto* r = members->add_option("--remove", *remove, "the email of a member to remove");
    a->excludes(r);
    r->excludes(a);
    members->callback([&g, name, add, remove, a, r] {
      if (a->count() == 0 && r->count() == 0) throw CLI::RequiredError("--add or --remove");
      g.action = [&g, name, add, remove, adding = a->count() > 0] {
        auto p = open_runtime(g);
        if (!p) return;
        auto q = adding ? admin::add_queue_member(p->store(), *name, *add)
                        : admin::remove_queue_member(p->store(), *name, *remove);
        if (!q) return fail_with(g, q.error());
        std::cout << "queue " << q->name << ": " << members_text(*q) << "\n";
      };
    });
  }
}

}  // namespace mailcase::app
