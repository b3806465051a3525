#include "access/authenticate.h"

#include <spdlog/spdlog.h>

#include "access/credentials.h"

namespace mailcase::access {
namespace {

// Days from 1970-01-01 to the civil date y-m-d (proleptic Gregorian; H. Hinnant's algorithm).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Error no_valid_token() {
  return Error{ErrorCode::kNotFound, "no valid API token"};
}

}  // namespace

std::optional<int64_t> parse_iso8601_utc(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SSZ
  if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      s[19] != 'Z')
    return std::nullopt;
  auto number = [&](size_t at, size_t len) -> std::optional<int64_t> {
    int64_t v = 0;
    for (size_t i = at; i < at + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  auto y = number(0, 4), mo = number(5, 2), d = number(8, 2), h = number(11, 2), mi = number(14, 2),
       sec = number(17, 2);
  if (!y || !mo || !d || !h || !mi || !sec) return std::nullopt;
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 || *sec > 60) return std::nullopt;
  return days_from_civil(*y, *mo, *d) * 86400 + *h * 3600 + *mi * 60 + *sec;
}

bool should_record_use(const std::optional<std::string>& last_used_at, std::string_view now_iso) {
  auto now = parse_iso8601_utc(now_iso);
  if (!now) return false;
  if (!last_used_at) return true;
  auto last = parse_iso8601_utc(*last_used_at);
  if (!last) return true;
  return *now - *last >= kTokenUseRecordSeconds;
}

Result<store::Agent> authenticate(store::Store& store, std::string_view authorization_header,
                                  std::string_view now_iso) {
  MC_ASSIGN_OR_RETURN(auto token, parse_bearer(authorization_header));
  const std::string digest = token_digest(token);
  store::ApiToken found;
  store::Agent agent;
  {
    MC_ASSIGN_OR_RETURN(auto unit, store.open_unit(store::Access::kRead));
    MC_ASSIGN_OR_RETURN(auto t, unit.agents().find_api_token(digest));
    // The lookup found the row by its digest; comparing again in constant time keeps the
    // decision itself from depending on how much of a guessed digest matched.
    if (!t || !digests_equal(t->digest, digest) || t->revoked_at) return tl::unexpected(no_valid_token());
    MC_ASSIGN_OR_RETURN(auto a, unit.agents().find_agent_by_email(t->agent_email));
    if (!a || !a->active) return tl::unexpected(no_valid_token());
    found = std::move(*t);
    agent = std::move(*a);
  }  // the read unit ends here, before a write unit is asked for
  if (should_record_use(found.last_used_at, now_iso)) {
    auto recorded = [&]() -> Status {
      MC_ASSIGN_OR_RETURN(auto unit, store.open_unit(store::Access::kWrite));
      MC_RETURN_IF_ERROR(unit.agents().touch_api_token(found.id, now_iso));
      return unit.commit();
    }();
    if (!recorded)
      spdlog::warn("API token {} of {}: last use not recorded: {}", found.id, agent.email,
                   recorded.error().message);
  }
  return agent;
}

}  // namespace mailcase::access
