// `GET /metrics`: this process's series (metrics.h) and the gauges read from the store at
// scrape time, rendered in the Prometheus text format.
//
// The store-side gauges are the same for every process on one data directory (they come
// from the store), and cheap on a big store: the queued outbox rows are counted through
// an index, and the mailboxes' states are a row per configured mailbox. Nothing counts
// the cases or the raw mails.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/metrics.h"
#include "store/store.h"
#include "util/result.h"

namespace mailcase::metrics {

struct MailboxGauge {
  std::string name;
  bool connected = false;
  int64_t backlog = 0;
};

struct StoreGauges {
  int64_t outbox_queued = 0;
  std::vector<MailboxGauge> mailboxes;
};

// Whether a mailbox agent that last said `status` (MailboxState::status) is at work: an
// IMAP connection up ("connected (IDLE)", "connected (poll …)"), or a POP3 agent polling
// or waiting for its next poll. Not while connecting, after an error, stopped or never
// started. Pure.
bool mailbox_connected(std::string_view status);

// Reads the store-side gauges through `u` (reads only).
[[nodiscard]] Result<StoreGauges> read_store_gauges(store::UnitOfWork& u);

// The families of the store-side gauges (mailcase_outbox_queued, mailcase_mailbox_connected,
// mailcase_mailbox_backlog), and mailcase_store_readable: 1 when `gauges` were read, 0 (and
// no store gauges) when the store did not answer. Pure.
std::vector<FamilySnapshot> store_families(const StoreGauges* gauges);

// The build and process families: mailcase_build_info{version} 1 and
// mailcase_process_start_time_seconds. Pure.
std::vector<FamilySnapshot> process_families(std::string_view version, double start_time);

// The whole /metrics body: the process-wide registry's series, the build and process
// families, and the store gauges read in a pooled read unit (store.open_unit). A store that
// does not answer gives mailcase_store_readable 0 and the rest, never an error.
std::string scrape(store::Store& store);

}  // namespace mailcase::metrics
