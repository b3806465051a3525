#include "console/client_address.h"

#include <arpa/inet.h>

#include <algorithm>

#include "util/text.h"

namespace mailcase::console {

std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const std::vector<util::IpRange>& trusted_proxies) {
  auto peer_ip = util::parse_ip(peer);
  if (!peer_ip || !util::contains_any(trusted_proxies, *peer_ip)) return std::string(peer);
  // Right to left: each hop appended the address it received from; the first one that
  // is not a trusted proxy is the client as far as we can tell.
  // Bounded from the right: the nearest hops are the ones to believe, and a client could
  // pad the header so that a cut from the left dropped the hop our proxy appended.
  std::string_view rest =
      forwarded_for.size() > 4096 ? forwarded_for.substr(forwarded_for.size() - 4096) : forwarded_for;
  std::string last_good(peer);
  while (!rest.empty()) {
    const auto comma = rest.rfind(',');
    std::string_view item = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    item = text::trim(item);
    auto ip = util::parse_ip(item);
    if (!ip) return last_good;  // garbage from here on: the last believable hop
    if (!util::contains_any(trusted_proxies, *ip)) return std::string(item);
    last_good = std::string(item);
  }
  return last_good;
}

std::string throttle_key(std::string_view address) {
  auto ip = util::parse_ip(address);
  if (!ip) return std::string(address);
  const bool v4 = std::all_of(ip->begin(), ip->begin() + 10, [](uint8_t b) { return b == 0; }) &&
                  (*ip)[10] == 0xff && (*ip)[11] == 0xff;
  if (v4) {
    char out[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, ip->data() + 12, out, sizeof out);
    return out;
  }
  std::fill(ip->begin() + 8, ip->end(), uint8_t{0});
  char out[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, ip->data(), out, sizeof out);
  return std::string(out) + "/64";
}

}  // namespace mailcase::console
