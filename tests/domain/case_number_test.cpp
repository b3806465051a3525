#include "domain/case_number.h"

#include <gtest/gtest.h>

namespace mailcase::domain {
namespace {

TEST(CaseNumberTest, PadsTheIdToTheConfiguredDigits) {
  EXPECT_EQ(case_number::format("CS", 7, 42), "CS0000042");
  EXPECT_EQ(case_number::format("CASE-", 3, 7), "CASE-007");
  EXPECT_EQ(case_number::format("", 1, 5), "5");
}

TEST(CaseNumberTest, AnIdLongerThanTheDigitsKeepsAllOfThem) {
  EXPECT_EQ(case_number::format("CS", 3, 123456), "CS123456");
}

TEST(CaseNumberTest, ParseReadsWhatFormatWrites) {
  for (Id id : {Id{1}, Id{42}, Id{9999999}, Id{123456789012}})
    EXPECT_EQ(case_number::parse("CS", case_number::format("CS", 7, id)), id);
}

TEST(CaseNumberTest, ParseAcceptsAnyPaddingAndCaseOfThePrefix) {
  EXPECT_EQ(case_number::parse("CS", "cs42"), 42);
  EXPECT_EQ(case_number::parse("CS", "CS00042"), 42);
  EXPECT_EQ(case_number::parse("", "235"), 235);
}

TEST(CaseNumberTest, ParseRefusesWhatIsNotANumber) {
  EXPECT_FALSE(case_number::parse("CS", "CS"));
  EXPECT_FALSE(case_number::parse("CS", "CS0000000"));
  EXPECT_FALSE(case_number::parse("CS", "XX0000042"));
  EXPECT_FALSE(case_number::parse("CS", "CS42a"));
  EXPECT_FALSE(case_number::parse("CS", "CS-42"));
  EXPECT_FALSE(case_number::parse("CS", " CS42"));
  EXPECT_FALSE(case_number::parse("CS", "CS" + std::string(19, '9')));
  EXPECT_FALSE(case_number::parse("", ""));
}

}  // namespace
}  // namespace mailcase::domain
