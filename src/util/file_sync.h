// Making a file's or a directory's state durable by its path.
#pragma once

#include <filesystem>

#include "util/result.h"

namespace mailcase::util {

enum class SyncOf {
  kFile,      // fsync: the file's data and its metadata
  kFileData,  // fdatasync: its data (and the size that reads them back)
  kDirectory  // fsync of a directory: the entries it gained or lost
};

// Syncs what `path` names (any descriptor will do: a sync is of the file, not of the
// descriptor). kNotFound when nothing is there; kTemporary for any other failure (disk
// full, I/O error: the caller may retry once fixed), its message naming the path.
[[nodiscard]] Status sync_path(const std::filesystem::path& path, SyncOf what);

}  // namespace mailcase::util
