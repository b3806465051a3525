#include "metrics/health.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

namespace mailcase::metrics {
namespace {

constexpr const char* kOk = "ok";

std::string check_store(store::Store& store) {
  auto u = store.open_unit(store::Access::kRead);
  if (!u) {
    spdlog::warn("healthz: no store connection: {}", u.error().message);
    return "fail: the store gave no connection";
  }
  // A small table read whole: any answer shows the database file is readable.
  if (auto r = u->routing().list_addresses(); !r) {
    spdlog::warn("healthz: the store did not answer a read: {}", r.error().message);
    return "fail: the store did not answer a read";
  }
  return kOk;
}

std::string check_spool(const std::filesystem::path& dir) {
  std::error_code ec;
  // Made as the spool makes it before its first mail: a fresh data directory is healthy.
  std::filesystem::create_directories(dir, ec);
  if (!std::filesystem::is_directory(dir, ec)) {
    spdlog::warn("healthz: {} is not a directory{}", dir.string(), ec ? ": " + ec.message() : "");
    return "fail: the spool directory is missing";
  }
  // The spool ignores names that are not its segments', so a probe left by a crash
  // between these two calls is harmless.
  std::string probe = (dir / ".healthz-XXXXXX").string();
  const int fd = ::mkstemp(probe.data());
  if (fd < 0) {
    spdlog::warn("healthz: cannot create a file in {}: {}", dir.string(), std::strerror(errno));
    return "fail: the spool directory is not writable";
  }
  ::close(fd);
  if (::unlink(probe.c_str()) != 0) {
    spdlog::warn("healthz: cannot remove {}: {}", probe, std::strerror(errno));
    return "fail: the spool directory is not writable";
  }
  return kOk;
}

}  // namespace

HealthReport make_report(std::vector<std::pair<std::string, std::string>> checks) {
  HealthReport r;
  r.checks = std::move(checks);
  for (const auto& [name, result] : r.checks) {
    if (result != kOk) r.ok = false;
  }
  return r;
}

HealthReport check_health(store::Store& store, const std::filesystem::path& spool_dir) {
  return make_report({{"store", check_store(store)}, {"spool", check_spool(spool_dir)}});
}

std::string to_json(const HealthReport& report) {
  nlohmann::json checks = nlohmann::json::object();
  for (const auto& [name, result] : report.checks) checks[name] = result;
  nlohmann::json j = {{"status", report.ok ? "ok" : "fail"}, {"checks", checks}};
  return j.dump();
}

}  // namespace mailcase::metrics
