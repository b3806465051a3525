#include "console/sessions.h"

#include <sodium.h>

#include "access/credentials.h"
#include "store/store.h"

namespace mailcase::console {

bool session_live(const store::ConsoleSession& s, int64_t now, const SessionLimits& limits) {
  if (now >= s.expires_at) return false;
  if (now - s.last_seen_at >= limits.idle_seconds) return false;
  return now - s.created_at < limits.max_seconds;
}

bool session_needs_touch(const store::ConsoleSession& s, int64_t now) {
  return now - s.last_seen_at >= kSessionTouchSeconds;
}

std::string random_token(std::string_view prefix) {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char out[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, bytes, sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return std::string(prefix) + out;
}

Sessions::Sessions(store::Store& store, const config::Http& http, const domain::Clock& clock)
    : store_(store), clock_(clock) {
  limits_.idle_seconds = int64_t{http.session_idle_minutes} * 60;
  limits_.max_seconds = int64_t{http.session_max_hours} * 3600;
}

Result<std::string> Sessions::start(const store::Agent& agent) {
  const int64_t now = clock_.now();
  store::ConsoleSession s;
  const std::string cookie = random_token("mcs_");
  s.digest = access::token_digest(cookie);
  s.agent_id = agent.id;
  s.csrf = random_token("");
  s.created_at = now;
  s.last_seen_at = now;
  s.expires_at = std::min(now + limits_.idle_seconds, now + limits_.max_seconds);
  MC_ASSIGN_OR_RETURN(auto work, store_.open_unit(store::Access::kWrite));
  (void)work.sessions().purge_sessions(now);  // expired ones of anyone: cheap, by index
  MC_RETURN_IF_ERROR(work.sessions().add_session(s));
  MC_RETURN_IF_ERROR(work.commit());
  return cookie;
}

Result<std::optional<Viewer>> Sessions::resume(std::string_view cookie_value, bool record_use) {
  if (cookie_value.empty() || cookie_value.size() > 128) return std::optional<Viewer>();
  const int64_t now = clock_.now();
  const std::string digest = access::token_digest(cookie_value);
  std::optional<store::ConsoleSession> s;
  std::optional<store::Agent> agent;
  {
    MC_ASSIGN_OR_RETURN(auto work, store_.open_unit(store::Access::kRead));
    MC_ASSIGN_OR_RETURN(s, work.sessions().find_session(digest));
    if (!s || !access::digests_equal(s->digest, digest) || !session_live(*s, now, limits_))
      return std::optional<Viewer>();
    MC_ASSIGN_OR_RETURN(agent, work.agents().find_agent_by_email(s->agent_email));
  }
  if (!agent || !agent->active) return std::optional<Viewer>();
  if (record_use && session_needs_touch(*s, now)) {
    // A busy write lock must not refuse the page: the next page tries again.
    if (auto work = store_.open_unit(store::Access::kWrite)) {
      const int64_t expires = std::min(now + limits_.idle_seconds, s->created_at + limits_.max_seconds);
      if (work->sessions().touch_session(digest, now, expires)) (void)work->commit();
    }
  }
  return std::optional<Viewer>(Viewer{*agent, s->csrf, digest});
}

Result<bool> Sessions::live(std::string_view digest) {
  if (digest.empty() || digest.size() > 128) return false;
  MC_ASSIGN_OR_RETURN(auto work, store_.open_unit(store::Access::kRead));
  MC_ASSIGN_OR_RETURN(auto s, work.sessions().find_session(digest));
  if (!s || !access::digests_equal(s->digest, digest) || !session_live(*s, clock_.now(), limits_))
    return false;
  MC_ASSIGN_OR_RETURN(auto agent, work.agents().find_agent_by_email(s->agent_email));
  return agent && agent->active;
}

Status Sessions::end(std::string_view cookie_value) {
  if (cookie_value.empty() || cookie_value.size() > 128) return {};
  MC_ASSIGN_OR_RETURN(auto work, store_.open_unit(store::Access::kWrite));
  MC_RETURN_IF_ERROR(work.sessions().delete_session(access::token_digest(cookie_value)));
  return work.commit();
}

}  // namespace mailcase::console
