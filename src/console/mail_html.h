// A mail's HTML made fit to show in the console's sandboxed frame. Pure: no I/O.
//
// Mail HTML is hostile. The frame's own CSP (mail_frame.h) is what stops scripts and
// loads; this cleaner is the second wall, so that a browser that ignores part of that
// policy still gets nothing active:
// - kept: the elements of formatted text, tables, images and links; everything else is
//   either dropped with its content (script, iframe, frame, object, embed, applet, form
//   controls, base, meta, link, svg, math, template, title...) or unwrapped (its text
//   kept: form, unknown elements);
// - attributes only from an allowlist: every on* handler, srcdoc, action, formaction,
//   xlink:href, srcset and the like are gone;
// - links only to http, https, mailto and tel (after removing what browsers ignore in a
//   URL: tabs, newlines, leading controls), opening in a new tab with
//   rel="noopener noreferrer"; relative links would point into the console: dropped;
// - images only from the mail itself (cid:, rewritten to our cid: proxy), raster data:
//   images, and https: images when the agent asked for remote images; a remote image
//   otherwise is left out and counted;
// - CSS (style attributes and <style>) keeps no url(), image-set() or @import unless
//   remote images are allowed, and no CSS escapes that could spell them.
// Work is bounded: the HTML is cut at kMaxMailHtmlBytes, and HTML nested too deeply
// for the parser is shown as text; the walk is iterative (no recursion on depth).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mailcase::console {

inline constexpr size_t kMaxMailHtmlBytes = 2 * 1024 * 1024;

struct MailHtmlOptions {
  std::string cid_prefix;      // where cid: URLs point, e.g. "/messages/12/cid/"
  bool remote_images = false;  // https: images (never http:) are kept
  std::string cid_query;       // appended to each, e.g. "?e=...&s=..." (the proxy's token)
};

struct CleanMailHtml {
  std::string html;       // a whole document, UTF-8
  bool cut = false;       // the HTML was longer than kMaxMailHtmlBytes: its beginning only
  bool as_text = false;   // too deeply nested or large to parse: shown as its text
  int remote_images = 0;  // remote images left out (always 0 with remote_images)
};

// extra_note: a note of ours shown above the mail (e.g. the parser cut the body); "" none.
CleanMailHtml clean_mail_html(std::string_view html, const MailHtmlOptions& opt,
                              std::string_view extra_note = "");

enum class UrlUse { kLink, kImage };
enum class UrlVerdict { kKeep, kDrop, kRemoteImage };
struct CheckedUrl {
  UrlVerdict verdict = UrlVerdict::kDrop;
  std::string url;  // with kKeep: the URL to write (cid: rewritten to the proxy)
};
// What becomes of a URL written in the mail (entities already decoded by the parser).
CheckedUrl check_mail_url(std::string_view url, UrlUse use, const MailHtmlOptions& opt);

// CSS from a style attribute or a <style> element, with loads removed unless
// remote_images (see above).
std::string clean_mail_css(std::string_view css, bool remote_images);

// "%"-escapes every byte of a Content-ID but the unreserved ones: a path segment.
std::string encode_content_id(std::string_view cid);

}  // namespace mailcase::console
