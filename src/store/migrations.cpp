#include "store/migrations.h"

namespace mailcase::store {

const std::vector<Migration>& sqlite_migrations() {
  static const std::vector<Migration> all = {
      {1, R"sql(
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  support_level TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);
CREATE TABLE account_emails (
  email TEXT PRIMARY KEY COLLATE NOCASE,
  account_id INTEGER NOT NULL REFERENCES accounts(id)
);
CREATE TABLE contacts (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  account_id INTEGER REFERENCES accounts(id),
  language TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);
CREATE TABLE contact_emails (
  email TEXT PRIMARY KEY COLLATE NOCASE,
  contact_id INTEGER NOT NULL REFERENCES contacts(id)
);
CREATE TABLE routing_addresses (
  email TEXT PRIMARY KEY COLLATE NOCASE,
  queue TEXT NOT NULL DEFAULT '',
  product TEXT NOT NULL DEFAULT '',
  creates_cases INTEGER NOT NULL DEFAULT 1,
  subject_prefix TEXT NOT NULL DEFAULT '',
  unknown_sender TEXT NOT NULL DEFAULT 'create',
  priority TEXT NOT NULL DEFAULT ''
);
CREATE TABLE cases (
  id INTEGER PRIMARY KEY,
  number TEXT NOT NULL UNIQUE,
  subject TEXT NOT NULL,
  description TEXT NOT NULL,
  status TEXT NOT NULL,
  priority TEXT NOT NULL,
  queue TEXT NOT NULL,
  product TEXT NOT NULL DEFAULT '',
  origin TEXT NOT NULL DEFAULT 'email',
  owner TEXT NOT NULL DEFAULT '',
  contact_id INTEGER REFERENCES contacts(id),
  account_id INTEGER REFERENCES accounts(id),
  routing_address TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE raw_messages (
  id INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  source TEXT NOT NULL,
  recipients TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  outcome TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  dedupe_key TEXT,
  message_id TEXT NOT NULL DEFAULT '',
  from_addr TEXT NOT NULL DEFAULT '',
  subject TEXT NOT NULL DEFAULT '',
  case_id INTEGER REFERENCES cases(id),
  attempts INTEGER NOT NULL DEFAULT 0,
  received_at TEXT NOT NULL
);
CREATE UNIQUE INDEX raw_messages_dedupe ON raw_messages(dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX raw_messages_state ON raw_messages(state);
CREATE TABLE comments (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  direction TEXT NOT NULL,
  author TEXT NOT NULL,
  body TEXT NOT NULL,
  quoted TEXT NOT NULL DEFAULT '',
  visibility TEXT NOT NULL,
  raw_message_id INTEGER REFERENCES raw_messages(id),
  created_at TEXT NOT NULL
);
CREATE INDEX comments_case ON comments(case_id);
CREATE TABLE attachments (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  comment_id INTEGER REFERENCES comments(id),
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  content_id TEXT NOT NULL DEFAULT '',
  is_inline INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX attachments_case ON attachments(case_id);
CREATE TABLE message_ids (
  message_id TEXT PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  direction TEXT NOT NULL
);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  case_id INTEGER,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT ''
);
)sql"},
      // Small raw mails are packed into spool segments (spool/raw_spool.h); where.
      {2, R"sql(
ALTER TABLE raw_messages ADD COLUMN spool_location TEXT NOT NULL DEFAULT '';
)sql"},
      // Mailbox agents (IMAP, POP3): settings, last state, POP3 UIDLs seen.
      {3, R"sql(
CREATE TABLE mailboxes (
  name TEXT PRIMARY KEY,
  settings TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE mailbox_state (
  name TEXT PRIMARY KEY,
  status TEXT NOT NULL DEFAULT '',
  last_success TEXT NOT NULL DEFAULT '',
  last_error TEXT NOT NULL DEFAULT '',
  backlog INTEGER NOT NULL DEFAULT 0,
  uidvalidity INTEGER NOT NULL DEFAULT 0,
  last_uid INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE pop3_seen (
  mailbox TEXT NOT NULL,
  uidl TEXT NOT NULL,
  PRIMARY KEY (mailbox, uidl)
);
)sql"},
      // The conversation: outbox (transactional), surveys, whether the survey was shown.
      {4, R"sql(
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  case_id INTEGER REFERENCES cases(id),
  kind TEXT NOT NULL,
  to_addr TEXT NOT NULL COLLATE NOCASE,
  message_id TEXT NOT NULL UNIQUE,
  raw BLOB NOT NULL,
  automatic INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'queued',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  sent_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX outbox_to ON outbox(to_addr, created_at);
CREATE TABLE surveys (
  case_id INTEGER PRIMARY KEY REFERENCES cases(id),
  rating INTEGER NOT NULL,
  comment TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);
)sql"},
      // Who may write to a case besides its contact and account (SF3): looked up by
      // (case, address) on every mail that names a case.
      {5, R"sql(
CREATE TABLE case_participants (
  case_id INTEGER NOT NULL REFERENCES cases(id),
  email TEXT NOT NULL COLLATE NOCASE,
  source TEXT NOT NULL,
  added_at TEXT NOT NULL,
  PRIMARY KEY (case_id, email)
);
)sql"},
      // Backscatter (RFC 3834 section 4): the envelope sender of each mail (NULL: the source
      // did not tell; '' the null sender <>); contacts made from a mail whose envelope sender
      // did not vouch for its From; outbox rows counted per mailbox (lower-case, "+tag"
      // dropped) and overall, each through an index of automatic rows.
      {7, R"sql(
ALTER TABLE raw_messages ADD COLUMN envelope_sender TEXT;
CREATE TABLE contacts_unverified (
  contact_id INTEGER PRIMARY KEY REFERENCES contacts(id)
);
ALTER TABLE outbox ADD COLUMN to_key TEXT NOT NULL DEFAULT '';
UPDATE outbox SET to_key = CASE
  WHEN instr(to_addr, '+') > 1 AND instr(to_addr, '+') < instr(to_addr, '@')
  THEN lower(substr(to_addr, 1, instr(to_addr, '+') - 1) || substr(to_addr, instr(to_addr, '@')))
  ELSE lower(to_addr) END;
CREATE INDEX outbox_auto_to_key ON outbox(to_key, created_at) WHERE automatic = 1;
CREATE INDEX outbox_auto_created ON outbox(created_at) WHERE automatic = 1;
)sql"},
      // No table scan on the mail path: every lookup a delivery, a confirmation, a comment
      // or a close makes by a case or an owner row goes through an index (message ids and
      // outbox rows of a case; the addresses of a contact or an account). raw_messages.sha256
      // and the other keys looked up are UNIQUE already, so they carry their own index.
      {8, R"sql(
CREATE INDEX message_ids_case ON message_ids(case_id);
CREATE INDEX outbox_case ON outbox(case_id);
CREATE INDEX contact_emails_contact ON contact_emails(contact_id);
CREATE INDEX account_emails_account ON account_emails(account_id);
)sql"},
      // Agents as records: an agent's email is their identity, and cases.owner holds it from
      // now on. After this SQL, the store moves today's free-text owners in code
      // (store/agents.h plan_owner_migration): an address becomes an agent, anything else
      // an internal note on its case.
      {9, R"sql(
CREATE TABLE agents (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  role TEXT NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'admin')),
  active INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL
);
)sql"},
      // Case events replace the free-text audit (which is dropped): typed actor kind and
      // action (store/model.h), details a JSON object. Old audit rows keep their id, time
      // and actor; their action is mapped by name, their detail kept as details.text; an
      // action with no name here becomes "legacy" with the old name in details.action.
      // No foreign key: old audit rows were not checked against cases.
      {10, R"sql(
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  case_id INTEGER,
  at TEXT NOT NULL,
  actor_kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_case ON events(case_id, id);
INSERT INTO events (id, case_id, at, actor_kind, actor, action, details)
SELECT id, case_id, at,
  CASE actor WHEN 'mailcase' THEN 'system' WHEN 'email' THEN 'mail' WHEN 'customer' THEN 'customer'
    ELSE 'agent' END,
  actor,
  CASE action
    WHEN 'created' THEN 'created'
    WHEN 'public comment' THEN 'commented'
    WHEN 'internal note' THEN 'note'
    WHEN 'solution proposed' THEN 'solution_proposed'
    WHEN 'solution accepted' THEN 'accepted'
    WHEN 'solution rejected' THEN 'rejected'
    WHEN 'closed' THEN 'closed'
    WHEN 'reopened' THEN 'reopened'
    WHEN 'assigned' THEN 'assigned'
    WHEN 'participant added' THEN 'participant_added'
    WHEN 'mail bounced' THEN 'mail_bounced'
    WHEN 'mail failed' THEN 'mail_failed'
    WHEN 'mail not sent' THEN 'mail_not_sent'
    WHEN 'no confirmation' THEN 'confirmation_skipped'
    WHEN 'survey' THEN 'survey_answered'
    ELSE 'legacy' END,
  CASE WHEN action IN ('created', 'public comment', 'internal note', 'solution proposed',
                       'solution accepted', 'solution rejected', 'closed', 'reopened', 'assigned',
                       'participant added', 'mail bounced', 'mail failed', 'mail not sent',
                       'no confirmation', 'survey')
    THEN CASE detail WHEN '' THEN '{}' ELSE json_object('text', detail) END
    ELSE json_object('action', action, 'text', detail) END
FROM audit ORDER BY id;
DROP TABLE audit;
)sql"},
      // The outbox names the worker that claimed each row (OutboxRepository::claim_due),
      // so that an operator sees which serve process took a mail; '' for rows never taken.
      {11, R"sql(
ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
)sql"},
      // Agents' access (access/credentials.h): a password hash per agent (NULL: none, the
      // agent cannot log in) and API tokens kept as SHA-256 digests, looked up by digest
      // (UNIQUE, so indexed) on every API request; tokens listed per agent by agent_id.
      {12, R"sql(
ALTER TABLE agents ADD COLUMN password_hash TEXT;
CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  agent_id INTEGER NOT NULL REFERENCES agents(id),
  label TEXT NOT NULL DEFAULT '',
  digest TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at TEXT
);
CREATE INDEX api_tokens_agent ON api_tokens(agent_id);
)sql"},
      // The case list and its search (CaseRepository::find_cases).
      // Indexes: each filter of the list with updated_at after it (the rowid, the case id,
      // ends every index), so that a filtered first page in the default order reads its
      // rows in order from one index; plain updated_at for no filter.
      // case_search: one FTS5 row per case (rowid = case id) over its subject, its
      // comments' text (public and internal; the quoted history is not indexed) and its
      // contact's name and addresses. External content: the text is read back through the
      // view case_search_source for snippets and is not stored twice; only the index is
      // added. The view turns U+E000/U+E001 into spaces: they are the snippet's match
      // markers, so mail text can never forge one. unicode61 with remove_diacritics 2:
      // "facture" finds "Facturé". Ranked by bm25 with weights subject 10, comments 1,
      // contact 4: a word in the subject names what the case is about.
      // Triggers keep the index current in the writing transaction, whoever writes (the
      // mail path, the CLI, a migration's own code): each change removes the case's old
      // entry in a BEFORE trigger (the view then still shows exactly the indexed text,
      // which an external-content delete needs) and adds the new one in an AFTER trigger.
      // A mail's comment re-indexes its own case only: the cost grows with that case's
      // text, never with the store. Contract for later code: write these tables with plain
      // INSERT, UPDATE and DELETE; INSERT OR REPLACE deletes without firing the delete
      // triggers and would leave the index behind its text (the BEFORE INSERT trigger of
      // contact_emails stands aside for a row INSERT OR IGNORE will skip). Should the index
      // ever disagree: INSERT INTO case_search(case_search) VALUES('rebuild').
      {13, R"sql(
CREATE INDEX cases_updated ON cases(updated_at);
CREATE INDEX cases_status_updated ON cases(status, updated_at);
CREATE INDEX cases_queue_updated ON cases(queue, updated_at);
CREATE INDEX cases_owner_updated ON cases(owner, updated_at);
CREATE INDEX cases_contact_updated ON cases(contact_id, updated_at);
CREATE VIEW case_search_source AS
SELECT c.id AS id,
  replace(replace(c.subject, char(57344), ' '), char(57345), ' ') AS subject,
  (SELECT replace(replace(group_concat(body, char(10)), char(57344), ' '), char(57345), ' ')
     FROM (SELECT body FROM comments WHERE case_id = c.id ORDER BY id)) AS comments,
  (SELECT replace(replace(ct.name || ' ' || ifnull((SELECT group_concat(email, ' ')
       FROM (SELECT email FROM contact_emails WHERE contact_id = ct.id ORDER BY rowid)), ''),
       char(57344), ' '), char(57345), ' ')
     FROM contacts ct WHERE ct.id = c.contact_id) AS contact
FROM cases c;
CREATE VIRTUAL TABLE case_search USING fts5(subject, comments, contact,
  content='case_search_source', content_rowid='id',
  tokenize='unicode61 remove_diacritics 2');
INSERT INTO case_search(case_search, rank) VALUES('rank', 'bm25(10.0, 1.0, 4.0)');
INSERT INTO case_search(case_search) VALUES('rebuild');

CREATE TRIGGER case_search_case_insert AFTER INSERT ON cases BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source WHERE id = new.id;
END;
CREATE TRIGGER case_search_case_update_old BEFORE UPDATE OF subject, contact_id ON cases
WHEN old.subject IS NOT new.subject OR old.contact_id IS NOT new.contact_id BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source WHERE id = old.id;
END;
CREATE TRIGGER case_search_case_update_new AFTER UPDATE OF subject, contact_id ON cases
WHEN old.subject IS NOT new.subject OR old.contact_id IS NOT new.contact_id BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source WHERE id = new.id;
END;
CREATE TRIGGER case_search_case_delete BEFORE DELETE ON cases BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source WHERE id = old.id;
END;

CREATE TRIGGER case_search_comment_insert_old BEFORE INSERT ON comments BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source WHERE id = new.case_id;
END;
CREATE TRIGGER case_search_comment_insert_new AFTER INSERT ON comments BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source WHERE id = new.case_id;
END;
CREATE TRIGGER case_search_comment_update_old BEFORE UPDATE OF body, case_id ON comments BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE id IN (old.case_id, new.case_id);
END;
CREATE TRIGGER case_search_comment_update_new AFTER UPDATE OF body, case_id ON comments BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source WHERE id IN (old.case_id, new.case_id);
END;
CREATE TRIGGER case_search_comment_delete_old BEFORE DELETE ON comments BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source WHERE id = old.case_id;
END;
CREATE TRIGGER case_search_comment_delete_new AFTER DELETE ON comments BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source WHERE id = old.case_id;
END;

CREATE TRIGGER case_search_contact_update_old BEFORE UPDATE OF name ON contacts
WHEN old.name IS NOT new.name BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE id IN (SELECT id FROM cases WHERE contact_id = old.id);
END;
CREATE TRIGGER case_search_contact_update_new AFTER UPDATE OF name ON contacts
WHEN old.name IS NOT new.name BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE id IN (SELECT id FROM cases WHERE contact_id = new.id);
END;
CREATE TRIGGER case_search_email_insert_old BEFORE INSERT ON contact_emails
WHEN NOT EXISTS (SELECT 1 FROM contact_emails WHERE email = new.email) BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE id IN (SELECT id FROM cases WHERE contact_id = new.contact_id);
END;
CREATE TRIGGER case_search_email_insert_new AFTER INSERT ON contact_emails BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE id IN (SELECT id FROM cases WHERE contact_id = new.contact_id);
END;
CREATE TRIGGER case_search_email_update_old BEFORE UPDATE ON contact_emails BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE id IN (SELECT id FROM cases WHERE contact_id IN (old.contact_id, new.contact_id));
END;
CREATE TRIGGER case_search_email_update_new AFTER UPDATE ON contact_emails BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE id IN (SELECT id FROM cases WHERE contact_id IN (old.contact_id, new.contact_id));
END;
CREATE TRIGGER case_search_email_delete_old BEFORE DELETE ON contact_emails BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE id IN (SELECT id FROM cases WHERE contact_id = old.contact_id);
END;
CREATE TRIGGER case_search_email_delete_new AFTER DELETE ON contact_emails BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE id IN (SELECT id FROM cases WHERE contact_id = old.contact_id);
END;
)sql"},
      // Mails a mailbox agent left on their server because they were over
      // limits.max_message_bytes: which mailbox and which mail there (IMAP
      // "UIDVALIDITY:UID", POP3 "uidl:UIDL"), for `message retry` to fetch it and for the
      // agent not to record it again. raw_id is its failed record.
      {14, R"sql(
CREATE TABLE mailbox_left (
  raw_id INTEGER PRIMARY KEY REFERENCES raw_messages(id),
  mailbox TEXT NOT NULL,
  mail_key TEXT NOT NULL,
  size INTEGER NOT NULL,
  UNIQUE (mailbox, mail_key)
);
)sql"},
      // The REST API's Idempotency-Key answers, per token and key (IdempotencyRepository):
      // in_progress 1 while the first request runs; status, headers (a JSON array of
      // [name, value]) and body are its answer, replayed to a retry. Kept a day: the
      // created_at (unix seconds) index serves the purge.
      {15, R"sql(
CREATE TABLE idempotency_keys (
  token_id INTEGER NOT NULL,
  key TEXT NOT NULL,
  request_digest TEXT NOT NULL,
  in_progress INTEGER NOT NULL DEFAULT 1,
  status INTEGER NOT NULL DEFAULT 0,
  headers TEXT NOT NULL DEFAULT '[]',
  body BLOB NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  PRIMARY KEY (token_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
)sql"},
      // The API's outbox list by state, newest first (OutboxRepository::page_outbox): one
      // range of this index, where outbox_due (state, next_attempt_at) would sort.
      {16, R"sql(
CREATE INDEX outbox_state ON outbox(state, id);
)sql"},
      // The console's login sessions (SessionRepository): found by the digest of the
      // cookie on every page; purged by expiry; ended together for one agent.
      {17, R"sql(
CREATE TABLE console_sessions (
  digest TEXT PRIMARY KEY,
  agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  csrf TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX console_sessions_expires ON console_sessions(expires_at);
CREATE INDEX console_sessions_agent ON console_sessions(agent_id);
)sql"},
      // Queues with members (QueueRepository), and which mails each agent is told by
      // (services/agent_notices.h), each on for every agent. A queue's members are found
      // by its name (queues.name's unique index, then the primary key of queue_members);
      // an agent's queues by queue_members_agent.
      {18, R"sql(
CREATE TABLE queues (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
);
CREATE TABLE queue_members (
  queue_id INTEGER NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
  agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  PRIMARY KEY (queue_id, agent_id)
) WITHOUT ROWID;
CREATE INDEX queue_members_agent ON queue_members(agent_id);
ALTER TABLE agents ADD COLUMN notify_new_case INTEGER NOT NULL DEFAULT 1;
ALTER TABLE agents ADD COLUMN notify_reply INTEGER NOT NULL DEFAULT 1;
ALTER TABLE agents ADD COLUMN notify_assigned INTEGER NOT NULL DEFAULT 1;
)sql"},
      // The console's queues with their counts of open cases (count_open_by_queue): kept
      // per queue and status as cases are added, change status or queue, or go, so that
      // the queues page reads a few rows whatever the number of open cases. It may run
      // again over its own result (a test that re-runs the migrations from an old store):
      // the counts are then made again from the cases.
      {20, R"sql(
CREATE TABLE IF NOT EXISTS open_case_counts (
  queue TEXT NOT NULL,
  status TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (queue, status)
) WITHOUT ROWID;
DELETE FROM open_case_counts;
INSERT INTO open_case_counts (queue, status, n)
  SELECT queue, status, count(*) FROM cases WHERE status IN ('new', 'open', 'solution proposed')
  GROUP BY queue, status;
CREATE TRIGGER IF NOT EXISTS cases_open_count_insert AFTER INSERT ON cases
WHEN new.status IN ('new', 'open', 'solution proposed') BEGIN
  INSERT INTO open_case_counts (queue, status, n) VALUES (new.queue, new.status, 1)
    ON CONFLICT (queue, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS cases_open_count_delete AFTER DELETE ON cases
WHEN old.status IN ('new', 'open', 'solution proposed') BEGIN
  UPDATE open_case_counts SET n = n - 1 WHERE queue = old.queue AND status = old.status;
END;
CREATE TRIGGER IF NOT EXISTS cases_open_count_update AFTER UPDATE OF status, queue ON cases
WHEN old.status IS NOT new.status OR old.queue IS NOT new.queue BEGIN
  UPDATE open_case_counts SET n = n - 1 WHERE queue = old.queue AND status = old.status;
  INSERT INTO open_case_counts (queue, status, n)
    SELECT new.queue, new.status, 1 WHERE new.status IN ('new', 'open', 'solution proposed')
    ON CONFLICT (queue, status) DO UPDATE SET n = n + 1;
END;
)sql"},
      // Assignment rules (RuleRepository, rules/assignment.h): one row per rule, its
      // conditions and actions as columns ("" or NULL: not set), kept at dense positions
      // 1..n by the repository. rules_version holds one row, bumped by every change to the
      // rules, which a running ingest reads (by its key) to know when to compile again.
      {21, R"sql(
CREATE TABLE assignment_rules (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  position INTEGER NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  if_address TEXT NOT NULL DEFAULT '',
  if_sender TEXT NOT NULL DEFAULT '',
  if_sender_domain TEXT NOT NULL DEFAULT '',
  if_contact TEXT NOT NULL DEFAULT '',
  if_account TEXT NOT NULL DEFAULT '',
  if_account_level TEXT NOT NULL DEFAULT '',
  if_subject TEXT NOT NULL DEFAULT '',
  if_body TEXT NOT NULL DEFAULT '',
  if_attachments INTEGER,
  if_priority TEXT NOT NULL DEFAULT '',
  if_language TEXT NOT NULL DEFAULT '',
  if_business_hours INTEGER,
  set_queue TEXT NOT NULL DEFAULT '',
  set_owner TEXT NOT NULL DEFAULT '',
  set_priority TEXT NOT NULL DEFAULT '',
  set_product TEXT NOT NULL DEFAULT '',
  set_process TEXT NOT NULL DEFAULT '',
  continue_after INTEGER NOT NULL DEFAULT 0,
  hits INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);
CREATE TABLE rules_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
);
INSERT INTO rules_version (id, version) VALUES (1, 0);
)sql"},
      // Round-robin assignment (RuleRepository::round_robin_candidates): each agent's open
      // cases (new, open, solution proposed) kept by owner as cases are added, change
      // status or owner, or go, the way migration 20 keeps them per queue, so that picking
      // an owner reads a few rows whatever the number of cases; and per queue member, when
      // they last got a case by round-robin (a sequence per queue, 0: never). It may run
      // again over its own result, as 20 does: the counts are then made again.
      {22, R"sql(
CREATE TABLE IF NOT EXISTS agent_open_counts (
  owner TEXT PRIMARY KEY,
  n INTEGER NOT NULL
) WITHOUT ROWID;
DELETE FROM agent_open_counts;
INSERT INTO agent_open_counts (owner, n)
  SELECT owner, count(*) FROM cases WHERE owner <> '' AND status IN ('new', 'open', 'solution proposed')
  GROUP BY owner;
CREATE TRIGGER IF NOT EXISTS cases_agent_count_insert AFTER INSERT ON cases
WHEN new.owner <> '' AND new.status IN ('new', 'open', 'solution proposed') BEGIN
  INSERT INTO agent_open_counts (owner, n) VALUES (new.owner, 1)
    ON CONFLICT (owner) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS cases_agent_count_delete AFTER DELETE ON cases
WHEN old.owner <> '' AND old.status IN ('new', 'open', 'solution proposed') BEGIN
  UPDATE agent_open_counts SET n = n - 1 WHERE owner = old.owner;
END;
CREATE TRIGGER IF NOT EXISTS cases_agent_count_update AFTER UPDATE OF status, owner ON cases
WHEN old.status IS NOT new.status OR old.owner IS NOT new.owner BEGIN
  UPDATE agent_open_counts SET n = n - 1
    WHERE owner = old.owner AND old.owner <> '' AND old.status IN ('new', 'open', 'solution proposed');
  INSERT INTO agent_open_counts (owner, n)
    SELECT new.owner, 1 WHERE new.owner <> '' AND new.status IN ('new', 'open', 'solution proposed')
    ON CONFLICT (owner) DO UPDATE SET n = n + 1;
END;
ALTER TABLE queue_members ADD COLUMN last_assigned_seq INTEGER NOT NULL DEFAULT 0;
)sql"},
      // Processes with stages (ProcessRepository): stages is a JSON array of the stage
      // names in their order. A case follows one process (by name) and stands at one of
      // its stages; a routing address names the process its new cases follow (a
      // mailbox names its one among its JSON settings).
      {23, R"sql(
CREATE TABLE processes (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  stages TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL
);
ALTER TABLE cases ADD COLUMN process TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN stage TEXT NOT NULL DEFAULT '';
ALTER TABLE routing_addresses ADD COLUMN process TEXT NOT NULL DEFAULT '';
)sql"},
      // Monitoring alerts (AlertRepository): the alert rules, tried by position (ids never
      // reused: the rules' signature is their count and largest id), and each alert case
      // by its key (account id or 0, host, service). alert_cases_open lets a key have one
      // open row only, whichever node writes it; alert_cases_key finds a key's latest row.
      // It may run again over its own result (a test that re-runs the migrations from an
      // old store), which it leaves as it is.
      {24, R"sql(
CREATE TABLE IF NOT EXISTS alert_rules (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  format TEXT NOT NULL,
  sender_re TEXT NOT NULL DEFAULT '',
  subject_re TEXT NOT NULL DEFAULT '',
  body_re TEXT NOT NULL DEFAULT '',
  account_id INTEGER REFERENCES accounts(id),
  reopen_within_hours INTEGER NOT NULL,
  position INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_cases (
  id INTEGER PRIMARY KEY,
  case_id INTEGER REFERENCES cases(id),
  account_key INTEGER NOT NULL,
  host TEXT NOT NULL,
  service TEXT NOT NULL,
  open INTEGER NOT NULL DEFAULT 1,
  resolved_at INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS alert_cases_open ON alert_cases(account_key, host, service) WHERE open = 1;
CREATE INDEX IF NOT EXISTS alert_cases_key ON alert_cases(account_key, host, service, id);
)sql"},
      // Proof of the sender, spam and the API by mail: a routing address may take XML
      // commands (api) and believe other servers' Authentication-Results (authserv_ids, a
      // comma-separated list); each mail keeps what was proven of its sender and the spam
      // check's verdict; a comment from a mail, whether its sender was proven.
      {25, R"sql(
ALTER TABLE routing_addresses ADD COLUMN api INTEGER NOT NULL DEFAULT 0;
ALTER TABLE routing_addresses ADD COLUMN authserv_ids TEXT NOT NULL DEFAULT '';
ALTER TABLE raw_messages ADD COLUMN auth_server TEXT NOT NULL DEFAULT '';
ALTER TABLE raw_messages ADD COLUMN dkim TEXT NOT NULL DEFAULT '';
ALTER TABLE raw_messages ADD COLUMN spf TEXT NOT NULL DEFAULT '';
ALTER TABLE raw_messages ADD COLUMN dmarc TEXT NOT NULL DEFAULT '';
ALTER TABLE raw_messages ADD COLUMN sender_verified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE raw_messages ADD COLUMN spam TEXT NOT NULL DEFAULT '';
ALTER TABLE raw_messages ADD COLUMN spam_score REAL;
ALTER TABLE raw_messages ADD COLUMN spam_detail TEXT NOT NULL DEFAULT '';
ALTER TABLE comments ADD COLUMN sender_verified INTEGER;
)sql"},
      // Spam: senders whose mail is not held as spam (`message retry ID --not-spam
      // --allow-sender`), by normalized address; the primary key is the lookup each
      // spam verdict makes.
      {26, R"sql(
CREATE TABLE IF NOT EXISTS spam_allowed_senders (
  email TEXT PRIMARY KEY,
  added_by TEXT NOT NULL DEFAULT '',
  added_at TEXT NOT NULL
);
)sql"},
      // The API by mail: its senders (the secret stays in its file, named here) and the
      // proofs already used (Message-IDs and signatures), purged after a day.
      {27, R"sql(
CREATE TABLE IF NOT EXISTS api_senders (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  secret_file TEXT NOT NULL DEFAULT '',
  dkim INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_proofs_seen (
  key TEXT PRIMARY KEY,
  seen_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS api_proofs_seen_at ON api_proofs_seen(seen_at);
)sql"},
      // The search index written once per write transaction instead of per statement.
      // FTS5 writes a new index segment whenever a statement that wrote to it opens a
      // statement journal, so the per-statement triggers of migration 13 made a segment per
      // mail (and merges to match). Now a write unit (Lease::begin, SqliteStore::begin)
      // sets case_search_mode.deferred to 1 in its transaction; the triggers then only note
      // each touched case in case_search_pending, the first time with the text it is
      // indexed under (an external-content 'delete' needs exactly that text; `indexed` 0
      // for a case not in the index yet, e.g. made in this transaction), and the unit
      // re-indexes the noted cases in three statements just before its COMMIT
      // (Connection::flush_search_index), setting deferred back to 0: a committed case is
      // always in the index, and a search inside the unit flushes first. Every other
      // writer (autocommit statements, migrations, the sqlite3 shell) sees deferred 0 and
      // the triggers index per statement as migration 13 did. Contract: deferred is 1 only
      // inside an open write transaction, and case_search_pending is empty whenever it is
      // 0; outside a transaction both read 0 and empty. case_search_touch is a view whose
      // INSTEAD OF trigger holds the noting logic once.
      {28, R"sql(
CREATE TABLE case_search_mode (deferred INTEGER NOT NULL);
INSERT INTO case_search_mode (deferred) VALUES (0);
CREATE TABLE case_search_pending (
  id INTEGER PRIMARY KEY,
  indexed INTEGER NOT NULL,
  subject TEXT,
  comments TEXT,
  contact TEXT
);
CREATE VIEW case_search_touch(id) AS SELECT NULL WHERE 0;
CREATE TRIGGER case_search_touch_note INSTEAD OF INSERT ON case_search_touch
WHEN NOT EXISTS (SELECT 1 FROM case_search_pending WHERE id = new.id) BEGIN
  INSERT INTO case_search_pending (id, indexed, subject, comments, contact)
    SELECT s.id, 1, s.subject, s.comments, s.contact FROM case_search_source s
    WHERE s.id = new.id AND EXISTS (SELECT 1 FROM case_search_docsize WHERE id = new.id);
  INSERT OR IGNORE INTO case_search_pending (id, indexed) VALUES (new.id, 0);
END;
DROP TRIGGER case_search_case_insert;
DROP TRIGGER case_search_case_update_old;
DROP TRIGGER case_search_case_update_new;
DROP TRIGGER case_search_case_delete;
DROP TRIGGER case_search_comment_insert_old;
DROP TRIGGER case_search_comment_insert_new;
DROP TRIGGER case_search_comment_update_old;
DROP TRIGGER case_search_comment_update_new;
DROP TRIGGER case_search_comment_delete_old;
DROP TRIGGER case_search_comment_delete_new;
DROP TRIGGER case_search_contact_update_old;
DROP TRIGGER case_search_contact_update_new;
DROP TRIGGER case_search_email_insert_old;
DROP TRIGGER case_search_email_insert_new;
DROP TRIGGER case_search_email_update_old;
DROP TRIGGER case_search_email_update_new;
DROP TRIGGER case_search_email_delete_old;
DROP TRIGGER case_search_email_delete_new;
CREATE TRIGGER case_search_case_insert AFTER INSERT ON cases BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source WHERE id = new.id AND NOT (SELECT deferred FROM case_search_mode);
  INSERT INTO case_search_touch(id) SELECT new.id WHERE (SELECT deferred FROM case_search_mode);
END;
CREATE TRIGGER case_search_case_update_old BEFORE UPDATE OF subject, contact_id ON cases
WHEN old.subject IS NOT new.subject OR old.contact_id IS NOT new.contact_id BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id = old.id) AND NOT (SELECT deferred FROM case_search_mode);
  INSERT INTO case_search_touch(id) SELECT old.id WHERE (SELECT deferred FROM case_search_mode);
END;
CREATE TRIGGER case_search_case_update_new AFTER UPDATE OF subject, contact_id ON cases
WHEN old.subject IS NOT new.subject OR old.contact_id IS NOT new.contact_id BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id = new.id) AND NOT (SELECT deferred FROM case_search_mode);
END;
CREATE TRIGGER case_search_case_delete BEFORE DELETE ON cases BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source WHERE id = old.id AND NOT (SELECT deferred FROM case_search_mode);
  INSERT INTO case_search_touch(id) SELECT old.id WHERE (SELECT deferred FROM case_search_mode);
END;
CREATE TRIGGER case_search_comment_insert_old BEFORE INSERT ON comments BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id = new.case_id) AND NOT (SELECT deferred FROM case_search_mode);
  INSERT INTO case_search_touch(id) SELECT new.case_id WHERE (SELECT deferred FROM case_search_mode);
END;
CREATE TRIGGER case_search_comment_insert_new AFTER INSERT ON comments BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id = new.case_id) AND NOT (SELECT deferred FROM case_search_mode);
END;
CREATE TRIGGER case_search_comment_update_old BEFORE UPDATE OF body, case_id ON comments BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id IN (old.case_id, new.case_id)) AND NOT (SELECT deferred FROM case_search_mode);
  INSERT INTO case_search_touch(id) SELECT id FROM cases WHERE id IN (old.case_id, new.case_id) AND (SELECT deferred FROM case_search_mode);
END;
CREATE TRIGGER case_search_comment_update_new AFTER UPDATE OF body, case_id ON comments BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id IN (old.case_id, new.case_id)) AND NOT (SELECT deferred FROM case_search_mode);
END;
CREATE TRIGGER case_search_comment_delete_old BEFORE DELETE ON comments BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id = old.case_id) AND NOT (SELECT deferred FROM case_search_mode);
  INSERT INTO case_search_touch(id) SELECT old.case_id WHERE (SELECT deferred FROM case_search_mode);
END;
CREATE TRIGGER case_search_comment_delete_new AFTER DELETE ON comments BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id = old.case_id) AND NOT (SELECT deferred FROM case_search_mode);
END;
CREATE TRIGGER case_search_contact_update_old BEFORE UPDATE OF name ON contacts
WHEN old.name IS NOT new.name BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id IN (SELECT id FROM cases WHERE contact_id = old.id)) AND NOT (SELECT deferred FROM case_search_mode);
  INSERT INTO case_search_touch(id) SELECT id FROM cases WHERE contact_id = old.id AND (SELECT deferred FROM case_search_mode);
END;
CREATE TRIGGER case_search_contact_update_new AFTER UPDATE OF name ON contacts
WHEN old.name IS NOT new.name BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id IN (SELECT id FROM cases WHERE contact_id = new.id)) AND NOT (SELECT deferred FROM case_search_mode);
END;
CREATE TRIGGER case_search_email_insert_old BEFORE INSERT ON contact_emails
WHEN NOT EXISTS (SELECT 1 FROM contact_emails WHERE email = new.email) BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE id IN (SELECT id FROM cases WHERE contact_id = new.contact_id) AND NOT (SELECT deferred FROM case_search_mode);
  INSERT INTO case_search_touch(id) SELECT id FROM cases WHERE contact_id = new.contact_id AND (SELECT deferred FROM case_search_mode);
END;
CREATE TRIGGER case_search_email_insert_new AFTER INSERT ON contact_emails BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE id IN (SELECT id FROM cases WHERE contact_id = new.contact_id) AND NOT (SELECT deferred FROM case_search_mode);
END;
CREATE TRIGGER case_search_email_update_old BEFORE UPDATE ON contact_emails BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id IN (SELECT id FROM cases WHERE contact_id IN (old.contact_id, new.contact_id))) AND NOT (SELECT deferred FROM case_search_mode);
  INSERT INTO case_search_touch(id) SELECT id FROM cases WHERE contact_id IN (old.contact_id, new.contact_id) AND (SELECT deferred FROM case_search_mode);
END;
CREATE TRIGGER case_search_email_update_new AFTER UPDATE ON contact_emails BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id IN (SELECT id FROM cases WHERE contact_id IN (old.contact_id, new.contact_id))) AND NOT (SELECT deferred FROM case_search_mode);
END;
CREATE TRIGGER case_search_email_delete_old BEFORE DELETE ON contact_emails BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id IN (SELECT id FROM cases WHERE contact_id = old.contact_id)) AND NOT (SELECT deferred FROM case_search_mode);
  INSERT INTO case_search_touch(id) SELECT id FROM cases WHERE contact_id = old.contact_id AND (SELECT deferred FROM case_search_mode);
END;
CREATE TRIGGER case_search_email_delete_new AFTER DELETE ON contact_emails BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id IN (SELECT id FROM cases WHERE contact_id = old.contact_id)) AND NOT (SELECT deferred FROM case_search_mode);
END;
)sql"},
      // IMAP push: per mailbox, mails committed after an IDLE notice and, for the last
      // one, when the notice came and how long after it their commit finished.
      {29, R"sql(
ALTER TABLE mailbox_state ADD COLUMN push_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mailbox_state ADD COLUMN push_last_notice_at TEXT NOT NULL DEFAULT '';
ALTER TABLE mailbox_state ADD COLUMN push_last_ms REAL NOT NULL DEFAULT -1;
)sql"},
      // An attachment's bytes may sit in a spool segment (spool/raw_spool.h) instead of a
      // file of their own: where ("<segment>:<offset>"); empty for a file under blobs/.
      {30, R"sql(
ALTER TABLE attachments ADD COLUMN blob_location TEXT NOT NULL DEFAULT '';
)sql"},
      // The search index flushed when enough cases wait, not at every write transaction.
      // The flush of migration 28 (two FTS5 statements, a segment and its merges) was a
      // tenth of an LMTP commit's time for groups of two or three mails. A write unit now
      // leaves its noted cases in case_search_pending at COMMIT unless
      // Connection::kSearchFlushAt of them wait, so the index may lag behind the cases by
      // the cases noted there; the notes keep the text each is indexed under, so any later
      // flush is exact. A search brings the index up to date first: it runs in a write
      // unit (store::access_for), whose find_case_ids flushes. The per-statement branch of
      // every trigger (deferred 0: autocommit statements, migrations, the sqlite3 shell)
      // must not touch the index entry of a case that is noted (its entry holds the noted
      // text, not the row's): such a case is noted again instead, which leaves its note as
      // it is. Contract now: deferred is 1 only inside an open write transaction; a case is
      // in the index with its current text unless it is in case_search_pending, which any
      // write transaction may flush.
      {31, R"sql(
DROP TRIGGER case_search_case_insert;
DROP TRIGGER case_search_case_update_old;
DROP TRIGGER case_search_case_update_new;
DROP TRIGGER case_search_case_delete;
DROP TRIGGER case_search_comment_insert_old;
DROP TRIGGER case_search_comment_insert_new;
DROP TRIGGER case_search_comment_update_old;
DROP TRIGGER case_search_comment_update_new;
DROP TRIGGER case_search_comment_delete_old;
DROP TRIGGER case_search_comment_delete_new;
DROP TRIGGER case_search_contact_update_old;
DROP TRIGGER case_search_contact_update_new;
DROP TRIGGER case_search_email_insert_old;
DROP TRIGGER case_search_email_insert_new;
DROP TRIGGER case_search_email_update_old;
DROP TRIGGER case_search_email_update_new;
DROP TRIGGER case_search_email_delete_old;
DROP TRIGGER case_search_email_delete_new;
CREATE TRIGGER case_search_case_insert AFTER INSERT ON cases BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source WHERE id = new.id AND NOT (SELECT deferred FROM case_search_mode) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
  INSERT INTO case_search_touch(id) SELECT new.id WHERE (SELECT deferred FROM case_search_mode) OR EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = new.id);
END;
CREATE TRIGGER case_search_case_update_old BEFORE UPDATE OF subject, contact_id ON cases
WHEN old.subject IS NOT new.subject OR old.contact_id IS NOT new.contact_id BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id = old.id) AND NOT (SELECT deferred FROM case_search_mode) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
  INSERT INTO case_search_touch(id) SELECT old.id WHERE (SELECT deferred FROM case_search_mode) OR EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = old.id);
END;
CREATE TRIGGER case_search_case_update_new AFTER UPDATE OF subject, contact_id ON cases
WHEN old.subject IS NOT new.subject OR old.contact_id IS NOT new.contact_id BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id = new.id) AND NOT (SELECT deferred FROM case_search_mode) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_case_delete BEFORE DELETE ON cases BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source WHERE id = old.id AND NOT (SELECT deferred FROM case_search_mode) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
  INSERT INTO case_search_touch(id) SELECT old.id WHERE (SELECT deferred FROM case_search_mode) OR EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = old.id);
END;
CREATE TRIGGER case_search_comment_insert_old BEFORE INSERT ON comments BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id = new.case_id) AND NOT (SELECT deferred FROM case_search_mode) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
  INSERT INTO case_search_touch(id) SELECT new.case_id WHERE (SELECT deferred FROM case_search_mode) OR EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = new.case_id);
END;
CREATE TRIGGER case_search_comment_insert_new AFTER INSERT ON comments BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id = new.case_id) AND NOT (SELECT deferred FROM case_search_mode) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_comment_update_old BEFORE UPDATE OF body, case_id ON comments BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id IN (old.case_id, new.case_id)) AND NOT (SELECT deferred FROM case_search_mode) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
  INSERT INTO case_search_touch(id) SELECT id FROM cases WHERE id IN (old.case_id, new.case_id) AND ((SELECT deferred FROM case_search_mode) OR EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = cases.id));
END;
CREATE TRIGGER case_search_comment_update_new AFTER UPDATE OF body, case_id ON comments BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id IN (old.case_id, new.case_id)) AND NOT (SELECT deferred FROM case_search_mode) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_comment_delete_old BEFORE DELETE ON comments BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id = old.case_id) AND NOT (SELECT deferred FROM case_search_mode) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
  INSERT INTO case_search_touch(id) SELECT old.case_id WHERE (SELECT deferred FROM case_search_mode) OR EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = old.case_id);
END;
CREATE TRIGGER case_search_comment_delete_new AFTER DELETE ON comments BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id = old.case_id) AND NOT (SELECT deferred FROM case_search_mode) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_contact_update_old BEFORE UPDATE OF name ON contacts
WHEN old.name IS NOT new.name BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id IN (SELECT id FROM cases WHERE contact_id = old.id)) AND NOT (SELECT deferred FROM case_search_mode) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
  INSERT INTO case_search_touch(id) SELECT id FROM cases WHERE contact_id = old.id AND ((SELECT deferred FROM case_search_mode) OR EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = cases.id));
END;
CREATE TRIGGER case_search_contact_update_new AFTER UPDATE OF name ON contacts
WHEN old.name IS NOT new.name BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id IN (SELECT id FROM cases WHERE contact_id = new.id)) AND NOT (SELECT deferred FROM case_search_mode) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_email_insert_old BEFORE INSERT ON contact_emails
WHEN NOT EXISTS (SELECT 1 FROM contact_emails WHERE email = new.email) BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE id IN (SELECT id FROM cases WHERE contact_id = new.contact_id) AND NOT (SELECT deferred FROM case_search_mode) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
  INSERT INTO case_search_touch(id) SELECT id FROM cases WHERE contact_id = new.contact_id AND ((SELECT deferred FROM case_search_mode) OR EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = cases.id));
END;
CREATE TRIGGER case_search_email_insert_new AFTER INSERT ON contact_emails BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE id IN (SELECT id FROM cases WHERE contact_id = new.contact_id) AND NOT (SELECT deferred FROM case_search_mode) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_email_update_old BEFORE UPDATE ON contact_emails BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id IN (SELECT id FROM cases WHERE contact_id IN (old.contact_id, new.contact_id))) AND NOT (SELECT deferred FROM case_search_mode) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
  INSERT INTO case_search_touch(id) SELECT id FROM cases WHERE contact_id IN (old.contact_id, new.contact_id) AND ((SELECT deferred FROM case_search_mode) OR EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = cases.id));
END;
CREATE TRIGGER case_search_email_update_new AFTER UPDATE ON contact_emails BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id IN (SELECT id FROM cases WHERE contact_id IN (old.contact_id, new.contact_id))) AND NOT (SELECT deferred FROM case_search_mode) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_email_delete_old BEFORE DELETE ON contact_emails BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id IN (SELECT id FROM cases WHERE contact_id = old.contact_id)) AND NOT (SELECT deferred FROM case_search_mode) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
  INSERT INTO case_search_touch(id) SELECT id FROM cases WHERE contact_id = old.contact_id AND ((SELECT deferred FROM case_search_mode) OR EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = cases.id));
END;
CREATE TRIGGER case_search_email_delete_new AFTER DELETE ON contact_emails BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id IN (SELECT id FROM cases WHERE contact_id = old.contact_id)) AND NOT (SELECT deferred FROM case_search_mode) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
)sql"},
      // Bytes kept in the store itself (spool::BlobRef's "db:<id>"): a small mail taken by
      // LMTP, and its attachments, go in with the commit that records the mail, so that the
      // commit's one sync makes them durable (a spool segment cost a sync of its own before
      // it). Written once, never updated; raw_messages.spool_location and
      // attachments.blob_location name them.
      {32, R"sql(
CREATE TABLE kept_bytes (id INTEGER PRIMARY KEY, bytes BLOB NOT NULL);
)sql"},
      // Each search trigger split in two by mode, chosen by the trigger's WHEN: one indexes
      // per statement (deferred 0), the other notes the case (deferred 1). Before, every
      // trigger ran both statements and each statement tested the mode in its WHERE: the
      // statement of the other mode still ran, found nothing, and cost a mail's commit about
      // 4% of its instructions (an import's committing thread, callgrind). What each mode
      // does is unchanged; in per-statement mode a noted case was "noted again", which left
      // its note as it was: that statement is gone.
      {33, R"sql(
DROP TRIGGER case_search_case_insert;
DROP TRIGGER case_search_case_update_old;
DROP TRIGGER case_search_case_update_new;
DROP TRIGGER case_search_case_delete;
DROP TRIGGER case_search_comment_insert_old;
DROP TRIGGER case_search_comment_insert_new;
DROP TRIGGER case_search_comment_update_old;
DROP TRIGGER case_search_comment_update_new;
DROP TRIGGER case_search_comment_delete_old;
DROP TRIGGER case_search_comment_delete_new;
DROP TRIGGER case_search_contact_update_old;
DROP TRIGGER case_search_contact_update_new;
DROP TRIGGER case_search_email_insert_old;
DROP TRIGGER case_search_email_insert_new;
DROP TRIGGER case_search_email_update_old;
DROP TRIGGER case_search_email_update_new;
DROP TRIGGER case_search_email_delete_old;
DROP TRIGGER case_search_email_delete_new;
CREATE TRIGGER case_search_case_insert AFTER INSERT ON cases
WHEN NOT (SELECT deferred FROM case_search_mode) BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source WHERE id = new.id AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_case_insert_note AFTER INSERT ON cases
WHEN (SELECT deferred FROM case_search_mode) BEGIN
  INSERT INTO case_search_touch(id) SELECT new.id;
END;
CREATE TRIGGER case_search_case_update_old BEFORE UPDATE OF subject, contact_id ON cases
WHEN NOT (SELECT deferred FROM case_search_mode) AND (old.subject IS NOT new.subject OR old.contact_id IS NOT new.contact_id) BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id = old.id) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_case_update_old_note BEFORE UPDATE OF subject, contact_id ON cases
WHEN (SELECT deferred FROM case_search_mode) AND (old.subject IS NOT new.subject OR old.contact_id IS NOT new.contact_id) BEGIN
  INSERT INTO case_search_touch(id) SELECT old.id;
END;
CREATE TRIGGER case_search_case_update_new AFTER UPDATE OF subject, contact_id ON cases
WHEN NOT (SELECT deferred FROM case_search_mode) AND (old.subject IS NOT new.subject OR old.contact_id IS NOT new.contact_id) BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id = new.id) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_case_delete BEFORE DELETE ON cases
WHEN NOT (SELECT deferred FROM case_search_mode) BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source WHERE id = old.id AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_case_delete_note BEFORE DELETE ON cases
WHEN (SELECT deferred FROM case_search_mode) BEGIN
  INSERT INTO case_search_touch(id) SELECT old.id;
END;
CREATE TRIGGER case_search_comment_insert_old BEFORE INSERT ON comments
WHEN NOT (SELECT deferred FROM case_search_mode) BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id = new.case_id) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_comment_insert_old_note BEFORE INSERT ON comments
WHEN (SELECT deferred FROM case_search_mode) BEGIN
  INSERT INTO case_search_touch(id) SELECT new.case_id;
END;
CREATE TRIGGER case_search_comment_insert_new AFTER INSERT ON comments
WHEN NOT (SELECT deferred FROM case_search_mode) BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id = new.case_id) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_comment_update_old BEFORE UPDATE OF body, case_id ON comments
WHEN NOT (SELECT deferred FROM case_search_mode) BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id IN (old.case_id, new.case_id)) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_comment_update_old_note BEFORE UPDATE OF body, case_id ON comments
WHEN (SELECT deferred FROM case_search_mode) BEGIN
  INSERT INTO case_search_touch(id) SELECT id FROM cases WHERE id IN (old.case_id, new.case_id);
END;
CREATE TRIGGER case_search_comment_update_new AFTER UPDATE OF body, case_id ON comments
WHEN NOT (SELECT deferred FROM case_search_mode) BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id IN (old.case_id, new.case_id)) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_comment_delete_old BEFORE DELETE ON comments
WHEN NOT (SELECT deferred FROM case_search_mode) BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id = old.case_id) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_comment_delete_old_note BEFORE DELETE ON comments
WHEN (SELECT deferred FROM case_search_mode) BEGIN
  INSERT INTO case_search_touch(id) SELECT old.case_id;
END;
CREATE TRIGGER case_search_comment_delete_new AFTER DELETE ON comments
WHEN NOT (SELECT deferred FROM case_search_mode) BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id = old.case_id) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_contact_update_old BEFORE UPDATE OF name ON contacts
WHEN NOT (SELECT deferred FROM case_search_mode) AND (old.name IS NOT new.name) BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id IN (SELECT id FROM cases WHERE contact_id = old.id)) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_contact_update_old_note BEFORE UPDATE OF name ON contacts
WHEN (SELECT deferred FROM case_search_mode) AND (old.name IS NOT new.name) BEGIN
  INSERT INTO case_search_touch(id) SELECT id FROM cases WHERE contact_id = old.id;
END;
CREATE TRIGGER case_search_contact_update_new AFTER UPDATE OF name ON contacts
WHEN NOT (SELECT deferred FROM case_search_mode) AND (old.name IS NOT new.name) BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id IN (SELECT id FROM cases WHERE contact_id = new.id)) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_email_insert_old BEFORE INSERT ON contact_emails
WHEN NOT (SELECT deferred FROM case_search_mode) AND (NOT EXISTS (SELECT 1 FROM contact_emails WHERE email = new.email)) BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE id IN (SELECT id FROM cases WHERE contact_id = new.contact_id) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_email_insert_old_note BEFORE INSERT ON contact_emails
WHEN (SELECT deferred FROM case_search_mode) AND (NOT EXISTS (SELECT 1 FROM contact_emails WHERE email = new.email)) BEGIN
  INSERT INTO case_search_touch(id) SELECT id FROM cases WHERE contact_id = new.contact_id;
END;
CREATE TRIGGER case_search_email_insert_new AFTER INSERT ON contact_emails
WHEN NOT (SELECT deferred FROM case_search_mode) BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE id IN (SELECT id FROM cases WHERE contact_id = new.contact_id) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_email_update_old BEFORE UPDATE ON contact_emails
WHEN NOT (SELECT deferred FROM case_search_mode) BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id IN (SELECT id FROM cases WHERE contact_id IN (old.contact_id, new.contact_id))) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_email_update_old_note BEFORE UPDATE ON contact_emails
WHEN (SELECT deferred FROM case_search_mode) BEGIN
  INSERT INTO case_search_touch(id) SELECT id FROM cases WHERE contact_id IN (old.contact_id, new.contact_id);
END;
CREATE TRIGGER case_search_email_update_new AFTER UPDATE ON contact_emails
WHEN NOT (SELECT deferred FROM case_search_mode) BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id IN (SELECT id FROM cases WHERE contact_id IN (old.contact_id, new.contact_id))) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_email_delete_old BEFORE DELETE ON contact_emails
WHEN NOT (SELECT deferred FROM case_search_mode) BEGIN
  INSERT INTO case_search(case_search, rowid, subject, comments, contact)
    SELECT 'delete', id, subject, comments, contact FROM case_search_source
    WHERE (id IN (SELECT id FROM cases WHERE contact_id = old.contact_id)) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
CREATE TRIGGER case_search_email_delete_old_note BEFORE DELETE ON contact_emails
WHEN (SELECT deferred FROM case_search_mode) BEGIN
  INSERT INTO case_search_touch(id) SELECT id FROM cases WHERE contact_id = old.contact_id;
END;
CREATE TRIGGER case_search_email_delete_new AFTER DELETE ON contact_emails
WHEN NOT (SELECT deferred FROM case_search_mode) BEGIN
  INSERT INTO case_search(rowid, subject, comments, contact)
    SELECT id, subject, comments, contact FROM case_search_source
    WHERE (id IN (SELECT id FROM cases WHERE contact_id = old.contact_id)) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = case_search_source.id);
END;
)sql"},
      // The open-case counters' triggers test a status with = and OR instead of IN over a
      // list of three: SQLite reads such an IN through a temporary b-tree it builds at
      // every firing, which made each new case's count about 30,000 instructions dearer
      // (three quarters of that trigger's cost, measured alone with callgrind).
      {34, R"sql(
DROP TRIGGER cases_open_count_insert;
DROP TRIGGER cases_open_count_delete;
DROP TRIGGER cases_open_count_update;
DROP TRIGGER cases_agent_count_insert;
DROP TRIGGER cases_agent_count_delete;
DROP TRIGGER cases_agent_count_update;
CREATE TRIGGER cases_open_count_insert AFTER INSERT ON cases
WHEN (new.status = 'new' OR new.status = 'open' OR new.status = 'solution proposed') BEGIN
  INSERT INTO open_case_counts (queue, status, n) VALUES (new.queue, new.status, 1)
    ON CONFLICT (queue, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER cases_open_count_delete AFTER DELETE ON cases
WHEN (old.status = 'new' OR old.status = 'open' OR old.status = 'solution proposed') BEGIN
  UPDATE open_case_counts SET n = n - 1 WHERE queue = old.queue AND status = old.status;
END;
CREATE TRIGGER cases_open_count_update AFTER UPDATE OF status, queue ON cases
WHEN old.status IS NOT new.status OR old.queue IS NOT new.queue BEGIN
  UPDATE open_case_counts SET n = n - 1 WHERE queue = old.queue AND status = old.status;
  INSERT INTO open_case_counts (queue, status, n)
    SELECT new.queue, new.status, 1 WHERE (new.status = 'new' OR new.status = 'open' OR new.status = 'solution proposed')
    ON CONFLICT (queue, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER cases_agent_count_insert AFTER INSERT ON cases
WHEN new.owner <> '' AND (new.status = 'new' OR new.status = 'open' OR new.status = 'solution proposed') BEGIN
  INSERT INTO agent_open_counts (owner, n) VALUES (new.owner, 1)
    ON CONFLICT (owner) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER cases_agent_count_delete AFTER DELETE ON cases
WHEN old.owner <> '' AND (old.status = 'new' OR old.status = 'open' OR old.status = 'solution proposed') BEGIN
  UPDATE agent_open_counts SET n = n - 1 WHERE owner = old.owner;
END;
CREATE TRIGGER cases_agent_count_update AFTER UPDATE OF status, owner ON cases
WHEN old.status IS NOT new.status OR old.owner IS NOT new.owner BEGIN
  UPDATE agent_open_counts SET n = n - 1
    WHERE owner = old.owner AND old.owner <> '' AND (old.status = 'new' OR old.status = 'open' OR old.status = 'solution proposed');
  INSERT INTO agent_open_counts (owner, n)
    SELECT new.owner, 1 WHERE new.owner <> '' AND (new.status = 'new' OR new.status = 'open' OR new.status = 'solution proposed')
    ON CONFLICT (owner) DO UPDATE SET n = n + 1;
END;
)sql"},
      // The search triggers always note the cases they touch, whoever writes (a unit, an
      // autocommit statement, the sqlite3 shell), and never index per statement: no mode
      // to read, and one trigger per change instead of an indexing one and a noting one.
      // Since 31 a case is in the index with its current text unless it is noted, and a
      // search flushes the notes first, so a search sees every writer's changes as before;
      // the FTS table itself may lag by the noted cases. A note is written by the trigger
      // itself (the first time with the text the case is indexed under) instead of through
      // the case_search_touch view, whose INSTEAD OF trigger cost its own program and a
      // temporary table per row. Each trigger program SQLite enters costs its registers'
      // setup whatever its WHEN says: an imported mail entered five search triggers (a
      // new case, its comment), ~0.12 M instructions, now two, and the smaller the better:
      // a case already noted is let be by the WHEN; a new case is noted as not indexed
      // without reading anything (no entry can hold its id: a case deleted before it was
      // noted with its text, and its entry goes with that note's flush).
      {35, R"sql(
DROP TRIGGER case_search_case_insert;
DROP TRIGGER case_search_case_update_old;
DROP TRIGGER case_search_case_update_new;
DROP TRIGGER case_search_case_delete;
DROP TRIGGER case_search_comment_insert_old;
DROP TRIGGER case_search_comment_insert_new;
DROP TRIGGER case_search_comment_update_old;
DROP TRIGGER case_search_comment_update_new;
DROP TRIGGER case_search_comment_delete_old;
DROP TRIGGER case_search_comment_delete_new;
DROP TRIGGER case_search_contact_update_old;
DROP TRIGGER case_search_contact_update_new;
DROP TRIGGER case_search_email_insert_old;
DROP TRIGGER case_search_email_insert_new;
DROP TRIGGER case_search_email_update_old;
DROP TRIGGER case_search_email_update_new;
DROP TRIGGER case_search_email_delete_old;
DROP TRIGGER case_search_email_delete_new;
DROP TRIGGER case_search_case_insert_note;
DROP TRIGGER case_search_case_update_old_note;
DROP TRIGGER case_search_case_delete_note;
DROP TRIGGER case_search_comment_insert_old_note;
DROP TRIGGER case_search_comment_update_old_note;
DROP TRIGGER case_search_comment_delete_old_note;
DROP TRIGGER case_search_contact_update_old_note;
DROP TRIGGER case_search_email_insert_old_note;
DROP TRIGGER case_search_email_update_old_note;
DROP TRIGGER case_search_email_delete_old_note;
DROP TRIGGER case_search_touch_note;
DROP VIEW case_search_touch;
DROP TABLE case_search_mode;
CREATE TRIGGER case_search_case_insert AFTER INSERT ON cases BEGIN
  INSERT OR IGNORE INTO case_search_pending (id, indexed) VALUES (new.id, 0);
END;
CREATE TRIGGER case_search_case_update BEFORE UPDATE OF subject, contact_id ON cases
WHEN (old.subject IS NOT new.subject OR old.contact_id IS NOT new.contact_id) AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = old.id) BEGIN
  INSERT INTO case_search_pending (id, indexed, subject, comments, contact)
    SELECT s.id, 1, s.subject, s.comments, s.contact FROM case_search_source s
    WHERE s.id = old.id AND EXISTS (SELECT 1 FROM case_search_docsize d WHERE d.id = old.id);
  INSERT OR IGNORE INTO case_search_pending (id, indexed) VALUES (old.id, 0);
END;
CREATE TRIGGER case_search_case_delete BEFORE DELETE ON cases
WHEN NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = old.id) BEGIN
  INSERT INTO case_search_pending (id, indexed, subject, comments, contact)
    SELECT s.id, 1, s.subject, s.comments, s.contact FROM case_search_source s
    WHERE s.id = old.id AND EXISTS (SELECT 1 FROM case_search_docsize d WHERE d.id = old.id);
  INSERT OR IGNORE INTO case_search_pending (id, indexed) VALUES (old.id, 0);
END;
CREATE TRIGGER case_search_comment_insert BEFORE INSERT ON comments
WHEN NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = new.case_id) BEGIN
  INSERT INTO case_search_pending (id, indexed, subject, comments, contact)
    SELECT s.id, 1, s.subject, s.comments, s.contact FROM case_search_source s
    WHERE s.id = new.case_id AND EXISTS (SELECT 1 FROM case_search_docsize d WHERE d.id = new.case_id);
  INSERT OR IGNORE INTO case_search_pending (id, indexed) VALUES (new.case_id, 0);
END;
CREATE TRIGGER case_search_comment_update BEFORE UPDATE OF body, case_id ON comments BEGIN
  INSERT INTO case_search_pending (id, indexed, subject, comments, contact)
    SELECT s.id, 1, s.subject, s.comments, s.contact FROM case_search_source s
    WHERE s.id = old.case_id AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = old.case_id)
      AND EXISTS (SELECT 1 FROM case_search_docsize d WHERE d.id = old.case_id);
  INSERT OR IGNORE INTO case_search_pending (id, indexed) VALUES (old.case_id, 0);
  INSERT INTO case_search_pending (id, indexed, subject, comments, contact)
    SELECT s.id, 1, s.subject, s.comments, s.contact FROM case_search_source s
    WHERE s.id = new.case_id AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = new.case_id)
      AND EXISTS (SELECT 1 FROM case_search_docsize d WHERE d.id = new.case_id);
  INSERT OR IGNORE INTO case_search_pending (id, indexed) VALUES (new.case_id, 0);
END;
CREATE TRIGGER case_search_comment_delete BEFORE DELETE ON comments
WHEN NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = old.case_id) BEGIN
  INSERT INTO case_search_pending (id, indexed, subject, comments, contact)
    SELECT s.id, 1, s.subject, s.comments, s.contact FROM case_search_source s
    WHERE s.id = old.case_id AND EXISTS (SELECT 1 FROM case_search_docsize d WHERE d.id = old.case_id);
  INSERT OR IGNORE INTO case_search_pending (id, indexed) VALUES (old.case_id, 0);
END;
CREATE TRIGGER case_search_contact_update BEFORE UPDATE OF name ON contacts
WHEN old.name IS NOT new.name BEGIN
  INSERT INTO case_search_pending (id, indexed, subject, comments, contact)
    SELECT s.id, 1, s.subject, s.comments, s.contact FROM cases c, case_search_source s
    WHERE c.contact_id = old.id AND s.id = c.id
      AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = c.id)
      AND EXISTS (SELECT 1 FROM case_search_docsize d WHERE d.id = c.id);
  INSERT OR IGNORE INTO case_search_pending (id, indexed) SELECT id, 0 FROM cases WHERE contact_id = old.id;
END;
CREATE TRIGGER case_search_email_insert BEFORE INSERT ON contact_emails
WHEN NOT EXISTS (SELECT 1 FROM contact_emails WHERE email = new.email) BEGIN
  INSERT INTO case_search_pending (id, indexed, subject, comments, contact)
    SELECT s.id, 1, s.subject, s.comments, s.contact FROM cases c, case_search_source s
    WHERE c.contact_id = new.contact_id AND s.id = c.id
      AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = c.id)
      AND EXISTS (SELECT 1 FROM case_search_docsize d WHERE d.id = c.id);
  INSERT OR IGNORE INTO case_search_pending (id, indexed) SELECT id, 0 FROM cases WHERE contact_id = new.contact_id;
END;
CREATE TRIGGER case_search_email_update BEFORE UPDATE ON contact_emails BEGIN
  INSERT INTO case_search_pending (id, indexed, subject, comments, contact)
    SELECT s.id, 1, s.subject, s.comments, s.contact FROM cases c, case_search_source s
    WHERE c.contact_id = old.contact_id AND s.id = c.id
      AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = c.id)
      AND EXISTS (SELECT 1 FROM case_search_docsize d WHERE d.id = c.id);
  INSERT OR IGNORE INTO case_search_pending (id, indexed) SELECT id, 0 FROM cases WHERE contact_id = old.contact_id;
  INSERT INTO case_search_pending (id, indexed, subject, comments, contact)
    SELECT s.id, 1, s.subject, s.comments, s.contact FROM cases c, case_search_source s
    WHERE c.contact_id = new.contact_id AND s.id = c.id
      AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = c.id)
      AND EXISTS (SELECT 1 FROM case_search_docsize d WHERE d.id = c.id);
  INSERT OR IGNORE INTO case_search_pending (id, indexed) SELECT id, 0 FROM cases WHERE contact_id = new.contact_id;
END;
CREATE TRIGGER case_search_email_delete BEFORE DELETE ON contact_emails BEGIN
  INSERT INTO case_search_pending (id, indexed, subject, comments, contact)
    SELECT s.id, 1, s.subject, s.comments, s.contact FROM cases c, case_search_source s
    WHERE c.contact_id = old.contact_id AND s.id = c.id
      AND NOT EXISTS (SELECT 1 FROM case_search_pending p WHERE p.id = c.id)
      AND EXISTS (SELECT 1 FROM case_search_docsize d WHERE d.id = c.id);
  INSERT OR IGNORE INTO case_search_pending (id, indexed) SELECT id, 0 FROM cases WHERE contact_id = old.contact_id;
END;
)sql"},
      // Whom a comment's mail went to in copy: an agent's reply with cc, or the Cc line of
      // a customer's mail; the addresses separated by commas. Comments recorded before this
      // have none (an agent's cc stays in its "commented" event).
      {36, R"sql(
ALTER TABLE comments ADD COLUMN cc TEXT NOT NULL DEFAULT '';
)sql"},
      // A copy of a mail is known by its dedupe key (its Message-ID, else its SHA-256),
      // which the pipeline reads from the mail's parse before its row goes in, and whose
      // row holds its SHA-256 to tell a byte copy from another mail of that Message-ID.
      // The UNIQUE index on raw_messages.sha256 goes: its random 64-character keys wrote
      // about one leaf page a mail once the store held more leaves than a commit has
      // mails (1.4 WAL pages a mail into a store of 300,000). The bytes are still looked
      // up by their SHA-256 where no key tells: a row still "received" (an interrupted
      // run, taken up by the same bytes) or recorded as a duplicate (which holds no key),
      // through an index of those rows only. A failed mail (unparseable, too large) now
      // holds its "sha:" key too, so that a copy of it is answered as one; the rows
      // failed before this get theirs here.
      {37, R"sql(
CREATE TABLE raw_messages_rebuilt (
  id INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  source TEXT NOT NULL,
  recipients TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  outcome TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  dedupe_key TEXT,
  message_id TEXT NOT NULL DEFAULT '',
  from_addr TEXT NOT NULL DEFAULT '',
  subject TEXT NOT NULL DEFAULT '',
  case_id INTEGER REFERENCES cases(id),
  attempts INTEGER NOT NULL DEFAULT 0,
  received_at TEXT NOT NULL,
  spool_location TEXT NOT NULL DEFAULT '',
  envelope_sender TEXT,
  auth_server TEXT NOT NULL DEFAULT '',
  dkim TEXT NOT NULL DEFAULT '',
  spf TEXT NOT NULL DEFAULT '',
  dmarc TEXT NOT NULL DEFAULT '',
  sender_verified INTEGER NOT NULL DEFAULT 0,
  spam TEXT NOT NULL DEFAULT '',
  spam_score REAL,
  spam_detail TEXT NOT NULL DEFAULT ''
);
INSERT INTO raw_messages_rebuilt (id, sha256, size, source, recipients, state, outcome, reason,
  dedupe_key, message_id, from_addr, subject, case_id, attempts, received_at, spool_location,
  envelope_sender, auth_server, dkim, spf, dmarc, sender_verified, spam, spam_score, spam_detail)
SELECT id, sha256, size, source, recipients, state, outcome, reason,
  dedupe_key, message_id, from_addr, subject, case_id, attempts, received_at, spool_location,
  envelope_sender, auth_server, dkim, spf, dmarc, sender_verified, spam, spam_score, spam_detail
FROM raw_messages ORDER BY id;
DROP TABLE raw_messages;
ALTER TABLE raw_messages_rebuilt RENAME TO raw_messages;
CREATE UNIQUE INDEX raw_messages_dedupe ON raw_messages(dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX raw_messages_state ON raw_messages(state);
CREATE INDEX raw_messages_copies ON raw_messages(sha256) WHERE state IN ('received', 'duplicate');
UPDATE OR IGNORE raw_messages SET dedupe_key = 'sha:' || sha256 WHERE state = 'failed' AND dedupe_key IS NULL;
)sql",
       true},
      // The search index merges its segments 16 at a time instead of 4 (FTS5's automerge):
      // each case's index entries are rewritten once per level, and levels of 16 are half
      // as many as levels of 4, so that a commit's merges into a large index stay small
      // (10,000 mails into a store of 300,000: 0.80-0.86 of the rate into a fresh store,
      // against 0.75-0.76). A search reads more segments (at most 15 a level, 3 levels at
      // 300,000 cases); ranked searches there took the same time (0.30 s for 261,633 hits).
      {38, R"sql(
INSERT INTO case_search(case_search, rank) VALUES('automerge', 16);
)sql"},
      // The search index takes the first 65,536 characters of each comment, and a case's
      // comments in order while they total at most 524,296 characters with their line
      // breaks (eight comments at that bound). FTS5 holds every distinct term of the text
      // it indexes in memory until the row is written, at 128 bytes or more a term: a log
      // dump of 2.6 MB made 38 MB of it, and each mail onto a case indexes the case's whole
      // text again, so a case fed replies of megabytes grew without bound in memory and in
      // time. Bounded, indexing a case holds at most about 7 MB. A case of eight comments
      // or fewer cannot pass the case's bound, and is read without the running total (a
      // window function: twice the view's time). The cases indexed under the old view's
      // text past these bounds are indexed again (the old text out before the view
      // changes, the new in after), except those waiting in case_search_pending, whose
      // next flush takes the old text out from there.
      {39, R"sql(
CREATE TEMP TABLE case_search_recapped AS
SELECT case_id AS id FROM comments
WHERE case_id NOT IN (SELECT id FROM case_search_pending)
GROUP BY case_id HAVING max(length(body)) > 65536 OR sum(min(length(body), 65536) + 1) > 524296;
INSERT INTO case_search(case_search, rowid, subject, comments, contact)
  SELECT 'delete', id, subject, comments, contact FROM case_search_source
  WHERE id IN (SELECT id FROM temp.case_search_recapped);
DROP VIEW case_search_source;
CREATE VIEW case_search_source AS
SELECT c.id AS id,
  replace(replace(c.subject, char(57344), ' '), char(57345), ' ') AS subject,
  replace(replace(CASE WHEN (SELECT count(*) FROM comments WHERE case_id = c.id) <= 8
    THEN (SELECT group_concat(CASE WHEN length(CAST(body AS BLOB)) <= 65536 THEN body
                                   ELSE substr(body, 1, 65536) END, char(10))
            FROM (SELECT body FROM comments WHERE case_id = c.id ORDER BY id))
    ELSE (SELECT group_concat(body, char(10)) FROM (SELECT body FROM (
            SELECT substr(body, 1, 65536) AS body,
              sum(min(length(body), 65536) + 1) OVER (ORDER BY id ROWS UNBOUNDED PRECEDING) AS upto
            FROM comments WHERE case_id = c.id ORDER BY id) WHERE upto <= 524296))
    END, char(57344), ' '), char(57345), ' ') AS comments,
  (SELECT replace(replace(ct.name || ' ' || ifnull((SELECT group_concat(email, ' ')
       FROM (SELECT email FROM contact_emails WHERE contact_id = ct.id ORDER BY rowid)), ''),
       char(57344), ' '), char(57345), ' ')
     FROM contacts ct WHERE ct.id = c.contact_id) AS contact
FROM cases c;
INSERT INTO case_search(rowid, subject, comments, contact)
  SELECT id, subject, comments, contact FROM case_search_source
  WHERE id IN (SELECT id FROM temp.case_search_recapped);
DROP TABLE temp.case_search_recapped;
)sql"},
      // Our solution mails' Message-IDs name the proposal they carry (the id of its
      // solution_proposed event): a reply to an earlier proposal's mail that says Accept
      // must not accept the solution proposed since. NULL: any other mail, or a solution
      // mail sent before this column.
      {40, R"sql(
ALTER TABLE message_ids ADD COLUMN proposal INTEGER;
)sql"},
      // An alert rule may want its mails' sender proven (alerts::AlertRule::proven_sender);
      // the rules stored before stay as they acted.
      {41, R"sql(
ALTER TABLE alert_rules ADD COLUMN proven_sender INTEGER NOT NULL DEFAULT 0;
)sql"},
      // The console's account page lists the account's contacts, and contacts are found by
      // the start of their name (AccountRepository::find_contacts): index ranges, not a
      // scan of every contact (id, the rowid, is in each index).
      {42, R"sql(
CREATE INDEX contacts_account ON contacts(account_id);
CREATE INDEX contacts_name ON contacts(name COLLATE NOCASE);
)sql"},
      // Contacts are found by the start of any word of their name, whatever its letter case
      // or accents ("smi" finds "Ann Smith", "elo" finds "Élodie"): a full-text index of the
      // names (FTS5 with external content: each name is stored once, in contacts), kept by
      // triggers, which run only as contacts are added, renamed or removed. It replaces the
      // index of whole names.
      {43, R"sql(
CREATE VIRTUAL TABLE contact_names USING fts5(name, content='contacts', content_rowid='id',
  tokenize='unicode61 remove_diacritics 2');
INSERT INTO contact_names(contact_names) VALUES('rebuild');
CREATE TRIGGER contact_names_insert AFTER INSERT ON contacts BEGIN
  INSERT INTO contact_names(rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER contact_names_delete AFTER DELETE ON contacts BEGIN
  INSERT INTO contact_names(contact_names, rowid, name) VALUES ('delete', old.id, old.name);
END;
CREATE TRIGGER contact_names_update AFTER UPDATE OF name ON contacts WHEN old.name IS NOT new.name BEGIN
  INSERT INTO contact_names(contact_names, rowid, name) VALUES ('delete', old.id, old.name);
  INSERT INTO contact_names(rowid, name) VALUES (new.id, new.name);
END;
DROP INDEX contacts_name;
)sql"},
      // What a mail's parse read past, one problem a line (RawMessage::problems).
      {44, R"sql(
ALTER TABLE raw_messages ADD COLUMN problems TEXT NOT NULL DEFAULT '';
)sql"},
      // Whether an account still has a case, before it is removed
      // (AccountRepository::remove_account): one index entry. Partial: a case without an
      // account (most mail from people of no known account) costs nothing more.
      {45, R"sql(
CREATE INDEX IF NOT EXISTS cases_account ON cases(account_id) WHERE account_id IS NOT NULL;
)sql"},
      // A case's earlier mail to the same address still queued, looked up for each mail the
      // outbox claims (OutboxRepository::claim_due): one index entry. Partial: the mails
      // sent or failed, all but a few, cost nothing.
      {46, R"sql(
CREATE INDEX IF NOT EXISTS outbox_queued_conversation ON outbox(case_id, to_addr, id) WHERE state = 'queued';
)sql"},
      // Contacts found by the start of an address's domain ("@acme", "acme.com":
      // AccountRepository::find_contacts): an index range on the text after the address's
      // first "@". Addresses are stored lowercased (text::normalize_email).
      {47, R"sql(
CREATE INDEX IF NOT EXISTS contact_emails_domain ON contact_emails(substr(email, instr(email, '@') + 1));
)sql"},
      // A contact's name is indexed (contact_names, migration 43) once per commit instead
      // of as it is written: FTS5 writes the terms it holds as a new segment at every
      // savepoint's end, and merges them, so a new contact cost a mail's savepoint ~97,000
      // instructions (an import from new senders: a tenth of the committing thread). The
      // triggers now note the contact (contact_names_pending), and the unit's commit indexes
      // every noted contact in one statement (Connection::flush_contact_names), as does a
      // search of names first. A noted contact was never indexed, or was taken out of the
      // index when it was noted: the triggers delete a name from the index only when the
      // contact is not noted, with the name the index holds (external content needs it).
      // Contract: contacts are written in units (store::UnitOfWork), whose commit indexes
      // them; a write outside one is indexed by the next unit that writes.
      {48, R"sql(
CREATE TABLE contact_names_pending (id INTEGER PRIMARY KEY);
DROP TRIGGER contact_names_insert;
DROP TRIGGER contact_names_delete;
DROP TRIGGER contact_names_update;
CREATE TRIGGER contact_names_insert AFTER INSERT ON contacts BEGIN
  INSERT OR IGNORE INTO contact_names_pending (id) VALUES (new.id);
END;
CREATE TRIGGER contact_names_delete AFTER DELETE ON contacts BEGIN
  INSERT INTO contact_names(contact_names, rowid, name)
    SELECT 'delete', old.id, old.name WHERE NOT EXISTS (SELECT 1 FROM contact_names_pending WHERE id = old.id);
  DELETE FROM contact_names_pending WHERE id = old.id;
END;
CREATE TRIGGER contact_names_update AFTER UPDATE OF name ON contacts WHEN old.name IS NOT new.name BEGIN
  INSERT INTO contact_names(contact_names, rowid, name)
    SELECT 'delete', old.id, old.name WHERE NOT EXISTS (SELECT 1 FROM contact_names_pending WHERE id = old.id);
  INSERT OR IGNORE INTO contact_names_pending (id) VALUES (new.id);
END;
)sql"},
  };
  return all;
}

}  // namespace mailcase::store
