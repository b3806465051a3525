// The only translation unit that includes httplib.h (it compiles slowly).
#include "web/customer_pages.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <mutex>

#include "cases/conversation.h"
#include "spool/blob_store.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/text.h"

namespace mailcase::web {
namespace {

using clock::unix_now;
using text::html_escape;

std::string page(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<meta name=\"referrer\" content=\"no-referrer\"><title>" +
         html_escape(title) +
         "</title><style>body{font-family:sans-serif;max-width:46em;margin:2em auto;padding:0 1em;color:#222}"
         ".c{border-left:3px solid #ccc;padding:.2em 1em;margin:1em 0;white-space:pre-wrap}"
         ".out{border-color:#36c}.meta{color:#666;font-size:.9em}button{font-size:1em;padding:.4em "
         "1em;margin:.3em}"
         "</style></head><body>\n" +
         body + "\n</body></html>\n";
}

}  // namespace

struct CustomerPages::Impl {
  std::filesystem::path data_dir;
  config::Config cfg;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<spool::FileBlobStore> blobs;
  std::unique_ptr<outbound::LinkSigner> signer;
  std::unique_ptr<outbound::Templates> templates;
  std::mutex mu;  // one request at a time on the store connection
  httplib::Server server;
  int port = 0;

  // The case the link opens, or nullopt after writing the refusal page.
  std::optional<store::Case> authorise(const httplib::Request& req, httplib::Response& res,
                                       const std::string& number) {
    const std::string token = req.has_param("t") ? req.get_param_value("t") : "";
    auto c = store->find_case_by_number(number);
    outbound::LinkSigner::Check check = outbound::LinkSigner::Check::kMalformed;
    if (c && *c) check = signer->verify(token, (*c)->id, unix_now());
    if (c && *c && check == outbound::LinkSigner::Check::kValid) return **c;
    res.status = 403;
    const bool expired = check == outbound::LinkSigner::Check::kExpired;
    res.set_content(page("Link not valid",
                         std::string("<h1>This link is not valid</h1><p>") +
                             (expired ? "It has expired." : "It is not a link we sent, or it was changed.") +
                             " Reply to our last mail and we will send you a new one.</p>"),
                    "text/html; charset=utf-8");
    return std::nullopt;
  }

  std::string form(const std::string& number, const std::string& token, const std::string& action,
                   const std::string& label, const std::string& extra = "") {
    return "<form method=\"post\" action=\"/case/" + html_escape(number) + "/" + action +
           "\"><input type=\"hidden\" name=\"t\" value=\"" + html_escape(token) + "\">" + extra +
           "<button type=\"submit\" name=\"do\" value=\"" + action + "\">" + html_escape(label) +
           "</button></form>";
  }

  std::string survey_form(const store::Case& c, const std::string& token) {
    std::string radios;
    for (int i = 1; i <= 5; ++i)
      radios += "<label><input type=\"radio\" name=\"rating\" value=\"" + std::to_string(i) + "\"" +
                (i == 5 ? " checked" : "") + "> " + std::to_string(i) + "</label> ";
    return "<h2>How satisfied are you?</h2><p>1 = not at all, 5 = very.</p>" +
           form(c.number, token, "survey", "Send",
                "<p>" + radios +
                    "</p><p><textarea name=\"comment\" rows=\"4\" cols=\"50\" "
                    "placeholder=\"Anything to add?\"></textarea></p>");
  }

  void show(const httplib::Request& req, httplib::Response& res, const std::string& number) {
    std::lock_guard lock(mu);
    auto c = authorise(req, res, number);
    if (!c) return;
    const std::string token = req.get_param_value("t");
    std::string body = "<h1>Case " + html_escape(c->number) + ": " + html_escape(c->subject) +
                       "</h1><p class=\"meta\">Status: <b id=\"status\">" + html_escape(c->status) +
                       "</b></p>";
    const auto st = cases::status_of(*c);
    if (st == cases::CaseStatus::kSolutionProposed) {
      body += "<div id=\"decision\"><p>We have proposed a solution. Does it solve your problem?</p>" +
              form(c->number, token, "accept", "Accept the solution") +
              form(c->number, token, "reject", "Reject the solution",
                   "<p><textarea name=\"why\" rows=\"3\" cols=\"50\" placeholder=\"What is still "
                   "wrong?\"></textarea></p>") +
              "</div>";
    }
    auto sv = store->get_survey(c->id);
    if (cases::survey_open(st) && sv && (!*sv || (*sv)->rating == 0)) {
      body += survey_form(*c, token);
    } else if (sv && *sv && (*sv)->rating > 0) {
      body += "<p>Thank you for your rating: " + std::to_string((*sv)->rating) + " of 5.</p>";
    }
    body += "<h2>Conversation</h2>";
    auto comments = store->comments_of(c->id);
    if (comments) {
      for (const auto& cm : *comments) {
        if (cm.visibility != "public") continue;
        const bool ours = cm.direction == "outbound";
        body += "<div class=\"c" + std::string(ours ? " out" : "") + "\"><div class=\"meta\">" +
                html_escape(ours ? cfg.outbound.from_name : cm.author) + " · " + html_escape(cm.created_at) +
                "</div>" + html_escape(cm.body) + "</div>";
      }
    }
    res.set_content(page("Case " + c->number, body), "text/html; charset=utf-8");
  }

  void act(const httplib::Request& req, httplib::Response& res, const std::string& number,
           const std::string& what) {
    std::lock_guard lock(mu);
    auto c = authorise(req, res, number);
    if (!c) return;
    const std::string token = req.get_param_value("t");
    cases::Conversation cv{*store, cfg, *templates, *signer, blobs.get(), unix_now()};
    std::string body;
    if (auto s = store->begin(); !s) {
      res.status = 503;
      res.set_content(page("Try again", "<p>Please try again in a moment.</p>"), "text/html; charset=utf-8");
      return;
    }
    mailcase::Status done;
    if (what == "accept") {
      done = cases::accept(cv, *c, "web");
      // The survey is shown right here, so closing sends no survey mail.
      if (done) done = store->put_survey(store::Survey{c->id, 0, "", ""});
      if (done)
        body = "<h1>Thank you</h1><p id=\"result\">You accepted the solution for case " +
               html_escape(c->number) + ".</p>" + survey_form(*c, token);
    } else if (what == "reject") {
      const std::string why = req.has_param("why") ? req.get_param_value("why") : "";
      done = cases::reject(cv, *c, "web", why);
      if (done && !why.empty()) {
        store::Comment cm;
        cm.case_id = c->id;
        cm.direction = "inbound";
        cm.author = "customer (web page)";
        cm.body = why;
        cm.visibility = "public";
        auto id = store->add_comment(cm);
        if (!id) done = tl::unexpected(id.error());
      }
      if (done)
        body = "<h1>Thank you</h1><p id=\"result\">We will keep working on case " + html_escape(c->number) +
               ".</p>";
    } else if (what == "survey") {
      int rating = req.has_param("rating") ? std::atoi(req.get_param_value("rating").c_str()) : 0;
      if (rating < 1 || rating > 5) {
        done = fail(ErrorCode::kInvalidInput, "Please choose a rating from 1 to 5.");
      } else {
        if (!cases::survey_open(cases::status_of(*c)))
          done = fail(ErrorCode::kInvalidInput, "The survey opens when the case is resolved.");
        else
          done = store->put_survey(store::Survey{
              c->id, rating, req.has_param("comment") ? req.get_param_value("comment") : "", ""});
        if (done) done = store->audit(c->id, "customer", "survey", std::to_string(rating) + " of 5");
      }
      if (done)
        body = "<h1>Thank you</h1><p id=\"result\">Your rating: " + std::to_string(rating) + " of 5.</p>";
    }
    if (done) done = store->commit();
    if (!done) {
      store->rollback();
      res.status = done.error().code == ErrorCode::kInvalidInput ? 409 : 503;
      res.set_content(
          page("Not possible", "<h1>Not possible</h1><p id=\"result\">" + html_escape(done.error().message) +
                                   "</p><p><a href=\"/case/" + html_escape(c->number) +
                                   "?t=" + html_escape(token) + "\">Back to the case</a></p>"),
          "text/html; charset=utf-8");
      return;
    }
    res.set_content(page("Case " + c->number, body), "text/html; charset=utf-8");
  }
};

CustomerPages::CustomerPages(std::filesystem::path data_dir, config::Config cfg)
    : impl_(std::make_unique<Impl>()) {
  impl_->data_dir = std::move(data_dir);
  impl_->cfg = std::move(cfg);
}

CustomerPages::~CustomerPages() = default;

Status CustomerPages::listen(const std::string& host, int port) {
  auto& d = *impl_;
  store::SqliteOptions opts;
  opts.synchronous_full = d.cfg.storage.sync == "full";
  auto st = store::open_sqlite(d.data_dir / "mailcase.db", opts);
  if (!st) return tl::unexpected(st.error());
  d.store = std::move(*st);
  d.blobs = std::make_unique<spool::FileBlobStore>(d.data_dir / "blobs", false);
  auto signer = outbound::LinkSigner::from_data_dir(d.data_dir);
  if (!signer) return tl::unexpected(signer.error());
  d.signer = std::make_unique<outbound::LinkSigner>(std::move(*signer));
  d.templates = std::make_unique<outbound::Templates>(d.data_dir / "templates");

  d.server.Get(R"(/case/([A-Za-z0-9_-]+))", [&d](const httplib::Request& req, httplib::Response& res) {
    d.show(req, res, req.matches[1]);
  });
  d.server.Post(R"(/case/([A-Za-z0-9_-]+)/(accept|reject|survey))",
                [&d](const httplib::Request& req, httplib::Response& res) {
                  d.act(req, res, req.matches[1], req.matches[2]);
                });
  d.server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(page("mailcase", "<p>Open the link from our mail to see your case.</p>"),
                    "text/html; charset=utf-8");
  });
  d.server.set_default_headers({{"X-Frame-Options", "DENY"}, {"Cache-Control", "no-store"}});
  if (port == 0) {
    d.port = d.server.bind_to_any_port(host);
    if (d.port < 0) return fail(ErrorCode::kTemporary, "cannot listen for HTTP on " + host);
  } else {
    if (!d.server.bind_to_port(host, port))
      return fail(ErrorCode::kTemporary, "cannot listen for HTTP on " + host + ":" + std::to_string(port));
    d.port = port;
  }
  return {};
}

int CustomerPages::bound_port() const {
  return impl_->port;
}

void CustomerPages::serve() {
  impl_->server.listen_after_bind();
}

void CustomerPages::stop() {
  impl_->server.stop();
}

}  // namespace mailcase::web
