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

constexpr size_t kPayload = 16;  // case id and expiry, 8 bytes each, big-endian
constexpr size_t kMac = crypto_auth_hmacsha256_BYTES;

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
  auto key = load_or_create_key(data_dir / "secret.key", crypto_auth_hmacsha256_KEYBYTES);
  if (!key) return tl::unexpected(key.error());
  return LinkSigner(std::move(*key));
}

std::string LinkSigner::sign(int64_t case_id, int64_t expires_at) const {
  std::array<unsigned char, kPayload + kMac> buf{};
  put64(buf.data(), case_id);
  put64(buf.data() + 8, expires_at);
  crypto_auth_hmacsha256(buf.data() + kPayload, buf.data(), kPayload,
                         reinterpret_cast<const unsigned char*>(key_.data()));
  std::string out(sodium_base64_encoded_len(buf.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), buf.data(), buf.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

LinkSigner::Check LinkSigner::verify(std::string_view token, int64_t case_id, int64_t now) const {
  std::array<unsigned char, kPayload + kMac> buf{};
  size_t len = 0;
  if (token.size() > 200 ||
      sodium_base642bin(buf.data(), buf.size(), token.data(), token.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      len != buf.size())
    return Check::kMalformed;
  if (crypto_auth_hmacsha256_verify(buf.data() + kPayload, buf.data(), kPayload,
                                    reinterpret_cast<const unsigned char*>(key_.data())) != 0)
    return Check::kBadSignature;
  if (get64(buf.data()) != case_id) return Check::kOtherCase;
  if (get64(buf.data() + 8) < now) return Check::kExpired;
  return Check::kValid;
}

}  // namespace mailcase::outbound
