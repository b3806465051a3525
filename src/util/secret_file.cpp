#include "util/secret_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace mailcase {

Result<std::string> read_password_file(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return fail(ErrorCode::kInvalidInput, "cannot read password file " + path + ": " + std::strerror(errno));
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  if (line.empty()) return fail(ErrorCode::kInvalidInput, "password file " + path + " is empty");
  return line;
}

}  // namespace mailcase
