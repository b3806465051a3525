// Helpers shared by the test programs.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mailcase::testing {

// ../shared/corpus beside the project root, or nullopt when it is absent (tests then
// GTEST_SKIP with a message saying so).
std::optional<std::filesystem::path> corpus_dir();

std::string read_file(const std::filesystem::path& path);

// A fresh directory removed when the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the mailcase binary with these arguments, stdin from the given text.
CommandResult run_mailcase(const std::vector<std::string>& args, const std::string& stdin_text = "");

}  // namespace mailcase::testing
