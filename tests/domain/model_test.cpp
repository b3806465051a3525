#include "domain/model.h"

#include <gtest/gtest.h>

namespace mailcase::domain {
namespace {

TEST(StatesTest, EveryCaseStatusReadsBackFromItsText) {
  for (CaseStatus s : {CaseStatus::kNew, CaseStatus::kOpen, CaseStatus::kSolutionProposed,
                       CaseStatus::kResolved, CaseStatus::kClosed})
    EXPECT_EQ(status_from_string(to_string(s)), s);
  EXPECT_EQ(std::string(to_string(CaseStatus::kSolutionProposed)), "solution proposed");
}

TEST(StatesTest, UnknownCaseStatusIsNotReadAsOpen) {
  EXPECT_FALSE(status_from_string("pending"));
  EXPECT_FALSE(status_from_string(""));
  EXPECT_FALSE(status_from_string("open "));
}

TEST(StatesTest, DirectionVisibilityAndOutboxStateReadBackFromTheirText) {
  for (Direction d : {Direction::kInbound, Direction::kOutbound, Direction::kNote})
    EXPECT_EQ(direction_from(to_string(d)), d);
  for (Visibility v : {Visibility::kPublic, Visibility::kInternal})
    EXPECT_EQ(visibility_from(to_string(v)), v);
  for (OutboxState s : {OutboxState::kQueued, OutboxState::kSent, OutboxState::kFailed})
    EXPECT_EQ(outbox_state_from(to_string(s)), s);
  EXPECT_EQ(std::string(to_string(Direction::kNote)), "note");
  EXPECT_EQ(std::string(to_string(Visibility::kInternal)), "internal");
  EXPECT_EQ(std::string(to_string(OutboxState::kQueued)), "queued");
}

TEST(StatesTest, UnknownTextIsNoState) {
  EXPECT_FALSE(direction_from("sideways"));
  EXPECT_FALSE(direction_from("Inbound"));
  EXPECT_FALSE(visibility_from("secret"));
  EXPECT_FALSE(outbox_state_from("sending"));
  EXPECT_FALSE(raw_state_from("lost"));
}

TEST(StatesTest, ModelDefaultsAreTheStatesOfANewRow) {
  EXPECT_EQ(Case{}.status, CaseStatus::kNew);
  EXPECT_EQ(Comment{}.direction, Direction::kInbound);
  EXPECT_EQ(Comment{}.visibility, Visibility::kPublic);
  EXPECT_EQ(OutboxMail{}.state, OutboxState::kQueued);
}

}  // namespace
}  // namespace mailcase::domain
