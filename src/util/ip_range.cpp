#include "util/ip_range.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace mailcase::util {

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  const std::string s(text);
  IpAddress out{};
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

Result<IpRange> parse_ip_range(std::string_view text) {
  auto bad = [&] {
    return fail(ErrorCode::kInvalidInput,
                "\"" + std::string(text.substr(0, 64)) + "\" is not an IP address or a CIDR range");
  };
  const auto slash = text.find('/');
  auto addr = parse_ip(text.substr(0, slash));
  if (!addr) return bad();
  const bool v4 = (*addr)[10] == 0xff && (*addr)[11] == 0xff &&
                  std::all_of(addr->begin(), addr->begin() + 10, [](uint8_t b) { return b == 0; }) &&
                  text.substr(0, slash).find(':') == std::string_view::npos;
  IpRange r;
  r.base = *addr;
  r.prefix_bits = 128;
  if (slash != std::string_view::npos) {
    const auto bits_text = text.substr(slash + 1);
    int bits = -1;
    auto [p, ec] = std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), bits);
    if (ec != std::errc() || p != bits_text.data() + bits_text.size() || bits < 0 || bits > (v4 ? 32 : 128))
      return bad();
    r.prefix_bits = v4 ? 96 + bits : bits;
  }
  return r;
}

bool contains(const IpRange& range, const IpAddress& address) {
  int bits = range.prefix_bits;
  for (size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((range.base[i] & mask) != (address[i] & mask)) return false;
  }
  return true;
}

bool contains_any(const std::vector<IpRange>& ranges, const IpAddress& address) {
  for (const auto& r : ranges)
    if (contains(r, address)) return true;
  return false;
}

}  // namespace mailcase::util
