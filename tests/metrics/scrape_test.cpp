// /metrics and /healthz over a real data directory: the pipeline and the outbox worker
// count what they did, and scrape() reads the store's gauges beside them.
#include "metrics/scrape.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "config/config.h"
#include "ingest/pipeline.h"
#include "metrics/health.h"
#include "outbound/outbox_worker.h"
#include "outbound/smtp.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::metrics {
namespace {

// The value of one sample line ("name{labels} value") of a scrape; 0 when absent. The
// counters are per process, so tests compare a scrape with an earlier one.
double sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ')
      return std::stod(line.substr(series.size() + 1));
  }
  return 0;
}

std::string mail(const std::string& from, const std::string& to, const std::string& id,
                 const std::string& subject) {
  return "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nMessage-ID: <" + id +
         ">\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n\r\nThe printer does not print.\r\n";
}

class ScrapeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    auto run = [&](std::vector<std::string> args) {
      args.insert(args.begin(), {"--data", data_.string()});
      auto r = mailcase::testing::run_mailcase(args);
      ASSERT_EQ(r.exit_code, 0) << r.err;
    };
    run({"init"});
    std::ofstream(data_ / "mailcase.toml") << "[outbound]\nfrom_address = \"support@corp.example\"\n";
    run({"address", "add", "support@corp.example"});
    run({"address", "add", "sales@corp.example", "--unknown-sender", "hold"});
    auto cfg = config::load(data_ / "mailcase.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    cfg_ = *cfg;
    auto rt = runtime::Runtime::open(data_, cfg_);
    ASSERT_TRUE(rt) << rt.error().message;
    rt_ = std::move(*rt);
  }

  ingest::Outcome deliver(const std::string& raw, const std::string& to) {
    auto o = rt_->ingest().deliver(raw, ingest::Envelope{"pipe", {to}, std::nullopt});
    EXPECT_TRUE(o) << (o ? "" : o.error().message);
    return o ? *o : ingest::Outcome{};
  }

  int64_t queued_in_store() {
    auto rows = rt_->store().list_outbox(std::nullopt, 1000);
    EXPECT_TRUE(rows);
    int64_t n = 0;
    for (const auto& r : *rows) n += r.state == store::OutboxState::kQueued;
    return n;
  }

  mailcase::testing::TempDir dir_;
  std::filesystem::path data_;
  config::Config cfg_;
  std::unique_ptr<runtime::Runtime> rt_;
};

TEST_F(ScrapeTest, CountsTheMailsThePipelineRecordedByChannelAndOutcome) {
  const std::string before = scrape(rt_->store());
  const std::string first =
      mail("Alice <alice@example.org>", "support@corp.example", "m1@example.org", "Printer");
  EXPECT_EQ(deliver(first, "support@corp.example").kind, ingest::OutcomeKind::kCreated);
  EXPECT_EQ(deliver(mail("Alice <alice@example.org>", "support@corp.example", "m2@example.org",
                         "Re: [CS0000001] Printer"),
                    "support@corp.example")
                .kind,
            ingest::OutcomeKind::kUpdated);
  EXPECT_EQ(deliver(first, "support@corp.example").kind, ingest::OutcomeKind::kDuplicate);
  const auto held =
      deliver(mail("Zed <zed@unknown.example>", "sales@corp.example", "m3@example.org", "Offer"),
              "sales@corp.example");
  ASSERT_EQ(held.kind, ingest::OutcomeKind::kHeld);
  auto again = rt_->ingest().retry(held.message_id);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->kind, ingest::OutcomeKind::kHeld);

  const std::string after = scrape(rt_->store());
  auto delta = [&](const std::string& series) { return sample(after, series) - sample(before, series); };
  EXPECT_EQ(delta(R"(mailcase_mails_received_total{channel="pipe",outcome="created"})"), 1) << after;
  EXPECT_EQ(delta(R"(mailcase_mails_received_total{channel="pipe",outcome="updated"})"), 1) << after;
  EXPECT_EQ(delta(R"(mailcase_mails_received_total{channel="pipe",outcome="duplicate"})"), 1) << after;
  EXPECT_EQ(delta(R"(mailcase_mails_received_total{channel="pipe",outcome="held"})"), 1) << after;
  EXPECT_EQ(delta(R"(mailcase_mails_received_total{channel="retry",outcome="held"})"), 1) << after;
  EXPECT_EQ(delta(R"(mailcase_ingest_seconds_count{channel="pipe"})"), 4) << after;
  EXPECT_EQ(delta(R"(mailcase_ingest_seconds_bucket{channel="pipe",le="+Inf"})"), 4) << after;
  EXPECT_EQ(delta(R"(mailcase_ingest_seconds_count{channel="retry"})"), 1) << after;
  EXPECT_GT(delta(R"(mailcase_ingest_seconds_sum{channel="pipe"})"), 0) << after;
  EXPECT_NE(after.find("# TYPE mailcase_ingest_seconds histogram\n"), std::string::npos);

  // The store's gauges: the new case's confirmation waits in the outbox.
  EXPECT_EQ(queued_in_store(), 1);
  EXPECT_EQ(sample(after, "mailcase_outbox_queued"), 1) << after;
  EXPECT_EQ(sample(after, "mailcase_store_readable"), 1) << after;
  EXPECT_NE(after.find("mailcase_build_info{version=\""), std::string::npos) << after;
  EXPECT_GT(sample(after, "mailcase_process_start_time_seconds"), 1.7e9) << after;
}

TEST_F(ScrapeTest, CountsWhatTheOutboxWorkerSettled) {
  deliver(mail("Alice <alice@example.org>", "support@corp.example", "o1@example.org", "Printer"),
          "support@corp.example");
  deliver(mail("Bob <bob@example.org>", "support@corp.example", "o2@example.org", "Scanner"),
          "support@corp.example");
  ASSERT_EQ(queued_in_store(), 2);
  const std::string before = scrape(rt_->store());
  EXPECT_EQ(sample(before, "mailcase_outbox_queued"), 2) << before;
  // Present before their first event, so that rate() sees it.
  EXPECT_NE(before.find("\nmailcase_outbox_sent_total "), std::string::npos) << before;
  EXPECT_NE(before.find("\nmailcase_outbox_failed_total "), std::string::npos) << before;

  // The SMTP server (the worker's one outside part) accepts Alice's mail, refuses Bob's.
  const outbound::Sender smtp = [](const std::string& to, const std::string&) {
    return to.find("alice") != std::string::npos
               ? outbound::SmtpResult{outbound::SmtpResult::Kind::kSent, 250, "250 ok"}
               : outbound::SmtpResult{outbound::SmtpResult::Kind::kPermanent, 550, "550 no such user"};
  };
  const outbound::FailureNote note = [](store::UnitOfWork&, const store::OutboxMail&, const std::string&) {
    return Status{};
  };
  auto n = outbound::send_due(rt_->store(), cfg_.outbound, smtp, rt_->clock().now() + 60, note);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 2);

  const std::string after = scrape(rt_->store());
  EXPECT_EQ(sample(after, "mailcase_outbox_sent_total") - sample(before, "mailcase_outbox_sent_total"), 1)
      << after;
  EXPECT_EQ(sample(after, "mailcase_outbox_failed_total") - sample(before, "mailcase_outbox_failed_total"), 1)
      << after;
  EXPECT_EQ(sample(after, "mailcase_outbox_queued"), 0) << after;
}

TEST_F(ScrapeTest, MailboxGaugesComeFromTheStoresMailboxStates) {
  auto& st = rt_->store();
  store::Mailbox support;
  support.name = "support";
  support.host = "imap.corp.example";
  store::Mailbox billing = support;
  billing.name = "billing \"EU\"";
  ASSERT_TRUE(st.add_mailbox(support));
  ASSERT_TRUE(st.add_mailbox(billing));
  store::MailboxState s;
  s.name = "support";
  s.status = "connected (IDLE)";
  s.backlog = 7;
  ASSERT_TRUE(st.put_mailbox_state(s));
  s.name = "billing \"EU\"";
  s.status = "error: connection refused";
  s.backlog = 0;
  ASSERT_TRUE(st.put_mailbox_state(s));

  const std::string out = scrape(st);
  EXPECT_EQ(sample(out, R"(mailcase_mailbox_connected{mailbox="support"})"), 1) << out;
  EXPECT_EQ(sample(out, R"(mailcase_mailbox_backlog{mailbox="support"})"), 7) << out;
  EXPECT_NE(out.find("mailcase_mailbox_connected{mailbox=\"billing \\\"EU\\\"\"} 0\n"), std::string::npos)
      << out;
}

TEST_F(ScrapeTest, HealthIsOkWithAReadableStoreAndAWritableSpool) {
  // A fresh data directory has no spool yet: made as the spool would make it.
  ASSERT_FALSE(std::filesystem::exists(data_ / "spool"));
  auto h = check_health(rt_->store(), data_ / "spool");
  EXPECT_TRUE(h.ok) << to_json(h);
  EXPECT_EQ(to_json(h), R"({"checks":{"spool":"ok","store":"ok"},"status":"ok"})");
  EXPECT_TRUE(std::filesystem::is_directory(data_ / "spool"));
  // The probe file is gone.
  EXPECT_TRUE(std::filesystem::is_empty(data_ / "spool"));
}

TEST_F(ScrapeTest, HealthFailsWhenTheSpoolCannotBeWritten) {
  std::ofstream(dir_.path() / "a-file") << "not a directory";
  auto h = check_health(rt_->store(), dir_.path() / "a-file" / "spool");
  EXPECT_FALSE(h.ok);
  EXPECT_EQ(to_json(h),
            R"({"checks":{"spool":"fail: the spool directory is missing","store":"ok"},"status":"fail"})");
}

}  // namespace
}  // namespace mailcase::metrics
