#include "support/test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

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
  return run_program(MAILCASE_BINARY, args, stdin_text);
}

std::string init_data_dir(const std::filesystem::path& data, const std::vector<std::string>& addresses) {
  auto failed = [](const std::string& what, const CommandResult& r) {
    return what + " exited " + std::to_string(r.exit_code) + ": " + r.err + r.out;
  };
  if (auto r = run_mailcase({"--data", data.string(), "init"}); r.exit_code != 0) return failed("init", r);
  for (const auto& a : addresses) {
    if (auto r = run_mailcase({"--data", data.string(), "address", "add", a}); r.exit_code != 0)
      return failed("address add " + a, r);
  }
  return {};
}

std::string agent_with_token(const std::filesystem::path& data, const std::string& email,
                             const std::string& name) {
  if (run_mailcase({"--data", data.string(), "agent", "add", "--email", email, "--name", name}).exit_code !=
      0)
    return {};
  auto t = run_mailcase({"--data", data.string(), "token", "create", "--agent", email});
  if (t.exit_code != 0 || t.out.size() < 2) return {};
  // The token is the output's last line.
  std::string token = t.out.substr(t.out.rfind('\n', t.out.size() - 2) + 1);
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  return token;
}

namespace {

// The argv of an exec: pointers into `strings`, which must outlive it, ending in null.
// Made before fork(): the child of a process with threads may not allocate.
std::vector<char*> exec_pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// The program's path, then its arguments.
std::vector<std::string> command_line(const std::string& program, const std::vector<std::string>& args) {
  std::vector<std::string> out{program};
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

}  // namespace

CommandResult run_program(const std::string& program, const std::vector<std::string>& args,
                          const std::string& stdin_text) {
  TempDir io;
  std::vector<std::string> line = command_line(program, args);
  const std::vector<char*> argv = exec_pointers(line);
  auto in_path = io.path() / "in", out_path = io.path() / "out", err_path = io.path() / "err";
  { std::ofstream(in_path, std::ios::binary) << stdin_text; }
  pid_t pid = ::fork();
  if (pid == 0) {
    if (!std::freopen(in_path.c_str(), "rb", stdin) || !std::freopen(out_path.c_str(), "wb", stdout) ||
        !std::freopen(err_path.c_str(), "wb", stderr))
      _exit(127);
    ::execv(argv[0], argv.data());
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

Background::Background(const std::vector<std::string>& args) {
  auto err_path = io_.path() / "err";
  std::vector<std::string> line = command_line(MAILCASE_BINARY, args);
  const std::vector<char*> argv = exec_pointers(line);
  pid_ = ::fork();
  if (pid_ == 0) {
    if (!std::freopen("/dev/null", "rb", stdin) ||
        !std::freopen((io_.path() / "out").c_str(), "wb", stdout) ||
        !std::freopen(err_path.c_str(), "wb", stderr))
      _exit(127);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
}

Background::~Background() {
  if (pid_ > 0) stop(SIGKILL);
}

int Background::stop(int sig) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool Background::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  return ::waitpid(pid_, &status, WNOHANG) == 0;
}

std::string Background::err() const {
  return read_file(io_.path() / "err");
}

bool wait_until(const std::function<bool()>& pred, int timeout_ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

namespace {
std::string fixture_script() {
  return std::string(MAILCASE_SOURCE_DIR) + "/tests/fixtures/dovecot/dovecot-fixture";
}
int sh(const std::string& cmd) {
  return std::system(cmd.c_str());
}
}  // namespace

Dovecot::Dovecot() {
  if (sh("command -v dovecot >/dev/null 2>&1 || test -x /usr/sbin/dovecot") != 0) {
    why_ = "dovecot is not installed (scripts/setup installs it)";
    return;
  }
  auto d = dir_.path() / "dc";
  if (sh("'" + fixture_script() + "' start '" + d.string() + "' >'" + (dir_.path() / "start.log").string() +
         "' 2>&1") != 0) {
    why_ = "the Dovecot fixture did not start: " + read_file(dir_.path() / "start.log");
    return;
  }
  std::istringstream env(read_file(d / "ports.env"));
  std::string line;
  while (std::getline(env, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string k = line.substr(0, eq);
    int v = std::atoi(line.c_str() + eq + 1);
    if (k == "IMAP_PORT") imap_port = v;
    if (k == "IMAPS_PORT") imaps_port = v;
    if (k == "POP3_PORT") pop3_port = v;
    if (k == "POP3S_PORT") pop3s_port = v;
    if (k == "LMTP_PORT") lmtp_port = v;
  }
  std::filesystem::copy_file(d / "ca.pem", dir_.path() / "ca.pem");
  ok_ = imap_port && imaps_port && pop3_port && pop3s_port && lmtp_port;
  if (!ok_) why_ = "the Dovecot fixture wrote no ports";
}

Dovecot::~Dovecot() {
  if (ok_) stop_server();
}

bool Dovecot::deliver(const std::string& user, const std::string& raw) {
  auto f = dir_.path() / "mail.eml";
  std::ofstream(f, std::ios::binary) << raw;
  return sh("'" + fixture_script() + "' deliver '" + (dir_.path() / "dc").string() + "' " + user + " <'" +
            f.string() + "' >/dev/null 2>&1") == 0;
}

bool Dovecot::stop_server() {
  return sh("'" + fixture_script() + "' stop '" + (dir_.path() / "dc").string() + "' >/dev/null 2>&1") == 0;
}

bool Dovecot::start_server() {
  return sh("'" + fixture_script() + "' again '" + (dir_.path() / "dc").string() + "' >'" +
            (dir_.path() / "again.log").string() + "' 2>&1") == 0;
}

std::string Dovecot::start_log() const {
  return read_file(dir_.path() / "again.log");
}

Postfix::Postfix(int lmtp_port, const std::filesystem::path& dovecot_dir) {
  if (sh("test -x /usr/sbin/postfix") != 0) {
    why_ = "postfix is not installed (scripts/setup installs it)";
    return;
  }
  if (::geteuid() != 0) {
    why_ = "the Postfix fixture needs root";
    return;
  }
  const std::string script = std::string(MAILCASE_SOURCE_DIR) + "/tests/fixtures/postfix/postfix-fixture";
  auto d = dir_.path() / "pf";
  if (sh("'" + script + "' start '" + d.string() + "' " + std::to_string(lmtp_port) + " '" +
         dovecot_dir.string() + "' >'" + (dir_.path() / "start.log").string() + "' 2>&1") != 0) {
    why_ = "the Postfix fixture did not start: " + read_file(dir_.path() / "start.log");
    return;
  }
  std::istringstream env(read_file(d / "ports.env"));
  std::string line;
  while (std::getline(env, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string k = line.substr(0, eq);
    const int v = std::atoi(line.c_str() + eq + 1);
    if (k == "SMTP_PORT") smtp_port = v;
    if (k == "SUBMISSION_PORT") submission_port = v;
    if (k == "SMTPS_PORT") smtps_port = v;
  }
  ok_ = smtp_port > 0;
  if (!ok_) why_ = "the Postfix fixture wrote no port";
}

Postfix::~Postfix() {
  if (ok_) {
    const std::string script = std::string(MAILCASE_SOURCE_DIR) + "/tests/fixtures/postfix/postfix-fixture";
    sh("'" + script + "' stop '" + (dir_.path() / "pf").string() + "' >/dev/null 2>&1");
  }
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace mailcase::testing
