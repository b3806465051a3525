// Fuzz target for the mbox splitter of `mailcase import` (channels/mailfile.h).
//
// Input: byte 0 sets the reader's piece size (1 to 64 bytes: the fuzzer's inputs are
// smaller than the real 64 KiB piece, so lines longer than a piece are the common case
// here), byte 1 the bound in bytes past which a mail keeps its head only; the rest is the
// file.
// Contract under test: no crash, no sanitizer report; cutting lines into pieces changes
// nothing (the mails read in small pieces are those read in whole lines); a mail within
// its bound is kept whole and handed back as its copy; one past it keeps exactly its first
// head bytes and says its full size.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "channels/mailfile.h"

using namespace mailcase;

namespace {

struct Read {
  std::string bytes;  // what the blob holds
  uint64_t full_size = 0;
  std::string copy;
};

std::vector<Read> read_all(const std::string& file, size_t piece, channels::MboxBound bound, bool with_copy) {
  std::vector<Read> out;
  if (file.empty()) return out;  // fmemopen refuses a buffer of 0 bytes
  FILE* f = fmemopen(const_cast<char*>(file.data()), file.size(), "rb");
  if (!f) std::abort();
  auto reader = channels::MboxReader::adopt(f, piece);
  spool::MemoryBlobStore sink;
  std::string copy;
  std::vector<std::string> shas;
  for (size_t n = 0;; ++n) {
    if (n > file.size() + 1) std::abort();  // more mails than bytes: it does not advance
    auto m = reader->next(sink, with_copy ? &copy : nullptr, bound);
    if (!m) std::abort();  // memory never fails to read
    if (!*m) break;
    shas.push_back((*m)->blob.sha256);
    out.push_back({"", (*m)->full_size, copy});
  }
  auto blobs = sink.blobs();
  for (size_t i = 0; i < out.size(); ++i) out[i].bytes = blobs[shas[i]];
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t piece = 1 + data[0] % 64;
  const uint64_t max_bytes = 1 + uint64_t{data[1]} * 8;
  const size_t head_bytes = static_cast<size_t>(max_bytes < 16 ? max_bytes : 16);
  const std::string file(reinterpret_cast<const char*>(data) + 2, size - 2);

  const auto whole = read_all(file, channels::MboxReader::kMaxPiece, {}, false);
  uint64_t total = 0;
  for (const auto& m : whole) {
    if (m.full_size != 0) std::abort();
    total += m.bytes.size();
  }
  if (total > file.size()) std::abort();

  const auto pieces = read_all(file, piece, {}, true);
  if (pieces.size() != whole.size()) std::abort();
  for (size_t i = 0; i < whole.size(); ++i) {
    if (pieces[i].bytes != whole[i].bytes || pieces[i].full_size != 0) std::abort();
    if (pieces[i].copy != pieces[i].bytes) std::abort();  // all within the copy limit
  }

  const auto bounded = read_all(file, piece, {max_bytes, head_bytes}, true);
  if (bounded.size() != whole.size()) std::abort();
  for (size_t i = 0; i < whole.size(); ++i) {
    const auto& b = bounded[i];
    if (whole[i].bytes.size() <= max_bytes) {
      if (b.full_size != 0 || b.bytes != whole[i].bytes || b.copy != b.bytes) std::abort();
    } else {
      if (b.full_size != whole[i].bytes.size() || b.bytes != whole[i].bytes.substr(0, head_bytes) || !b.copy.empty())
        std::abort();
    }
  }
  return 0;
}
