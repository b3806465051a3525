// The API by mail's pure decisions: which mail is a machine's (never answered) and what
// a proven mail's record says after its commands ran.
#include <gtest/gtest.h>

#include "ingest/api_ingest.h"
#include "mail_api/run.h"

namespace mailcase::ingest {
namespace {

mime::ParsedMessage mail(std::string from, std::string subject, std::vector<mime::Header> headers = {}) {
  mime::ParsedMessage m;
  m.from.email = std::move(from);
  m.subject = std::move(subject);
  m.headers = std::move(headers);
  m.text_body = "<commands/>";
  m.top_content_type = "text/plain";
  return m;
}

TEST(ApiMachineMail, APersonsMailIsAnswered) {
  EXPECT_FALSE(machine_mail_reason(mail("crm@corp.example", "commands")));
  EXPECT_FALSE(machine_mail_reason(mail("crm@corp.example", "commands", {{"Auto-Submitted", "no"}})));
  EXPECT_FALSE(machine_mail_reason(mail("crm@corp.example", "commands", {{"Auto-Submitted", " No ; x=1"}})));
}

TEST(ApiMachineMail, AutomaticMailAndBouncesAreNeverAnswered) {
  auto replied =
      machine_mail_reason(mail("crm@corp.example", "Re: result", {{"Auto-Submitted", "auto-replied"}}));
  ASSERT_TRUE(replied);
  EXPECT_NE(replied->find("auto-replied"), std::string::npos) << *replied;
  EXPECT_TRUE(machine_mail_reason(mail("crm@corp.example", "x", {{"Auto-Submitted", "auto-generated; y"}})));
  EXPECT_TRUE(machine_mail_reason(mail("mailer-daemon@corp.example", "Undelivered Mail Returned to Sender",
                                       {{"X-Failed-Recipients", "crm@corp.example"}})));
  EXPECT_TRUE(machine_mail_reason(mail("crm@corp.example", "Out of office", {{"X-Autoreply", "yes"}})));
}

mail_api::ActionResult action(size_t position, std::string element, bool ok, std::string text,
                              std::optional<store::Id> case_id = std::nullopt) {
  mail_api::ActionResult a;
  a.position = position;
  a.element = std::move(element);
  a.ok = ok;
  a.text = std::move(text);
  a.case_id = case_id;
  return a;
}

TEST(ApiOutcome, AllCommandsDoneNameTheFirstCase) {
  mail_api::RunResult run;
  run.actions = {action(1, "create-case", true, "created case 2026-000001", 7),
                 action(2, "add-comment", true, "comment added", 9)};
  const auto out = api_outcome(run, "signature");
  EXPECT_EQ(out.state, store::RawState::kProcessed);
  EXPECT_EQ(out.kind, OutcomeKind::kUpdated);
  EXPECT_EQ(out.case_id, std::optional<store::Id>(7));
  EXPECT_EQ(out.reason, "API: 2 command(s) run, proven by signature");
}

TEST(ApiOutcome, AFailingCommandIsNamedAndNothingIsApplied) {
  mail_api::RunResult run;
  run.actions = {action(1, "create-case", true, "created case 2026-000001", 7),
                 action(2, "close-case", false, "no case 2026-999999")};
  const auto out = api_outcome(run, "signature");
  EXPECT_EQ(out.kind, OutcomeKind::kIgnored);
  EXPECT_FALSE(out.case_id);
  EXPECT_EQ(out.reason, "API: nothing applied: command 2 (close-case): no case 2026-999999");
  EXPECT_EQ(api_outcome(mail_api::RunResult{}, "dkim").kind, OutcomeKind::kIgnored);
}

}  // namespace
}  // namespace mailcase::ingest
