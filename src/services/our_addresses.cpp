#include "services/our_addresses.h"

#include <string>
#include <vector>

#include "outbound/loop_guard.h"

namespace mailcase::services {

Result<bool> is_our_address(store::UnitOfWork& w, std::string_view email, std::string_view outgoing_address) {
  std::vector<std::string> ours;
  if (!outgoing_address.empty()) ours.emplace_back(outgoing_address);
  MC_ASSIGN_OR_RETURN(auto addresses, w.routing().list_addresses());
  for (auto& a : addresses) ours.push_back(std::move(a.email));
  return outbound::is_our_address(email, ours);
}

}  // namespace mailcase::services
