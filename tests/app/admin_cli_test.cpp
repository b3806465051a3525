// The admin commands write through admin/admin.h, as the REST API does: the same checks,
// the same words. A contact's addresses are checked, a mailbox's name is one that can
// name its secrets' files, and a refused command stores nothing.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mailcase {
namespace {

using mailcase::testing::CommandResult;
using mailcase::testing::run_mailcase;

class AdminCli : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    ASSERT_EQ(run({"init"}).exit_code, 0);
  }
  CommandResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_});
    return run_mailcase(args);
  }
  mailcase::testing::TempDir dir_;
  std::string data_;
};

TEST_F(AdminCli, AContactWithABadAddressIsRefusedAndNotStored) {
  auto bad = run({"contact", "add", "--name", "Eve", "--email", "eve@x.example, bob@y.example"});
  EXPECT_EQ(bad.exit_code, 65) << bad.err;
  EXPECT_NE(bad.err.find("emails: not an e-mail address"), std::string::npos) << bad.err;
  auto ok = run({"contact", "add", "--name", "Eve", "--email", "Eve@X.example"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out.rfind("contact 1 Eve", 0), 0u) << ok.out;  // the refused one took no id
  auto again = run({"contact", "add", "--name", "Eve 2", "--email", "eve@x.example"});
  EXPECT_EQ(again.exit_code, 65);
  EXPECT_NE(again.err.find("belongs to another contact already"), std::string::npos) << again.err;
  auto no_account = run({"contact", "add", "--name", "Fay", "--email", "fay@x.example", "--account", "Nope"});
  EXPECT_EQ(no_account.exit_code, 66);
  EXPECT_NE(no_account.err.find("no account named Nope"), std::string::npos) << no_account.err;
}

TEST_F(AdminCli, TwoContactsOfOnePersonAreMergedByAddressOrNumber) {
  ASSERT_EQ(run({"contact", "add", "--name", "Ann Smith", "--email", "ann@acme.example"}).exit_code, 0);
  ASSERT_EQ(
      run({"contact", "add", "--name", "Annie", "--email", "ann@home.example", "--language", "fr"}).exit_code,
      0);
  auto unknown = run({"contact", "merge", "nobody@x.example", "ann@acme.example"});
  EXPECT_EQ(unknown.exit_code, 66) << unknown.err;
  EXPECT_NE(unknown.err.find("from: no contact nobody@x.example"), std::string::npos) << unknown.err;
  auto itself = run({"contact", "merge", "ann@home.example", "2"});
  EXPECT_EQ(itself.exit_code, 65) << itself.err;
  EXPECT_NE(itself.err.find("into: a contact cannot be merged into itself"), std::string::npos) << itself.err;

  auto merged = run({"contact", "merge", "ANN@home.example", "1"});
  EXPECT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_EQ(merged.out.substr(0, merged.out.find_last_not_of('\n') + 1),
            "contact 1 Ann Smith ann@acme.example ann@home.example");
  // The address is Ann Smith's now, and Annie is no more.
  auto taken = run({"contact", "add", "--name", "Other", "--email", "ann@home.example"});
  EXPECT_EQ(taken.exit_code, 65);
  EXPECT_NE(taken.err.find("belongs to another contact already"), std::string::npos) << taken.err;
  EXPECT_EQ(run({"contact", "merge", "2", "1"}).exit_code, 66);
}

TEST_F(AdminCli, AContactMadeByMistakeIsRemovedByAddressOrNumber) {
  ASSERT_EQ(run({"contact", "add", "--name", "Ann Smtih", "--email", "ann@acme.exmaple"}).exit_code, 0);
  EXPECT_EQ(run({"contact", "remove", "nobody@x.example"}).exit_code, 66);
  auto removed = run({"contact", "remove", "ANN@acme.exmaple"});
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(removed.out.substr(0, removed.out.find_last_not_of('\n') + 1), "removed contact 1");
  EXPECT_EQ(run({"contact", "remove", "1"}).exit_code, 66);
  // The address is free again; the audit says a contact was removed, naming no one.
  EXPECT_EQ(run({"contact", "add", "--name", "Ann Smith", "--email", "ann@acme.exmaple"}).exit_code, 0);
  auto audit = run({"audit", "--limit", "5"});
  EXPECT_NE(audit.out.find("contact_removed"), std::string::npos) << audit.out;
  EXPECT_EQ(audit.out.find("Smtih"), std::string::npos) << audit.out;
}

TEST_F(AdminCli, AnAccountNothingNamesIsRemovedByName) {
  ASSERT_EQ(run({"account", "add", "--name", "Acme"}).exit_code, 0);
  ASSERT_EQ(run({"account", "add", "--name", "Gone Ltd"}).exit_code, 0);
  ASSERT_EQ(
      run({"contact", "add", "--name", "Ann", "--email", "ann@acme.example", "--account", "Acme"}).exit_code,
      0);
  auto named = run({"account", "remove", "Acme"});
  EXPECT_EQ(named.exit_code, 65) << named.err;
  EXPECT_NE(named.err.find("has contacts"), std::string::npos) << named.err;
  EXPECT_EQ(run({"account", "remove", "Nope"}).exit_code, 66);
  auto removed = run({"account", "remove", "Gone Ltd"});
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(removed.out.substr(0, removed.out.find_last_not_of('\n') + 1), "removed account 2");
  EXPECT_EQ(run({"account", "remove", "Gone Ltd"}).exit_code, 66);
}

TEST_F(AdminCli, TheAuditListsWhatAdminsDidNewestFirst) {
  ASSERT_EQ(run({"agent", "add", "--name", "Bob", "--email", "bob@corp.example"}).exit_code, 0);
  ASSERT_EQ(
      run({"agent", "add", "--name", "Ada", "--email", "ada@corp.example", "--role", "admin"}).exit_code, 0);
  auto lines = run({"audit"});
  ASSERT_EQ(lines.exit_code, 0) << lines.err;
  const auto ada = lines.out.find("ada@corp.example");
  const auto bob = lines.out.find("bob@corp.example");
  ASSERT_NE(ada, std::string::npos) << lines.out;
  ASSERT_NE(bob, std::string::npos) << lines.out;
  EXPECT_LT(ada, bob) << "newest first";
  auto one = run({"audit", "--limit", "1", "--json"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  auto j = nlohmann::json::parse(one.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["action"], "agent_added");
  EXPECT_NE(j[0]["details"].dump().find("ada@corp.example"), std::string::npos) << one.out;
  EXPECT_NE(run({"audit", "--limit", "0"}).exit_code, 0);
}

TEST_F(AdminCli, AMailboxNameMustBeAbleToNameItsFiles) {
  const auto pw = (dir_.path() / "pw").string();
  std::ofstream(pw) << "secret\n";
  auto bad = run({"mailbox", "add", "../in", "--protocol", "imap", "--host", "imap.example", "--port", "993",
                  "--tls", "implicit", "--user", "u", "--password-file", pw});
  EXPECT_EQ(bad.exit_code, 64) << bad.err;
  EXPECT_NE(bad.err.find("name:"), std::string::npos) << bad.err;
  auto list = run({"mailbox", "list", "--json"});
  EXPECT_EQ(nlohmann::json::parse(list.out).size(), 0u);
  auto ok = run({"mailbox", "add", "in", "--protocol", "imap", "--host", "imap.example", "--port", "993",
                 "--tls", "implicit", "--user", "u", "--password-file", pw});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  auto removed = run({"mailbox", "remove", "in"});
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_TRUE(std::filesystem::exists(pw));  // a file the admin named stays theirs
}

}  // namespace
}  // namespace mailcase
