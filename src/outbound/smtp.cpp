#include "outbound/smtp.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>

namespace mailcase::outbound {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Where the attempt stands and since when, as the callbacks see it: the server's replies
// (header callback: libcurl hands it every SMTP reply line), the message being read
// (read callback) and the bytes taken by the server (progress callback, called about once
// a second in every phase, which ends the attempt when a wait passes its bound).
struct Watch {
  CURL* curl = nullptr;
  const SmtpTimeouts* timeouts = nullptr;
  SmtpPhase phase = SmtpPhase::kConnect;
  SteadyClock::time_point since = SteadyClock::now();  // the current wait's start
  curl_off_t uploaded = 0;
  int end_code = 0;     // the reply to the end of data; 0 until it came
  std::string gave_up;  // why the watch ended the attempt; empty if it did not
  const std::string* data = nullptr;
  size_t pos = 0;

  void enter(SmtpPhase p) {
    phase = p;
    since = SteadyClock::now();
  }
};

size_t read_cb(char* buf, size_t size, size_t n, void* user) {
  auto* w = static_cast<Watch*>(user);
  size_t len = std::min(size * n, w->data->size() - w->pos);
  std::memcpy(buf, w->data->data() + w->pos, len);
  w->pos += len;
  // Asked for more: what was read before has gone to the server.
  if (len > 0)
    w->enter(SmtpPhase::kData);
  else if (w->phase < SmtpPhase::kDataEnd)
    w->enter(SmtpPhase::kDataEnd);  // libcurl sends the end of data now
  return len;
}

size_t header_cb(char* buf, size_t size, size_t n, void* user) {
  auto* w = static_cast<Watch*>(user);
  const size_t len = size * n;
  const auto code = reply_end_code(std::string_view(buf, len));
  if (!code) return len;
  if (const auto next = wait_after_reply(w->phase)) {
    if (w->phase == SmtpPhase::kDataEnd) w->end_code = *code;
    w->enter(*next);
  }
  return len;
}

int progress_cb(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t ulnow) {
  auto* w = static_cast<Watch*>(user);
  // Given up: libcurl may still send QUIT, and this ends its wait at the next check.
  if (!w->gave_up.empty()) return 1;
  if (w->phase == SmtpPhase::kConnect) {
    curl_off_t connected = 0;
    // The greeting's wait is counted from the start, connection included.
    if (curl_easy_getinfo(w->curl, CURLINFO_CONNECT_TIME_T, &connected) == CURLE_OK && connected > 0)
      w->phase = SmtpPhase::kReply;
  }
  if (w->phase == SmtpPhase::kData && ulnow != w->uploaded) {
    w->uploaded = ulnow;
    w->since = SteadyClock::now();
  }
  w->gave_up =
      overdue(w->phase, std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - w->since),
              *w->timeouts);
  return w->gave_up.empty() ? 0 : 1;
}

}  // namespace

SmtpResult::Kind failure_kind(bool login_denied, int reply_code) {
  // Refused credentials are ours to fix, not the customer's address: keep the mail.
  if (login_denied) return SmtpResult::Kind::kTemporary;
  return reply_code >= 500 && reply_code < 600 ? SmtpResult::Kind::kPermanent : SmtpResult::Kind::kTemporary;
}

SmtpResult smtp_send(const config::Outbound& o, const std::string& password, const std::string& to,
                     const std::string& raw, const SmtpTimeouts& timeouts) {
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
  Watch watch;
  watch.curl = curl;
  watch.timeouts = &timeouts;
  watch.data = &raw;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpts);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(curl, CURLOPT_READDATA, &watch);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &watch);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, progress_cb);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &watch);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  // The phases' bounds are the watch's. libcurl's own are set past them: its connect
  // timeout covers the greeting, EHLO, STARTTLS and AUTH as well, and its per-reply
  // timeout (120 s unless set) would end the wait for the end of data's reply early.
  const auto longest_reply = std::max({timeouts.reply, timeouts.data_end, timeouts.quit});
  const long reply_seconds = static_cast<long>(longest_reply.count() / 1000) + 2;
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeouts.total.count()));
  curl_easy_setopt(curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, reply_seconds);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeouts.total.count()));
  // The connection is closed, QUIT and all, inside curl_easy_perform, where the watch
  // bounds the wait for its reply; a kept connection would send QUIT in
  // curl_easy_cleanup, waiting up to the per-reply timeout.
  curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
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
  r.code = watch.end_code ? watch.end_code : static_cast<int>(code);
  // Accepted is sent, whatever libcurl made of what came after: it ignores QUIT's
  // failures, and a 250 to the end of data that came just after we gave up on it (while
  // libcurl said QUIT) is an acceptance all the same. 250 only, as libcurl takes it.
  if (rc == CURLE_OK || watch.end_code == 250) {
    r.kind = SmtpResult::Kind::kSent;
    r.message = "sent";
    return r;
  }
  if (rc == CURLE_ABORTED_BY_CALLBACK && !watch.gave_up.empty()) {
    r.kind = SmtpResult::Kind::kTemporary;
    r.message = watch.gave_up;
    return r;
  }
  std::string why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  r.message = (r.code ? std::to_string(r.code) + " " : std::string()) + why;
  if (rc == CURLE_LOGIN_DENIED) r.message += " (check outbound.smtp_user and outbound.smtp_password_file)";
  r.kind = failure_kind(rc == CURLE_LOGIN_DENIED, r.code);
  return r;
}

}  // namespace mailcase::outbound
