// The cost of the assignment rules per mail: RuleSet::evaluate with 100 rules, most of
// them with subject or body patterns, against a mail only the last rule matches (every
// rule is checked). Issue 15 asks that rules cost under 5% of the import rate.
//   build/bench/rules_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "rules/assignment.h"

namespace {

using mailcase::rules::MailFacts;
using mailcase::rules::Rule;
using mailcase::rules::RuleSet;

std::vector<Rule> hundred_rules() {
  std::vector<Rule> rules;
  for (int i = 1; i <= 100; ++i) {
    Rule r;
    r.name = "rule " + std::to_string(i);
    r.position = i;
    const std::string n = std::to_string(i);
    switch (i % 4) {
      case 0:
        r.when.subject = "(invoice|billing|payment) #?" + n + "\\b";
        break;
      case 1:
        r.when.body = "error code E" + n + "[0-9]{2}";
        break;
      case 2:
        r.when.subject = "outage.*region-" + n;
        r.when.body = "customer id [0-9]+-" + n;
        break;
      default:
        r.when.sender_domain = "customer" + n + ".example";
        r.when.priority = "high";
        break;
    }
    r.set.queue = "Queue " + n;
    rules.push_back(std::move(r));
  }
  // The one that matches: last.
  rules.back().when = {};
  rules.back().when.subject = "printer";
  rules.back().when.body = "paper jam";
  return rules;
}

MailFacts mail(size_t body_bytes) {
  MailFacts f;
  f.address = "support@example.com";
  f.sender = "anna@customer.example";
  f.contact_emails = {"anna@customer.example"};
  f.account = "Customer";
  f.account_level = "gold";
  f.subject = "Re: the printer on the third floor stopped again";
  f.priority = "normal";
  f.language = "en";
  const std::string line =
      "Hello, the printer in room 301 shows a paper jam again after we changed the toner.\n";
  while (f.body.size() < body_bytes) f.body += line;
  return f;
}

void evaluate(benchmark::State& state) {
  const auto set = RuleSet::compile(hundred_rules());
  if (!set.skipped().empty()) std::abort();
  const MailFacts facts = mail(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    auto e = set.evaluate(facts);
    if (e.matched.size() != 1) std::abort();
    benchmark::DoNotOptimize(e);
  }
}
// A one-line mail, a short one (2 KiB), a long one (16 KiB) and one past the scanned
// bound (1 MiB).
BENCHMARK(evaluate)->Arg(100)->Arg(2048)->Arg(16384)->Arg(1 << 20);

// The same without the trace (what ingest calls).
void decide(benchmark::State& state) {
  const auto set = RuleSet::compile(hundred_rules());
  if (!set.skipped().empty()) std::abort();
  const MailFacts facts = mail(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    auto e = set.decide(facts);
    if (e.matched.size() != 1) std::abort();
    benchmark::DoNotOptimize(e);
  }
}
BENCHMARK(decide)->Arg(100)->Arg(2048)->Arg(16384)->Arg(1 << 20);

void compile(benchmark::State& state) {
  const auto rules = hundred_rules();
  for (auto _ : state) {
    auto set = RuleSet::compile(rules);
    benchmark::DoNotOptimize(set);
  }
}
BENCHMARK(compile);

}  // namespace

BENCHMARK_MAIN();
