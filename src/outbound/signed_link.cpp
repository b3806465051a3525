#include "outbound/signed_link.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <fstream>
#include <iterator>

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
  const auto file = data_dir / "secret.key";
  std::ifstream in(file, std::ios::binary);
  if (in) {
    std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (key.size() >= crypto_auth_hmacsha256_KEYBYTES)
      return LinkSigner(key.substr(0, crypto_auth_hmacsha256_KEYBYTES));
  }
  std::string key(crypto_auth_hmacsha256_KEYBYTES, '\0');
  randombytes_buf(key.data(), key.size());
  // O_EXCL: two processes starting at once agree on the first key written.
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::ifstream again(file, std::ios::binary);
    std::string k((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
    if (k.size() >= crypto_auth_hmacsha256_KEYBYTES)
      return LinkSigner(k.substr(0, crypto_auth_hmacsha256_KEYBYTES));
    return fail(ErrorCode::kTemporary, "cannot create " + file.string() + ": " + std::strerror(errno));
  }
  bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return fail(ErrorCode::kTemporary, "cannot write " + file.string());
  return LinkSigner(key);
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
