// Who an API request is from: the agent behind its "Authorization: Bearer TOKEN" header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/agents.h"
#include "store/store.h"
#include "util/result.h"

namespace mailcase::access {

// How long a token's last_used_at may lag behind its real last use: recording each use
// would make every API request a write; once a minute is enough to see which tokens live.
inline constexpr int64_t kTokenUseRecordSeconds = 60;

// Unix seconds of an ISO 8601 UTC time as the store writes it ("2026-12-01T20:00:00Z");
// nullopt for any other text.
std::optional<int64_t> parse_iso8601_utc(std::string_view s);

// Whether a request at `now_iso` should record itself as the token's last use: never
// used, or last used kTokenUseRecordSeconds or more before now (or at an unreadable
// time). False when now_iso itself is unreadable: nothing is written from a bad clock.
bool should_record_use(const std::optional<std::string>& last_used_at, std::string_view now_iso);

// The agent an API request acts for, with their role. The header is parsed
// (parse_bearer), its token's digest looked up through a pooled read unit and compared
// in constant time; the token must not be revoked and its agent must exist and be
// active. Errors: kInvalidInput for a missing or malformed header, kNotFound for an
// unknown or revoked token or an inactive agent (one message for all three: the caller
// answers 401 alike and says nothing about which), kTemporary/kInternal from the store.
// When should_record_use says so, the token's last_used_at becomes now_iso in a write
// unit of its own; that write failing (the write lock busy, say) is logged and does
// not refuse the request. Callable from any thread (the store's open_unit is).
Result<store::Agent> authenticate(store::Store& store, std::string_view authorization_header,
                                  std::string_view now_iso);

}  // namespace mailcase::access
