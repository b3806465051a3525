// Fuzz target for the MIME → message path: raw bytes through the GMime parser, then
// every pure decision that reads a parsed mail (classification, reply splitting,
// subject tags). Contract under test: no crash, no sanitizer report, no exception,
// whatever the input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/classify.h"
#include "ingest/reply_text.h"
#include "ingest/thread.h"
#include "mime/parser.h"
#include "spool/blob_store.h"

using namespace mailcase;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool initialised = [] {
    mime::ensure_initialized();
    return true;
  }();
  (void)initialised;
  spool::NullBlobSink sink;
  mime::ParseLimits limits;
  limits.max_text_bytes = 64 * 1024;
  auto parsed = mime::parse_bytes(std::string_view(reinterpret_cast<const char*>(data), size), sink, limits);
  if (!parsed) return 0;
  (void)ingest::classify(*parsed, std::nullopt);
  (void)ingest::split_reply(parsed->text_body);
  static const ingest::SubjectTags tags([] {
    config::Threading t;
    t.numeric_tags = true;
    return t;
  }());
  (void)tags.case_numbers(parsed->subject);
  return 0;
}
