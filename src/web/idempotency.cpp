#include "web/idempotency.h"

#include <sodium.h>

#include "util/text.h"

namespace mailcase::web {

std::optional<std::string> idempotency_key_problem(std::string_view key) {
  if (key.empty()) return "the Idempotency-Key is empty";
  if (key.size() > kMaxIdempotencyKeyBytes)
    return "the Idempotency-Key is longer than " + std::to_string(kMaxIdempotencyKeyBytes) + " characters";
  for (unsigned char ch : key)
    if (ch < 0x20 || ch > 0x7e) return "the Idempotency-Key may hold only printable ASCII characters";
  return std::nullopt;
}

std::string request_digest(std::string_view method, std::string_view target, std::string_view body) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  for (std::string_view part : {method, target, body}) {
    const std::string len = std::to_string(part.size()) + ":";
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(len.data()), len.size());
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(part.data()), part.size());
  }
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&st, out);
  return text::hex(out, sizeof out);
}

KeyVerdict judge_key(const std::optional<store::IdempotencyRecord>& found, std::string_view digest,
                     int64_t now) {
  if (!found) return KeyVerdict::kRun;
  const int64_t age = now - found->created_at;
  // Not purged yet but past its day: as if gone.
  if (age >= kIdempotencyKeepSeconds) return KeyVerdict::kRun;
  if (found->request_digest != digest) return KeyVerdict::kOtherRequest;
  if (!found->in_progress) return KeyVerdict::kReplay;
  return age >= kAbandonedAfterSeconds ? KeyVerdict::kRun : KeyVerdict::kInProgress;
}

bool keeps_answer(int status) {
  return (status >= 200 && status < 300) || (status >= 400 && status < 500);
}

bool replayed_header(std::string_view name) {
  return text::iequals(name, "Location") || text::iequals(name, "ETag") ||
         text::iequals(name, "Content-Type");
}

bool PurgeSchedule::due(int64_t now) {
  int64_t last = last_.load();
  while (last == INT64_MIN || now - last >= 60) {
    if (last_.compare_exchange_weak(last, now)) return true;
  }
  return false;
}

PurgeSchedule& key_purge_schedule() {
  static PurgeSchedule schedule;
  return schedule;
}

Result<KeyStart> judge_and_claim(store::UnitOfWork& w, store::Id token_id, std::string_view key,
                                 std::string_view digest, int64_t now) {
  MC_ASSIGN_OR_RETURN(auto found, w.idempotency().find_key(token_id, key));
  KeyStart start;
  start.verdict = judge_key(found, digest, now);
  if (start.verdict == KeyVerdict::kReplay) start.replay = found->answer;
  if (start.verdict != KeyVerdict::kRun) return start;
  if (found) MC_RETURN_IF_ERROR(w.idempotency().release_key(token_id, key));
  store::IdempotencyRecord r;
  r.token_id = token_id;
  r.key = std::string(key);
  r.request_digest = std::string(digest);
  r.created_at = now;
  MC_RETURN_IF_ERROR(w.idempotency().claim_key(r));
  return start;
}

Result<KeyStart> begin_idempotent(store::Store& store, store::Id token_id, std::string_view key,
                                  std::string_view digest, int64_t now) {
  MC_ASSIGN_OR_RETURN(auto w, store.open_unit(store::Access::kWrite));
  MC_ASSIGN_OR_RETURN(auto start, judge_and_claim(w, token_id, key, digest, now));
  if (start.verdict == KeyVerdict::kRun) MC_RETURN_IF_ERROR(w.commit());
  return start;
}

Status purge_keys_if_due(store::UnitOfWork& w, int64_t now, PurgeSchedule& purge) {
  if (purge.due(now)) MC_RETURN_IF_ERROR(w.idempotency().purge_keys(now - kIdempotencyKeepSeconds));
  return {};
}

Status finish_idempotent(store::Store& store, store::Id token_id, std::string_view key,
                         const store::IdempotentAnswer& answer, int64_t now, PurgeSchedule& purge) {
  MC_ASSIGN_OR_RETURN(auto w, store.open_unit(store::Access::kWrite));
  if (keeps_answer(answer.status)) {
    MC_RETURN_IF_ERROR(w.idempotency().answer_key(token_id, key, answer));
  } else {
    MC_RETURN_IF_ERROR(w.idempotency().release_key(token_id, key));
  }
  MC_RETURN_IF_ERROR(purge_keys_if_due(w, now, purge));
  return w.commit();
}

}  // namespace mailcase::web
