#include "channels/agent_roster.h"

#include <sys/stat.h>

#include <iostream>

namespace mailcase::channels {
namespace {

std::string file_identity(const std::string& path) {
  if (path.empty()) return "-";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "absent";
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

std::string mailbox_fingerprint(const store::Mailbox& m) {
  // Fields joined by a byte no setting holds (each is one line of text, checked when added).
  const char sep = '\x1f';
  std::string f;
  for (const std::string& part :
       {std::string(domain::to_string(m.protocol)), m.host, std::to_string(m.port),
        std::string(domain::to_string(m.tls)), m.user, m.password_file, m.folder,
        std::to_string(m.poll_interval_s), std::string(m.idle ? "idle" : "no-idle"),
        domain::to_string(m.after), m.address, m.ca_file, std::string(m.tls_verify ? "verify" : "no-verify"),
        std::string(domain::to_string(m.auth)), m.token_command,
        std::string(m.allow_plaintext_auth ? "plaintext" : "no-plaintext"), file_identity(m.password_file),
        file_identity(m.ca_file)}) {
    f += part;
    f += sep;
  }
  return f;
}

RosterPlan plan_roster(const std::map<std::string, std::string>& running,
                       const std::map<std::string, std::string>& wanted) {
  RosterPlan p;
  for (const auto& [name, print] : running) {
    auto it = wanted.find(name);
    if (it == wanted.end() || it->second != print) p.stop.push_back(name);
  }
  for (const auto& [name, print] : wanted) {
    auto it = running.find(name);
    if (it == running.end() || it->second != print) p.start.push_back(name);
  }
  return p;
}

AgentRoster::AgentRoster(ingest::MailSink& sink, AgentBook& book, size_t batch, uint64_t max_message_bytes)
    : sink_(sink), book_(book), batch_(batch), max_message_bytes_(max_message_bytes) {}

AgentRoster::~AgentRoster() {
  stop_all();
}

void AgentRoster::stop_these(const std::vector<std::string>& names) {
  // All are told first, then waited for: their last mails finish side by side.
  for (const auto& n : names)
    if (auto it = running_.find(n); it != running_.end()) it->second->stop = true;
  for (const auto& n : names) {
    auto it = running_.find(n);
    if (it == running_.end()) continue;
    if (it->second->thread.joinable()) it->second->thread.join();
    running_.erase(it);
  }
}

void AgentRoster::sync(const std::vector<store::Mailbox>& mailboxes) {
  std::map<std::string, std::string> running, wanted;
  std::map<std::string, const store::Mailbox*> by_name;
  for (const auto& [name, r] : running_) running[name] = r->fingerprint;
  for (const auto& m : mailboxes) {
    wanted[m.name] = mailbox_fingerprint(m);
    by_name[m.name] = &m;
  }
  const RosterPlan plan = plan_roster(running, wanted);
  stop_these(plan.stop);
  for (const auto& name : plan.stop) {
    if (!wanted.contains(name)) std::cerr << "mailbox " << name << ": agent stopped (removed)" << std::endl;
  }
  for (const auto& name : plan.start) {
    auto r = std::make_unique<Running>();
    r->mailbox = *by_name[name];
    r->fingerprint = wanted[name];
    r->ctx = std::make_unique<AgentContext>(AgentContext{sink_, book_, r->stop, batch_, max_message_bytes_});
    Running* raw = r.get();
    const bool restarted = running.contains(name);
    r->thread = std::thread([raw] { run_agent(raw->mailbox, *raw->ctx); });
    running_[name] = std::move(r);
    std::cerr << "mailbox " << name << ": agent " << (restarted ? "restarted (settings changed)" : "started")
              << std::endl;
  }
}

void AgentRoster::stop_all() {
  std::vector<std::string> names;
  for (const auto& [name, r] : running_) names.push_back(name);
  stop_these(names);
}

}  // namespace mailcase::channels
