// Which routing address a mail was sent to, and what the mail becomes. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "ingest/classify.h"
#include "mime/message.h"
#include "store/model.h"

namespace mailcase::ingest {

// Candidate recipient addresses in order of trust: envelope recipients, Delivered-To,
// X-Original-To, then To, Cc and Bcc headers. Lower-cased, without duplicates.
std::vector<std::string> recipient_candidates(const mime::ParsedMessage& msg,
                                              const std::vector<std::string>& envelope);

// The first candidate that is a configured routing address, or nullopt.
std::optional<store::RoutingAddress> match_address(const std::vector<std::string>& candidates,
                                                   const std::vector<store::RoutingAddress>& configured);

// Everything the decision needs, looked up by the adapter beforehand.
struct RouteFacts {
  const mime::ParsedMessage* message = nullptr;
  Classification classification;
  std::optional<store::RoutingAddress> address;  // nullopt: the fallback route
  bool sender_known = false;                     // a contact or an account has the From address
  std::optional<int64_t> threaded_case;          // the case this mail answers
  std::string thread_reason;
};

enum class Action {
  kCreateCase,  // a new case from this mail
  kComment,     // a comment on threaded_case
  kHold,        // kept for an administrator (unknown sender, bounce of nothing we know)
  kIgnore,      // recorded, nothing done (address does not create cases, prefix missing)
};

struct RouteDecision {
  Action action = Action::kHold;
  std::string reason;
  std::string queue;
  std::string product;
  std::string priority;
  bool create_contact = false;  // the sender is unknown and the policy is create
  bool internal = false;        // comment visible to agents only (bounces, auto-replies)
};

RouteDecision decide_route(const RouteFacts& facts, const config::Config& cfg);

}  // namespace mailcase::ingest
