// Which client a console request is from, for throttling logins. The socket's peer,
// unless that peer is a proxy the administrator trusts (http.trusted_proxies): then the
// nearest address in X-Forwarded-For that is not itself a trusted proxy. A header from
// anyone else is ignored: a client could write any address there.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/ip_range.h"

namespace mailcase::console {

std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const std::vector<util::IpRange>& trusted_proxies);

// The key a client address is throttled under: an IPv4 address as it is, an IPv6 address
// as its /64 ("2001:db8:1:2::/64"). One IPv6 subscriber holds a whole /64, so counting
// each of its addresses apart would let one client try from billions of "addresses".
// Text that is no address is its own key.
std::string throttle_key(std::string_view address);

}  // namespace mailcase::console
