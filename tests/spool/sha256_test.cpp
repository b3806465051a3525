// The spool's SHA-256 (nettle, with the CPU's SHA instructions where they exist) names
// blobs exactly as libsodium's did: the same digests whatever the size and however the
// bytes arrive, so stores written before keep their names.
#include "spool/sha256.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <random>
#include <sstream>
#include <string>

#include "spool/blob_store.h"
#include "spool/raw_spool.h"
#include "support/test_support.h"
#include "util/text.h"

namespace mailcase::spool {
namespace {

std::string sodium_hex(const std::string& bytes) {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return text::hex(out, sizeof out);
}

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(gen() & 0xff);
  return s;
}

TEST(Sha256, KnownVectors) {
  Sha256 empty;
  EXPECT_EQ(empty.hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 abc;
  abc.update("abc");
  EXPECT_EQ(abc.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, SameDigestAsLibsodiumForEverySizeAndChunking) {
  for (size_t n : {0, 1, 55, 56, 63, 64, 65, 127, 128, 1000, 65543, 1048577}) {
    const std::string bytes = random_bytes(n, static_cast<unsigned>(n));
    const std::string want = sodium_hex(bytes);
    Sha256 whole;
    whole.update(bytes);
    EXPECT_EQ(whole.hex(), want) << n;
    // In uneven pieces, as a stream arrives.
    Sha256 pieces;
    size_t at = 0, step = 1;
    while (at < bytes.size()) {
      const size_t k = std::min(step, bytes.size() - at);
      pieces.update(std::string_view(bytes).substr(at, k));
      at += k;
      step = step * 3 + 1;
    }
    EXPECT_EQ(pieces.hex(), want) << n;
  }
}

TEST(Sha256, BlobsAndSpooledMailsAreNamedByTheSameDigest) {
  mailcase::testing::TempDir dir;
  FileBlobStore blobs(dir.path() / "blobs", false);
  RawSpool spool(dir.path() / "spool", blobs);
  // A small mail (packed in a segment) and one past kPackLimit (a blob file).
  for (size_t n : {size_t{5000}, RawSpool::kPackLimit + 4096}) {
    const std::string bytes = random_bytes(n, 7);
    auto ref = spool.put(bytes);
    ASSERT_TRUE(ref) << ref.error().message;
    EXPECT_EQ(ref->sha256, sodium_hex(bytes)) << n;
    std::istringstream in(bytes);
    auto blob = blobs.put_stream(in);
    ASSERT_TRUE(blob) << blob.error().message;
    EXPECT_EQ(blob->sha256, sodium_hex(bytes)) << n;
  }
}

}  // namespace
}  // namespace mailcase::spool
