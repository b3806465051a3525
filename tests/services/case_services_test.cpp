// The case services against a real SQLite store in a data directory made by
// `mailcase init`: each service's change to the case, its event (who, through which door,
// what), its comments and the mails it queues, as an agent or a customer would see them;
// and that an action the case's status refuses leaves nothing behind.
#include "services/case_services.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <thread>

#include "config/config.h"
#include "domain/clock.h"
#include "runtime/runtime.h"
#include "spool/blob_store.h"
#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::services {
namespace {

using store::ActorKind;
using store::CaseStatus;
using store::EventAction;

constexpr int64_t kNow = 1'800'000'000;  // January 2027
constexpr const char* kAgent = "marek@corp.example";

class CaseServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    ASSERT_EQ(run({"init"}).exit_code, 0);
    std::ofstream(data_ / "mailcase.toml") << "[outbound]\nfrom_address = \"support@corp.example\"\n";
    // A routing address beside the outgoing one: both are "ours".
    ASSERT_EQ(run({"address", "add", "help@corp.example"}).exit_code, 0);
    ASSERT_EQ(run({"agent", "add", "--name", "Marek Nowak", "--email", "Marek@Corp.example"}).exit_code, 0);
    ASSERT_EQ(run({"agent", "add", "--name", "Olga", "--email", "olga@corp.example"}).exit_code, 0);
    ASSERT_EQ(run({"agent", "disable", "olga@corp.example"}).exit_code, 0);
    auto cfg = config::load(data_ / "mailcase.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    auto rt = runtime::Runtime::open(data_, *cfg, clock_);
    ASSERT_TRUE(rt) << rt.error().message;
    rt_ = std::move(*rt);
  }

  mailcase::testing::CommandResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_.string()});
    auto r = mailcase::testing::run_mailcase(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  }

  CaseServices& svc() { return rt_->cases(); }
  store::Store& db() { return rt_->store(); }

  store::UnitOfWork write_unit() {
    auto w = db().open_unit(store::Access::kWrite);
    EXPECT_TRUE(w) << w.error().message;
    return std::move(*w);
  }

  // A new case from Alice's mail, committed; its status moved on to `status` by the
  // services themselves (the moves an agent and the customer make).
  store::Case new_case(CaseStatus status = CaseStatus::kNew) {
    store::Case c;
    {
      auto w = write_unit();
      auto contact = w.accounts().find_contact_by_email("alice@example.org");
      EXPECT_TRUE(contact);
      store::Case fresh;
      if (*contact) {
        fresh.contact_id = (*contact)->id;
      } else {
        auto id = w.accounts().add_contact({.name = "Alice", .emails = {"alice@example.org"}});
        EXPECT_TRUE(id) << id.error().message;
        fresh.contact_id = *id;
      }
      fresh.subject = "Printer on floor 3";
      auto created = svc().create(w, Actor::mail("alice@example.org"), fresh, "a new mail");
      EXPECT_TRUE(created) << created.error().message;
      c = *created;
      EXPECT_TRUE(w.commit());
    }
    const Actor agent = Actor::agent(kAgent);
    auto step = [&](const Result<store::Case>& r) {
      EXPECT_TRUE(r) << r.error().message;
      if (r) c = *r;
    };
    if (status == CaseStatus::kOpen) step(svc().comment(agent, c.number, {.body = "Looking at it."}));
    if (status == CaseStatus::kSolutionProposed || status == CaseStatus::kResolved ||
        status == CaseStatus::kClosed)
      step(svc().propose_solution(agent, c.number, {.body = "Restart the printer."}));
    if (status == CaseStatus::kResolved || status == CaseStatus::kClosed)
      step(svc().accept(Actor::agent(kAgent), c.number));
    if (status == CaseStatus::kClosed) step(svc().close(agent, c.number));
    EXPECT_EQ(c.status, status);
    return c;
  }

  // Fresh reads, through the store's own connection, of what has been committed.
  store::Case read_case(const std::string& number) {
    auto c = db().find_case_by_number(number);
    EXPECT_TRUE(c && *c) << number;
    return c && *c ? **c : store::Case{};
  }
  std::vector<store::Event> events(const store::Case& c) {
    auto e = db().events_of(c.id);
    EXPECT_TRUE(e) << e.error().message;
    return e ? *e : std::vector<store::Event>{};
  }
  std::vector<store::Comment> comments(const store::Case& c) {
    auto r = db().comments_of(c.id);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : std::vector<store::Comment>{};
  }
  // Oldest first (the store lists newest first).
  std::vector<store::OutboxMail> outbox(const store::Case& c) {
    auto r = db().list_outbox(c.id, 1000);
    EXPECT_TRUE(r) << r.error().message;
    std::vector<store::OutboxMail> rows = r ? *r : std::vector<store::OutboxMail>{};
    std::reverse(rows.begin(), rows.end());
    return rows;
  }
  std::vector<std::string> outbox_kinds(const store::Case& c) {
    std::vector<std::string> kinds;
    for (const auto& m : outbox(c)) kinds.push_back(m.kind);
    return kinds;
  }
  std::optional<store::Survey> survey(const store::Case& c) {
    auto s = db().get_survey(c.id);
    EXPECT_TRUE(s) << s.error().message;
    return s ? *s : std::nullopt;
  }

  mailcase::testing::TempDir dir_;
  std::filesystem::path data_;
  domain::FixedClock clock_{kNow};
  std::unique_ptr<runtime::Runtime> rt_;
};

// ---- create -------------------------------------------------------------------------

// Which proposal an accept or reject link answers (services::proposal_answered).
TEST(ProposalAnswered, ALinkAnswersTheProposalItNamesAnOlderOneTheOnlyOneOnly) {
  // A token naming its proposal answers that one, current or not (the page compares).
  EXPECT_EQ(proposal_answered(7, Proposals{2, 15}), std::optional<store::Id>(7));
  EXPECT_EQ(proposal_answered(15, Proposals{2, 15}), std::optional<store::Id>(15));
  // A token from before tokens named one: the only proposal, if there was only one.
  EXPECT_EQ(proposal_answered(std::nullopt, Proposals{1, 15}), std::optional<store::Id>(15));
  EXPECT_EQ(proposal_answered(std::nullopt, Proposals{0, 0}), std::optional<store::Id>(0));
  EXPECT_EQ(proposal_answered(std::nullopt, Proposals{2, 15}), std::nullopt);
}

TEST_F(CaseServicesTest, CreateNumbersTheCaseAndRecordsWhoCreatedItAndWhy) {
  auto c = new_case();
  EXPECT_EQ(c.number, "CS0000001");
  auto stored = read_case("CS0000001");
  EXPECT_EQ(stored.status, CaseStatus::kNew);
  EXPECT_EQ(stored.subject, "Printer on floor 3");
  auto ev = events(c);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].action, EventAction::kCreated);
  EXPECT_EQ(ev[0].actor_kind, ActorKind::kMail);
  EXPECT_EQ(ev[0].actor, "alice@example.org");
  EXPECT_EQ(ev[0].details.at("reason"), "a new mail");
  EXPECT_TRUE(outbox(c).empty());
}

TEST_F(CaseServicesTest, CreateGivesACaseWithoutSubjectOneAUserCanSee) {
  auto w = write_unit();
  auto c = svc().create(w, Actor::agent(kAgent), store::Case{}, "");
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE(w.commit());
  EXPECT_EQ(read_case(c->number).subject, "(no subject)");
  auto ev = events(*c);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].actor_kind, ActorKind::kAgent);
  EXPECT_EQ(ev[0].actor, kAgent);
  EXPECT_EQ(ev[0].details.count("reason"), 0u);
}

TEST_F(CaseServicesTest, TheJoinFormCommitsNothingItself) {
  {
    auto w = write_unit();
    auto c = svc().create(w, Actor::system(), store::Case{.subject = "never kept"}, "");
    ASSERT_TRUE(c) << c.error().message;
  }  // dropped without commit
  auto c = db().find_case_by_number("CS0000001");
  ASSERT_TRUE(c);
  EXPECT_FALSE(*c);
  auto rows = db().list_cases(10);
  ASSERT_TRUE(rows);
  EXPECT_TRUE(rows->empty());
}

// ---- record_inbound -----------------------------------------------------------------

TEST_F(CaseServicesTest, RecordInboundAddsTheMailsCommentAttachmentsThreadAndParticipants) {
  auto c = new_case(CaseStatus::kSolutionProposed);
  InboundMail in;
  in.author = "Alice <alice@example.org>";
  in.body = "It still jams.";
  in.quoted = "> Restart the printer.";
  in.message_id = "r1@example.org";
  in.participants = {"bob@example.org"};
  in.attachments.push_back({.filename = "jam.jpg", .content_type = "image/jpeg", .size = 3, .sha256 = "abc"});
  auto w = write_unit();
  auto id = svc().record_inbound(w, c, in);
  ASSERT_TRUE(id) << id.error().message;
  ASSERT_TRUE(w.commit());

  auto cms = comments(c);
  ASSERT_FALSE(cms.empty());
  const auto& cm = cms.back();
  EXPECT_EQ(cm.id, *id);
  EXPECT_EQ(cm.direction, store::Direction::kInbound);
  EXPECT_EQ(cm.visibility, store::Visibility::kPublic);
  EXPECT_EQ(cm.author, "Alice <alice@example.org>");
  EXPECT_EQ(cm.body, "It still jams.");
  EXPECT_EQ(cm.quoted, "> Restart the printer.");
  auto att = db().attachments_of(c.id);
  ASSERT_TRUE(att);
  ASSERT_EQ(att->size(), 1u);
  EXPECT_EQ(att->front().filename, "jam.jpg");
  EXPECT_EQ(att->front().case_id, c.id);
  EXPECT_EQ(att->front().comment_id, *id);
  auto threaded = db().case_of_message_id("r1@example.org");
  ASSERT_TRUE(threaded);
  EXPECT_EQ(*threaded, c.id);
  auto bob = db().is_participant(c.id, "Bob@Example.org");
  ASSERT_TRUE(bob);
  EXPECT_TRUE(*bob);
  // No status change and no mail: accepting or reopening is a service of its own.
  EXPECT_EQ(read_case(c.number).status, CaseStatus::kSolutionProposed);
  EXPECT_EQ(outbox_kinds(c), (std::vector<std::string>{"solution"}));
}

// An attachment whose bytes are still only in memory (a held blob not yet kept by its
// mail's commit) is refused: no row may name bytes that no commit made durable.
TEST_F(CaseServicesTest, RecordInboundRefusesAnAttachmentStillHeldInMemory) {
  auto c = new_case();
  InboundMail in;
  in.author = "Alice <alice@example.org>";
  in.body = "see attached";
  in.attachments.push_back(
      {.filename = "log.txt", .content_type = "text/plain", .size = 3, .sha256 = "abc", .blob_location = "held:0"});
  {
    auto w = write_unit();
    auto id = svc().record_inbound(w, c, in);
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().code, ErrorCode::kInternal);
    EXPECT_NE(id.error().message.find("held"), std::string::npos) << id.error().message;
  }
  auto att = db().attachments_of(c.id);
  ASSERT_TRUE(att);
  EXPECT_TRUE(att->empty());
}

TEST_F(CaseServicesTest, RecordInboundKeepsAnInternalMailFromTheCustomersView) {
  auto c = new_case();
  auto w = write_unit();
  ASSERT_TRUE(
      svc().record_inbound(w, c, {.author = "Bob <bob@example.org>", .body = "fyi", .is_public = false}));
  ASSERT_TRUE(w.commit());
  auto cms = comments(c);
  ASSERT_EQ(cms.size(), 1u);
  EXPECT_EQ(cms[0].visibility, store::Visibility::kInternal);
}

// ---- confirm_new_case ---------------------------------------------------------------

TEST_F(CaseServicesTest, ConfirmNewCaseQueuesOneAutomaticMailToTheContact) {
  auto c = new_case();
  auto w = write_unit();
  auto r = svc().confirm_new_case(w, c, {.from = "alice@example.org"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, "ok");
  ASSERT_TRUE(w.commit());
  auto rows = outbox(c);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].kind, "confirmation");
  EXPECT_EQ(rows[0].to, "alice@example.org");
  EXPECT_TRUE(rows[0].automatic);
  EXPECT_EQ(rows[0].next_attempt_at, kNow);
  EXPECT_NE(rows[0].raw.find("CS0000001"), std::string::npos);
  // Alice's reply to it threads back onto the case.
  auto threaded = db().case_of_message_id(rows[0].message_id);
  ASSERT_TRUE(threaded);
  EXPECT_EQ(*threaded, c.id);
}

TEST_F(CaseServicesTest, TheLoopGuardsRefusalIsWrittenAsAnEventAndNoMailIsQueued) {
  auto c = new_case();
  auto w = write_unit();
  auto r = svc().confirm_new_case(w, c, {.is_machine_mail = true, .from = "alice@example.org"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, "an automatic mail (bounce or auto-reply)");
  ASSERT_TRUE(w.commit());
  EXPECT_TRUE(outbox(c).empty());
  auto ev = events(c);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1].action, EventAction::kConfirmationSkipped);
  EXPECT_EQ(ev[1].actor_kind, ActorKind::kSystem);
  EXPECT_EQ(ev[1].actor, "mailcase");
  EXPECT_EQ(ev[1].details.at("reason"), "an automatic mail (bounce or auto-reply)");
}

TEST_F(CaseServicesTest, TheLoopGuardRefusesAFromTheEnvelopeSenderDoesNotVouchFor) {
  auto c = new_case();
  auto w = write_unit();
  auto r = svc().confirm_new_case(
      w, c, {.from = "alice@example.org", .envelope_sender = std::string("bulk@elsewhere.example")});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NE(r->find("not in the domain of alice@example.org"), std::string::npos) << *r;
  ASSERT_TRUE(w.commit());
  EXPECT_TRUE(outbox(c).empty());
  auto ev = events(c);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1].action, EventAction::kConfirmationSkipped);
  EXPECT_EQ(ev[1].details.at("reason"), *r);
}

TEST_F(CaseServicesTest, TheLoopGuardStopsAfterTheHourlyLimitForOneSender) {
  // Five confirmations an hour to one mailbox (the default); the sixth is refused. Queued
  // mails are stamped by the services' clock, the one the hour is counted back from, so
  // this holds at any fixed time (a date far from the machine's own here).
  std::vector<store::Case> cs;
  for (int i = 0; i < 6; ++i) cs.push_back(new_case());
  auto w = write_unit();
  for (int i = 0; i < 5; ++i) {
    auto r = svc().confirm_new_case(w, cs[i], {.from = "alice@example.org"});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*r, "ok");
  }
  auto sixth = svc().confirm_new_case(w, cs[5], {.from = "alice@example.org"});
  ASSERT_TRUE(sixth);
  EXPECT_NE(sixth->find("already 5 automatic replies"), std::string::npos) << *sixth;
  ASSERT_TRUE(w.commit());
  EXPECT_TRUE(outbox(cs[5]).empty());
  EXPECT_EQ(events(cs[5]).back().action, EventAction::kConfirmationSkipped);
}

// ---- comment ------------------------------------------------------------------------

TEST_F(CaseServicesTest, APublicCommentIsMailedToTheContactAndOpensANewCase) {
  auto c = new_case();
  auto done = svc().comment(Actor::agent(kAgent), c.number, {.body = "Which printer model?"});
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->status, CaseStatus::kOpen);
  EXPECT_EQ(read_case(c.number).status, CaseStatus::kOpen);

  auto cms = comments(c);
  ASSERT_EQ(cms.size(), 1u);
  EXPECT_EQ(cms[0].direction, store::Direction::kOutbound);
  EXPECT_EQ(cms[0].visibility, store::Visibility::kPublic);
  EXPECT_EQ(cms[0].author, kAgent);
  EXPECT_EQ(cms[0].body, "Which printer model?");
  auto rows = outbox(c);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].kind, "comment");
  EXPECT_EQ(rows[0].to, "alice@example.org");
  EXPECT_FALSE(rows[0].automatic);
  EXPECT_NE(rows[0].raw.find("Which printer model?"), std::string::npos);
  auto ev = events(c);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1].action, EventAction::kCommented);
  EXPECT_EQ(ev[1].actor_kind, ActorKind::kAgent);
  EXPECT_EQ(ev[1].actor, kAgent);
}

TEST_F(CaseServicesTest, AnInternalNoteIsKeptForAgentsAndMailsNobody) {
  auto c = new_case();
  auto done =
      svc().comment(Actor::agent(kAgent), c.number, {.body = "Customer is a VIP.", .is_public = false});
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(read_case(c.number).status, CaseStatus::kNew);
  auto cms = comments(c);
  ASSERT_EQ(cms.size(), 1u);
  EXPECT_EQ(cms[0].direction, store::Direction::kNote);
  EXPECT_EQ(cms[0].visibility, store::Visibility::kInternal);
  EXPECT_EQ(cms[0].body, "Customer is a VIP.");
  EXPECT_TRUE(outbox(c).empty());
  auto ev = events(c);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1].action, EventAction::kNote);
  EXPECT_EQ(ev[1].actor, kAgent);
}

TEST_F(CaseServicesTest, AnEmptyCommentIsRefusedAndLeavesNothing) {
  auto c = new_case();
  auto done = svc().comment(Actor::agent(kAgent), c.number, {.body = " \n\t"});
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kInvalidInput);
  EXPECT_TRUE(comments(c).empty());
  EXPECT_EQ(events(c).size(), 1u);
}

// Copies (Cc) of a public comment: each address is on every copy's Cc header and gets a
// copy of its own (its own outbox row and Message-ID, which threads back to the case),
// becomes a participant, and the event names the copies. Repeats and the contact's own
// address are dropped.
TEST_F(CaseServicesTest, APublicCommentsCopiesAreMailedOnItsCcAndBecomeParticipants) {
  auto c = new_case();
  AgentComment in{.body = "Which printer model?"};
  in.cc = {"Bob@Example.org", "bob@example.org", "alice@example.org", "<carol@example.org>"};
  auto done = svc().comment(Actor::agent(kAgent), c.number, in);
  ASSERT_TRUE(done) << done.error().message;

  auto rows = outbox(c);
  ASSERT_EQ(rows.size(), 3u);
  std::vector<std::string> to;
  std::set<std::string> ids;
  for (const auto& m : rows) {
    to.push_back(m.to);
    ids.insert(m.message_id);
    EXPECT_EQ(m.kind, "comment");
    EXPECT_NE(m.raw.find("To: Alice <alice@example.org>"), std::string::npos) << m.raw;
    EXPECT_NE(m.raw.find("Cc: bob@example.org, carol@example.org"), std::string::npos) << m.raw;
    EXPECT_NE(m.raw.find("Which printer model?"), std::string::npos);
    auto thread = db().case_of_message_id(m.message_id);
    ASSERT_TRUE(thread && *thread) << m.message_id;
    EXPECT_EQ(**thread, c.id);
  }
  EXPECT_EQ(to, (std::vector<std::string>{"alice@example.org", "bob@example.org", "carol@example.org"}));
  EXPECT_EQ(ids.size(), 3u);

  auto ps = db().participants_of(c.id);
  ASSERT_TRUE(ps);
  std::vector<std::string> emails;
  for (const auto& p : *ps) emails.push_back(p.email);
  EXPECT_EQ(emails, (std::vector<std::string>{"bob@example.org", "carol@example.org"}));

  auto ev = events(c);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back().action, EventAction::kCommented);
  EXPECT_EQ(ev.back().details.at("cc"), "bob@example.org, carol@example.org");

  // Copied again, a participant already is not added (or announced) twice.
  in.cc = {"bob@example.org"};
  in.body = "Thanks.";
  ASSERT_TRUE(svc().comment(Actor::agent(kAgent), c.number, in));
  EXPECT_EQ(outbox(c).size(), 5u);
  auto again = events(c);
  EXPECT_EQ(std::count_if(again.begin(), again.end(),
                          [](const store::Event& e) { return e.action == EventAction::kParticipantAdded; }),
            2);
}

// A copy refused refuses the whole comment, and says it is about the copies: nothing is
// written, nobody is mailed.
TEST_F(CaseServicesTest, CopiesThatCannotBeMailedRefuseTheCommentAndLeaveNothing) {
  auto c = new_case();
  std::vector<AgentComment> refused;
  refused.push_back({.body = "x", .cc = {"bob@example.org", "help@corp.example"}});
  refused.push_back({.body = "x", .cc = {"bob@example.org", "not an address"}});
  refused.push_back({.body = "x", .is_public = false, .cc = {"bob@example.org"}});
  AgentComment many{.body = "x"};
  for (size_t i = 0; i <= kMaxCc; ++i) many.cc.push_back("p" + std::to_string(i) + "@example.org");
  refused.push_back(many);
  for (const auto& in : refused) {
    auto done = svc().comment(Actor::agent(kAgent), c.number, in);
    ASSERT_FALSE(done) << in.cc.back();
    EXPECT_EQ(done.error().code, ErrorCode::kInvalidInput);
    EXPECT_EQ(done.error().message.rfind("cc: ", 0), 0u) << done.error().message;
  }
  EXPECT_TRUE(comments(c).empty());
  EXPECT_TRUE(outbox(c).empty());
  auto ps = db().participants_of(c.id);
  ASSERT_TRUE(ps);
  EXPECT_TRUE(ps->empty());
  EXPECT_EQ(events(c).size(), 1u);
  EXPECT_EQ(read_case(c.number).status, CaseStatus::kNew);

  // kMaxCc copies are fine.
  many.cc.pop_back();
  ASSERT_TRUE(svc().comment(Actor::agent(kAgent), c.number, many));
  EXPECT_EQ(outbox(c).size(), kMaxCc + 1);
}

TEST_F(CaseServicesTest, AnAgentsAttachmentIsKeptBesideItsComment) {
  auto c = new_case();
  AgentComment in{.body = "The manual is attached."};
  in.attachments.push_back(
      {.filename = "manual.pdf", .content_type = "application/pdf", .bytes = "%PDF-1.4"});
  ASSERT_TRUE(svc().comment(Actor::agent(kAgent), c.number, in));
  auto att = db().attachments_of(c.id);
  ASSERT_TRUE(att);
  ASSERT_EQ(att->size(), 1u);
  EXPECT_EQ(att->front().filename, "manual.pdf");
  EXPECT_EQ(att->front().size, 8u);
  EXPECT_EQ(att->front().comment_id, comments(c).back().id);
  EXPECT_FALSE(att->front().sha256.empty());
  EXPECT_TRUE(std::filesystem::exists(rt_->blobs().path_of(att->front().sha256)));
  auto rows = outbox(c);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NE(rows[0].raw.find("manual.pdf"), std::string::npos);
}

// ---- propose_solution ---------------------------------------------------------------

TEST_F(CaseServicesTest, AProposedSolutionIsMailedAndWaitsForTheCustomer) {
  auto c = new_case(CaseStatus::kOpen);
  auto done = svc().propose_solution(Actor::agent(kAgent), c.number, {.body = "Replace the toner."});
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(read_case(c.number).status, CaseStatus::kSolutionProposed);
  auto cms = comments(c);
  ASSERT_EQ(cms.size(), 2u);
  EXPECT_EQ(cms[1].direction, store::Direction::kOutbound);
  EXPECT_EQ(cms[1].visibility, store::Visibility::kPublic);
  EXPECT_EQ(cms[1].body, "Proposed solution:\nReplace the toner.");
  auto rows = outbox(c);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].kind, "solution");
  EXPECT_EQ(rows[1].to, "alice@example.org");
  EXPECT_NE(rows[1].raw.find("Replace the toner."), std::string::npos);
  auto ev = events(c);
  EXPECT_EQ(ev.back().action, EventAction::kSolutionProposed);
  EXPECT_EQ(ev.back().actor, kAgent);
}

TEST_F(CaseServicesTest, ASolutionCannotBeProposedOnAResolvedCase) {
  auto c = new_case(CaseStatus::kResolved);
  const auto before_events = events(c).size();
  const auto before_comments = comments(c).size();
  auto done = svc().propose_solution(Actor::agent(kAgent), c.number, {.body = "Another idea."});
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(read_case(c.number).status, CaseStatus::kResolved);
  EXPECT_EQ(events(c).size(), before_events);
  EXPECT_EQ(comments(c).size(), before_comments);
  EXPECT_EQ(outbox_kinds(c), (std::vector<std::string>{"solution"}));
}

// ---- accept -------------------------------------------------------------------------

TEST_F(CaseServicesTest, AcceptedOnTheWebPageTheSurveyCountsAsShownSoClosingSendsNone) {
  auto c = new_case(CaseStatus::kSolutionProposed);
  auto done = svc().accept(Actor::customer("web"), c.number);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(read_case(c.number).status, CaseStatus::kResolved);
  auto sv = survey(c);
  ASSERT_TRUE(sv);
  EXPECT_EQ(sv->rating, 0);
  auto ev = events(c);
  EXPECT_EQ(ev.back().action, EventAction::kAccepted);
  EXPECT_EQ(ev.back().actor_kind, ActorKind::kCustomer);
  EXPECT_EQ(ev.back().actor, "customer");
  EXPECT_EQ(ev.back().details.at("via"), "web");
  EXPECT_EQ(outbox_kinds(c), (std::vector<std::string>{"solution"}));

  ASSERT_TRUE(svc().close(Actor::agent(kAgent), c.number));
  EXPECT_EQ(outbox_kinds(c), (std::vector<std::string>{"solution", "closed"}));
}

TEST_F(CaseServicesTest, AcceptedByAnAgentForTheCustomerTheEventSaysAgent) {
  auto c = new_case(CaseStatus::kSolutionProposed);
  auto done = svc().accept(Actor::agent(kAgent), c.number);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(read_case(c.number).status, CaseStatus::kResolved);
  EXPECT_FALSE(survey(c));
  auto ev = events(c);
  EXPECT_EQ(ev.back().action, EventAction::kAccepted);
  EXPECT_EQ(ev.back().actor_kind, ActorKind::kAgent);
  EXPECT_EQ(ev.back().actor, kAgent);
  EXPECT_EQ(ev.back().details.at("via"), "agent");
  // Not shown a survey: closing invites to it.
  ASSERT_TRUE(svc().close(Actor::agent(kAgent), c.number));
  EXPECT_EQ(outbox_kinds(c), (std::vector<std::string>{"solution", "closed", "survey"}));
}

TEST_F(CaseServicesTest, AcceptedByReplyTheEventNamesTheMailDoor) {
  auto c = new_case(CaseStatus::kSolutionProposed);
  auto w = write_unit();
  ASSERT_TRUE(svc().accept(w, Actor::customer("mail"), c));
  ASSERT_TRUE(w.commit());
  EXPECT_FALSE(survey(c));  // the reply shows no survey
  EXPECT_EQ(events(c).back().details.at("via"), "mail");
}

TEST_F(CaseServicesTest, NothingCanBeAcceptedBeforeASolutionIsProposed) {
  auto c = new_case(CaseStatus::kOpen);
  auto done = svc().accept(Actor::customer("web"), c.number);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(done.error().message.find("accepting a solution is not possible while the case is open"),
            std::string::npos)
      << done.error().message;
  EXPECT_EQ(read_case(c.number).status, CaseStatus::kOpen);
  EXPECT_FALSE(survey(c));
  EXPECT_EQ(events(c).back().action, EventAction::kCommented);
}

// ---- reject -------------------------------------------------------------------------

TEST_F(CaseServicesTest, ACustomersReasonForRejectingBecomesAPublicCommentFromThem) {
  auto c = new_case(CaseStatus::kSolutionProposed);
  auto done = svc().reject(Actor::customer("web"), c.number, "The toner is new.");
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(read_case(c.number).status, CaseStatus::kOpen);
  auto cms = comments(c);
  ASSERT_EQ(cms.size(), 2u);
  EXPECT_EQ(cms[1].direction, store::Direction::kInbound);
  EXPECT_EQ(cms[1].visibility, store::Visibility::kPublic);
  EXPECT_EQ(cms[1].author, "customer (web page)");
  EXPECT_EQ(cms[1].body, "The toner is new.");
  auto ev = events(c);
  EXPECT_EQ(ev.back().action, EventAction::kRejected);
  EXPECT_EQ(ev.back().actor_kind, ActorKind::kCustomer);
  EXPECT_EQ(ev.back().details.at("via"), "web");
  EXPECT_EQ(ev.back().details.at("reason"), "The toner is new.");
  EXPECT_EQ(outbox_kinds(c), (std::vector<std::string>{"solution"}));
}

TEST_F(CaseServicesTest, AnAgentsReasonForRejectingIsKeptOnlyOnTheEvent) {
  auto c = new_case(CaseStatus::kSolutionProposed);
  const auto before = comments(c).size();
  auto done = svc().reject(Actor::agent(kAgent), c.number, "customer called: still broken");
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(read_case(c.number).status, CaseStatus::kOpen);
  EXPECT_EQ(comments(c).size(), before);
  auto ev = events(c);
  EXPECT_EQ(ev.back().action, EventAction::kRejected);
  EXPECT_EQ(ev.back().actor_kind, ActorKind::kAgent);
  EXPECT_EQ(ev.back().actor, kAgent);
  EXPECT_EQ(ev.back().details.at("via"), "agent");
  EXPECT_EQ(ev.back().details.at("reason"), "customer called: still broken");
}

TEST_F(CaseServicesTest, ACustomerWhoRejectsWithoutAReasonAddsNoComment) {
  auto c = new_case(CaseStatus::kSolutionProposed);
  const auto before = comments(c).size();
  ASSERT_TRUE(svc().reject(Actor::customer("web"), c.number, ""));
  EXPECT_EQ(comments(c).size(), before);
  EXPECT_EQ(events(c).back().action, EventAction::kRejected);
}

// ---- close --------------------------------------------------------------------------

TEST_F(CaseServicesTest, ClosingMailsTheClosingNoteAndTheSurveyInvitation) {
  auto c = new_case(CaseStatus::kOpen);
  auto done = svc().close(Actor::agent(kAgent), c.number);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(read_case(c.number).status, CaseStatus::kClosed);
  auto rows = outbox(c);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].kind, "closed");
  EXPECT_EQ(rows[1].to, "alice@example.org");
  EXPECT_TRUE(rows[1].automatic);
  EXPECT_EQ(rows[2].kind, "survey");
  EXPECT_EQ(rows[2].to, "alice@example.org");
  auto ev = events(c);
  EXPECT_EQ(ev.back().action, EventAction::kClosed);
  EXPECT_EQ(ev.back().actor, kAgent);
}

TEST_F(CaseServicesTest, ACaseClosedAgainAfterReopeningInvitesToTheSurveyOnlyOnce) {
  auto c = new_case(CaseStatus::kClosed);
  EXPECT_EQ(outbox_kinds(c), (std::vector<std::string>{"solution", "closed", "survey"}));
  ASSERT_TRUE(svc().reopen(Actor::agent(kAgent), c.number));
  ASSERT_TRUE(svc().close(Actor::agent(kAgent), c.number));
  EXPECT_EQ(outbox_kinds(c), (std::vector<std::string>{"solution", "closed", "survey", "closed"}));
}

TEST_F(CaseServicesTest, AClosedCaseCannotBeClosedAgain) {
  auto c = new_case(CaseStatus::kClosed);
  const auto before = events(c).size();
  auto done = svc().close(Actor::agent(kAgent), c.number);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(events(c).size(), before);
  EXPECT_EQ(outbox(c).size(), 3u);
}

// ---- reopen -------------------------------------------------------------------------

TEST_F(CaseServicesTest, AnAgentReopensAResolvedOrAClosedCase) {
  for (CaseStatus from : {CaseStatus::kResolved, CaseStatus::kClosed}) {
    auto c = new_case(from);
    const auto mails = outbox(c).size();
    auto done = svc().reopen(Actor::agent(kAgent), c.number);
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_EQ(read_case(c.number).status, CaseStatus::kOpen) << to_string(from);
    auto ev = events(c);
    EXPECT_EQ(ev.back().action, EventAction::kReopened);
    EXPECT_EQ(ev.back().actor_kind, ActorKind::kAgent);
    EXPECT_EQ(ev.back().actor, kAgent);
    EXPECT_EQ(outbox(c).size(), mails);  // no mail
  }
}

TEST_F(CaseServicesTest, AnAgentCannotReopenACaseThatIsStillOpen) {
  auto c = new_case(CaseStatus::kOpen);
  const auto before = events(c).size();
  auto done = svc().reopen(Actor::agent(kAgent), c.number);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(events(c).size(), before);
  EXPECT_EQ(read_case(c.number).status, CaseStatus::kOpen);
}

TEST_F(CaseServicesTest, TheCustomersMailReopensAClosedCaseAndLeavesAnOpenOneAsItIs) {
  auto closed = new_case(CaseStatus::kClosed);
  {
    auto w = write_unit();
    ASSERT_TRUE(svc().reopen(w, Actor::customer("mail"), closed));
    ASSERT_TRUE(w.commit());
  }
  EXPECT_EQ(read_case(closed.number).status, CaseStatus::kOpen);
  auto ev = events(closed);
  EXPECT_EQ(ev.back().action, EventAction::kReopened);
  EXPECT_EQ(ev.back().actor_kind, ActorKind::kCustomer);
  EXPECT_EQ(ev.back().details.at("via"), "mail");

  auto proposed = new_case(CaseStatus::kSolutionProposed);
  const auto before = events(proposed).size();
  {
    auto w = write_unit();
    ASSERT_TRUE(svc().reopen(w, Actor::customer("mail"), proposed));
    ASSERT_TRUE(w.commit());
  }
  EXPECT_EQ(read_case(proposed.number).status, CaseStatus::kSolutionProposed);
  EXPECT_EQ(events(proposed).size(), before);
}

// ---- assign -------------------------------------------------------------------------

TEST_F(CaseServicesTest, AssignStoresTheActiveAgentInTheAgentsOwnSpelling) {
  auto c = new_case();
  auto done = svc().assign(Actor::agent("ada@corp.example"), c.number, "MAREK@Corp.Example");
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->owner, "marek@corp.example");
  EXPECT_EQ(read_case(c.number).owner, "marek@corp.example");
  auto ev = events(c);
  EXPECT_EQ(ev.back().action, EventAction::kAssigned);
  EXPECT_EQ(ev.back().actor, "ada@corp.example");
  EXPECT_EQ(ev.back().details.at("owner"), "marek@corp.example");
  // No mail to the customer; the new owner, given the case by someone else, is told.
  auto mails = outbox(c);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].kind, "notice_assigned");
  EXPECT_EQ(mails[0].to, "marek@corp.example");

  // Empty: nobody.
  ASSERT_TRUE(svc().assign(Actor::agent(kAgent), c.number, ""));
  EXPECT_EQ(read_case(c.number).owner, "");
  EXPECT_EQ(events(c).back().details.at("owner"), "");
}

TEST_F(CaseServicesTest, AssignRefusesADisabledOrUnknownAgentAndKeepsTheOwner) {
  auto c = new_case();
  ASSERT_TRUE(svc().assign(Actor::agent(kAgent), c.number, kAgent));
  const auto before = events(c).size();
  for (const std::string who : {"olga@corp.example", "nobody@corp.example", "Marek"}) {
    auto done = svc().assign(Actor::agent(kAgent), c.number, who);
    ASSERT_FALSE(done) << who;
    EXPECT_EQ(done.error().code, ErrorCode::kInvalidInput);
    EXPECT_NE(done.error().message.find("no active agent " + who), std::string::npos) << done.error().message;
  }
  EXPECT_EQ(read_case(c.number).owner, kAgent);
  EXPECT_EQ(events(c).size(), before);
}

// ---- add_participant ----------------------------------------------------------------

TEST_F(CaseServicesTest, AnAgentLetsAnotherAddressWriteToTheCase) {
  auto c = new_case();
  auto done = svc().add_participant(Actor::agent(kAgent), c.number, "<Bob@Example.org>");
  ASSERT_TRUE(done) << done.error().message;
  auto ps = db().participants_of(c.id);
  ASSERT_TRUE(ps);
  ASSERT_EQ(ps->size(), 1u);
  EXPECT_EQ(ps->front().email, "bob@example.org");
  EXPECT_EQ(ps->front().source, "agent");
  auto ev = events(c);
  EXPECT_EQ(ev.back().action, EventAction::kParticipantAdded);
  EXPECT_EQ(ev.back().actor, kAgent);
  EXPECT_EQ(ev.back().details.at("email"), "bob@example.org");
}

TEST_F(CaseServicesTest, OurOwnAddressesAndNonAddressesCannotBeParticipants) {
  auto c = new_case();
  for (const std::string e :
       {"Support@Corp.Example", "help@corp.example", "HELP@corp.example", "not an address", "bob",
        "@example.org", "bob@", "a@b.example, c@d.example", ""}) {
    auto done = svc().add_participant(Actor::agent(kAgent), c.number, e);
    ASSERT_FALSE(done) << "'" << e << "'";
    EXPECT_EQ(done.error().code, ErrorCode::kInvalidInput) << e;
  }
  auto ps = db().participants_of(c.id);
  ASSERT_TRUE(ps);
  EXPECT_TRUE(ps->empty());
  EXPECT_EQ(events(c).size(), 1u);
}

// Text that would be stored as a participant no mail can ever come from.
TEST_F(CaseServicesTest, AParticipantMustBeOneWellFormedAddress) {
  auto c = new_case();
  for (const std::string e : {"bob@@example.org", "bob@example..org", "bob@.example.org", ".bob@example.org",
                              "bob@exa(mple).org", "bob@example.org\x01", "bob:x@example.org"}) {
    auto done = svc().add_participant(Actor::agent(kAgent), c.number, e);
    ASSERT_FALSE(done) << "'" << e << "'";
    EXPECT_EQ(done.error().code, ErrorCode::kInvalidInput) << e;
    EXPECT_NE(done.error().message.find("not an email address"), std::string::npos) << done.error().message;
  }
  auto ps = db().participants_of(c.id);
  ASSERT_TRUE(ps);
  EXPECT_TRUE(ps->empty());
  EXPECT_EQ(events(c).size(), 1u);
}

// ---- answer_survey ------------------------------------------------------------------

TEST_F(CaseServicesTest, TheSurveyIsAnsweredOnceWithARatingFromOneToFive) {
  auto c = new_case(CaseStatus::kResolved);
  for (int bad : {0, 6, -1}) {
    auto r = svc().answer_survey(Actor::customer("web"), c.number, bad, "");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  }
  EXPECT_FALSE(survey(c));
  auto first = svc().answer_survey(Actor::customer("web"), c.number, 4, "Quick, thanks.");
  ASSERT_TRUE(first) << first.error().message;
  auto sv = survey(c);
  ASSERT_TRUE(sv);
  EXPECT_EQ(sv->rating, 4);
  EXPECT_EQ(sv->comment, "Quick, thanks.");
  auto ev = events(c);
  EXPECT_EQ(ev.back().action, EventAction::kSurveyAnswered);
  EXPECT_EQ(ev.back().actor_kind, ActorKind::kCustomer);
  EXPECT_EQ(ev.back().details.at("rating"), "4");
  EXPECT_EQ(ev.back().details.at("via"), "web");
  const auto after_first = ev.size();

  auto second = svc().answer_survey(Actor::customer("web"), c.number, 1, "changed my mind");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kConflict);
  sv = survey(c);
  ASSERT_TRUE(sv);
  EXPECT_EQ(sv->rating, 4);
  EXPECT_EQ(sv->comment, "Quick, thanks.");
  EXPECT_EQ(events(c).size(), after_first);
}

TEST_F(CaseServicesTest, TheSurveyShownOnTheWebPageCanStillBeAnswered) {
  auto c = new_case(CaseStatus::kSolutionProposed);
  ASSERT_TRUE(svc().accept(Actor::customer("web"), c.number));
  ASSERT_TRUE(survey(c));
  ASSERT_EQ(survey(c)->rating, 0);
  ASSERT_TRUE(svc().answer_survey(Actor::customer("web"), c.number, 5, ""));
  EXPECT_EQ(survey(c)->rating, 5);
}

// A case reopened after the customer rated it, and solved again: accepting on the web
// page again must keep the rating they gave (the page shows "thank you for your rating").
TEST_F(CaseServicesTest, AcceptingAgainOnTheWebPageKeepsTheRatingAlreadyGiven) {
  auto c = new_case(CaseStatus::kResolved);
  ASSERT_TRUE(svc().answer_survey(Actor::customer("web"), c.number, 4, "Quick, thanks."));
  ASSERT_TRUE(svc().reopen(Actor::agent(kAgent), c.number));
  ASSERT_TRUE(svc().propose_solution(Actor::agent(kAgent), c.number, {.body = "Now the drum."}));
  ASSERT_TRUE(svc().accept(Actor::customer("web"), c.number));
  auto sv = survey(c);
  ASSERT_TRUE(sv);
  EXPECT_EQ(sv->rating, 4);
  EXPECT_EQ(sv->comment, "Quick, thanks.");
  auto again = svc().answer_survey(Actor::customer("web"), c.number, 1, "");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
}

TEST_F(CaseServicesTest, TheSurveyIsClosedUntilTheCaseIsResolved) {
  auto c = new_case(CaseStatus::kSolutionProposed);
  auto r = svc().answer_survey(Actor::customer("web"), c.number, 5, "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  EXPECT_FALSE(survey(c));
  EXPECT_NE(events(c).back().action, EventAction::kSurveyAnswered);
}

// ---- mail_bounced -------------------------------------------------------------------

TEST_F(CaseServicesTest, ABouncedMailIsFailedAndItsCaseSaysSo) {
  auto c = new_case(CaseStatus::kOpen);
  auto rows = outbox(c);
  ASSERT_EQ(rows.size(), 1u);
  auto sent = rows[0];
  {
    auto w = write_unit();
    ASSERT_TRUE(svc().mail_bounced(w, c.id, sent, "bounced: 5.1.1"));
    ASSERT_TRUE(w.commit());
  }
  auto after = outbox(c);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].state, store::OutboxState::kFailed);
  EXPECT_EQ(after[0].last_error, "bounced: 5.1.1");
  auto ev = events(c);
  EXPECT_EQ(ev.back().action, EventAction::kMailBounced);
  EXPECT_EQ(ev.back().actor_kind, ActorKind::kSystem);
  EXPECT_EQ(ev.back().actor, "mailcase");
  EXPECT_EQ(ev.back().details.at("kind"), "comment");
  EXPECT_EQ(ev.back().details.at("to"), "alice@example.org");
  EXPECT_EQ(ev.back().details.at("error"), "bounced: 5.1.1");
}

TEST_F(CaseServicesTest, AMailTheOutboxGaveUpOnIsAnInternalNoteAndAnEventBySystem) {
  auto c = new_case(CaseStatus::kOpen);
  auto rows = outbox(c);
  ASSERT_EQ(rows.size(), 1u);
  const std::string note = "The comment mail to alice@example.org could not be delivered: 550 no such user";
  {
    auto w = write_unit();
    ASSERT_TRUE(svc().mail_failed(w, rows[0], note));
    ASSERT_TRUE(w.commit());
  }
  auto cm = comments(c);
  ASSERT_FALSE(cm.empty());
  EXPECT_EQ(cm.back().body, note);
  EXPECT_EQ(cm.back().author, "mailcase");
  EXPECT_EQ(cm.back().direction, store::Direction::kNote);
  EXPECT_EQ(cm.back().visibility, store::Visibility::kInternal);  // agents see it, the customer not
  auto ev = events(c);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back().action, EventAction::kMailFailed);
  EXPECT_EQ(ev.back().actor_kind, ActorKind::kSystem);
  EXPECT_EQ(ev.back().actor, "mailcase");
  EXPECT_EQ(ev.back().details.at("kind"), "comment");
  EXPECT_EQ(ev.back().details.at("to"), "alice@example.org");
  EXPECT_EQ(ev.back().details.at("note"), note);
  EXPECT_EQ(outbox(c).size(), 1u);  // no mail about the mail that failed
}

TEST_F(CaseServicesTest, AFailedMailOfNoCaseWritesNothingAndItsUnitRollsBackUnlessCommitted) {
  auto c = new_case(CaseStatus::kOpen);
  const auto comments_before = comments(c).size();
  const auto events_before = events(c).size();
  store::OutboxMail orphan;
  orphan.kind = "comment";
  orphan.to = "bob@example.org";
  {
    auto w = write_unit();
    EXPECT_TRUE(svc().mail_failed(w, orphan, "lost"));
    ASSERT_TRUE(w.commit());
  }
  {
    auto w = write_unit();  // the join form commits nothing: dropped, the note goes too
    ASSERT_TRUE(svc().mail_failed(w, outbox(c)[0], "not kept"));
  }
  EXPECT_EQ(comments(c).size(), comments_before);
  EXPECT_EQ(events(c).size(), events_before);
}

// ---- the own form -------------------------------------------------------------------

TEST_F(CaseServicesTest, AnUnknownCaseIsNotFoundByNumberOrById) {
  new_case();
  bool ran = false;
  auto fn = [&](store::UnitOfWork&, store::Case&) -> Status {
    ran = true;
    return {};
  };
  auto by_number = svc().on_case("CS0000099", fn);
  ASSERT_FALSE(by_number);
  EXPECT_EQ(by_number.error().code, ErrorCode::kNotFound);
  auto by_id = svc().on_case(store::Id{99}, fn);
  ASSERT_FALSE(by_id);
  EXPECT_EQ(by_id.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(ran);
  auto comment = svc().comment(Actor::agent(kAgent), "CS0000099", {.body = "hello"});
  ASSERT_FALSE(comment);
  EXPECT_EQ(comment.error().code, ErrorCode::kNotFound);
}

TEST_F(CaseServicesTest, OnCaseByIdCommitsAndReturnsTheCaseAsItNowIs) {
  auto c = new_case(CaseStatus::kSolutionProposed);
  auto done = svc().on_case(
      c.id, [&](store::UnitOfWork& w, store::Case& k) { return svc().accept(w, Actor::customer("web"), k); });
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->number, c.number);
  EXPECT_EQ(done->status, CaseStatus::kResolved);
  EXPECT_EQ(read_case(c.number).status, CaseStatus::kResolved);
}

// Everything fn wrote before the refusal goes with it: the note, its event, the mail.
TEST_F(CaseServicesTest, AnActionTheStatusRefusesLeavesNothingBehind) {
  auto c = new_case(CaseStatus::kOpen);
  const auto events_before = events(c).size();
  const auto comments_before = comments(c).size();
  const auto mails_before = outbox(c).size();
  auto done = svc().on_case(c.number, [&](store::UnitOfWork& w, store::Case& k) -> Status {
    MC_RETURN_IF_ERROR(
        svc().comment(w, Actor::agent(kAgent), k, {.body = "Note first.", .is_public = false}));
    MC_RETURN_IF_ERROR(svc().comment(w, Actor::agent(kAgent), k, {.body = "And a reply."}));
    return svc().accept(w, Actor::customer("web"), k);  // no solution proposed: refused
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kInvalidInput);
  auto fresh = read_case(c.number);
  EXPECT_EQ(fresh.status, CaseStatus::kOpen);
  EXPECT_EQ(events(c).size(), events_before);
  EXPECT_EQ(comments(c).size(), comments_before);
  EXPECT_EQ(outbox(c).size(), mails_before);
  EXPECT_FALSE(survey(c));
}

TEST_F(CaseServicesTest, APublicCommentOnAClosedCaseIsRefusedAndLeavesNothing) {
  auto c = new_case(CaseStatus::kClosed);
  const auto events_before = events(c).size();
  const auto comments_before = comments(c).size();
  const auto mails_before = outbox(c).size();
  auto done = svc().comment(Actor::agent(kAgent), c.number, {.body = "One more thing."});
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(read_case(c.number).status, CaseStatus::kClosed);
  EXPECT_EQ(events(c).size(), events_before);
  EXPECT_EQ(comments(c).size(), comments_before);
  EXPECT_EQ(outbox(c).size(), mails_before);
}

// Ingest runs a batch of mails in one unit: a refused action must not leave half of
// itself in the caller's unit, which goes on and commits the rest of the batch.
TEST_F(CaseServicesTest, ARefusedCommentWritesNothingIntoTheCallersUnit) {
  auto c = new_case(CaseStatus::kClosed);
  const auto comments_before = comments(c).size();
  const auto events_before = events(c).size();
  const auto mails_before = outbox(c).size();
  {
    auto w = write_unit();
    auto refused = svc().comment(w, Actor::agent(kAgent), c, {.body = "One more thing."});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidInput);
    ASSERT_TRUE(
        svc().comment(w, Actor::agent(kAgent), c, {.body = "Called her instead.", .is_public = false}));
    ASSERT_TRUE(w.commit());
  }
  auto cms = comments(c);
  ASSERT_EQ(cms.size(), comments_before + 1);
  EXPECT_EQ(cms.back().body, "Called her instead.");
  EXPECT_EQ(events(c).size(), events_before + 1);
  EXPECT_EQ(outbox(c).size(), mails_before);
  EXPECT_EQ(read_case(c.number).status, CaseStatus::kClosed);
}

// Two threads, each on pooled units of their own: every comment lands, none is lost to a
// busy database.
TEST_F(CaseServicesTest, TwoThreadsCommentingOnOneCaseAtOnceAllLand) {
  auto c = new_case();
  constexpr int kEach = 20;
  // Every other comment public: its outbox row and Message-ID are written in the same
  // unit, beside the other thread's.
  auto body_of = [](int t, int i) { return "thread " + std::to_string(t) + " comment " + std::to_string(i); };
  std::vector<std::string> failures[2];
  auto work = [&](int t) {
    for (int i = 0; i < kEach; ++i) {
      auto r =
          svc().comment(Actor::agent(kAgent), c.number, {.body = body_of(t, i), .is_public = i % 2 == 0});
      if (!r) failures[t].push_back(r.error().message);
    }
  };
  std::thread a(work, 0), b(work, 1);
  a.join();
  b.join();
  for (const auto& f : failures) EXPECT_TRUE(f.empty()) << f.size() << " failed, first: " << f.front();
  auto cms = comments(c);
  EXPECT_EQ(cms.size(), 2u * kEach);
  for (int t = 0; t < 2; ++t)
    for (int i = 0; i < kEach; ++i) {
      const std::string body = body_of(t, i);
      EXPECT_EQ(
          std::count_if(cms.begin(), cms.end(), [&](const store::Comment& m) { return m.body == body; }), 1)
          << body;
    }
  auto ev = events(c);
  EXPECT_EQ(std::count_if(ev.begin(), ev.end(),
                          [](const store::Event& e) { return e.action == EventAction::kCommented; }),
            kEach);
  EXPECT_EQ(std::count_if(ev.begin(), ev.end(),
                          [](const store::Event& e) { return e.action == EventAction::kNote; }),
            kEach);
  auto rows = outbox(c);
  EXPECT_EQ(rows.size(), size_t{kEach});
  for (const auto& m : rows) EXPECT_EQ(m.kind, "comment");
  EXPECT_EQ(read_case(c.number).status, CaseStatus::kOpen);
}

// A case with no contact: the comment is kept and its history says why no mail went.
TEST_F(CaseServicesTest, APublicCommentOnACaseWithoutContactSaysNoMailWasSent) {
  store::Case c;
  {
    auto w = write_unit();
    auto created = svc().create(w, Actor::agent(kAgent), store::Case{.subject = "Phone call"}, "");
    ASSERT_TRUE(created) << created.error().message;
    c = *created;
    ASSERT_TRUE(w.commit());
  }
  auto done = svc().comment(Actor::agent(kAgent), c.number, {.body = "Called back."});
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_TRUE(outbox(c).empty());
  EXPECT_EQ(comments(c).size(), 1u);
  auto ev = events(c);
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[1].action, EventAction::kMailNotSent);
  EXPECT_EQ(ev[1].actor_kind, ActorKind::kSystem);
  EXPECT_EQ(ev[1].details.at("reason"), "the case has no contact");
  EXPECT_EQ(ev[2].action, EventAction::kCommented);
}

// ---- change -------------------------------------------------------------------------

TEST_F(CaseServicesTest, ChangeSetsQueuePriorityAndProductWithOneEventPerChangedField) {
  auto c = new_case();
  const auto queue_before = read_case(c.number).queue;
  auto done = svc().change(Actor::agent(kAgent, "api"), c.number,
                           {.queue = "Hardware", .priority = "high", .product = "Printers"});
  ASSERT_TRUE(done) << done.error().message;
  auto stored = read_case(c.number);
  EXPECT_EQ(stored.queue, "Hardware");
  EXPECT_EQ(stored.priority, "high");
  EXPECT_EQ(stored.product, "Printers");
  auto ev = events(c);
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[1].action, EventAction::kChanged);
  EXPECT_EQ(ev[1].actor, kAgent);
  EXPECT_EQ(ev[1].details, (std::map<std::string, std::string>{
                               {"field", "queue"}, {"from", queue_before}, {"to", "Hardware"}}));
  EXPECT_EQ(ev[2].details.at("field"), "priority");
  EXPECT_EQ(ev[2].details.at("from"), "normal");
  EXPECT_EQ(ev[3].details.at("field"), "product");
  EXPECT_EQ(ev[3].details.at("to"), "Printers");
  EXPECT_TRUE(outbox(c).empty());

  // The same values again, or nothing at all: no write, no event.
  ASSERT_TRUE(svc().change(Actor::agent(kAgent), c.number, {.queue = "Hardware", .priority = "high"}));
  ASSERT_TRUE(svc().change(Actor::agent(kAgent), c.number, {}));
  EXPECT_EQ(events(c).size(), 4u);
  // An empty product clears it.
  ASSERT_TRUE(svc().change(Actor::agent(kAgent), c.number, {.product = ""}));
  EXPECT_EQ(read_case(c.number).product, "");
  EXPECT_EQ(events(c).back().details.at("to"), "");
}

TEST_F(CaseServicesTest, ChangeRefusesAnUnfitValueAndWritesNothingEvenForTheFitOnes) {
  auto c = new_case();
  const auto before = read_case(c.number);
  const std::vector<CaseFields> bad = {
      {.queue = "Hardware", .priority = ""},
      {.queue = "Line\nbreak"},
      {.priority = " high"},
      {.product = std::string(kMaxFieldBytes + 1, 'p')},
      {.queue = std::string("bad\xff")},
  };
  for (const auto& f : bad) {
    auto done = svc().change(Actor::agent(kAgent), c.number, f);
    ASSERT_FALSE(done);
    EXPECT_EQ(done.error().code, ErrorCode::kInvalidInput);
  }
  auto after = read_case(c.number);
  EXPECT_EQ(after.queue, before.queue);
  EXPECT_EQ(after.priority, before.priority);
  EXPECT_EQ(events(c).size(), 1u);
  EXPECT_FALSE(svc().change(Actor::agent(kAgent), "CS9999999", {.queue = "x"}));
}

TEST(CheckCaseField, NamesTheFieldAtFault) {
  EXPECT_TRUE(check_case_field("queue", "Support"));
  EXPECT_TRUE(check_case_field("product", ""));
  EXPECT_TRUE(check_case_field("priority", "P1 – urgent"));
  auto empty = check_case_field("queue", "  ");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message.rfind("queue: ", 0), 0u) << empty.error().message;
  auto tab = check_case_field("priority", "a\tb");
  ASSERT_FALSE(tab);
  EXPECT_EQ(tab.error().message.rfind("priority: ", 0), 0u);
  EXPECT_FALSE(check_case_field("product", std::string(kMaxFieldBytes + 1, 'x')));
  EXPECT_TRUE(check_case_field("product", std::string(kMaxFieldBytes, 'x')));
}

// ---- open_case ----------------------------------------------------------------------

TEST_F(CaseServicesTest, AnAgentOpensACaseForANewContactWhoIsMadeWithTheAddress) {
  NewCase n{.contact_email = "Bob@Example.org",
            .contact_name = "Bob Builder",
            .subject = "  Phone call: VPN down ",
            .description = "Called at 9:00.\nVPN client 4.2",
            .queue = "Network",
            .priority = "high",
            .owner = "MAREK@corp.example"};
  auto done = svc().open_case(Actor::agent(kAgent, "api"), n);
  ASSERT_TRUE(done) << done.error().message;
  auto c = read_case(done->number);
  EXPECT_EQ(c.subject, "Phone call: VPN down");
  EXPECT_EQ(c.description, "Called at 9:00.\nVPN client 4.2");
  EXPECT_EQ(c.status, CaseStatus::kNew);
  EXPECT_EQ(c.origin, "agent");
  EXPECT_EQ(c.queue, "Network");
  EXPECT_EQ(c.priority, "high");
  EXPECT_EQ(c.owner, kAgent);
  ASSERT_TRUE(c.contact_id);
  auto contact = db().get_contact(*c.contact_id);
  ASSERT_TRUE(contact && *contact);
  EXPECT_EQ((*contact)->name, "Bob Builder");
  EXPECT_EQ((*contact)->emails, std::vector<std::string>{"bob@example.org"});
  auto ev = events(c);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].action, EventAction::kCreated);
  EXPECT_EQ(ev[0].actor_kind, ActorKind::kAgent);
  EXPECT_EQ(ev[0].actor, kAgent);
  EXPECT_EQ(ev[1].action, EventAction::kAssigned);
  // Nothing asked to be mailed: nothing is.
  EXPECT_TRUE(outbox(c).empty());
  EXPECT_TRUE(comments(c).empty());
}

TEST_F(CaseServicesTest, AnAgentsCaseForAKnownContactUsesThemAndTheDefaultsOfRouting) {
  auto first = new_case();
  const auto alice = read_case(first.number).contact_id;
  auto done = svc().open_case(Actor::agent(kAgent), {.contact_email = "ALICE@example.org", .subject = "Toner"});
  ASSERT_TRUE(done) << done.error().message;
  auto c = read_case(done->number);
  EXPECT_EQ(c.contact_id, alice);
  EXPECT_EQ(c.queue, "Support");
  EXPECT_EQ(c.priority, "normal");
  EXPECT_EQ(c.owner, "");
  EXPECT_EQ(events(c).size(), 1u);
}

// Our own address as a case's contact: its confirmation and replies would be mailed to us.
TEST_F(CaseServicesTest, AnAgentsCaseIsForNoneOfOurOwnAddresses) {
  for (const char* ours : {"support@corp.example", "SUPPORT+x@corp.example", "\"support\"@corp.example"}) {
    auto done = svc().open_case(Actor::agent(kAgent), {.contact_email = ours, .subject = "Loop?"});
    ASSERT_FALSE(done) << ours;
    EXPECT_EQ(done.error().code, ErrorCode::kInvalidInput) << ours;
    EXPECT_NE(done.error().message.find("one of our own addresses"), std::string::npos) << done.error().message;
  }
}

TEST_F(CaseServicesTest, AnAgentsCaseMayMailAConfirmationAndAFirstPublicComment) {
  NewCase n{.contact_email = "carol@example.org", .subject = "Laptop order"};
  n.first_comment = AgentComment{.body = "We ordered your laptop."};
  n.confirm = true;
  auto done = svc().open_case(Actor::agent(kAgent), n);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->status, CaseStatus::kOpen);
  auto rows = outbox(*done);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].kind, "confirmation");
  EXPECT_EQ(rows[0].to, "carol@example.org");
  EXPECT_FALSE(rows[0].automatic);
  EXPECT_EQ(rows[1].kind, "comment");
  EXPECT_NE(rows[1].raw.find("We ordered your laptop."), std::string::npos);
  auto ev = events(*done);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1].action, EventAction::kCommented);

  // An internal first comment is kept for agents and mails nobody.
  NewCase quiet{.contact_email = "carol@example.org", .subject = "Second laptop"};
  quiet.first_comment = AgentComment{.body = "Budget approved.", .is_public = false};
  auto q = svc().open_case(Actor::agent(kAgent), quiet);
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_TRUE(outbox(*q).empty());
  EXPECT_EQ(comments(*q).size(), 1u);
}

TEST_F(CaseServicesTest, AnAgentsCaseWithBadInputIsRefusedAndLeavesNoCaseNorContact) {
  const std::vector<NewCase> bad = {
      {.contact_email = "not an address", .subject = "x"},
      {.contact_email = "dan@example.org", .subject = " "},
      {.contact_email = "dan@example.org", .subject = "two\nlines"},
      {.contact_email = "dan@example.org", .subject = "x", .queue = "a\x01"},
      {.contact_email = "dan@example.org", .subject = "x", .owner = "olga@corp.example"},
      {.contact_email = "dan@example.org", .contact_name = "Dan\r\nBcc: x", .subject = "x"},
  };
  for (const auto& n : bad) {
    auto done = svc().open_case(Actor::agent(kAgent), n);
    ASSERT_FALSE(done) << n.subject;
    EXPECT_EQ(done.error().code, ErrorCode::kInvalidInput) << done.error().message;
  }
  NewCase empty_comment{.contact_email = "dan@example.org", .subject = "x"};
  empty_comment.first_comment = AgentComment{.body = "  "};
  EXPECT_FALSE(svc().open_case(Actor::agent(kAgent), empty_comment));
  auto all = db().list_cases(100);
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->empty());
  auto dan = db().find_contact_by_email("dan@example.org");
  ASSERT_TRUE(dan);
  EXPECT_FALSE(*dan);
}

// A monitoring alert's case (origin "alert") is resolved by its rule, and mails no one
// automatically, even with a contact: no confirmation, no closed or survey mail.
TEST_F(CaseServicesTest, AnAlertCaseIsResolvedByItsRuleAndMailsNothingAutomatic) {
  store::Case c;
  {
    auto w = write_unit();
    auto id = w.accounts().add_contact({.name = "Nagios", .emails = {"nagios@monitor.example.net"}});
    ASSERT_TRUE(id) << id.error().message;
    store::Case fresh;
    fresh.contact_id = *id;
    fresh.subject = "web01/HTTP CRITICAL";
    fresh.origin = std::string(kAlertOrigin);
    auto created = svc().create(w, Actor::rule("nagios"), fresh, "alert");
    ASSERT_TRUE(created) << created.error().message;
    c = *created;
    ASSERT_TRUE(svc().confirm_new_case(w, c, {.from = "nagios@monitor.example.net",
                                                .envelope_sender = "nagios@monitor.example.net",
                                                .sender_is_known_contact = true}));
    ASSERT_TRUE(svc().resolve(w, Actor::rule("nagios"), c));
    EXPECT_EQ(c.status, CaseStatus::kResolved);
    auto again = svc().resolve(w, Actor::rule("nagios"), c);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::kInvalidInput);
    ASSERT_TRUE(w.commit());
  }
  EXPECT_EQ(read_case(c.number).status, CaseStatus::kResolved);
  ASSERT_TRUE(svc().close(Actor::agent(kAgent), c.number));
  EXPECT_TRUE(outbox(c).empty()) << outbox_kinds(c).front();
  bool resolved_by_rule = false, held_back = false;
  for (const auto& e : events(c)) {
    resolved_by_rule = resolved_by_rule || (e.action == EventAction::kResolved &&
                                            e.actor_kind == store::ActorKind::kRule && e.actor == "nagios");
    held_back = held_back || (e.action == EventAction::kMailNotSent &&
                              e.details.at("reason") == "an alert case sends no automatic mail");
  }
  EXPECT_TRUE(resolved_by_rule);
  EXPECT_TRUE(held_back);
  // An agent's own public comment is theirs to send.
  ASSERT_TRUE(svc().reopen(Actor::agent(kAgent), c.number));
  ASSERT_TRUE(svc().comment(Actor::agent(kAgent), c.number, {.body = "Fixed the load balancer."}));
  EXPECT_EQ(outbox_kinds(c), std::vector<std::string>{"comment"});
}

}  // namespace
}  // namespace mailcase::services
