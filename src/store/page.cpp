#include "store/page.h"

#include <sodium.h>

#include <charconv>

namespace mailcase::store {
namespace {

constexpr std::string_view kVersion = "c1";

Error bad_cursor() {
  return Error{ErrorCode::kInvalidInput,
               "cursor: not a cursor of this list (take next_cursor from the previous page, with the same "
               "filters)"};
}

}  // namespace

Status check_page_limit(int limit) {
  if (limit < 1 || limit > kMaxPageLimit)
    return fail(ErrorCode::kInvalidInput, "limit: must be 1 to " + std::to_string(kMaxPageLimit));
  return {};
}

std::string encode_cursor(std::string_view list, std::string_view key) {
  std::string plain;
  plain.reserve(kVersion.size() + list.size() + key.size() + 2);
  plain.append(kVersion).append("\n").append(list).append("\n").append(key);
  std::string out(sodium_base64_encoded_len(plain.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(plain.data()),
                    plain.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0') == std::string::npos ? out.size() : out.find('\0'));
  return out;
}

Result<std::string> decode_cursor(std::string_view list, std::string_view cursor) {
  if (cursor.empty() || cursor.size() > kMaxCursorBytes) return tl::unexpected(bad_cursor());
  std::string plain(cursor.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(plain.data()), plain.size(), cursor.data(),
                        cursor.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return tl::unexpected(bad_cursor());
  plain.resize(len);
  std::string prefix = std::string(kVersion) + "\n" + std::string(list) + "\n";
  if (plain.size() <= prefix.size() || plain.compare(0, prefix.size(), prefix) != 0)
    return tl::unexpected(bad_cursor());
  return plain.substr(prefix.size());
}

Result<int64_t> decode_id_cursor(std::string_view list, std::string_view cursor) {
  MC_ASSIGN_OR_RETURN(auto key, decode_cursor(list, cursor));
  int64_t id = 0;
  auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
  if (ec != std::errc() || end != key.data() + key.size() || id <= 0) return tl::unexpected(bad_cursor());
  return id;
}

}  // namespace mailcase::store
