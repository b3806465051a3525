// The JSON of an assignment rule and of a rule test's evaluation: field names, value
// types, and unset conditions and actions left out.
#include <gtest/gtest.h>

#include "present/json.h"
#include "present/rule_json.h"

namespace mailcase {
namespace {

using nlohmann::json;
using present::json_text;

TEST(RuleJson, AFullRule) {
  rules::Rule r;
  r.id = 9;
  r.name = "Printers";
  r.position = 2;
  r.when.address = "support@corp.example";
  r.when.sender = "anna@acme.example";
  r.when.sender_domain = "acme.example";
  r.when.contact = "anna@acme.example";
  r.when.account = "Acme";
  r.when.account_level = "gold";
  r.when.subject = "print(er|ing)";
  r.when.body = "E[0-9]+";
  r.when.attachments = false;
  r.when.priority = "high";
  r.when.language = "pl";
  r.when.business_hours = true;
  r.set = {"Hardware", "round-robin", "urgent", "LaserJet", "Repair"};
  r.continue_after = true;
  r.hits = 12;
  r.created_at = "2026-12-01T10:00:00Z";
  EXPECT_EQ(present::rule_json(r), json::parse(R"j({"name":"Printers","position":2,"enabled":true,
              "if":{"address":"support@corp.example","sender":"anna@acme.example","sender_domain":"acme.example",
                    "contact":"anna@acme.example","account":"Acme","account_level":"gold",
                    "subject":"print(er|ing)","body":"E[0-9]+","attachments":false,"priority":"high",
                    "language":"pl","business_hours":true},
              "set":{"queue":"Hardware","owner":"round-robin","priority":"urgent","product":"LaserJet",
                     "process":"Repair"},
              "continue":true,"hits":12,"created_at":"2026-12-01T10:00:00Z"})j"));
}

TEST(RuleJson, UnsetConditionsAndActionsAreLeftOut) {
  rules::Rule r;
  r.name = "Everything to support";
  r.position = 1;
  r.enabled = false;
  r.set.queue = "Support";
  r.created_at = "2026-12-01T10:00:00Z";
  EXPECT_EQ(json_text(present::rule_json(r)),
            R"({"continue":false,"created_at":"2026-12-01T10:00:00Z","enabled":false,"hits":0,"if":{},)"
            R"("name":"Everything to support","position":1,"set":{"queue":"Support"}})");
}

TEST(RuleJson, AnEvaluation) {
  rules::Evaluation e;
  rules::RuleCheck miss;
  miss.name = "French";
  miss.failed = "language";
  miss.set.queue = "France";
  rules::RuleCheck hit;
  hit.name = "Urgent";
  hit.matched = true;
  hit.set.priority = "high";
  hit.set.owner = "marek@corp.example";
  e.checked = {miss, hit};
  e.matched = {"Urgent"};
  e.result.priority = "high";
  e.result.owner = "marek@corp.example";
  e.priority_by = e.owner_by = "Urgent";
  EXPECT_EQ(
      present::evaluation_json(e),
      json::parse(R"({"rules":[{"rule":"French","matched":false,"failed":"language","set":{"queue":"France"}},
                                     {"rule":"Urgent","matched":true,
                                      "set":{"priority":"high","owner":"marek@corp.example"}}],
                            "matched":["Urgent"],
                            "result":{"priority":"high","owner":"marek@corp.example"},
                            "set_by":{"priority":"Urgent","owner":"Urgent"}})"));
  EXPECT_EQ(json_text(present::evaluation_json(rules::Evaluation{})),
            R"({"matched":[],"result":{},"rules":[],"set_by":{}})");
}

}  // namespace
}  // namespace mailcase
