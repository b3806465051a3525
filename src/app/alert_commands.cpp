// alert add/list/change/remove: the monitoring alert rules (alerts/rule_set.h). A mail a rule
// matches becomes, or lands on, the one alert case of its (account, host, service)
// (ingest/alert_ingest.h).
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "admin/alert_rules.h"
#include "alerts/rule_set.h"
#include "app/app.h"
#include "present/alert_rule_json.h"

namespace mailcase::app {
namespace {

// Who a change is by, on its event: the agent of --as, else the command line's admin.
std::string actor_of(const Globals& g) {
  return g.agent.empty() ? "admin" : g.agent;
}

}  // namespace

void register_alert_commands(CLI::App& app, Globals& g) {
  auto* alert = app.add_subcommand("alert", "monitoring alert rules: add, list, change, remove");
  alert->require_subcommand(1);
  {
    auto* add = alert->add_subcommand("add", "add an alert rule (tried after the rules before it)");
    auto r = std::make_shared<alerts::AlertRule>();
    auto format = std::make_shared<std::string>();
    add->add_option("name", r->name, "the rule's name")->required();
    add->add_option("--format", *format, "nagios, icinga, zabbix, checkmk, monit or generic")->required();
    add->add_option("--sender", r->sender_re, "RE2 the From address must match (any case)");
    add->add_option("--subject", r->subject_re, "RE2 the subject must match (any case)");
    add->add_option("--body", r->body_re,
                    "RE2 the text body must match; for generic, with named groups host, state and "
                    "optional service");
    add->add_option("--account", r->account, "the account the alert cases are for");
    add->add_option("--reopen-within", r->reopen_within_hours,
                    "hours after a recovery within which a new problem reopens the case (default 24; "
                    "0: always a new case)");
    add->add_flag("--proven-sender", r->proven_sender,
                  "act only on mail whose From a trusted server vouched for (DKIM or DMARC pass aligned "
                  "with it, per trust.authserv_ids); hold any other");
    add->callback([&g, r, format] {
      g.action = [&g, r, format] {
        auto f = alerts::format_from(*format);
        if (!f) {
          print_error(Error{ErrorCode::kInvalidInput,
                            "--format: one of nagios, icinga, zabbix, checkmk, monit, generic"});
          g.exit_code = kExitUsage;
          return;
        }
        r->format = *f;
        with_runtime(g, [&g, r](runtime::Runtime& rt) -> Result<std::string> {
          MC_ASSIGN_OR_RETURN(auto stored, admin::add_alert_rule(rt.store(), *r, actor_of(g)));
          return "alert rule " + stored.name + " (" + alerts::to_string(stored.format) + ") at position " +
                 std::to_string(stored.position) + "\n";
        });
      };
    });
  }
  {
    auto* list = alert->add_subcommand("list", "list the alert rules in the order they are tried");
    auto json = std::make_shared<bool>(false);
    list->add_flag("--json", *json, "JSON output");
    list->callback([&g, json] {
      g.action = [&g, json] {
        with_runtime(g, [json](runtime::Runtime& rt) -> Result<std::string> {
          MC_ASSIGN_OR_RETURN(auto all, admin::list_alert_rules(rt.store()));
          if (*json) {
            auto out = nlohmann::json::array();
            for (const auto& r : all) out.push_back(present::alert_rule_json(r));
            return json_text(out, 2) + "\n";
          }
          if (all.empty()) return std::string("no alert rules (add one with `mailcase alert add`)\n");
          std::ostringstream out;
          for (const auto& r : all) {
            out << std::left << std::setw(4) << r.position << " " << std::setw(24) << r.name << " "
                << std::setw(8) << alerts::to_string(r.format) << " account "
                << (r.account.empty() ? "-" : r.account) << ", reopen within " << r.reopen_within_hours
                << " h";
            if (r.proven_sender) out << ", proven sender only";
            if (!r.sender_re.empty()) out << ", sender /" << r.sender_re << "/";
            if (!r.subject_re.empty()) out << ", subject /" << r.subject_re << "/";
            if (!r.body_re.empty()) out << ", body /" << r.body_re << "/";
            out << "\n";
          }
          return out.str();
        });
      };
    });
  }
  {
    auto* change = alert->add_subcommand(
        "change", "change an alert rule in place: each option given replaces the rule's (\"\" clears a pattern "
                  "or the account); its name and place stay");
    auto name = std::make_shared<std::string>();
    // Each option binds to its field of the change: given, it is set ("" too); not given,
    // it stays unset and the rule's field stays.
    auto c = std::make_shared<admin::AlertRuleChange>();
    auto format = std::make_shared<std::optional<std::string>>();
    change->add_option("name", *name, "the rule's name")->required();
    change->add_option("--format", *format, "nagios, icinga, zabbix, checkmk, monit or generic");
    change->add_option("--sender", c->sender_re, "RE2 the From address must match (any case)");
    change->add_option("--subject", c->subject_re, "RE2 the subject must match (any case)");
    change->add_option("--body", c->body_re, "RE2 the text body must match");
    change->add_option("--account", c->account, "the account the alert cases are for");
    change->add_option("--reopen-within", c->reopen_within_hours,
                       "hours after a recovery within which a new problem reopens the case");
    change->add_option("--proven-sender", c->proven_sender,
                       "true: act only on mail whose From a trusted server vouched for; false: on any mail "
                       "no trusted server speaks against");
    change->callback([&g, name, c, format] {
      if (*format) c->format = alerts::format_from(**format);
      const bool bad_format = *format && !c->format;
      g.action = [&g, name, c, bad_format] {
        if (bad_format) {
          print_error(Error{ErrorCode::kInvalidInput,
                            "--format: one of nagios, icinga, zabbix, checkmk, monit, generic"});
          g.exit_code = kExitUsage;
          return;
        }
        with_runtime(g, [&g, name, c](runtime::Runtime& rt) -> Result<std::string> {
          MC_ASSIGN_OR_RETURN(auto stored, admin::change_alert_rule(rt.store(), *name, *c, actor_of(g)));
          return "alert rule " + stored.name + " (" + alerts::to_string(stored.format) + ") changed\n";
        });
      };
    });
  }
  {
    auto* remove = alert->add_subcommand("remove", "remove an alert rule (its cases stay)");
    auto name = std::make_shared<std::string>();
    remove->add_option("name", *name, "the rule's name")->required();
    remove->callback([&g, name] {
      g.action = [&g, name] {
        with_runtime(g, [&g, name](runtime::Runtime& rt) -> Result<std::string> {
          MC_RETURN_IF_ERROR(admin::remove_alert_rule(rt.store(), *name, actor_of(g)));
          return "alert rule " + *name + " removed\n";
        });
      };
    });
  }
}

}  // namespace mailcase::app
