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

}  // namespace mailcase::console
