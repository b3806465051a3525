#include "ingest/thread.h"

#include <gtest/gtest.h>

namespace mailcase::ingest {
namespace {

TEST(StripReplyPrefixes, RemovesRepeatedPrefixesInManyLanguages) {
  EXPECT_EQ(strip_reply_prefixes("RE: AW: Odp: Printer broken"), "Printer broken");
  EXPECT_EQ(strip_reply_prefixes("Fwd: TR: SV: VS: Antw: hello"), "hello");
  EXPECT_EQ(strip_reply_prefixes("Re[2]: Re(3): x"), "x");
  EXPECT_EQ(strip_reply_prefixes("re:re:  spaced"), "spaced");
  EXPECT_EQ(strip_reply_prefixes("回复：问题"), "问题");
}

TEST(StripReplyPrefixes, KeepsWordsThatOnlyLookLikePrefixes) {
  EXPECT_EQ(strip_reply_prefixes("Report: monthly"), "Report: monthly");
  EXPECT_EQ(strip_reply_prefixes("Resend the invoice"), "Resend the invoice");
  EXPECT_EQ(strip_reply_prefixes("[CS0000011] Re: x"), "[CS0000011] Re: x");
}

TEST(SubjectTags, DefaultsRecogniseBothTagForms) {
  SubjectTags tags(config::Threading{});
  EXPECT_EQ(tags.case_numbers("Re: Printer Case:CS0000011"), std::vector<std::string>{"CS0000011"});
  EXPECT_EQ(tags.case_numbers("RE: AW: [CS0000012] Printer"), std::vector<std::string>{"CS0000012"});
  EXPECT_EQ(tags.case_numbers("case:cs0000013 lower case"), std::vector<std::string>{"CS0000013"});
  EXPECT_EQ(tags.case_numbers("Case: CS0000014"), std::vector<std::string>{"CS0000014"});
}

TEST(SubjectTags, NormalisesShortNumbersAndIgnoresOthers) {
  SubjectTags tags(config::Threading{});
  EXPECT_EQ(tags.case_numbers("[CS42] short"), std::vector<std::string>{"CS0000042"});
  EXPECT_TRUE(tags.case_numbers("order 0000011 and XCS0000011").empty());
  EXPECT_TRUE(tags.case_numbers("[#235] numeric tags are off by default").empty());
  EXPECT_TRUE(tags.case_numbers("").empty());
}

TEST(SubjectTags, NumericTagsWhenEnabled) {
  config::Threading cfg;
  cfg.numeric_tags = true;
  SubjectTags tags(cfg);
  EXPECT_EQ(tags.case_numbers("Sprawa nr [#235] została przyjęta"), std::vector<std::string>{"CS0000235"});
}

TEST(SubjectTags, CustomTagAndPrefix) {
  config::Threading cfg;
  cfg.case_prefix = "T";
  cfg.case_digits = 5;
  cfg.subject_tags = {"Ticket#{number}"};
  SubjectTags tags(cfg);
  EXPECT_EQ(tags.case_numbers("Re: Ticket#T00007 x"), std::vector<std::string>{"T00007"});
  EXPECT_EQ(tags.number_of(7), "T00007");
}

TEST(SubjectTags, SeveralTagsInOrder) {
  SubjectTags tags(config::Threading{});
  EXPECT_EQ(tags.case_numbers("[CS0000002] merged with Case:CS0000001"),
            (std::vector<std::string>{"CS0000002", "CS0000001"}));
}

// The tag patterns are compiled only for a subject that may hold a tag; the check before
// them refuses nothing they would find, and a subject after one without tags still works.
TEST(SubjectTags, FoundWhetherOrNotEarlierSubjectsHeldATag) {
  config::Threading cfg;
  cfg.numeric_tags = true;
  SubjectTags tags(cfg);
  EXPECT_TRUE(tags.case_numbers("Printer broken again").empty());
  EXPECT_TRUE(tags.case_numbers("CS without digits, [# 12] spaced").empty());
  EXPECT_EQ(tags.case_numbers("[#7]"), std::vector<std::string>{"CS0000007"});
  EXPECT_EQ(tags.case_numbers("[cs0000008] lower"), std::vector<std::string>{"CS0000008"});
  // ſ folds onto s in the pattern's case-insensitive prefix.
  EXPECT_EQ(tags.case_numbers("[C\xC5\xBF" "0000009]"), std::vector<std::string>{"CS0000009"});
}

// An ASCII subject is read with ASCII boundary classes, any other with Unicode ones
// (thread.cpp): a tag glued to a letter or digit of either is no tag, one beside other
// characters is.
TEST(SubjectTags, BoundariesAreTheSameForAsciiAndOtherSubjects) {
  SubjectTags tags(config::Threading{});
  EXPECT_TRUE(tags.case_numbers("xCase:CS0000001").empty());
  EXPECT_TRUE(tags.case_numbers("\xC3\xA9"
                                "Case:CS0000001")
                  .empty());                                           // é
  EXPECT_TRUE(tags.case_numbers("Case:CS0000001\xD9\xA3 x").empty());  // Arabic-Indic three
  EXPECT_EQ(tags.case_numbers("_Case:CS0000002"), std::vector<std::string>{"CS0000002"});
  EXPECT_EQ(tags.case_numbers("\xC2\xAB"
                              "Case:CS0000003\xC2\xBB"),  // «…»
            std::vector<std::string>{"CS0000003"});
  EXPECT_EQ(tags.case_numbers("\xC3\x9C"
                              "ber Case:CS0000004"),
            std::vector<std::string>{"CS0000004"});
  EXPECT_EQ(tags.case_numbers("Case:CS0000005"), std::vector<std::string>{"CS0000005"});
}

TEST(ReferencedIds, InReplyToFirstThenNewestReferences) {
  auto ids = referenced_ids({"c@x"}, {"a@x", "b@x", "c@x"});
  EXPECT_EQ(ids, (std::vector<std::string>{"c@x", "b@x", "a@x"}));
}

TEST(DecideThread, KnownTagWins) {
  ThreadFacts f;
  f.tag_numbers = {"CS0000009", "CS0000001"};
  f.tag_cases = {std::nullopt, 1};
  f.referenced_ids = {"m@x"};
  f.ref_cases = {5};
  auto d = decide_thread(f);
  ASSERT_TRUE(d.case_id);
  EXPECT_EQ(*d.case_id, 1);
}

TEST(DecideThread, ReferencesWhenNoKnownTag) {
  ThreadFacts f;
  f.referenced_ids = {"a@x", "b@x"};
  f.ref_cases = {std::nullopt, 7};
  auto d = decide_thread(f);
  ASSERT_TRUE(d.case_id);
  EXPECT_EQ(*d.case_id, 7);
}

TEST(DecideThread, UnknownNumberMakesNewCase) {
  ThreadFacts f;
  f.tag_numbers = {"CS0009999"};
  f.tag_cases = {std::nullopt};
  auto d = decide_thread(f);
  EXPECT_FALSE(d.case_id);
  EXPECT_NE(d.reason.find("unknown case number CS0009999"), std::string::npos);
}

TEST(AnsweredProposal, TheFirstSolutionMailOfTheCaseTheReplyPointsAtNamesIt) {
  ThreadFacts f;
  f.referenced_ids = {"own@customer.example", "other-case@ours", "old@ours", "new@ours"};
  f.ref_cases = {std::nullopt, 9, 4, 4};
  f.ref_proposals = {0, 12, 7, 15};
  // In-Reply-To the old solution mail (after mails of no case and of another case).
  EXPECT_EQ(answered_proposal(f, 4), 7);
  EXPECT_EQ(answered_proposal(f, 9), 12);
  // Pointing at no solution mail of the case: none in particular.
  f.ref_proposals = {0, 0, 0, 0};
  EXPECT_EQ(answered_proposal(f, 4), 0);
  EXPECT_EQ(answered_proposal(ThreadFacts{}, 4), 0);
}

}  // namespace
}  // namespace mailcase::ingest
