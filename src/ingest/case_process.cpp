#include "ingest/case_process.h"

namespace mailcase::ingest {

std::optional<std::string> mailbox_of_source(std::string_view source) {
  for (std::string_view prefix : {"imap:", "pop3:"}) {
    if (source.size() > prefix.size() && source.substr(0, prefix.size()) == prefix)
      return std::string(source.substr(prefix.size()));
  }
  return std::nullopt;
}

std::string case_process(const store::RoutingAddress* address, const store::Mailbox* mailbox) {
  if (address && !address->process.empty()) return address->process;
  if (mailbox) return mailbox->process;
  return {};
}

}  // namespace mailcase::ingest
