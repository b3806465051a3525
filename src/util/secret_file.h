// Secrets kept out of the store and the configuration: a file named there holds them.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "util/result.h"

namespace mailcase {

// The first line of the file, without its line end. The message of an error names the
// file, never its content. Logs a warning when the file is readable by group or others.
[[nodiscard]] Result<std::string> read_password_file(const std::string& path);

// A warning to show when a secret's file may be read by other users (group or others
// have any permission on it), else nullopt.
std::optional<std::string> secret_file_exposure(const std::filesystem::path& path);

// A key of exactly `size` random bytes kept in `path` (mode 0600). When the file is
// missing, a new key is written atomically: to a temporary file, synced, then linked
// into place, so that a crash never leaves a short key and two processes starting at
// once agree on the first key written. A file of another size is an error that says
// how to fix it (kInvalidInput), never a temporary failure.
[[nodiscard]] Result<std::string> load_or_create_key(const std::filesystem::path& path, size_t size);

}  // namespace mailcase
