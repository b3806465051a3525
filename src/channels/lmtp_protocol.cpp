#include "channels/lmtp_protocol.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "util/text.h"

namespace mailcase::channels::lmtp {
namespace {

std::string arg_address(std::string_view rest) {
  // "TO:<a@b> PARAMS" or "FROM:<a@b> SIZE=10"
  auto lt = rest.find('<');
  auto gt = rest.find('>', lt == std::string_view::npos ? 0 : lt);
  if (lt != std::string_view::npos && gt != std::string_view::npos)
    return std::string(rest.substr(lt + 1, gt - lt - 1));
  auto colon = rest.find(':');
  std::string_view v = colon == std::string_view::npos ? rest : rest.substr(colon + 1);
  v = text::trim(v);
  return std::string(v.substr(0, v.find(' ')));
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && text::iequals(s.substr(0, prefix.size()), prefix);
}

// A mail's data grows by doubling, from this much: few copies and few questions to the
// owner's Hold. Near the end of its budget it asks for less, down to this much more
// than the line in hand needs.
constexpr uint64_t kDataStep = 16 * 1024;

}  // namespace

std::optional<LineEnd> give_up(const LineWait& w, Clock::time_point now) {
  if (w.stop_seen && (!w.in_data || now - *w.stop_seen > kStopGrace)) return LineEnd::kStopped;
  if (now > w.session_deadline || now > w.data_deadline || now > w.idle_until) return LineEnd::kTimedOut;
  return std::nullopt;
}

Protocol::Protocol(Limits limits, Hold hold, Hold wait_hold)
    : limits_(std::move(limits)), hold_(std::move(hold)), wait_hold_(std::move(wait_hold)) {
  reply("220 " + limits_.hostname + " LMTP mailcase ready\r\n");
}

void Protocol::feed(std::string_view bytes) {
  if (closed()) return;
  in_.append(bytes);
  run();
}

std::string Protocol::take_output() {
  return std::exchange(out_, std::string());
}

void Protocol::run() {
  while (need_ == Need::kInput) {
    const size_t nl = in_.find('\n', std::max(pos_, scanned_));
    if (nl == std::string::npos) {
      scanned_ = in_.size();  // a line fed in many pieces is searched once
      // Even with a CR still to come, this line is too long already. Inside DATA it is
      // the mail's content: what came so far is kept and the line goes on.
      if (in_.size() - pos_ > limits_.max_line_bytes + 1) {
        if (phase_ == Phase::kData) {
          data_piece();
          continue;
        }
        line_too_long();
      }
      break;
    }
    std::string_view line(in_.data() + pos_, nl - pos_);
    const bool crlf = !line.empty() && line.back() == '\r';
    if (crlf) line.remove_suffix(1);
    if (line.size() > limits_.max_line_bytes && phase_ != Phase::kData) {
      line_too_long();
      break;
    }
    // The line stays valid until in_ is compacted below.
    if (phase_ == Phase::kData)
      data_line(line, crlf);
    else
      command(line);
    pos_ = nl + 1;
  }
  if (closed()) {
    in_ = std::string();
    pos_ = scanned_ = 0;
    drop_mail();  // a DATA ended by the client's end, a deadline or the server's stop
  } else if (pos_ > 0) {
    in_.erase(0, pos_);
    scanned_ = scanned_ > pos_ ? scanned_ - pos_ : 0;
    pos_ = 0;
  }
}

void Protocol::line_too_long() {
  reply("500 5.5.2 line too long\r\n");
  need_ = Need::kNothing;
}

void Protocol::data_piece() {
  // The last byte stays buffered: it may be the CR of the line's CR LF.
  const size_t end = in_.size() - 1;
  std::string_view piece(in_.data() + pos_, end - pos_);
  // A line that starts with "." is dot-stuffed there, and can be no final "." line.
  if (!data_midline_ && piece.front() == '.') piece.remove_prefix(1);
  data_midline_ = true;
  keep(piece, false);
  pos_ = end;
  scanned_ = end;
}

void Protocol::reset() {
  mail_from_.reset();
  rcpts_.clear();
}

void Protocol::command(std::string_view cmd) {
  if (starts_with_ci(cmd, "LHLO")) {
    greeted_ = true;
    reset();
    reply("250-" + limits_.hostname +
          "\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-SIZE " +
          std::to_string(limits_.max_size) + "\r\n250 OK\r\n");
  } else if (starts_with_ci(cmd, "MAIL FROM:")) {
    if (!greeted_) {
      reply("503 5.5.1 LHLO first\r\n");
      return;
    }
    if (mail_from_) {
      // RFC 5321 4.1.4: a transaction is ended by its DATA or RSET. Taking a second MAIL
      // would drop the recipients the client was told were taken.
      reply("503 5.5.1 nested MAIL command: RSET first\r\n");
      return;
    }
    const std::string lower = text::ascii_lower(cmd);
    if (auto p = lower.find(" size="); p != std::string::npos) {
      const uint64_t declared = std::strtoull(lower.c_str() + p + 6, nullptr, 10);
      if (declared > limits_.max_size) {
        reply("552 5.3.4 message larger than " + std::to_string(limits_.max_size) + " bytes\r\n");
        return;
      }
    }
    reset();
    mail_from_ = arg_address(cmd.substr(10));  // "" for the null sender <>
    reply("250 2.1.0 OK\r\n");
  } else if (starts_with_ci(cmd, "RCPT TO:")) {
    if (!mail_from_) {
      reply("503 5.5.1 MAIL first\r\n");
      return;
    }
    if (rcpts_.size() >= static_cast<size_t>(limits_.max_recipients)) {
      reply("452 4.5.3 too many recipients (at most " + std::to_string(limits_.max_recipients) +
            " per mail), send the rest again\r\n");
      return;
    }
    pending_rcpt_ = arg_address(cmd.substr(8));
    need_ = Need::kRecipientCheck;
  } else if (text::iequals(cmd, "DATA")) {
    if (!mail_from_ || rcpts_.empty()) {
      reply("503 5.5.1 no valid recipients\r\n");
      return;
    }
    reply("354 2.0.0 end data with <CR><LF>.<CR><LF>\r\n");
    phase_ = Phase::kData;
    data_crlf_ = true;
    data_midline_ = false;
    mail_ = Mail{*mail_from_, rcpts_, {}, 0, false};
  } else if (text::iequals(cmd, "RSET")) {
    reset();
    reply("250 2.0.0 OK\r\n");
  } else if (text::iequals(cmd, "NOOP")) {
    reply("250 2.0.0 OK\r\n");
  } else if (text::iequals(cmd, "QUIT")) {
    reply("221 2.0.0 bye\r\n");
    need_ = Need::kNothing;
  } else if (starts_with_ci(cmd, "VRFY")) {
    reply("252 2.5.0 cannot verify, send it\r\n");
  } else if (starts_with_ci(cmd, "HELO") || starts_with_ci(cmd, "EHLO")) {
    reply("500 5.5.1 this is LMTP: use LHLO\r\n");
  } else {
    reply("500 5.5.2 command not recognised\r\n");
  }
}

void Protocol::recipient_checked(bool accepted) {
  if (need_ != Need::kRecipientCheck) return;
  if (accepted) {
    rcpts_.push_back(std::move(pending_rcpt_));
    reply("250 2.1.5 OK\r\n");
  } else {
    reply("550 5.1.1 <" + pending_rcpt_ + ">: not a support address here\r\n");
  }
  pending_rcpt_.clear();
  need_ = Need::kInput;
  run();
}

void Protocol::data_line(std::string_view line, bool crlf) {
  // Only CR LF "." CR LF ends the mail. A relay that takes a bare LF for mere content
  // passes "\n.\n" on unstuffed; ending the mail there would let its sender start a
  // second mail of their own making in the same DATA (SMTP smuggling: its envelope and
  // an Authentication-Results line the relay never wrote). Such a line is content.
  // The rest of a line begun by data_piece is neither an end nor dot-stuffed.
  const bool rest = std::exchange(data_midline_, false);
  const bool end = !rest && line == "." && crlf && data_crlf_;
  data_crlf_ = crlf;
  if (end) {
    mail_.too_big = mail_.size > limits_.max_size;
    phase_ = Phase::kCommand;
    if (deferred_ && !mail_.too_big) {
      // Not kept for want of memory: nothing to record, the MTA sends it again.
      for (const auto& rcpt : mail_.recipients)
        reply("452 4.3.1 <" + rcpt + "> insufficient system storage, try again later\r\n");
      drop_mail();
      reset();
      return;
    }
    need_ = Need::kMailOutcome;
    return;
  }
  // Dot-stuffing; a lone "." that is no end (a bare LF beside it) is kept as it came.
  if (!rest && line.size() > 1 && line[0] == '.') line.remove_prefix(1);
  keep(line, true);
}

void Protocol::keep(std::string_view bytes, bool line_end) {
  // Up to max_size bytes are kept, as far as hold_ allows; past it, or once hold_
  // refused, only the head stays (for the record of a refused mail) and the rest is
  // counted, not stored.
  mail_.size += bytes.size() + (line_end ? 2 : 0);
  if (mail_.size <= limits_.max_size && !deferred_) {
    if (room_for(mail_.size)) {
      mail_.data.append(bytes);
      if (line_end) mail_.data += "\r\n";
      return;
    }
    deferred_ = true;
    ++refused_room_;
  }
  const size_t head = ingest::oversize_head_bytes(limits_.max_size);
  if (mail_.data.size() > head) {
    mail_.data.resize(head);
    mail_.data.shrink_to_fit();
    held_ = std::min<uint64_t>(held_, mail_.data.capacity());
    if (hold_) hold_(held_);  // gives back
  }
}

bool Protocol::room_for(uint64_t bytes) {
  if (bytes <= held_) return true;
  auto grant = [&](uint64_t n) { return !hold_ || hold_(n); };
  // The most this data can need is max_size (bytes is never more).
  const uint64_t least = std::min(bytes + kDataStep, limits_.max_size);
  uint64_t want = std::min(std::max({2 * held_, kDataStep, bytes}), limits_.max_size);
  while (!grant(want)) {
    if (want <= least) {
      if (wait_hold_ && wait_hold_(want)) break;
      return false;
    }
    want = std::max(least, held_ + (want - held_) / 2);
  }
  held_ = want;
  // A new string gets exactly this capacity (reserve() on a used one may double it).
  std::string grown;
  grown.reserve(want);
  grown.append(mail_.data);
  mail_.data.swap(grown);
  return true;
}

void Protocol::drop_mail() {
  mail_ = Mail{};
  deferred_ = false;
  if (held_ > 0 && hold_) hold_(0);
  held_ = 0;
}

void Protocol::mail_done(const Result<ingest::Outcome>& outcome) {
  if (need_ != Need::kMailOutcome) return;
  for (const auto& rcpt : mail_.recipients) {
    if (mail_.too_big) {
      // Refused whether or not its head could be recorded: never taken.
      reply("552 5.3.4 <" + rcpt + "> message of " + std::to_string(mail_.size) + " bytes is larger than " +
            std::to_string(limits_.max_size) + " bytes\r\n");
    } else if (outcome) {
      reply("250 2.0.0 <" + rcpt + "> " + ingest::to_string(outcome->kind) +
            (outcome->case_number ? " " + *outcome->case_number : std::string()) + "\r\n");
    } else {
      reply("451 4.3.0 <" + rcpt + "> not recorded, try again later\r\n");
    }
  }
  drop_mail();
  reset();
  need_ = Need::kInput;
  run();
}

void Protocol::end(LineEnd why) {
  if (closed()) return;
  if (why == LineEnd::kStopped)
    reply("421 4.3.2 " + limits_.hostname + " shutting down\r\n");
  else if (why == LineEnd::kTimedOut)
    reply("421 4.4.2 " + limits_.hostname + " timeout, closing the connection\r\n");
  need_ = Need::kNothing;
  phase_ = Phase::kCommand;
  in_ = std::string();
  pos_ = scanned_ = 0;
  drop_mail();
}

}  // namespace mailcase::channels::lmtp
