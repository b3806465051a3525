// Fuzz target for classification (ingest::classify): bounce, auto-reply and feedback
// recognition, and the reading of delivery-status fields and returned headers in a
// bounce. The mail is built straight from the input, without the MIME parser (which
// mime_fuzz covers), so each input reaches the classifier's own parsing at once.
//
// Input: a header block ("Name: value" lines), a blank line, the text body; then,
// separated by form feeds (\f), the report type, the delivery-status fields and the
// returned mail's headers. From:, Subject:, In-Reply-To: and Content-Type: also fill
// the parsed fields the parser would set.
// Contract under test: no crash, no sanitizer report; a bounce's recipients are
// lower-cased and their status, when known, is a class 2, 4 or 5 code; only a bounce or
// feedback report names recipients.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ingest/classify.h"
#include "util/text.h"

using namespace mailcase;

namespace {

// The next piece of s up to sep (removed from s with the separator).
std::string_view take(std::string_view& s, std::string_view sep) {
  size_t at = s.find(sep);
  std::string_view piece = s.substr(0, at);
  s = at == std::string_view::npos ? std::string_view() : s.substr(at + sep.size());
  return piece;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mime::ParsedMessage m;
  std::string_view head = take(in, "\n\n");
  while (!head.empty()) {
    std::string_view line = take(head, "\n");
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    mime::Header h{std::string(text::trim(line.substr(0, colon))),
                   std::string(text::trim(line.substr(colon + 1)))};
    if (text::iequals(h.name, "From")) {
      // "Name <addr>" or a bare address.
      size_t lt = h.value.find('<');
      size_t gt = h.value.find('>', lt == std::string::npos ? 0 : lt);
      if (lt != std::string::npos && gt != std::string::npos) {
        m.from.name = std::string(text::trim(std::string_view(h.value).substr(0, lt)));
        m.from.email = h.value.substr(lt + 1, gt - lt - 1);
      } else {
        m.from.email = h.value;
      }
    } else if (text::iequals(h.name, "Subject")) {
      m.subject = h.value;
    } else if (text::iequals(h.name, "In-Reply-To")) {
      m.in_reply_to.push_back(h.value);
    } else if (text::iequals(h.name, "Content-Type")) {
      m.top_content_type = text::ascii_lower(h.value);
    }
    m.headers.push_back(std::move(h));
  }
  m.text_body = std::string(take(in, "\f"));
  if (!in.empty()) {
    mime::Report r;
    r.report_type = std::string(take(in, "\f"));
    r.status_fields = std::string(take(in, "\f"));
    r.original_headers = std::string(in);
    m.report = std::move(r);
  }

  const auto c = ingest::classify(m, std::nullopt);
  if (!c.recipients.empty() && c.kind != ingest::MailKind::kBounce && c.kind != ingest::MailKind::kFeedback)
    std::abort();
  for (const auto& r : c.recipients) {
    if (r.email != text::ascii_lower(r.email)) std::abort();
    if (!r.status.empty() && r.status[0] != '2' && r.status[0] != '4' && r.status[0] != '5') std::abort();
    if (r.hard != (!r.status.empty() && r.status[0] == '5')) std::abort();
  }
  (void)ingest::to_string(c.kind);
  return 0;
}
