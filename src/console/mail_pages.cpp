// Held and failed mail, the outbox, and a mail's HTML in its sandbox.
#include "console/page.h"

namespace mailcase::console {

void mount_mail_pages(web::HttpServer&, Context&) {}

}  // namespace mailcase::console
