// Signed, expiring links to a customer's case page (UI2). The token carries the case
// id and an expiry, authenticated with HMAC-SHA-256 under a secret kept in the data
// directory; without the secret nobody can make one, and a token opens one case only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace mailcase::outbound {

class LinkSigner {
 public:
  // key: 32 bytes.
  explicit LinkSigner(std::string key);
  // DATA/secret.key, created (32 random bytes, mode 0600) when missing.
  [[nodiscard]] static Result<LinkSigner> from_data_dir(const std::filesystem::path& data_dir);

  // A URL-safe token for this case, valid until expires_at (Unix seconds).
  std::string sign(int64_t case_id, int64_t expires_at) const;

  enum class Check { kValid, kMalformed, kBadSignature, kExpired, kOtherCase };
  // Whether token opens case_id at time now.
  Check verify(std::string_view token, int64_t case_id, int64_t now) const;

 private:
  std::string key_;
};

const char* to_string(LinkSigner::Check c);

}  // namespace mailcase::outbound
