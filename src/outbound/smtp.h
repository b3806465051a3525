// Sends one mail over SMTP with libcurl: implicit TLS, STARTTLS or plain; AUTH when a
// user is set; certificates verified (a private CA with ca_file).
#pragma once

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

// password: read by the caller from smtp_password_file (never logged).
SmtpResult smtp_send(const config::Outbound& o, const std::string& password, const std::string& to,
                     const std::string& raw);

}  // namespace mailcase::outbound
