// The bytes a spool::BlobRef names, wherever they were kept: in the store (a "db:<id>"
// location: a small mail taken by LMTP and its attachments, written with the commit that
// recorded them) or in the spool (a segment or a file of its own).
//
// Readers of a recorded mail or attachment go through here, never to the spool alone: a
// location is chosen when the mail is taken, and a reader cannot tell beforehand.
#pragma once

#include <filesystem>
#include <string>

#include "spool/raw_spool.h"
#include "store/repositories.h"
#include "util/result.h"

namespace mailcase::ingest {

// kNotFound when the bytes are not where ref says (a "db:" id with no row, a segment cut
// short, a missing file).
[[nodiscard]] Result<std::string> read_blob(store::RawMessageRepository& kept, const spool::RawSpool& spool,
                                            const spool::BlobRef& ref);
// The same for a reader outside the runtime (the console's and the API's attachment
// downloads), from the data directory as the runtime lays it out.
[[nodiscard]] Result<std::string> read_kept_blob(store::RawMessageRepository& kept,
                                                 const std::filesystem::path& data_dir,
                                                 const spool::BlobRef& ref);

}  // namespace mailcase::ingest
