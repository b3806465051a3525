#include "channels/imap_screen.h"

#include <algorithm>

#include "util/text.h"

namespace mailcase::channels {
namespace {

// The longest literal announcement looked for at a line's end: "~{" 19 digits "}\r\n".
constexpr size_t kTailBytes = 32;

// RFC 3501 ATOM-CHAR: a 7-bit character that is no control, space or atom-special.
bool atom_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  return std::string_view("(){%*\"\\]").find(c) == std::string_view::npos;
}

// The size of the literal a line's end announces ("{N}" or the BINARY "~{N}" before its
// CRLF or LF), or nullopt.
std::optional<uint64_t> literal_announced(std::string_view tail) {
  if (tail.ends_with("\r\n"))
    tail.remove_suffix(2);
  else if (tail.ends_with('\n'))
    tail.remove_suffix(1);
  else
    return std::nullopt;
  if (!tail.ends_with('}')) return std::nullopt;
  tail.remove_suffix(1);
  size_t digits = 0;
  while (digits < tail.size() && tail[tail.size() - 1 - digits] >= '0' &&
         tail[tail.size() - 1 - digits] <= '9')
    ++digits;
  if (digits == 0 || digits > 19 || digits == tail.size() || tail[tail.size() - 1 - digits] != '{')
    return std::nullopt;
  uint64_t n = 0;
  for (char c : tail.substr(tail.size() - digits)) n = n * 10 + static_cast<uint64_t>(c - '0');
  return n;
}

// A code's name as the reply shows it, made safe to quote in an error: printable ASCII.
std::string quoted(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) out += (c > 0x20 && c < 0x7f) ? c : '?';
  return out;
}

// Whether `list` (what follows "PERMANENTFLAGS") is SP "(" [flag-perm *(SP flag-perm)] ")" "]"
// as libetpan can parse it; `closed` is set when the list's ")" was found.
bool flag_perm_list(std::string_view list, bool& closed) {
  closed = false;
  size_t i = 0;
  if (i >= list.size() || list[i] != ' ') return false;
  while (i < list.size() && list[i] == ' ') ++i;
  if (i >= list.size() || list[i] != '(') return false;
  ++i;
  while (true) {
    while (i < list.size() && list[i] == ' ') ++i;
    if (i >= list.size()) return false;  // not closed
    if (list[i] == ')') {
      closed = true;
      ++i;
      return i < list.size() && list[i] == ']';
    }
    // flag-perm: "\*", or a keyword (atom), or "\" atom.
    if (list.substr(i).starts_with("\\*")) {
      i += 2;
    } else {
      if (list[i] == '\\') ++i;
      const size_t start = i;
      while (i < list.size() && atom_char(list[i])) ++i;
      if (i == start) return false;
    }
    if (i < list.size() && list[i] != ' ' && list[i] != ')') return false;
  }
}

// Whether `list` (what follows "CAPABILITY") is 1*(SP capability) up to `end` (the code's
// "]", or the line's end when end is '\0'), capabilities being atoms ("AUTH=PLAIN" is one):
// libetpan loses the list it had on an empty or malformed one, then copies the loss.
bool capability_list(std::string_view list, char end) {
  if (end == '\0') {
    while (list.ends_with('\n') || list.ends_with('\r')) list.remove_suffix(1);
  }
  size_t i = 0, atoms = 0;
  while (true) {
    const size_t spaces_from = i;
    while (i < list.size() && list[i] == ' ') ++i;
    if (i >= list.size()) return end == '\0' && atoms > 0;
    if (list[i] == end) return atoms > 0;
    if (i == spaces_from) return false;  // no space before it
    const size_t start = i;
    while (i < list.size() && atom_char(list[i])) ++i;
    if (i == start) return false;
    ++atoms;
  }
}

// Whether a line begins as an untagged FETCH response: "*" SP nz-number SP "FETCH".
bool is_fetch_response(std::string_view line) {
  if (!line.starts_with("* ")) return false;
  size_t i = 2;
  const size_t digits = i;
  while (i < line.size() && line[i] >= '0' && line[i] <= '9') ++i;
  if (i == digits || i >= line.size() || line[i] != ' ') return false;
  const std::string_view word = line.substr(i + 1, 5);
  return word.size() == 5 && text::iequals(word, "FETCH");
}

// Whether every body section a FETCH response's text names is the whole mail ("BODY[]",
// all mailcase asks for): libetpan leaks what it parsed of a malformed section.
bool body_sections_asked(std::string_view segment) {
  for (size_t i = 0; i + 5 <= segment.size(); ++i) {
    if (segment[i + 4] != '[' || !text::iequals(segment.substr(i, 4), "BODY")) continue;
    if (i + 5 >= segment.size() || segment[i + 5] != ']') return false;
  }
  return true;
}

}  // namespace

void ImapReplyScreen::take(std::string_view bytes) {
  if (refused_) return;
  buffer_.append(bytes);
  scan();
}

void ImapReplyScreen::consume(size_t n) {
  n = std::min(n, ready_);
  buffer_.erase(0, n);
  ready_ -= n;
  scanned_ -= n;
}

void ImapReplyScreen::scan() {
  while (!refused_ && scanned_ < buffer_.size()) {
    if (literal_left_ > 0) {
      const auto n = static_cast<size_t>(std::min<uint64_t>(literal_left_, buffer_.size() - scanned_));
      scanned_ += n;
      literal_left_ -= n;
      ready_ = scanned_;
      continue;
    }
    const size_t nl = buffer_.find('\n', scanned_);
    const size_t end = nl == std::string::npos ? buffer_.size() : nl + 1;
    const std::string_view piece(buffer_.data() + scanned_, end - scanned_);
    if (segment_.size() < kMaxHeldLine) segment_.append(piece.substr(0, kMaxHeldLine - segment_.size()));
    tail_.append(piece.substr(piece.size() - std::min(piece.size(), kTailBytes)));
    if (tail_.size() > kTailBytes) tail_.erase(0, tail_.size() - kTailBytes);
    scanned_ = end;
    if (nl == std::string::npos) {
      if (!passed_early_ && segment_.size() >= kMaxHeldLine) {
        if (!judge_segment(false, false)) return;
        passed_early_ = true;
      }
      if (passed_early_) ready_ = scanned_;
      return;  // the rest of the segment is still to come
    }
    const auto literal = literal_announced(tail_);
    if (!passed_early_ && !judge_segment(!literal, literal.has_value())) return;
    ready_ = scanned_;
    segment_.clear();
    tail_.clear();
    passed_early_ = false;
    if (literal) {
      literal_left_ = *literal;  // the line goes on after the literal, in a segment of its own
      first_segment_ = false;
    } else {
      first_segment_ = true;
      fetch_line_ = false;
      greeting_ = false;
    }
  }
}

bool ImapReplyScreen::judge_segment(bool line_ends, bool literal_follows) {
  if (first_segment_) {
    if (!judge(segment_, line_ends, literal_follows)) return false;
    fetch_line_ = is_fetch_response(segment_);
  }
  if (fetch_line_ && !body_sections_asked(segment_)) {
    refused_ = "the server answered a FETCH with a body section mailcase did not ask for";
    return false;
  }
  return true;
}

bool ImapReplyScreen::judge(std::string_view line, bool whole, bool literal_follows) {
  auto refuse = [&](std::string why) {
    refused_ = std::move(why);
    return false;
  };
  if (greeting_ && literal_follows) return refuse("the server's greeting holds a literal");
  // tag SP cond SP "[" code …: whatever has another shape is no response code.
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return true;
  const std::string_view rest = line.substr(sp1 + 1);
  if (line.substr(0, sp1) == "*" && rest.size() >= 10 && text::iequals(rest.substr(0, 10), "CAPABILITY") &&
      (rest.size() == 10 || !atom_char(rest[10]))) {
    if (!whole || literal_follows || !capability_list(rest.substr(10), '\0'))
      return refuse("the server's CAPABILITY list is empty or malformed");
    return true;
  }
  const size_t sp2 = rest.find(' ');
  if (sp2 == std::string_view::npos || sp2 + 1 >= rest.size() || rest[sp2 + 1] != '[') return true;
  const std::string_view cond = rest.substr(0, sp2);
  bool is_cond = false;
  for (std::string_view c : {"OK", "NO", "BAD", "PREAUTH", "BYE"})
    is_cond = is_cond || text::iequals(cond, c);
  if (!is_cond) return true;
  const std::string_view code = rest.substr(sp2 + 2);
  size_t name_end = 0;
  while (name_end < code.size() && atom_char(code[name_end])) ++name_end;
  const std::string_view name = code.substr(0, name_end);
  if (greeting_ && !text::iequals(name, "CAPABILITY") && !text::iequals(name, "ALERT"))
    return refuse("the server's greeting carries the response code [" + quoted(name) +
                  "], which is no greeting's");
  if (text::iequals(name, "CAPABILITY") && !capability_list(code.substr(name_end), ']'))
    return refuse("the server's CAPABILITY list is empty or malformed");
  if (text::iequals(name, "PERMANENTFLAGS")) {
    bool closed = false;
    if (!flag_perm_list(code.substr(name_end), closed)) {
      if (!closed && (!whole || literal_follows))
        return refuse("the server's PERMANENTFLAGS list is not closed within its line");
      return refuse("the server's PERMANENTFLAGS list holds something that is no flag");
    }
  }
  return true;
}

}  // namespace mailcase::channels
