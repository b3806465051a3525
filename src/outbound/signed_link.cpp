#include "outbound/signed_link.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <fstream>
#include <iterator>

#include "util/secret_file.h"

namespace mailcase::outbound {
namespace {

// Old format: case id and expiry, 8 bytes each, big-endian. Verified, never made.
constexpr size_t kLegacyPayload = 16;
// Version 2, made for view and survey links: version byte, action byte, then case id
// and expiry as above. Accept and reject links were made so too before they named
// their proposal: verified, no longer made.
constexpr size_t kPayload = 18;
constexpr unsigned char kVersion = 2;
// Version 3, made for accept and reject links: version 2's fields, then the proposal
// (8 bytes, big-endian). The three lengths differ, so one format is never read as
// another.
constexpr size_t kProposalPayload = 26;
constexpr unsigned char kProposalVersion = 3;
constexpr size_t kMac = crypto_auth_hmacsha256_BYTES;
constexpr size_t kMaxToken = 200;

bool names_proposal(LinkAction a) {
  return a == LinkAction::kAccept || a == LinkAction::kReject;
}

void put64(unsigned char* p, int64_t v) {
  auto u = static_cast<uint64_t>(v);
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<unsigned char>(u & 0xff);
    u >>= 8;
  }
}

int64_t get64(const unsigned char* p) {
  uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u = (u << 8) | p[i];
  return static_cast<int64_t>(u);
}

}  // namespace

Grants grants_of(LinkAction a) {
  switch (a) {
    case LinkAction::kView:
      return grant(LinkAction::kView);
    case LinkAction::kAccept:
      return grant(LinkAction::kView) | grant(LinkAction::kAccept) | grant(LinkAction::kSurvey);
    case LinkAction::kReject:
      return grant(LinkAction::kView) | grant(LinkAction::kReject);
    case LinkAction::kSurvey:
      return grant(LinkAction::kView) | grant(LinkAction::kSurvey);
  }
  return grant(LinkAction::kView);
}

Grants legacy_grants(const std::vector<std::string>& mail_kinds) {
  Grants g = grant(LinkAction::kView);
  for (const auto& k : mail_kinds) {
    // The old solution mail's accept and reject links carried one and the same token;
    // like a new accept link, it also answers the survey that accepting leads to.
    if (k == "solution")
      g |= grant(LinkAction::kAccept) | grant(LinkAction::kReject) | grant(LinkAction::kSurvey);
    if (k == "survey") g |= grant(LinkAction::kSurvey);
  }
  return g;
}

std::optional<LinkAction> link_action_from_string(std::string_view s) {
  if (s == "view") return LinkAction::kView;
  if (s == "accept") return LinkAction::kAccept;
  if (s == "reject") return LinkAction::kReject;
  if (s == "survey") return LinkAction::kSurvey;
  return std::nullopt;
}

const char* to_string(LinkAction a) {
  switch (a) {
    case LinkAction::kView:
      return "view";
    case LinkAction::kAccept:
      return "accept";
    case LinkAction::kReject:
      return "reject";
    case LinkAction::kSurvey:
      return "survey";
  }
  return "view";
}

const char* to_string(LinkSigner::Check c) {
  switch (c) {
    case LinkSigner::Check::kValid:
      return "valid";
    case LinkSigner::Check::kMalformed:
      return "malformed";
    case LinkSigner::Check::kBadSignature:
      return "bad signature";
    case LinkSigner::Check::kExpired:
      return "expired";
    case LinkSigner::Check::kOtherCase:
      return "for another case";
  }
  return "malformed";
}

LinkSigner::LinkSigner(std::string key) : key_(std::move(key)) {
  if (key_.size() < crypto_auth_hmacsha256_KEYBYTES) key_.resize(crypto_auth_hmacsha256_KEYBYTES, '\0');
}

Result<LinkSigner> LinkSigner::from_data_dir(const std::filesystem::path& data_dir) {
  if (sodium_init() < 0) return fail(ErrorCode::kInternal, "libsodium could not start");
  MC_ASSIGN_OR_RETURN(auto key, load_or_create_key(data_dir / "secret.key", crypto_auth_hmacsha256_KEYBYTES));
  return LinkSigner(std::move(key));
}

std::string LinkSigner::sign(int64_t case_id, int64_t expires_at, LinkAction action, int64_t proposal) const {
  std::array<unsigned char, kProposalPayload + kMac> buf{};
  const bool with_proposal = names_proposal(action);
  const size_t payload = with_proposal ? kProposalPayload : kPayload;
  buf[0] = with_proposal ? kProposalVersion : kVersion;
  buf[1] = static_cast<unsigned char>(action);
  put64(buf.data() + 2, case_id);
  put64(buf.data() + 10, expires_at);
  if (with_proposal) put64(buf.data() + 18, proposal);
  crypto_auth_hmacsha256(buf.data() + payload, buf.data(), payload,
                         reinterpret_cast<const unsigned char*>(key_.data()));
  const size_t len = payload + kMac;
  std::string out(sodium_base64_encoded_len(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), buf.data(), len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

LinkSigner::Verified LinkSigner::verify(std::string_view token, int64_t case_id, int64_t now) const {
  Verified v;
  std::array<unsigned char, kProposalPayload + kMac> buf{};
  size_t len = 0;
  if (token.size() > kMaxToken ||
      sodium_base642bin(buf.data(), buf.size(), token.data(), token.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return v;
  const unsigned char* fields = nullptr;  // case id, then expiry
  size_t payload = 0;
  if (len == kLegacyPayload + kMac) {
    payload = kLegacyPayload;
    fields = buf.data();
  } else if (len == kPayload + kMac && buf[0] == kVersion) {
    payload = kPayload;
    fields = buf.data() + 2;
  } else if (len == kProposalPayload + kMac && buf[0] == kProposalVersion) {
    payload = kProposalPayload;
    fields = buf.data() + 2;
  } else {
    return v;
  }
  if (crypto_auth_hmacsha256_verify(buf.data() + payload, buf.data(), payload,
                                    reinterpret_cast<const unsigned char*>(key_.data())) != 0) {
    v.check = Check::kBadSignature;
    return v;
  }
  if (payload != kLegacyPayload) {
    // Signed by us, so the byte is one we wrote; an unknown one (a newer version's
    // action), or a proposal on an action that names none (never made), opens nothing
    // rather than something.
    auto a = static_cast<LinkAction>(buf[1]);
    if (a != LinkAction::kView && a != LinkAction::kAccept && a != LinkAction::kReject &&
        a != LinkAction::kSurvey)
      return v;
    if (payload == kProposalPayload && !names_proposal(a)) return v;
    v.action = a;
    if (payload == kProposalPayload) v.proposal = get64(buf.data() + 18);
  }
  if (get64(fields) != case_id) {
    v.check = Check::kOtherCase;
    return v;
  }
  v.expires_at = get64(fields + 8);
  if (v.expires_at < now) {
    v.check = Check::kExpired;
    return v;
  }
  v.check = Check::kValid;
  return v;
}

}  // namespace mailcase::outbound
