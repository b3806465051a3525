// The Idempotency-Key rules of the REST API's POSTs: a client that retries a request
// with the key it first sent gets the first answer again instead of a second case or
// comment. Per API token, a key is kept a day.
//
// The rules are pure functions; begin_idempotent/finish_idempotent are the thin adapter
// that applies them to the store's IdempotencyRepository.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/store.h"
#include "util/result.h"

namespace mailcase::web {

inline constexpr size_t kMaxIdempotencyKeyBytes = 200;
inline constexpr int64_t kIdempotencyKeepSeconds = 24 * 3600;
// A key claimed by a request that has not answered after this long is taken as abandoned
// (its server stopped mid-request) and may be claimed again: far longer than any
// request's time limit.
inline constexpr int64_t kAbandonedAfterSeconds = 600;

// Why a key is unfit (answer 400), nullopt when it is fit: 1 to 200 characters of
// printable ASCII (0x20–0x7E).
std::optional<std::string> idempotency_key_problem(std::string_view key);

// What makes two requests "the same request": method, target (path and query) and body,
// as a SHA-256 hex digest. Each part is length-prefixed so that no two different
// requests run together into one text.
std::string request_digest(std::string_view method, std::string_view target, std::string_view body);

enum class KeyVerdict {
  kRun,           // a key not seen (or expired, or abandoned): claim it and run the request
  kReplay,        // the same request answered before: send its answer again
  kInProgress,    // the same request, still running: 409
  kOtherRequest,  // the key was used for another request: 422
};
// found: the key's row, if any; digest: this request's; now: unix seconds.
KeyVerdict judge_key(const std::optional<store::IdempotencyRecord>& found, std::string_view digest,
                     int64_t now);

// Whether an answer is kept for replay: 2xx and 4xx are (a retry would get the same);
// 5xx and anything else are not (a retry may succeed).
bool keeps_answer(int status);

// Whether a response header is stored and replayed with the answer: Location, ETag,
// Content-Type (any letter case).
bool replayed_header(std::string_view name);

// Lets the purge of old keys run at most once a minute, whichever thread asks.
// Thread-safe.
class PurgeSchedule {
 public:
  // True for the first caller, then for the first caller 60 s or more after the last true.
  bool due(int64_t now);

 private:
  std::atomic<int64_t> last_{INT64_MIN};
};
// The process's one schedule for the store's idempotency keys, whoever keeps them (the
// API's Idempotency-Key, the console's one-time form keys).
PurgeSchedule& key_purge_schedule();

// ---- adapter -------------------------------------------------------------------------

struct KeyStart {
  KeyVerdict verdict = KeyVerdict::kRun;
  store::IdempotentAnswer replay;  // kReplay: the answer to send again
};
// In the caller's write unit: judges the key and, for kRun, claims it as in progress
// (a row past its day or abandoned is released first). What else the unit writes
// commits with the claim or not at all.
[[nodiscard]] Result<KeyStart> judge_and_claim(store::UnitOfWork& w, store::Id token_id, std::string_view key,
                                               std::string_view digest, int64_t now);
// judge_and_claim in a unit of its own, committed for kRun, so that a second request with
// the key, now or from another node, finds the claim while this one runs.
[[nodiscard]] Result<KeyStart> begin_idempotent(store::Store& store, store::Id token_id, std::string_view key,
                                                std::string_view digest, int64_t now);
// In the caller's write unit: when purge says it is due, rows older than a day go.
[[nodiscard]] Status purge_keys_if_due(store::UnitOfWork& w, int64_t now, PurgeSchedule& purge);
// After the request ran (kRun): keeps its answer for replay, or releases the key when
// keeps_answer says no; then purge_keys_if_due.
[[nodiscard]] Status finish_idempotent(store::Store& store, store::Id token_id, std::string_view key,
                                       const store::IdempotentAnswer& answer, int64_t now,
                                       PurgeSchedule& purge);

}  // namespace mailcase::web
