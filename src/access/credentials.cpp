#include "access/credentials.h"

#include <sodium.h>

#include <array>

#include "util/text.h"

namespace mailcase::access {
namespace {

// sodium_init is idempotent and thread-safe; it only fails without a random source.
bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

size_t utf8_chars(std::string_view s) {
  size_t n = 0;
  for (unsigned char ch : s)
    if ((ch & 0xC0) != 0x80) ++n;  // every byte but a continuation byte starts a character
  return n;
}

}  // namespace

std::string new_api_token() {
  (void)sodium_ready();  // randombytes works without it too (getrandom), but init picks the best source
  std::array<unsigned char, kTokenRandomBytes> raw{};
  randombytes_buf(raw.data(), raw.size());
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string encoded(sodium_base64_ENCODED_LEN(kTokenRandomBytes, kVariant), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(), raw.data(), raw.size(), kVariant);
  encoded.resize(encoded.find('\0'));
  sodium_memzero(raw.data(), raw.size());
  return std::string(kTokenPrefix) + encoded;
}

std::string token_digest(std::string_view token) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> d{};
  crypto_hash_sha256(d.data(), reinterpret_cast<const unsigned char*>(token.data()), token.size());
  return text::hex(d.data(), d.size());
}

bool digests_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;  // lengths are public: every digest has 64 digits
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string password_problem(std::string_view password) {
  if (password.empty()) return "the password is empty";
  if (password.size() > kMaxPasswordBytes)
    return "the password is longer than " + std::to_string(kMaxPasswordBytes) + " bytes";
  if (utf8_chars(password) < kMinPasswordChars)
    return "the password is shorter than " + std::to_string(kMinPasswordChars) + " characters";
  return "";
}

Result<std::string> hash_password(std::string_view password) {
  if (auto problem = password_problem(password); !problem.empty())
    return fail(ErrorCode::kInvalidInput, problem);
  if (!sodium_ready()) return fail(ErrorCode::kInternal, "libsodium could not start");
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
    return fail(ErrorCode::kTemporary, "not enough memory to hash the password (Argon2id needs 64 MiB)");
  return std::string(out.data());
}

bool verify_password(std::string_view stored_hash, std::string_view password) {
  if (stored_hash.empty() || stored_hash.size() >= crypto_pwhash_STRBYTES) return false;
  if (password.size() > kMaxPasswordBytes) return false;
  if (!sodium_ready()) return false;
  const std::string hash(stored_hash);  // crypto_pwhash_str_verify reads a C string
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

Result<std::string> parse_bearer(std::string_view header) {
  constexpr std::string_view kScheme = "Bearer";
  auto bad = [](const std::string& why) { return fail(ErrorCode::kInvalidInput, "Authorization: " + why); };
  if (header.empty()) return bad("missing (expected \"Bearer TOKEN\")");
  if (header.size() <= kScheme.size() || !text::iequals(header.substr(0, kScheme.size()), kScheme) ||
      header[kScheme.size()] != ' ')
    return bad("not a Bearer token (expected \"Bearer TOKEN\")");
  std::string_view token = header.substr(kScheme.size() + 1);
  if (token.empty()) return bad("the Bearer token is empty");
  if (token.size() > kMaxTokenLength)
    return bad("the Bearer token is longer than " + std::to_string(kMaxTokenLength) + " characters");
  if (!text::is_b64token(token)) return bad("the Bearer token has characters a token cannot have");
  return std::string(token);
}

}  // namespace mailcase::access
