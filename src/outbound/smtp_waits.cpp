#include "outbound/smtp_waits.h"

#include <algorithm>

namespace mailcase::outbound {
namespace {

std::string seconds_text(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

}  // namespace

std::optional<int> reply_end_code(std::string_view line) {
  const bool coded = line.size() >= 3 &&
                     std::all_of(line.begin(), line.begin() + 3, [](char c) { return c >= '0' && c <= '9'; });
  if (!coded || (line.size() > 3 && line[3] == '-')) return std::nullopt;
  return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

std::optional<SmtpPhase> wait_after_reply(SmtpPhase p) {
  if (p == SmtpPhase::kDataEnd) return SmtpPhase::kQuit;
  if (p < SmtpPhase::kData) return SmtpPhase::kReply;
  return std::nullopt;
}

std::string overdue(SmtpPhase p, std::chrono::milliseconds waited, const SmtpTimeouts& t) {
  // By phase, in SmtpPhase's order: its bound, and what passing it says.
  struct Wait {
    std::chrono::milliseconds SmtpTimeouts::*bound;
    const char* what;
  };
  static constexpr Wait kWaits[] = {
      {&SmtpTimeouts::connect, "no connection to the SMTP server within "},
      {&SmtpTimeouts::reply, "no reply from the SMTP server within "},
      {&SmtpTimeouts::data_block, "the SMTP server took none of the mail for "},
      {&SmtpTimeouts::data_end, "no reply from the SMTP server to the end of the mail within "},
      {&SmtpTimeouts::quit, "no reply from the SMTP server to QUIT within "},
  };
  const Wait& w = kWaits[static_cast<size_t>(p)];
  if (waited <= t.*w.bound) return "";
  return w.what + seconds_text(t.*w.bound);
}

}  // namespace mailcase::outbound
