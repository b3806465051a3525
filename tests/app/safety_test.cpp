// What the command line protects: private data at rest, a terminal safe from the text of
// mails, output that never aborts, arguments that are text, secrets that stay secret.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::run_mailcase;
using nlohmann::json;

class Safety : public ::testing::Test {
 protected:
  void SetUp() override { data_ = (dir_.path() / "data").string(); }
  mailcase::testing::CommandResult run(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data_});
    return run_mailcase(args, in);
  }
  void init() {
    auto r = run({"init"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(run({"address", "add", "support@corp.example"}).exit_code, 0);
  }
  mailcase::testing::TempDir dir_;
  std::string data_;
};

std::string mail(const std::string& from, const std::string& subject, const std::string& body,
                 const std::string& id) {
  return "From: " + from + "\r\nTo: support@corp.example\r\nSubject: " + subject + "\r\nMessage-ID: <" + id +
         ">\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n\r\n" +
         body +
         "\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
         "filename=report.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n";
}

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

TEST_F(Safety, DataIsReadableByTheServiceUserAlone) {
  // An administrator made the directory first, with the usual 0755.
  std::filesystem::create_directories(data_);
  ::chmod(data_.c_str(), 0755);
  init();
  auto r = run({"deliver"}, mail("ann@example.com", "Printer", "It jams.", "p1@example.com"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(mode_of(data_), 0700u);
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(data_)) {
    const unsigned mode = mode_of(e.path());
    EXPECT_EQ(mode & 077, 0u) << e.path() << " has mode " << std::oct << mode;
    ++files;
  }
  EXPECT_GT(files, 8);  // db, toml, key, templates, spool, blobs
  EXPECT_EQ(mode_of(std::filesystem::path(data_) / "mailcase.db"), 0600u);
  EXPECT_EQ(mode_of(std::filesystem::path(data_) / "secret.key"), 0600u);
  EXPECT_EQ(mode_of(std::filesystem::path(data_) / "mailcase.toml"), 0600u);
}

TEST_F(Safety, AnotherUserIsShutOutAndTheMtaKeepsTheMail) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a command as another user";
  init();
  // The temporary directory above the data directory is private too; open it up so
  // that only the data directory's own mode stands in the way.
  ::chmod(dir_.path().c_str(), 0755);
  const std::string cmd =
      "printf 'From: a@example.com\\r\\nSubject: x\\r\\nMessage-ID: <n1@example.com>\\r\\n\\r\\nhi\\r\\n' | "
      "su -s /bin/sh nobody -c \"'" MAILCASE_BINARY "' --data '" +
      data_ + "' deliver\" 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  EXPECT_EQ(WEXITSTATUS(status), 75) << out;  // EX_TEMPFAIL: the MTA tries again later
  EXPECT_NE(out.find("Permission denied"), std::string::npos) << out;
  EXPECT_NE(out.find("data directory's owner"), std::string::npos) << out;
  EXPECT_EQ(run({"message", "list", "--json"}).out, "[]\n");
}

TEST_F(Safety, AnOpenDataDirectoryIsReported) {
  init();
  ::chmod(data_.c_str(), 0755);
  auto r = run({"case", "list"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("can be read by other users"), std::string::npos) << r.err;
  ::chmod(data_.c_str(), 0700);
  EXPECT_EQ(run({"case", "list"}).err, "");
}

TEST_F(Safety, ControlCharactersFromMailNeverReachTheTerminal) {
  init();
  const std::string evil =
      "\x1b]0;pwned\x07\x1b[2J\xc2\x9b"
      "31m";
  auto r = run({"deliver"}, mail("\"Eve " + evil + "\" <eve@example.com>", "Hello " + evil,
                                 "Body " + evil + " end", "e1@example.com"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::vector<std::string>& cmd : {std::vector<std::string>{"case", "list"},
                                              {"case", "show", "CS0000001"},
                                              {"message", "list"},
                                              {"case", "show", "CS0000001", "--json"},
                                              {"message", "list", "--json"}}) {
    auto out = run(cmd);
    ASSERT_EQ(out.exit_code, 0) << out.err;
    EXPECT_EQ(out.out.find('\x1b'), std::string::npos) << cmd[1];
    EXPECT_EQ(out.out.find('\x07'), std::string::npos) << cmd[1];
    EXPECT_EQ(out.out.find("\xc2\x9b"), std::string::npos) << cmd[1];
  }
  // The text itself is still there around the replaced controls.
  EXPECT_NE(run({"case", "list"}).out.find("Hello"), std::string::npos);
}

TEST_F(Safety, ANameFromMailIsOneLineWithoutControlCharacters) {
  init();
  // Encoded words decode to what the raw header could not hold: a CR LF that would start
  // a header of its own wherever the name is written, and other controls.
  auto r = run(
      {"deliver"},
      mail("=?utf-8?b?RXZlDQpCY2M6IHZpY3RpbTJAZXZpbC5leGFtcGxl?= <eve@example.com>",  // Eve CR LF Bcc: ...
           "=?utf-8?b?SW52b2ljZQ0KWC1JbmplY3RlZDogMQc=?=",  // Invoice CR LF X-Injected: 1 BEL
           "Pay now.", "n1@example.com"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto shown = run({"case", "show", "CS0000001", "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  auto j = json::parse(shown.out);
  EXPECT_EQ(j["contact"]["name"], "Eve Bcc: victim2@evil.example");
  EXPECT_EQ(j["comments"][0]["author"], "Eve Bcc: victim2@evil.example <eve@example.com>");
  EXPECT_EQ(j["subject"], "Invoice X-Injected: 1");
  // Nor do the lists print a line of the name's own.
  for (const std::vector<std::string>& cmd :
       {std::vector<std::string>{"case", "list"}, {"case", "show", "CS0000001"}}) {
    auto out = run(cmd);
    ASSERT_EQ(out.exit_code, 0) << out.err;
    EXPECT_EQ(out.out.find("\nBcc:"), std::string::npos) << cmd[1] << ":\n" << out.out;
    EXPECT_EQ(out.out.find("\nX-Injected"), std::string::npos) << cmd[1] << ":\n" << out.out;
    EXPECT_EQ(out.out.find('\r'), std::string::npos) << cmd[1];
  }
}

TEST_F(Safety, JsonOutputSurvivesBytesThatAreNotUtf8) {
  init();
  ASSERT_EQ(run({"deliver"}, mail("ann@example.com", "Printer", "It jams.", "p1@example.com")).exit_code, 0);
  // A store written by an older version, or by hand: invalid UTF-8 in a comment.
  const std::string db = data_ + "/mailcase.db";
  ASSERT_EQ(std::system(
                ("sqlite3 '" + db + "' \"UPDATE comments SET body = CAST(X'626164FFFE' AS TEXT)\"").c_str()),
            0);
  auto r = run({"case", "show", "CS0000001", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json::parse(r.out);
  EXPECT_NE(j["comments"][0]["body"].get<std::string>().find("\uFFFD"), std::string::npos);
}

TEST_F(Safety, ArgumentsMustBeText) {
  init();
  auto r = run({"contact", "add", "--name", "Ann\nBcc: x@evil.example", "--email", "ann@example.com"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("not valid UTF-8 text or holds a control character"), std::string::npos) << r.err;
  r = run({"contact", "add", "--name", "Ann \xff", "--email", "ann@example.com"});
  EXPECT_EQ(r.exit_code, 64);
  // Nothing was stored: the address is still free.
  EXPECT_EQ(run({"contact", "add", "--name", "Ann", "--email", "ann@example.com"}).exit_code, 0);

  ASSERT_EQ(run({"deliver"}, mail("ann@example.com", "Printer", "It jams.", "p1@example.com")).exit_code, 0);
  EXPECT_EQ(run({"case", "comment", "CS0000001", "--internal", "--body", "bad \xc3\x28"}).exit_code, 64);
  EXPECT_EQ(run({"case", "comment", "CS0000001", "--internal", "--body", "two\nlines"}).exit_code, 0);
  std::ofstream(dir_.path() / "latin1.txt", std::ios::binary) << "caf\xe9";
  r = run(
      {"case", "comment", "CS0000001", "--internal", "--body-file", (dir_.path() / "latin1.txt").string()});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("UTF-8"), std::string::npos) << r.err;
  auto shown = json::parse(run({"case", "show", "CS0000001", "--json"}).out);
  EXPECT_EQ(shown["comments"].size(), 2u);
}

TEST_F(Safety, ABrokenSecretKeySaysHowToFixIt) {
  init();
  std::ofstream(std::filesystem::path(data_) / "secret.key", std::ios::trunc) << "short";
  auto r = run({"init"});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("secret.key holds 5 bytes"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("remove it"), std::string::npos) << r.err;
}

TEST_F(Safety, NoMailboxPasswordInClearUnlessAllowed) {
  init();
  const auto pw = dir_.path() / "pw";
  std::ofstream(pw) << "alice-secret\n";
  ::chmod(pw.c_str(), 0600);
  std::vector<std::string> add = {
      "mailbox", "add",   "plain", "--protocol", "imap",  "--host",          "127.0.0.1", "--port",
      "143",     "--tls", "none",  "--user",     "alice", "--password-file", pw.string()};
  auto r = run(add);
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("--allow-plaintext-auth yes"), std::string::npos) << r.err;
  EXPECT_EQ(json::parse(run({"mailbox", "list", "--json"}).out).size(), 0u);

  ::chmod(pw.c_str(), 0644);
  add.insert(add.end(), {"--allow-plaintext-auth", "yes"});
  r = run(add);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("chmod 600"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("alice-secret"), std::string::npos);
  auto list = json::parse(run({"mailbox", "list", "--json"}).out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["allow_plaintext_auth"], true);
}

}  // namespace
}  // namespace mailcase
