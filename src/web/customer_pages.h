// The customer's pages (UI2), served by `mailcase serve --http HOST:PORT` (web/http_server.h): a case with
// its public thread, accept / reject while a solution is proposed, and the survey
// after closing. Reached only through the signed, expiring links in our mails; a
// modified, expired or other case's link gets a page that says so and shows nothing.
// Actions are forms (POST): a link opened by a mail scanner changes nothing.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "config/config.h"
#include "domain/clock.h"
#include "util/result.h"

namespace mailcase::store {
class Store;
}
namespace mailcase::services {
class CaseServices;
}
namespace mailcase::outbound {
class LinkSigner;
}

namespace mailcase::web {

class HttpServer;

class CustomerPages {
 public:
  // Borrows the runtime's parts, which must outlive the pages. Pages read through pooled
  // read units of `store` and change cases only through `cases`; requests run side by
  // side. Links are checked against clock's now.
  CustomerPages(store::Store& store, services::CaseServices& cases, const config::Config& cfg,
                const outbound::LinkSigner& links, const domain::Clock& clock = domain::system_clock());
  ~CustomerPages();
  CustomerPages(const CustomerPages&) = delete;
  CustomerPages& operator=(const CustomerPages&) = delete;

  // Adds the pages' routes ("/case/…", and "/" when with_root: on a listener of their
  // own, not beside the console, which owns "/") to server; the pages must outlive it.
  void mount(HttpServer& server, bool with_root = true);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mailcase::web
