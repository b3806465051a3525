// Signed, expiring links to a customer's case page (UI2). The token carries the case
// id, an expiry and the one action it was made for (view, accept, reject, survey),
// authenticated with HMAC-SHA-256 under a secret kept in the data directory; without
// the secret nobody can make one, a token opens one case only, and a view link cannot
// be used to accept, reject or answer the survey.
//
// An accept or reject token also names the proposal it answers (the proposed solution
// its mail carried), so that it cannot accept or reject a later one; view and survey
// tokens name none.
//
// Older tokens are still accepted until they expire: those made before links named
// their action (16-byte payload: case and expiry), whose grants are decided from the
// mails they were sent in (legacy_grants), and accept and reject tokens made before
// they named their proposal (version 2). What an older accept or reject token may answer
// is the customer pages' to decide (web/customer_pages.cpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace mailcase::outbound {

// What a link is for. The numbers are part of the signed token: never renumber.
enum class LinkAction : uint8_t { kView = 1, kAccept = 2, kReject = 3, kSurvey = 4 };

// A set of LinkActions, one bit each.
using Grants = unsigned;
constexpr Grants grant(LinkAction a) {
  return 1u << static_cast<unsigned>(a);
}
constexpr bool allows(Grants g, LinkAction a) {
  return (g & grant(a)) != 0;
}

// What a token made for this action lets its holder do. Every link shows the case.
// Accepting on the page shows the survey at once and no survey mail follows, so an
// accept link also answers the survey (once: the page refuses a second answer).
Grants grants_of(LinkAction a);

// What an old-format token (no action inside) may do, from the kinds of the mails that
// carried it (outbox kinds: confirmation, comment, solution, closed, survey). A solution
// mail's links accepted or rejected (and, as an accept link, answer the survey), a
// survey mail's link answered the survey; any
// other mail's link, or a token found in no mail, only shows the case.
Grants legacy_grants(const std::vector<std::string>& mail_kinds);

// "view", "accept", "reject", "survey"; nullopt for anything else.
std::optional<LinkAction> link_action_from_string(std::string_view s);
const char* to_string(LinkAction a);

class LinkSigner {
 public:
  // key: 32 bytes.
  explicit LinkSigner(std::string key);
  // DATA/secret.key, created (32 random bytes, mode 0600) when missing.
  [[nodiscard]] static Result<LinkSigner> from_data_dir(const std::filesystem::path& data_dir);

  // A URL-safe token for this case and action, valid until expires_at (Unix seconds).
  // An accept or reject token also signs proposal, the proposal it answers (its
  // solution_proposed event's id; 0 for none made yet, which no proposal ever is); a view
  // or survey token ignores it.
  std::string sign(int64_t case_id, int64_t expires_at, LinkAction action, int64_t proposal = 0) const;

  enum class Check { kValid, kMalformed, kBadSignature, kExpired, kOtherCase };
  struct Verified {
    Check check = Check::kMalformed;
    // The signed action; nullopt for a valid old-format token (see legacy_grants).
    std::optional<LinkAction> action;
    // The signed proposal of an accept or reject token; nullopt for any other token,
    // accept and reject tokens made before they named one included.
    std::optional<int64_t> proposal;
    int64_t expires_at = 0;  // set when check is kValid
  };
  // Whether token opens case_id at time now, and for what.
  Verified verify(std::string_view token, int64_t case_id, int64_t now) const;

 private:
  std::string key_;
};

const char* to_string(LinkSigner::Check c);

}  // namespace mailcase::outbound
