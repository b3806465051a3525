// Queues and their members, and the agents' notification settings: the writes the
// command line (`queue …`, `agent set`) and the REST API share. Each checks its input,
// then writes in one unit of work of its own (Store::open_unit, callable from any thread).
//
// Errors: kInvalidInput ("FIELD: why"), kNotFound (no such agent, queue or member),
// kConflict (a queue of that name exists), kTemporary as the store's.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/admin.h"
#include "store/store.h"

namespace mailcase::admin {

inline constexpr size_t kMaxQueueNameBytes = 200;  // as a case's queue field
inline constexpr size_t kMaxQueueAgents = 100;     // members named in one request

// A queue's name is what cases and routing addresses name it by: one line of clean text,
// 1..kMaxQueueNameBytes, no spaces around it. Pure.
std::optional<Invalid> check_queue_name(std::string_view name);

// Makes the queue with these members (agents' emails, any letter case), all or nothing:
// kNotFound naming an email that is no agent's, kConflict when the queue has a row
// already, kInvalidInput for a bad name or more than kMaxQueueAgents emails.
Result<store::Queue> add_queue(store::Store& st, std::string_view name,
                               const std::vector<std::string>& agents, std::string_view actor = kCliActor);
// Every queue (with a row or named on an open case) by name, with members and open counts.
Result<std::vector<store::Queue>> list_queues(store::Store& st);
// Makes the agent a member (again: nothing changes). A queue named only on cases gets its
// row here. kNotFound when the email is no agent's. Returns the queue as it now is.
Result<store::Queue> add_queue_member(store::Store& st, std::string_view queue, std::string_view email,
                                      std::string_view actor = kCliActor);
// kNotFound when the queue has no row, the email is no agent's, or the agent is no member.
Result<store::Queue> remove_queue_member(store::Store& st, std::string_view queue, std::string_view email,
                                         std::string_view actor = kCliActor);

// Sets the notification settings given; returns the agent as stored. kNotFound when the
// email is no agent's.
Result<store::Agent> set_agent_notify(store::Store& st, std::string_view email,
                                      const store::NotifySettingsPatch& patch);

}  // namespace mailcase::admin
