// Who may read /metrics: the rule, apart from the request and the store. Pure.
#pragma once

#include <string_view>

namespace mailcase::api {

// Whether the peer address (as the HTTP server reports it, numeric) is this machine's
// loopback: 127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into IPv6 (::ffff:127.x.y.z).
// Anything that does not parse as an address is not.
bool is_loopback(std::string_view peer);

// What a request for /metrics needs. With http.metrics_token set (`token_set`), a token
// from everyone, this machine included: a reverse proxy on this machine that passes
// /metrics on would otherwise open it to anyone it serves. Without, a scraper on this
// machine reads it without a token (as before the setting existed: the counts and
// mailbox names never leave the host unless something on it passes them on); from
// anywhere else it needs one. The token: the metrics token, or a valid API token of an
// active agent.
enum class MetricsAccess { kOpen, kNeedsToken };
MetricsAccess metrics_access(std::string_view peer, bool token_set);

// Whether an Authorization header's value is "Bearer <metrics_token>" (the scheme in any
// letter case). The tokens' SHA-256 digests are compared in constant time (sodium_memcmp),
// so the time taken says nothing of the configured token, not even its length. False
// when metrics_token is empty.
bool is_metrics_token(std::string_view authorization_header, std::string_view metrics_token);

}  // namespace mailcase::api
