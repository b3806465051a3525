// rule add/change/list/enable/disable/remove/move/test: the assignment rules (rules/assignment.h)
// that set a new case's queue, owner, priority and product from its mail.
#include <algorithm>
#include <iostream>
#include <map>
#include <vector>
#include <nlohmann/json.hpp>

#include "admin/rules.h"
#include "app/app.h"
#include "present/rule_json.h"

namespace mailcase::app {
namespace {

// Who a rule change is by, on its event: the agent of --as, else the command line's admin.
std::string actor_of(const Globals& g) {
  return g.agent.empty() ? "admin" : g.agent;
}

std::string yes_no(const std::optional<bool>& v) {
  return v ? (*v ? "yes" : "no") : "";
}

// One line per rule: position, name, state, hits, then its conditions and actions as
// the flags that would make it; then, for a rule whose pattern does not compile, why it is
// never checked.
std::string rule_line(const rules::Rule& r) {
  std::string out = std::to_string(r.position) + ". " + r.name + (r.enabled ? "" : " (disabled)") +
                    "  hits " + std::to_string(r.hits) + " ";
  auto put = [&](const char* flag, const std::string& v) {
    if (!v.empty()) out += std::string(" ") + flag + " " + v;
  };
  put("--if-address", r.when.address);
  put("--if-sender", r.when.sender);
  put("--if-sender-domain", r.when.sender_domain);
  put("--if-contact", r.when.contact);
  put("--if-account", r.when.account);
  put("--if-account-level", r.when.account_level);
  put("--if-subject", r.when.subject);
  put("--if-body", r.when.body);
  put("--if-attachments", yes_no(r.when.attachments));
  put("--if-priority", r.when.priority);
  put("--if-language", r.when.language);
  put("--if-business-hours", yes_no(r.when.business_hours));
  put("--set-queue", r.set.queue);
  put("--set-owner", r.set.owner);
  put("--set-priority", r.set.priority);
  put("--set-product", r.set.product);
  put("--set-process", r.set.process);
  if (r.continue_after) out += " --continue";
  if (const std::string why = rules::pattern_problem(r); !why.empty())
    out += "  [broken, never checked: " + why + "]";
  return out;
}

// Reads the whole of stdin, up to `limit` bytes; kInvalidInput past it (nothing kept).
Result<std::string> read_stdin(uint64_t limit) {
  std::string out;
  char buf[64 * 1024];
  while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
    out.append(buf, static_cast<size_t>(std::cin.gcount()));
    if (out.size() > limit)
      return fail(ErrorCode::kInvalidInput,
                  "the mail is larger than limits.max_message_bytes (" + std::to_string(limit) + " bytes)");
  }
  return out;
}

void add_rule_command(CLI::App& rule, Globals& g) {
  auto* add =
      rule.add_subcommand("add", "add a rule: conditions (--if-…, all must hold) and actions (--set-…)");
  auto r = std::make_shared<rules::Rule>();
  auto attachments = std::make_shared<std::string>();
  auto business_hours = std::make_shared<std::string>();
  add->add_option("name", r->name, "the rule's name (unique)")->required();
  auto* position =
      add->add_option("--position", r->position, "where it goes (1 is checked first; default: last)");
  add->add_option("--if-address", r->when.address, "the routing address the mail came to");
  add->add_option("--if-sender", r->when.sender, "the sender's address");
  add->add_option("--if-sender-domain", r->when.sender_domain, "the sender's domain (example.com)");
  add->add_option("--if-contact", r->when.contact, "an address of the sender's contact");
  add->add_option("--if-account", r->when.account, "the sender's account, by name");
  add->add_option("--if-account-level", r->when.account_level, "the sender's account's support level");
  add->add_option("--if-subject", r->when.subject,
                  "a regular expression (RE2) found in the subject, any case");
  add->add_option("--if-body", r->when.body, "a regular expression (RE2) found in the body, any case");
  add->add_option("--if-attachments", *attachments, "yes: the mail has attachments; no: it has none")
      ->check(CLI::IsMember({"yes", "no"}));
  add->add_option("--if-priority", r->when.priority, "the priority routing gave the case");
  add->add_option("--if-language", r->when.language, "the contact's language (en, fr, pl …)");
  add->add_option("--if-business-hours", *business_hours,
                  "yes: received inside business hours ([business_hours]); no: outside")
      ->check(CLI::IsMember({"yes", "no"}));
  add->add_option("--set-queue", r->set.queue, "the case's queue");
  add->add_option("--set-owner", r->set.owner,
                  "an agent's email, or round-robin: the queue's member with the fewest open cases");
  add->add_option("--set-priority", r->set.priority, "the case's priority");
  add->add_option("--set-product", r->set.product, "the case's product");
  add->add_option("--set-process", r->set.process, "the case's process");
  add->add_flag("--continue", r->continue_after, "when it matches, check the rules after it too");
  add->callback([&g, r, attachments, business_hours, position] {
    if (position->count() > 0 && r->position < 1) throw CLI::ValidationError("--position", "1 or more");
    if (!attachments->empty()) r->when.attachments = *attachments == "yes";
    if (!business_hours->empty()) r->when.business_hours = *business_hours == "yes";
    g.action = [&g, r] {
      with_runtime(g, [&](runtime::Runtime& rt) -> Result<std::string> {
        MC_ASSIGN_OR_RETURN(auto stored, admin::add_rule(rt.store(), *r, actor_of(g)));
        return "rule " + rule_line(stored) + "\n";
      });
    };
  });
}

// Where the text condition or action of `flag` goes in a rule; null for another flag.
std::string* text_of(rules::Rule& r, std::string_view flag) {
  if (flag == "--if-address") return &r.when.address;
  if (flag == "--if-sender") return &r.when.sender;
  if (flag == "--if-sender-domain") return &r.when.sender_domain;
  if (flag == "--if-contact") return &r.when.contact;
  if (flag == "--if-account") return &r.when.account;
  if (flag == "--if-account-level") return &r.when.account_level;
  if (flag == "--if-subject") return &r.when.subject;
  if (flag == "--if-body") return &r.when.body;
  if (flag == "--if-priority") return &r.when.priority;
  if (flag == "--if-language") return &r.when.language;
  if (flag == "--set-queue") return &r.set.queue;
  if (flag == "--set-owner") return &r.set.owner;
  if (flag == "--set-priority") return &r.set.priority;
  if (flag == "--set-product") return &r.set.product;
  if (flag == "--set-process") return &r.set.process;
  return nullptr;
}

// rule change NAME: each condition or action given replaces the rule's (an empty value
// drops it); the rest of the rule, its position, state and hits stay.
void change_rule_command(CLI::App& rule, Globals& g) {
  auto* change = rule.add_subcommand(
      "change",
      "change what a rule does: each --if-…/--set-… given replaces that condition or action (an empty "
      "value drops it), the others stay, and so do its position, state and hits");
  auto name = std::make_shared<std::string>();
  change->add_option("name", *name, "the rule's name")->required();
  static const char* const kTextFlags[] = {
      "--if-address", "--if-sender", "--if-sender-domain", "--if-contact", "--if-account",
      "--if-account-level", "--if-subject", "--if-body", "--if-priority", "--if-language",
      "--set-queue", "--set-owner", "--set-priority", "--set-product", "--set-process"};
  auto given = std::make_shared<std::map<std::string, std::string>>();
  std::vector<std::pair<std::string, CLI::Option*>> text_options;
  for (const char* flag : kTextFlags) {
    auto* o = change->add_option(flag, (*given)[flag], "as `rule add` says; empty: drop it");
    text_options.emplace_back(flag, o);
  }
  auto attachments = std::make_shared<std::string>();
  auto business_hours = std::make_shared<std::string>();
  auto* attachments_opt = change->add_option("--if-attachments", *attachments, "yes, no, or empty: drop it")
                              ->check(CLI::IsMember({"yes", "no", ""}));
  auto* hours_opt = change->add_option("--if-business-hours", *business_hours, "yes, no, or empty: drop it")
                        ->check(CLI::IsMember({"yes", "no", ""}));
  auto cont = std::make_shared<bool>(false);
  auto* cont_opt = change->add_flag("--continue,!--no-continue", *cont,
                                    "when it matches, check the rules after it too (or no longer)");
  change->callback([&g, name, given, text_options, attachments, business_hours, attachments_opt, hours_opt,
                    cont, cont_opt] {
    std::map<std::string, std::string> texts;
    for (const auto& [flag, o] : text_options)
      if (o->count() > 0) texts[flag] = (*given)[flag];
    std::optional<std::string> att, hours;
    if (attachments_opt->count() > 0) att = *attachments;
    if (hours_opt->count() > 0) hours = *business_hours;
    std::optional<bool> continue_after;
    if (cont_opt->count() > 0) continue_after = *cont;
    if (texts.empty() && !att && !hours && !continue_after)
      throw CLI::ValidationError("change", "say what changes: an --if-…, --set-… or --continue/--no-continue");
    g.action = [&g, name, texts, att, hours, continue_after] {
      with_runtime(g, [&](runtime::Runtime& rt) -> Result<std::string> {
        MC_ASSIGN_OR_RETURN(auto all, admin::list_rules(rt.store()));
        auto it = std::find_if(all.begin(), all.end(), [&](const rules::Rule& r) { return r.name == *name; });
        if (it == all.end()) return fail(ErrorCode::kNotFound, "no rule " + *name);
        rules::Rule r = *it;
        for (const auto& [flag, value] : texts) *text_of(r, flag) = value;
        auto yes_no_of = [](const std::string& v) -> std::optional<bool> {
          if (v.empty()) return std::nullopt;
          return v == "yes";
        };
        if (att) r.when.attachments = yes_no_of(*att);
        if (hours) r.when.business_hours = yes_no_of(*hours);
        if (continue_after) r.continue_after = *continue_after;
        MC_ASSIGN_OR_RETURN(auto stored, admin::change_rule(rt.store(), *name, r, actor_of(g)));
        return "rule " + rule_line(stored) + "\n";
      });
    };
  });
}

}  // namespace

void register_rule_commands(CLI::App& app, Globals& g) {
  auto* rule = app.add_subcommand(
      "rule", "assignment rules for new cases: add, change, list, enable, disable, remove, move, test");
  rule->require_subcommand(1);
  add_rule_command(*rule, g);
  change_rule_command(*rule, g);
  {
    auto* list =
        rule->add_subcommand("list", "list the rules in the order they are checked, with their hits");
    auto json = std::make_shared<bool>(false);
    list->add_flag("--json", *json, "JSON output");
    list->callback([&g, json] {
      g.action = [&g, json] {
        with_runtime(g, [&](runtime::Runtime& rt) -> Result<std::string> {
          MC_ASSIGN_OR_RETURN(auto all, admin::list_rules(rt.store()));
          if (*json) {
            auto out = nlohmann::json::array();
            for (const auto& r : all) out.push_back(present::rule_json(r));
            return json_text(out, 2) + "\n";
          }
          if (all.empty()) return std::string("no rules\n");
          std::string lines;
          for (const auto& r : all) lines += rule_line(r) + "\n";
          return lines;
        });
      };
    });
  }
  for (bool enable : {true, false}) {
    auto* sub = rule->add_subcommand(enable ? "enable" : "disable",
                                     enable ? "check the rule again" : "stop checking the rule (it stays)");
    auto name = std::make_shared<std::string>();
    sub->add_option("name", *name, "the rule's name")->required();
    sub->callback([&g, name, enable] {
      g.action = [&g, name, enable] {
        with_runtime(g, [&](runtime::Runtime& rt) -> Result<std::string> {
          MC_ASSIGN_OR_RETURN(auto r, admin::set_rule_enabled(rt.store(), *name, enable, actor_of(g)));
          return "rule " + r.name + (r.enabled ? " enabled" : " disabled") + "\n";
        });
      };
    });
  }
  {
    auto* remove = rule->add_subcommand("remove", "remove a rule");
    auto name = std::make_shared<std::string>();
    remove->add_option("name", *name, "the rule's name")->required();
    remove->callback([&g, name] {
      g.action = [&g, name] {
        with_runtime(g, [&](runtime::Runtime& rt) -> Result<std::string> {
          MC_RETURN_IF_ERROR(admin::remove_rule(rt.store(), *name, actor_of(g)));
          return "rule " + *name + " removed\n";
        });
      };
    });
  }
  {
    auto* move = rule->add_subcommand("move", "move a rule to another position");
    auto name = std::make_shared<std::string>();
    auto position = std::make_shared<int>(0);
    move->add_option("name", *name, "the rule's name")->required();
    move->add_option("--position", *position, "its new position (1 is checked first; past the end: last)")
        ->required();
    move->callback([&g, name, position] {
      g.action = [&g, name, position] {
        with_runtime(g, [&](runtime::Runtime& rt) -> Result<std::string> {
          MC_ASSIGN_OR_RETURN(auto r, admin::move_rule(rt.store(), *name, *position, actor_of(g)));
          return "rule " + r.name + " at position " + std::to_string(r.position) + "\n";
        });
      };
    });
  }
  {
    auto* test = rule->add_subcommand(
        "test",
        "check the rules against a mail on stdin as if it opened a case now, changing nothing (JSON)");
    test->callback([&g] {
      g.action = [&g] {
        config::Config cfg;
        auto p = open_runtime(g, &cfg);
        if (!p) return;
        auto raw = read_stdin(cfg.limits.max_message_bytes);
        if (!raw) {
          print_error(raw.error());
          g.exit_code = exit_code_for(raw.error());
          return;
        }
        auto ev = p->ingest().test_rules(*raw, ingest::Envelope{"rule test", {}});
        if (!ev) {
          print_error(ev.error());
          g.exit_code = exit_code_for(ev.error());
          return;
        }
        std::cout << json_text(present::evaluation_json(*ev), 2) << "\n";
      };
    });
  }
}

}  // namespace mailcase::app
