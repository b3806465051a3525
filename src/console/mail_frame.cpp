// Until the mail endpoint's own origin is decided (mail_pages.cpp), the frames load from
// the console's origin.
#include "console/mail_frame.h"

namespace mailcase::console {

std::string mail_frame_src(const httplib::Request&) {
  return "'self'";
}

}  // namespace mailcase::console
