// The case services: the only code that changes a case. Every door (ingest, the command
// line, the customer pages, the coming API and rules) calls these; none writes a case,
// a comment, an event or an outbox row itself.
//
// Each service applies the lifecycle's pure decision (cases/lifecycle.h), writes the
// change, the event that names its actor, and the outbox rows of the mails it causes in
// ONE unit of work: they commit together or not at all.
//
// Two forms:
//   - the join form takes the caller's open unit of work (`store::UnitOfWork&`) and
//     commits nothing: ingest runs a batch of mails in one transaction;
//   - the own form takes a case number, opens a unit of its own on a pooled connection
//     (safe from any thread), commits, and returns the case as it now is: the command
//     line and HTTP handlers.
// Errors: kNotFound for an unknown case, kInvalidInput for an action the case's status
// does not allow (with a sentence a user understands) or bad input, kConflict for a
// survey answered twice, kTemporary when the store is busy.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cases/lifecycle.h"
#include "config/config.h"
#include "domain/clock.h"
#include "outbound/compose.h"
#include "services/agent_notices.h"
#include "outbound/signed_link.h"
#include "outbound/templates.h"
#include "store/store.h"

namespace mailcase::spool {
class FileBlobStore;
}

namespace mailcase::services {

// Who acts on a case; every event names it.
struct Actor {
  store::ActorKind kind = store::ActorKind::kSystem;
  // An agent's email, a rule's name, a mail's From address, "customer", "mailcase".
  std::string name;
  // Through which door: "mail", "web", "cli", "api".
  std::string via;

  static Actor customer(std::string via) { return {store::ActorKind::kCustomer, "customer", std::move(via)}; }
  static Actor agent(std::string email, std::string via = "cli") {
    return {store::ActorKind::kAgent, std::move(email), std::move(via)};
  }
  static Actor system() { return {store::ActorKind::kSystem, "mailcase", ""}; }
  static Actor rule(std::string name) { return {store::ActorKind::kRule, std::move(name), ""}; }
  static Actor mail(std::string from) { return {store::ActorKind::kMail, std::move(from), "mail"}; }
};

// An agent's comment or proposed solution.
struct AgentComment {
  std::string body;
  bool is_public = true;
  std::vector<outbound::OutgoingAttachment> attachments;
  // Addresses copied on a public comment (at most kMaxCc): each is on the mail's Cc
  // header and gets its own copy, and becomes a participant of the case (as a help
  // desk's CCs do), so its replies thread onto the case and are accepted. Not on an
  // internal note or a solution.
  std::vector<std::string> cc;
};
inline constexpr size_t kMaxCc = 20;

// An agent's change to a case's fields; an absent field stays as it is. queue and
// priority must not be empty; product may be ("" clears it). Each is one line of clean
// text of at most kMaxFieldBytes.
struct CaseFields {
  std::optional<std::string> queue;
  std::optional<std::string> priority;
  std::optional<std::string> product;
};
inline constexpr size_t kMaxFieldBytes = 200;

// The origin of a case a monitoring alert opened (alerts/alert.h): it mails no one
// automatically (no confirmation, closed or survey mail), whoever its contact.
inline constexpr std::string_view kAlertOrigin = "alert";

// A case an agent opens for a contact (not from a mail).
struct NewCase {
  // The contact's address: the contact who has it, or a new contact made with it (named
  // contact_name, else nothing: the address stands for the name), in the account that
  // has the address, if one does.
  std::string contact_email;
  std::string contact_name;
  std::string subject;      // one line, required
  std::string description;  // may be empty
  std::string queue;        // empty: routing.default_queue
  std::string priority;     // empty: routing.default_priority
  std::string product;
  std::string owner;  // an active agent's email, or empty
  // Added after the case is made: a public one is mailed to the contact (and opens the
  // case, as any public comment does), an internal one is not.
  std::optional<AgentComment> first_comment;
  // Queues the confirmation mail (the mail door's template) to the contact. The agent
  // chose to send it: no loop guard, not counted as an automatic reply.
  bool confirm = false;
};

// Whether a value fits a case field (CaseFields): kInvalidInput naming the field when
// not. Pure.
Status check_case_field(std::string_view field, std::string_view value);

// The solutions proposed on a case: how many, and the latest one, named by the id of its
// solution_proposed event (0: none yet). propose_solution writes that event before the
// solution mail is queued, so that the mail's accept and reject links name the proposal
// they answer (outbound::LinkSigner::sign); a link naming an earlier one answers nothing.
struct Proposals {
  int64_t count = 0;
  store::Id latest = 0;
};
[[nodiscard]] Result<Proposals> proposals_of(store::UnitOfWork& w, store::Id case_id);

// The proposal an accept or reject link answers: the one its token names, else (a token
// made before tokens named one) the case's only proposal. Such an older token on a case
// with several proposals answers none (nullopt): which one its mail carried cannot be
// told, and guessing the latest is what let an old link accept a later solution. Pure.
std::optional<store::Id> proposal_answered(const std::optional<int64_t>& named, const Proposals& p);

// A customer's mail as it lands on a case (ingest has parsed and decided it).
struct InboundMail {
  std::string author;  // "Name <address>", as shown in the thread
  std::string body;    // the new text
  std::string quoted;  // the quoted rest
  bool is_public = true;
  std::optional<store::Id> raw_message_id;
  std::vector<store::Attachment> attachments;  // case_id and comment_id are set here
  std::string message_id;                      // threads replies back onto the case
  std::vector<std::string> participants;       // To/Cc addresses that may write to the case
  std::vector<std::string> cc;                 // its Cc line's addresses, shown on the comment
  // A customer's reply on a case that existed before it (not the mail that opened it, nor
  // machine mail, nor an archive's): the case's owner is told (agent_notices.h).
  bool notify_owner = false;
  std::string from;  // its sender's address: an agent writing is not told of their own mail
  // Whether a trusted server's Authentication-Results proved its From (trust/), shown
  // on the comment ("verified" / "not verified").
  bool sender_verified = false;
  // The case was opened in this same unit of work, by this mail, and every change made to
  // it since was written: its updated time is already now, so it is not rewritten (an
  // UPDATE of the case and its search-index trigger per new case spared).
  bool case_just_opened = false;
};

// The facts the loop guard needs before a new case is confirmed to its sender.
struct ConfirmFacts {
  bool is_machine_mail = false;
  std::vector<std::string> our_addresses;
  std::string from;                            // the mail's From address
  std::optional<std::string> envelope_sender;  // nullopt: unknown; "": <>
  bool sender_is_known_contact = false;        // see outbound::AutoReplyFacts
  std::string from_contradicted;               // see outbound::AutoReplyFacts
  bool auto_replies_suppressed = false;        // see outbound::AutoReplyFacts
};

class CaseServices {
 public:
  // Everything borrowed must outlive the services. blobs: where agents' attachments go
  // (null: their bytes are not kept). clock: link expiry and first send attempts count
  // from its now.
  CaseServices(store::Store& store, const config::Config& cfg, const outbound::Templates& templates,
               const outbound::LinkSigner& links, spool::FileBlobStore* blobs, const domain::Clock& clock);

  // ---- join form: inside the caller's unit of work --------------------------------

  // A new case from a mail (or an agent): numbered by the store; a "created" event. With
  // notify, its queue's members are told (agent_notices.h; not `import` of an archive).
  // A case naming a process starts at its first stage (domain::start_in_process: the one
  // place a case's stage starts); one naming a process that does not exist follows none,
  // and its "created" event says so (detail process_unknown): the mail is never refused.
  [[nodiscard]] Result<store::Case> create(store::UnitOfWork& w, const Actor& by, store::Case c,
                                           const std::string& reason, bool notify = true);
  // A mail on a case: its comment, attachments, Message-ID and participants; the case's
  // updated time moves. No status change (that is accept/reject/reopen). Tells the case's
  // owner when in.notify_owner. Returns the comment's id. Takes `in` whole: its texts
  // become the comment's without a copy (a body may be megabytes).
  [[nodiscard]] Result<store::Id> record_inbound(store::UnitOfWork& w, store::Case& c, InboundMail in);
  // The automatic confirmation of a new case, when the loop guard allows it; returns "ok",
  // or the reason none was queued (also written as an event).
  [[nodiscard]] Result<std::string> confirm_new_case(store::UnitOfWork& w, const store::Case& c,
                                                     const ConfirmFacts& facts);
  // A comment; a public one is mailed to the contact and its copies (AgentComment::cc).
  // A copy that is no address, one of our own addresses, more than kMaxCc of them, or
  // copies on an internal note: kInvalidInput "cc: …", with nothing written. The
  // "commented" event lists the copies in its "cc" detail.
  [[nodiscard]] Status comment(store::UnitOfWork& w, const Actor& by, store::Case& c, const AgentComment& in);
  [[nodiscard]] Status propose_solution(store::UnitOfWork& w, const Actor& by, store::Case& c,
                                        const AgentComment& in);
  // By the customer on the web page, the survey is shown there at once (so closing later
  // sends no survey mail).
  [[nodiscard]] Status accept(store::UnitOfWork& w, const Actor& by, store::Case& c);
  // A customer's reason becomes a public comment from them; an agent's is kept on the event.
  [[nodiscard]] Status reject(store::UnitOfWork& w, const Actor& by, store::Case& c, const std::string& why);
  [[nodiscard]] Status close(store::UnitOfWork& w, const Actor& by, store::Case& c);
  // By an agent: reopens a resolved or closed case. By a customer (their mail on it):
  // the lifecycle's answer to a customer's reply.
  [[nodiscard]] Status reopen(store::UnitOfWork& w, const Actor& by, store::Case& c);
  // Resolves a case that is not finished (a monitoring recovery, by its alert rule): no
  // mail, a "resolved" event. kInvalidInput when the case is resolved or closed already.
  [[nodiscard]] Status resolve(store::UnitOfWork& w, const Actor& by, store::Case& c);
  // Gives the case to an active agent, named by email whatever its letter case (empty:
  // nobody). kInvalidInput when no active agent has that email. No mail to the customer;
  // the new owner is told, unless they gave it to themselves (agent_notices.h).
  [[nodiscard]] Status assign(store::UnitOfWork& w, const Actor& by, store::Case& c,
                              const std::string& owner);
  // Lets an address write to the case as a participant (SF3). Never one of our own
  // addresses (routing addresses, outbound.from_address): kInvalidInput.
  [[nodiscard]] Status add_participant(store::UnitOfWork& w, const Actor& by, store::Case& c,
                                       const std::string& email);
  // Takes an address off the case's participants: its mail no longer threads onto the case
  // as a participant's, and it gets no more copies. A "participant_removed" event;
  // kNotFound when the address is none of the case's participants.
  [[nodiscard]] Status remove_participant(store::UnitOfWork& w, const Actor& by, store::Case& c,
                                          const std::string& email);
  // Changes the case's queue, priority and product: one "changed" event per field whose
  // value differs (details field, from, to), none and no write when none differs.
  // kInvalidInput, with nothing written, when any value is unfit (check_case_field).
  [[nodiscard]] Status change(store::UnitOfWork& w, const Actor& by, store::Case& c, const CaseFields& f);
  // Moves the case to another stage of its process: a "stage_changed" event (details
  // process, from, to); none and no write when it stands there already. kInvalidInput,
  // with nothing written, when the case follows no process or the stage is not one of
  // its process's (domain::stage_move).
  [[nodiscard]] Status set_stage(store::UnitOfWork& w, const Actor& by, store::Case& c,
                                 const std::string& stage);
  // A case an agent opens (origin "agent"): its contact found or made, a "created" event,
  // then an "assigned" one for an owner, the first comment and the confirmation, as
  // NewCase says. kInvalidInput for an unfit address, subject or field, or an owner who
  // is no active agent.
  [[nodiscard]] Result<store::Case> open_case(store::UnitOfWork& w, const Actor& by, const NewCase& n);
  // The customer's rating (1–5) and comment, once (kConflict after that), only while the
  // survey is open (resolved or closed).
  [[nodiscard]] Status answer_survey(store::UnitOfWork& w, const Actor& by, store::Case& c, int rating,
                                     const std::string& comment);
  // A mail we sent came back: its outbox row is failed and its case says so.
  [[nodiscard]] Status mail_bounced(store::UnitOfWork& w, store::Id case_id, store::OutboxMail& sent,
                                    const std::string& error);
  // A mail we could not send (the outbox gave up on it): an internal note on its case
  // saying so and a mail_failed event, by the system. Nothing for a mail of no case.
  // The row itself is the outbox worker's to update, in this same unit of work.
  [[nodiscard]] Status mail_failed(store::UnitOfWork& w, const store::OutboxMail& mail,
                                   const std::string& note);

  // ---- own form: opens, and commits, a unit of its own ---------------------------

  using CaseAction = std::function<Status(store::UnitOfWork&, store::Case&)>;
  // Finds the case by number in a new write unit, runs fn, makes attachments durable,
  // commits; returns the case as fn left it.
  [[nodiscard]] Result<store::Case> on_case(std::string_view number, const CaseAction& fn);
  [[nodiscard]] Result<store::Case> on_case(store::Id id, const CaseAction& fn);

  [[nodiscard]] Result<store::Case> comment(const Actor& by, std::string_view number, const AgentComment& in);
  [[nodiscard]] Result<store::Case> propose_solution(const Actor& by, std::string_view number,
                                                     const AgentComment& in);
  [[nodiscard]] Result<store::Case> accept(const Actor& by, std::string_view number);
  [[nodiscard]] Result<store::Case> reject(const Actor& by, std::string_view number, const std::string& why);
  [[nodiscard]] Result<store::Case> close(const Actor& by, std::string_view number);
  [[nodiscard]] Result<store::Case> reopen(const Actor& by, std::string_view number);
  [[nodiscard]] Result<store::Case> assign(const Actor& by, std::string_view number,
                                           const std::string& owner);
  [[nodiscard]] Result<store::Case> add_participant(const Actor& by, std::string_view number,
                                                    const std::string& email);
  [[nodiscard]] Result<store::Case> remove_participant(const Actor& by, std::string_view number,
                                                       const std::string& email);
  [[nodiscard]] Result<store::Case> answer_survey(const Actor& by, std::string_view number, int rating,
                                                  const std::string& comment);
  [[nodiscard]] Result<store::Case> change(const Actor& by, std::string_view number, const CaseFields& f);
  [[nodiscard]] Result<store::Case> set_stage(const Actor& by, std::string_view number,
                                              const std::string& stage);
  [[nodiscard]] Result<store::Case> open_case(const Actor& by, const NewCase& n);

  // The clock the services stamp and count time with (ingest reads it for business hours
  // and alert windows).
  const domain::Clock& clock() const { return clock_; }

  // Links to the customer's page for a case (signed, expiring). An accept or reject link
  // answers proposal (Proposals::latest when it is mailed); the others ignore it.
  std::string case_link(const store::Case& c) const;
  std::string action_link(const store::Case& c, outbound::LinkAction action, store::Id proposal = 0) const;

 private:
  Status enqueue(store::UnitOfWork& w, const store::Case& c, cases::MailKind kind, const std::string& body,
                 bool automatic, const std::vector<outbound::OutgoingAttachment>& attachments = {},
                 const std::vector<std::string>& cc = {});
  Status transition(store::UnitOfWork& w, store::Case& c, cases::ActionKind action,
                    const cases::ActionOptions& opt, const std::string& body, bool automatic,
                    const std::vector<outbound::OutgoingAttachment>& attachments = {},
                    const std::vector<std::string>& cc = {});
  // The normalized address, when it may be a participant: an addr-spec that is none of
  // our own addresses; else kInvalidInput saying why.
  Result<std::string> participant_address(store::UnitOfWork& w, const std::string& email);
  // A comment's copies, normalized, without repeats or the contact's own address; the
  // errors comment() documents.
  Result<std::vector<std::string>> copies_of(store::UnitOfWork& w, const store::Case& c,
                                             const AgentComment& in);
  Result<store::Id> add_agent_comment(store::UnitOfWork& w, const Actor& by, const store::Case& c,
                                      const AgentComment& in, const std::string& prefix,
                                      const std::vector<std::string>& cc = {});
  Status event(store::UnitOfWork& w, const store::Case& c, const Actor& by, store::EventAction action,
               std::map<std::string, std::string> details = {});
  // Queues a notice of this kind to each of the candidates who_is_told picks (none while
  // outbound.enabled is off).
  Status notify_agents(store::UnitOfWork& w, const store::Case& c, NoticeKind kind,
                       std::vector<store::Agent> candidates, const std::string& acting_agent,
                       std::string_view customer_text);
  Result<store::Case> in_own_unit(const std::function<Result<store::Case>(store::UnitOfWork&)>& find,
                                  const CaseAction& fn);

  store::Store& store_;
  const config::Config& cfg_;
  const outbound::Templates& templates_;
  const outbound::LinkSigner& links_;
  spool::FileBlobStore* blobs_;
  const domain::Clock& clock_;
};

}  // namespace mailcase::services
