// Fuzz target for signed link tokens (outbound::LinkSigner::verify), which reads the
// token in every customer page address. Contract under test: an arbitrary token is
// refused (malformed, bad signature, other case, expired), never accepted, with no
// crash or sanitizer report; and a token we signed still verifies, for its case and
// action only.
//
// Input: 8 bytes of case id, 8 of "now", 1 of action, then the token.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "outbound/signed_link.h"

using namespace mailcase;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const outbound::LinkSigner signer(std::string(32, 'k'));
  if (size < 17) return 0;
  int64_t case_id = 0, now = 0;
  std::memcpy(&case_id, data, 8);
  std::memcpy(&now, data + 8, 8);
  const auto action = static_cast<outbound::LinkAction>(1 + data[16] % 4);
  const std::string_view token(reinterpret_cast<const char*>(data + 17), size - 17);

  // A forged token: the fuzzer cannot know the key, so nothing it writes may pass.
  const auto v = signer.verify(token, case_id, now);
  if (v.check == outbound::LinkSigner::Check::kValid) std::abort();
  (void)outbound::to_string(v.check);

  // A genuine one, for the same numbers.
  const int64_t expires = now == INT64_MAX ? now : now + 1;
  const std::string mine = signer.sign(case_id, expires, action);
  const auto ok = signer.verify(mine, case_id, now);
  if (ok.check != outbound::LinkSigner::Check::kValid || ok.action != action || ok.expires_at != expires)
    std::abort();
  if (signer.verify(mine, case_id ^ 1, now).check != outbound::LinkSigner::Check::kOtherCase) std::abort();
  if (expires < INT64_MAX &&
      signer.verify(mine, case_id, expires + 1).check != outbound::LinkSigner::Check::kExpired)
    std::abort();
  return 0;
}
