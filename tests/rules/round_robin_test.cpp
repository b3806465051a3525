// Round-robin (rules/round_robin.h): which member of a queue gets a new case.
#include "rules/round_robin.h"

#include <gtest/gtest.h>

namespace mailcase::rules {
namespace {

TEST(RoundRobin, NobodyToPick) {
  EXPECT_EQ(pick_owner({}), std::nullopt);
}

TEST(RoundRobin, FewestOpenCasesWins) {
  EXPECT_EQ(pick_owner({{"a@x.example", 5, 1}, {"b@x.example", 2, 9}, {"c@x.example", 3, 0}}), "b@x.example");
}

TEST(RoundRobin, OnATieTheOneWhoGotACaseLongestAgoNeverFirst) {
  EXPECT_EQ(pick_owner({{"a@x.example", 1, 7}, {"b@x.example", 1, 3}, {"c@x.example", 2, 0}}), "b@x.example");
  EXPECT_EQ(pick_owner({{"a@x.example", 1, 7}, {"b@x.example", 1, 3}, {"c@x.example", 1, 0}}), "c@x.example");
}

TEST(RoundRobin, ThenByEmail) {
  EXPECT_EQ(pick_owner({{"zoe@x.example", 0, 0}, {"adam@x.example", 0, 0}, {"marek@x.example", 0, 0}}),
            "adam@x.example");
}

TEST(RoundRobin, TurnsGoRoundWhenCountsStayEqual) {
  // Each pick records a later sequence number for the one picked: with equal loads the
  // three members take turns.
  std::vector<Candidate> queue = {{"c@x.example", 0, 0}, {"a@x.example", 0, 0}, {"b@x.example", 0, 0}};
  std::vector<std::string> order;
  for (int seq = 1; seq <= 6; ++seq) {
    auto who = pick_owner(queue);
    ASSERT_TRUE(who.has_value());
    order.push_back(*who);
    for (auto& c : queue)
      if (c.email == *who) c.last_assigned_seq = seq;
  }
  EXPECT_EQ(order, (std::vector<std::string>{"a@x.example", "b@x.example", "c@x.example", "a@x.example",
                                             "b@x.example", "c@x.example"}));
}

}  // namespace
}  // namespace mailcase::rules
