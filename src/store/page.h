// Keyset pages of the store's lists (the REST API's `?limit=&cursor=`): a page asks for
// at most `limit` rows after a cursor, and answers with the rows and the cursor of the
// next page. No OFFSET: a page costs the same on the thousandth page as on the first,
// and rows added meanwhile never make a row appear twice.
//
// A cursor is opaque to the client: base64url of a small versioned text naming the list
// it was made for (with its filters, e.g. "messages:held") and the last row's key. A
// cursor of another list, another filter, or tampered with is kInvalidInput: it is never
// read as some other position.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace mailcase::store {

inline constexpr int kMaxPageLimit = 200;
inline constexpr size_t kMaxCursorBytes = 1024;

struct PageRequest {
  std::optional<std::string> cursor;  // from an earlier page's next_cursor; none: the first page
  int limit = 50;                     // 1..kMaxPageLimit; others are kInvalidInput
  bool count = false;                 // fill Page::total (one count over the same filter)
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next_cursor;  // none: this was the last page
  std::optional<int64_t> total;            // set when the request asked for count
};

// kInvalidInput naming `limit` when it is outside 1..kMaxPageLimit.
Status check_page_limit(int limit);

// The cursor after the row whose key is `key`, on the list named `list`.
std::string encode_cursor(std::string_view list, std::string_view key);
// The key a cursor carries; kInvalidInput when it is not one of encode_cursor's for `list`.
Result<std::string> decode_cursor(std::string_view list, std::string_view cursor);
// The same for lists keyed by row id: the key must be a positive integer.
Result<int64_t> decode_id_cursor(std::string_view list, std::string_view cursor);

}  // namespace mailcase::store
