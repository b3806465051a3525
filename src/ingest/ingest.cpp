#include "ingest/ingest.h"

#include "util/text.h"

namespace mailcase::ingest {

std::optional<std::string> sender_qualified_key(std::string_view key, std::string_view sha256,
                                                std::string_view holder_from, std::string_view from) {
  if (key == dedupe_key("", sha256) || holder_from.empty()) return std::nullopt;
  const std::string sender = text::normalize_email(from);
  if (text::normalize_email(holder_from) == sender) return std::nullopt;
  return std::string(key) + " from " + sender;
}

}  // namespace mailcase::ingest
