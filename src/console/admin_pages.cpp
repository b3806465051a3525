// The administrators' pages: routing addresses, mailboxes, templates, agents.
#include "console/page.h"

namespace mailcase::console {

void mount_admin_pages(web::HttpServer&, Context&) {}

}  // namespace mailcase::console
