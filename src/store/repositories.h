// The repositories: one interface per aggregate of mailcase's data. store::Store (store.h)
// is their sum; new code asks a store for the one it needs (`store.cases()`,
// `store.outbox()` …) so that it names, and depends on, only that aggregate.
//
// Every repository shares its store's contracts (store.h): one thread at a time, writes
// inside a unit of work, and the error codes kTemporary (busy/locked/disk problems,
// retry), kConflict (unique violations), kNotFound (an update of an id that is no row's,
// a write naming a case, contact… that does not exist), kInternal otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/rule_set.h"
#include "store/agents.h"
#include "store/model.h"
#include "rules/assignment.h"
#include "rules/round_robin.h"
#include "store/page.h"
#include "util/result.h"

namespace mailcase::store {

struct CaseSummary {
  Case c;
  std::optional<Contact> contact;
  std::optional<Account> account;
};

// The case list and its search (CaseRepository::find_cases). Every filter is optional;
// the ones set are ANDed.
struct CaseQuery {
  std::optional<CaseStatus> status;
  // Only cases still being worked (new, open, solution proposed: "unsolved"); with a
  // status, the status alone counts. Each status is read on its own index range and the
  // three merged, so a page costs the same however many cases are closed.
  bool unsolved = false;
  std::optional<std::string> queue, owner;   // exact; owner = an agent's email (normalized here)
  std::optional<std::string> contact;        // a contact's email: cases of that contact, by any address
  std::optional<std::string> text;           // the user's search words (never FTS5 syntax)
  std::optional<std::string> updated_since;  // ISO 8601 as stored: updated_at >= it
  enum class Sort { kUpdatedDesc, kUpdatedAsc, kCreatedDesc, kCreatedAsc, kRelevance };
  // Unset: kRelevance with a text, else kUpdatedDesc. kRelevance without a text is refused;
  // with a text whose words leave nothing to search, it reads as kUpdatedDesc.
  std::optional<Sort> sort;
  std::optional<std::string> cursor;  // an earlier page's next_cursor, for the same filters and sort
  int limit = 50;                     // 1..200
  bool count = false;                 // fill CasePage::total
};

// snippet: HTML, the best passage of the matching text with the matches in <mark>…</mark>
// and everything else escaped; empty without a text.
struct CaseHit {
  CaseSummary summary;
  std::string snippet;
};

// next_cursor: set when more rows follow. total: the rows of all pages, when asked.
struct CasePage {
  std::vector<CaseHit> items;
  std::optional<std::string> next_cursor;
  std::optional<int64_t> total;
};

// Cases still being worked in one queue, by status (CaseRepository::count_open_by_queue).
struct QueueCount {
  std::string queue;
  int64_t new_cases = 0, open = 0, solution_proposed = 0;
  int64_t total() const { return new_cases + open + solution_proposed; }
};

// Where a Message-ID threads (CaseRepository::find_message_id).
struct MessageRef {
  Id case_id = 0;
  Id proposal = 0;  // our solution mail's proposal (its solution_proposed event); 0: none
};

// EventRepository::count_events.
struct EventCount {
  int64_t count = 0;
  Id latest = 0;  // the latest such event's id; 0: none
};

struct MessageFilter {
  std::optional<RawState> state;
  int limit = 1000;
};

// Accounts and contacts. Lookups by address are case-insensitive on the full address.
class AccountRepository {
 public:
  virtual ~AccountRepository() = default;
  [[nodiscard]] virtual Result<Id> add_account(const Account& a) = 0;
  [[nodiscard]] virtual Result<std::optional<Account>> find_account_by_name(std::string_view name) = 0;
  [[nodiscard]] virtual Result<std::optional<Account>> find_account_by_email(std::string_view email) = 0;
  [[nodiscard]] virtual Result<std::optional<Account>> get_account(Id id) = 0;
  [[nodiscard]] virtual Result<Id> add_contact(const Contact& c) = 0;
  [[nodiscard]] virtual Result<std::optional<Contact>> find_contact_by_email(std::string_view email) = 0;
  [[nodiscard]] virtual Result<std::optional<Contact>> get_contact(Id id) = 0;
  // Contacts made from a mail whose envelope sender did not vouch for its From: not
  // "known" to the loop guard (a forged first mail must not make the next one trusted).
  [[nodiscard]] virtual Status mark_contact_unverified(Id contact_id) = 0;
  [[nodiscard]] virtual Result<bool> contact_unverified(Id contact_id) = 0;
  // Pages of contacts (with their addresses) and of accounts, by id (oldest first).
  [[nodiscard]] virtual Result<Page<Contact>> page_contacts(const PageRequest& r) = 0;
  [[nodiscard]] virtual Result<Page<Account>> page_accounts(const PageRequest& r) = 0;
  // A page of the contacts of one account (with their addresses), by id (oldest first);
  // an index range (contacts_account), whatever the number of contacts.
  [[nodiscard]] virtual Result<Page<Contact>> page_account_contacts(Id account_id, const PageRequest& r) = 0;
  // A page of the contacts, by id, one of whose addresses starts with `prefix` (letter
  // case ignored) or each word of `prefix` starts a word of whose name (letter case and
  // accents ignored: "smi" and "ann s" find "Ann Smith", "elo" "Élodie"): a range of the
  // address index and a full-text index of names, so the cost grows with the matches, not
  // with the contacts.
  [[nodiscard]] virtual Result<Page<Contact>> find_contacts(std::string_view prefix,
                                                            const PageRequest& r) = 0;
  // Writes name, account_id, language and the addresses (c.emails replaces them; the
  // first stays the one mail goes to). kNotFound when c.id is no contact's, kConflict when
  // an address is another contact's.
  [[nodiscard]] virtual Status update_contact(const Contact& c) = 0;
  // Makes contact `from` (as read in this unit of work) part of contact `into` and removes
  // it: its addresses follow into's (the first of into's stays the one mail goes to), its
  // cases become into's, and into takes its account and language where it has none.
  // Returns the ids of the cases moved. kNotFound when either is no contact's (nothing is
  // left changed once the unit of work rolls back); kInvalidInput when they are the same.
  [[nodiscard]] virtual Result<std::vector<Id>> merge_contact(const Contact& from, Id into) = 0;
  // Removes contact `id` and its addresses: one made by mistake, or a person to forget who
  // has no case. kNotFound when it is no contact's; kConflict when it has a case (a case
  // keeps its contact: merge it into the contact that stays instead). Looks at one entry
  // of the contact's range of cases_contact_updated.
  [[nodiscard]] virtual Status remove_contact(Id id) = 0;
  // Removes account `id` and its addresses: one made by mistake, or one gone. kNotFound
  // when it is no account's; kConflict when a contact, a case or a monitoring alert rule
  // names it (move the contacts first; a case keeps its account). One entry each of
  // contacts_account and cases_account; the alert rules are few.
  [[nodiscard]] virtual Status remove_account(Id id) = 0;
  // Writes name and support_level and the addresses (a.emails replaces them). kNotFound
  // when a.id is no account's, kConflict when the name or an address is another account's.
  [[nodiscard]] virtual Status update_account(const Account& a) = 0;
};

// Routing addresses.
class RoutingRepository {
 public:
  virtual ~RoutingRepository() = default;
  [[nodiscard]] virtual Status put_address(const RoutingAddress& a) = 0;
  [[nodiscard]] virtual Result<std::vector<RoutingAddress>> list_addresses() = 0;
  // A page of routing addresses by email; remove_address: kNotFound when absent.
  [[nodiscard]] virtual Result<Page<RoutingAddress>> page_addresses(const PageRequest& r) = 0;
  [[nodiscard]] virtual Status remove_address(std::string_view email) = 0;
};

// Raw messages.
class RawMessageRepository {
 public:
  virtual ~RawMessageRepository() = default;
  // The row of these bytes that holds no dedupe key to find it by: one still "received"
  // (an interrupted run's) or recorded as a duplicate. Any other row of the same bytes is
  // found by its dedupe key (find_raw_by_dedupe_key), whose row's sha256 tells a byte copy.
  // (A store keeps no index of every row's SHA-256: its random keys cost a page a mail.)
  [[nodiscard]] virtual Result<std::optional<RawMessage>> find_copy_by_sha(std::string_view sha256) = 0;
  // The row that holds the key ("mid:<Message-ID>" or "sha:<SHA-256>"): the first mail
  // recorded with it, processed, held or failed.
  [[nodiscard]] virtual Result<std::optional<RawMessage>> find_raw_by_dedupe_key(std::string_view key) = 0;
  [[nodiscard]] virtual Result<std::optional<RawMessage>> get_raw(Id id) = 0;
  [[nodiscard]] virtual Result<Id> insert_raw(const RawMessage& m) = 0;
  // Writes state, outcome, reason, dedupe_key, message_id, from, subject, case_id, attempts,
  // envelope_sender, the sender's proof, the spam check and problems. list_raw: in the
  // order the rows were inserted.
  [[nodiscard]] virtual Status update_raw(const RawMessage& m) = 0;
  [[nodiscard]] virtual Result<std::vector<RawMessage>> list_raw(const MessageFilter& f) = 0;
  // A page of recorded mails, newest first, of one state or all (index raw_messages_state,
  // which is (state, id)).
  [[nodiscard]] virtual Result<Page<RawMessage>> page_raw(std::optional<RawState> state,
                                                          const PageRequest& r) = 0;
  // The spam allow list: a sender (normalized address) whose mail is not held as spam.
  // Adding one already there changes nothing.
  [[nodiscard]] virtual Status allow_spam_sender(std::string_view email, std::string_view by) = 0;
  [[nodiscard]] virtual Result<bool> spam_sender_allowed(std::string_view email) = 0;
  // Bytes kept in the store itself (a small mail taken by LMTP and its attachments: they
  // reach the disk with the commit that records them, spool::BlobRef's "db:<id>"), by id.
  [[nodiscard]] virtual Result<Id> keep_bytes(std::string_view bytes) = 0;
  // nullopt: no bytes of that id (never kept, or kept by a unit rolled back).
  [[nodiscard]] virtual Result<std::optional<std::string>> kept_bytes(Id id) = 0;
};

// Cases and what hangs on one: Message-IDs, comments, attachments, participants.
class CaseRepository {
 public:
  virtual ~CaseRepository() = default;
  // insert_case assigns id and number (prefix + zero-padded id).
  [[nodiscard]] virtual Result<Case> insert_case(Case c, std::string_view prefix, int digits) = 0;
  [[nodiscard]] virtual Result<std::optional<Case>> get_case(Id id) = 0;
  [[nodiscard]] virtual Result<std::optional<Case>> find_case_by_number(std::string_view number) = 0;
  [[nodiscard]] virtual Status update_case(const Case& c) = 0;
  [[nodiscard]] virtual Result<std::vector<CaseSummary>> list_cases(int limit) = 0;
  // One page of cases matching q (CaseQuery above), by keyset: pages read one after the
  // other through next_cursor never show a row twice nor skip one that existed when the
  // first was read, while cases are added. kInvalidInput for a limit outside 1..200,
  // kRelevance without a text, a bad updated_since, or a cursor made for other filters,
  // another sort or altered. A text search is ranked by bm25 with the subject weighing
  // most, then the contact (name, addresses), then the comments.
  [[nodiscard]] virtual Result<CasePage> find_cases(const CaseQuery& q) = 0;

  // Message-IDs seen or sent, for threading. add is idempotent. direction: "outbound" (ours),
  // "inbound" (a mail that became a public comment) or "internal" (one kept as an internal
  // note: a stranger's, an unproven sender's; it threads, but our mails do not answer it).
  [[nodiscard]] virtual Status add_message_id(std::string_view message_id, Id case_id,
                                              std::string_view direction) = 0;
  // Our solution mail's Message-ID ("outbound"), with the proposal it carries: the id of
  // its solution_proposed event. A reply to it answers that proposal only. Idempotent.
  [[nodiscard]] virtual Status add_solution_message_id(std::string_view message_id, Id case_id,
                                                       Id proposal) = 0;
  // The case a Message-ID threads onto, and the proposal it carries (0: none, any mail but
  // a solution mail of ours, or one sent before solution mails named their proposal).
  [[nodiscard]] virtual Result<std::optional<MessageRef>> find_message_id(std::string_view message_id) = 0;
  // The case alone (a bounce's returned mail, whose proposal means nothing to it): one
  // lookup for every backend, built on find_message_id.
  [[nodiscard]] Result<std::optional<Id>> case_of_message_id(std::string_view message_id) {
    MC_ASSIGN_OR_RETURN(auto ref, find_message_id(message_id));
    return ref ? std::optional<Id>(ref->case_id) : std::nullopt;
  }
  // The case's latest `limit` Message-IDs of a direction, oldest first: "inbound",
  // "outbound", "internal", or "conversation" (inbound and outbound: what the customer saw).
  // Read newest first by index message_ids_case, so the cost is `limit`'s, not the case's.
  [[nodiscard]] virtual Result<std::vector<std::string>> latest_message_ids(Id case_id,
                                                                            std::string_view direction,
                                                                            int64_t limit) = 0;
  // The case's Message-IDs in the order they were added; direction "" for all.
  [[nodiscard]] virtual Result<std::vector<std::string>> message_ids_of(Id case_id,
                                                                        std::string_view direction) = 0;

  [[nodiscard]] virtual Result<Id> add_comment(const Comment& c) = 0;
  [[nodiscard]] virtual Result<std::vector<Comment>> comments_of(Id case_id) = 0;
  // The case's comments of id above `after`, oldest first: one range of comments_case,
  // so that a page asking what is new pays for what is new, not for the whole case.
  [[nodiscard]] virtual Result<std::vector<Comment>> comments_after(Id case_id, Id after) = 0;
  [[nodiscard]] virtual Result<Id> add_attachment(const Attachment& a) = 0;
  [[nodiscard]] virtual Result<std::vector<Attachment>> attachments_of(Id case_id) = 0;

  // Participants of a case (SF3). add is idempotent per (case, address); the address is
  // normalized. is_participant is an index lookup, whatever the letter case.
  [[nodiscard]] virtual Status add_participant(Id case_id, std::string_view email,
                                               std::string_view source) = 0;
  [[nodiscard]] virtual Result<std::vector<Participant>> participants_of(Id case_id) = 0;
  // Takes the address off the case's participants (any letter case); kNotFound when it is
  // none of them.
  [[nodiscard]] virtual Status remove_participant(Id case_id, std::string_view email) = 0;
  [[nodiscard]] virtual Result<bool> is_participant(Id case_id, std::string_view email) = 0;
  // One attachment by its id (the API's download); nullopt when no attachment has it.
  [[nodiscard]] virtual Result<std::optional<Attachment>> get_attachment(Id id) = 0;
  // A page of a case's comments, oldest first (by id: the thread's order), by keyset on
  // index comments_case; the cursor names the case.
  [[nodiscard]] virtual Result<Page<Comment>> page_comments(Id case_id, const PageRequest& r) = 0;
  // The cases still being worked (new, open, solution proposed) per queue, by queue name:
  // counts the store keeps as cases change, never a count over the cases' rows.
  [[nodiscard]] virtual Result<std::vector<QueueCount>> count_open_by_queue() = 0;
};

// Mailboxes and their agents' state.
// A mail a mailbox agent did not fetch because it was over limits.max_message_bytes:
// it stays on its server; raw_id is the failed record a user sees and retries.
struct LeftMail {
  Id raw_id = 0;
  std::string mailbox;
  std::string key;  // IMAP "UIDVALIDITY:UID", POP3 "uidl:UIDL"
  int64_t size = 0;
};

class MailboxRepository {
 public:
  virtual ~MailboxRepository() = default;
  [[nodiscard]] virtual Status add_mailbox(const Mailbox& m) = 0;  // kConflict when the name exists
  [[nodiscard]] virtual Result<std::vector<Mailbox>> list_mailboxes() = 0;
  [[nodiscard]] virtual Status remove_mailbox(std::string_view name) = 0;  // kNotFound when absent
  [[nodiscard]] virtual Result<MailboxState> mailbox_state(std::string_view name) = 0;
  [[nodiscard]] virtual Status put_mailbox_state(const MailboxState& s) = 0;
  // POP3 UIDLs already committed, for mailboxes that keep their mail.
  [[nodiscard]] virtual Result<bool> pop3_seen(std::string_view mailbox, std::string_view uidl) = 0;
  [[nodiscard]] virtual Status add_pop3_seen(std::string_view mailbox, std::string_view uidl) = 0;
  // Mails left on their server for their size (mailbox_left): add is idempotent per
  // (mailbox, key); keys lists one mailbox's; left_mail_of finds the one a record is of.
  [[nodiscard]] virtual Status add_left_mail(const LeftMail& m) = 0;
  [[nodiscard]] virtual Result<std::vector<std::string>> left_mail_keys(std::string_view mailbox) = 0;
  [[nodiscard]] virtual Result<std::optional<LeftMail>> left_mail_of(Id raw_id) = 0;
  // Replaces the settings of the mailbox m.name names (its state stays); kNotFound when absent.
  [[nodiscard]] virtual Status update_mailbox(const Mailbox& m) = 0;
};

// Outbox. list_outbox: newest first.
class OutboxRepository {
 public:
  virtual ~OutboxRepository() = default;
  // created_at: the row's own when set (the caller's clock), else the store's now.
  [[nodiscard]] virtual Result<Id> add_outbox(const OutboxMail& m) = 0;
  // Takes up to `limit` due rows for the sender named `worker` (host:pid:thread), in one
  // atomic write: each taken row's next attempt moves to now + lease_seconds, so that no
  // other worker takes it while it is being sent, and its claimed_by becomes `worker`.
  // The sender settles each row (update_outbox) when done; a row whose sender died comes
  // due again when its lease runs out. Oldest first; of a case's mails to one address
  // only the earliest still queued, so that they go out in order.
  [[nodiscard]] virtual Result<std::vector<OutboxMail>> claim_due(std::string_view worker, int64_t now,
                                                                  int limit, int64_t lease_seconds) = 0;
  // The queued rows not due yet (a sender holds them, or they wait to be tried again), as
  // id and claimed_by: the range of outbox_due past `now`, which grows with the queued
  // rows only.
  [[nodiscard]] virtual Result<std::vector<std::pair<Id, std::string>>> list_queued_claims(int64_t now) = 0;
  // Makes queued row `id` due at `now` when it is not due yet and `claimed_by` still
  // names its sender; whether it did.
  [[nodiscard]] virtual Result<bool> release_claim(Id id, std::string_view claimed_by, int64_t now) = 0;
  [[nodiscard]] virtual Result<std::vector<OutboxMail>> list_outbox(std::optional<Id> case_id, int limit) = 0;
  [[nodiscard]] virtual Result<std::optional<OutboxMail>> find_outbox_by_message_id(
      std::string_view message_id) = 0;
  // Writes state, attempts, next_attempt_at, last_error, sent_at.
  [[nodiscard]] virtual Status update_outbox(const OutboxMail& m) = 0;
  // Automatic replies queued since `since` (ISO 8601) to this mailbox, for the loop guard:
  // `to` and the rows' addresses compared by text::mailbox_key (case, "+tag").
  [[nodiscard]] virtual Result<int> count_automatic_since(std::string_view to, std::string_view since) = 0;
  // Automatic replies queued since `since` to anyone (the overall hourly cap).
  [[nodiscard]] virtual Result<int> count_all_automatic_since(std::string_view since) = 0;
  // How many rows are in this state (an index search on outbox_due): cheap for the few
  // queued rows, for /metrics; it grows with the rows it counts (sent ones are many).
  [[nodiscard]] virtual Result<int64_t> count_by_state(OutboxState state) = 0;
  // A page of outbox mails, newest first, of one state or all; their bytes are left out
  // (raw empty): a list shows what was sent, GET of one row its bytes.
  [[nodiscard]] virtual Result<Page<OutboxMail>> page_outbox(std::optional<OutboxState> state,
                                                             const PageRequest& r) = 0;
  [[nodiscard]] virtual Result<std::optional<OutboxMail>> get_outbox(Id id) = 0;
};

// Surveys: one per case; put replaces.
class SurveyRepository {
 public:
  virtual ~SurveyRepository() = default;
  [[nodiscard]] virtual Status put_survey(const Survey& s) = 0;
  [[nodiscard]] virtual Result<std::optional<Survey>> get_survey(Id case_id) = 0;
};

// Case events (the history): add sets `at` when empty; events_of lists a case's events
// in the order they were added. A row whose actor kind, action or details the model
// cannot read is an error (kInternal), never a default.
class EventRepository {
 public:
  virtual ~EventRepository() = default;
  [[nodiscard]] virtual Status add_event(const Event& e) = 0;
  [[nodiscard]] virtual Result<std::vector<Event>> events_of(Id case_id) = 0;
  // How many of a case's events are of this action, and the latest one's id (0: none).
  [[nodiscard]] virtual Result<EventCount> count_events(Id case_id, EventAction action) = 0;
  // The id of the case's latest event (0: none): one step down index events_case. What a
  // page polls to tell that the case changed since it was drawn.
  [[nodiscard]] virtual Result<Id> last_event_id(Id case_id) = 0;
  // A page of a case's events, oldest first, by keyset on index events_case (case_id,
  // id); the cursor names the case.
  [[nodiscard]] virtual Result<Page<Event>> page_events(Id case_id, const PageRequest& r) = 0;
  // A page of the events of no case (the administration's: agents, tokens, rules,
  // dismissed mail), newest first, by keyset on the same index (its NULL range).
  [[nodiscard]] virtual Result<Page<Event>> page_admin_events(const PageRequest& r) = 0;
};

// Agents (store/agents.h). Emails are stored normalized and looked up whatever the
// letter case; add_agent gives kConflict when the email is an agent's already;
// set_agent_active gives kNotFound when it is no agent's. list_agents: by email.
class AgentRepository {
 public:
  virtual ~AgentRepository() = default;
  [[nodiscard]] virtual Result<Id> add_agent(const Agent& a) = 0;
  [[nodiscard]] virtual Result<std::optional<Agent>> find_agent_by_email(std::string_view email) = 0;
  [[nodiscard]] virtual Result<std::vector<Agent>> list_agents() = 0;
  [[nodiscard]] virtual Status set_agent_active(std::string_view email, bool active) = 0;

  // Passwords (Argon2id strings, access::hash_password) and API tokens (store/agents.h
  // ApiToken). set_agent_password: kNotFound when the email is no agent's; an empty hash
  // stores none (that agent cannot log in). agent_password_hash: kNotFound when the email
  // is no agent's; nullopt when they have no password.
  [[nodiscard]] virtual Status set_agent_password(std::string_view email, std::string_view hash) = 0;
  [[nodiscard]] virtual Result<std::optional<std::string>> agent_password_hash(std::string_view email) = 0;
  // add_api_token stores agent_id, label, digest and created_at (the store's now when
  // empty); kNotFound when agent_id is no agent's, kConflict when the digest is a token's.
  [[nodiscard]] virtual Result<Id> add_api_token(const ApiToken& t) = 0;
  // The token with this digest, revoked or not (the caller decides); an index lookup,
  // made on every API request.
  [[nodiscard]] virtual Result<std::optional<ApiToken>> find_api_token(std::string_view digest) = 0;
  // Every token, oldest first, with its digest left empty: nothing that lists tokens needs it.
  [[nodiscard]] virtual Result<std::vector<ApiToken>> list_api_tokens() = 0;
  // Sets revoked_at to the store's now; a token revoked already keeps its first time.
  // kNotFound when the id is no token's.
  [[nodiscard]] virtual Status revoke_api_token(Id id) = 0;
  // Sets last_used_at to `at` (ISO 8601 UTC) unless it is later already (concurrent
  // requests never move it back); kNotFound when the id is no token's. Called by whoever
  // authenticates (access::authenticate), which decides how often: at most once a
  // minute per token, so that most requests write nothing.
  [[nodiscard]] virtual Status touch_api_token(Id id, std::string_view at) = 0;
  // A page of agents by email; set_agent_role and set_agent_name: kNotFound when the email
  // is no agent's.
  [[nodiscard]] virtual Result<Page<Agent>> page_agents(const PageRequest& r) = 0;
  [[nodiscard]] virtual Status set_agent_role(std::string_view email, AgentRole role) = 0;
  [[nodiscard]] virtual Status set_agent_name(std::string_view email, std::string_view name) = 0;
};

// Queues (issue 15: queues with members). A queue is named on cases and routing addresses
// as text; a row here gives it members. A queue named on a case without a row is still a
// queue: it simply has no members.
struct Queue {
  Id id = 0;  // 0: named only on open cases, no row
  std::string name;
  std::vector<std::string> members;  // agents' emails, sorted
  int64_t open_cases = 0;            // cases in the queue neither resolved nor closed
  std::string created_at;
};

// Names are exact (as on cases). add_queue: kConflict when the name is a queue's already.
// add_queue_member: idempotent; kNotFound when the queue has no row or the email is no
// agent's. remove_queue_member: kNotFound when the agent is not a member.
class QueueRepository {
 public:
  virtual ~QueueRepository() = default;
  [[nodiscard]] virtual Result<Id> add_queue(std::string_view name) = 0;
  [[nodiscard]] virtual Result<std::optional<Queue>> find_queue(std::string_view name) = 0;
  // Every queue with a row, and every queue named on an open case, by name, each with its
  // members and open-case count.
  [[nodiscard]] virtual Result<std::vector<Queue>> list_queues() = 0;
  [[nodiscard]] virtual Status add_queue_member(std::string_view queue, std::string_view agent_email) = 0;
  [[nodiscard]] virtual Status remove_queue_member(std::string_view queue, std::string_view agent_email) = 0;
  // The agents who are members of the queue (none when it has no row), by email: an
  // index search made for each new case.
  [[nodiscard]] virtual Result<std::vector<Agent>> queue_agents(std::string_view queue) = 0;
  // Sets the notification settings present in p; kNotFound when the email is no agent's.
  [[nodiscard]] virtual Status set_agent_notify(std::string_view email, const NotifySettingsPatch& p) = 0;
};

// Assignment rules (rules/assignment.h), in their order. Names are exact and unique.
// Positions stay dense (1..n): add_rule at a position moves the rules from there down
// one; remove_rule and move_rule close the gap. Every change bumps rules_version, which
// a running ingest reads (one row) to know when to compile its RuleSet again, also after
// another process (the CLI) changed the rules.
class RuleRepository {
 public:
  virtual ~RuleRepository() = default;
  // position 0 or past the end: last. Returns the rule as stored (id, position,
  // created_at). kConflict when the name is a rule's already.
  [[nodiscard]] virtual Result<rules::Rule> add_rule(rules::Rule r) = 0;
  [[nodiscard]] virtual Result<std::vector<rules::Rule>> list_rules() = 0;  // by position
  [[nodiscard]] virtual Result<std::optional<rules::Rule>> find_rule(std::string_view name) = 0;
  // kNotFound when the name is no rule's.
  [[nodiscard]] virtual Status set_rule_enabled(std::string_view name, bool enabled) = 0;
  [[nodiscard]] virtual Status move_rule(std::string_view name, int position) = 0;
  // What the rule does (its conditions, actions and continue), from `r`; its name,
  // position, enabled, hits and created_at stay. kNotFound when the name is no rule's.
  [[nodiscard]] virtual Status change_rule(std::string_view name, const rules::Rule& r) = 0;
  [[nodiscard]] virtual Status remove_rule(std::string_view name) = 0;
  // Adds to each named rule's hits the number of times it is named (the rules that
  // matched the mails of a unit of work, a rule once per mail it matched).
  [[nodiscard]] virtual Status count_rule_hits(const std::vector<std::string>& names) = 0;
  [[nodiscard]] virtual Result<int64_t> rules_version() = 0;
  // Round-robin: the queue's active members with their open cases (kept counts, never a
  // count over the cases) and when each last got a case by round-robin; note_round_robin
  // records that `agent_email` just got one in `queue`.
  [[nodiscard]] virtual Result<std::vector<rules::Candidate>> round_robin_candidates(std::string_view queue) = 0;
  [[nodiscard]] virtual Status note_round_robin(std::string_view queue, std::string_view agent_email) = 0;
};

// Processes (domain/process.h) by name; names are exact and unique. add_process:
// kConflict when the name is a process's already. list_processes: by name.
class ProcessRepository {
 public:
  virtual ~ProcessRepository() = default;
  [[nodiscard]] virtual Result<Id> add_process(const Process& p) = 0;
  [[nodiscard]] virtual Result<std::optional<Process>> find_process(std::string_view name) = 0;
  [[nodiscard]] virtual Result<std::vector<Process>> list_processes() = 0;
};

// Idempotency keys of the REST API (a POST with an Idempotency-Key header): per API
// token, the request a key was first used for and the answer it got, kept a day.
struct IdempotentAnswer {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // those replayed (Location…)
  std::string body;
};
struct IdempotencyRecord {
  Id token_id = 0;
  std::string key;
  std::string request_digest;  // of method, path and body
  bool in_progress = true;     // claimed by a request that has not answered yet
  IdempotentAnswer answer;     // when not in progress
  int64_t created_at = 0;      // unix seconds
};
class IdempotencyRepository {
 public:
  virtual ~IdempotencyRepository() = default;
  // Inserts r as in progress (its answer is not stored); kConflict when (token, key)
  // has a row already.
  [[nodiscard]] virtual Status claim_key(const IdempotencyRecord& r) = 0;
  [[nodiscard]] virtual Result<std::optional<IdempotencyRecord>> find_key(Id token_id, std::string_view key) = 0;
  // Stores the answer of a claimed key, which is then no longer in progress; kNotFound
  // when (token, key) has no row.
  [[nodiscard]] virtual Status answer_key(Id token_id, std::string_view key, const IdempotentAnswer& a) = 0;
  // Deletes the key's row, if any: the request may run again.
  [[nodiscard]] virtual Status release_key(Id token_id, std::string_view key) = 0;
  // Deletes every row created before `before` (unix seconds); returns how many.
  [[nodiscard]] virtual Result<int> purge_keys(int64_t before) = 0;
};

// The console's login sessions (src/console/sessions.h). The cookie's value is never
// stored: only its SHA-256 digest (access::token_digest), looked up on every page.
// Times are unix seconds.
struct ConsoleSession {
  std::string digest;
  Id agent_id = 0;
  std::string agent_email;  // read from the agent's row (find_session), not stored twice
  std::string csrf;  // the token every form of this session must carry back
  int64_t created_at = 0;
  int64_t expires_at = 0;  // idle expiry, moved forward as the session is used
  int64_t last_seen_at = 0;
};
class SessionRepository {
 public:
  virtual ~SessionRepository() = default;
  // kNotFound when agent_id is no agent's; kConflict when the digest is a session's.
  [[nodiscard]] virtual Status add_session(const ConsoleSession& s) = 0;
  // The session with this digest, expired or not (the caller decides): an index lookup.
  [[nodiscard]] virtual Result<std::optional<ConsoleSession>> find_session(std::string_view digest) = 0;
  // Moves last_seen_at and expires_at forward (never back); no row: nothing happens.
  [[nodiscard]] virtual Status touch_session(std::string_view digest, int64_t last_seen_at,
                                             int64_t expires_at) = 0;
  [[nodiscard]] virtual Status delete_session(std::string_view digest) = 0;
  // Ends every session of an agent (a password reset, a disabled agent); returns how many.
  [[nodiscard]] virtual Result<int> delete_agent_sessions(Id agent_id) = 0;
  // Deletes sessions whose expires_at is before `now`; returns how many.
  [[nodiscard]] virtual Result<int> purge_sessions(int64_t now) = 0;
};


// Monitoring alerts (alerts/rule_set.h, alerts/alert.h): the alert rules in their order,
// and each alert case with its key (account id or 0, host, service). At most one row per
// key is open (its problem has not recovered): the store refuses a second (kConflict),
// so two nodes never open two cases for one problem.
struct AlertCaseRow {
  Id id = 0;
  std::optional<Id> case_id;  // unset only inside the unit that claimed it
  Id account_key = 0;
  std::string host, service;
  bool open = true;
  std::optional<int64_t> resolved_at;  // unix seconds
};
class AlertRepository {
 public:
  virtual ~AlertRepository() = default;
  // Stores the rule last (position = the largest + 1); returns it as stored (id,
  // position, created_at). kConflict when the name is a rule's already; kNotFound when
  // account_id is no account's.
  [[nodiscard]] virtual Result<alerts::AlertRule> add_alert_rule(alerts::AlertRule r) = 0;
  // Every rule by position, with its account's name.
  [[nodiscard]] virtual Result<std::vector<alerts::AlertRule>> list_alert_rules() = 0;
  // kNotFound when the name is no rule's.
  [[nodiscard]] virtual Status remove_alert_rule(std::string_view name) = 0;
  // The rule named r.name becomes r, at r.position with r.created_at, under a new id (so
  // that the signature below changes); returns it as stored. kNotFound when the name is
  // no rule's.
  [[nodiscard]] virtual Result<alerts::AlertRule> replace_alert_rule(alerts::AlertRule r) = 0;
  // Changes whenever a rule is added, changed or removed (ids are never reused): a running ingest
  // compiles its rules again when it sees another.
  [[nodiscard]] virtual Result<std::string> alert_rules_signature() = 0;
  // The key's latest row (the open one, if any): an index search, made for each alert.
  [[nodiscard]] virtual Result<std::optional<AlertCaseRow>> latest_alert_case(Id account_key, std::string_view host,
                                                                              std::string_view service) = 0;
  // A new open row for the key, with no case yet; kConflict when the key has an open row.
  [[nodiscard]] virtual Result<Id> claim_alert_case(Id account_key, std::string_view host,
                                                    std::string_view service) = 0;
  // The case of a claimed row. kNotFound when the id is no row's.
  [[nodiscard]] virtual Status set_alert_case(Id id, Id case_id) = 0;
  // The row's problem recovered at `at` (unix seconds): no longer open.
  [[nodiscard]] virtual Status resolve_alert_case(Id id, int64_t at) = 0;
  // The row is open again; kConflict when its key has another open row.
  [[nodiscard]] virtual Status reopen_alert_case(Id id) = 0;
};

// The API by mail (mail_api/): the senders whose XML commands are run, and the proofs
// already used (replay). A sender proves a mail by an HMAC signature made with the secret
// kept in secret_file (read when a mail is checked, never stored here), or, with dkim, by
// a trusted Authentication-Results header aligned with its From. Times are unix seconds.
struct ApiSender {
  Id id = 0;
  std::string email;        // normalized; unique
  std::string secret_file;  // empty: no signature accepted
  bool dkim = false;        // a trusted, aligned DKIM/DMARC pass proves its mail
  std::string created_at;   // ISO 8601, set by the store
};
class ApiSenderRepository {
 public:
  virtual ~ApiSenderRepository() = default;
  // kConflict when the email is an api sender's already.
  [[nodiscard]] virtual Result<Id> add_api_sender(const ApiSender& s) = 0;
  // By email.
  [[nodiscard]] virtual Result<std::vector<ApiSender>> list_api_senders() = 0;
  // An index lookup, any letter case.
  [[nodiscard]] virtual Result<std::optional<ApiSender>> find_api_sender(std::string_view email) = 0;
  // kNotFound when the email is no api sender's.
  [[nodiscard]] virtual Status remove_api_sender(std::string_view email) = 0;
  // Records a proof's key ("mid:<Message-ID>", "sig:<hex>") as used at `at`: true when it
  // was new, false when it was seen before (a replay). An index lookup.
  [[nodiscard]] virtual Result<bool> claim_api_proof(std::string_view key, int64_t at) = 0;
  // Forgets the keys used before `before`; returns how many.
  [[nodiscard]] virtual Result<int> purge_api_proofs(int64_t before) = 0;
};

}  // namespace mailcase::store
