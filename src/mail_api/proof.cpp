#include "mail_api/proof.h"

#include <sodium.h>

#include <charconv>

#include "util/text.h"

namespace mailcase::mail_api {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::array<unsigned char, 32> mac_of(std::string_view secret, int64_t t, std::string_view body) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  const std::string prefix = std::to_string(t) + ".";
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(prefix.data()), prefix.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  std::array<unsigned char, 32> out{};
  crypto_auth_hmacsha256_final(&st, out.data());
  return out;
}

}  // namespace

Result<Signature> parse_signature(std::string_view value) {
  auto bad = [](std::string why) -> Result<Signature> {
    return fail(ErrorCode::kInvalidInput, "signature header: " + why);
  };
  if (value.size() > kMaxSignatureHeaderBytes) return bad("too long");
  Signature s;
  bool have_t = false, have_sig = false;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view part = text::trim(value.substr(start, comma - start));
    start = comma + 1;
    if (part.empty()) {
      if (comma == value.size()) break;
      return bad("an empty part");
    }
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) return bad("a part without '='");
    std::string_view key = text::trim(part.substr(0, eq));
    std::string_view v = text::trim(part.substr(eq + 1));
    if (key == "t") {
      if (have_t) return bad("t given twice");
      have_t = true;
      if (v.empty() || v.size() > 18) return bad("t is not a unix time");
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), s.t);
      if (ec != std::errc() || p != v.data() + v.size() || s.t < 0) return bad("t is not a unix time");
    } else if (key == "sig") {
      if (have_sig) return bad("sig given twice");
      have_sig = true;
      if (v.size() != 64) return bad("sig is not 64 hex digits");
      for (size_t i = 0; i < 32; ++i) {
        const int hi = hex_value(v[2 * i]), lo = hex_value(v[2 * i + 1]);
        if (hi < 0 || lo < 0) return bad("sig is not 64 hex digits");
        s.mac[i] = static_cast<unsigned char>(hi * 16 + lo);
      }
    } else {
      return bad("unknown part '" + text::make_valid_utf8(key.substr(0, 20)) + "'");
    }
  }
  if (!have_t) return bad("t is missing");
  if (!have_sig) return bad("sig is missing");
  s.hex = text::hex(s.mac.data(), s.mac.size());
  return s;
}

std::string_view raw_body(std::string_view raw) {
  size_t line = 0;
  while (line < raw.size()) {
    const size_t nl = raw.find('\n', line);
    if (nl == std::string_view::npos) return {};
    std::string_view l = raw.substr(line, nl - line);
    if (l.empty() || l == "\r") return raw.substr(nl + 1);
    line = nl + 1;
  }
  return {};
}

std::string sign(std::string_view secret, int64_t t, std::string_view body) {
  const auto mac = mac_of(secret, t, body);
  return text::hex(mac.data(), mac.size());
}

Status check_signature(const Signature& s, std::string_view secret, std::string_view body, int64_t now) {
  const int64_t off = now > s.t ? now - s.t : s.t - now;
  if (off > kMaxClockSkew)
    return fail(ErrorCode::kInvalidInput, "signature: t is " + std::to_string(off) +
                                              " seconds from now, more than " +
                                              std::to_string(kMaxClockSkew));
  const auto mac = mac_of(secret, s.t, body);
  if (sodium_memcmp(mac.data(), s.mac.data(), mac.size()) != 0)
    return fail(ErrorCode::kInvalidInput, "signature: does not match the body");
  return {};
}

ProofVerdict decide_proof(const ProofFacts& f) {
  ProofVerdict v;
  if (!f.registered) {
    v.reason = "API: the sender is not an api sender";
    return v;
  }
  if (f.signature_header) {
    if (!f.sender_has_secret) {
      v.reason = "API: a signature, but the api sender has no secret file";
      return v;
    }
    auto sig = parse_signature(*f.signature_header);
    if (!sig) {
      v.reason = "API: " + sig.error().message;
      return v;
    }
    if (!f.secret) {
      v.reason = "API: the api sender's secret cannot be read: " + f.secret_error;
      return v;
    }
    if (auto ok = check_signature(*sig, *f.secret, f.body, f.now); !ok) {
      v.reason = "API: " + ok.error().message;
      return v;
    }
    v.proven = true;
    v.how = "signature";
    v.signature_hex = sig->hex;
    return v;
  }
  if (f.sender_dkim && f.dkim_aligned) {
    v.proven = true;
    v.how = "dkim";
    return v;
  }
  v.reason = f.sender_dkim ? "API: no signature, and no trusted DKIM/DMARC pass aligned with From"
                           : "API: no " + std::string(kSignatureHeader) + " header";
  return v;
}

}  // namespace mailcase::mail_api
