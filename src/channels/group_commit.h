// Group commit: connections hand their prepared mails to one committing thread, which
// commits everything waiting at that moment in one transaction (one sync). Shared by the
// LMTP listener and the delivery socket (lmtp_server.h, deliver_socket.h).
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ingest/ingest.h"
#include "util/result.h"

namespace mailcase::channels {

// Sessions hand their finished mail over and wait; one thread commits everything
// waiting at that moment with one deliver_prepared (one transaction, one sync). The
// costly part (spooling, MIME and HTML parsing) is done by each session on its own
// thread beforehand (MailSink::prepare), so one hard mail never holds back the
// commits of the others.
class GroupCommit {
 public:
  // max_batch: mails committed in one transaction at most (lmtp.commit_batch, at least 1).
  GroupCommit(ingest::MailSink& sink, size_t max_batch)
      : sink_(sink), max_batch_(std::max<size_t>(1, max_batch)), thread_([this] { run(); }) {}
  ~GroupCommit() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // A session says it is preparing a mail (spooling, parsing) from its final dot until
  // it hands the mail over (deliver) or gives up (done_preparing): the committer waits a
  // little for such mails, so that mails finished together share one commit.
  void preparing() {
    std::lock_guard lock(mu_);
    ++preparing_;
  }
  void done_preparing() {
    {
      std::lock_guard lock(mu_);
      --preparing_;
    }
    cv_.notify_one();
  }

  // Commits the mail with the others waiting; the caller had called preparing().
  Result<ingest::Outcome> deliver(std::unique_ptr<ingest::PreparedMail> mail) {
    Job job{std::move(mail), {}};
    auto done = job.done.get_future();
    {
      std::lock_guard lock(mu_);
      queue_.push_back(&job);
      --preparing_;
    }
    cv_.notify_one();
    return done.get();
  }

 private:
  struct Job {
    std::unique_ptr<ingest::PreparedMail> mail;
    std::promise<Result<ingest::Outcome>> done;
  };

  void run() {
    while (true) {
      std::vector<Job*> jobs;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and nobody waits
        // Mails still being parsed on other sessions join this commit if they come
        // within kLinger: one commit (one sync) for them all instead of one more after
        // this one. A usual mail's parse takes well under it; a hard one holds the
        // others back by kLinger at most.
        cv_.wait_for(lock, kLinger,
                     [this] { return stop_ || preparing_ == 0 || queue_.size() >= max_batch_; });
        while (!queue_.empty() && jobs.size() < max_batch_) {
          jobs.push_back(queue_.front());
          queue_.pop_front();
        }
      }
      std::vector<std::unique_ptr<ingest::PreparedMail>> mails;
      mails.reserve(jobs.size());
      for (auto* j : jobs) mails.push_back(std::move(j->mail));
      auto results = sink_.deliver_prepared(std::move(mails));
      for (size_t i = 0; i < jobs.size(); ++i) {
        jobs[i]->done.set_value(i < results.size()
                                    ? std::move(results[i])
                                    : Result<ingest::Outcome>(fail(ErrorCode::kInternal, "not processed")));
      }
    }
  }

  static constexpr auto kLinger = std::chrono::milliseconds(5);

  ingest::MailSink& sink_;
  const size_t max_batch_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job*> queue_;
  int preparing_ = 0;  // sessions between a mail's final dot and its deliver()
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace mailcase::channels
