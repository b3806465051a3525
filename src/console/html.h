// Markup for the console's pages, escaped by default: a value goes into a page only
// through html(), which escapes every string argument, so forgetting to escape is not
// possible by accident. Html::trusted() is for literal markup we wrote ourselves.
#pragma once

#include <concepts>
#include <string>
#include <string_view>
#include <vector>

namespace mailcase::console {

class Html {
 public:
  Html() = default;
  // s is markup we wrote (never text from a mail, a user or the store).
  static Html trusted(std::string s) {
    Html h;
    h.s_ = std::move(s);
    return h;
  }
  const std::string& str() const { return s_; }
  bool empty() const { return s_.empty(); }
  Html& operator+=(const Html& o) {
    s_ += o.s_;
    return *this;
  }
  friend Html operator+(Html a, const Html& b) {
    a += b;
    return a;
  }

 private:
  std::string s_;
};

namespace detail {
inline std::string piece(const Html& h) {
  return h.str();
}
std::string piece(std::string_view text);  // escaped for text and quoted attribute values
inline std::string piece(const std::string& t) {
  return piece(std::string_view(t));
}
inline std::string piece(const char* t) {
  return piece(std::string_view(t));
}
template <std::integral I>
std::string piece(I v) {
  return std::to_string(v);
}
std::string fill(std::string_view pattern, const std::vector<std::string>& pieces);
}  // namespace detail

// The pattern with each "{}" replaced, in order, by an argument: a string escaped
// (& < > " '), an integer as digits, an Html as it is. Put string arguments only in text
// or in double-quoted attribute values, never in a URL's scheme, a script or a style:
// escaping does not make those safe. A pattern whose holes do not match the arguments'
// count is a programming error (std::logic_error).
template <class... Args>
Html html(std::string_view pattern, const Args&... args) {
  return Html::trusted(detail::fill(pattern, {detail::piece(args)...}));
}

Html join(const std::vector<Html>& parts, std::string_view separator = "");

}  // namespace mailcase::console
