// Processes with stages (issue 15, CW4): the writes the command line (`process …`) and
// the REST API share. Each checks its input (domain/process.h), then works in one unit
// of work of its own (Store::open_unit, callable from any thread).
//
// Errors: kInvalidInput ("FIELD: why"), kConflict (a process of that name exists),
// kTemporary as the store's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "admin/admin.h"
#include "domain/process.h"
#include "store/store.h"

namespace mailcase::admin {

// Adds the process with these stages, in their order; returns it as stored.
Result<store::Process> add_process(store::Store& st, std::string_view name,
                                   const std::vector<std::string>& stages,
                                   std::string_view actor = kCliActor);
// Every process, by name.
Result<std::vector<store::Process>> list_processes(store::Store& st);
// Inside a unit: kInvalidInput "process: no process NAME" when a non-empty name is no
// process's (a routing address or mailbox may name only one that exists); "" is fine.
Status check_process_exists(store::UnitOfWork& u, std::string_view name);

}  // namespace mailcase::admin
