// The waits of one SMTP attempt, as the sender (smtp.cpp) watches them: which phase the
// exchange is in, what a reply line ends, and when a wait has passed its bound. Pure: the
// sender feeds it what libcurl's callbacks see and the clock says.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mailcase::outbound {

// How long one attempt waits for the server, phase by phase. RFC 5321 4.5.3.2 asks a
// client to wait at least 5 minutes for the greeting, MAIL and RCPT, 2 for DATA, 3 for each
// block of data and 10 for the reply to the end of data ("."): a busy relay may take that
// long and still accept the mail. The defaults follow it (DATA's reply gets the 5 minutes
// of the others); tests set short ones. Each wait is checked about once a second, so a bound
// may be overrun by up to a second, and an attempt given up on takes up to a second more
// (libcurl says QUIT).
struct SmtpTimeouts {
  std::chrono::milliseconds connect{std::chrono::seconds(15)};  // the TCP connection
  // Each reply before the data, from the command (the greeting: from the start): EHLO,
  // STARTTLS with its TLS handshake, AUTH, MAIL, RCPT, DATA.
  std::chrono::milliseconds reply{std::chrono::minutes(5)};
  std::chrono::milliseconds data_block{std::chrono::minutes(3)};  // the server taking no data
  std::chrono::milliseconds data_end{std::chrono::minutes(10)};   // the reply to the end of data
  // The reply to QUIT, once the mail was accepted: waited for briefly, as nothing hangs on it.
  std::chrono::milliseconds quit{std::chrono::seconds(5)};
  // The whole attempt. Above the sum of the RFC's waits (at most 50 minutes with STARTTLS
  // and AUTH), so that only a server trickling its replies or taking the data a byte at a
  // time ever meets it. The outbox's claim on a row outlasts it (outbox_worker.cpp).
  std::chrono::milliseconds total{std::chrono::hours(1)};
};

// Where an attempt stands, in the order the phases come.
enum class SmtpPhase {
  kConnect,  // until the TCP connection is up
  kReply,    // waiting for a reply (or our TLS handshake) before the data
  kData,     // sending the message
  kDataEnd,  // the message sent: waiting for the reply to the end of data
  kQuit,     // that reply came: waiting for the reply to QUIT
};

// The code of the reply a line ends ("250 ok", or a bare "250"); nullopt for a line that
// goes on ("250-…") or is no reply line.
std::optional<int> reply_end_code(std::string_view line);

// The wait a reply ending in phase p starts: after the end of data's, QUIT's (kQuit);
// before the data, the next command's (kReply). nullopt when it starts none (a reply
// during the data, or QUIT's own).
std::optional<SmtpPhase> wait_after_reply(SmtpPhase p);

// Why the attempt gives up, having waited `waited` in phase p ("no reply from the SMTP
// server to the end of the mail within 600 s"); "" while within the phase's bound.
std::string overdue(SmtpPhase p, std::chrono::milliseconds waited, const SmtpTimeouts& t);

}  // namespace mailcase::outbound
