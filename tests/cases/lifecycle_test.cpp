// The case lifecycle: status moves and the mails each action causes.
#include "cases/lifecycle.h"

#include <gtest/gtest.h>

namespace mailcase::cases {
namespace {

using MK = std::vector<MailKind>;

TEST(Lifecycle, AgentAnswerOpensANewCaseAndMailsTheCustomer) {
  auto t = decide(CaseStatus::kNew, ActionKind::kPublicComment);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->status, CaseStatus::kOpen);
  EXPECT_EQ(t->mails, MK{MailKind::kComment});
}

TEST(Lifecycle, InternalNoteChangesNothingAndSendsNothing) {
  for (CaseStatus s : {CaseStatus::kNew, CaseStatus::kOpen, CaseStatus::kSolutionProposed, CaseStatus::kClosed}) {
    auto t = decide(s, ActionKind::kInternalNote);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->status, s);
    EXPECT_TRUE(t->mails.empty());
  }
}

TEST(Lifecycle, ProposeAcceptCloseSendsClosedAndSurvey) {
  auto p = decide(CaseStatus::kOpen, ActionKind::kProposeSolution);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status, CaseStatus::kSolutionProposed);
  EXPECT_EQ(p->mails, MK{MailKind::kSolution});
  auto a = decide(p->status, ActionKind::kAccept);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, CaseStatus::kResolved);
  auto c = decide(a->status, ActionKind::kClose);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, CaseStatus::kClosed);
  EXPECT_EQ(c->mails, (MK{MailKind::kClosed, MailKind::kSurvey}));
}

TEST(Lifecycle, AcceptedOnTheWebPageSendsNoSurveyMail) {
  ActionOptions o;
  o.surveyed_already = true;
  auto c = decide(CaseStatus::kResolved, ActionKind::kClose, o);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->mails, MK{MailKind::kClosed});
}

TEST(Lifecycle, RejectGoesBackToOpen) {
  auto r = decide(CaseStatus::kSolutionProposed, ActionKind::kReject);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, CaseStatus::kOpen);
}

TEST(Lifecycle, AcceptWithoutAProposalIsRefusedWithAReason) {
  auto a = decide(CaseStatus::kOpen, ActionKind::kAccept);
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message.find("while the case is open"), std::string::npos);
  EXPECT_FALSE(decide(CaseStatus::kOpen, ActionKind::kReopen));
  EXPECT_FALSE(decide(CaseStatus::kClosed, ActionKind::kClose));
  EXPECT_FALSE(decide(CaseStatus::kClosed, ActionKind::kPublicComment));
  EXPECT_FALSE(decide(CaseStatus::kClosed, ActionKind::kProposeSolution));
}

TEST(Lifecycle, ReopenAfterClose) {
  auto r = decide(CaseStatus::kClosed, ActionKind::kReopen);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, CaseStatus::kOpen);
}

TEST(Lifecycle, CustomerReplyToAClosedCaseReopensOrStartsAnother) {
  auto r = decide(CaseStatus::kClosed, ActionKind::kCustomerReply);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, CaseStatus::kOpen);
  EXPECT_FALSE(r->new_case);
  ActionOptions o;
  o.reply_to_closed = ReplyToClosed::kNewCase;
  auto n = decide(CaseStatus::kResolved, ActionKind::kCustomerReply, o);
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->new_case);
  EXPECT_EQ(n->status, CaseStatus::kResolved);
  auto open = decide(CaseStatus::kOpen, ActionKind::kCustomerReply, o);
  ASSERT_TRUE(open);
  EXPECT_FALSE(open->new_case);
}

TEST(Lifecycle, CustomerReplyEffectByStatus) {
  ActionOptions reopen;
  ActionOptions new_case;
  new_case.reply_to_closed = ReplyToClosed::kNewCase;
  for (const auto& o : {reopen, new_case}) {
    EXPECT_EQ(customer_reply_effect(CaseStatus::kSolutionProposed, "Accept.", o), ReplyEffect::kAccept);
    EXPECT_EQ(customer_reply_effect(CaseStatus::kSolutionProposed, "Odrzucam", o), ReplyEffect::kReject);
    EXPECT_EQ(customer_reply_effect(CaseStatus::kSolutionProposed, "Why?\nAccept", o), ReplyEffect::kNone);
    EXPECT_EQ(customer_reply_effect(CaseStatus::kNew, "Accept", o), ReplyEffect::kNone);
    EXPECT_EQ(customer_reply_effect(CaseStatus::kOpen, "Reject", o), ReplyEffect::kNone);
  }
  for (CaseStatus s : {CaseStatus::kResolved, CaseStatus::kClosed}) {
    EXPECT_EQ(customer_reply_effect(s, "Accept", reopen), ReplyEffect::kReopen);
    EXPECT_EQ(customer_reply_effect(s, "Thanks", new_case), ReplyEffect::kNewCase);
  }
}

TEST(Lifecycle, StatusNamesRoundTrip) {
  for (CaseStatus s :
       {CaseStatus::kNew, CaseStatus::kOpen, CaseStatus::kSolutionProposed, CaseStatus::kResolved, CaseStatus::kClosed})
    EXPECT_EQ(status_from_string(to_string(s)), s);
  EXPECT_EQ(status_from_string("Solution Proposed"), CaseStatus::kSolutionProposed);
  EXPECT_FALSE(status_from_string("pending"));
}

TEST(Survey, AnsweredOnceWithARatingFromOneToFiveOnceTheCaseIsFinished) {
  EXPECT_TRUE(may_answer_survey(CaseStatus::kResolved, std::nullopt, 5));
  EXPECT_TRUE(may_answer_survey(CaseStatus::kClosed, std::nullopt, 1));
  // A row with rating 0 only says the survey was shown on the web page.
  EXPECT_TRUE(may_answer_survey(CaseStatus::kClosed, 0, 3));
  auto again = may_answer_survey(CaseStatus::kClosed, 4, 3);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  for (int bad : {0, 6, -1}) {
    auto r = may_answer_survey(CaseStatus::kResolved, std::nullopt, bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput) << bad;
  }
  auto early = may_answer_survey(CaseStatus::kOpen, std::nullopt, 5);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(early.error().message, "The survey opens when the case is resolved.");
}

TEST(Verdict, FirstLineAcceptsInThreeLanguages) {
  for (const char* t : {"Accept", "accept.", "ACCEPT!", "  Accepted\n\nthanks", "Accepter", "J'accepte !",
                        "Akceptuję", "AKCEPTUJĘ.", "\n\n*Accept*\n> quoted"})
    EXPECT_EQ(verdict_of_reply(t), Verdict::kAccept) << t;
}

TEST(Verdict, FirstLineRejectsInThreeLanguages) {
  for (const char* t : {"Reject", "reject -", "REJECTED", "Rejeter", "Je rejette.", "Odrzucam", "odrzuć!"})
    EXPECT_EQ(verdict_of_reply(t), Verdict::kReject) << t;
}

TEST(Verdict, AnythingElseIsAComment) {
  for (const char* t : {"", "Thanks, I will accept it tomorrow", "I cannot accept this", "Hello\nAccept",
                        "acceptable", "Rejection letter attached", "No"})
    EXPECT_EQ(verdict_of_reply(t), Verdict::kNone) << t;
}

TEST(Lifecycle, ResolvingWithoutAVerdictSendsNothingAndNeedsAnUnfinishedCase) {
  for (CaseStatus s : {CaseStatus::kNew, CaseStatus::kOpen, CaseStatus::kSolutionProposed}) {
    auto t = decide(s, ActionKind::kResolve);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->status, CaseStatus::kResolved);
    EXPECT_TRUE(t->mails.empty());
  }
  for (CaseStatus s : {CaseStatus::kResolved, CaseStatus::kClosed}) {
    auto t = decide(s, ActionKind::kResolve);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, ErrorCode::kInvalidInput);
  }
}

}  // namespace
}  // namespace mailcase::cases
