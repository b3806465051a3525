// Secrets kept out of the store and the configuration: a file named there holds them.
#pragma once

#include <string>

#include "util/result.h"

namespace mailcase {

// The first line of the file, without its line end. The message of an error names the
// file, never its content.
[[nodiscard]] Result<std::string> read_password_file(const std::string& path);

}  // namespace mailcase
