// Attachment file names made safe to show and to save. Pure.
#pragma once

#include <string>
#include <string_view>

namespace mailcase::mime {

// Drops any directory part (both / and \), control characters, leading dots and
// trailing spaces/dots; keeps Unicode letters; limits length to 200 bytes keeping the
// extension; never returns empty (uses fallback, e.g. "attachment-2.pdf").
std::string safe_filename(std::string_view name, std::string_view fallback);

// The Content-Disposition value that makes a browser save `name` (safe_filename's result)
// rather than show it: an ASCII name for old clients (", \ and anything outside printable
// ASCII as _) and the exact one as RFC 8187 UTF-8 (filename*=UTF-8''…).
std::string attachment_disposition(std::string_view name);

// The content type an attachment is served with: the stored one (lower-cased, without
// parameters) when a browser cannot run it (images but SVG, audio, video, PDF, plain
// text, office documents, archives), else application/octet-stream. The download is an
// attachment with nosniff in any case; this keeps a stored text/html or SVG from ever
// being rendered as ours.
std::string harmless_content_type(std::string_view stored);

}  // namespace mailcase::mime
