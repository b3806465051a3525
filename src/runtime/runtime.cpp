#include "runtime/runtime.h"

#include "ingest/pipeline.h"
#include "mime/parser.h"
#include "outbound/signed_link.h"
#include "outbound/templates.h"
#include "services/case_services.h"
#include "spool/blob_store.h"
#include "spool/raw_spool.h"
#include "store/store.h"

namespace mailcase::runtime {

// Declared in the order they are built: each borrows the ones above it.
struct Runtime::Parts {
  Parts(std::filesystem::path dir, config::Config c, const domain::Clock& k)
      : data_dir(std::move(dir)), cfg(std::move(c)), clock(k) {}
  std::filesystem::path data_dir;
  config::Config cfg;
  const domain::Clock& clock;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<spool::FileBlobStore> blobs;
  std::unique_ptr<spool::RawSpool> raws;
  std::unique_ptr<outbound::Templates> templates;
  std::unique_ptr<outbound::LinkSigner> links;
  std::unique_ptr<services::CaseServices> cases;
  std::unique_ptr<ingest::Pipeline> ingest;
};

Result<std::unique_ptr<Runtime>> Runtime::open(const std::filesystem::path& data_dir, config::Config cfg,
                                               const domain::Clock& clock) {
  auto p = std::make_unique<Parts>(data_dir, std::move(cfg), clock);
  std::error_code ec;
  std::filesystem::create_directories(data_dir / "blobs", ec);
  if (ec) return fail(ErrorCode::kTemporary, "cannot create " + (data_dir / "blobs").string());
  store::SqliteOptions opts;
  opts.synchronous_full = p->cfg.storage.sync == "full";
  MC_ASSIGN_OR_RETURN(p->store, store::open_sqlite(data_dir / "mailcase.db", opts));
  p->blobs = std::make_unique<spool::FileBlobStore>(data_dir / "blobs", false);
  p->raws = std::make_unique<spool::RawSpool>(data_dir / "spool", *p->blobs);
  MC_ASSIGN_OR_RETURN(auto signer, outbound::LinkSigner::from_data_dir(data_dir));
  p->links = std::make_unique<outbound::LinkSigner>(std::move(signer));
  p->templates = std::make_unique<outbound::Templates>(data_dir / "templates");
  p->cases = std::make_unique<services::CaseServices>(*p->store, p->cfg, *p->templates, *p->links,
                                                      p->blobs.get(), p->clock);
  p->ingest = std::make_unique<ingest::Pipeline>(*p->store, *p->raws, p->cfg, *p->cases);
  return std::unique_ptr<Runtime>(new Runtime(std::move(p)));
}

Runtime::Runtime(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
Runtime::~Runtime() = default;

const std::filesystem::path& Runtime::data_dir() const {
  return parts_->data_dir;
}
const config::Config& Runtime::config() const {
  return parts_->cfg;
}
const domain::Clock& Runtime::clock() const {
  return parts_->clock;
}
store::Store& Runtime::store() {
  return *parts_->store;
}
spool::FileBlobStore& Runtime::blobs() {
  return *parts_->blobs;
}
spool::RawSpool& Runtime::raw_spool() {
  return *parts_->raws;
}
const outbound::Templates& Runtime::templates() const {
  return *parts_->templates;
}
const outbound::LinkSigner& Runtime::links() const {
  return *parts_->links;
}
services::CaseServices& Runtime::cases() {
  return *parts_->cases;
}
ingest::Pipeline& Runtime::ingest() {
  return *parts_->ingest;
}

}  // namespace mailcase::runtime
