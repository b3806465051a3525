#include "util/file_sync.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace mailcase::util {

Status sync_path(const std::filesystem::path& path, SyncOf what) {
  const std::string name = path.empty() ? std::string(".") : path.string();
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | (what == SyncOf::kDirectory ? O_DIRECTORY : 0));
  if (fd < 0) {
    const int err = errno;
    return fail(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kTemporary,
                "cannot open " + name + " to sync it: " + std::strerror(err));
  }
  const int rc = what == SyncOf::kFileData ? ::fdatasync(fd) : ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return fail(ErrorCode::kTemporary, "cannot sync " + name + ": " + std::strerror(err));
  return {};
}

}  // namespace mailcase::util
