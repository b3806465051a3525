// Whether an API mail proves its sender (docs/mail-api.md). Pure: the secret, the time
// and the trusted Authentication-Results verdict are given.
//
// A sender proves a mail either by the header
//   X-Mailcase-Signature: t=UNIX_TIME, sig=HEX
// where HEX is HMAC-SHA-256(secret, t + "." + body), the body being the mail's raw bytes
// after the blank line that ends its header block, exactly as they arrived; refused when
// t is more than kMaxClockSkew from now; or, when allowed for it (api-sender --dkim yes),
// by a trusted DKIM/DMARC pass aligned with its From (trust::from_verified).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace mailcase::mail_api {

inline constexpr std::string_view kSignatureHeader = "X-Mailcase-Signature";
inline constexpr int64_t kMaxClockSkew = 15 * 60;  // seconds either way
inline constexpr size_t kMaxSignatureHeaderBytes = 512;

struct Signature {
  int64_t t = 0;
  std::array<unsigned char, 32> mac{};
  std::string hex;  // lower-case, as the replay key
};

// Reads "t=UNIX_TIME, sig=HEX" (either order, spaces around each part allowed); a
// missing, repeated or unknown part, a t that is not a decimal number, a sig that is not
// 64 hex digits: kInvalidInput saying which. Never throws.
[[nodiscard]] Result<Signature> parse_signature(std::string_view value);

// The mail's body as received: the bytes after the first empty line (CRLF or LF), or
// nothing when there is none.
std::string_view raw_body(std::string_view raw);

// HEX of HMAC-SHA-256(secret, t + "." + body): what a sender puts in sig.
std::string sign(std::string_view secret, int64_t t, std::string_view body);

// kInvalidInput with the reason when the signature does not prove the body at `now`: t
// too far off, or the MAC wrong (compared in constant time).
[[nodiscard]] Status check_signature(const Signature& s, std::string_view secret, std::string_view body,
                                     int64_t now);

// What is known of one API mail's sender, gathered by the caller.
struct ProofFacts {
  bool registered = false;                      // the From is an api sender's
  bool sender_dkim = false;                     // … who may prove by DKIM
  bool sender_has_secret = false;               // … who has a secret file
  std::optional<std::string> signature_header;  // X-Mailcase-Signature's value
  std::optional<std::string> secret;            // read from the sender's file; unset: see secret_error
  std::string secret_error;
  std::string_view body;  // raw_body of the mail
  int64_t now = 0;
  bool dkim_aligned = false;  // trust::from_verified(proof, From)
};

struct ProofVerdict {
  bool proven = false;
  std::string how;            // "signature" | "dkim" when proven
  std::string reason;         // why not, for the held mail's record
  std::string signature_hex;  // of a proving signature: its replay key
};

// A signature, when the mail carries one, must prove it (a wrong one is never excused
// by DKIM); without one, DKIM proves it when the sender allows that.
ProofVerdict decide_proof(const ProofFacts& f);

}  // namespace mailcase::mail_api
