// Fuzz target for HTML → text (mime::html_to_text), which reads the HTML body of every
// mail without a text/plain part. Contract under test: any bytes (broken markup, deep
// nesting, invalid UTF-8) give text in bounded time and stack, with no sanitizer report,
// and the text is not much larger than the HTML (no blow-up of outside input).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mime/html_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view html(reinterpret_cast<const char*>(data), size);
  const std::string text = mailcase::mime::html_to_text(html);
  // Every character of the text comes from the HTML, apart from list markers, line
  // breaks and the brackets around a link's address (a few per tag at most), and from
  // the copies of formatting elements gumbo makes, which html_text.cpp bounds to 16 MiB.
  if (text.size() > 4 * size + 64 + 16 * 1024 * 1024) std::abort();
  return 0;
}
