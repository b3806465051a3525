// IP addresses and CIDR ranges as an administrator writes them in the configuration
// ("10.0.0.0/8", "::1", "192.168.1.7"). Pure: parsing and matching, no lookups.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace mailcase::util {

// An address in 16 bytes (IPv4 as IPv4-mapped IPv6, ::ffff:a.b.c.d, so that the two
// spellings of one client compare equal).
using IpAddress = std::array<uint8_t, 16>;

// A textual IPv4 or IPv6 address (no port, no brackets, no zone); nullopt otherwise.
std::optional<IpAddress> parse_ip(std::string_view text);

struct IpRange {
  IpAddress base{};
  int prefix_bits = 128;  // of the 16-byte form: an IPv4 /8 is 96 + 8
};

// "ADDRESS" (one address) or "ADDRESS/BITS"; kInvalidInput naming the text otherwise
// (bits beyond the address family's width, bits set past the prefix are allowed and ignored).
Result<IpRange> parse_ip_range(std::string_view text);

bool contains(const IpRange& range, const IpAddress& address);
bool contains_any(const std::vector<IpRange>& ranges, const IpAddress& address);

}  // namespace mailcase::util
