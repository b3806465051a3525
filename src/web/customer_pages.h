// The customer's pages (UI2), served by `mailcase serve --http HOST:PORT`, or on a
// listener of their own with `--public-http HOST:PORT` (web/http_server.h): a case with
// its public thread, accept / reject while a solution is proposed, and the survey
// after closing. Reached only through the signed, expiring links in our mails; a
// modified, expired or other case's link gets a page that says so and shows nothing.
// Actions are forms (POST): a link opened by a mail scanner changes nothing.
//
// A page is in the contact's language, chosen as the mails choose theirs (the
// contact's, else outbound.default_language; one the mails have no texts for reads as
// English), with the console's look (/assets/console.css) and dates as <time> elements
// that /assets/console.js shows in the reader's time zone: the listener that serves the
// pages must serve /assets/ too (console::mount_assets).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "domain/clock.h"
#include "util/result.h"

namespace httplib {
struct Response;
}
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

// The pages' pure parts, without I/O.

// The language a contact's pages are in: contact_language, else default_language (as
// the mails choose), and "en" when the pages have no texts for it.
std::string page_language(std::string_view contact_language, std::string_view default_language);
// Whether the pages have their texts in language (every language the mails have).
bool has_page_texts(std::string_view language);

// Who wrote a customer's comment, as the customer pages show it: the case contact's
// name (or address, when the name is not a plain name) when the comment is theirs (the
// author is one of their addresses, or "customer" for what they did on the pages),
// else the name in the author's "Name <address>", else the author as recorded.
// contact_name / contact_emails: the case's contact (empty when it has none).
std::string inbound_sender(std::string_view author, std::string_view contact_name,
                           const std::vector<std::string>& contact_emails);

// An ISO 8601 UTC time as the store writes it ("2026-12-01T20:00:00Z") in a <time
// datetime> element whose text reads "2026-12-01 20:00 UTC" until console.js shows it
// in the reader's own zone and language. Escaped markup.
std::string time_element(std::string_view iso);

// The headers of a customer page: its own CSP (styles and scripts only from us, no
// inline ones), in place of the server's default, which allows neither.
void set_page_headers(httplib::Response& res);

}  // namespace mailcase::web
