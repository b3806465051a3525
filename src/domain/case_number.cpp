#include "domain/case_number.h"

#include <charconv>

#include "util/text.h"

namespace mailcase::domain::case_number {

std::string format(std::string_view prefix, int digits, Id id) {
  std::string n = std::to_string(id);
  if (static_cast<int>(n.size()) < digits) n.insert(0, static_cast<size_t>(digits) - n.size(), '0');
  return std::string(prefix) + n;
}

std::optional<Id> parse(std::string_view prefix, std::string_view text) {
  if (text.size() <= prefix.size() || !text::iequals(text.substr(0, prefix.size()), prefix))
    return std::nullopt;
  std::string_view digits = text.substr(prefix.size());
  // 18 digits always fit an int64_t, so from_chars cannot overflow on what passes here.
  if (digits.size() > 18) return std::nullopt;
  for (char ch : digits)
    if (ch < '0' || ch > '9') return std::nullopt;
  Id id = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc() || end != digits.data() + digits.size() || id <= 0) return std::nullopt;
  return id;
}

}  // namespace mailcase::domain::case_number
