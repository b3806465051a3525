// Two outbox workers on one data directory and one real mail path: mailcase sends through
// a throw-away Postfix, which delivers into a throw-away Dovecot where the recipient
// (alice@example.org) reads her INBOX over IMAP. Every queued row must arrive exactly
// once, counted by Message-ID in that INBOX, whether the two workers are two `serve`
// processes or two threads sending through one store.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "outbound/outbox_worker.h"
#include "outbound/smtp.h"
#include "store/store.h"
#include "support/test_support.h"

namespace mailcase::testing {
namespace {

const std::string kTool = std::string(MAILCASE_SOURCE_DIR) + "/tests/fixtures/mailtool.py";
constexpr int kMails = 40;

std::string sh_out(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

std::string message_id(int i) {
  return "two-workers-" + std::to_string(i) + "@corp.example";
}

class TwoWorkersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!dc.available()) GTEST_SKIP() << dc.why_not();
    pf = std::make_unique<Postfix>(dc.lmtp_port);
    if (!pf->available()) GTEST_SKIP() << pf->why_not();
    data = dir.path() / "data";
    ASSERT_EQ(run_mailcase({"--data", data.string(), "init"}).exit_code, 0);
    std::ofstream(data / "mailcase.toml")
        << "[outbound]\nfrom_address = \"support@corp.example\"\n"
        << "smtp_host = \"127.0.0.1\"\nsmtp_port = " << pf->smtp_port << "\n";
    smtp.from_address = "support@corp.example";
    smtp.smtp_host = "127.0.0.1";
    smtp.smtp_port = pf->smtp_port;
  }

  // Queues kMails mails to alice, all due now, in one unit of work, so that they become
  // visible to the workers together.
  void queue_mails(store::Store& st) {
    auto work = st.open_unit(store::Access::kWrite);
    ASSERT_TRUE(work) << work.error().message;
    for (int i = 0; i < kMails; ++i) {
      store::OutboxMail m;
      m.kind = "comment";
      m.to = "alice@example.org";
      m.message_id = message_id(i);
      m.raw = "From: Corp Support <support@corp.example>\r\nTo: alice@example.org\r\nSubject: Mail " +
              std::to_string(i) + "\r\nMessage-ID: <" + m.message_id +
              ">\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\r\nMail number " + std::to_string(i) + ".\r\n";
      m.next_attempt_at = 0;
      ASSERT_TRUE(work->outbox().add_outbox(m));
    }
    ASSERT_TRUE(work->commit());
  }

  // Whether every queued row is marked sent.
  static bool all_sent(store::Store& st) {
    auto work = st.open_unit(store::Access::kRead);
    if (!work) return false;
    auto rows = work->outbox().list_outbox(std::nullopt, 2 * kMails);
    if (!rows || rows->size() != static_cast<size_t>(kMails)) return false;
    for (const auto& m : *rows)
      if (m.state != store::OutboxState::kSent) return false;
    return true;
  }

  // How many mails in alice's INBOX carry each Message-ID.
  std::map<std::string, int> inbox_by_message_id() {
    const auto dump = sh_out("python3 '" + kTool + "' imap-dump 127.0.0.1 " + std::to_string(dc.imap_port) +
                             " alice alice-secret INBOX");
    std::map<std::string, int> seen;
    const std::regex re("(^|\n)Message-I[Dd]: *<([^>\r\n]+)>", std::regex::icase);
    for (auto it = std::sregex_iterator(dump.begin(), dump.end(), re); it != std::sregex_iterator(); ++it)
      ++seen[(*it)[2].str()];
    return seen;
  }

  // Waits for every queued mail to reach the INBOX, then a little longer so that a second
  // copy on its way arrives too, and checks that each arrived exactly once.
  void expect_each_mail_delivered_once(const std::string& context) {
    std::map<std::string, int> seen;
    wait_until([&] { return (seen = inbox_by_message_id()).size() >= static_cast<size_t>(kMails); }, 60000);
    // A duplicate would have been accepted by Postfix before its row was marked sent (all
    // are now), so it is in Postfix's queue already: look a few seconds longer for it.
    wait_until(
        [&] {
          seen = inbox_by_message_id();
          return std::any_of(seen.begin(), seen.end(), [](const auto& s) { return s.second > 1; });
        },
        4000);
    ASSERT_EQ(seen.size(), static_cast<size_t>(kMails)) << context;
    for (int i = 0; i < kMails; ++i) {
      auto it = seen.find(message_id(i));
      ASSERT_NE(it, seen.end()) << message_id(i) << " never arrived; " << context;
      EXPECT_EQ(it->second, 1) << message_id(i) << " arrived " << it->second << " times; " << context;
    }
  }

  std::unique_ptr<store::Store> open_store() {
    auto st = store::open_sqlite(data / "mailcase.db");
    EXPECT_TRUE(st) << st.error().message;
    return st ? std::move(*st) : nullptr;
  }

  TempDir dir;
  std::filesystem::path data;
  Dovecot dc;
  std::unique_ptr<Postfix> pf;
  config::Outbound smtp;  // where the threads' worker sends: the Postfix fixture
};

// Two `serve` processes on one data directory, both with their outbox running, and mail
// queued while both are polling: each mail leaves once, and each row names the process
// that sent it.
TEST_F(TwoWorkersTest, TwoServeProcessesSendEveryQueuedMailOnce) {
  Background a({"--data", data.string(), "serve"});
  Background b({"--data", data.string(), "serve"});
  for (auto* s : {&a, &b})
    ASSERT_TRUE(wait_until([&] { return s->err().find("serving;") != std::string::npos; })) << s->err();
  auto st = open_store();
  ASSERT_TRUE(st);
  queue_mails(*st);
  ASSERT_TRUE(wait_until([&] { return all_sent(*st); }, 120000)) << a.err() << "\n---\n" << b.err();
  expect_each_mail_delivered_once(a.err() + "\n---\n" + b.err());

  auto rows = st->list_outbox(std::nullopt, 2 * kMails);
  ASSERT_TRUE(rows);
  const std::string pid_a = ":" + std::to_string(a.pid()) + ":";
  const std::string pid_b = ":" + std::to_string(b.pid()) + ":";
  for (const auto& m : *rows) {
    EXPECT_EQ(m.attempts, 1) << m.message_id;
    EXPECT_TRUE(m.claimed_by.find(pid_a) != std::string::npos ||
                m.claimed_by.find(pid_b) != std::string::npos)
        << m.message_id << " claimed by " << m.claimed_by;
  }
  EXPECT_EQ(a.stop(SIGTERM), 0) << a.err();
  EXPECT_EQ(b.stop(SIGTERM), 0) << b.err();
}

// Two threads sending through one store (as serve's outbox beside its other threads),
// each under its own worker name, with the real SMTP client: each mail leaves once.
TEST_F(TwoWorkersTest, TwoThreadsOnOneStoreSendEveryQueuedMailOnce) {
  auto st = open_store();
  ASSERT_TRUE(st);
  queue_mails(*st);
  outbound::Sender send = [&](const std::string& to, const std::string& raw) {
    return outbound::smtp_send(smtp, "", to, raw);
  };
  // These rows belong to no case: a failure would have nothing to be told on.
  const outbound::FailureNote no_case_note = [](store::UnitOfWork&, const store::OutboxMail&,
                                                const std::string&) -> Status { return {}; };
  int handled[2] = {0, 0};
  std::string errors[2];
  auto worker = [&](int w) {
    const std::string name = outbound::worker_name();
    for (int pass = 0; pass < 10 * kMails; ++pass) {
      auto n = outbound::send_due(*st, smtp, send, 1000, no_case_note, name);
      if (!n) {
        errors[w] = n.error().message;  // e.g. the write lock stayed busy: try again
        continue;
      }
      if (*n == 0) return;
      handled[w] += *n;
    }
  };
  std::thread t0(worker, 0);
  std::thread t1(worker, 1);
  t0.join();
  t1.join();
  EXPECT_EQ(handled[0] + handled[1], kMails) << errors[0] << " / " << errors[1];
  ASSERT_TRUE(all_sent(*st));
  expect_each_mail_delivered_once(errors[0] + " / " + errors[1]);
  auto rows = st->list_outbox(std::nullopt, 2 * kMails);
  ASSERT_TRUE(rows);
  for (const auto& m : *rows) EXPECT_EQ(m.attempts, 1) << m.message_id;
}

}  // namespace
}  // namespace mailcase::testing
