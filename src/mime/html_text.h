// HTML → readable plain text (gumbo). Pure: no I/O.
#pragma once

#include <string>
#include <string_view>

namespace mailcase::mime {

// Paragraphs and line breaks kept, links as "text <url>", lists as "- item", scripts,
// styles and comments dropped, entities decoded, blank lines collapsed. Hostile HTML
// (deep nesting, huge input) is handled in bounded time and stack.
std::string html_to_text(std::string_view html);

// Whether gumbo may parse this HTML in bounded time and memory (size, nesting depth, tag
// count, copies of formatting elements): callers that parse it themselves check first.
bool html_fits_parser(std::string_view html);

}  // namespace mailcase::mime
