#include "domain/process.h"

#include <gtest/gtest.h>

namespace mailcase::domain {
namespace {

using Stages = std::vector<std::string>;

TEST(ProcessStagesTest, AListIsSplitAtCommasAndEachStageTrimmed) {
  auto s = parse_stages("New, Analysis ,Fix,Done");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(*s, (Stages{"New", "Analysis", "Fix", "Done"}));
  auto one = parse_stages("Open");
  ASSERT_TRUE(one);
  EXPECT_EQ(*one, Stages{"Open"});
}

TEST(ProcessStagesTest, AnUnfitListIsRefusedNamingStages) {
  for (const char* bad : {"", "  ", "New,,Done", "New,", "New,Fix,New", "New,Fi\x01x"}) {
    auto s = parse_stages(bad);
    ASSERT_FALSE(s) << "accepted: " << bad;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidInput);
    EXPECT_EQ(s.error().message.rfind("stages: ", 0), 0u) << s.error().message;
  }
  std::string fifty;
  for (int i = 0; i < 50; ++i) fifty += (i ? "," : "") + std::string("S") + std::to_string(i);
  const std::string fifty_one = fifty + ",S50";
  EXPECT_TRUE(parse_stages(fifty));
  EXPECT_FALSE(parse_stages(fifty_one));
  EXPECT_FALSE(parse_stages(std::string(kMaxStageBytes + 1, 'x')));
  EXPECT_FALSE(parse_stages(std::string(1 << 20, ',')));  // bounded before it is split
  EXPECT_FALSE(check_stages(Stages{}));
  EXPECT_FALSE(check_stages(Stages{" New"}));
}

TEST(ProcessNameTest, ANameIsOneLineOfTextWithoutSpacesAround) {
  EXPECT_TRUE(check_process_name("Support"));
  EXPECT_TRUE(check_process_name("IT support"));
  for (const std::string& bad : {std::string(), std::string(" Support"), std::string("Sup\nport"),
                                std::string(kMaxProcessNameBytes + 1, 'x')}) {
    auto ok = check_process_name(bad);
    ASSERT_FALSE(ok) << bad;
    EXPECT_EQ(ok.error().message.rfind("name: ", 0), 0u) << ok.error().message;
  }
}

TEST(ProcessStartTest, ACaseWithAProcessStartsAtItsFirstStage) {
  const Process p{.name = "Support", .stages = {"New", "Analysis", "Done"}};
  auto s = start_in_process("Support", "", p);
  EXPECT_EQ(s.process, "Support");
  EXPECT_EQ(s.stage, "New");
  EXPECT_TRUE(s.unknown.empty());
  // A stage of the process already named stays; any other text does not.
  EXPECT_EQ(start_in_process("Support", "Analysis", p).stage, "Analysis");
  EXPECT_EQ(start_in_process("Support", "Nowhere", p).stage, "New");
}

TEST(ProcessStartTest, AnUnknownProcessLeavesTheCaseWithoutOneAndSaysWhich) {
  auto s = start_in_process("Gone", "New", std::nullopt);
  EXPECT_TRUE(s.process.empty());
  EXPECT_TRUE(s.stage.empty());
  EXPECT_EQ(s.unknown, "Gone");
  auto none = start_in_process("", "New", std::nullopt);
  EXPECT_TRUE(none.process.empty() && none.stage.empty() && none.unknown.empty());
}

TEST(ProcessMoveTest, ACaseMovesOnlyToAStageOfItsProcess) {
  const Process p{.name = "Support", .stages = {"New", "Fix", "Done"}};
  Case c;
  c.number = "CS0000001";
  c.process = "Support";
  c.stage = "New";
  auto to = stage_move(c, p, "Done");
  ASSERT_TRUE(to) << to.error().message;
  EXPECT_EQ(*to, "Done");
  auto bad = stage_move(c, p, "done");  // exact
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(bad.error().message.find("New, Fix, Done"), std::string::npos) << bad.error().message;
  Case plain;
  plain.number = "CS0000002";
  auto none = stage_move(plain, std::nullopt, "New");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message, "stage: case CS0000002 follows no process");
  EXPECT_FALSE(stage_move(c, std::nullopt, "New"));  // its process is gone
}

}  // namespace
}  // namespace mailcase::domain
