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
//
// A group's commit costs mostly its syncs, whatever its size, so the committer lingers a
// little for mails about to come: those between their final dot and deliver() (up to
// kLinger), and, up to the sender linger (1 ms by default), those of the connections that
// will send at once (a Sender with a mail under way, or answered by the last commit: a
// client that keeps its connection sends its next mail right after its answer). With 4
// LMTP connections a group was 2 or 3 mails, each paying the syncs of a whole commit,
// because the connections answered by one commit were still sending when the next began.
class GroupCommit {
 public:
  // A connection that sends mail after mail (LMTP) and says when one is under way. The
  // committer waits, up to the sender linger, for the mails of the Senders that have one
  // under way or were answered by the previous commit; an answered Sender counts only
  // for the next group, so an idle connection holds back one group at most. Optional: a
  // connection that delivers one mail and closes (the delivery socket) has none.
  class Sender {
   public:
    explicit Sender(GroupCommit& commit) : commit_(commit) {}
    ~Sender() {
      std::lock_guard lock(commit_.mu_);
      if (under_way_) --commit_.under_way_;
      if (answered_) forget_answer_locked();
    }
    Sender(const Sender&) = delete;
    Sender& operator=(const Sender&) = delete;

    // From the mail's first command until it is handed over (preparing(this) ends it), or
    // until the mail is given up.
    void mail_under_way(bool on) {
      {
        std::lock_guard lock(commit_.mu_);
        if (on == under_way_) return;
        under_way_ = on;
        if (on) {
          ++commit_.under_way_;
          if (answered_) forget_answer_locked();
        } else {
          --commit_.under_way_;
        }
      }
      commit_.cv_.notify_one();
    }

   private:
    friend class GroupCommit;
    void forget_answer_locked() {
      answered_ = false;
      auto& a = commit_.answered_;
      a.erase(std::find(a.begin(), a.end(), this));
    }
    GroupCommit& commit_;
    bool under_way_ = false;
    bool answered_ = false;  // in commit_.answered_
  };

  // max_batch: mails committed in one transaction at most (lmtp.commit_batch, at least 1).
  // sender_linger: how long a group waits for the mails of its Senders, at most.
  GroupCommit(ingest::MailSink& sink, size_t max_batch,
              std::chrono::microseconds sender_linger = std::chrono::microseconds(1000))
      : sink_(sink),
        max_batch_(std::max<size_t>(1, max_batch)),
        sender_linger_(sender_linger),
        thread_([this] { run(); }) {}
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
  // from: the connection's Sender, whose mail is then no longer under way (in the same
  // step, so that the committer never sees the mail neither under way nor being prepared).
  void preparing(Sender* from = nullptr) {
    std::lock_guard lock(mu_);
    ++preparing_;
    if (from && from->under_way_) {
      from->under_way_ = false;
      --under_way_;
    }
  }
  void done_preparing() {
    {
      std::lock_guard lock(mu_);
      --preparing_;
    }
    cv_.notify_one();
  }

  // Commits the mail with the others waiting; the caller had called preparing(). from:
  // the connection's Sender, if it has one.
  Result<ingest::Outcome> deliver(std::unique_ptr<ingest::PreparedMail> mail, Sender* from = nullptr) {
    Job job{std::move(mail), from, {}};
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
    Sender* from;
    std::promise<Result<ingest::Outcome>> done;
  };

  void run() {
    while (true) {
      std::vector<Job*> jobs;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and nobody waits
        // The mails of the connections that send at once, up to the sender linger.
        cv_.wait_for(lock, sender_linger_, [this] {
          return stop_ || queue_.size() >= max_batch_ || (preparing_ == 0 && under_way_ == 0 && answered_.empty());
        });
        // An answer counts for this group only (a connection left idle holds back no other).
        for (Sender* s : answered_) s->answered_ = false;
        answered_.clear();
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
      {
        // Before the answers: a Sender may send its next mail as soon as it has its own.
        std::lock_guard lock(mu_);
        for (auto* j : jobs) {
          if (j->from && !j->from->answered_ && !j->from->under_way_) {
            j->from->answered_ = true;
            answered_.push_back(j->from);
          }
        }
      }
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
  const std::chrono::microseconds sender_linger_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job*> queue_;
  int preparing_ = 0;              // sessions between a mail's final dot and its deliver()
  int under_way_ = 0;              // Senders with a mail under way
  std::vector<Sender*> answered_;  // Senders answered by the last commit, not yet back
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace mailcase::channels
