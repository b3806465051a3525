#include "spam/rspamd.h"

#include <curl/curl.h>

#include <memory>

#include "util/text.h"

namespace mailcase::spam {
namespace {

struct Answer {
  std::string body;
  bool over = false;
};

// Keeps at most kMaxRspamdAnswerBytes; past them the transfer is stopped (curl reports a
// write error, and the answer is refused as too large).
size_t keep(char* data, size_t size, size_t n, void* user) {
  auto* a = static_cast<Answer*>(user);
  const size_t len = size * n;
  if (a->body.size() + len > kMaxRspamdAnswerBytes) {
    a->over = true;
    return 0;
  }
  a->body.append(data, len);
  return len;
}

// A header value of one line: CR, LF and other controls would split or forge headers.
bool one_line(std::string_view v) {
  for (unsigned char ch : v)
    if (ch < 0x20 || ch == 0x7f) return false;
  return v.size() <= 1000;
}

}  // namespace

Verdict ask_rspamd(const RspamdSettings& settings, std::string_view raw, const RspamdEnvelope& envelope) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return unchecked("rspamd", "rspamd not asked: cannot start an HTTP client");
  std::string url = settings.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += "/checkv2";

  curl_slist* list = nullptr;
  auto add = [&](std::string_view name, std::string_view value) {
    if (!one_line(value)) return;
    std::string h = std::string(name) + ": " + std::string(value);
    if (auto* l = curl_slist_append(list, h.c_str())) list = l;
  };
  if (envelope.from) add("From", envelope.from->empty() ? "<>" : *envelope.from);
  for (const auto& r : envelope.recipients) add("Rcpt", r);
  if (!envelope.helo.empty()) add("Helo", envelope.helo);
  if (!envelope.ip.empty()) add("IP", envelope.ip);
  add("Content-Type", "message/rfc822");
  add("Expect", "");  // no 100-continue round trip
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(list, curl_slist_free_all);

  Answer answer;
  char errbuf[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, raw.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(raw.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(settings.timeout_seconds));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(settings.timeout_seconds));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  const CURLcode rc = curl_easy_perform(c);
  if (answer.over)
    return unchecked("rspamd", "rspamd's answer is over " + std::to_string(kMaxRspamdAnswerBytes) + " bytes");
  if (rc != CURLE_OK) {
    const std::string why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    return unchecked("rspamd", "rspamd not reached at " + settings.url + ": " + why);
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200)
    return unchecked("rspamd", "rspamd answered HTTP " + std::to_string(status) + " at " + settings.url);
  return from_rspamd(answer.body, settings.threshold);
}

}  // namespace mailcase::spam
