// Whether mailcase may answer a mail automatically (confirmation of a new case and
// the like), following RFC 3834: never answer machines, lists, ourselves, the null
// envelope sender, a From the envelope sender does not vouch for (backscatter to a
// forged address), and never more than a few times an hour to one mailbox or a set
// number an hour in all. Pure; the caller gathers the facts.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailcase::outbound {

struct AutoReplyFacts {
  std::string from;                        // the sender's address
  std::string auto_submitted;              // Auto-Submitted header, empty when absent
  bool auto_replies_suppressed = false;    // suppresses_auto_replies of X-Auto-Response-Suppress
  std::string precedence;                  // Precedence header
  bool has_list_id = false;                // List-Id (or List-Unsubscribe) present
  bool is_machine_mail = false;            // classified as bounce, auto-reply or feedback report
  std::vector<std::string> our_addresses;  // routing addresses and the outgoing address
  // The From of the mail being answered, when it is not `from` (the contact's address).
  std::string header_from;
  // The envelope sender (RFC 3834 section 4): nullopt when the source does not tell,
  // "" for the null sender <> (never answered).
  std::optional<std::string> envelope_sender;
  // A contact known before this mail (and not made from an unverified mail): answered
  // even when the envelope sender is in another domain.
  bool sender_is_known_contact = false;
  bool confirm_unverified_senders = false;  // outbound.confirm_unverified_senders
  int auto_replies_last_hour = 0;           // already sent to this sender's text::mailbox_key
  int max_auto_replies_per_hour = 5;
  int auto_replies_total_last_hour = 0;  // already sent to anyone
  int max_auto_replies_total_per_hour = 200;
  // Why a trusted server's Authentication-Results speaks against the From, in
  // trust::from_contradicted's words (DMARC failed, checked another domain, or the mail has
  // no From line): the From is forged or cannot be believed; never answered, known contact
  // or not (the answer would reach the forged address's real owner). Empty: nothing against it.
  std::string from_contradicted;
};

struct AutoReplyDecision {
  bool allowed = false;
  std::string reason;  // why not (or "ok")
};

AutoReplyDecision may_auto_reply(const AutoReplyFacts& facts);

// The values of an X-Auto-Response-Suppress header (MS-OXCMAIL 2.2.3.2.20: a comma-separated
// list of DR, NDR, RN, NRN, OOF, AutoReply, All, in any letter case), lower-cased and
// trimmed, empty ones left out. Pure.
std::vector<std::string> auto_response_suppress_values(std::string_view header);

// Whether an X-Auto-Response-Suppress header asks for no automatic answer of the kind a
// confirmation is: "All" or "AutoReply". Pure.
bool suppresses_auto_replies(std::string_view header);

// The keyword of a header made of one keyword and parameters (Auto-Submitted, Precedence,
// X-Precedence): lower-cased, without RFC 5322 comments, quotes, the parameters after the
// first ';' and the whitespace around it. "No (typed by a person)" and "no; x=1" are "no",
// "\"Junk\"" is "junk".
std::string header_keyword(std::string_view value);

// Whether an envelope sender is the null sender <> of delivery reports and automatic
// answers (RFC 5321 section 4.5.5, RFC 3834 section 3.3): "", "<>", or "MAILER-DAEMON"
// without a domain, as Postfix's pipe writes it unless told otherwise.
bool is_null_sender(std::string_view envelope_sender);

// Whether an address is a mailbox nobody reads: its local part, without any "+tag" and
// with '-', '_' and '.' ignored, begins "noreply" or "donotreply" ("no_reply",
// "No-Reply-AWS", "do.not.reply"). Bare addresses or "Name <addr>".
bool is_no_reply_address(std::string_view address);

// Whether an address is one of `ours` (routing addresses, the outgoing address) or a
// "+tag" sub-address of one, or one of them a sub-address of it: one mailbox either way
// (text::mailbox_key). Bare addresses or "Name <addr>"; never true for an empty address.
bool is_our_address(std::string_view address, const std::vector<std::string>& ours);

// Whether the envelope sender vouches for the From address: both in one domain, or the
// envelope sender's in a subdomain of the From's (bounces.example.org sends for
// example.org). Bare addresses or "Name <addr>"; false when either has no domain.
bool envelope_matches_from(std::string_view envelope_sender, std::string_view from);

}  // namespace mailcase::outbound
