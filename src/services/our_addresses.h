// Our own addresses: the outgoing address (outbound.from_address) and every routing
// address, each with its "+tag" sub-addresses. Mail to one of them would come back to us
// as a mail from ourselves, so none of them may be a contact's, an agent's, a case's
// participant or a copy of a reply. The one check the case services and the
// administrative writes share.
#pragma once

#include <string_view>

#include "store/store.h"
#include "util/result.h"

namespace mailcase::services {

// Whether `email` (bare or "Name <addr>") is `outgoing_address` or a routing address as
// the unit reads them, or a sub-address of one (outbound::is_our_address). One read of
// the routing addresses, a handful of rows.
Result<bool> is_our_address(store::UnitOfWork& w, std::string_view email, std::string_view outgoing_address);

}  // namespace mailcase::services
