// Standard output and error as the command line writes them: text from mails (a
// subject, a sender's name, a comment) may carry escape sequences that would rewrite
// the terminal, so every control character but line feed and tab is replaced on the
// way out. JSON output is unaffected in meaning: its encoder escapes C0 controls, and
// C1 controls (U+0080–U+009F) have no place in mail text.
#pragma once

#include <ostream>
#include <streambuf>
#include <string>

namespace mailcase::app {

class TerminalSafeBuf final : public std::streambuf {
 public:
  explicit TerminalSafeBuf(std::streambuf* out) : out_(out) {}
  ~TerminalSafeBuf() override { flush_pending(); }

 protected:
  int_type overflow(int_type ch) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;

 private:
  // Writes the whole lines held (or everything when all), filtered.
  void flush_pending(bool all = true);
  std::streambuf* out_;
  std::string pending_;
};

// Installs the filter on std::cout and std::cerr for the life of the object.
class TerminalSafeOutput {
 public:
  TerminalSafeOutput();
  ~TerminalSafeOutput();
  TerminalSafeOutput(const TerminalSafeOutput&) = delete;
  TerminalSafeOutput& operator=(const TerminalSafeOutput&) = delete;

 private:
  std::streambuf* cout_old_;
  std::streambuf* cerr_old_;
  TerminalSafeBuf cout_buf_;
  TerminalSafeBuf cerr_buf_;
};

}  // namespace mailcase::app
