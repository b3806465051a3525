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

TEST(StatesTest, EveryRawStateReadsBackFromItsText) {
  for (RawState s : {RawState::kReceived, RawState::kProcessed, RawState::kHeld, RawState::kFailed,
                     RawState::kDuplicate, RawState::kDismissed})
    EXPECT_EQ(raw_state_from(to_string(s)), s);
  EXPECT_EQ(std::string(to_string(RawState::kDismissed)), "dismissed");
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

TEST(MailboxSettingsTest, ProtocolTlsAndAuthReadBackFromTheirText) {
  for (Protocol p : {Protocol::kImap, Protocol::kPop3}) EXPECT_EQ(protocol_from(to_string(p)), p);
  for (TlsMode t : {TlsMode::kImplicit, TlsMode::kStartTls, TlsMode::kNone})
    EXPECT_EQ(tls_mode_from(to_string(t)), t);
  for (AuthMethod a : {AuthMethod::kPassword, AuthMethod::kXOAuth2})
    EXPECT_EQ(auth_method_from(to_string(a)), a);
  // The text stores and scripts already hold.
  EXPECT_EQ(std::string(to_string(Protocol::kPop3)), "pop3");
  EXPECT_EQ(std::string(to_string(TlsMode::kStartTls)), "starttls");
  EXPECT_EQ(std::string(to_string(TlsMode::kNone)), "none");
  EXPECT_EQ(std::string(to_string(AuthMethod::kXOAuth2)), "xoauth2");
}

TEST(MailboxSettingsTest, UnknownProtocolTlsOrAuthTextIsNoValue) {
  EXPECT_FALSE(protocol_from("smtp"));
  EXPECT_FALSE(protocol_from("IMAP"));
  EXPECT_FALSE(protocol_from(""));
  EXPECT_FALSE(tls_mode_from("ssl"));
  EXPECT_FALSE(tls_mode_from("StartTLS"));
  EXPECT_FALSE(tls_mode_from(""));
  EXPECT_FALSE(auth_method_from("oauth"));
  EXPECT_FALSE(auth_method_from(""));
}

TEST(MailboxSettingsTest, AfterFetchReadsBackFromItsText) {
  for (AfterFetch a : {AfterFetch{AfterAction::kDelete, {}}, AfterFetch{AfterAction::kSeen, {}},
                       AfterFetch{AfterAction::kKeep, {}}, AfterFetch{AfterAction::kMove, "Done"}})
    EXPECT_EQ(after_fetch_from(to_string(a)), a) << to_string(a);
  EXPECT_EQ(to_string(AfterFetch{AfterAction::kMove, "Archive/2026"}), "move:Archive/2026");
  EXPECT_EQ(to_string(AfterFetch{AfterAction::kDelete, {}}), "delete");
  // Everything after the first "move:" is the folder, colons and spaces too.
  auto odd = after_fetch_from("move:Done: old mail");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->action, AfterAction::kMove);
  EXPECT_EQ(odd->move_folder, "Done: old mail");
}

TEST(MailboxSettingsTest, UnknownAfterTextOrAMoveWithoutFolderIsNoValue) {
  EXPECT_FALSE(after_fetch_from("move:"));
  EXPECT_FALSE(after_fetch_from("move"));
  EXPECT_FALSE(after_fetch_from("Move:Done"));
  EXPECT_FALSE(after_fetch_from("archive"));
  EXPECT_FALSE(after_fetch_from("seen "));
  EXPECT_FALSE(after_fetch_from(""));
}

TEST(MailboxSettingsTest, ANewMailboxIsImapOverImplicitTlsMarkingSeenWithAPassword) {
  Mailbox m;
  EXPECT_EQ(m.protocol, Protocol::kImap);
  EXPECT_EQ(m.tls, TlsMode::kImplicit);
  EXPECT_EQ(m.after, (AfterFetch{AfterAction::kSeen, {}}));
  EXPECT_EQ(m.auth, AuthMethod::kPassword);
}

}  // namespace
TEST(StatesTest, HeldFailedAndDismissedMailIsRetriedAndHeldOrFailedMailDismissed) {
  for (auto st : {RawState::kHeld, RawState::kFailed}) {
    EXPECT_TRUE(may_retry(st)) << to_string(st);
    EXPECT_TRUE(may_dismiss(st)) << to_string(st);
  }
  EXPECT_TRUE(may_retry(RawState::kDismissed));
  EXPECT_FALSE(may_dismiss(RawState::kDismissed));
  for (auto st : {RawState::kReceived, RawState::kProcessed, RawState::kDuplicate}) {
    EXPECT_FALSE(may_retry(st)) << to_string(st);
    EXPECT_FALSE(may_dismiss(st)) << to_string(st);
  }
}

}  // namespace mailcase::domain
