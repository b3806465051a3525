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

}  // namespace mailcase::store::sqlite
