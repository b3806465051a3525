// Where the console's pages may load a mail's formatted view from (the page's CSP
// frame-src): the endpoint /messages/{id}/html of the request's own origin.
#pragma once

#include <httplib.h>

#include <string>

namespace mailcase::console {

// The CSP frame-src source list for a page showing mails in frames.
std::string mail_frame_src(const httplib::Request& req);

}  // namespace mailcase::console
