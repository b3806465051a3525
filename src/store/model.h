// The model now lives in the domain core (domain/model.h); these names keep
// `store::Case` and friends working for the store and its callers.
#pragma once

#include "domain/model.h"

namespace mailcase::store {

using domain::Account;
using domain::Attachment;
using domain::Case;
using domain::CaseStatus;
using domain::Comment;
using domain::Contact;
using domain::Direction;
using domain::direction_from;
using domain::Id;
using domain::Mailbox;
using domain::MailboxState;
using domain::outbox_state_from;
using domain::OutboxMail;
using domain::OutboxState;
using domain::Participant;
using domain::raw_state_from;
using domain::RawMessage;
using domain::RawState;
using domain::RoutingAddress;
using domain::status_from_string;
using domain::Survey;
using domain::to_string;
using domain::Visibility;
using domain::visibility_from;

}  // namespace mailcase::store
