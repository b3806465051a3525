// init, account add/change, contact add/merge, audit, address add/list.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "admin/admin.h"
#include "app/app.h"
#include "outbound/signed_link.h"
#include "outbound/templates.h"
#include "present/json.h"
#include "util/text.h"

namespace mailcase::app {

void register_admin_commands(CLI::App& app, Globals& g) {
  auto* init = app.add_subcommand("init", "create the store and a commented default mailcase.toml");
  init->callback([&g] {
    g.action = [&g] {
      std::error_code ec;
      std::filesystem::create_directories(g.data(), ec);
      if (ec) {
        std::cerr << "mailcase: cannot create " << g.data().string() << ": " << ec.message() << "\n";
        g.exit_code = kExitTempFail;
        return;
      }
      // Customer mail, the outbox's signed links and the link key live here: the
      // service user's alone, even when the directory existed before.
      std::filesystem::permissions(g.data(), std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::replace, ec);
      if (ec) {
        std::cerr << "mailcase: cannot make " << g.data().string() << " private: " << ec.message() << "\n";
        g.exit_code = kExitTempFail;
        return;
      }
      if (!std::filesystem::exists(g.config_file(), ec)) {
        std::ofstream(g.config_file()) << config::default_file_text();
      }
      auto cfg = config::load(g.config_file());
      if (!cfg) {
        print_error(cfg.error());
        g.exit_code = kExitConfig;
        return;
      }
      auto p = runtime::Runtime::open(g.data(), *cfg);
      if (!p) {
        print_error(p.error());
        g.exit_code = exit_code_for(p.error());
        return;
      }
      // The mail templates, editable, and the key that signs customers' links.
      if (auto t = outbound::Templates(g.data() / "templates").install(); !t) {
        print_error(t.error());
        g.exit_code = exit_code_for(t.error());
        return;
      }
      if (auto k = outbound::LinkSigner::from_data_dir(g.data()); !k) {
        print_error(k.error());
        g.exit_code = exit_code_for(k.error());
        return;
      }
      std::cout << "initialised " << std::filesystem::absolute(g.data()).string() << "\n";
    };
  });

  auto* account = app.add_subcommand("account", "accounts (customers' companies)");
  account->require_subcommand(1);
  {
    auto* add = account->add_subcommand("add", "add an account");
    auto name = std::make_shared<std::string>();
    auto level = std::make_shared<std::string>();
    auto emails = std::make_shared<std::vector<std::string>>();
    add->add_option("--name", *name, "account name")->required();
    add->add_option("--support-level", *level, "support level, e.g. gold");
    add->add_option("--email", *emails, "an address of the account itself (repeatable)");
    add->callback([&g, name, level, emails] {
      g.action = [&g, name, level, emails] {
        auto p = open_runtime(g);
        if (!p) return;
        auto a = admin::add_account(p->store(), {*name, *level, *emails});
        if (!a) {
          print_error(a.error());
          g.exit_code = exit_code_for(a.error());
          return;
        }
        std::cout << "account " << a->id << " " << a->name << "\n";
      };
    });
  }
  {
    // The account named ACCOUNT (its name as it is now); only the options given change.
    auto* change = account->add_subcommand("change", "change an account's name, support level or addresses");
    auto which = std::make_shared<std::string>();
    auto name = std::make_shared<std::optional<std::string>>();
    auto level = std::make_shared<std::optional<std::string>>();
    auto emails = std::make_shared<std::vector<std::string>>();
    auto no_emails = std::make_shared<bool>(false);
    change->add_option("ACCOUNT", *which, "the account's name")->required();
    change->add_option("--name", *name, "its new name");
    change->add_option("--support-level", *level, "its support level, e.g. gold (\"\" for none)");
    change->add_option("--email", *emails, "its own addresses, replacing those it has (repeatable)");
    change->add_flag("--no-email", *no_emails, "it keeps no address of its own");
    change->callback([&g, which, name, level, emails, no_emails] {
      g.action = [&g, which, name, level, emails, no_emails] {
        auto p = open_runtime(g);
        if (!p) return;
        auto fail_with = [&g](const Error& e) {
          print_error(e);
          g.exit_code = exit_code_for(e);
        };
        if (*no_emails && !emails->empty())
          return fail_with(Error{ErrorCode::kInvalidInput, "--no-email: not with --email"});
        admin::AccountPatch patch{*name, *level, std::nullopt};
        if (*no_emails || !emails->empty()) patch.emails = *emails;
        auto found = admin::account_named(p->store(), *which);
        if (!found) return fail_with(found.error());
        auto a = admin::update_account(p->store(), found->id, patch);
        if (!a) return fail_with(a.error());
        std::cout << "account " << a->id << " " << a->name
                  << (a->support_level.empty() ? "" : " (" + a->support_level + ")") << "\n";
      };
    });
  }
  {
    auto* remove = account->add_subcommand(
        "remove", "remove an account no contact, case or alert rule names, and its addresses");
    auto which = std::make_shared<std::string>();
    remove->add_option("ACCOUNT", *which, "the account's name")->required();
    remove->callback([&g, which] {
      g.action = [&g, which] {
        with_agent(g, [&](runtime::Runtime& rt, const services::Actor& by) -> Result<std::string> {
          MC_ASSIGN_OR_RETURN(auto found, admin::account_named(rt.store(), *which));
          MC_RETURN_IF_ERROR(admin::remove_account(rt.store(), found.id, by.name));
          return "removed account " + std::to_string(found.id);
        });
      };
    });
  }

  auto* contact = app.add_subcommand("contact", "contacts (the people who write in)");
  contact->require_subcommand(1);
  {
    auto* add = contact->add_subcommand("add", "add a contact");
    auto name = std::make_shared<std::string>();
    auto emails = std::make_shared<std::vector<std::string>>();
    auto account_name = std::make_shared<std::string>();
    auto language = std::make_shared<std::string>();
    add->add_option("--name", *name, "full name")->required();
    add->add_option("--email", *emails, "address (repeatable)")->required();
    add->add_option("--account", *account_name, "account name");
    add->add_option("--language", *language, "preferred language: en, fr, pl");
    add->callback([&g, name, emails, account_name, language] {
      g.action = [&g, name, emails, account_name, language] {
        auto p = open_runtime(g);
        if (!p) return;
        admin::ContactInput in{*name, *emails, *language, std::nullopt, std::nullopt};
        if (!account_name->empty()) in.account_name = *account_name;
        auto c = admin::add_contact(p->store(), in, p->config().outbound.from_address);
        if (!c) {
          print_error(c.error());
          g.exit_code = exit_code_for(c.error());
          return;
        }
        std::cout << "contact " << c->id << " " << c->name << "\n";
      };
    });
  }
  {
    auto* merge = contact->add_subcommand(
        "merge",
        "make two contacts of one person one: FROM's addresses and cases go to INTO, FROM is removed");
    auto from = std::make_shared<std::string>();
    auto into = std::make_shared<std::string>();
    merge->add_option("from", *from, "the contact that goes: one of its addresses, or its number")
        ->required();
    merge->add_option("into", *into, "the contact that stays: one of its addresses, or its number")
        ->required();
    merge->callback([&g, from, into] {
      g.action = [&g, from, into] {
        with_agent(g, [&](runtime::Runtime& rt, const services::Actor& by) -> Result<std::string> {
          auto from_c = admin::contact_named(rt.store(), *from);
          if (!from_c) return fail(from_c.error().code, "from: " + from_c.error().message);
          auto into_c = admin::contact_named(rt.store(), *into);
          if (!into_c) return fail(into_c.error().code, "into: " + into_c.error().message);
          MC_ASSIGN_OR_RETURN(auto c, admin::merge_contact(rt.store(), from_c->id, into_c->id, by.name));
          std::string out = "contact " + std::to_string(c.id) + " " + c.name;
          for (const auto& e : c.emails) out += " " + e;
          return out;
        });
      };
    });
  }
  {
    auto* remove = contact->add_subcommand(
        "remove", "remove a contact without cases and its addresses (one with cases: merge it instead)");
    auto named = std::make_shared<std::string>();
    remove->add_option("contact", *named, "one of its addresses, or its number")->required();
    remove->callback([&g, named] {
      g.action = [&g, named] {
        with_agent(g, [&](runtime::Runtime& rt, const services::Actor& by) -> Result<std::string> {
          MC_ASSIGN_OR_RETURN(auto c, admin::contact_named(rt.store(), *named));
          MC_RETURN_IF_ERROR(admin::remove_contact(rt.store(), c.id, by.name));
          return "removed contact " + std::to_string(c.id);
        });
      };
    });
  }

  {
    // The administration's log, newest first: one line per event, or a JSON array.
    auto* audit = app.add_subcommand(
        "audit", "what agents and admins did outside cases: agents, API tokens, rules, dismissed mail");
    auto limit = std::make_shared<int>(50);
    auto json = std::make_shared<bool>(false);
    audit->add_option("--limit", *limit, "how many, the newest first (1 to 200)")->check(CLI::Range(1, 200));
    audit->add_flag("--json", *json, "JSON output");
    audit->callback([&g, limit, json] {
      g.action = [&g, limit, json] {
        with_runtime(g, [&](runtime::Runtime& rt) -> Result<std::string> {
          store::PageRequest r;
          r.limit = *limit;
          MC_ASSIGN_OR_RETURN(auto page, rt.store().page_admin_events(r));
          return events_text(page.items, *json);
        });
      };
    });
  }

  auto* address = app.add_subcommand("address", "routing addresses (where customers write to)");
  address->require_subcommand(1);
  {
    auto* add = address->add_subcommand(
        "add", "add a routing address, or change one (the settings not given are kept)");
    auto a = std::make_shared<store::RoutingAddress>();
    auto creates = std::make_shared<std::string>("yes");
    add->add_option("email", a->email, "the address")->required();
    add->add_option("--queue", a->queue, "queue of its cases");
    add->add_option("--product", a->product, "product of its cases");
    add->add_option("--priority", a->priority, "priority of its cases");
    add->add_option("--process", a->process, "process its new cases follow, from their first stage");
    add->add_option("--creates-cases", *creates, "yes|no")->check(CLI::IsMember({"yes", "no"}));
    add->add_option("--subject-prefix", a->subject_prefix, "required subject prefix for a new case");
    add->add_option("--unknown-sender", a->unknown_sender, "create|hold")
        ->check(CLI::IsMember({"create", "hold"}));
    add->add_option("--authserv-id", a->authserv_ids,
                    "also believe Authentication-Results of this server for its mail (repeatable)");
    auto api = std::make_shared<std::string>("no");
    add->add_option("--api", *api, "yes: takes XML commands from api senders (docs/mail-api.md)")
        ->check(CLI::IsMember({"yes", "no"}));
    add->callback([&g, a, creates, api, add] {
      // Which options were given: only those change an address there is.
      auto given = std::make_shared<std::set<std::string>>();
      for (const char* name : {"--queue", "--product", "--priority", "--process", "--creates-cases",
                               "--subject-prefix", "--unknown-sender", "--authserv-id", "--api"})
        if (add->count(name) > 0) given->insert(name);
      g.action = [&g, a, creates, api, given] {
        auto p = open_runtime(g);
        if (!p) return;
        auto has = [&](const char* name) { return given->count(name) > 0; };
        auto put = admin::change_routing_address(p->store(), a->email, [&](store::RoutingAddress& r) {
          if (has("--queue")) r.queue = a->queue;
          if (has("--product")) r.product = a->product;
          if (has("--priority")) r.priority = a->priority;
          if (has("--process")) r.process = a->process;
          if (has("--creates-cases")) r.creates_cases = *creates == "yes";
          if (has("--subject-prefix")) r.subject_prefix = a->subject_prefix;
          if (has("--unknown-sender")) r.unknown_sender = a->unknown_sender;
          if (has("--authserv-id")) r.authserv_ids = a->authserv_ids;
          if (has("--api")) r.api = *api == "yes";
        });
        if (!put) {
          print_error(put.error());
          g.exit_code =
              put.error().code == ErrorCode::kInvalidInput ? kExitUsage : exit_code_for(put.error());
          return;
        }
        a->email = put->address.email;
        std::cout << "address " << a->email << "\n";
      };
    });
    auto* list = address->add_subcommand("list", "list routing addresses");
    auto json = std::make_shared<bool>(false);
    list->add_flag("--json", *json, "JSON output");
    list->callback([&g, json] {
      g.action = [&g, json] {
        auto p = open_runtime(g);
        if (!p) return;
        auto all = p->store().list_addresses();
        if (!all) {
          print_error(all.error());
          g.exit_code = exit_code_for(all.error());
          return;
        }
        nlohmann::json out = nlohmann::json::array();
        for (const auto& a : *all) {
          if (*json) {
            auto j = present::address_json(a);
            j["api"] = a.api;
            out.push_back(std::move(j));
          } else {
            std::cout << a.email << "  queue=" << (a.queue.empty() ? "(default)" : a.queue)
                      << " product=" << a.product << " creates-cases=" << (a.creates_cases ? "yes" : "no")
                      << " unknown-sender=" << a.unknown_sender;
            if (!a.process.empty()) std::cout << " process=" << a.process;
            for (const auto& id : a.authserv_ids) std::cout << " authserv-id=" << id;
            if (a.api) std::cout << " api=yes";
            std::cout << "\n";
          }
        }
        if (*json) std::cout << json_text(out) << "\n";
      };
    });
  }
}

}  // namespace mailcase::app
