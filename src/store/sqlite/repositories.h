// The SQLite repositories, each made on a connection it borrows (the connection must
// outlive it). Internal to the SQLite backend: the rest of mailcase sees only Store.
#pragma once

#include <memory>

#include "store/repositories.h"
#include "store/sqlite/connection.h"

namespace mailcase::store::sqlite {

std::unique_ptr<AccountRepository> make_accounts(Connection& c);
std::unique_ptr<RoutingRepository> make_routing(Connection& c);
std::unique_ptr<RawMessageRepository> make_raw_messages(Connection& c);
std::unique_ptr<CaseRepository> make_cases(Connection& c);
std::unique_ptr<MailboxRepository> make_mailboxes(Connection& c);
std::unique_ptr<OutboxRepository> make_outbox(Connection& c);
std::unique_ptr<SurveyRepository> make_surveys(Connection& c);
std::unique_ptr<EventRepository> make_events(Connection& c);
std::unique_ptr<AgentRepository> make_agents(Connection& c);
std::unique_ptr<IdempotencyRepository> make_idempotency(Connection& c);
std::unique_ptr<SessionRepository> make_sessions(Connection& c);
std::unique_ptr<QueueRepository> make_queues(Connection& c);
std::unique_ptr<RuleRepository> make_rules(Connection& c);
std::unique_ptr<ProcessRepository> make_processes(Connection& c);
std::unique_ptr<AlertRepository> make_alerts(Connection& c);
std::unique_ptr<ApiSenderRepository> make_api_senders(Connection& c);

// Every repository, made on one connection (which must outlive them): what the store's
// own connection and each pooled connection carry.
struct RepositorySet {
  explicit RepositorySet(Connection& c)
      : accounts(make_accounts(c)),
        routing(make_routing(c)),
        raw_messages(make_raw_messages(c)),
        cases(make_cases(c)),
        mailboxes(make_mailboxes(c)),
        outbox(make_outbox(c)),
        surveys(make_surveys(c)),
        events(make_events(c)),
        agents(make_agents(c)),
        idempotency(make_idempotency(c)),
        sessions(make_sessions(c)),
        queues(make_queues(c)),
        rules(make_rules(c)),
        processes(make_processes(c)),
        alerts(make_alerts(c)),
        api_senders(make_api_senders(c)) {}
  std::unique_ptr<AccountRepository> accounts;
  std::unique_ptr<RoutingRepository> routing;
  std::unique_ptr<RawMessageRepository> raw_messages;
  std::unique_ptr<CaseRepository> cases;
  std::unique_ptr<MailboxRepository> mailboxes;
  std::unique_ptr<OutboxRepository> outbox;
  std::unique_ptr<SurveyRepository> surveys;
  std::unique_ptr<EventRepository> events;
  std::unique_ptr<AgentRepository> agents;
  std::unique_ptr<IdempotencyRepository> idempotency;
  std::unique_ptr<SessionRepository> sessions;
  std::unique_ptr<QueueRepository> queues;
  std::unique_ptr<RuleRepository> rules;
  std::unique_ptr<ProcessRepository> processes;
  std::unique_ptr<AlertRepository> alerts;
  std::unique_ptr<ApiSenderRepository> api_senders;
};

}  // namespace mailcase::store::sqlite
