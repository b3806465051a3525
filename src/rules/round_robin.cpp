#include "rules/round_robin.h"

#include <tuple>

namespace mailcase::rules {

std::optional<std::string> pick_owner(const std::vector<Candidate>& candidates) {
  const Candidate* best = nullptr;
  auto key = [](const Candidate& c) { return std::tie(c.open_cases, c.last_assigned_seq, c.email); };
  for (const Candidate& c : candidates)
    if (!best || key(c) < key(*best)) best = &c;
  if (!best) return std::nullopt;
  return best->email;
}

}  // namespace mailcase::rules
