// The mailbox agents one `serve` runs, kept in step with the mailboxes in the store while
// it runs: a mailbox added (by the console, the API or the command line) gets an agent, a
// removed one's agent stops, and a changed one's agent restarts on the new settings.
//
// A mailbox's agent is "the same" while its fingerprint is: its settings, and the identity
// (inode, size, modification time) of its password and CA files, so that a new password
// stored for it (mailcase rewrites the file) restarts its agent too.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "channels/mailbox_agent.h"

namespace mailcase::channels {

// What a mailbox's agent runs on, as one text (reads the identity of its secret files).
std::string mailbox_fingerprint(const store::Mailbox& m);

struct RosterPlan {
  std::vector<std::string> stop;   // names of the agents to stop (removed or changed)
  std::vector<std::string> start;  // names of the mailboxes to start agents for (new or changed)
};

// Pure. running: name → fingerprint of the agents running; wanted: name → fingerprint of
// the mailboxes in the store. A changed mailbox is in both lists; names come sorted.
RosterPlan plan_roster(const std::map<std::string, std::string>& running,
                       const std::map<std::string, std::string>& wanted);

class AgentRoster {
 public:
  // Borrows sink and book, which must outlive the roster.
  AgentRoster(ingest::MailSink& sink, AgentBook& book, size_t batch, uint64_t max_message_bytes);
  ~AgentRoster();  // stop_all()
  AgentRoster(const AgentRoster&) = delete;
  AgentRoster& operator=(const AgentRoster&) = delete;

  // Starts, stops and restarts agents so that exactly one runs per mailbox given, on its
  // settings as given. An agent stopped finishes the mail in hand first (ack after commit).
  // One thread at a time.
  void sync(const std::vector<store::Mailbox>& mailboxes);
  // Stops every agent and waits for them.
  void stop_all();
  size_t size() const { return running_.size(); }

 private:
  struct Running {
    store::Mailbox mailbox;
    std::string fingerprint;
    std::atomic<bool> stop{false};
    std::unique_ptr<AgentContext> ctx;
    std::thread thread;
  };
  void stop_these(const std::vector<std::string>& names);

  ingest::MailSink& sink_;
  AgentBook& book_;
  size_t batch_;
  uint64_t max_message_bytes_;
  std::map<std::string, std::unique_ptr<Running>> running_;
};

}  // namespace mailcase::channels
