// The case lifecycle as pure decisions: what an action does to a case's status and
// which mails to the customer it causes. Every door (ingest, CLI, web) asks here and
// applies the answer in one transaction with the outbox rows.
//
//   new ─► open ─► solution proposed ─► accepted ─► resolved ─► closed
//                         │                                       │
//                         └─ rejected ─► open ◄── reopen ─────────┘
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/model.h"
#include "util/result.h"

namespace mailcase::cases {

// The states live in the domain core with their one mapping to text.
using domain::CaseStatus;
using domain::status_from_string;
using domain::to_string;

enum class ActionKind {
  kPublicComment,    // an agent's reply to the customer
  kInternalNote,     // agents only; never mailed
  kProposeSolution,  // an agent proposes a solution; the customer accepts or rejects
  kAccept,           // the customer accepts the proposed solution
  kReject,           // the customer rejects it: back to open
  kClose,            // an agent closes the case
  kReopen,           // an agent reopens a resolved or closed case
  kCustomerReply,    // a mail from the customer on this case
  kResolve,          // resolved without the customer's verdict (a monitoring recovery); no mail
};

// The mails a change causes, in the order they are sent.
enum class MailKind { kConfirmation, kComment, kSolution, kClosed, kSurvey };
const char* to_string(MailKind k);

// What happens to a customer's mail on a resolved or closed case (configurable).
enum class ReplyToClosed { kReopen, kNewCase };

struct Transition {
  CaseStatus status;            // the status after the action
  std::vector<MailKind> mails;  // to the customer
  bool new_case = false;        // kCustomerReply on a closed case with kNewCase: start another
};

struct ActionOptions {
  ReplyToClosed reply_to_closed = ReplyToClosed::kReopen;
  bool survey = true;             // closing invites to the survey
  bool surveyed_already = false;  // accepted on the web page, which shows the survey itself
};

// kInvalidInput with a sentence a user understands when the action does not apply to
// a case in this status (accepting a case with no proposed solution, say).
Result<Transition> decide(CaseStatus current, ActionKind action, const ActionOptions& options = {});

// Whether the customer may rate the case: once it is resolved or closed.
bool survey_open(CaseStatus s);
// Resolved or closed: no longer being worked.
bool finished(CaseStatus s);

// Whether the customer may give this rating now. earlier_rating: the case's survey row,
// if any; a rating of 0 there only says the survey was shown (accepted on the web page),
// not answered. kInvalidInput for a rating outside 1–5 or a survey not open yet,
// kConflict for a survey answered already; each with a sentence for the customer.
mailcase::Status may_answer_survey(CaseStatus s, std::optional<int> earlier_rating, int rating);

// Accept or reject by reply: the first non-empty line of a reply's new text, in
// English, French or Polish, case-insensitive, with punctuation around it
// ("Accept.", "ACCEPTER !", "Akceptuję", "Reject -", "Odrzucam"). Anything else is
// a normal comment.
enum class Verdict { kNone, kAccept, kReject };
Verdict verdict_of_reply(std::string_view new_text);

// What a customer's mail (a kCustomerReply) does to the case it answers: on a proposed
// solution its first line accepts or rejects it (verdict_of_reply of new_text), on a
// resolved or closed case it reopens the case or starts a new one
// (options.reply_to_closed), else it changes nothing. Whether the sender may change the
// case at all is the caller's to judge.
enum class ReplyEffect { kNone, kAccept, kReject, kReopen, kNewCase };
ReplyEffect customer_reply_effect(CaseStatus current, std::string_view new_text,
                                  const ActionOptions& options = {});

}  // namespace mailcase::cases
