#include "console/html.h"

#include <stdexcept>

#include "util/text.h"

namespace mailcase::console {
namespace detail {

std::string piece(std::string_view text) {
  return text::html_escape(text);
}

std::string fill(std::string_view pattern, const std::vector<std::string>& pieces) {
  std::string out;
  size_t next = 0;
  size_t at = 0;
  while (true) {
    const auto hole = pattern.find("{}", at);
    if (hole == std::string_view::npos) break;
    if (next == pieces.size()) throw std::logic_error("html(): more holes than arguments");
    out.append(pattern.substr(at, hole - at));
    out += pieces[next++];
    at = hole + 2;
  }
  if (next != pieces.size()) throw std::logic_error("html(): more arguments than holes");
  out.append(pattern.substr(at));
  return out;
}

}  // namespace detail

Html join(const std::vector<Html>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += separator;
    out += parts[i].str();
  }
  return Html::trusted(std::move(out));
}

}  // namespace mailcase::console
