// The agents' REST API (UI3), served by `mailcase serve --http` under /api/v1/, with
// /healthz and /metrics beside it. A thin door: it authenticates the bearer token,
// checks the agent's role, reads through pooled read units and changes cases only
// through the case services; JSON shapes are present/json.h's.
#pragma once

#include <filesystem>
#include <memory>

#include "config/config.h"
#include "domain/clock.h"

namespace mailcase::store {
class Store;
}
namespace mailcase::services {
class CaseServices;
}
namespace mailcase::web {
class HttpServer;
}
namespace mailcase::ingest {
class Pipeline;
}

namespace mailcase::api {

struct Context;

class Api {
 public:
  // Borrows the runtime's parts, which must outlive the API; data_dir is the data
  // directory (its spool is checked by /healthz).
  Api(store::Store& store, services::CaseServices& cases, const config::Config& cfg,
      const domain::Clock& clock, std::filesystem::path data_dir);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Adds every route, and the /api/ area (its body limit, problem+json errors).
  void mount(web::HttpServer& server);
  // The runtime's ingest pipeline, which must outlive the API: the held and failed mail's
  // bytes and retries go through it (without it those routes answer 503).
  void set_ingest(ingest::Pipeline& pipeline);

 private:
  std::unique_ptr<Context> ctx_;
};

}  // namespace mailcase::api
