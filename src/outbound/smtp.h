// Sends one mail over SMTP with libcurl: implicit TLS, STARTTLS or plain; AUTH when a
// user is set; certificates verified (a private CA with ca_file).
#pragma once

#include <string>

#include "config/config.h"
#include "outbound/smtp_waits.h"

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
