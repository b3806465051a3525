// agent add/list/disable/enable: the people who work cases. An agent's email is their
// identity: `case assign --owner` names it.
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "admin/admin.h"
#include "app/app.h"
#include "present/json.h"
#include "store/agents.h"
#include "util/text.h"

namespace mailcase::app {
namespace {

void fail_with(Globals& g, const Error& e) {
  print_error(e);
  g.exit_code = exit_code_for(e);
}

void set_active(Globals& g, const std::string& email, bool active) {
  auto p = open_runtime(g);
  if (!p) return;
  auto done = admin::update_agent(p->store(), email, active, std::nullopt, "admin");
  if (!done) return fail_with(g, done.error());
  std::cout << text::normalize_email(email) << ": " << (active ? "enabled" : "disabled") << "\n";
}

}  // namespace

void register_agent_commands(CLI::App& app, Globals& g) {
  auto* agent = app.add_subcommand("agent", "agents (the people who work cases): add, list, disable, enable");
  agent->require_subcommand(1);
  {
    auto* add = agent->add_subcommand("add", "add an agent");
    auto name = std::make_shared<std::string>();
    auto email = std::make_shared<std::string>();
    auto role = std::make_shared<std::string>("agent");
    add->add_option("--name", *name, "the agent's name")->required();
    add->add_option("--email", *email, "the agent's email: their identity, unique")->required();
    add->add_option("--role", *role, "agent (default) or admin");
    add->callback([&g, name, email, role] {
      g.action = [&g, name, email, role] {
        auto a = admin::agent_from(*name, *email, *role);
        if (!a) return fail_with(g, a.error());
        auto p = open_runtime(g);
        if (!p) return;
        auto done = admin::add_agent(p->store(), *a, "admin");
        if (!done) return fail_with(g, done.error());
        std::cout << "agent " << done->id << " " << a->name << " <" << a->email << "> (" << to_string(a->role)
                  << ")\n";
      };
    });
  }
  {
    auto* list = agent->add_subcommand("list", "list agents by email");
    auto json = std::make_shared<bool>(false);
    list->add_flag("--json", *json, "JSON output");
    list->callback([&g, json] {
      g.action = [&g, json] {
        auto p = open_runtime(g);
        if (!p) return;
        auto all = p->store().list_agents();
        if (!all) return fail_with(g, all.error());
        if (*json) {
          auto out = nlohmann::json::array();
          for (const auto& a : *all) out.push_back(present::agent_json(a));
          std::cout << json_text(out, 2) << "\n";
          return;
        }
        for (const auto& a : *all) {
          std::cout << std::left << std::setw(32) << a.email << " " << std::setw(6) << to_string(a.role)
                    << " " << std::setw(9) << (a.active ? "active" : "disabled") << " " << a.name << "\n";
        }
      };
    });
  }
  for (bool active : {false, true}) {
    auto* cmd =
        agent->add_subcommand(active ? "enable" : "disable",
                              active ? "let a disabled agent be assigned cases again"
                                     : "stop an agent from being assigned cases (cases they own stay)");
    auto email = std::make_shared<std::string>();
    cmd->add_option("email", *email, "the agent's email")->required();
    cmd->callback([&g, email, active] { g.action = [&g, email, active] { set_active(g, *email, active); }; });
  }
}

}  // namespace mailcase::app
