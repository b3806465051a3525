#include "spam/rspamd.h"

// libcurl is opened when rspamd is first asked, not linked: `mailcase-deliver` would
// otherwise load and relocate curl's whole dependency tree (gnutls, Kerberos, LDAP, …) on
// every delivery, asked or not. The header gives the types; the calls go through the
// pointers below, never through curl's own symbols (CURL_DISABLE_TYPECHECK: its macros
// would name them).
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <dlfcn.h>

#include <memory>
#include <mutex>

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

// The libcurl calls rspamd needs, resolved once from MAILCASE_CURL_SONAME (the library
// the build was made against). ok is false, with why, when it cannot be opened.
struct Curl {
  bool ok = false;
  std::string why;
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&curl_easy_setopt) easy_setopt = nullptr;
  decltype(&curl_easy_perform) easy_perform = nullptr;
  decltype(&curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&curl_easy_strerror) easy_strerror = nullptr;
  decltype(&curl_slist_append) slist_append = nullptr;
  decltype(&curl_slist_free_all) slist_free_all = nullptr;
};

template <typename F>
bool resolve(void* lib, const char* name, F& out) {
  out = reinterpret_cast<F>(::dlsym(lib, name));
  return out != nullptr;
}

const Curl& curl_library() {
  static Curl api;
  static std::once_flag once;
  std::call_once(once, [] {
    // Never closed: the process keeps it for its next question.
    void* lib = ::dlopen(MAILCASE_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char* e = ::dlerror();
      api.why = std::string("cannot load ") + MAILCASE_CURL_SONAME + (e ? std::string(": ") + e : "");
      return;
    }
    api.ok = resolve(lib, "curl_easy_init", api.easy_init) &&
             resolve(lib, "curl_easy_cleanup", api.easy_cleanup) &&
             resolve(lib, "curl_easy_setopt", api.easy_setopt) &&
             resolve(lib, "curl_easy_perform", api.easy_perform) &&
             resolve(lib, "curl_easy_getinfo", api.easy_getinfo) &&
             resolve(lib, "curl_easy_strerror", api.easy_strerror) &&
             resolve(lib, "curl_slist_append", api.slist_append) &&
             resolve(lib, "curl_slist_free_all", api.slist_free_all);
    if (!api.ok) api.why = std::string(MAILCASE_CURL_SONAME) + " lacks a function rspamd needs";
  });
  return api;
}

}  // namespace

Verdict ask_rspamd(const RspamdSettings& settings, std::string_view raw, const RspamdEnvelope& envelope) {
  const Curl& api = curl_library();
  if (!api.ok) return unchecked("rspamd", "rspamd not asked: " + api.why);
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(api.easy_init(), api.easy_cleanup);
  if (!curl) return unchecked("rspamd", "rspamd not asked: cannot start an HTTP client");
  std::string url = settings.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += "/checkv2";

  curl_slist* list = nullptr;
  auto add = [&](std::string_view name, std::string_view value) {
    if (!one_line(value)) return;
    std::string h = std::string(name) + ": " + std::string(value);
    if (auto* l = api.slist_append(list, h.c_str())) list = l;
  };
  if (envelope.from) add("From", envelope.from->empty() ? "<>" : *envelope.from);
  for (const auto& r : envelope.recipients) add("Rcpt", r);
  if (!envelope.helo.empty()) add("Helo", envelope.helo);
  if (!envelope.ip.empty()) add("IP", envelope.ip);
  add("Content-Type", "message/rfc822");
  add("Expect", "");  // no 100-continue round trip
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(list, api.slist_free_all);

  Answer answer;
  char errbuf[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  api.easy_setopt(c, CURLOPT_URL, url.c_str());
  api.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  api.easy_setopt(c, CURLOPT_POST, 1L);
  api.easy_setopt(c, CURLOPT_POSTFIELDS, raw.data());
  api.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(raw.size()));
  api.easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  api.easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
  api.easy_setopt(c, CURLOPT_WRITEDATA, &answer);
  api.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  api.easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(settings.timeout_seconds));
  api.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(settings.timeout_seconds));
  api.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  api.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  const CURLcode rc = api.easy_perform(c);
  if (answer.over)
    return unchecked("rspamd", "rspamd's answer is over " + std::to_string(kMaxRspamdAnswerBytes) + " bytes");
  if (rc != CURLE_OK) {
    const std::string why = errbuf[0] ? errbuf : api.easy_strerror(rc);
    return unchecked("rspamd", "rspamd not reached at " + settings.url + ": " + why);
  }
  long status = 0;
  api.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200)
    return unchecked("rspamd", "rspamd answered HTTP " + std::to_string(status) + " at " + settings.url);
  return from_rspamd(answer.body, settings.threshold);
}

}  // namespace mailcase::spam
