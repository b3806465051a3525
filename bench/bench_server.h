// What the benchmarks that go through the real server share: running the mailcase binary,
// a data directory with N cases and an agent's API token (built once, kept for reuse),
// `mailcase serve` in the background with the ports it bound, an HTTP client with
// keep-alive, and the CPU time a process has used. Header-only, for the bench programs.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_store.h"
#include "store/store.h"

namespace mailcase::bench {

// Runs `argv` with stdin from `in`; its stdout (and, when err is non-null, its stderr) is
// returned through files so a long output cannot block it. Returns the exit code (-1 when
// it did not exit normally).
inline int run(const std::vector<std::string>& argv, const std::string& in, std::string* out,
               std::string* err = nullptr) {
  char in_path[] = "/tmp/mc-bench-in.XXXXXX";
  char out_path[] = "/tmp/mc-bench-out.XXXXXX";
  char err_path[] = "/tmp/mc-bench-err.XXXXXX";
  int in_fd = mkstemp(in_path), out_fd = mkstemp(out_path), err_fd = mkstemp(err_path);
  if (in_fd < 0 || out_fd < 0 || err_fd < 0) return -1;
  if (write(in_fd, in.data(), in.size()) != static_cast<ssize_t>(in.size())) return -1;
  lseek(in_fd, 0, SEEK_SET);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  auto slurp = [](const char* path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  if (out) *out = slurp(out_path);
  if (err) *err = slurp(err_path);
  for (int fd : {in_fd, out_fd, err_fd}) close(fd);
  for (const char* p : {in_path, out_path, err_path}) unlink(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// `mailcase --data DIR ARGS…`; exits the bench with the command's output on a failure.
inline std::string mailcase(const std::string& bin, const std::filesystem::path& dir,
                            std::vector<std::string> args, const std::string& in = "") {
  args.insert(args.begin(), {bin, "--data", dir.string()});
  std::string out, err;
  if (int rc = run(args, in, &out, &err); rc != 0) {
    std::fprintf(stderr, "mailcase %s failed (%d): %s%s\n", args[3].c_str(), rc, out.c_str(), err.c_str());
    std::exit(1);
  }
  return out;
}

// A data directory for the benches: `mailcase init`, the routing address
// support@corp.example (queue Support), `cases` cases built by build_cases(), an agent
// bench@corp.example with an API token. Built once: the marker file DIR/bench-built holds
// the case count and DIR/bench-token the token, and a later call with the same count
// reuses the directory as it is (api_ingest_bench ingests into a copy of it); without
// them, or for another count, it is removed and built again.
struct BenchData {
  std::filesystem::path dir;
  std::string token;
  bool reused = false;
  double build_seconds = 0;
};

inline BenchData prepare_data(const std::string& bin, const std::filesystem::path& dir, int cases) {
  namespace fs = std::filesystem;
  BenchData d;
  d.dir = dir;
  {
    std::ifstream marker(dir / "bench-built"), token(dir / "bench-token");
    int built = -1;
    if (marker >> built && built == cases && std::getline(token, d.token) && !d.token.empty()) {
      d.reused = true;
      return d;
    }
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir.parent_path().empty() ? fs::path(".") : dir.parent_path());
  auto t0 = std::chrono::steady_clock::now();
  mailcase(bin, dir, {"init"});
  mailcase(bin, dir, {"address", "add", "support@corp.example", "--queue", "Support"});
  {
    store::SqliteOptions opts;
    opts.synchronous_full = false;  // the build only; the server opens it as configured
    auto s = store::open_sqlite(dir / "mailcase.db", opts);
    if (!s) {
      std::fprintf(stderr, "open: %s\n", s.error().message.c_str());
      std::exit(1);
    }
    std::fprintf(stderr, "building %d cases in %s\n", cases, dir.c_str());
    Vocabulary vocab(kVocabularySize);
    if (build_cases(**s, cases, vocab) != 0) std::exit(1);
  }
  mailcase(bin, dir, {"agent", "add", "--email", "bench@corp.example", "--name", "Bench"});
  std::string out = mailcase(bin, dir, {"token", "create", "--agent", "bench@corp.example"});
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  d.token = out.substr(out.rfind('\n') + 1);
  {
    // A secret: readable by its owner alone from the moment it exists.
    const std::string line = d.token + "\n";
    int fd = ::open((dir / "bench-token").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      std::fprintf(stderr, "cannot write %s\n", (dir / "bench-token").c_str());
      std::exit(1);
    }
    ::close(fd);
  }
  std::ofstream(dir / "bench-built") << cases << "\n";
  d.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return d;
}

// `mailcase --data DIR serve ARGS…` in the background, its stderr to a file of its own;
// the constructor waits until it says where it listens (and exits the bench when it does
// not). Stopped (SIGTERM, then waited for) by stop() or the destructor.
class Server {
 public:
  Server(const std::string& bin, const std::filesystem::path& dir, const std::vector<std::string>& args) {
    char path[] = "/tmp/mc-bench-serve.XXXXXX";
    int fd = mkstemp(path);
    log_ = path;
    std::vector<std::string> argv{bin, "--data", dir.string(), "serve"};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = fork();
    if (pid_ == 0) {
      // The server ends with the bench, even when the bench exits on an error.
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      int devnull = open("/dev/null", O_RDWR);
      dup2(devnull, 0);
      dup2(devnull, 1);
      dup2(fd, 2);
      std::vector<char*> a;
      for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
      a.push_back(nullptr);
      execv(a[0], a.data());
      _exit(127);
    }
    close(fd);
    // Wait for every "ROLE: listening on HOST:PORT" line asked for.
    const bool want_http = std::find(args.begin(), args.end(), "--http") != args.end();
    const bool want_lmtp = std::find(args.begin(), args.end(), "--lmtp") != args.end();
    for (int i = 0; i < 600 && ((want_http && http_port == 0) || (want_lmtp && lmtp_port == 0)); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      std::ifstream f(log_);
      std::string line;
      while (std::getline(f, line)) {
        auto at = line.find(": listening on ");
        if (at == std::string::npos) continue;
        int port = std::atoi(line.substr(line.rfind(':') + 1).c_str());
        if (line.rfind("http", 0) == 0) http_port = port;
        if (line.rfind("lmtp", 0) == 0) lmtp_port = port;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
    }
    if ((want_http && http_port == 0) || (want_lmtp && lmtp_port == 0)) {
      std::fprintf(stderr, "serve did not start:\n%s\n", log().c_str());
      std::exit(1);
    }
  }
  ~Server() {
    stop();
    unlink(log_.c_str());
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  std::string log() const {
    std::ifstream f(log_);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  int pid() const { return pid_; }

  int http_port = 0;
  int lmtp_port = 0;

 private:
  pid_t pid_ = -1;
  std::string log_;
};

// CPU seconds (user + system) process pid has used: /proc/PID/stat, fields 14 and 15.
inline double cpu_seconds_of(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces; the fields after its ')' do not.
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU seconds (user + system) this process, every thread of it, has used.
inline double own_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return s(u.ru_utime) + s(u.ru_stime);
}

}  // namespace mailcase::bench
