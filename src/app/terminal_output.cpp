#include "app/terminal_output.h"

#include <iostream>

#include "util/text.h"

namespace mailcase::app {

TerminalSafeBuf::int_type TerminalSafeBuf::overflow(int_type ch) {
  if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
  pending_ += traits_type::to_char_type(ch);
  if (ch == '\n') flush_pending(false);
  return ch;
}

std::streamsize TerminalSafeBuf::xsputn(const char* s, std::streamsize n) {
  pending_.append(s, static_cast<size_t>(n));
  // Whole lines only, so that a multi-byte character is never cut between writes.
  if (pending_.find('\n') != std::string::npos) flush_pending(false);
  return n;
}

int TerminalSafeBuf::sync() {
  flush_pending();
  return out_->pubsync();
}

void TerminalSafeBuf::flush_pending(bool all) {
  size_t end = pending_.size();
  if (!all) {
    const size_t nl = pending_.rfind('\n');
    if (nl == std::string::npos) return;
    end = nl + 1;
  }
  if (end == 0) return;
  const std::string safe = text::terminal_safe(std::string_view(pending_).substr(0, end));
  out_->sputn(safe.data(), static_cast<std::streamsize>(safe.size()));
  pending_.erase(0, end);
}

TerminalSafeOutput::TerminalSafeOutput()
    : cout_old_(std::cout.rdbuf()), cerr_old_(std::cerr.rdbuf()), cout_buf_(cout_old_), cerr_buf_(cerr_old_) {
  std::cout.rdbuf(&cout_buf_);
  std::cerr.rdbuf(&cerr_buf_);
  std::cerr.setf(std::ios::unitbuf);
}

TerminalSafeOutput::~TerminalSafeOutput() {
  std::cout.flush();
  std::cerr.flush();
  std::cout.rdbuf(cout_old_);
  std::cerr.rdbuf(cerr_old_);
}

}  // namespace mailcase::app
