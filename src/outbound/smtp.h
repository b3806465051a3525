// Sends one mail over SMTP with libcurl: implicit TLS, STARTTLS or plain; AUTH when a
// user is set; certificates verified (a private CA with ca_file).
#pragma once

#include <chrono>
#include <string>

#include "config/config.h"

namespace mailcase::outbound {

struct SmtpResult {
  enum class Kind { kSent, kTemporary, kPermanent } kind = Kind::kTemporary;
  int code = 0;         // the server's last reply code, 0 when it never answered
  std::string message;  // for the outbox row and the case
};

// How a failed attempt counts (pure). login_denied: the server refused our credentials.
// A 5xx reply is the server's final word on this mail; our own credentials being
// refused, a 4xx, no connection, TLS trouble or a timeout may pass later.
SmtpResult::Kind failure_kind(bool login_denied, int reply_code);

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

// Sends `raw` to `to`. kSent exactly when the server accepted the mail, that is answered
// the end of data with 250: whatever happens after that (QUIT unanswered within
// timeouts.quit, or failing, or the connection dropped) leaves it sent, because sending it
// again would give the customer a second copy. Before that, a reply, a connection or TLS
// failure, or a wait past its bound in `timeouts` ends the attempt as failure_kind says;
// a wait past its bound is kTemporary (the mail is tried again later). Should a server
// accept a mail after we gave up on its end of data, the mail goes twice: the RFC's 10
// minutes make that rare, and it is why data_end should never be set shorter.
// password: read by the caller from smtp_password_file (never logged).
SmtpResult smtp_send(const config::Outbound& o, const std::string& password, const std::string& to,
                     const std::string& raw, const SmtpTimeouts& timeouts = {});

}  // namespace mailcase::outbound
