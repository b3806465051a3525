#include "console/mail_frame.h"

#include <sodium.h>

#include <filesystem>
#include <map>
#include <mutex>

#include "console/mail_html.h"
#include "console/page.h"
#include "ingest/blob_reader.h"
#include "ingest/pipeline.h"
#include "spool/blob_store.h"
#include "util/secret_file.h"
#include "util/text.h"

namespace mailcase::console {
namespace {

// Largest inline image the cid: proxy serves; a bigger part is not shown.
constexpr uint64_t kMaxInlineImageBytes = 10 * 1024 * 1024;
// How long the image links of one answer of the HTML endpoint stay valid (and no longer
// than the session that asked for it).
constexpr int64_t kImageLinkSeconds = 3600;

// The key of the cid: proxy's links: DATA/console-images.key (32 random bytes, 0600),
// the same for every process on this data directory. Read once per data directory.
Result<std::string> image_key(const std::filesystem::path& data_dir) {
  static std::mutex mu;
  static std::map<std::filesystem::path, std::string> keys;
  std::lock_guard lock(mu);
  if (auto it = keys.find(data_dir); it != keys.end()) return it->second;
  MC_ASSIGN_OR_RETURN(auto key,
                      load_or_create_key(data_dir / "console-images.key", crypto_auth_hmacsha256_KEYBYTES));
  return keys[data_dir] = std::move(key);
}

// The link names the session it was made for by the session's key in the store (a digest
// of its cookie, from which the cookie cannot be had): once that session ends (logout, its
// limits, its agent disabled) its links show nothing.
std::string image_mac(const std::string& key, store::Id id, int64_t expires, std::string_view session) {
  const std::string msg = "mailcase console cid v2:" + std::to_string(id) + ":" + std::to_string(expires) +
                          ":" + std::string(session);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                         reinterpret_cast<const unsigned char*>(key.data()));
  return text::hex(mac, sizeof mac);
}

// Whether the request carries a valid, unexpired image link for message id, of a session
// that is still live.
bool image_link_valid(Context& ctx, const httplib::Request& req, store::Id id) {
  const std::string e = req.get_param_value("e"), sig = req.get_param_value("s"),
                    k = req.get_param_value("k");
  if (e.empty() || e.size() > 18 || sig.size() != 2 * crypto_auth_hmacsha256_BYTES) return false;
  if (k.empty() || k.size() > 128) return false;
  int64_t expires = 0;
  for (char c : e) {
    if (c < '0' || c > '9') return false;
    expires = expires * 10 + (c - '0');
  }
  if (expires < ctx.clock.now()) return false;
  auto key = image_key(ctx.data_dir);
  if (!key) return false;
  const std::string want = image_mac(*key, id, expires, k);
  if (sodium_memcmp(want.data(), sig.data(), want.size()) != 0) return false;
  auto live = ctx.sessions.live(k);
  return live && *live;
}

// Keeps the parts the parser stores in memory, each up to kMaxInlineImageBytes (the rest
// only hashed), so that one part can be picked by the sha256 the parser reports.
class KeepSmallBlobs final : public spool::BlobSink {
 public:
  Result<std::unique_ptr<spool::BlobWriter>> open() override {
    return std::unique_ptr<spool::BlobWriter>(std::make_unique<Writer>(*this));
  }
  std::optional<std::string> take(const std::string& sha256) {
    std::lock_guard lock(mu_);
    auto it = kept_.find(sha256);
    if (it == kept_.end()) return std::nullopt;
    return std::move(it->second);
  }

 private:
  class Writer final : public spool::BlobWriter {
   public:
    explicit Writer(KeepSmallBlobs& owner) : owner_(owner) { crypto_hash_sha256_init(&st_); }
    Status write(std::string_view b) override {
      crypto_hash_sha256_update(&st_, reinterpret_cast<const unsigned char*>(b.data()), b.size());
      size_ += b.size();
      if (size_ <= kMaxInlineImageBytes)
        bytes_ += b;
      else
        bytes_.clear();
      return {};
    }
    Result<spool::BlobRef> commit() override {
      unsigned char h[crypto_hash_sha256_BYTES];
      crypto_hash_sha256_final(&st_, h);
      spool::BlobRef ref{text::hex(h, sizeof h), size_, ""};
      if (size_ <= kMaxInlineImageBytes) {
        std::lock_guard lock(owner_.mu_);
        owner_.kept_[ref.sha256] = std::move(bytes_);
      }
      return ref;
    }

   private:
    KeepSmallBlobs& owner_;
    crypto_hash_sha256_state st_{};
    std::string bytes_;
    uint64_t size_ = 0;
  };

  std::mutex mu_;
  std::map<std::string, std::string> kept_;
};

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == ':' || c == '[' || c == ']';
}

bool raster_image(std::string_view type) {
  return type == "image/png" || type == "image/gif" || type == "image/jpeg" || type == "image/webp";
}

void set_frame_headers(httplib::Response& res, const std::string& csp) {
  replace_header(res, "Content-Security-Policy", csp);
  replace_header(res, "X-Content-Type-Options", "nosniff");
  replace_header(res, "X-Frame-Options", "SAMEORIGIN");
  replace_header(res, "Referrer-Policy", "no-referrer");
  replace_header(res, "Cache-Control", "no-store");
  // Chromium resolves the host names of a page's links ahead of a click: a mail's links
  // would tell their sender's DNS server that the mail was opened, and when.
  replace_header(res, "X-DNS-Prefetch-Control", "off");
}

// A short document of ours in the frame's place (no such mail, no HTML part...).
void send_frame_note(httplib::Response& res, int status, std::string_view note) {
  res.status = status;
  set_frame_headers(res, mail_html_policy("", false));
  res.set_content(html("<!doctype html><html><body><p>{}</p></body></html>", note).str(),
                  "text/html; charset=utf-8");
}

void mail_html(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res) {
  const store::Id id = row_id_of(req);
  auto mail = load_raw_mail(ctx, id);
  if (!mail) return send_frame_note(res, status_of(mail.error()), mail.error().message);
  spool::NullBlobSink sink;
  auto parsed = mime::parse_bytes(mail->bytes, sink, parse_limits(ctx.cfg.limits));
  if (!parsed) return send_frame_note(res, 422, "This mail cannot be read as MIME.");
  if (parsed->html_body.empty()) return send_frame_note(res, 200, "This mail has no HTML part.");
  std::string note;
  for (const auto& p : parsed->problems)
    if (p.starts_with("text cut at"))
      note = "This mail's text was cut when it arrived: only its beginning is shown.";
  const bool remote = form_value(req, "images") == "remote";
  const std::string cid_path = "/messages/" + std::to_string(id) + "/cid/";
  // The frame's document has an opaque origin: the browser sends no SameSite cookie with
  // its image requests, so each cid: link carries a token for this message's inline
  // images (not our session's cookie, not the CSRF token), valid for an hour and while the
  // session that asked for it lasts.
  auto key = image_key(ctx.data_dir);
  if (!key) return send_frame_note(res, 503, key.error().message);
  const int64_t expires = ctx.clock.now() + kImageLinkSeconds;
  const std::string query = "?e=" + std::to_string(expires) + "&k=" + v.session_digest +
                            "&s=" + image_mac(*key, id, expires, v.session_digest);
  auto clean = clean_mail_html(parsed->html_body, MailHtmlOptions{cid_path, remote, query}, note);
  res.status = 200;
  set_frame_headers(res, mail_html_policy(own_source(req, cid_path), remote));
  res.set_content(std::move(clean.html), "text/html; charset=utf-8");
}

void mail_cid(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto not_found = [&res] {
    res.status = 404;
    set_frame_headers(res, "default-src 'none'; sandbox");
    res.set_content("no such image in this mail\n", "text/plain; charset=utf-8");
  };
  const std::string cid = req.matches[2];
  auto mail = load_raw_mail(ctx, row_id_of(req));
  if (!mail) {
    if (mail.error().code == ErrorCode::kNotFound) return not_found();
    res.status = status_of(mail.error());
    set_frame_headers(res, "default-src 'none'; sandbox");
    res.set_content(mail.error().message + "\n", "text/plain; charset=utf-8");
    return;
  }
  KeepSmallBlobs sink;
  auto parsed = mime::parse_bytes(mail->bytes, sink, parse_limits(ctx.cfg.limits));
  if (!parsed) return not_found();
  for (const auto& a : parsed->attachments) {
    if (a.content_id != cid || !raster_image(a.content_type)) continue;
    auto bytes = sink.take(a.sha256);
    if (!bytes) continue;  // larger than kMaxInlineImageBytes
    res.status = 200;
    set_frame_headers(res, "default-src 'none'; sandbox");
    res.set_header("Content-Disposition", "inline");
    res.set_content(std::move(*bytes), a.content_type);
    return;
  }
  not_found();
}

}  // namespace

std::string own_source(const httplib::Request& req, std::string_view path) {
  const std::string host = req.get_header_value("Host");
  bool ok = !host.empty() && host.size() <= 255;
  for (char c : host) ok = ok && host_char(c);
  if (!ok) return "'self'";
  return "http://" + host + std::string(path);
}

std::string mail_frame_src(const httplib::Request& req) {
  return own_source(req, "/messages/");
}

std::string mail_html_policy(std::string_view img_source, bool remote_images) {
  return "sandbox " + std::string(kMailFrameSandbox) +
         "; default-src 'none'; style-src 'unsafe-inline'; img-src data: " + std::string(img_source) +
         (remote_images ? " https:" : "") + "; frame-ancestors 'self'; base-uri 'none'; form-action 'none'";
}

mime::ParseLimits parse_limits(const config::Limits& l) {
  mime::ParseLimits p;
  p.max_depth = l.max_mime_depth;
  p.max_parts = l.max_mime_parts;
  p.max_text_bytes = l.max_text_bytes;
  p.max_header_fields = l.max_header_fields;
  p.max_header_bytes = l.max_header_bytes;
  p.max_addresses = l.max_addresses;
  p.max_kept_headers = l.max_kept_headers;
  return p;
}

Result<RawMail> load_raw_mail(Context& ctx, store::Id id) {
  if (!ctx.ingest) return fail(ErrorCode::kTemporary, "the mail spool is not open in this process");
  MC_ASSIGN_OR_RETURN(auto unit, ctx.store.open_unit(store::Access::kRead));
  MC_ASSIGN_OR_RETURN(auto row, unit.raw_messages().get_raw(id));
  if (!row) return fail(ErrorCode::kNotFound, "There is no message " + std::to_string(id) + ".");
  MC_ASSIGN_OR_RETURN(auto bytes, ingest::read_blob(unit.raw_messages(), ctx.ingest->raw_spool(),
                                                    spool::BlobRef{row->sha256, row->size, row->spool_location}));
  return RawMail{std::move(*row), std::move(bytes)};
}

void mount_mail_frame(web::HttpServer& server, Context& ctx) {
  server.get(
      "/messages/{id}/html", R"(/messages/(\d{1,18})/html)",
      page(ctx, Need::kAgent, [&ctx](const Viewer& v, const httplib::Request& req, httplib::Response& res) {
        mail_html(ctx, v, req, res);
      }));
  // An image link from the frame (with its token), or a logged-in agent opening it directly.
  auto with_session =
      page(ctx, Need::kAgent, [&ctx](const Viewer&, const httplib::Request& req, httplib::Response& res) {
        mail_cid(ctx, req, res);
      });
  server.get("/messages/{id}/cid/{cid}", R"(/messages/(\d{1,18})/cid/(.{1,998}))",
             [&ctx, with_session](const httplib::Request& req, httplib::Response& res) {
               if (image_link_valid(ctx, req, row_id_of(req))) return mail_cid(ctx, req, res);
               with_session(req, res);
             });
}

}  // namespace mailcase::console
