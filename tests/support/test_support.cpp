#include "support/test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace mailcase::testing {

std::optional<std::filesystem::path> corpus_dir() {
  std::filesystem::path p = MAILCASE_CORPUS_DIR;
  if (const char* env = std::getenv("MAILCASE_CORPUS_DIR")) p = env;
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec)) return std::filesystem::canonical(p, ec);
  return std::nullopt;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("mailcase-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!std::getenv("MAILCASE_KEEP_TEST_DIRS")) std::filesystem::remove_all(path_, ec);
}

CommandResult run_mailcase(const std::vector<std::string>& args, const std::string& stdin_text) {
  TempDir io;
  auto in_path = io.path() / "in", out_path = io.path() / "out", err_path = io.path() / "err";
  {
    std::ofstream(in_path, std::ios::binary) << stdin_text;
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    if (!std::freopen(in_path.c_str(), "rb", stdin) || !std::freopen(out_path.c_str(), "wb", stdout) ||
        !std::freopen(err_path.c_str(), "wb", stderr))
      _exit(127);
    std::vector<char*> argv;
    std::string bin = MAILCASE_BINARY;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  return r;
}

}  // namespace mailcase::testing
