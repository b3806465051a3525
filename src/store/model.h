// The model now lives in the domain core (domain/model.h); these names keep
// `store::Case` and friends working for the store and its callers.
#pragma once

#include "domain/model.h"

namespace mailcase::store {

using domain::Account;
using domain::Attachment;
using domain::Case;
using domain::Comment;
using domain::Contact;
using domain::Id;
using domain::Mailbox;
using domain::MailboxState;
using domain::OutboxMail;
using domain::Participant;
using domain::RawMessage;
using domain::RawState;
using domain::raw_state_from;
using domain::RoutingAddress;
using domain::Survey;
using domain::to_string;

}  // namespace mailcase::store
