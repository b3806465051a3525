// The Prometheus text rendering and the registry behind /metrics: pure, without I/O.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "metrics/health.h"
#include "metrics/metrics.h"
#include "metrics/scrape.h"

namespace mailcase::metrics {
namespace {

FamilySnapshot counter_family() {
  FamilySnapshot f{"mailcase_mails_received_total", "Mails recorded.", Type::kCounter};
  f.series.push_back(SeriesSnapshot{{{"channel", "pipe"}, {"outcome", "updated"}}, 1});
  f.series.push_back(SeriesSnapshot{{{"channel", "lmtp"}, {"outcome", "created"}}, 12});
  f.series.push_back(SeriesSnapshot{{{"channel", "pipe"}, {"outcome", "created"}}, 3});
  return f;
}

FamilySnapshot histogram_family() {
  FamilySnapshot f{"mailcase_ingest_seconds", "Seconds to commit.", Type::kHistogram, {0.01, 0.1, 1}};
  SeriesSnapshot s{{{"channel", "pipe"}}};
  s.buckets = {2, 0, 3, 1};  // per bucket: <=0.01, <=0.1, <=1, +Inf
  s.sum = 7.5;
  f.series.push_back(s);
  return f;
}

FamilySnapshot gauge_family() {
  FamilySnapshot f{"mailcase_outbox_queued", "Waiting.", Type::kGauge};
  f.series.push_back(SeriesSnapshot{{}, 4});
  return f;
}

TEST(RenderTest, GoldenOutput) {
  const std::string want =
      "# HELP mailcase_ingest_seconds Seconds to commit.\n"
      "# TYPE mailcase_ingest_seconds histogram\n"
      "mailcase_ingest_seconds_bucket{channel=\"pipe\",le=\"0.01\"} 2\n"
      "mailcase_ingest_seconds_bucket{channel=\"pipe\",le=\"0.1\"} 2\n"
      "mailcase_ingest_seconds_bucket{channel=\"pipe\",le=\"1\"} 5\n"
      "mailcase_ingest_seconds_bucket{channel=\"pipe\",le=\"+Inf\"} 6\n"
      "mailcase_ingest_seconds_sum{channel=\"pipe\"} 7.5\n"
      "mailcase_ingest_seconds_count{channel=\"pipe\"} 6\n"
      "# HELP mailcase_mails_received_total Mails recorded.\n"
      "# TYPE mailcase_mails_received_total counter\n"
      "mailcase_mails_received_total{channel=\"lmtp\",outcome=\"created\"} 12\n"
      "mailcase_mails_received_total{channel=\"pipe\",outcome=\"created\"} 3\n"
      "mailcase_mails_received_total{channel=\"pipe\",outcome=\"updated\"} 1\n"
      "# HELP mailcase_outbox_queued Waiting.\n"
      "# TYPE mailcase_outbox_queued gauge\n"
      "mailcase_outbox_queued 4\n";
  EXPECT_EQ(render_prometheus({gauge_family(), counter_family(), histogram_family()}), want);
}

TEST(RenderTest, OrderDoesNotDependOnTheInputsOrder) {
  std::vector<FamilySnapshot> fams = {gauge_family(), counter_family(), histogram_family()};
  const std::string first = render_prometheus(fams);
  std::mt19937 rng(7);
  for (int i = 0; i < 10; ++i) {
    std::shuffle(fams.begin(), fams.end(), rng);
    for (auto& f : fams) std::shuffle(f.series.begin(), f.series.end(), rng);
    EXPECT_EQ(render_prometheus(fams), first);
  }
}

TEST(RenderTest, EscapesLabelValuesAndHelp) {
  FamilySnapshot f{"mailcase_mailbox_backlog", "Back\\slash and\nnewline \"quoted\".", Type::kGauge};
  f.series.push_back(SeriesSnapshot{{{"mailbox", "a\\b \"c\"\nd"}}, 2});
  EXPECT_EQ(render_prometheus({f}),
            "# HELP mailcase_mailbox_backlog Back\\\\slash and\\nnewline \"quoted\".\n"
            "# TYPE mailcase_mailbox_backlog gauge\n"
            "mailcase_mailbox_backlog{mailbox=\"a\\\\b \\\"c\\\"\\nd\"} 2\n");
}

TEST(RenderTest, HistogramBucketsAreCumulativeAndEndWithInf) {
  Histogram h({0.001, 0.01, 0.1});
  for (double v : {0.0005, 0.001, 0.005, 0.05, 0.05, 3.0, -1.0}) h.observe(v);
  // le is inclusive: 0.001 falls in the first bucket; a negative value too.
  EXPECT_EQ(h.bucket_counts(), (std::vector<uint64_t>{3, 1, 2, 1}));
  FamilySnapshot f{"x_seconds", "h", Type::kHistogram, h.bounds()};
  f.series.push_back(SeriesSnapshot{{}, 0, h.bucket_counts(), h.sum()});
  const std::string out = render_prometheus({f});
  EXPECT_NE(out.find("x_seconds_bucket{le=\"0.001\"} 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"0.01\"} 4\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"0.1\"} 6\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"+Inf\"} 7\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_count 7\n"), std::string::npos) << out;
  EXPECT_NEAR(h.sum(), 2.1065, 1e-9);
}

TEST(RenderTest, NaNIsNotObserved) {
  Histogram h({1});
  h.observe(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(h.bucket_counts(), (std::vector<uint64_t>{0, 0}));
  EXPECT_EQ(h.sum(), 0);
}

TEST(RenderTest, FamilyWithoutSeriesIsLeftOut) {
  FamilySnapshot empty{"mailcase_http_requests_total", "none yet", Type::kCounter};
  EXPECT_EQ(render_prometheus({empty}), "");
}

TEST(RenderTest, FormatsValuesAsPrometheusReadsThem) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(12), "12");
  EXPECT_EQ(format_value(0.0025), "0.0025");
  EXPECT_EQ(format_value(1.5e12), "1500000000000");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(RegistryTest, ConcurrentIncrementsFromSeveralThreadsAddUpExactly) {
  Registry r;
  constexpr int kThreads = 8;
  constexpr int kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&r, t] {
      for (int i = 0; i < kEach; ++i) {
        // Every thread on one shared series, and each on series of its own made as it goes.
        r.counter("t_total", "shared", {{"k", "shared"}}).inc();
        r.counter("t_total", "shared", {{"k", "t" + std::to_string(t % 4)}}).inc();
        r.histogram("t_seconds", "h", {0.5}, {{"k", "shared"}}).observe(i % 2 ? 1.0 : 0.25);
        r.gauge("t_gauge", "g").add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(r.counter("t_total", "shared", {{"k", "shared"}}).value(), uint64_t{kThreads} * kEach);
  for (int k = 0; k < 4; ++k)
    EXPECT_EQ(r.counter("t_total", "shared", {{"k", "t" + std::to_string(k)}}).value(), uint64_t{2} * kEach);
  auto& h = r.histogram("t_seconds", "h", {0.5}, {{"k", "shared"}});
  EXPECT_EQ(h.bucket_counts(), (std::vector<uint64_t>{kThreads * kEach / 2, kThreads * kEach / 2}));
  EXPECT_DOUBLE_EQ(h.sum(), kThreads * (kEach / 2) * 1.25);
  EXPECT_DOUBLE_EQ(r.gauge("t_gauge", "g").value(), double{kThreads} * kEach);
  const std::string out = render_prometheus(r.snapshot());
  EXPECT_NE(out.find("t_total{k=\"shared\"} 160000\n"), std::string::npos) << out;
  EXPECT_NE(out.find("t_seconds_count{k=\"shared\"} 160000\n"), std::string::npos) << out;
}

TEST(RegistryTest, TooManySeriesGoToOneLabelledOther) {
  Registry r;
  for (size_t i = 0; i < kMaxSeriesPerFamily + 50; ++i)
    r.counter("c_total", "c", {{"route", "/x/" + std::to_string(i)}, {"status", "200"}}).inc();
  auto snap = r.snapshot();
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].series.size(), kMaxSeriesPerFamily + 1);
  EXPECT_EQ(r.counter("c_total", "c", {{"route", "other"}, {"status", "other"}}).value(), 50u);
  // A series made before the cap keeps counting on its own.
  r.counter("c_total", "c", {{"route", "/x/0"}, {"status", "200"}}).inc();
  EXPECT_EQ(r.counter("c_total", "c", {{"route", "/x/0"}, {"status", "200"}}).value(), 2u);
}

TEST(SeriesTest, ChannelIsTheSourcesFirstPartOrOther) {
  EXPECT_EQ(channel_of("pipe"), "pipe");
  EXPECT_EQ(channel_of("lmtp"), "lmtp");
  EXPECT_EQ(channel_of("imap:Support box"), "imap");
  EXPECT_EQ(channel_of("pop3:x"), "pop3");
  EXPECT_EQ(channel_of("import:/var/mail/a.mbox"), "import");
  EXPECT_EQ(channel_of("retry"), "retry");
  EXPECT_EQ(channel_of("test"), "other");
  EXPECT_EQ(channel_of(""), "other");
  EXPECT_EQ(channel_of("imapx:y"), "other");
}

TEST(SeriesTest, HttpRequestsAreCountedByPatternWithBoundedLabels) {
  observe_http("/api/v1/cases/{number}", 200, 0.003);
  observe_http("/api/v1/cases/{number}", 200, 0.004);
  observe_http("", 404, 0.001);
  observe_http(std::string(500, 'x'), 999, 0.001);
  const std::string out = render_prometheus(registry().snapshot());
  EXPECT_NE(out.find("mailcase_http_requests_total{route=\"/api/v1/cases/{number}\",status=\"200\"} 2\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("mailcase_http_requests_total{route=\"other\",status=\"404\"} 1\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("mailcase_http_requests_total{route=\"other\",status=\"other\"} 1\n"), std::string::npos)
      << out;
  EXPECT_NE(
      out.find("mailcase_http_request_seconds_bucket{route=\"/api/v1/cases/{number}\",le=\"0.005\"} 2\n"),
      std::string::npos)
      << out;
  EXPECT_EQ(out.find("xxxxx"), std::string::npos);
}

TEST(ScrapeFamiliesTest, MailboxIsConnectedWhileItsAgentWorks) {
  EXPECT_TRUE(mailbox_connected("connected (IDLE)"));
  EXPECT_TRUE(mailbox_connected("connected (poll every 60s)"));
  EXPECT_TRUE(mailbox_connected("polling"));
  EXPECT_TRUE(mailbox_connected("waiting (poll every 60s)"));
  EXPECT_FALSE(mailbox_connected("connecting"));
  EXPECT_FALSE(mailbox_connected("error: connection refused"));
  EXPECT_FALSE(mailbox_connected("stopped"));
  EXPECT_FALSE(mailbox_connected("not started"));
}

TEST(ScrapeFamiliesTest, StoreGaugesRender) {
  StoreGauges g;
  g.outbox_queued = 3;
  g.mailboxes = {{"support", true, 7}, {"billing", false, 0}};
  EXPECT_EQ(
      render_prometheus(store_families(&g)),
      "# HELP mailcase_mailbox_backlog Mails waiting in a mailbox at its agent's last look.\n"
      "# TYPE mailcase_mailbox_backlog gauge\n"
      "mailcase_mailbox_backlog{mailbox=\"billing\"} 0\n"
      "mailcase_mailbox_backlog{mailbox=\"support\"} 7\n"
      "# HELP mailcase_mailbox_connected Whether a mailbox's agent is at work (1: connected or polling) by "
      "its last saved state.\n"
      "# TYPE mailcase_mailbox_connected gauge\n"
      "mailcase_mailbox_connected{mailbox=\"billing\"} 0\n"
      "mailcase_mailbox_connected{mailbox=\"support\"} 1\n"
      "# HELP mailcase_outbox_queued Outbox mails waiting to be sent (the store's count).\n"
      "# TYPE mailcase_outbox_queued gauge\n"
      "mailcase_outbox_queued 3\n"
      "# HELP mailcase_store_readable Whether this scrape could read the store (1) or not (0).\n"
      "# TYPE mailcase_store_readable gauge\n"
      "mailcase_store_readable 1\n");
  EXPECT_EQ(render_prometheus(store_families(nullptr)),
            "# HELP mailcase_store_readable Whether this scrape could read the store (1) or not (0).\n"
            "# TYPE mailcase_store_readable gauge\n"
            "mailcase_store_readable 0\n");
}

TEST(ScrapeFamiliesTest, BuildInfoAndStartTime) {
  EXPECT_EQ(render_prometheus(process_families("1.2.3", 1764547200)),
            "# HELP mailcase_build_info This build of mailcase (always 1).\n"
            "# TYPE mailcase_build_info gauge\n"
            "mailcase_build_info{version=\"1.2.3\"} 1\n"
            "# HELP mailcase_process_start_time_seconds When this process started, in Unix seconds.\n"
            "# TYPE mailcase_process_start_time_seconds gauge\n"
            "mailcase_process_start_time_seconds 1764547200\n");
}

TEST(HealthReportTest, OkOnlyWhenEveryCheckIs) {
  auto good = make_report({{"store", "ok"}, {"spool", "ok"}});
  EXPECT_TRUE(good.ok);
  EXPECT_EQ(to_json(good), R"({"checks":{"spool":"ok","store":"ok"},"status":"ok"})");
  auto bad = make_report({{"store", "ok"}, {"spool", "fail: the spool directory is not writable"}});
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(
      to_json(bad),
      R"({"checks":{"spool":"fail: the spool directory is not writable","store":"ok"},"status":"fail"})");
}

}  // namespace
}  // namespace mailcase::metrics
