// The agents' console (UI1), served by `mailcase serve --http` from "/": login with the
// agents' passwords, the queues, the case list and the case page with every action, held
// and failed mail, the outbox, and the admin pages. Server-rendered HTML with htmx
// (served from the binary); a thin door like the REST API: it reads through pooled read
// units and changes cases only through the case services.
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

namespace mailcase::console {

struct Context;

class Console {
 public:
  // Borrows the runtime's parts, which must outlive the console.
  Console(store::Store& store, services::CaseServices& cases, const config::Config& cfg,
          const domain::Clock& clock, std::filesystem::path data_dir);
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  // Adds every page, the static assets and the console's areas (body limits) to server.
  void mount(web::HttpServer& server);
  // The runtime's ingest pipeline (retrying held and failed mail); without it those
  // actions say the service is unavailable.
  void set_ingest(ingest::Pipeline& pipeline);

 private:
  std::unique_ptr<Context> ctx_;
};

}  // namespace mailcase::console
