// Who may read /metrics: the rule, apart from the request and the store. Pure.
#pragma once

#include <string_view>

namespace mailcase::api {

// Whether the peer address (as the HTTP server reports it, numeric) is this machine's
// loopback: 127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into IPv6 (::ffff:127.x.y.z).
// Anything that does not parse as an address is not.
bool is_loopback(std::string_view peer);

// What a request for /metrics needs: a scraper on this machine reads it without a
// token (the counts and mailbox names never leave the host); from anywhere else, a
// valid API token of an active agent.
enum class MetricsAccess { kOpen, kNeedsToken };
MetricsAccess metrics_access(std::string_view peer);

}  // namespace mailcase::api
