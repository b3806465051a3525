#include "metrics/scrape.h"

#include <spdlog/spdlog.h>

namespace mailcase::metrics {

bool mailbox_connected(std::string_view status) {
  return status.starts_with("connected") || status.starts_with("polling") || status.starts_with("waiting");
}

Result<StoreGauges> read_store_gauges(store::UnitOfWork& u) {
  StoreGauges g;
  MC_ASSIGN_OR_RETURN(g.outbox_queued, u.outbox().count_by_state(store::OutboxState::kQueued));
  MC_ASSIGN_OR_RETURN(auto boxes, u.mailboxes().list_mailboxes());
  for (const auto& m : boxes) {
    MC_ASSIGN_OR_RETURN(auto st, u.mailboxes().mailbox_state(m.name));
    g.mailboxes.push_back(MailboxGauge{m.name, mailbox_connected(st.status), st.backlog});
  }
  return g;
}

std::vector<FamilySnapshot> store_families(const StoreGauges* gauges) {
  std::vector<FamilySnapshot> out;
  FamilySnapshot readable{"mailcase_store_readable",
                          "Whether this scrape could read the store (1) or not (0).", Type::kGauge};
  readable.series.push_back(SeriesSnapshot{{}, gauges ? 1.0 : 0.0});
  out.push_back(std::move(readable));
  if (!gauges) return out;

  FamilySnapshot queued{"mailcase_outbox_queued", "Outbox mails waiting to be sent (the store's count).",
                        Type::kGauge};
  queued.series.push_back(SeriesSnapshot{{}, static_cast<double>(gauges->outbox_queued)});
  out.push_back(std::move(queued));

  FamilySnapshot connected{
      "mailcase_mailbox_connected",
      "Whether a mailbox's agent is at work (1: connected or polling) by its last saved state.",
      Type::kGauge};
  FamilySnapshot backlog{"mailcase_mailbox_backlog", "Mails waiting in a mailbox at its agent's last look.",
                         Type::kGauge};
  for (const auto& m : gauges->mailboxes) {
    connected.series.push_back(SeriesSnapshot{{{"mailbox", m.name}}, m.connected ? 1.0 : 0.0});
    backlog.series.push_back(SeriesSnapshot{{{"mailbox", m.name}}, static_cast<double>(m.backlog)});
  }
  out.push_back(std::move(connected));
  out.push_back(std::move(backlog));
  return out;
}

std::vector<FamilySnapshot> process_families(std::string_view version, double start_time) {
  std::vector<FamilySnapshot> out;
  FamilySnapshot info{"mailcase_build_info", "This build of mailcase (always 1).", Type::kGauge};
  info.series.push_back(SeriesSnapshot{{{"version", std::string(version)}}, 1.0});
  out.push_back(std::move(info));
  FamilySnapshot start{"mailcase_process_start_time_seconds", "When this process started, in Unix seconds.",
                       Type::kGauge};
  start.series.push_back(SeriesSnapshot{{}, start_time});
  out.push_back(std::move(start));
  return out;
}

std::string scrape(store::Store& store) {
  declare_unlabelled();
  std::vector<FamilySnapshot> families = registry().snapshot();
  for (auto& f : process_families(version(), process_start_time())) families.push_back(std::move(f));

  Result<StoreGauges> gauges = fail(ErrorCode::kInternal, "not read");
  if (auto u = store.open_unit(store::Access::kRead); u) {
    gauges = read_store_gauges(*u);
  } else {
    gauges = tl::unexpected(u.error());
  }
  if (!gauges) spdlog::warn("metrics: the store gauges could not be read: {}", gauges.error().message);
  for (auto& f : store_families(gauges ? &*gauges : nullptr)) families.push_back(std::move(f));
  return render_prometheus(std::move(families));
}

}  // namespace mailcase::metrics
