// The mailbox agents' book (channels::AgentBook) on a store it shares: as in `serve`,
// several agents' threads write through one book on the pipeline's store at once, and
// what each writes is committed (seen from another connection) and read back whole.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "channels/mailbox_agent.h"
#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::channels {
namespace {

TEST(AgentBook, AgentsOnManyThreadsShareOneStoreAndEachWriteIsCommitted) {
  mailcase::testing::TempDir dir;
  auto st = store::open_sqlite(dir.path() / "mailcase.db");
  ASSERT_TRUE(st) << st.error().message;
  AgentBook book(**st);
  constexpr int kAgents = 6;
  constexpr int kRounds = 20;
  std::vector<std::string> errors(kAgents);
  std::vector<std::thread> agents;
  for (int a = 0; a < kAgents; ++a)
    agents.emplace_back([&, a] {
      const std::string name = "box" + std::to_string(a);
      for (int i = 1; i <= kRounds; ++i) {
        store::MailboxState s = book.load(name);
        s.status = "idle";
        s.last_uid = i;
        s.backlog = kRounds - i;
        book.save(s);
        book.add_pop3_seen(name, "uidl-" + std::to_string(i));
        if (!book.pop3_seen(name, "uidl-" + std::to_string(i))) errors[a] = "a UIDL just added was not seen";
        if (book.load(name).last_uid != i) errors[a] = "a saved state was not read back";
      }
    });
  for (auto& t : agents) t.join();
  for (int a = 0; a < kAgents; ++a) EXPECT_EQ(errors[a], "") << "agent " << a;

  // Committed, not left in an open transaction: another connection to the file sees it.
  auto other = store::open_sqlite(dir.path() / "mailcase.db");
  ASSERT_TRUE(other) << other.error().message;
  for (int a = 0; a < kAgents; ++a) {
    const std::string name = "box" + std::to_string(a);
    auto s = (*other)->mailbox_state(name);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->status, "idle") << name;
    EXPECT_EQ(s->last_uid, kRounds) << name;
    EXPECT_EQ(s->backlog, 0) << name;
    for (int i = 1; i <= kRounds; ++i) {
      auto seen = (*other)->pop3_seen(name, "uidl-" + std::to_string(i));
      ASSERT_TRUE(seen);
      EXPECT_TRUE(*seen) << name << " uidl-" << i;
    }
    auto foreign = (*other)->pop3_seen(name, "uidl-" + std::to_string(kRounds + 1));
    ASSERT_TRUE(foreign);
    EXPECT_FALSE(*foreign);
  }
}

}  // namespace
}  // namespace mailcase::channels
