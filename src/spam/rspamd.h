// Asking a real rspamd whether a mail is spam: POST /checkv2 over HTTP. The I/O adapter
// around spam::from_rspamd (verdict.h); it blocks up to its timeout, so it is called
// where the pipeline parses, never under the store's lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spam/verdict.h"

namespace mailcase::spam {

struct RspamdSettings {
  std::string url;  // "http://127.0.0.1:11333"; empty: rspamd is not asked
  int64_t timeout_seconds = 5;
  double threshold = 5.0;
};

// What rspamd is told of the mail's envelope beside its bytes, when it is known.
struct RspamdEnvelope {
  std::optional<std::string> from;  // MAIL FROM; "" for the null sender
  std::vector<std::string> recipients;
  std::string helo, ip;
};

// rspamd's verdict on `raw`. Unreachable, a timeout, an HTTP error, an answer over
// kMaxRspamdAnswerBytes or one that cannot be read: kUnchecked with the reason; never
// an error, never throws. Requires a non-empty settings.url (http:// or https://).
Verdict ask_rspamd(const RspamdSettings& settings, std::string_view raw, const RspamdEnvelope& envelope);

}  // namespace mailcase::spam
