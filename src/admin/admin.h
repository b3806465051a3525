// The administrative writes the command line and the REST API share: contacts and
// accounts, routing addresses, mailboxes (and the secrets mailcase keeps for them),
// agents, and a retry of an outbox mail. Each checks its input (a pure check_* that names
// the field at fault, which the API answers as a 422 on that field), then writes in one
// unit of work of its own (Store::open_unit, so callable from any thread).
//
// Errors: kInvalidInput ("FIELD: why"), kNotFound, kConflict, kTemporary as the store's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/expect.h"
#include "store/agents.h"
#include "store/model.h"
#include "store/store.h"
#include "util/result.h"

namespace mailcase::admin {

// A field of a request that cannot be stored, and why (in words a person can act on).
struct Invalid {
  std::string field;
  std::string message;
};
// kInvalidInput with the message "FIELD: why".
Error invalid_error(const Invalid& i);
// The field an error's message is about, read back: "FIELD: why" or the command line's
// "--flag: why" (as rules::check_rule and alerts::check_rule word them) gives
// {"flag", "why"}, the field in lower case with '-' between words, without the dashes.
// nullopt for another message (no such field before its first ": ", or one past 40
// bytes). Pure: the API and the console each name the field from it in their own words.
std::optional<Invalid> invalid_of(std::string_view message);

inline constexpr size_t kMaxNameBytes = 200;
inline constexpr size_t kMaxAddresses = 20;

// Who changed the configuration when the command line did: as add_agent's callers there
// name it.
inline constexpr std::string_view kCliActor = "admin";

// An administrator's change of the configuration (a routing address, a mailbox, a queue
// and its members, a process, an account) goes into the administration's log
// (`mailcase audit`, GET /api/v1/events) in the unit that makes it: a config_changed
// event by `actor`, naming what (routing_address, mailbox, queue, process, account), its
// name, the change (added, changed, removed, member_added, member_removed) and `more`.
// Never a secret: a mailbox's password or certificate is not named.
Status record_config_change(store::UnitOfWork& u, std::string_view actor, std::string_view what,
                            std::string_view name, std::string_view change,
                            std::map<std::string, std::string> more = {});

// ---- contacts and accounts

struct ContactInput {
  std::string name;
  std::vector<std::string> emails;  // at least one; the first is the one mail goes to
  std::string language;             // "" or a language tag such as en, fr, pl
  std::optional<store::Id> account_id;
  std::optional<std::string> account_name;  // the CLI's --account: looked up by name
};
std::optional<Invalid> check_contact(const ContactInput& c);
// kNotFound when the account named is none; kConflict when an address is another
// contact's already; kInvalidInput when an address is one of our own: a routing address or
// `outgoing_address` (outbound.from_address), or a sub-address of one
// (services/our_addresses.h). The same of update_contact and add_agent.
Result<store::Contact> add_contact(store::Store& st, const ContactInput& in,
                                   std::string_view outgoing_address);

// What PATCH changes: the fields present; account_id: a value, or null (none) when
// clear_account.
struct ContactPatch {
  std::optional<std::string> name;
  std::optional<std::vector<std::string>> emails;
  std::optional<std::string> language;
  std::optional<store::Id> account_id;
  bool clear_account = false;
};
std::optional<Invalid> check_contact_patch(const ContactPatch& p);
Result<store::Contact> update_contact(store::Store& st, store::Id id, const ContactPatch& patch,
                                      std::string_view outgoing_address,
                                      const Expect<store::Contact>& expect = {});
// The contact a person names by its number (all digits) or by one of its addresses
// (letter case ignored). kNotFound when none.
Result<store::Contact> contact_named(store::Store& st, std::string_view named);
// The account named `name` (as it is now). kNotFound ("no account named …") when none.
Result<store::Account> account_named(store::Store& st, const std::string& name);
// Two contacts that are one person become one: `from`'s addresses and cases go to
// `into`, which keeps its name and first address and takes from's account and language
// where it has none; `from` is removed. Each case moved gets a "changed" event (field
// contact) by `actor`. Returns into as it is now. kNotFound when `from` is no contact's;
// kInvalidInput ("into: …") when `into` is none or the two are one.
Result<store::Contact> merge_contact(store::Store& st, store::Id from, store::Id into,
                                     std::string_view actor);
// Removes contact `id` and its addresses, and records a contact_removed event (no case;
// its id only: a person asked to be forgotten is) by `actor`. kNotFound when it is no
// contact's; kConflict when it has cases (a case keeps its contact: merge it instead).
Status remove_contact(store::Store& st, store::Id id, std::string_view actor,
                      const Expect<store::Contact>& expect = {});
// Removes account `id` and its addresses, and records an account_removed event (no case;
// details.account, .name) by `actor`. kNotFound when it is no account's; kConflict when a
// contact, a case or an alert rule names it.
Status remove_account(store::Store& st, store::Id id, std::string_view actor,
                      const Expect<store::Account>& expect = {});

struct AccountInput {
  std::string name;
  std::string support_level;
  std::vector<std::string> emails;  // the account's own addresses; may be none
};
std::optional<Invalid> check_account(const AccountInput& a);
// kConflict when the name or an address is another account's.
Result<store::Account> add_account(store::Store& st, const AccountInput& in,
                                   std::string_view actor = kCliActor);
// What an account's change writes: the fields present (emails replaces its addresses).
struct AccountPatch {
  std::optional<std::string> name;
  std::optional<std::string> support_level;
  std::optional<std::vector<std::string>> emails;
};
std::optional<Invalid> check_account_patch(const AccountPatch& p);
// kNotFound for no such account; kConflict when the new name or an address is another
// account's. Mail from then on is routed and matched by the rules with the new values.
Result<store::Account> update_account(store::Store& st, store::Id id, const AccountPatch& patch,
                                      std::string_view actor = kCliActor,
                                      const Expect<store::Account>& expect = {});

// ---- routing addresses

// email normalized; unknown_sender create|hold; the texts bounded.
std::optional<Invalid> check_routing_address(const store::RoutingAddress& a);
struct PutRoutingAddress {
  store::RoutingAddress address;  // as stored
  bool added = false;             // a new address, not a change of one there was
};
// In one write unit: reads the address `email` (any letter case), or starts from a new
// one of that email with the defaults; applies `change`; checks and writes it (its email
// normalized). What `change` does not touch is kept, and the read and the write see the
// same store, so that two changes of one address at once are not told "added" twice.
[[nodiscard]] Result<PutRoutingAddress> change_routing_address(
    store::Store& st, std::string_view email, const std::function<void(store::RoutingAddress&)>& change,
    std::string_view actor = kCliActor);
// Adds or replaces the address as a whole (change_routing_address giving every setting).
[[nodiscard]] Result<PutRoutingAddress> put_routing_address(store::Store& st, const store::RoutingAddress& a,
                                                            std::string_view actor = kCliActor);
// The routing address `email` as stored (any letter case), or nullopt.
Result<std::optional<store::RoutingAddress>> find_routing_address(store::Store& st, std::string_view email);
// kNotFound when absent.
Status remove_routing_address(store::Store& st, std::string_view email, std::string_view actor = kCliActor);

// ---- mailboxes

// Where mailcase keeps the secrets it is given (a mailbox's password, a CA certificate):
// <data>/secrets, the service user's alone (0700; each file 0600).
std::filesystem::path secrets_dir(const std::filesystem::path& data_dir);

// Secrets given as values (the API): stored by mailcase under secrets_dir and referenced
// by the mailbox's password_file / ca_file. The command line names files instead.
struct MailboxSecrets {
  std::optional<std::string> password;  // one line, at most 1024 bytes
  std::optional<std::string> ca_pem;    // PEM certificates, at most 64 KiB
};
inline constexpr size_t kMaxPasswordBytes = 1024;
inline constexpr size_t kMaxCaPemBytes = 64 * 1024;

// The name (1..64 of A-Z a-z 0-9 . _ -: it names the secrets' files) and the secrets.
std::optional<Invalid> check_mailbox_secrets(std::string_view name, const MailboxSecrets& s);
// Stores the secrets given (password_file / ca_file then point at them), checks the
// mailbox as channels::validate_mailbox does (kInvalidInput), and adds it (kConflict when
// the name exists: nothing is written then, the existing mailbox's secrets untouched).
Result<store::Mailbox> add_mailbox(store::Store& st, const std::filesystem::path& data_dir, store::Mailbox m,
                                   const MailboxSecrets& secrets, std::string_view actor = kCliActor);
// Replaces the settings of the mailbox m.name names, checked as add_mailbox checks them;
// the secrets given replace the ones mailcase kept for it (password_file / ca_file then
// point at them), the ones not given stay as m has them. Its agent's state stays (what it
// fetched already is not fetched again). kNotFound when no mailbox has the name.
Result<store::Mailbox> change_mailbox(store::Store& st, const std::filesystem::path& data_dir,
                                      store::Mailbox m, const MailboxSecrets& secrets,
                                      std::string_view actor = kCliActor);
// Removes the mailbox (kNotFound when absent) and the secrets mailcase kept for it.
Status remove_mailbox(store::Store& st, const std::filesystem::path& data_dir, std::string_view name,
                      std::string_view actor = kCliActor);

// ---- agents

// name 1..200 bytes, an email agent_email_problem accepts, a role parse_agent_role knows.
Result<store::Agent> agent_from(std::string_view name, std::string_view email, std::string_view role);
// Adds the agent and its agent_added event, by `actor` (an admin's email, or "admin" from
// the command line). kConflict when the email is an agent's already.
Result<store::Agent> add_agent(store::Store& st, const store::Agent& a, std::string_view actor,
                               std::string_view outgoing_address);
// What update_agent changes: each field when given.
struct AgentChange {
  std::optional<bool> active;
  std::optional<store::AgentRole> role;
  std::optional<std::string> name;  // as agent_from takes it (trimmed, 1..kMaxNameBytes, one line)
  std::optional<store::NotifySettingsPatch> notify;  // the agent's notification settings
};
// Sets active (with its agent_enabled / agent_disabled event), the role (agent_role_changed)
// and the name (agent_renamed), each when given and different, and the notification
// settings given, in one unit; returns the agent as stored.
// A disabled agent's console sessions end in the same commit. kNotFound when the email is
// no agent's; kInvalidInput for a name agent_from refuses; kConflict when the change would
// leave no active administrator (the last one disabled or made an agent): nobody could
// then manage agents, tokens or rules from the console or the API.
Result<store::Agent> update_agent(store::Store& st, std::string_view email, const AgentChange& change,
                                  std::string_view actor, const Expect<store::Agent>& expect = {});
// Sets the agent's password to `hash` (access::hash_password's; empty: none, the agent
// cannot log in) with its agent_password_set event, by `actor`, and ends every console
// session made with the old one, in one commit: whoever reset a password because it
// leaked locks out whoever used it. kNotFound when the email is no agent's.
Status set_agent_password(store::Store& st, std::string_view email, std::string_view hash,
                          std::string_view actor);

// ---- outbox

// A failed outbox mail is queued again, due at `now` (Unix s), with its attempts back at
// 0: a full new round of tries. kNotFound when no such row, kConflict when it was sent
// already or is still queued (it may be being sent). Returns the row as it is now.
Result<store::OutboxMail> retry_outbox(store::Store& st, store::Id id, int64_t now);

// ---- held mail

// A held or failed mail judged junk is dismissed: its state becomes "dismissed" (out of
// the held and failed lists and their counts), its record and bytes stay, a retry runs it
// through again. Its reason keeps why it was held, followed by who dismissed it and why;
// its message_dismissed event (no case; details.message, .from, .subject, .was, .reason)
// names `actor`. reason: "" or one line of at most kMaxDismissReasonBytes.
inline constexpr size_t kMaxDismissReasonBytes = 500;
std::optional<Invalid> check_dismiss_reason(std::string_view reason);
// kInvalidInput ("reason: why") for a reason check_dismiss_reason refuses, kNotFound when
// no mail has the id, kConflict when it is neither held nor failed. Returns the row as it
// is now, and the state it had (the list it left).
struct Dismissal {
  store::RawMessage message;
  store::RawState was = store::RawState::kHeld;
};
Result<Dismissal> dismiss_message(store::Store& st, store::Id id, std::string_view reason,
                                  std::string_view actor);

// ---- API tokens

// A token made for an agent: its row (no digest) and the token itself, to be shown once.
struct NewToken {
  store::ApiToken row;
  std::string token;
};
// Makes a token for the active agent with this email, labelled (one line, at most
// kMaxNameBytes), with its token_created event by `actor`. kNotFound when no such agent,
// kInvalidInput when the agent is disabled (a token of theirs would not work) or the
// label is wrong.
Result<NewToken> create_api_token(store::Store& st, std::string_view agent_email, std::string_view label,
                                  std::string_view actor);
// Revokes the token (its token_revoked event by `actor`); a token revoked already stays
// as it was. Returns the token as it was before. kNotFound when the id is no token's.
Result<store::ApiToken> revoke_api_token(store::Store& st, store::Id id, std::string_view actor);

}  // namespace mailcase::admin
