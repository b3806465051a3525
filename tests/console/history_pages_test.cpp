// What happened, in the console: a case's history page (who opened, changed, assigned the
// case, in words, oldest first, a page at a time) and the administration's log (the
// events of no case, newest first, admins only). Through a real HTTP server in this
// process, with a session as the browser would have.
#include <gtest/gtest.h>

#include <fstream>

#include "config/config.h"
#include "console/console_test_support.h"
#include "console/event_words.h"
#include "ingest/pipeline.h"
#include "runtime/runtime.h"
#include "services/case_services.h"
#include "support/test_support.h"

namespace mailcase::console {
namespace {

TEST(EventWords, EveryActionIsSaidInWordsAndDetailsAreLabelled) {
  using A = store::EventAction;
  for (A a : {A::kCreated, A::kAssigned, A::kChanged, A::kMailBounced, A::kMailFailed, A::kRuleMatched,
              A::kTokenCreated, A::kMessageDismissed, A::kAgentRoleChanged, A::kAlertRuleRemoved})
    EXPECT_STRNE(event_phrase(a), "recorded") << store::to_string(a);
  store::Event e;
  e.action = A::kChanged;
  e.details = {{"field", "queue"}, {"from", ""}, {"to", "billing"}};
  EXPECT_EQ(event_details(e),
            (std::vector<std::pair<std::string, std::string>>{{"Field", "queue"}, {"To", "billing"}}));
  store::Event unassigned;
  unassigned.action = A::kAssigned;
  unassigned.details = {{"owner", ""}};
  EXPECT_EQ(event_details(unassigned),
            (std::vector<std::pair<std::string, std::string>>{{"Owner", "nobody"}}));
}

using mailcase::testing::Answer;

class HistoryPagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    ASSERT_EQ(cli({"init"}).exit_code, 0);
    std::ofstream(data_ / "mailcase.toml") << "[outbound]\nfrom_address = \"support@corp.example\"\n";
    ASSERT_EQ(cli({"address", "add", "support@corp.example"}).exit_code, 0);
    ASSERT_EQ(cli({"agent", "add", "--name", "Bob", "--email", "bob@corp.example"}).exit_code, 0);
    ASSERT_EQ(
        cli({"agent", "add", "--name", "Ada", "--email", "ada@corp.example", "--role", "admin"}).exit_code,
        0);
    auto cfg = config::load(data_ / "mailcase.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    auto rt = runtime::Runtime::open(data_, *cfg);
    ASSERT_TRUE(rt) << rt.error().message;
    rt_ = std::move(*rt);
    const ingest::Envelope env{"test", {"support@corp.example"}, std::nullopt};
    auto made = rt_->ingest().deliver(
        "From: Ann <ann@customer.example>\r\nTo: support@corp.example\r\nSubject: Printer on fire\r\n"
        "Message-ID: <p1@customer.example>\r\n\r\nIt burns.\r\n",
        env);
    ASSERT_TRUE(made) << made.error().message;
    ASSERT_TRUE(made->case_number);
    number_ = *made->case_number;
    services::CaseFields f;
    f.queue = "billing<script>";
    ASSERT_TRUE(rt_->cases().change(services::Actor::agent("bob@corp.example", "console"), number_, f));
    bob_ = std::make_unique<mailcase::testing::ServedConsole>(*rt_, data_, "bob@corp.example");
    ada_ = std::make_unique<mailcase::testing::ServedConsole>(*rt_, data_, "ada@corp.example");
    ASSERT_TRUE(bob_->ok() && ada_->ok());
  }

  mailcase::testing::CommandResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_.string()});
    return mailcase::testing::run_mailcase(args);
  }

  mailcase::testing::TempDir dir_;
  std::filesystem::path data_;
  std::unique_ptr<runtime::Runtime> rt_;
  std::unique_ptr<mailcase::testing::ServedConsole> bob_, ada_;
  std::string number_;
};

TEST_F(HistoryPagesTest, ACasesHistorySaysWhoDidWhatOldestFirst) {
  auto casepage = bob_->get("/cases/" + number_);
  ASSERT_EQ(casepage.status, 200);
  EXPECT_TRUE(casepage.has("href=\"/cases/" + number_ + "/history\"")) << "the case page links to it";

  auto h = bob_->get("/cases/" + number_ + "/history");
  ASSERT_EQ(h.status, 200) << h.body;
  const auto opened = h.body.find("opened the case");
  const auto changed = h.body.find("Bob <span class=\"muted\">bob@corp.example</span> changed the case");
  ASSERT_NE(opened, std::string::npos) << h.body;
  ASSERT_NE(changed, std::string::npos) << h.body;
  EXPECT_LT(opened, changed) << "oldest first";
  EXPECT_TRUE(h.has("billing&lt;script&gt;")) << "details are escaped";
  EXPECT_FALSE(h.has("billing<script>"));
  EXPECT_TRUE(h.has("Printer on fire"));

  // A page at a time (50 events): 60 more changes, the last of them on the second page.
  for (int i = 0; i < 60; ++i) {
    services::CaseFields f;
    f.priority = i % 2 ? "high" : "low";
    ASSERT_TRUE(rt_->cases().change(services::Actor::agent("bob@corp.example", "console"), number_, f));
  }
  auto first = bob_->get("/cases/" + number_ + "/history");
  ASSERT_EQ(first.status, 200);
  EXPECT_TRUE(first.has("opened the case"));
  EXPECT_TRUE(first.has("(62 events, oldest first)")) << first.body;
  const auto at = first.body.find("cursor=");
  ASSERT_NE(at, std::string::npos) << first.body;
  const std::string cursor = first.body.substr(at + 7, first.body.find('"', at) - at - 7);
  auto second = bob_->get("/cases/" + number_ + "/history?cursor=" + cursor);
  ASSERT_EQ(second.status, 200);
  EXPECT_FALSE(second.has("opened the case"));
  EXPECT_TRUE(second.has("First page"));
  size_t events = 0;
  for (auto p = second.body.find("class=\"event\""); p != std::string::npos;
       p = second.body.find("class=\"event\"", p + 1))
    ++events;
  EXPECT_EQ(events, 12u);

  EXPECT_EQ(bob_->get("/cases/CS9999999/history").status, 404);
  EXPECT_EQ(bob_->get("/cases/" + number_ + "/history?cursor=garbage").status, 422);
  EXPECT_NE(bob_->get("/cases/" + number_ + "/history", false).status, 200) << "no session, no history";
}

TEST_F(HistoryPagesTest, TheAdministrationsLogIsForAdminsNewestFirst) {
  ASSERT_EQ(cli({"--as", "ada@corp.example", "message", "dismiss", "999"}).exit_code, 66);
  ASSERT_EQ(cli({"token", "create", "--agent", "bob@corp.example"}).exit_code, 0);
  EXPECT_EQ(bob_->get("/admin/events").status, 403);
  auto log = ada_->get("/admin/events");
  ASSERT_EQ(log.status, 200) << log.body;
  const auto token = log.body.find("created an API token");
  const auto agent = log.body.find("added an agent");
  ASSERT_NE(token, std::string::npos) << log.body;
  ASSERT_NE(agent, std::string::npos) << log.body;
  EXPECT_LT(token, agent) << "newest first";
  EXPECT_FALSE(log.has("opened the case")) << "a case's events are on its page";
  EXPECT_TRUE(ada_->get("/admin").has("href=\"/admin/events\""));
}

}  // namespace
}  // namespace mailcase::console
