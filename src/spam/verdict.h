// Spam (SF1): whether a mail is spam, as a trusted MTA's headers or rspamd say. Pure.
//
// The headers are believed only on mail that came through a trusted path (its
// Authentication-Results header from a configured authserv-id, trust/auth_results.h):
// anyone may write "X-Spam-Flag: NO" into a mail. Of each field only the topmost is
// read, the one the last server wrote; those below may be the sender's. A sender can
// still add a field that server did not write, so the fields are combined so that such
// an addition can only make a mail spam, never clear it: the mail is spam when any of
// the topmost fields says so.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mailcase::spam {

enum class Kind {
  kNone,       // not asked: no checker configured and no believed header
  kHam,        // checked: not spam
  kSpam,       // checked: spam
  kUnchecked,  // a checker was asked and could not answer; the mail is accepted
};
// "", "ham", "spam", "unchecked": as kept on the mail's record (RawMessage::spam).
const char* to_string(Kind k);

struct Verdict {
  Kind kind = Kind::kNone;
  std::optional<double> score;      // the checker's score, when it gave one
  std::optional<double> threshold;  // the score at which it calls a mail spam
  std::string source;               // "rspamd", "X-Spam-Status", …; "" for kNone
  std::string detail;               // why, in a few words (for the record and the hold reason)
};

// The topmost value of each field a spam filter writes (unfolded), absent when the
// mail has none.
struct SpamHeaders {
  std::optional<std::string_view> flag;           // X-Spam-Flag: YES | NO
  std::optional<std::string_view> status;         // X-Spam-Status: Yes, score=12.3 required=5.0 tests=…
  std::optional<std::string_view> score;          // X-Spam-Score: 12.3
  std::optional<std::string_view> spamd_result;   // X-Spamd-Result: default: True [12.30 / 15.00]; …
  std::optional<std::string_view> rspamd_action;  // X-Rspamd-Action: reject | add header | …
};

// Field values longer than this are not read (a filter writes a few hundred bytes).
inline constexpr size_t kMaxHeaderValueBytes = 64 * 1024;

// What the headers say: kSpam when any of them says spam (X-Spam-Flag YES, X-Spam-Status
// Yes or its score at least its required=, X-Spam-Score at least `threshold`,
// X-Spamd-Result True or its score at least its own threshold, X-Rspamd-Action reject,
// add header or rewrite subject); kHam when at least one could be read and none says
// spam; kNone when none could be read. Numbers that are not finite are not read.
// Call it only for mail that came through a trusted path. Never throws.
Verdict from_headers(const SpamHeaders& h, double threshold);

// Bound on rspamd's answer: a longer one is not read (kUnchecked).
inline constexpr size_t kMaxRspamdAnswerBytes = 1024 * 1024;

// rspamd's /checkv2 answer (JSON: "action", "score", "required_score", "is_skipped",
// "symbols"): kSpam when its action is reject, add header or rewrite subject, or its
// score is at least `threshold`; else kHam. An answer that cannot be read, one over the
// bound, or one without a score and an action is kUnchecked with the reason. Never throws.
Verdict from_rspamd(std::string_view json, double threshold);

// A verdict of a checker that could not answer: kUnchecked, from `source`, with the reason.
Verdict unchecked(std::string_view source, std::string_view reason);

// The reason a spam mail is held with: "spam: score 12.3 ≥ 5 (rspamd)",
// "spam: action reject (rspamd)", "spam: X-Spam-Flag YES (X-Spam-Flag)". Starts with "spam".
std::string hold_reason(const Verdict& v);

// What becomes of a mail judged spam whose sender may be on the allow list: let through
// only when the sender is allowed AND its From is proven (a trusted, aligned DKIM/DMARC
// pass, or an envelope sender that vouches for it); a forged From of an allowed sender
// gains nothing. `hold` is false when it is let through; `reason` is the hold's reason
// (hold_reason's, saying when the sender was allowed but unproven) or the note added to
// the record when let through.
struct Admission {
  bool hold = true;
  std::string reason;
};
Admission admit(const Verdict& spam, bool sender_allowed, bool from_proven);

// A number as the records show it: "12.3", "5", "-0.5" (at most two decimals).
std::string format_score(double v);

}  // namespace mailcase::spam
