// Agents' credentials: API tokens (long random values, kept as SHA-256 digests and
// compared in constant time, cheap enough for every request) and passwords (Argon2id,
// slow on purpose). Pure: no store, no I/O beyond the system's random source.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "util/result.h"

namespace mailcase::access {

// Every token starts with this, so that a leaked one is recognisable (secret scanners,
// logs, a paste) and told apart from other secrets.
inline constexpr std::string_view kTokenPrefix = "mct_";
// Random bytes in a token: 256 bits, beyond guessing however many tries an attacker gets.
inline constexpr size_t kTokenRandomBytes = 32;
// The longest token parse_bearer accepts. Ours are 47 characters; the bound only keeps
// a hostile header from being hashed and looked up at any length.
inline constexpr size_t kMaxTokenLength = 256;

// The rules a password must meet (hash_password refuses others with kInvalidInput).
inline constexpr size_t kMinPasswordChars = 8;     // UTF-8 characters
inline constexpr size_t kMaxPasswordBytes = 1024;  // bytes: bounds the work of a login

// A new API token: kTokenPrefix and 32 random bytes (libsodium randombytes) in base64url
// without padding, e.g. "mct_Vb3…" (47 characters, all of them allowed in a Bearer token).
std::string new_api_token();

// What the store keeps of a token: its SHA-256 as 64 lower-case hex digits. A token is
// random and long, so a fast hash suffices (no salt, no stretching): the digest is looked
// up by value on every request.
std::string token_digest(std::string_view token);

// Whether two digests are equal, in time that depends only on their length (sodium_memcmp),
// so that comparing a guessed value leaks nothing of the stored one. Unequal lengths: false.
bool digests_equal(std::string_view a, std::string_view b);

// Why `password` cannot be a password (empty when it can): empty, under kMinPasswordChars
// characters, or over kMaxPasswordBytes bytes.
std::string password_problem(std::string_view password);

// The Argon2id hash of a password in libsodium's string form ("$argon2id$v=19$m=…"),
// salted, with the cost in it. Cost: crypto_pwhash's INTERACTIVE limits (64 MiB, about
// 0.1 s), not MODERATE (256 MiB, about 0.7 s): a login is hashed while the agent waits,
// on a server with few cores where each concurrent login holds that memory; INTERACTIVE
// is libsodium's advice for online use. kInvalidInput (password_problem) for a password
// the rules refuse; kTemporary when there is not enough memory.
Result<std::string> hash_password(std::string_view password);

// Whether `password` is the one `stored_hash` (hash_password's form) was made from.
// False for an empty or malformed hash and for a password over kMaxPasswordBytes, without
// hashing it.
bool verify_password(std::string_view stored_hash, std::string_view password);

// The token of an "Authorization: Bearer TOKEN" header value (RFC 6750): the scheme in
// any letter case, exactly one space, and a token of 1 to kMaxTokenLength characters of
// RFC 6750's b64token set (letters, digits, "-._~+/", then "=" padding only at its end).
// kInvalidInput for anything else (no header, another scheme, a bad token); the message
// never repeats the header.
Result<std::string> parse_bearer(std::string_view authorization_header);

}  // namespace mailcase::access
