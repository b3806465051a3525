#include "mime/message.h"

#include "util/text.h"

namespace mailcase::mime {

const std::string* ParsedMessage::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (text::iequals(h.name, name)) return &h.value;
  }
  return nullptr;
}

std::vector<std::string_view> ParsedMessage::headers_named(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& h : headers) {
    if (text::iequals(h.name, name)) out.push_back(h.value);
  }
  return out;
}

}  // namespace mailcase::mime
