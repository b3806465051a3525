// The import source against a real data directory: mbox files and Maildir folders into
// the runtime's pipeline, and what it reports.
#include "channels/import_source.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <set>
#include <string>

#include "config/config.h"
#include "runtime/runtime.h"
#include "support/test_support.h"

namespace mailcase::channels {
namespace {

using ingest::OutcomeKind;

std::string mail(int i) {
  return "From: user" + std::to_string(i) + "@example.com\nSubject: mail " + std::to_string(i) +
         "\nMessage-ID: <imp" + std::to_string(i) + "@example.com>\n\nbody " + std::to_string(i) + "\n";
}

void write_mbox(const std::filesystem::path& p, const std::vector<std::string>& mails) {
  std::ofstream out(p, std::ios::binary);
  for (const auto& m : mails) out << "From x@y Mon Jan  1 00:00:00 2024\n" << m << "\n";
}

class ImportSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mailcase::testing::run_mailcase({"--data", data_.string(), "init"}).exit_code, 0);
    auto cfg = config::load(data_ / "mailcase.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    cfg_ = *cfg;
  }
  void open() {
    auto rt = runtime::Runtime::open(data_, cfg_);
    ASSERT_TRUE(rt) << rt.error().message;
    rt_ = std::move(*rt);
  }
  ImportReport import(std::vector<std::filesystem::path> paths, size_t batch = 1000) {
    ImportOptions opt;
    opt.paths = std::move(paths);
    opt.batch = batch;
    ImportSource source(rt_->ingest(), std::move(opt));
    auto r = source.import(stop_);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : ImportReport{};
  }
  std::vector<store::RawMessage> rows() {
    auto r = rt_->store().list_raw(store::MessageFilter{});
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : std::vector<store::RawMessage>{};
  }

  mailcase::testing::TempDir dir_;
  std::filesystem::path data_ = dir_.path() / "data";
  config::Config cfg_;
  std::unique_ptr<runtime::Runtime> rt_;
  std::atomic<bool> stop_{false};
};

TEST_F(ImportSourceTest, MboxOfThreeMailsCreatesThreeCases) {
  open();
  auto box = dir_.path() / "in.mbox";
  write_mbox(box, {mail(1), mail(2), mail(3)});
  // A batch of 2: one full batch and the rest flushed at the end.
  auto r = import({box}, 2);
  EXPECT_EQ(r.total, 3u);
  EXPECT_EQ(r.count(OutcomeKind::kCreated), 3u);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.source_errors, 0u);
  EXPECT_FALSE(r.stopped);
  auto raws = rows();
  ASSERT_EQ(raws.size(), 3u);
  for (const auto& m : raws) {
    EXPECT_EQ(m.state, store::RawState::kProcessed);
    EXPECT_EQ(m.source, "import:" + box.string());
  }
}

TEST_F(ImportSourceTest, MaildirImportsNewAndCur) {
  open();
  auto md = dir_.path() / "Maildir";
  for (auto sub : {"new", "cur", "tmp"}) std::filesystem::create_directories(md / sub);
  std::ofstream(md / "new" / "1") << mail(1);
  std::ofstream(md / "cur" / "2:2,S") << mail(2);
  auto r = import({md});
  EXPECT_EQ(r.total, 2u);
  EXPECT_EQ(r.count(OutcomeKind::kCreated), 2u);
  std::set<std::string> subjects;
  for (const auto& m : rows()) subjects.insert(m.subject);
  EXPECT_EQ(subjects, (std::set<std::string>{"mail 1", "mail 2"}));
}

// A Maildir handed over for import may belong to someone else: a link in it to a file
// of the service user (the data directory's secret.key, say) must not make that file a
// case agents can read. The link is reported, the mails beside it imported.
TEST_F(ImportSourceTest, ALinkInAMaildirToAFileOutsideIsReportedNotImported) {
  open();
  auto outside = dir_.path() / "secret.txt";
  std::ofstream(outside) << "From: a@example.com\nSubject: the secret\n\nhunter2\n";
  auto md = dir_.path() / "Maildir";
  for (auto sub : {"new", "cur", "tmp", ".Box/cur", ".Box/new"})
    std::filesystem::create_directories(md / sub);
  std::ofstream(md / "new" / "1") << mail(1);
  std::filesystem::create_symlink(outside, md / "cur" / "2:2,S");
  // A folder whose cur/ leads out of the Maildir: what is there is not the Maildir's.
  auto elsewhere = dir_.path() / "elsewhere";
  std::filesystem::create_directories(elsewhere);
  std::ofstream(elsewhere / "3") << "From: b@example.com\nSubject: the secret too\n\nhunter3\n";
  std::filesystem::remove(md / ".Box" / "cur");
  std::filesystem::create_directory_symlink(elsewhere, md / ".Box" / "cur");
  auto r = import({md});
  EXPECT_EQ(r.count(OutcomeKind::kCreated), 1u);
  EXPECT_EQ(r.source_errors, 2u);
  for (const auto& m : rows()) EXPECT_EQ(m.subject, "mail 1");
  for (const auto& p : r.problems) EXPECT_EQ(p.kind, ImportProblem::Kind::kUnreadable);
}

TEST_F(ImportSourceTest, SameFileTwiceCountsDuplicates) {
  open();
  auto box = dir_.path() / "in.mbox";
  write_mbox(box, {mail(1), mail(2), mail(3)});
  auto r = import({box, box});
  EXPECT_EQ(r.total, 6u);
  EXPECT_EQ(r.count(OutcomeKind::kCreated), 3u);
  EXPECT_EQ(r.count(OutcomeKind::kDuplicate), 3u);
  // And once more, in a run of its own: nothing new.
  auto again = import({box});
  EXPECT_EQ(again.count(OutcomeKind::kDuplicate), 3u);
  EXPECT_EQ(again.count(OutcomeKind::kCreated), 0u);
  auto cases = rt_->store().list_cases(100);
  ASSERT_TRUE(cases);
  EXPECT_EQ(cases->size(), 3u);
}

// A batch is bounded by what its mails hold as well as by their count: mails of
// megabytes of text are committed a few at a time, however many storage.import_batch
// allows (all of them at once held 690 MB for 300 mails of 1.2 MB). The first outcome is
// reported once the batch after it is committed, long before the last mail is.
TEST_F(ImportSourceTest, MailsOfMegabytesOfTextAreCommittedAFewAtATime) {
  open();
  auto box = dir_.path() / "big.mbox";
  std::vector<std::string> mails;
  for (int i = 0; i < 12; ++i) {
    std::string text;
    while (text.size() < 1500 * 1024) text += "line of mail " + std::to_string(i) + " text\n";
    mails.push_back("From: big" + std::to_string(i) + "@example.com\nSubject: big " + std::to_string(i) +
                    "\nMessage-ID: <big" + std::to_string(i) + "@example.com>\n\n" + text);
  }
  write_mbox(box, mails);
  ImportOptions opt;
  opt.paths = {box};
  opt.batch = 1000;
  std::vector<size_t> recorded_at_report;
  ImportObserver observer;
  observer.mail = [&](const Result<ingest::Outcome>& r) {
    EXPECT_TRUE(r) << r.error().message;
    recorded_at_report.push_back(rows().size());
  };
  ImportSource source(rt_->ingest(), std::move(opt), observer);
  auto report = source.import(stop_);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->count(OutcomeKind::kCreated), 12u);
  ASSERT_EQ(recorded_at_report.size(), 12u);
  EXPECT_LT(recorded_at_report.front(), 12u);
  EXPECT_EQ(rows().size(), 12u);
}

TEST_F(ImportSourceTest, BrokenMailIsRecordedFailedNeverDropped) {
  cfg_.limits.max_message_bytes = 4096;
  open();
  auto box = dir_.path() / "in.mbox";
  std::string huge = "From: big@example.com\nSubject: too big\nMessage-ID: <big@example.com>\n\n" +
                     std::string(200, 'x') + "\n";
  while (huge.size() < 10000) huge += std::string(200, 'y') + "\n";
  write_mbox(box, {mail(1), huge, mail(3)});
  auto r = import({box});
  EXPECT_EQ(r.total, 3u);
  EXPECT_EQ(r.count(OutcomeKind::kCreated), 2u);
  EXPECT_EQ(r.count(OutcomeKind::kFailed), 1u);
  auto raws = rows();
  ASSERT_EQ(raws.size(), 3u);
  EXPECT_EQ(raws[1].state, store::RawState::kFailed);
  EXPECT_NE(raws[1].reason.find("too large"), std::string::npos) << raws[1].reason;
}

// An mbox's mail past limits.max_message_bytes is treated as a delivered one is: its head
// is kept for the administrator to see and the rest is read past, never stored. Before,
// the whole of it went into the spool, and a line of it was held whole in memory.
TEST_F(ImportSourceTest, AnMboxMailPastTheLimitKeepsOnlyItsHead) {
  cfg_.limits.max_message_bytes = 200000;
  open();
  auto box = dir_.path() / "in.mbox";
  const std::string huge = "From: big@example.com\nSubject: too big\nMessage-ID: <big@example.com>\n\n" +
                           std::string(5 * 1024 * 1024, 'x') + "\n";  // one line of 5 MiB
  write_mbox(box, {mail(1), huge, mail(3)});
  auto r = import({box});
  EXPECT_EQ(r.total, 3u);
  EXPECT_EQ(r.count(OutcomeKind::kCreated), 2u);
  EXPECT_EQ(r.count(OutcomeKind::kFailed), 1u);
  auto raws = rows();
  ASSERT_EQ(raws.size(), 3u);
  EXPECT_EQ(raws[1].state, store::RawState::kFailed);
  EXPECT_NE(raws[1].reason.find("message too large: " + std::to_string(huge.size()) + " bytes"), std::string::npos)
      << raws[1].reason;
  EXPECT_NE(raws[1].reason.find("only its first bytes are kept"), std::string::npos) << raws[1].reason;
  EXPECT_EQ(raws[1].size, ingest::kOversizeHeadBytes);  // what is kept of it
  // Nothing near the mail's size was written to the data directory.
  uint64_t stored = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(data_))
    if (e.is_regular_file() && e.path().filename().string().find(".db") == std::string::npos) stored += e.file_size();
  EXPECT_LT(stored, huge.size() / 4);
}

// A Maildir file past the limit is read no further than the limit shows it over: one of
// a terabyte (sparse: it costs its owner nothing) or one that grows while it is read
// would otherwise hold the import for hours, reading bytes it throws away.
TEST_F(ImportSourceTest, AMaildirFileOfATerabyteIsReadOnlyToTheLimit) {
  cfg_.limits.max_message_bytes = 200000;
  open();
  auto md = dir_.path() / "Maildir";
  for (auto sub : {"new", "cur", "tmp"}) std::filesystem::create_directories(md / sub);
  std::ofstream(md / "new" / "1") << "From: big@example.com\nSubject: huge\n\n";
  const uint64_t tera = uint64_t{1} << 40;
  std::filesystem::resize_file(md / "new" / "1", tera);
  std::ofstream(md / "new" / "2") << mail(2);
  const auto start = std::chrono::steady_clock::now();
  auto r = import({md});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(r.count(OutcomeKind::kFailed), 1u);
  EXPECT_EQ(r.count(OutcomeKind::kCreated), 1u);
  for (const auto& m : rows()) {
    if (m.state != store::RawState::kFailed) continue;
    EXPECT_NE(m.reason.find("message too large: " + std::to_string(tera) + " bytes"), std::string::npos)
        << m.reason;
  }
}

TEST_F(ImportSourceTest, UnreadablePathIsReportedAndTheOthersImported) {
  open();
  auto missing = dir_.path() / "no-such.mbox";
  auto box = dir_.path() / "in.mbox";
  write_mbox(box, {mail(1)});
  std::vector<ImportProblem> seen;
  ImportOptions opt;
  opt.paths = {missing, box};
  ImportObserver obs;
  obs.problem = [&](const ImportProblem& p) { seen.push_back(p); };
  ImportSource source(rt_->ingest(), opt, obs);
  auto r = source.import(stop_);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->count(OutcomeKind::kCreated), 1u);
  EXPECT_EQ(r->source_errors, 1u);
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_EQ(r->problems[0].kind, ImportProblem::Kind::kUnreadable);
  EXPECT_EQ(r->problems[0].path, missing);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].path, missing);
}

TEST_F(ImportSourceTest, StopEndsTheRunAndLeavesTheRestForLater) {
  open();
  auto box = dir_.path() / "in.mbox";
  write_mbox(box, {mail(1), mail(2), mail(3)});
  // Stop when the first mail is reported: the mail committed behind it (each batch is
  // reported once its sync is over, while the next is committed) is reported too, and
  // the rest left.
  ImportOptions opt;
  opt.paths = {box};
  opt.batch = 1;
  ImportObserver obs;
  obs.mail = [&](const Result<ingest::Outcome>&) { stop_ = true; };
  ImportSource source(rt_->ingest(), opt, obs);
  MailSource& as_source = source;
  EXPECT_EQ(as_source.name(), "import");
  auto r = as_source.run(stop_);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->stopped);
  EXPECT_EQ(r->total, 2u);
  EXPECT_EQ(rows().size(), 2u);
  // A later run picks up the rest; the first two are duplicates.
  stop_ = false;
  auto rest = import({box});
  EXPECT_EQ(rest.count(OutcomeKind::kCreated), 1u);
  EXPECT_EQ(rest.count(OutcomeKind::kDuplicate), 2u);
}

// The mails are read and parsed on a thread of their own, ahead of the commits: what the
// caller sees stays in the files' order, as with one thread, over many batches, with a
// problem reported where it was met.
TEST_F(ImportSourceTest, ManyBatchesKeepTheFilesOrderWithProblemsWhereMet) {
  open();
  auto first = dir_.path() / "first.mbox";
  auto second = dir_.path() / "second.mbox";
  auto missing = dir_.path() / "no-such.mbox";
  std::vector<std::string> a, b;
  for (int i = 0; i < 25; ++i) a.push_back(mail(i));
  for (int i = 25; i < 40; ++i) b.push_back(mail(i));
  write_mbox(first, a);
  write_mbox(second, b);
  std::vector<std::string> events;
  std::vector<int64_t> ids;
  ImportOptions opt;
  opt.paths = {first, missing, second};
  opt.batch = 4;
  ImportObserver obs;
  obs.mail = [&](const Result<ingest::Outcome>& r) {
    ASSERT_TRUE(r) << r.error().message;
    events.push_back("mail");
    ids.push_back(r->message_id);
  };
  obs.problem = [&](const ImportProblem& p) { events.push_back("problem " + p.path.filename().string()); };
  ImportSource source(rt_->ingest(), opt, obs);
  auto r = source.import(stop_);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->total, 40u);
  EXPECT_EQ(r->count(OutcomeKind::kCreated), 40u);
  EXPECT_EQ(r->source_errors, 1u);
  // The 25 mails of the first file (the 25th committed alone when the missing file is
  // met), then the problem, then the second file's.
  ASSERT_EQ(events.size(), 41u);
  EXPECT_EQ(events[25], "problem no-such.mbox");
  for (size_t i = 0; i < events.size(); ++i)
    if (i != 25) {
      EXPECT_EQ(events[i], "mail") << i;
    }
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  auto raws = rows();
  ASSERT_EQ(raws.size(), 40u);
  std::sort(raws.begin(), raws.end(), [](const auto& x, const auto& y) { return x.id < y.id; });
  for (size_t i = 0; i < raws.size(); ++i) {
    EXPECT_EQ(raws[i].subject, "mail " + std::to_string(i));
    EXPECT_EQ(raws[i].state, store::RawState::kProcessed);
  }
}

// Mails read (spooled, parsed) ahead of a stop are not recorded: a later run imports them,
// and every mail is there once. What the run reports is what it recorded: the batch whose
// outcomes were being said when the stop came, and the one committed behind it.
TEST_F(ImportSourceTest, MailsReadAheadOfAStopComeWithTheNextRun) {
  open();
  auto box = dir_.path() / "in.mbox";
  std::vector<std::string> mails;
  for (int i = 0; i < 50; ++i) mails.push_back(mail(i));
  write_mbox(box, mails);
  ImportOptions opt;
  opt.paths = {box};
  opt.batch = 5;
  size_t seen = 0;
  ImportObserver obs;
  obs.mail = [&](const Result<ingest::Outcome>&) {
    if (++seen == 10) stop_ = true;
  };
  ImportSource source(rt_->ingest(), opt, obs);
  auto r = source.import(stop_);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->stopped);
  EXPECT_EQ(r->total, 15u);
  EXPECT_EQ(seen, 15u);
  EXPECT_EQ(rows().size(), 15u);
  stop_ = false;
  auto rest = import({box}, 7);
  EXPECT_EQ(rest.count(OutcomeKind::kCreated), 35u);
  EXPECT_EQ(rest.count(OutcomeKind::kDuplicate), 15u);
  auto raws = rows();
  ASSERT_EQ(raws.size(), 50u);
  std::set<std::string> subjects;
  for (const auto& m : raws) subjects.insert(m.subject);
  EXPECT_EQ(subjects.size(), 50u);
  auto cases = rt_->store().list_cases(1000);
  ASSERT_TRUE(cases);
  EXPECT_EQ(cases->size(), 50u);
}

// The reply's new text is split from its quoted history where the mail is parsed, on the
// reading thread: the comment keeps the new text, the quote apart, as when it is split at
// the commit.
TEST_F(ImportSourceTest, AReplysCommentKeepsItsNewTextAndTheQuoteApart) {
  open();
  auto box = dir_.path() / "in.mbox";
  const std::string reply =
      "From: user1@example.com\nSubject: Re: mail 1\nMessage-ID: <reply1@example.com>\n"
      "In-Reply-To: <imp1@example.com>\n\nThanks, that fixed it.\n\n"
      "On Mon, 1 Jan 2024 at 10:00, Support <support@corp.example> wrote:\n> body 1\n";
  write_mbox(box, {mail(1), reply});
  auto r = import({box});
  EXPECT_EQ(r.count(OutcomeKind::kCreated), 1u);
  EXPECT_EQ(r.count(OutcomeKind::kUpdated), 1u);
  auto raws = rows();
  ASSERT_EQ(raws.size(), 2u);
  ASSERT_TRUE(raws[0].case_id);
  auto comments = rt_->store().page_comments(*raws[0].case_id, store::PageRequest{});
  ASSERT_TRUE(comments) << comments.error().message;
  ASSERT_EQ(comments->items.size(), 2u);
  const auto& c = comments->items[1];
  EXPECT_EQ(c.body, "Thanks, that fixed it.");
  EXPECT_NE(c.quoted.find("> body 1"), std::string::npos) << c.quoted;
  EXPECT_NE(c.quoted.find("wrote:"), std::string::npos) << c.quoted;
}


// Either thread parses a mail (the reader behind its reading, the committing thread the
// one it needs next): whichever did, every mail is committed once, in the file's order,
// with what its parse found (a reply's split, its thread). Small batches and mails of
// unlike sizes make both threads parse.
TEST_F(ImportSourceTest, EveryMailParsedOnceInOrderWhicheverThreadParsedIt) {
  open();
  auto box = dir_.path() / "in.mbox";
  std::vector<std::string> mails;
  for (int i = 0; i < 120; ++i) {
    if (i % 2 == 0) {
      // Some long, so that parses take unlike times.
      std::string m = mail(i);
      if (i % 6 == 0) m += std::string(20000 + 37 * i, 'a') + "\n";
      mails.push_back(m);
    } else {
      mails.push_back("From: user" + std::to_string(i - 1) + "@example.com\nSubject: Re: mail " +
                      std::to_string(i - 1) + "\nMessage-ID: <re" + std::to_string(i) +
                      "@example.com>\nIn-Reply-To: <imp" + std::to_string(i - 1) +
                      "@example.com>\n\nreply " + std::to_string(i) + "\n\n> quoted " +
                      std::to_string(i - 1) + "\n");
    }
  }
  write_mbox(box, mails);
  for (size_t batch : {1u, 3u, 64u}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    if (batch != 1u) {  // a fresh store for each batch size
      rt_.reset();
      std::filesystem::remove_all(data_);
      SetUp();
      open();
    }
    auto r = import({box}, batch);
    EXPECT_EQ(r.total, 120u);
    EXPECT_EQ(r.count(OutcomeKind::kCreated), 60u);
    EXPECT_EQ(r.count(OutcomeKind::kUpdated), 60u);
    auto raws = rows();
    ASSERT_EQ(raws.size(), 120u);
    std::sort(raws.begin(), raws.end(), [](const auto& x, const auto& y) { return x.id < y.id; });
    for (size_t i = 0; i < raws.size(); i += 2) {
      ASSERT_TRUE(raws[i].case_id && raws[i + 1].case_id) << i;
      EXPECT_EQ(raws[i].subject, "mail " + std::to_string(i));
      EXPECT_EQ(*raws[i + 1].case_id, *raws[i].case_id) << "the reply " << i + 1 << " threads onto its mail";
      auto comments = rt_->store().page_comments(*raws[i].case_id, store::PageRequest{});
      ASSERT_TRUE(comments) << comments.error().message;
      ASSERT_EQ(comments->items.size(), 2u) << i;
      EXPECT_EQ(comments->items[1].body, "reply " + std::to_string(i + 1));
    }
  }
}

}  // namespace
}  // namespace mailcase::channels
