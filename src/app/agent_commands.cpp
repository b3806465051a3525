// agent add/list/disable/enable/password: the people who work cases. An agent's email is
// their identity: `case assign --owner` names it.
#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "access/credentials.h"
#include "admin/admin.h"
#include "admin/queues.h"
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
  auto done = admin::update_agent(p->store(), email, {.active = active}, "admin");
  if (!done) return fail_with(g, done.error());
  std::cout << text::normalize_email(email) << ": " << (active ? "enabled" : "disabled") << "\n";
}

// The first line of standard input without its line ending ("\n" or "\r\n"), read up to
// one byte over access::kMaxPasswordBytes (hash_password then refuses it): a password
// never takes more memory than that, whatever is piped in. From a terminal it prompts
// on stderr and does not echo what is typed.
std::string read_password_line(const std::string& email) {
  const bool tty = ::isatty(STDIN_FILENO) == 1;
  termios saved{};
  const bool quiet = tty && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (quiet) {
    std::cerr << "password for " << email << ": " << std::flush;
    termios silent = saved;
    silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    (void)::tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent);
  }
  std::string line;
  char ch = 0;
  while (line.size() <= access::kMaxPasswordBytes && std::cin.get(ch) && ch != '\n') line.push_back(ch);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (quiet) {
    (void)::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::cerr << "\n";
  }
  return line;
}

// `agent password EMAIL`: sets (or resets) an agent's password from standard input.
void set_password(Globals& g, const std::string& email) {
  auto p = open_runtime(g);
  if (!p) return;
  auto& st = p->store();
  auto agent = st.find_agent_by_email(email);
  if (!agent) return fail_with(g, agent.error());
  if (!*agent)
    return fail_with(g, Error{ErrorCode::kNotFound, "no agent " + email + " (see `mailcase agent list`)"});
  std::string password = read_password_line((*agent)->email);
  auto hash = access::hash_password(password);
  sodium_memzero(password.data(), password.size());  // no copy of it left in memory
  if (!hash)
    return fail_with(
        g, Error{hash.error().code,
                 hash.error().message + " (the password is read from the first line of standard input)"});
  // Its console sessions end: a password is reset when someone else may know it.
  if (auto done = admin::set_agent_password(st, (*agent)->email, *hash, "admin"); !done)
    return fail_with(g, done.error());
  std::cout << (*agent)->email << ": password set; signed out of the console\n";
}

}  // namespace

void register_agent_commands(CLI::App& app, Globals& g) {
  auto* agent = app.add_subcommand(
      "agent", "agents (the people who work cases): add, list, set, disable, enable, password");
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
        auto done = admin::add_agent(p->store(), *a, "admin", p->config().outbound.from_address);
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
  {
    auto* cmd = agent->add_subcommand(
        "password",
        "set or reset an agent's password: the first line of standard input (8 characters or more)");
    auto email = std::make_shared<std::string>();
    cmd->add_option("email", *email, "the agent's email")->required();
    cmd->callback([&g, email] { g.action = [&g, email] { set_password(g, *email); }; });
  }
  {
    auto* cmd = agent->add_subcommand("set", "an agent's name, role and which mails they are told by");
    auto email = std::make_shared<std::string>();
    auto settings = std::make_shared<std::array<std::string, 3>>();
    auto name = std::make_shared<std::optional<std::string>>();
    auto role = std::make_shared<std::string>();
    cmd->add_option("email", *email, "the agent's email")->required();
    cmd->add_option("--name", *name, "their name as customers and colleagues see it");
    cmd->add_option("--role", *role, "agent or admin (the last active admin stays one)")
        ->check(CLI::IsMember({"agent", "admin"}));
    const char* names[] = {"--notify-new-case", "--notify-reply", "--notify-assigned"};
    const char* what[] = {"a new case in a queue they are a member of: yes or no",
                          "a customer's reply on a case they own: yes or no",
                          "a case given to them by someone else: yes or no"};
    for (size_t i = 0; i < 3; ++i)
      cmd->add_option(names[i], (*settings)[i], what[i])->check(CLI::IsMember({"yes", "no"}));
    cmd->callback([&g, email, settings, name, role] {
      g.action = [&g, email, settings, name, role] {
        auto flag = [](const std::string& v) {
          return v.empty() ? std::nullopt : std::optional<bool>(v == "yes");
        };
        store::NotifySettingsPatch patch{flag((*settings)[0]), flag((*settings)[1]), flag((*settings)[2])};
        auto p = open_runtime(g);
        if (!p) return;
        // The name and role first: refused (the last admin, a bad name), nothing changes.
        if (*name || !role->empty()) {
          admin::AgentChange change;
          change.name = *name;
          if (!role->empty()) change.role = store::parse_agent_role(*role).value();
          auto changed = admin::update_agent(p->store(), *email, change, "admin");
          if (!changed) return fail_with(g, changed.error());
          std::cout << changed->email << ": name " << changed->name << ", role "
                    << store::to_string(changed->role) << "\n";
        }
        auto a = admin::set_agent_notify(p->store(), *email, patch);
        if (!a) return fail_with(g, a.error());
        auto yn = [](bool b) { return b ? "yes" : "no"; };
        std::cout << a->email << ": notify-new-case " << yn(a->notify_new_case) << ", notify-reply "
                  << yn(a->notify_reply) << ", notify-assigned " << yn(a->notify_assigned) << "\n";
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
