#include "ingest/blob_reader.h"

namespace mailcase::ingest {
namespace {
Result<std::string> from_store(store::RawMessageRepository& kept, int64_t id, const spool::BlobRef& ref) {
  MC_ASSIGN_OR_RETURN(auto bytes, kept.kept_bytes(id));
  // The size is checked as the spool checks a segment's: a row that is not the blob's is
  // as good as missing.
  if (!bytes || bytes->size() != ref.size) return fail(ErrorCode::kNotFound, "the bytes were not kept");
  return std::move(*bytes);
}
}  // namespace

Result<std::string> read_blob(store::RawMessageRepository& kept, const spool::RawSpool& spool,
                              const spool::BlobRef& ref) {
  if (auto id = spool::kept_in_store(ref.location)) return from_store(kept, *id, ref);
  return spool.read(ref);
}

Result<std::string> read_kept_blob(store::RawMessageRepository& kept, const std::filesystem::path& data_dir,
                                   const spool::BlobRef& ref) {
  if (auto id = spool::kept_in_store(ref.location)) return from_store(kept, *id, ref);
  return spool::read_kept(data_dir, ref);
}

}  // namespace mailcase::ingest
