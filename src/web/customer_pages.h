// The customer's pages (UI2), served by `mailcase serve --http HOST:PORT`: a case with
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

namespace mailcase::web {

class CustomerPages {
 public:
  // clock: the owner's, which must outlive the pages; links are checked against its now.
  CustomerPages(std::filesystem::path data_dir, config::Config cfg,
                const domain::Clock& clock = domain::system_clock());
  ~CustomerPages();
  CustomerPages(const CustomerPages&) = delete;
  CustomerPages& operator=(const CustomerPages&) = delete;

  // Opens the store and binds; port 0 picks a free one (see bound_port).
  [[nodiscard]] Status listen(const std::string& host, int port);
  int bound_port() const;
  void serve();  // until stop()
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mailcase::web
