#include "outbound/smtp.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace mailcase::outbound {
namespace {

struct Reader {
  const std::string* data;
  size_t pos = 0;
};

size_t read_cb(char* buf, size_t size, size_t n, void* user) {
  auto* r = static_cast<Reader*>(user);
  size_t len = std::min(size * n, r->data->size() - r->pos);
  std::memcpy(buf, r->data->data() + r->pos, len);
  r->pos += len;
  return len;
}

}  // namespace

SmtpResult::Kind failure_kind(bool login_denied, int reply_code) {
  // Refused credentials are ours to fix, not the customer's address: keep the mail.
  if (login_denied) return SmtpResult::Kind::kTemporary;
  return reply_code >= 500 && reply_code < 600 ? SmtpResult::Kind::kPermanent : SmtpResult::Kind::kTemporary;
}

SmtpResult smtp_send(const config::Outbound& o, const std::string& password, const std::string& to,
                     const std::string& raw) {
  if (!o.smtp_user.empty() && o.smtp_tls == "none" && !o.smtp_allow_plaintext_auth) {
    // Ours to fix, not the customer's: the mail stays queued until the setting changes.
    return {SmtpResult::Kind::kTemporary, 0,
            "refusing to send the SMTP password over an unencrypted connection: set outbound.smtp_tls to "
            "starttls or implicit (or outbound.smtp_allow_plaintext_auth = true on a trusted network)"};
  }
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* curl = curl_easy_init();
  if (!curl) return {SmtpResult::Kind::kTemporary, 0, "cannot start an SMTP client"};
  const std::string url = std::string(o.smtp_tls == "implicit" ? "smtps://" : "smtp://") + o.smtp_host + ":" +
                          std::to_string(o.smtp_port);
  const std::string from = "<" + o.from_address + ">";
  const std::string rcpt = "<" + to + ">";
  curl_slist* rcpts = curl_slist_append(nullptr, rcpt.c_str());
  Reader reader{&raw};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpts);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(curl, CURLOPT_READDATA, &reader);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 15L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (o.smtp_tls == "starttls") curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!o.smtp_ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, o.smtp_ca_file.c_str());
  if (!o.smtp_tls_verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!o.smtp_user.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, o.smtp_user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, password.c_str());
  }
  CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(rcpts);
  curl_easy_cleanup(curl);

  SmtpResult r;
  r.code = static_cast<int>(code);
  if (rc == CURLE_OK) {
    r.kind = SmtpResult::Kind::kSent;
    r.message = "sent";
    return r;
  }
  std::string why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  r.message = (code ? std::to_string(code) + " " : std::string()) + why;
  if (rc == CURLE_LOGIN_DENIED) r.message += " (check outbound.smtp_user and outbound.smtp_password_file)";
  r.kind = failure_kind(rc == CURLE_LOGIN_DENIED, r.code);
  return r;
}

}  // namespace mailcase::outbound
