// mailcase.toml: every setting with its documented default.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "rules/business_hours.h"
#include "util/result.h"

namespace mailcase::config {

struct Limits {
  uint64_t max_message_bytes = 50ull * 1024 * 1024;  // larger mails are recorded as failed
  size_t max_mime_depth = 32;                        // nesting of multiparts / attached mails
  size_t max_mime_parts = 1000;                      // parts beyond are not extracted
  size_t max_text_bytes = 2 * 1024 * 1024;           // body text kept per mail
  // Header fields and header bytes of all parts of one mail together, counted before
  // GMime reads it (GMime holds every header in memory).
  size_t max_header_fields = 20000;
  size_t max_header_bytes = 1024 * 1024;
  size_t max_addresses = 1000;     // addresses read per field (From, Reply-To, To, Cc, Bcc)
  size_t max_kept_headers = 2000;  // top header fields kept with the parsed mail (rules see these)
};

struct Threading {
  std::string case_prefix = "CS";  // case numbers look like CS0000011
  int case_digits = 7;
  // Subject tags; {number} stands for a case number. Searched after any Re:/Fwd: prefixes.
  std::vector<std::string> subject_tags = {"Case:{number}", "[{number}]"};
  bool numeric_tags = false;  // also recognise "[#235]" as case 235
  // A mail naming a case from someone who is not one of its participants (SF3):
  // "internal" (kept on the case as an internal note), "hold" or "new" (a case of its own).
  std::string non_participant = "internal";
  // Who may accept, reject or reopen a case by mail: its "contact" only, or every
  // contact of its "account".
  std::string verdict_from = "contact";
};

struct Routing {
  std::string default_queue = "Support";    // for addresses without a queue of their own
  std::string fallback_queue = "Unrouted";  // when no routing address matches the mail
  std::string unknown_sender = "create";    // create | hold, for the fallback route
  std::string default_priority = "normal";
};

struct Storage {
  bool keep_original = false;  // attach the whole .eml to the case (IN7)
  // "full": every commit is fsync'ed; "normal": WAL without fsync per commit (faster,
  // survives a crash of mailcase but not of the machine).
  std::string sync = "full";
  int import_batch = 512;  // mails per transaction in `mailcase import`
};

// Mail to customers and how it leaves (OUT1–OUT6, SF2).
struct Outbound {
  bool enabled = true;  // false: nothing is queued (a data directory used for imports only)
  std::string from_address = "support@localhost";  // the one outgoing address
  std::string from_name = "Support";
  std::string smtp_host = "127.0.0.1";
  int smtp_port = 25;
  std::string smtp_tls = "none";  // implicit | starttls | none
  std::string smtp_user;          // empty: no AUTH
  std::string smtp_password_file;
  std::string smtp_ca_file;
  bool smtp_tls_verify = true;
  // AUTH over smtp_tls = "none" sends the password in clear: refused unless set.
  bool smtp_allow_plaintext_auth = false;
  std::string base_url = "http://127.0.0.1:8080";  // where `serve --http` is reached by customers
  std::string default_language = "en";             // en | fr | pl, when the contact has none
  int max_auto_replies_per_hour = 5;               // per sender (SF2)
  std::string reply_to_closed = "reopen";          // reopen | new: a customer's mail on a closed case
  bool confirmation = true;                        // confirm a new case to the customer
  bool survey = true;                              // invite to the survey when a case closes
  int link_valid_days = 30;                        // customer page links expire after this
  int max_attempts = 10;                           // then the mail is failed, shown on its case
  // Senders working side by side in `serve` (1-32): a slow or hanging relay holds one
  // mail, not the outbox. A case's mails to one address still go in order.
  int senders = 4;
  // Automatic replies in all per hour, at most (a flood of new senders).
  int max_auto_replies_total_per_hour = 200;
  // Confirm a new case even when the envelope sender's domain is not the From's and the
  // sender is not a known contact (off: such a From may be forged; RFC 3834 section 4).
  bool confirm_unverified_senders = false;
};

// The customer pages' HTTP server (`serve --http`): every request is bounded in size
// and time before it is buffered.
struct Http {
  int max_head_bytes = 16384;        // request line and headers together; past it 414/431
  int max_body_bytes = 16384;        // a posted form; a larger declared body gets 413 unread
  int request_timeout_seconds = 15;  // a whole request, first byte to answer; past it 408
  int workers = 64;                  // requests answered at once (each come whole)
  // Connections held waiting apart from the workers (for a head, a short body, or idle
  // between requests); past it the one waiting longest is closed.
  int max_connections = 512;
  // A request body of the REST API (/api/…): JSON, or a comment with its attachments.
  // Bodies are buffered whole, so workers × this bounds the memory requests may take.
  int max_api_body_bytes = 10485760;
  // The request bodies longer than 64 KiB read at once before their requests take workers
  // (an upload sent slowly holds none); past it only the one holding the most is read on.
  int max_buffered_bytes = 67108864;
  // Where agents reach the console (`serve --http`), e.g. "https://help.example.com":
  // agents' notices link to /cases/{number} under it (empty: no link), and its scheme
  // (else outbound.base_url's) decides whether the console's cookies are Secure.
  std::string public_url;
  // Proxies (IP addresses, or CIDR ranges such as "10.0.0.0/8") whose X-Forwarded-For is
  // believed when the console tells clients apart (login throttling); others' is ignored.
  std::vector<std::string> trusted_proxies;
  int session_idle_minutes = 480;  // a console session unused this long ends
  int session_max_hours = 168;     // and any session ends this long after its login
  // Failed console logins allowed within login_window_minutes for an account from one
  // client address, from one client address over all accounts, and for an account from
  // all addresses together; past one, such logins are refused (429) until the window
  // moves on (console/login_throttle.h).
  int login_failures_per_account = 5;
  int login_failures_per_address = 20;
  int login_failures_per_account_all = 100;
  int login_window_minutes = 15;
  // A bearer token for GET /metrics (Prometheus' `authorization: credentials`). Set: every
  // scrape, from this machine too, needs "Authorization: Bearer <it>" (or an active agent's
  // API token), else 401. Empty: a scraper on this machine's loopback needs none, and
  // others an agent's API token. 16 to 256 characters of the bearer token set (letters,
  // digits, "-._~+/", "=" padding only at its end).
  std::string metrics_token;
};

// The LMTP listener (`serve --lmtp`).
struct Lmtp {
  int max_recipients = 100;                // RCPT TO per mail; more get 452 (sent again later)
  int64_t session_timeout_seconds = 1800;  // a whole connection ("30m")
  int64_t data_timeout_seconds = 600;      // one DATA, 354 to the final "." ("10m")
  // The longest line, command or DATA, a session takes (RFC 5321 allows 1,000 octets;
  // real mail has longer ones); past it the session ends (500, or 421 inside DATA).
  size_t max_line_bytes = 1024 * 1024;
  int64_t idle_timeout_seconds = 300;  // a client silent this long is let go ("5m")
  int max_connections = 64;            // sessions at once; more are turned away with 421
  size_t commit_batch = 256;           // finished mails committed in one transaction, at most
  // The mails' data all sessions hold in memory at once (never less than one mail of
  // limits.max_message_bytes); a DATA that finds it spent gets 452 for each recipient.
  uint64_t max_buffered_bytes = 256ull << 20;
};

// `[deliver]`: pipe deliveries handed to a running `serve` (channels/deliver_socket.h).
struct Deliver {
  // serve takes deliveries on DATA_DIR/deliver.sock; off: every delivery commits by itself.
  bool handoff = true;
  int max_connections = 64;               // deliveries at once; more commit by themselves
  int64_t request_timeout_seconds = 600;  // one delivery, greeting to answer ("10m")
  int64_t idle_timeout_seconds = 60;      // a delivery silent this long is dropped, unrecorded
};

// The mailbox agents (`serve`, `mailbox fetch`).
struct Mailbox {
  size_t fetch_batch = 50;  // mails fetched and committed together
};

// `[trust]`: proof of the sender (trust/auth_results.h).
struct Trust {
  // authserv-ids of the receiving servers whose Authentication-Results are believed
  // (each must strip fields carrying its id from arriving mail). Empty: none is.
  std::vector<std::string> authserv_ids;
  // A reply to a case from its contact, account or a participant whose believed DMARC
  // result is fail: "hold" it, or keep it as an "internal" note that changes nothing.
  std::string on_dmarc_fail = "hold";
};

// The spam check (`[spam]`, spam/): a real rspamd asked over HTTP, and the score at
// which a mail is spam where a checker gives only a score (rspamd, X-Spam-Score).
struct Spam {
  std::string rspamd_url;  // "http://127.0.0.1:11333"; empty: rspamd is not asked
  int64_t rspamd_timeout_seconds = 5;
  double threshold = 5.0;
};

struct Config {
  Limits limits;
  Threading threading;
  Routing routing;
  Storage storage;
  Outbound outbound;
  Http http;
  Lmtp lmtp;
  Mailbox mailbox;
  // `[business_hours]`: when assignment rules' --if-business-hours holds (rules/business_hours.h).
  rules::BusinessHours business_hours;
  Trust trust;
  Spam spam;
  Deliver deliver;
};

// Reads DIR/mailcase.toml; a missing file gives the defaults. A syntax error or a bad
// value is kInvalidInput with the file, line and key in the message.
[[nodiscard]] Result<Config> load(const std::filesystem::path& file);

// The same rules for the text of a mailcase.toml; `file` only names it in messages.
// Pure (no I/O): any text gives a Config or a kInvalidInput error, never an exception.
[[nodiscard]] Result<Config> load_text(std::string_view text, const std::filesystem::path& file);

// The commented default file written by `mailcase init`.
std::string default_file_text();

}  // namespace mailcase::config
