// Round-robin assignment (CW2's `--set-owner round-robin`): which member of a queue gets
// a new case. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mailcase::rules {

struct Candidate {
  std::string email;               // an active agent, member of the queue
  int64_t open_cases = 0;          // cases they own that are new, open or solution proposed
  int64_t last_assigned_seq = 0;   // when they last got a case this way (higher: later); 0: never
};

// The candidate with the fewest open cases; among those, the one who got a case this way
// longest ago (never first); then by email. nullopt when there is none.
std::optional<std::string> pick_owner(const std::vector<Candidate>& candidates);

}  // namespace mailcase::rules
