// The console's login sessions: a random cookie value per login, kept in the store only
// as its SHA-256 digest (a stolen database holds no usable session), with a CSRF token
// that every form of the session carries back. A session ends when unused for
// http.session_idle_minutes, http.session_max_hours after its login, at logout, or when
// its agent is disabled. Sessions live in the store, so every node of a cluster knows them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "domain/clock.h"
#include "store/agents.h"
#include "store/repositories.h"
#include "util/result.h"

namespace mailcase::store {
class Store;
}

namespace mailcase::console {

inline constexpr std::string_view kSessionCookie = "mc_session";
// The names over https (Context::session_cookie, login_cookie): a cookie whose name starts
// __Host- is taken by a browser only when set Secure, by this host (no Domain) for Path=/,
// so neither a page of a sibling subdomain nor a plain-http answer (a network attacker's)
// can plant or overwrite it (session fixation); __Secure- wants only Secure, for the login
// form's cookie, which is limited to /login.
inline constexpr std::string_view kSecureSessionCookie = "__Host-mc_session";
// A session's last use is written at most this often: most pages then write nothing.
inline constexpr int64_t kSessionTouchSeconds = 60;

// Who is looking at a console page.
struct Viewer {
  store::Agent agent;
  std::string csrf;            // the session's CSRF token (forms carry it back)
  std::string session_digest;  // the session's key in the store
};

// Pure rules of a stored session at `now` (unix seconds).
struct SessionLimits {
  int64_t idle_seconds = 8 * 3600;
  int64_t max_seconds = 7 * 24 * 3600;
};
bool session_live(const store::ConsoleSession& s, int64_t now, const SessionLimits& limits);
// Whether a page at now should record the session's use (and move its idle expiry).
bool session_needs_touch(const store::ConsoleSession& s, int64_t now);

// A random value for a cookie or a CSRF token: 32 bytes in base64url, with a prefix.
std::string random_token(std::string_view prefix);

class Sessions {
 public:
  Sessions(store::Store& store, const config::Http& http, const domain::Clock& clock);

  // A new session for an active agent; returns the cookie's value (shown to the browser
  // only, never stored).
  Result<std::string> start(const store::Agent& agent);
  // The viewer of a cookie's session: nullopt for an unknown, expired or ended session,
  // or one whose agent is no longer active. Errors are the store's. record_use: whether
  // the request is the agent's use of the session (it moves the idle expiry); a page's
  // own refresh is not, or a page left open would keep its session alive unattended.
  Result<std::optional<Viewer>> resume(std::string_view cookie_value, bool record_use = true);
  // Ends the cookie's session (logout); an unknown one is no error.
  Status end(std::string_view cookie_value);
  // Whether the session kept under `digest` (Viewer::session_digest) is live and its agent
  // active, as resume() would find it, without recording a use.
  Result<bool> live(std::string_view digest);

  const SessionLimits& limits() const { return limits_; }

 private:
  store::Store& store_;
  const domain::Clock& clock_;
  SessionLimits limits_;
};

}  // namespace mailcase::console
