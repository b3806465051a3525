// Fuzz target for the MIME structure pre-scan (mime/structure_scan.h). Contract under
// test: no crash, no sanitizer report, whatever the input; the same result whatever the
// chunks the bytes come in; the bytes before the cut, which are all GMime is given,
// are themselves within the limits; the plain Content-Type reader agrees with GMime's.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mime/structure_scan.h"

using namespace mailcase;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // Small limits, so that every way of cutting is reached by small inputs.
  mime::StructureLimits limits;
  limits.max_parts = 20;
  limits.max_depth = 5;
  limits.max_header_fields = 50;
  limits.max_header_bytes = 4096;
  const size_t chunk = 1 + data[0] % 17;
  std::string_view raw(reinterpret_cast<const char*>(data) + 1, size - 1);

  auto whole = mime::scan_structure(raw, limits);
  mime::StructureScanner pieces(limits);
  for (size_t i = 0; i < raw.size(); i += chunk)
    if (!pieces.feed(raw.substr(i, chunk))) break;
  auto chunked = pieces.finish();
  if (whole.parts != chunked.parts || whole.depth != chunked.depth || whole.cut != chunked.cut ||
      whole.over != chunked.over)
    std::abort();
  if (whole.parts > limits.max_parts || whole.depth > limits.max_depth) std::abort();
  if (whole.cut) {
    if (*whole.cut > raw.size()) std::abort();
    // An attached mail past a limit is cut where its headers would start, after the
    // blank line that opens it: the prefix then ends exactly there.
    auto prefix = mime::scan_structure(raw.substr(0, *whole.cut), limits);
    if (prefix.cut && *prefix.cut != *whole.cut) std::abort();
  }
  // The plain Content-Type reader agrees with GMime's on whatever the first line holds.
  std::string value(raw.substr(0, std::min(raw.find('\n'), size_t{4096})));
  if (value.find('\0') == std::string::npos &&
      !(mime::read_content_type(value) == mime::read_content_type_with_gmime(value)))
    std::abort();
  return 0;
}
