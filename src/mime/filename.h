// Attachment file names made safe to show and to save. Pure.
#pragma once

#include <string>
#include <string_view>

namespace mailcase::mime {

// Drops any directory part (both / and \), control characters, leading dots and
// trailing spaces/dots; keeps Unicode letters; limits length to 200 bytes keeping the
// extension; never returns empty (uses fallback, e.g. "attachment-2.pdf").
std::string safe_filename(std::string_view name, std::string_view fallback);

}  // namespace mailcase::mime
