// What happened, in the console: a case's history page (who opened, changed, assigned the
// case, in words, oldest first, a page at a time) and the administration's log (the
// events of no case, newest first, admins only). Through a real HTTP server in this
// process, with a session as the browser would have.
#include <gtest/gtest.h>

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

class HistoryPagesTest : public mailcase::testing::ConsolePagesTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(make_data());
    ASSERT_EQ(
        cli({"agent", "add", "--name", "Ada", "--email", "ada@corp.example", "--role", "admin"}).exit_code,
        0);
    ASSERT_NO_FATAL_FAILURE(open_runtime());
    auto made = deliver(
        "From: Ann <ann@customer.example>\r\nTo: support@corp.example\r\nSubject: Printer on fire\r\n"
        "Message-ID: <p1@customer.example>\r\n\r\nIt burns.\r\n");
    ASSERT_TRUE(made.case_number);
    number_ = *made.case_number;
    services::CaseFields f;
    f.queue = "billing<script>";
    ASSERT_TRUE(rt_->cases().change(services::Actor::agent("bob@corp.example", "console"), number_, f));
    ASSERT_NO_FATAL_FAILURE(serve());
    ada_ = std::make_unique<mailcase::testing::ServedConsole>(*rt_, data_, "ada@corp.example");
    ASSERT_TRUE(ada_->ok());
  }

  std::unique_ptr<mailcase::testing::ServedConsole> ada_;
  std::string number_;
};

TEST_F(HistoryPagesTest, ACasesHistorySaysWhoDidWhatOldestFirst) {
  auto casepage = served_->get("/cases/" + number_);
  ASSERT_EQ(casepage.status, 200);
  EXPECT_TRUE(casepage.has("href=\"/cases/" + number_ + "/history\"")) << "the case page links to it";

  auto h = served_->get("/cases/" + number_ + "/history");
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
  auto first = served_->get("/cases/" + number_ + "/history");
  ASSERT_EQ(first.status, 200);
  EXPECT_TRUE(first.has("opened the case"));
  EXPECT_TRUE(first.has("(62 events, oldest first)")) << first.body;
  const auto at = first.body.find("cursor=");
  ASSERT_NE(at, std::string::npos) << first.body;
  const std::string cursor = first.body.substr(at + 7, first.body.find('"', at) - at - 7);
  auto second = served_->get("/cases/" + number_ + "/history?cursor=" + cursor);
  ASSERT_EQ(second.status, 200);
  EXPECT_FALSE(second.has("opened the case"));
  EXPECT_TRUE(second.has("First page"));
  size_t events = 0;
  for (auto p = second.body.find("class=\"event\""); p != std::string::npos;
       p = second.body.find("class=\"event\"", p + 1))
    ++events;
  EXPECT_EQ(events, 12u);

  EXPECT_EQ(served_->get("/cases/CS9999999/history").status, 404);
  EXPECT_EQ(served_->get("/cases/" + number_ + "/history?cursor=garbage").status, 422);
  EXPECT_NE(served_->get("/cases/" + number_ + "/history", false).status, 200) << "no session, no history";
}

TEST_F(HistoryPagesTest, TheAdministrationsLogIsForAdminsNewestFirst) {
  ASSERT_EQ(cli({"--as", "ada@corp.example", "message", "dismiss", "999"}).exit_code, 66);
  ASSERT_EQ(cli({"token", "create", "--agent", "bob@corp.example"}).exit_code, 0);
  EXPECT_EQ(served_->get("/admin/events").status, 403);
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

// A mistyped address on the console's listener: agents are shown the way back, customers
// the way to their case.
TEST_F(HistoryPagesTest, APathThatIsNobodysShowsAgentsTheWayBack) {
  for (const std::string& path :
       std::vector<std::string>{"/nowhere", "/cases/" + number_ + "/nothing-here", "/contactz"}) {
    for (bool logged_in : {true, false}) {
      auto page = served_->get(path, logged_in);
      EXPECT_EQ(page.status, 404) << path;
      EXPECT_TRUE(page.has("<a href=\"/\">go to the console</a>")) << path << page.body;
      EXPECT_TRUE(page.has("open the link from our mail")) << path;
    }
  }
}

}  // namespace
}  // namespace mailcase::console
