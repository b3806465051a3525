// A new case from a mail follows the process of its routing address, or of the mailbox it
// was fetched from (the address's winning), from the process's first stage.
#include <gtest/gtest.h>

#include <fstream>

#include "config/config.h"
#include "ingest/case_process.h"
#include "ingest/pipeline.h"
#include "runtime/runtime.h"
#include "support/test_support.h"

namespace mailcase::ingest {
namespace {

TEST(CaseProcessTest, TheMailboxIsNamedByAMailboxAgentsSourceOnly) {
  EXPECT_EQ(mailbox_of_source("imap:inbox1"), "inbox1");
  EXPECT_EQ(mailbox_of_source("pop3:shop"), "shop");
  for (const char* other : {"lmtp", "pipe", "import:/var/mail/x", "imap:", "test", ""})
    EXPECT_FALSE(mailbox_of_source(other)) << other;
}

TEST(CaseProcessTest, TheAddresssProcessWinsOverTheMailboxs) {
  store::RoutingAddress a;
  store::Mailbox m;
  m.process = "Billing";
  EXPECT_EQ(case_process(&a, &m), "Billing");
  a.process = "Support";
  EXPECT_EQ(case_process(&a, &m), "Support");
  EXPECT_EQ(case_process(&a, nullptr), "Support");
  EXPECT_EQ(case_process(nullptr, &m), "Billing");
  EXPECT_EQ(case_process(nullptr, nullptr), "");
}

class ProcessIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    run({"init"});
    run({"process", "add", "Support", "--stages", "New,Analysis,Fix,Done"});
    run({"process", "add", "Billing", "--stages", "Received,Paid"});
    run({"address", "add", "support@corp.example", "--process", "Support"});
    run({"address", "add", "billing@corp.example"});
    auto cfg = config::load(data_ / "mailcase.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    auto rt = runtime::Runtime::open(data_, *cfg);
    ASSERT_TRUE(rt) << rt.error().message;
    rt_ = std::move(*rt);
    // A mailbox whose mail counts as sent to billing@: made in the store (no server here).
    store::Mailbox m;
    m.name = "inbox1";
    m.host = "127.0.0.1";
    m.port = 993;
    m.user = "billing";
    m.address = "billing@corp.example";
    m.process = "Billing";
    ASSERT_TRUE(rt_->store().add_mailbox(m));
  }
  void run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_.string()});
    auto r = mailcase::testing::run_mailcase(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  store::Case deliver(const std::string& to, const std::string& id, const std::string& source) {
    auto o = rt_->ingest().deliver("From: Alice <alice@example.org>\r\nTo: " + to +
                                       "\r\nSubject: Printer\r\nMessage-ID: <" + id +
                                       "@example.org>\r\n\r\nIt does not print.\r\n",
                                   Envelope{source, {to}, std::nullopt});
    EXPECT_TRUE(o) << o.error().message;
    if (!o || !o->case_number) return {};
    auto c = rt_->store().find_case_by_number(*o->case_number);
    EXPECT_TRUE(c && *c);
    return c && *c ? **c : store::Case{};
  }

  mailcase::testing::TempDir dir_;
  std::filesystem::path data_;
  std::unique_ptr<runtime::Runtime> rt_;
};

TEST_F(ProcessIngestTest, AMailToAnAddressOfAProcessStartsAtItsFirstStage) {
  auto c = deliver("support@corp.example", "a1", "lmtp");
  EXPECT_EQ(c.process, "Support");
  EXPECT_EQ(c.stage, "New");
  // An address of no process, not from a mailbox: none.
  auto plain = deliver("billing@corp.example", "a2", "lmtp");
  EXPECT_EQ(plain.process, "");
  EXPECT_EQ(plain.stage, "");
}

TEST_F(ProcessIngestTest, AMailFetchedFromAMailboxOfAProcessStartsAtItsFirstStage) {
  auto c = deliver("billing@corp.example", "m1", "imap:inbox1");
  EXPECT_EQ(c.process, "Billing");
  EXPECT_EQ(c.stage, "Received");
  auto pop = deliver("billing@corp.example", "m2", "pop3:inbox1");
  EXPECT_EQ(pop.process, "Billing");
  // Another mailbox's name, or none: no process.
  EXPECT_EQ(deliver("billing@corp.example", "m3", "imap:other").process, "");
}

TEST_F(ProcessIngestTest, TheAddresssProcessWinsOverTheMailboxs) {
  auto c = deliver("support@corp.example", "w1", "imap:inbox1");
  EXPECT_EQ(c.process, "Support");
  EXPECT_EQ(c.stage, "New");
}

}  // namespace
}  // namespace mailcase::ingest
