// The LMTP protocol (RFC 2033) as a state machine: bytes in, reply bytes out, no
// socket, no thread, no clock. lmtp_server.cpp drives it over a socket; the unit
// tests and the fuzz target drive it directly.
//
// Contract:
// - Input may arrive in any split: byte by byte, or many pipelined commands (RFC 2920)
//   in one feed. For the same bytes and the same answers from the owner, the replies
//   are the same whatever the split.
// - A line ends at LF; a CR before it is dropped (a bare LF ends a line too, and is
//   kept as CR LF in a mail's data). Only CR LF "." CR LF ends a DATA: a "." line
//   with a bare LF on either side is a line of the mail (see data_line). A line
//   longer than Limits::max_line_bytes (its CR LF not counted) between commands ends
//   the session with "500 5.5.2 line too long". Inside DATA such a line is the mail's
//   content, taken in pieces as it comes (the mail's size bounds it): refusing it would
//   leave the MTA sending a mail that is never recorded again and again.
// - Two questions go to the owner, and the machine stops reading its buffered input
//   until they are answered (need()):
//     kRecipientCheck: is recipient() a routing address? → recipient_checked(bool)
//     kMailOutcome: mail() is complete (envelope, DATA dot-unstuffed with CRLF line
//       ends) and must be committed → mail_done(outcome); the machine then writes one
//       reply per accepted recipient, each the same: 250 only for a recorded mail.
// - A mail larger than max_size keeps only its head (ingest::oversize_head_bytes) and
//   every recipient gets 552, whatever the outcome of recording that head.
// - A mail's data grows only as far as the owner's Hold allows (the server's budget for
//   the mails all its sessions hold). Once it refuses, the rest of that DATA is read and
//   counted but not kept, and each recipient gets "452 4.3.1" (the MTA sends the mail
//   again later) without the owner being asked; a mail that is larger than max_size as
//   well gets 552 as above, with as much of its head as was kept.
// - Memory: the buffer holds at most one unfinished line beyond what the owner fed
//   while a question was pending; a mail's data holds at most max_size bytes, and no
//   more than its Hold granted. What was granted is given back (Hold of 0) once the
//   mail is answered or dropped, or the session ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "ingest/ingest.h"
#include "util/result.h"

namespace mailcase::channels::lmtp {

using Clock = std::chrono::steady_clock;

// Why a session stopped waiting for a client's line.
enum class LineEnd { kClosed, kStopped, kTimedOut };

// After a stop, how long a client inside DATA may take to finish its mail.
inline constexpr auto kStopGrace = std::chrono::seconds(3);

// What a session waiting for a line knows about its limits.
struct LineWait {
  Clock::time_point session_deadline = Clock::time_point::max();
  Clock::time_point data_deadline = Clock::time_point::max();  // none outside DATA
  Clock::time_point idle_until = Clock::time_point::max();     // none while bytes arrive
  bool in_data = false;
  std::optional<Clock::time_point> stop_seen;  // when the server's stop was first seen
};

// Whether the session gives up now (pure). Between commands a stop ends it at once;
// inside DATA the client has kStopGrace to finish, then its mail is abandoned
// unacknowledged (the MTA sends it again), so a stop always ends the server promptly.
std::optional<LineEnd> give_up(const LineWait& w, Clock::time_point now);

// The defaults are the settings' (config.h), so there is one of each.
struct Limits {
  std::string hostname = "mailcase";                       // in the greeting, LHLO and 421 replies
  uint64_t max_size = config::Limits{}.max_message_bytes;  // SIZE announced; larger mails get 552
  int max_recipients = config::Lmtp{}.max_recipients;      // RCPT past this many: 452
  size_t max_line_bytes = config::Lmtp{}.max_line_bytes;   // lmtp.max_line_bytes
};

// A mail whose final "." was read.
struct Mail {
  std::string sender;  // "" for the null sender <>
  std::vector<std::string> recipients;
  std::string data;      // dot-unstuffed, CRLF line ends; at most the head when too_big
  uint64_t size = 0;     // bytes received (unstuffed, CRLF counted), all of them
  bool too_big = false;  // size > Limits::max_size
};

// Asked before a mail's data grows: may it hold `bytes` in all from now on? A smaller
// number than before gives bytes back and is always granted. Empty: always.
using Hold = std::function<bool(uint64_t bytes)>;

enum class Need {
  kInput,           // feed() more bytes
  kRecipientCheck,  // answer with recipient_checked()
  kMailOutcome,     // commit mail(), answer with mail_done()
  kNothing,         // the session is over: write the output, then close
};

class Protocol {
 public:
  // Writes the greeting. hold is asked as mails' data grow (see Hold); when it refuses
  // even the least the data needs, wait_hold is asked for that once more and may wait for
  // room (the server waits a moment for other sessions' mails to give bytes back); empty:
  // the mail is refused room at once.
  explicit Protocol(Limits limits, Hold hold = {}, Hold wait_hold = {});

  // Buffers the bytes and handles every complete line until a question is pending
  // or the session ends. Bytes fed after the end are ignored.
  void feed(std::string_view bytes);
  // The replies written so far and not yet taken; the owner writes them in order.
  std::string take_output();

  Need need() const { return need_; }
  // Whether the replies written so far go out now: before anything that waits (a read, a
  // commit), not before a recipient's check (a read beside the commits), so that the
  // replies to the commands a client sends at once (PIPELINING: MAIL, RCPT, DATA) go out
  // together, in one write.
  bool replies_due() const { return need_ != Need::kRecipientCheck; }
  bool closed() const { return need_ == Need::kNothing; }
  // Inside DATA, between 354 and the final "." (the DATA deadline applies).
  bool in_data() const { return phase_ == Phase::kData; }
  // A mail under way: from an accepted MAIL FROM until its outcome is given (mail_done)
  // or it is given up (RSET, a refused DATA, the end).
  bool in_transaction() const { return mail_from_.has_value(); }
  // Mails whose Hold refused them room so far (each answered 452, or 552 if too big).
  uint64_t mails_refused_room() const { return refused_room_; }

  // Only while need() == kRecipientCheck: the address of the pending RCPT.
  const std::string& recipient() const { return pending_rcpt_; }
  void recipient_checked(bool accepted);

  // Only while need() == kMailOutcome. The owner may move data out.
  Mail& mail() { return mail_; }
  // The commit's result: a value is a recorded mail (250 to each recipient), an
  // error one to try again later (451).
  void mail_done(const Result<ingest::Outcome>& outcome);

  // The session ends without QUIT: the client went away (no reply), a deadline
  // (421 4.4.2) or the server's stop (421 4.3.2). Whatever was not acknowledged
  // stays so.
  void end(LineEnd why);

 private:
  enum class Phase { kCommand, kData };

  void run();
  void command(std::string_view cmd);
  // crlf: the line ended with CR LF (not a bare LF).
  void data_line(std::string_view line, bool crlf);
  void line_too_long();
  // Inside DATA: keeps what is buffered of a line longer than max_line_bytes, but its
  // last byte (a CR may follow), as content; the line goes on.
  void data_piece();
  // Keeps bytes of the mail's data (and a CR LF after them if line_end), within
  // max_size and what hold_ grants.
  void keep(std::string_view bytes, bool line_end);
  void reset();
  // Makes room in the mail's data for `bytes` in all, as far as hold_ allows.
  bool room_for(uint64_t bytes);
  // Frees the mail's data and gives back what it held.
  void drop_mail();
  void reply(std::string_view text) { out_.append(text); }

  Limits limits_;
  Hold hold_;
  Hold wait_hold_;
  uint64_t held_ = 0;      // granted by hold_ for mail_.data
  bool deferred_ = false;  // inside DATA: hold_ refused, the rest is counted, not kept
  uint64_t refused_room_ = 0;
  Need need_ = Need::kInput;
  Phase phase_ = Phase::kCommand;
  std::string in_;  // fed, not yet handled; in_[pos_..] is unread
  size_t pos_ = 0;
  size_t scanned_ = 0;  // in_[..scanned_] holds no LF past pos_
  std::string out_;
  bool greeted_ = false;
  bool data_crlf_ = true;  // inside DATA: the line before ended with CR LF (or was DATA)
  bool data_midline_ = false;  // inside DATA: data_piece kept the start of this line
  std::optional<std::string> mail_from_;
  std::vector<std::string> rcpts_;
  std::string pending_rcpt_;
  Mail mail_;
};

}  // namespace mailcase::channels::lmtp
