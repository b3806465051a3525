// process add/list: processes with stages (issue 15, CW4). A routing address or mailbox
// names one (`--process`); `case stage` moves a case between its stages.
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "admin/processes.h"
#include "app/app.h"
#include "present/json.h"

namespace mailcase::app {
namespace {

void fail_with(Globals& g, const Error& e) {
  print_error(e);
  g.exit_code = exit_code_for(e);
}

std::string stages_text(const store::Process& p) {
  std::string out;
  for (const auto& s : p.stages) out += (out.empty() ? "" : " > ") + s;
  return out;
}

}  // namespace

void register_process_commands(CLI::App& app, Globals& g) {
  auto* process = app.add_subcommand("process", "processes with stages their cases move through: add, list");
  process->require_subcommand(1);
  {
    auto* add = process->add_subcommand("add", "add a process with its stages");
    auto name = std::make_shared<std::string>();
    auto stages = std::make_shared<std::string>();
    add->add_option("name", *name, "the process's name, as routing addresses and mailboxes name it")
        ->required();
    add->add_option("--stages", *stages,
                    "its stages in order, separated by commas: \"New,Analysis,Fix,Done\"")
        ->required();
    add->callback([&g, name, stages] {
      g.action = [&g, name, stages] {
        auto list = domain::parse_stages(*stages);
        if (!list) return fail_with(g, list.error());
        auto p = open_runtime(g);
        if (!p) return;
        auto added = admin::add_process(p->store(), *name, *list);
        if (!added) return fail_with(g, added.error());
        std::cout << "process " << added->name << ": " << stages_text(*added) << "\n";
      };
    });
  }
  {
    auto* list = process->add_subcommand("list", "list processes by name, with their stages");
    auto json = std::make_shared<bool>(false);
    list->add_flag("--json", *json, "JSON output");
    list->callback([&g, json] {
      g.action = [&g, json] {
        auto p = open_runtime(g);
        if (!p) return;
        auto all = admin::list_processes(p->store());
        if (!all) return fail_with(g, all.error());
        if (*json) {
          auto out = nlohmann::json::array();
          for (const auto& pr : *all) out.push_back(present::process_json(pr));
          std::cout << json_text(out, 2) << "\n";
          return;
        }
        for (const auto& pr : *all)
          std::cout << std::left << std::setw(24) << pr.name << " " << stages_text(pr) << "\n";
      };
    });
  }
}

}  // namespace mailcase::app
