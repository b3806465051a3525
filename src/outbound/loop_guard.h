// Whether mailcase may answer a mail automatically (confirmation of a new case and
// the like), following RFC 3834: never answer machines, lists, ourselves, and never
// more than a few times an hour to one sender. Pure; the caller gathers the facts.
#pragma once

#include <string>
#include <vector>

namespace mailcase::outbound {

struct AutoReplyFacts {
  std::string from;                        // the sender's address
  std::string auto_submitted;              // Auto-Submitted header, empty when absent
  std::string precedence;                  // Precedence header
  bool has_list_id = false;                // List-Id (or List-Unsubscribe) present
  bool is_machine_mail = false;            // classified as bounce, auto-reply or feedback report
  std::vector<std::string> our_addresses;  // routing addresses and the outgoing address
  int auto_replies_last_hour = 0;          // already sent to this sender
  int max_auto_replies_per_hour = 5;
};

struct AutoReplyDecision {
  bool allowed = false;
  std::string reason;  // why not (or "ok")
};

AutoReplyDecision may_auto_reply(const AutoReplyFacts& facts);

}  // namespace mailcase::outbound
