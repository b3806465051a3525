// mailcase-deliver: what an MTA's pipe runs, one process per mail. It links nothing but
// libc (static where the toolchain allows; see CMakeLists.txt), because a process that
// loads the C++ libraries, GMime and the rest spends ~90% of a handed-over delivery
// relocating them before main runs.
//
// It reads `[--data DIR] deliver [--recipient R]… [--sender S]` (also `--opt=value`) and
// hands the mail to a running serve (ingest/deliver_client.h). Whenever the mail was not
// handed over (no serve, BUSY, a command line it does not fully understand, --help,
// arguments that are not plain text) it runs mailcase-deliver-direct from its own
// directory with the very same arguments and stdin untouched: usage errors, --help and
// the delivery that commits by itself are that program's, exactly as before.
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/deliver_client.h"
#include "util/fd_io.h"
#include "util/text.h"

namespace {

namespace hf = mailcase::ingest::handoff;
using mailcase::fd_io::write_all;

constexpr std::string_view kDirectName = "mailcase-deliver-direct";

// Runs the full delivery program, found beside this one, in this process.
[[noreturn]] void run_direct(char** argv) {
  std::string dir;
  char self[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    dir.assign(self, static_cast<size_t>(n));
    dir.resize(dir.rfind('/') + 1);
  }
  const std::string direct = dir + std::string(kDirectName);
  if (n > 0) ::execv(direct.c_str(), argv);
  const int err = n > 0 ? errno : ENOENT;
  // Not recorded: the MTA keeps the mail and tries again once the installation is whole.
  write_all(STDERR_FILENO, "mailcase-deliver: cannot run " + (n > 0 ? direct : std::string(kDirectName)) +
                               ": " + std::strerror(err) + " (it is installed beside mailcase-deliver)\n");
  std::_Exit(hf::kAnswerTempFail);
}

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("MAILCASE_DATA");
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  if (auto req = hf::handoff_request(args, env && *env ? env : "mailcase-data")) {
    if (auto a = hf::hand_off(req->data_dir, req->envelope)) {
      // As the full program writes it: control characters but line feed and tab replaced.
      if (!a->json.empty()) write_all(STDOUT_FILENO, mailcase::text::terminal_safe(a->json + "\n"));
      write_all(STDERR_FILENO, mailcase::text::terminal_safe(a->err));
      return a->exit_code;
    }
  }
  run_direct(argv);
}
