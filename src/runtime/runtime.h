// The composition root: what one mailcase process runs on, built once by the command
// line (every command, `serve` included) and by tests. It alone opens the database; the
// doors (ingest, the mailbox agents, LMTP, the outbox, the web pages) get what they need
// from it and change cases only through its case services.
//
// Threads: store() belongs to the thread that opened the runtime, and to ingest (which
// serializes its own use); any other thread works through pooled units of work
// (store().open_unit()), which the case services' own form does.
#pragma once

#include <filesystem>
#include <memory>

#include "config/config.h"
#include "domain/clock.h"
#include "util/result.h"

namespace mailcase::store {
class Store;
}
namespace mailcase::spool {
class FileBlobStore;
class RawSpool;
}  // namespace mailcase::spool
namespace mailcase::outbound {
class Templates;
class LinkSigner;
}  // namespace mailcase::outbound
namespace mailcase::services {
class CaseServices;
}
namespace mailcase::ingest {
class Pipeline;
}

namespace mailcase::runtime {

class Runtime {
 public:
  // Opens the data directory made by `mailcase init`: its store (migrated), blobs, spool,
  // templates and link key. clock: the owner's, which must outlive the runtime.
  [[nodiscard]] static Result<std::unique_ptr<Runtime>> open(
      const std::filesystem::path& data_dir, config::Config cfg,
      const domain::Clock& clock = domain::system_clock());
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  const std::filesystem::path& data_dir() const;
  const config::Config& config() const;
  const domain::Clock& clock() const;
  store::Store& store();
  spool::FileBlobStore& blobs();
  spool::RawSpool& raw_spool();
  const outbound::Templates& templates() const;
  const outbound::LinkSigner& links() const;
  services::CaseServices& cases();
  ingest::Pipeline& ingest();

 private:
  struct Parts;
  explicit Runtime(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace mailcase::runtime
