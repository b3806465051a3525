// A mail's HTML in its sandbox: GET /messages/{id}/html (id: the raw message's) answers
// the HTML cleaned by mail_html.h with a CSP of its own, and GET /messages/{id}/cid/{cid}
// serves that mail's inline images to it. Only for a logged-in agent.
//
// Contracts:
// - The HTML's CSP, also when the endpoint is opened directly (not in a frame):
//   `sandbox allow-popups allow-popups-to-escape-sandbox` (no scripts, an opaque origin:
//   no cookie, no storage, no form), `default-src 'none'`, `style-src 'unsafe-inline'`,
//   `img-src data:` and the cid: proxy of that message only (plus `https:` when the agent
//   asked, with ?images=remote, for this one answer), `frame-ancestors 'self'`; nosniff,
//   no-store, no referrer. The HTML carries nothing of ours: no session, no CSRF token.
// - The cid: proxy serves raster images only (png, gif, jpeg, webp), never svg or HTML,
//   with nosniff and a sandbox CSP of its own. The frame's document has an opaque origin,
//   so browsers send no SameSite cookie with its image requests: the HTML's cid: links
//   carry ?e=EXPIRES&s=HMAC, a token for that message's inline images alone, valid for an
//   hour, keyed by DATA/console-images.key (shared by every process on the data
//   directory). Without a valid token the proxy needs a logged-in agent like any page.
// - A page that embeds the frame puts mail_frame_src(req) in its CSP's frame-src, and the
//   iframe gets sandbox="allow-popups allow-popups-to-escape-sandbox" (never scripts).
#pragma once

#include <httplib.h>

#include <string>
#include <string_view>

#include "config/config.h"
#include "mime/parser.h"
#include "store/model.h"
#include "util/result.h"
#include "web/http_server.h"

namespace mailcase::console {

struct Context;

// The CSP frame-src value for pages that embed a mail's HTML: "http://HOST[:PORT]/messages/"
// from the request's Host header (an http source also matches https in CSP 3, so this
// holds behind a TLS proxy), or 'self' when the Host header is absent or not a plain
// host[:port].
std::string mail_frame_src(const httplib::Request& req);

// "http://HOST[:PORT]" + path from the Host header, or "'self'" as above.
std::string own_source(const httplib::Request& req, std::string_view path);

// The HTML answer's Content-Security-Policy; img_source: where the message's cid: proxy
// is (own_source(req, "/messages/{id}/cid/")).
std::string mail_html_policy(std::string_view img_source, bool remote_images);

// The attribute value of the iframe that shows a mail's HTML.
inline constexpr std::string_view kMailFrameSandbox = "allow-popups allow-popups-to-escape-sandbox";

// A raw message's row and its bytes as they arrived. kNotFound when there is no such
// message; kTemporary when this process has no ingest pipeline (ctx.ingest: the spool).
struct RawMail {
  store::RawMessage row;
  std::string bytes;
};
Result<RawMail> load_raw_mail(Context& ctx, store::Id id);
// The MIME parser's limits from the [limits] settings, as ingest parses with them.
mime::ParseLimits parse_limits(const config::Limits& limits);

void mount_mail_frame(web::HttpServer& server, Context& ctx);

}  // namespace mailcase::console
