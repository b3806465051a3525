// What an IMAP server's replies must not hold before libetpan parses them. Pure.
//
// libetpan's IMAP response parser crashes on some malformed replies, which only the
// server configured for a mailbox can send (a hostile, broken or impersonated one):
//  - a PERMANENTFLAGS response code whose flag list holds something that is no flag
//    (`[PERMANENTFLAGS (%%)]`): the list is given up and a missing list freed later;
//  - a response code in the greeting other than CAPABILITY or ALERT, or a literal in the
//    greeting: libetpan parses the greeting without the parser context it dereferences
//    for flags and literals.
//  - a CAPABILITY list, as a response or a response code, that is empty or holds
//    something that is no atom: libetpan loses the list it had and copies the loss;
//  - a FETCH response naming a body section other than the whole mail's (`BODY[]`, all
//    mailcase asks for): libetpan leaks what it parsed of a malformed one.
// The screen sits between the socket and libetpan (channels/net.h), holds back each
// reply line until it has seen enough of it to judge, and refuses the connection at the
// first such line, before libetpan reads a byte of it. Literals (a mail's bytes) pass
// through by their announced size, unread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailcase::channels {

class ImapReplyScreen {
 public:
  // greeting_first: the next line is the server's greeting (a new connection); false
  // after STARTTLS, when the screen of the TLS layer takes over mid-session.
  explicit ImapReplyScreen(bool greeting_first) : greeting_(greeting_first) {}

  // Takes bytes read from the server, in order, in pieces of any size.
  void take(std::string_view bytes);
  // The bytes judged so far and not yet consumed: what libetpan may be given now.
  std::string_view ready() const { return std::string_view(buffer_).substr(0, ready_); }
  void consume(size_t n);
  // Why the server's reply was refused; then nothing more becomes ready.
  const std::optional<std::string>& refused() const { return refused_; }

  // The most of one line (literals aside) held back to be judged; past it, a line whose
  // beginning passed flows on unheld, and one that must be seen whole is refused.
  static constexpr size_t kMaxHeldLine = 64 * 1024;

 private:
  void scan();
  // Judges segment_ (the part of a line up to its end or to a literal), as judge() for a
  // line's first segment, and for a FETCH response's every segment its body sections.
  bool judge_segment(bool line_ends, bool literal_follows);
  // Judges the line held so far (`whole`: its end was seen, else it is kMaxHeldLine long or
  // a literal follows); sets refused_ and returns false when it must not pass.
  bool judge(std::string_view line, bool whole, bool literal_follows);

  std::string buffer_;         // bytes taken and not consumed
  size_t ready_ = 0;           // buffer_'s first ready_ bytes are judged
  size_t scanned_ = 0;         // buffer_'s bytes looked at (ready_ <= scanned_)
  uint64_t literal_left_ = 0;  // bytes of an announced literal still to pass
  std::string segment_;        // the current segment's text so far (bounded)
  std::string tail_;           // the current segment's last bytes, for a literal's announcement
  bool passed_early_ = false;  // the current segment was judged on its beginning and passes
  bool first_segment_ = true;  // the current segment begins a line
  bool fetch_line_ = false;    // the current line is an untagged FETCH response
  bool greeting_ = true;       // the current line is the greeting
  std::optional<std::string> refused_;
};

}  // namespace mailcase::channels
