// The customer pages' routes; the socket, its bounds and error pages are http_server.cpp's.
#include "web/customer_pages.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "cases/lifecycle.h"
#include "mime/parser.h"
#include "outbound/signed_link.h"
#include "services/case_services.h"
#include "spool/blob_store.h"
#include "store/store.h"
#include "util/text.h"
#include "web/http_guard.h"
#include "web/http_server.h"

namespace mailcase::web {
namespace {

using outbound::LinkAction;
using text::html_escape;

// Longest reason and survey comment a customer may type.
constexpr size_t kMaxReasonBytes = 4000;

// Whether the outbox mail's text holds token (an old-format link is found in the mail
// it was sent in). Mails are stored encoded (quoted-printable, base64): decode first.
bool mail_carries(const std::string& raw, const std::string& token) {
  if (raw.find(token) != std::string::npos) return true;
  spool::NullBlobSink sink;
  auto parsed = mime::parse_bytes(raw, sink);
  return parsed && (parsed->text_body.find(token) != std::string::npos ||
                    parsed->html_body.find(token) != std::string::npos);
}

}  // namespace

struct CustomerPages::Impl {
  Impl(store::Store& s, services::CaseServices& cs, const config::Config& c, const outbound::LinkSigner& l,
       const domain::Clock& k)
      : store(s), cases(cs), cfg(c), signer(&l), clock(k) {}
  store::Store& store;  // only its pooled units: requests run on many threads
  services::CaseServices& cases;
  const config::Config& cfg;
  const outbound::LinkSigner* signer;
  const domain::Clock& clock;

  // What a valid link opens and lets its holder do.
  struct Access {
    store::Case c;
    outbound::Grants grants = 0;
    int64_t expires_at = 0;
    std::string token;
  };

  static void html(httplib::Response& res, int status, const std::string& title, const std::string& body) {
    res.status = status;
    res.set_content(html_page(title, body), "text/html; charset=utf-8");
  }

  // What an old-format token may do, from the mails of this case that carried it.
  outbound::Grants legacy_grants_for(store::UnitOfWork& u, store::Id case_id, const std::string& token) {
    std::vector<std::string> kinds;
    auto rows = u.outbox().list_outbox(case_id, 1000);
    if (rows)
      for (const auto& m : *rows)
        if (mail_carries(m.raw, token)) kinds.push_back(m.kind);
    return outbound::legacy_grants(kinds);
  }

  // The case the link opens, or nullopt after writing the refusal page.
  std::optional<Access> authorise(store::UnitOfWork& u, const httplib::Request& req, httplib::Response& res,
                                  const std::string& number) {
    const std::string token = req.has_param("t") ? req.get_param_value("t") : "";
    auto c = u.cases().find_case_by_number(number);
    outbound::LinkSigner::Verified v;
    if (c && *c) v = signer->verify(token, (*c)->id, clock.now());
    if (c && *c && v.check == outbound::LinkSigner::Check::kValid) {
      Access a{**c, 0, v.expires_at, token};
      a.grants = v.action ? outbound::grants_of(*v.action) : legacy_grants_for(u, a.c.id, token);
      return a;
    }
    const bool expired = v.check == outbound::LinkSigner::Check::kExpired;
    html(res, 403, "Link not valid",
         std::string("<h1>This link is not valid</h1><p>") +
             (expired ? "It has expired." : "It is not a link we sent, or it was changed.") +
             " Reply to our last mail and we will send you a new one.</p>");
    return std::nullopt;
  }

  // A button that posts to action with a token for that action alone, valid as long as
  // the link the page was opened with.
  std::string form(const Access& a, LinkAction action, const std::string& label,
                   const std::string& extra = "") {
    const std::string name = outbound::to_string(action);
    const std::string token = signer->sign(a.c.id, a.expires_at, action);
    return "<form method=\"post\" action=\"/case/" + html_escape(a.c.number) + "/" + name +
           "\"><input type=\"hidden\" name=\"t\" value=\"" + html_escape(token) + "\">" + extra +
           "<button type=\"submit\" name=\"do\" value=\"" + name + "\">" + html_escape(label) +
           "</button></form>";
  }

  std::string survey_form(const Access& a) {
    std::string radios;
    for (int i = 1; i <= 5; ++i)
      radios += "<label><input type=\"radio\" name=\"rating\" value=\"" + std::to_string(i) + "\"" +
                (i == 5 ? " checked" : "") + "> " + std::to_string(i) + "</label> ";
    return "<h2>How satisfied are you?</h2><p>1 = not at all, 5 = very.</p>" +
           form(a, LinkAction::kSurvey, "Send",
                "<p>" + radios + "</p><p><textarea name=\"comment\" rows=\"4\" cols=\"50\" maxlength=\"" +
                    std::to_string(kMaxReasonBytes / 4) +
                    "\" placeholder=\"Anything to add?\"></textarea></p>");
  }

  // A read unit of its own, or the "try again" page after writing it.
  std::optional<store::UnitOfWork> read_unit(httplib::Response& res) {
    auto u = store.open_unit(store::Access::kRead);
    if (u) return std::move(*u);
    html(res, 503, "Try again", "<p>Please try again in a moment.</p>");
    return std::nullopt;
  }

  void show(const httplib::Request& req, httplib::Response& res, const std::string& number) {
    auto u = read_unit(res);
    if (!u) return;
    auto a = authorise(*u, req, res, number);
    if (!a) return;
    const auto& c = a->c;
    std::string body = "<h1>Case " + html_escape(c.number) + ": " + html_escape(c.subject) +
                       "</h1><p class=\"meta\">Status: <b id=\"status\">" +
                       html_escape(store::to_string(c.status)) + "</b></p>";
    const auto st = c.status;
    if (st == cases::CaseStatus::kSolutionProposed) {
      const bool accept = outbound::allows(a->grants, LinkAction::kAccept);
      const bool reject = outbound::allows(a->grants, LinkAction::kReject);
      body += "<div id=\"decision\"><p>We have proposed a solution. Does it solve your problem?</p>";
      if (accept) body += form(*a, LinkAction::kAccept, "Accept the solution");
      if (reject)
        body += form(*a, LinkAction::kReject, "Reject the solution",
                     "<p><textarea name=\"why\" rows=\"3\" cols=\"50\" maxlength=\"" +
                         std::to_string(kMaxReasonBytes / 4) +
                         "\" placeholder=\"What is still wrong?\"></textarea></p>");
      if (!accept && !reject)
        body +=
            "<p>To accept or reject it, use the links in our mail with the proposed solution, or reply "
            "to it.</p>";
      body += "</div>";
    }
    auto sv = u->surveys().get_survey(c.id);
    if (cases::survey_open(st) && sv && (!*sv || (*sv)->rating == 0)) {
      if (outbound::allows(a->grants, LinkAction::kSurvey)) body += survey_form(*a);
    } else if (sv && *sv && (*sv)->rating > 0) {
      body += "<p>Thank you for your rating: " + std::to_string((*sv)->rating) + " of 5.</p>";
    }
    body += "<h2>Conversation</h2>";
    auto comments = u->cases().comments_of(c.id);
    if (comments) {
      for (const auto& cm : *comments) {
        if (cm.visibility != store::Visibility::kPublic) continue;
        const bool ours = cm.direction == store::Direction::kOutbound;
        body += "<div class=\"c" + std::string(ours ? " out" : "") + "\"><div class=\"meta\">" +
                html_escape(ours ? cfg.outbound.from_name : cm.author) + " · " + html_escape(cm.created_at) +
                "</div>" + html_escape(cm.body) + "</div>";
      }
    }
    html(res, 200, "Case " + c.number, body);
  }

  std::string back_link(const Access& a) {
    return "<p><a href=\"/case/" + html_escape(a.c.number) + "?t=" + html_escape(a.token) +
           "\">Back to the case</a></p>";
  }

  void act(const httplib::Request& req, httplib::Response& res, const std::string& number,
           const std::string& what) {
    std::optional<Access> a;
    {
      auto u = read_unit(res);
      if (!u) return;
      a = authorise(*u, req, res, number);
      if (!a) return;
    }
    const auto action = outbound::link_action_from_string(what).value_or(LinkAction::kView);
    if (!outbound::allows(a->grants, action)) {
      html(res, 403, "Not possible with this link",
           "<h1>Not possible with this link</h1><p id=\"result\">This link shows the case but cannot " +
               html_escape(what) + " it. Please use the link from the mail that asked you to.</p>" +
               back_link(*a));
      return;
    }
    // Everything typed into the form is checked before anything is stored.
    const std::string why = req.has_param("why") ? req.get_param_value("why") : "";
    const std::string comment = req.has_param("comment") ? req.get_param_value("comment") : "";
    std::optional<std::string> bad;
    if (action == LinkAction::kReject) bad = check_form_text("The reason", why, kMaxReasonBytes, true);
    if (action == LinkAction::kSurvey) bad = check_form_text("The comment", comment, kMaxReasonBytes, true);
    int rating = 0;
    if (!bad && action == LinkAction::kSurvey) {
      const std::string r = req.has_param("rating") ? req.get_param_value("rating") : "";
      if (r.size() == 1 && r[0] >= '1' && r[0] <= '5')
        rating = r[0] - '0';
      else
        bad = "Please choose a rating from 1 to 5.";
    }
    if (bad) {
      html(res, 400, "Not accepted",
           "<h1>Not accepted</h1><p id=\"result\">" + html_escape(*bad) + " Nothing was saved.</p>" +
               back_link(*a));
      return;
    }

    // The case as it is now, in the services' own unit of work: the change, its event
    // and its mails commit together.
    const auto by = services::Actor::customer("web");
    std::string body;
    Result<store::Case> done = fail(ErrorCode::kInvalidInput, "Nothing to do.");
    if (action == LinkAction::kAccept) {
      done = cases.on_case(a->c.id,
                           [&](store::UnitOfWork& w, store::Case& c) { return cases.accept(w, by, c); });
      // The survey is shown right here (closing then sends no survey mail).
      if (done)
        body = "<h1>Thank you</h1><p id=\"result\">You accepted the solution for case " +
               html_escape(done->number) + ".</p>" + survey_form(*a);
    } else if (action == LinkAction::kReject) {
      done = cases.on_case(a->c.id,
                           [&](store::UnitOfWork& w, store::Case& c) { return cases.reject(w, by, c, why); });
      if (done)
        body = "<h1>Thank you</h1><p id=\"result\">We will keep working on case " +
               html_escape(done->number) + ".</p>";
    } else if (action == LinkAction::kSurvey) {
      done = cases.on_case(a->c.id, [&](store::UnitOfWork& w, store::Case& c) {
        return cases.answer_survey(w, by, c, rating, comment);
      });
      if (done)
        body = "<h1>Thank you</h1><p id=\"result\">Your rating: " + std::to_string(rating) + " of 5.</p>";
    }
    if (!done) {
      const auto code = done.error().code;
      html(res, code == ErrorCode::kInvalidInput || code == ErrorCode::kConflict ? 409 : 503, "Not possible",
           "<h1>Not possible</h1><p id=\"result\">" + html_escape(done.error().message) + "</p>" +
               back_link(*a));
      return;
    }
    html(res, 200, "Case " + a->c.number, body);
  }
};

CustomerPages::CustomerPages(store::Store& store, services::CaseServices& cases, const config::Config& cfg,
                             const outbound::LinkSigner& links, const domain::Clock& clock)
    : impl_(std::make_unique<Impl>(store, cases, cfg, links, clock)) {}

CustomerPages::~CustomerPages() = default;

void CustomerPages::mount(HttpServer& server, bool with_root) {
  auto& d = *impl_;
  server.get("/case/{token}", R"(/case/([A-Za-z0-9_-]+))",
             [&d](const httplib::Request& req, httplib::Response& res) { d.show(req, res, req.matches[1]); });
  server.post("/case/{token}/{action}", R"(/case/([A-Za-z0-9_-]+)/(accept|reject|survey))",
              [&d](const httplib::Request& req, httplib::Response& res) {
                d.act(req, res, req.matches[1], req.matches[2]);
              });
  if (!with_root) return;
  server.get("/", "/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(html_page("mailcase", "<p>Open the link from our mail to see your case.</p>"),
                    "text/html; charset=utf-8");
  });
}

}  // namespace mailcase::web
