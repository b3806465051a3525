// token create/list/revoke: agents' API tokens (`Authorization: Bearer TOKEN`). Admin
// actions, like `agent add`: the command line's user owns the store. A token is shown
// once, when it is made; the store keeps only its SHA-256 digest.
#include <sodium.h>

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "access/credentials.h"
#include "admin/admin.h"
#include "app/app.h"
#include "present/json.h"
#include "util/text.h"

namespace mailcase::app {
namespace {

void fail_with(Globals& g, const Error& e) {
  print_error(e);
  g.exit_code = exit_code_for(e);
}

void create_token(Globals& g, const std::string& email, const std::string& label) {
  auto p = open_runtime(g);
  if (!p) return;
  auto made = admin::create_api_token(p->store(), email, label, "admin");
  if (!made) return fail_with(g, made.error());
  std::cout << "token " << made->row.id << " for " << made->row.agent_email
            << (made->row.label.empty() ? "" : " (" + made->row.label + ")") << "\n"
            << "It is shown only this once (mailcase keeps only its digest); use it as "
               "\"Authorization: Bearer TOKEN\":\n"
            << made->token << "\n"
            << std::flush;
  sodium_memzero(made->token.data(), made->token.size());
}

void list_tokens(Globals& g, bool json) {
  auto p = open_runtime(g);
  if (!p) return;
  auto all = p->store().list_api_tokens();
  if (!all) return fail_with(g, all.error());
  if (json) {
    auto out = nlohmann::json::array();
    for (const auto& t : *all) out.push_back(present::api_token_json(t));
    std::cout << json_text(out, 2) << "\n";
    return;
  }
  if (all->empty()) {
    std::cout << "no tokens (make one with `mailcase token create --agent EMAIL`)\n";
    return;
  }
  std::cout << std::left << std::setw(6) << "ID"
            << " " << std::setw(32) << "AGENT"
            << " " << std::setw(20) << "CREATED"
            << " " << std::setw(20) << "LAST USED"
            << " " << std::setw(28) << "STATE"
            << " LABEL\n";
  for (const auto& t : *all) {
    std::string state = t.revoked_at ? "revoked " + *t.revoked_at : "active";
    std::cout << std::left << std::setw(6) << t.id << " " << std::setw(32) << t.agent_email << " "
              << std::setw(20) << t.created_at << " " << std::setw(20) << t.last_used_at.value_or("never")
              << " " << std::setw(28) << state << " " << t.label << "\n";
  }
}

void revoke_token(Globals& g, store::Id id) {
  auto p = open_runtime(g);
  if (!p) return;
  auto before = admin::revoke_api_token(p->store(), id, "admin");
  if (!before) return fail_with(g, before.error());
  if (before->revoked_at)
    std::cout << "token " << id << " of " << before->agent_email << ": revoked already ("
              << *before->revoked_at << ")\n";
  else
    std::cout << "token " << id << " of " << before->agent_email << ": revoked\n";
}

}  // namespace

void register_token_commands(CLI::App& app, Globals& g) {
  auto* token = app.add_subcommand("token", "agents' API tokens: create, list, revoke");
  token->require_subcommand(1);
  {
    auto* create =
        token->add_subcommand("create", "make an API token for an agent; printed once, on the last line");
    auto email = std::make_shared<std::string>();
    auto label = std::make_shared<std::string>();
    create->add_option("--agent", *email, "the agent's email")->required();
    create->add_option("--label", *label, "what the token is for (\"ci\", \"laptop\")");
    create->callback(
        [&g, email, label] { g.action = [&g, email, label] { create_token(g, *email, *label); }; });
  }
  {
    auto* list = token->add_subcommand("list", "list API tokens (never the tokens themselves)");
    auto json = std::make_shared<bool>(false);
    list->add_flag("--json", *json, "JSON output");
    list->callback([&g, json] { g.action = [&g, json] { list_tokens(g, *json); }; });
  }
  {
    auto* revoke = token->add_subcommand("revoke", "revoke an API token: it no longer authenticates");
    auto id = std::make_shared<store::Id>(0);
    revoke->add_option("id", *id, "the token's id (`mailcase token list`)")->required();
    revoke->callback([&g, id] { g.action = [&g, id] { revoke_token(g, *id); }; });
  }
}

}  // namespace mailcase::app
