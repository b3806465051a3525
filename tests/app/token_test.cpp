// Agents' access through the command line: `agent password`, `token create/list/revoke`,
// and what the tokens it makes let in (access::authenticate, as the HTTP API calls it).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "access/authenticate.h"
#include "access/credentials.h"
#include "store/store.h"
#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::run_mailcase;
using nlohmann::json;

class AgentAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    ASSERT_EQ(run({"init"}).exit_code, 0);
    auto r = run({"agent", "add", "--name", "Marek", "--email", "marek@corp.example"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run({"agent", "add", "--name", "Ada", "--email", "ada@corp.example", "--role", "admin"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  mailcase::testing::CommandResult run(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--data", data_});
    return run_mailcase(args, in);
  }
  std::unique_ptr<store::Store> open_store() {
    auto s = store::open_sqlite(std::filesystem::path(data_) / "mailcase.db");
    EXPECT_TRUE(s) << s.error().message;
    return s ? std::move(*s) : nullptr;
  }
  std::optional<std::string> password_hash(const std::string& email) {
    auto s = open_store();
    auto h = s->agent_password_hash(email);
    EXPECT_TRUE(h) << h.error().message;
    return h ? *h : std::nullopt;
  }
  // The token `token create` printed: its last line.
  static std::string last_line(const std::string& out) {
    std::string s = out;
    while (!s.empty() && s.back() == '\n') s.pop_back();
    auto nl = s.rfind('\n');
    return nl == std::string::npos ? s : s.substr(nl + 1);
  }
  std::string create_token(const std::string& email, const std::string& label = "") {
    std::vector<std::string> args = {"token", "create", "--agent", email};
    if (!label.empty()) args.insert(args.end(), {"--label", label});
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return last_line(r.out);
  }
  Result<store::Agent> authenticate(const std::string& token) {
    auto s = open_store();
    return access::authenticate(*s, "Bearer " + token, store::now_iso8601());
  }
  json tokens() {
    auto r = run({"token", "list", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  mailcase::testing::TempDir dir_;
  std::string data_;
};

TEST_F(AgentAccess, APasswordIsReadFromTheFirstLineOfStdinAndStoredAsArgon2id) {
  EXPECT_FALSE(password_hash("marek@corp.example"));
  auto r = run({"agent", "password", "Marek@corp.example"}, "horse battery staple\nsecond line\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("marek@corp.example: password set; signed out of the console"), std::string::npos)
      << r.out;
  EXPECT_EQ((r.out + r.err).find("horse"), std::string::npos);
  auto h = password_hash("marek@corp.example");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u) << *h;
  EXPECT_TRUE(access::verify_password(*h, "horse battery staple"));
  EXPECT_FALSE(access::verify_password(*h, "horse battery staple\n"));
  EXPECT_FALSE(password_hash("ada@corp.example"));

  // An admin resets it the same way; a CRLF line ending is not part of the password.
  r = run({"agent", "password", "marek@corp.example"}, "new-pass-word\r\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  h = password_hash("marek@corp.example");
  ASSERT_TRUE(h);
  EXPECT_TRUE(access::verify_password(*h, "new-pass-word"));
  EXPECT_FALSE(access::verify_password(*h, "horse battery staple"));
}

TEST_F(AgentAccess, ABadPasswordIsRefusedAndTheOldOneKept) {
  ASSERT_EQ(run({"agent", "password", "marek@corp.example"}, "the old password\n").exit_code, 0);
  for (const auto& [in, why] : std::initializer_list<std::pair<std::string, std::string>>{
           {"", "the password is empty"},
           {"\n", "the password is empty"},
           {"short\n", "shorter than 8 characters"},
           {std::string(5000, 'x'), "longer than 1024 bytes"}}) {
    auto r = run({"agent", "password", "marek@corp.example"}, in);
    EXPECT_EQ(r.exit_code, 65) << in.size();
    EXPECT_NE(r.err.find(why), std::string::npos) << r.err;
  }
  auto h = password_hash("marek@corp.example");
  ASSERT_TRUE(h);
  EXPECT_TRUE(access::verify_password(*h, "the old password"));

  auto unknown = run({"agent", "password", "nobody@corp.example"}, "a fine password\n");
  EXPECT_EQ(unknown.exit_code, 66);
  EXPECT_NE(unknown.err.find("no agent nobody@corp.example"), std::string::npos) << unknown.err;
}

TEST_F(AgentAccess, ACreatedTokenIsPrintedOnceOnItsLastLineAndAuthenticatesItsAgent) {
  auto r = run({"token", "create", "--agent", "MAREK@corp.example", "--label", "ci"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string token = last_line(r.out);
  EXPECT_EQ(token.rfind("mct_", 0), 0u) << r.out;
  auto who = authenticate(token);
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_EQ(who->email, "marek@corp.example");
  EXPECT_EQ(who->role, store::AgentRole::kAgent);

  const std::string admin_token = create_token("ada@corp.example");
  auto admin = authenticate(admin_token);
  ASSERT_TRUE(admin) << admin.error().message;
  EXPECT_EQ(admin->role, store::AgentRole::kAdmin);
  EXPECT_NE(token, admin_token);
  auto wrong = authenticate(access::new_api_token());
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kNotFound);

  auto all = tokens();
  ASSERT_EQ(all.size(), 2u) << all.dump(1);
  EXPECT_EQ(all[0].value("agent", ""), "marek@corp.example");
  EXPECT_EQ(all[0].value("label", ""), "ci");
  EXPECT_EQ(all[0].value("state", ""), "active");
  EXPECT_FALSE(all[0].value("created_at", "").empty());
  EXPECT_TRUE(all[0]["last_used_at"].is_string()) << all.dump(1);  // authenticate used it
  EXPECT_TRUE(all[0]["revoked_at"].is_null());
  EXPECT_EQ(all[1].value("agent", ""), "ada@corp.example");
  EXPECT_EQ(all[1].value("label", ""), "");
}

TEST_F(AgentAccess, TheListNeverShowsATokenOrItsDigest) {
  const std::string token = create_token("marek@corp.example", "laptop");
  const std::string digest = access::token_digest(token);
  for (bool as_json : {false, true}) {
    std::vector<std::string> args = {"token", "list"};
    if (as_json) args.push_back("--json");
    auto r = run(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("marek@corp.example"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("laptop"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find(token), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find(token.substr(4, 12)), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find(digest), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find(digest.substr(0, 12)), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("digest"), std::string::npos) << r.out;
  }
  // Nor does anything else the admin runs after it.
  auto agents = run({"agent", "list", "--json"});
  EXPECT_EQ(agents.out.find(digest.substr(0, 12)), std::string::npos);
}

TEST_F(AgentAccess, ARevokedTokenNoLongerAuthenticates) {
  const std::string kept = create_token("marek@corp.example", "kept");
  const std::string token = create_token("marek@corp.example", "lost laptop");
  ASSERT_TRUE(authenticate(token));
  const int64_t id = tokens()[1].value("id", int64_t{0});
  ASSERT_GT(id, 0);

  auto r = run({"token", "revoke", std::to_string(id)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("revoked"), std::string::npos) << r.out;
  auto refused = authenticate(token);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(authenticate(kept));  // only that one

  auto all = tokens();
  EXPECT_EQ(all[0].value("state", ""), "active");
  EXPECT_EQ(all[1].value("state", ""), "revoked");
  EXPECT_TRUE(all[1]["revoked_at"].is_string());
  EXPECT_NE(run({"token", "list"}).out.find("revoked"), std::string::npos);

  auto again = run({"token", "revoke", std::to_string(id)});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("revoked already"), std::string::npos) << again.out;
  auto unknown = run({"token", "revoke", "999"});
  EXPECT_EQ(unknown.exit_code, 66);
  EXPECT_NE(unknown.err.find("no token 999"), std::string::npos) << unknown.err;
  EXPECT_NE(run({"token", "revoke", "one"}).exit_code, 0);
}

TEST_F(AgentAccess, UnknownAndDisabledAgentsGetNoTokenAndADisabledAgentsTokenStopsWorking) {
  auto unknown = run({"token", "create", "--agent", "nobody@corp.example"});
  EXPECT_EQ(unknown.exit_code, 66);
  EXPECT_NE(unknown.err.find("no agent nobody@corp.example"), std::string::npos) << unknown.err;

  const std::string token = create_token("marek@corp.example");
  ASSERT_TRUE(authenticate(token));
  ASSERT_EQ(run({"agent", "disable", "marek@corp.example"}).exit_code, 0);
  auto refused = authenticate(token);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kNotFound);
  auto disabled = run({"token", "create", "--agent", "marek@corp.example"});
  EXPECT_EQ(disabled.exit_code, 65);
  EXPECT_NE(disabled.err.find("disabled"), std::string::npos) << disabled.err;
  EXPECT_EQ(tokens().size(), 1u);

  // Disabling suspends the agent's tokens; enabling them again lets them back in.
  ASSERT_EQ(run({"agent", "enable", "marek@corp.example"}).exit_code, 0);
  EXPECT_TRUE(authenticate(token));
}

// Hashes and digests are at rest in the store: it stays readable by its owner alone.
TEST_F(AgentAccess, TheStoreStaysPrivateToItsOwner) {
  ASSERT_EQ(run({"agent", "password", "marek@corp.example"}, "horse battery staple\n").exit_code, 0);
  create_token("marek@corp.example");
  for (const char* name : {"mailcase.db", "mailcase.db-wal", "mailcase.db-shm"}) {
    auto path = std::filesystem::path(data_) / name;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;  // -wal and -shm only while open
    EXPECT_EQ(st.st_mode & 077, 0u) << name << " mode " << std::oct << (st.st_mode & 0777);
  }
  struct stat dir {};
  ASSERT_EQ(::stat(data_.c_str(), &dir), 0);
  EXPECT_EQ(dir.st_mode & 077, 0u);
}

}  // namespace
}  // namespace mailcase
