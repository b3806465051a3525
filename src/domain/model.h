// The rows mailcase keeps. Plain values; the store fills and reads them. Pure: every
// layer includes this, none of it does I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailcase::domain {

using Id = int64_t;

struct Account {
  Id id = 0;
  std::string name;
  std::string support_level;
  std::vector<std::string> emails;  // the account's own addresses (Email1, Email2 …)
};

struct Contact {
  Id id = 0;
  std::string name;
  std::optional<Id> account_id;
  std::string language;  // "en", "fr", "pl" or empty
  std::vector<std::string> emails;
};

struct RoutingAddress {
  std::string email;  // lower-case
  std::string queue;  // empty: the configured default queue
  std::string product;
  bool creates_cases = true;
  std::string subject_prefix;             // required at the start of a new case's subject, empty: none
  std::string unknown_sender = "create";  // create | hold
  std::string priority;                   // empty: the configured default
  std::string process;                    // a process's name: its new cases start at its first stage
  // Takes the API-by-mail's XML commands (mail_api/) from proven senders instead of
  // making cases of its mail (`address add --api yes`).
  bool api = false;
  // Authserv-ids (RFC 8601) whose Authentication-Results header is believed for mail to
  // this address, beside trust.authserv_ids (a provider that receives the mail first).
  std::vector<std::string> authserv_ids;
};

// How a mailbox is reached and what becomes of its mail; each has one text form (the
// CLI's option values, the store's mailbox settings) and a parse that gives nullopt
// for any other text.
enum class Protocol { kImap, kPop3 };
const char* to_string(Protocol p);
std::optional<Protocol> protocol_from(std::string_view s);

// implicit: TLS from the first byte; starttls: upgraded after the greeting; none: clear.
enum class TlsMode { kImplicit, kStartTls, kNone };
const char* to_string(TlsMode t);
std::optional<TlsMode> tls_mode_from(std::string_view s);

enum class AuthMethod { kPassword, kXOAuth2 };
const char* to_string(AuthMethod a);
std::optional<AuthMethod> auth_method_from(std::string_view s);

// What is done at the source with a mail once it is committed.
enum class AfterAction { kDelete, kSeen, kMove, kKeep };

// Text form: "delete", "seen", "keep", or "move:FOLDER" (FOLDER not empty). move_folder
// is set for kMove only.
struct AfterFetch {
  AfterAction action = AfterAction::kSeen;
  std::string move_folder;
  bool operator==(const AfterFetch&) const = default;
};
std::string to_string(const AfterFetch& a);
std::optional<AfterFetch> after_fetch_from(std::string_view s);

// A mailbox mailcase fetches from (`mailcase mailbox add`). The password is never
// stored: password_file names a file that holds it.
struct Mailbox {
  std::string name;
  Protocol protocol = Protocol::kImap;
  std::string host;
  int port = 0;
  TlsMode tls = TlsMode::kImplicit;
  std::string user;
  std::string password_file;
  std::string folder = "INBOX";
  int poll_interval_s = 60;
  bool idle = true;
  AfterFetch after;
  std::string address;  // routing address its mail counts as delivered to
  std::string ca_file;
  bool tls_verify = true;
  AuthMethod auth = AuthMethod::kPassword;
  std::string token_command;
  // With tls "none" the password or token would cross the network in clear: refused
  // unless the administrator says so (a test server on loopback, say).
  bool allow_plaintext_auth = false;
  // A process's name: a new case from this mailbox starts at its first stage, unless its
  // routing address names a process (which wins). Empty: none.
  std::string process;
  // Authserv-ids whose Authentication-Results header is believed for mail fetched from
  // this mailbox, beside trust.authserv_ids (the provider that hosts it).
  std::vector<std::string> authserv_ids;
};

// What an agent last saw of its mailbox; shown by `mailcase mailbox list`.
struct MailboxState {
  std::string name;
  std::string status = "not started";  // connecting | idle | polling | error: … | stopped
  std::string last_success;            // ISO 8601, empty: never
  std::string last_error;
  int64_t backlog = 0;      // mails waiting at the last look
  int64_t uidvalidity = 0;  // IMAP
  int64_t last_uid = 0;     // IMAP: highest UID committed under uidvalidity
  // IMAP push: mails committed in passes woken by an IDLE notice, and for the last such
  // pass when its notice came (real time, ISO 8601 with microseconds) and how long after
  // it the mails' commit finished: mailcase's own share of the push delay.
  int64_t push_count = 0;
  std::string push_last_notice_at;  // empty: none yet
  double push_last_ms = -1;         // < 0: none yet
};

// Every state below has one mapping to the text the store keeps and the CLI and pages
// show: to_string, and a parse that gives nullopt for any other text (never a default;
// the store turns nullopt into an error naming the row).

// kDismissed: a held or failed mail an agent judged junk (`message dismiss`): kept, out of
// the held and failed lists, run again by a retry.
enum class RawState { kReceived, kProcessed, kHeld, kFailed, kDuplicate, kDismissed };
const char* to_string(RawState s);
std::optional<RawState> raw_state_from(std::string_view s);
// What an agent may do with a recorded mail in state s: run it through again (held, failed
// or dismissed mail), or put it aside (held or failed mail: a dismissal).
bool may_retry(RawState s);
bool may_dismiss(RawState s);

// A case's place in its lifecycle; cases/lifecycle.h decides the moves between them.
enum class CaseStatus { kNew, kOpen, kSolutionProposed, kResolved, kClosed };
const char* to_string(CaseStatus s);
// ASCII case-insensitive, so that a user may type "Solution Proposed".
std::optional<CaseStatus> status_from_string(std::string_view s);

// Who a comment is from and to: the customer's mail (inbound), an agent's reply to the
// customer (outbound), or words for agents only (note).
enum class Direction { kInbound, kOutbound, kNote };
const char* to_string(Direction d);
std::optional<Direction> direction_from(std::string_view s);

// Whether the customer sees a comment (public) or only agents do (internal).
enum class Visibility { kPublic, kInternal };
const char* to_string(Visibility v);
std::optional<Visibility> visibility_from(std::string_view s);

// Where a mail of the outbox is: waiting to be sent (also between retries), sent, or
// given up on.
enum class OutboxState { kQueued, kSent, kFailed };
const char* to_string(OutboxState s);
std::optional<OutboxState> outbox_state_from(std::string_view s);

// One mail as it arrived: the bytes are in the blob store under sha256.
struct RawMessage {
  Id id = 0;
  std::string sha256;
  uint64_t size = 0;
  std::string source;
  std::vector<std::string> recipients;  // envelope
  RawState state = RawState::kReceived;
  std::string outcome;  // created | updated | duplicate | held | failed | ignored
  std::string reason;
  std::string dedupe_key;  // "mid:<id>" or "sha:<hash>"; set once processed
  std::string message_id;
  std::string from;
  std::string subject;
  std::optional<Id> case_id;
  std::string received_at;  // ISO 8601 UTC
  int attempts = 0;
  std::string spool_location;  // "" = a blob file named by sha256, else "<segment>:<offset>"
  // Envelope sender (MAIL FROM, `deliver --sender`, Return-Path of fetched mail): nullopt
  // when the source did not tell, "" for the null sender <>.
  std::optional<std::string> envelope_sender;
  // Proof of the sender (trust/auth_results.h), set when the mail is processed: the
  // authserv-id of the Authentication-Results header believed ("" when none was), its
  // dkim, spf and dmarc results ("" when it reports none), and whether they prove the
  // From address's domain.
  std::string auth_server, dkim, spf, dmarc;
  bool sender_verified = false;
  // The spam check (spam/): "" not asked, "ham", "spam", or "unchecked" (the checker
  // could not be reached); the score when one was given; who said so and why.
  std::string spam;
  std::optional<double> spam_score;
  std::string spam_detail;
  // What reading it as MIME met and read past (mime::ParsedMessage::problems: a charset
  // that could not be decoded, a multipart without its boundary, parts past the limit, a
  // text cut at its limit), one line each; set when the mail is processed.
  std::vector<std::string> problems;
};

struct Case {
  Id id = 0;
  std::string number;
  std::string subject;
  std::string description;
  CaseStatus status = CaseStatus::kNew;
  std::string priority = "normal";
  std::string queue;
  std::string product;
  std::string origin = "email";
  std::string owner;
  std::optional<Id> contact_id;
  std::optional<Id> account_id;
  std::string routing_address;
  std::string created_at;
  std::string updated_at;
  // The process the case follows (a Process's name, empty: none) and its stage in it
  // (one of the process's stages, empty only without a process).
  std::string process;
  std::string stage;
};

struct Comment {
  Id id = 0;
  Id case_id = 0;
  Direction direction = Direction::kInbound;
  std::string author;
  std::string body;
  std::string quoted;
  Visibility visibility = Visibility::kPublic;
  std::optional<Id> raw_message_id;
  std::string created_at;
  // A comment from a mail: whether its sender was proven (RawMessage::sender_verified);
  // nullopt for comments not from a mail and those recorded before the check existed.
  std::optional<bool> sender_verified;
  // Who else the comment's mail went to (Cc), as addresses, in the mail's order: the cc of
  // an agent's reply, the Cc line of a customer's mail. Empty for a note.
  std::vector<std::string> cc;
};

struct Attachment {
  Id id = 0;
  Id case_id = 0;
  std::optional<Id> comment_id;
  std::string filename;
  std::string content_type;
  uint64_t size = 0;
  std::string sha256;
  // Where the bytes are kept (spool::BlobRef::location): a spool segment's place, or
  // empty for a blob file named by sha256.
  std::string blob_location;
  std::string content_id;
  bool is_inline = false;
};

// A mail to send, written in the same transaction as the change that causes it
// (transactional outbox) and sent by `mailcase serve`.
struct OutboxMail {
  Id id = 0;
  std::optional<Id> case_id;
  std::string kind;        // confirmation | comment | solution | closed | survey
  std::string to;          // one address
  std::string message_id;  // without angle brackets
  std::string raw;         // the complete RFC 5322 mail
  bool automatic = false;  // an automatic reply: counts toward the per-sender hourly limit
  OutboxState state = OutboxState::kQueued;
  int attempts = 0;
  int64_t next_attempt_at = 0;  // Unix seconds
  std::string last_error;
  std::string created_at;
  std::string sent_at;
  std::string claimed_by;  // the worker that last took it to send (host:pid:thread); "" never
};

struct Survey {
  Id case_id = 0;
  int rating = 0;  // 1–5
  std::string comment;
  std::string created_at;
};

// An address that may write to a case besides its contact and its account's contacts
// (SF3): one in To/Cc of the case's mails, or one an agent added.
struct Participant {
  Id case_id = 0;
  std::string email;   // normalized, lower-case
  std::string source;  // "mail" (To/Cc) | "agent"
  std::string added_at;
};

}  // namespace mailcase::domain
