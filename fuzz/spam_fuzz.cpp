// Fuzz target for the spam verdicts (spam/verdict.h): the spam filter fields and
// rspamd's /checkv2 answer.
//
// Input: a first byte choosing what the rest is (even: five header values, one per line,
// in the order X-Spam-Flag, X-Spam-Status, X-Spam-Score, X-Spamd-Result, X-Rspamd-Action;
// odd: rspamd's JSON answer), a second byte the threshold (-10 to 21.875 in eighths).
// Contract under test: no crash, no exception, no sanitizer report; every verdict says
// who judged it and why in one line of valid UTF-8; the header fields only ever give
// none, ham or spam, and a spam verdict's hold reason starts with "spam".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "spam/verdict.h"
#include "util/text.h"

using namespace mailcase;

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const bool json = data[0] % 2 == 1;
  const double threshold = -10.0 + data[1] * 0.125;
  std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  spam::Verdict v;
  if (json) {
    v = spam::from_rspamd(in, threshold);
    check(v.kind != spam::Kind::kNone);
  } else {
    std::optional<std::string_view> fields[5];
    for (auto& f : fields) {
      if (in.empty()) break;
      const auto nl = in.find('\n');
      f = in.substr(0, nl);
      in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    }
    spam::SpamHeaders h;
    h.flag = fields[0];
    h.status = fields[1];
    h.score = fields[2];
    h.spamd_result = fields[3];
    h.rspamd_action = fields[4];
    v = spam::from_headers(h, threshold);
    check(v.kind != spam::Kind::kUnchecked);
  }
  if (v.kind != spam::Kind::kNone) {
    check(!v.source.empty());
    check(text::is_clean_text(v.detail, true));
  }
  if (v.kind == spam::Kind::kSpam) check(spam::hold_reason(v).rfind("spam", 0) == 0);
  if (v.score) check(!spam::format_score(*v.score).empty());
  return 0;
}
