// `GET /healthz`: whether this process can do its work: the store answers a read, and the
// spool directory (where every mail's bytes go first) takes a new file. The route answers
// 200 with to_json() when ok, else 503 with it.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "store/store.h"

namespace mailcase::metrics {

struct HealthReport {
  bool ok = true;
  // (check, "ok" or a fixed text saying what failed), in the order they ran. The details
  // of a failure go to the log, not here: the answer may be seen by anyone who can reach
  // the route.
  std::vector<std::pair<std::string, std::string>> checks;
};

// The report of these checks: ok when every one says "ok". Pure.
HealthReport make_report(std::vector<std::pair<std::string, std::string>> checks);

// Runs the checks: "store" reads through a pooled read unit (store.open_unit), "spool"
// makes spool_dir when it is missing (as the spool does before its first mail: the data
// directory's "spool"), then creates and removes a file in it (so a directory that
// cannot be made, or is unwritable or read-only, fails). Takes at most the store's wait for a pooled
// connection.
HealthReport check_health(store::Store& store, const std::filesystem::path& spool_dir);

// {"status": "ok" | "fail", "checks": {"store": "ok", "spool": "…"}}
std::string to_json(const HealthReport& report);

}  // namespace mailcase::metrics
