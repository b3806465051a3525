// Which process a new case from a mail follows (issue 15, CW4): its routing address's,
// else the process of the mailbox it was fetched from. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "store/model.h"

namespace mailcase::ingest {

// The mailbox a mail's envelope source names ("imap:NAME", "pop3:NAME", as the mailbox
// agents set Envelope::source); nullopt for any other source (LMTP, a pipe, an import).
std::optional<std::string> mailbox_of_source(std::string_view source);

// The routing address's process when it names one (it wins), else the mailbox's, else
// none (""). Either may be absent.
std::string case_process(const store::RoutingAddress* address, const store::Mailbox* mailbox);

}  // namespace mailcase::ingest
