// Fuzz target for the framing of a delivery handed to serve (ingest/deliver_protocol.h):
// arbitrary client bytes, fed in arbitrary splits, and the same bytes read as a server's
// answer. Contract under test: no crash, no sanitizer report, no exception; the kept
// body never exceeds the limit (or the head past it); the verdict and what was read do
// not depend on how the bytes were split.
//
// Input layout: the first byte seeds the splits (0: byte by byte), the rest is the bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/deliver_protocol.h"

using namespace mailcase::ingest::handoff;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t step = data[0] == 0 ? 1 : data[0];
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  constexpr uint64_t kMax = 300;
  constexpr size_t kHead = 40;

  RequestParser whole(kMax, kHead);
  whole.feed(in);
  RequestParser split(kMax, kHead);
  for (size_t i = 0; i < in.size(); i += step) split.feed(in.substr(i, step));

  if (whole.state() != split.state()) std::abort();
  if (whole.body().size() > kMax) std::abort();
  if (whole.too_large() && whole.body().size() > kHead) std::abort();
  if (whole.state() == RequestParser::State::kDone &&
      (whole.body() != split.body() || whole.size() != split.size() ||
       whole.envelope().recipients != split.envelope().recipients ||
       whole.envelope().sender != split.envelope().sender))
    std::abort();

  Answer a;
  if (parse_answer(in, a) == AnswerState::kDone) {
    // What was read is written back the same.
    if (encode_answer(a.exit_code, a.json, a.err).size() != in.size()) std::abort();
  }
  return 0;
}
