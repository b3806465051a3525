#include "util/secret_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "util/file_sync.h"

namespace mailcase {
namespace {

Result<std::optional<std::string>> read_whole(const std::filesystem::path& path, size_t cap) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return fail(ErrorCode::kInvalidInput, "cannot read " + path.string() + ": " + std::strerror(errno));
  }
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 && out.size() <= cap) out.append(buf, static_cast<size_t>(n));
  const int err = errno;
  ::close(fd);
  if (n < 0) return fail(ErrorCode::kTemporary, "cannot read " + path.string() + ": " + std::strerror(err));
  return std::optional<std::string>(std::move(out));
}

}  // namespace

std::optional<std::string> secret_file_exposure(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) == 0) return std::nullopt;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return path.string() + " holds a secret but has mode " + mode + ": other users may read it (chmod 600 " +
         path.string() + ")";
}

Result<std::string> read_password_file(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return fail(ErrorCode::kInvalidInput, "cannot read password file " + path + ": " + std::strerror(errno));
  if (auto w = secret_file_exposure(path)) spdlog::warn("{}", *w);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  if (line.empty()) return fail(ErrorCode::kInvalidInput, "password file " + path + " is empty");
  return line;
}

Result<std::string> load_or_create_key(const std::filesystem::path& path, size_t size) {
  auto check = [&](const std::string& key) -> Result<std::string> {
    if (key.size() == size) return key;
    return fail(ErrorCode::kInvalidInput,
                path.string() + " holds " + std::to_string(key.size()) + " bytes where a key of " +
                    std::to_string(size) +
                    " is expected: restore it from a backup, or remove it to make a new key (links "
                    "already mailed to customers then stop working)");
  };
  MC_ASSIGN_OR_RETURN(auto existing, read_whole(path, size));
  if (existing) return check(*existing);

  if (sodium_init() < 0) return fail(ErrorCode::kInternal, "libsodium could not start");
  std::string key(size, '\0');
  randombytes_buf(key.data(), key.size());
  const auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  std::string tmpl = (dir / (path.filename().string() + ".XXXXXX")).string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0)
    return fail(ErrorCode::kTemporary,
                "cannot create a file in " + dir.string() + ": " + std::strerror(errno));
  const bool written = ::fchmod(fd, 0600) == 0 &&
                       ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
                       ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!written) {
    ::unlink(tmpl.c_str());
    return fail(ErrorCode::kTemporary, "cannot write " + tmpl + ": " + std::strerror(err));
  }
  // link() refuses an existing name: whoever links first wins, the other reads its key.
  const int linked = ::link(tmpl.c_str(), path.c_str());
  const int link_err = errno;
  ::unlink(tmpl.c_str());
  if (linked != 0) {
    if (link_err != EEXIST)
      return fail(ErrorCode::kTemporary, "cannot create " + path.string() + ": " + std::strerror(link_err));
    MC_ASSIGN_OR_RETURN(auto theirs, read_whole(path, size));
    if (!theirs) return fail(ErrorCode::kTemporary, path.string() + " vanished while it was created");
    return check(*theirs);
  }
  MC_RETURN_IF_ERROR(util::sync_path(dir, util::SyncOf::kDirectory));
  return key;
}

}  // namespace mailcase
