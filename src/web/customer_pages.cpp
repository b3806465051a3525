// The customer pages' routes; the socket, its bounds and error pages are http_server.cpp's.
#include "web/customer_pages.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>

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

// Every text the pages show, in one language. "{}" marks where a value goes
// (fill()). Kept beside the mails' templates' languages (outbound::template_languages):
// a test checks that each of those has its texts here.
struct PageTexts {
  const char* lang;
  const char* case_title;    // {} number
  const char* case_heading;  // {} number, {} subject
  const char* status_label;
  std::array<const char*, 5> statuses;  // by CaseStatus: new, open, solution proposed, resolved, closed
  const char* invalid_title;
  const char* invalid_heading;
  const char* expired;
  const char* not_ours;
  const char* ask_new;
  const char* proposed;
  const char* accept;
  const char* reject;
  const char* why_label;
  const char* use_mail;
  const char* survey_heading;
  const char* survey_scale;
  const char* rating_legend;
  const char* send;
  const char* comment_label;
  const char* rated;  // {} rating
  const char* conversation;
  const char* not_with_link_title;
  const char* not_with_link;
  const char* not_accepted;
  const char* bad_text;
  const char* bad_rating;
  const char* nothing_saved;
  const char* back;
  const char* thanks;
  const char* accepted;     // {} number
  const char* rejected;     // {} number
  const char* your_rating;  // {} rating
  const char* not_possible;
  const char* changed;
  const char* survey_done;
  const char* try_again_title;
  const char* try_again;
  const char* open_link;
  const char* replaced;
};

constexpr std::array<PageTexts, 3> kTexts{{
    {"en",
     "Case {}",
     "Case {}: {}",
     "Status:",
     {"New", "Open", "Solution proposed", "Resolved", "Closed"},
     "Link not valid",
     "This link is not valid",
     "It has expired.",
     "It is not a link we sent, or it was changed.",
     "Reply to our last mail and we will send you a new one.",
     "We have proposed a solution. Does it solve your problem?",
     "Accept the solution",
     "Reject the solution",
     "What is still wrong?",
     "To accept or reject it, use the links in our mail with the proposed solution, or reply to it.",
     "How satisfied are you?",
     "1 = not at all, 5 = very.",
     "Your rating",
     "Send",
     "Anything to add?",
     "Thank you for your rating: {} of 5.",
     "Conversation",
     "Not possible with this link",
     "This link shows the case but cannot do that. Please use the link from the mail that asked you to.",
     "Not accepted",
     "The text could not be accepted: it is too long or contains characters we cannot store.",
     "Please choose a rating from 1 to 5.",
     "Nothing was saved.",
     "Back to the case",
     "Thank you",
     "You accepted the solution for case {}.",
     "We will keep working on case {}.",
     "Your rating: {} of 5.",
     "Not possible",
     "This is not possible any more: the case has changed since. Please go back to the case.",
     "You have already answered the survey for this case. Thank you!",
     "Try again",
     "Please try again in a moment.",
     "Open the link from our mail to see your case.",
     "This link belongs to a solution we proposed earlier and have replaced since. Please use the links in "
     "our latest mail about this case, or reply to it."},
    {"fr",
     "Dossier {}",
     "Dossier {} : {}",
     "Statut :",
     {"Nouveau", "En cours", "Solution proposée", "Résolu", "Clôturé"},
     "Lien non valide",
     "Ce lien n'est pas valide",
     "Il a expiré.",
     "Ce n'est pas un lien que nous avons envoyé, ou il a été modifié.",
     "Répondez à notre dernier message et nous vous en enverrons un nouveau.",
     "Nous vous avons proposé une solution. Votre problème est-il résolu ?",
     "Accepter la solution",
     "Rejeter la solution",
     "Qu'est-ce qui ne va toujours pas ?",
     "Pour l'accepter ou la rejeter, utilisez les liens de notre message avec la solution proposée, ou "
     "répondez-y.",
     "Êtes-vous satisfait ?",
     "1 = pas du tout, 5 = très.",
     "Votre note",
     "Envoyer",
     "Quelque chose à ajouter ?",
     "Merci pour votre note : {} sur 5.",
     "Échanges",
     "Impossible avec ce lien",
     "Ce lien permet de voir le dossier, mais pas cette action. Utilisez le lien du message qui vous la "
     "demandait.",
     "Non accepté",
     "Le texte n'a pas pu être accepté : il est trop long ou contient des caractères que nous ne pouvons "
     "pas enregistrer.",
     "Veuillez choisir une note de 1 à 5.",
     "Rien n'a été enregistré.",
     "Retour au dossier",
     "Merci",
     "Vous avez accepté la solution pour le dossier {}.",
     "Nous continuons à travailler sur le dossier {}.",
     "Votre note : {} sur 5.",
     "Impossible",
     "Ce n'est plus possible : le dossier a changé entre-temps. Revenez au dossier.",
     "Vous avez déjà répondu à l'enquête pour ce dossier. Merci !",
     "Réessayez",
     "Veuillez réessayer dans un instant.",
     "Ouvrez le lien de notre message pour voir votre dossier.",
     "Ce lien concerne une solution que nous avions proposée auparavant et que nous avons remplacée depuis. "
     "Utilisez les liens de notre dernier message sur ce dossier, ou répondez-y."},
    {"pl",
     "Zgłoszenie {}",
     "Zgłoszenie {}: {}",
     "Status:",
     {"Nowe", "W toku", "Zaproponowano rozwiązanie", "Rozwiązane", "Zamknięte"},
     "Nieprawidłowy link",
     "Ten link jest nieprawidłowy",
     "Link wygasł.",
     "To nie jest link od nas albo został zmieniony.",
     "Prosimy odpowiedzieć na naszą ostatnią wiadomość, a wyślemy nowy link.",
     "Zaproponowaliśmy rozwiązanie. Czy problem został rozwiązany?",
     "Akceptuję rozwiązanie",
     "Odrzucam rozwiązanie",
     "Co nadal nie działa?",
     "Aby je zaakceptować lub odrzucić, prosimy skorzystać z linków w wiadomości z proponowanym "
     "rozwiązaniem albo na nią odpowiedzieć.",
     "Jak oceniają Państwo naszą obsługę?",
     "1 = wcale, 5 = bardzo.",
     "Ocena",
     "Wyślij",
     "Czy chcą Państwo coś dodać?",
     "Dziękujemy za ocenę: {} na 5.",
     "Korespondencja",
     "Ten link na to nie pozwala",
     "Ten link pozwala obejrzeć zgłoszenie, ale nie wykonać tej czynności. Prosimy użyć linku z wiadomości, "
     "która o nią prosiła.",
     "Nie przyjęto",
     "Nie można przyjąć tekstu: jest za długi albo zawiera znaki, których nie możemy zapisać.",
     "Prosimy wybrać ocenę od 1 do 5.",
     "Nic nie zostało zapisane.",
     "Powrót do zgłoszenia",
     "Dziękujemy",
     "Zaakceptowali Państwo rozwiązanie zgłoszenia {}.",
     "Nadal pracujemy nad zgłoszeniem {}.",
     "Ocena: {} na 5.",
     "Nie jest to możliwe",
     "Nie jest to już możliwe: zgłoszenie zmieniło się w międzyczasie. Prosimy wrócić do zgłoszenia.",
     "Ankieta dla tego zgłoszenia została już wypełniona. Dziękujemy!",
     "Spróbuj ponownie",
     "Prosimy spróbować ponownie za chwilę.",
     "Aby zobaczyć zgłoszenie, prosimy otworzyć link z naszej wiadomości.",
     "Ten link dotyczy rozwiązania zaproponowanego wcześniej, które zostało już zastąpione. Prosimy "
     "skorzystać z linków w naszej najnowszej wiadomości w tej sprawie albo na nią odpowiedzieć."},
}};

const PageTexts* find_texts(std::string_view lang) {
  for (const auto& t : kTexts)
    if (lang == t.lang) return &t;
  return nullptr;
}

const PageTexts& texts_for(std::string_view lang) {
  const PageTexts* t = find_texts(lang);
  return t ? *t : kTexts[0];
}

// pattern with each "{}" replaced, in order, by a value, escaped: the result is markup.
std::string fill(std::string_view pattern, std::initializer_list<std::string_view> values) {
  std::string out;
  auto v = values.begin();
  size_t pos = 0;
  while (pos < pattern.size()) {
    const size_t hole = pattern.find("{}", pos);
    if (hole == std::string_view::npos || v == values.end()) break;
    out += html_escape(pattern.substr(pos, hole - pos));
    out += html_escape(*v++);
    pos = hole + 2;
  }
  out += html_escape(pattern.substr(std::min(pos, pattern.size())));
  return out;
}

std::string esc(const char* s) {
  return html_escape(s);
}

// As the mails greet a contact (services/case_services.cpp): a name that holds an
// address or a link is not shown as a name.
bool plain_name(std::string_view name) {
  const std::string n = text::ascii_lower(name);
  return !n.empty() && n.find('@') == std::string::npos && n.find("://") == std::string::npos &&
         n.find("www.") == std::string::npos;
}

// Whether the outbox mail's text holds token (an old-format link is found in the mail
// it was sent in). Mails are stored encoded (quoted-printable, base64): decode first.
bool mail_carries(const std::string& raw, const std::string& token) {
  if (raw.find(token) != std::string::npos) return true;
  spool::NullBlobSink sink;
  auto parsed = mime::parse_bytes(raw, sink);
  return parsed && (parsed->text_body.find(token) != std::string::npos ||
                    parsed->html_body.find(token) != std::string::npos);
}

// A whole page: the console's stylesheet and time script, in lang, under a bar with our
// name. body_html is markup (escape what goes in).
std::string page_document(const std::string& lang, const std::string& title, const std::string& brand,
                          const std::string& body_html) {
  return "<!DOCTYPE html>\n<html lang=\"" + html_escape(lang) +
         "\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<meta name=\"referrer\" content=\"no-referrer\"><title>" +
         html_escape(title) +
         "</title><link rel=\"stylesheet\" href=\"/assets/console.css\">"
         "<script src=\"/assets/console.js\" defer></script></head><body>\n"
         "<header class=\"top\"><span class=\"brand\">" +
         html_escape(brand) + "</span></header><main id=\"main\">\n" + body_html +
         "\n</main></body></html>\n";
}

}  // namespace

std::string page_language(std::string_view contact_language, std::string_view default_language) {
  const std::string_view lang = contact_language.empty() ? default_language : contact_language;
  return find_texts(lang) ? std::string(lang) : std::string("en");
}

bool has_page_texts(std::string_view language) {
  return find_texts(language) != nullptr;
}

std::string inbound_sender(std::string_view author, std::string_view contact_name,
                           const std::vector<std::string>& contact_emails) {
  const std::string contact = plain_name(contact_name)  ? std::string(contact_name)
                              : !contact_emails.empty() ? contact_emails.front()
                                                        : std::string();
  std::string_view a = text::trim(author);
  constexpr std::string_view kNotParticipant = " (sender is not a participant)";
  if (a.ends_with(kNotParticipant)) a = text::trim(a.substr(0, a.size() - kNotParticipant.size()));
  if (a == "customer" || a == "customer (web page)") return contact.empty() ? std::string(a) : contact;
  std::string_view name, email;
  const auto lt = a.rfind('<');
  if (lt != std::string_view::npos && a.ends_with('>')) {
    name = text::trim(a.substr(0, lt));
    email = a.substr(lt + 1, a.size() - lt - 2);
  } else if (a.find('@') != std::string_view::npos) {
    email = a;
  }
  if (!email.empty() && !contact.empty()) {
    const std::string norm = text::normalize_email(email);
    for (const auto& e : contact_emails)
      if (text::normalize_email(e) == norm) return contact;
  }
  if (plain_name(name)) return std::string(name);
  if (!email.empty()) return std::string(email);
  return std::string(a);
}

std::string time_element(std::string_view iso) {
  std::string shown(iso);
  if (iso.size() >= 16 && iso[10] == 'T')
    shown = std::string(iso.substr(0, 10)) + " " + std::string(iso.substr(11, 5)) + " UTC";
  return "<time datetime=\"" + html_escape(iso) + "\">" + html_escape(shown) + "</time>";
}

void set_page_headers(httplib::Response& res) {
  // The server put its default CSP on the answer already; two CSP headers would both
  // apply, and the default's would refuse our stylesheet and script.
  res.headers.erase("Content-Security-Policy");
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                 "form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
}

struct CustomerPages::Impl {
  Impl(store::Store& s, services::CaseServices& cs, const config::Config& c, const outbound::LinkSigner& l,
       const domain::Clock& k)
      : store(s), cases(cs), cfg(c), signer(&l), clock(k) {}
  store::Store& store;  // only its pooled units: requests run on many threads
  services::CaseServices& cases;
  const config::Config& cfg;
  const outbound::LinkSigner* signer;
  const domain::Clock& clock;

  // What a valid link opens and lets its holder do, and the language its pages are in.
  struct Access {
    store::Case c;
    outbound::Grants grants = 0;
    int64_t expires_at = 0;
    std::string token;
    std::optional<store::Contact> contact;
    std::string lang;
    // The proposal the token names (LinkSigner::Verified::proposal); see services::proposal_answered.
    std::optional<int64_t> named_proposal;
  };

  // The language of pages no valid link leads to: nobody's contact is known there.
  std::string default_lang() const { return page_language("", cfg.outbound.default_language); }

  void html(httplib::Response& res, int status, const std::string& lang, const std::string& title,
            const std::string& body) const {
    res.status = status;
    set_page_headers(res);
    res.set_content(page_document(lang, title, cfg.outbound.from_name, body), "text/html; charset=utf-8");
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

  // The case's contact and the language of its pages.
  std::pair<std::optional<store::Contact>, std::string> contact_of(store::UnitOfWork& u,
                                                                   const store::Case& c) {
    std::optional<store::Contact> who;
    if (c.contact_id)
      if (auto got = u.accounts().get_contact(*c.contact_id); got) who = std::move(*got);
    std::string lang = page_language(who ? who->language : "", cfg.outbound.default_language);
    return {std::move(who), std::move(lang)};
  }

  // The case the link opens, or nullopt after writing the refusal page.
  std::optional<Access> authorise(store::UnitOfWork& u, const httplib::Request& req, httplib::Response& res,
                                  const std::string& number) {
    const std::string token = req.has_param("t") ? req.get_param_value("t") : "";
    auto c = u.cases().find_case_by_number(number);
    outbound::LinkSigner::Verified v;
    if (c && *c) v = signer->verify(token, (*c)->id, clock.now());
    if (c && *c && v.check == outbound::LinkSigner::Check::kValid) {
      Access a{**c, 0, v.expires_at, token, std::nullopt, "", v.proposal};
      a.grants = v.action ? outbound::grants_of(*v.action) : legacy_grants_for(u, a.c.id, token);
      std::tie(a.contact, a.lang) = contact_of(u, a.c);
      return a;
    }
    const bool expired = v.check == outbound::LinkSigner::Check::kExpired;
    // An expired link is still ours (its signature holds): its case's contact reads the
    // refusal in their language. Any other refusal tells nothing about the case.
    const std::string lang = expired ? contact_of(u, **c).second : default_lang();
    const PageTexts& t = texts_for(lang);
    html(res, 403, lang, t.invalid_title,
         "<h1>" + esc(t.invalid_heading) + "</h1><p class=\"card\">" + esc(expired ? t.expired : t.not_ours) +
             " " + esc(t.ask_new) + "</p>");
    return std::nullopt;
  }

  // A form that posts to action with a token for that action alone, valid as long as
  // the link the page was opened with; an accept or reject form's answers proposal.
  // fields: markup before the button.
  std::string form(const Access& a, LinkAction action, store::Id proposal, const std::string& label,
                   const std::string& fields = "", const char* button_class = "") {
    const std::string name = outbound::to_string(action);
    const std::string token = signer->sign(a.c.id, a.expires_at, action, proposal);
    return "<form method=\"post\" action=\"/case/" + html_escape(a.c.number) + "/" + name +
           "\"><input type=\"hidden\" name=\"t\" value=\"" + html_escape(token) + "\">" + fields +
           "<div class=\"actions\"><button type=\"submit\"" +
           (*button_class ? std::string(" class=\"") + button_class + "\"" : std::string()) +
           " name=\"do\" value=\"" + name + "\">" + html_escape(label) + "</button></div></form>";
  }

  std::string survey_form(const Access& a) {
    const PageTexts& t = texts_for(a.lang);
    std::string radios;
    for (int i = 1; i <= 5; ++i)
      radios += "<label><input type=\"radio\" name=\"rating\" value=\"" + std::to_string(i) + "\"" +
                (i == 5 ? " checked" : "") + "> " + std::to_string(i) + "</label>";
    return "<section class=\"card\" id=\"survey\"><h2>" + esc(t.survey_heading) + "</h2><p class=\"meta\">" +
           esc(t.survey_scale) + "</p>" +
           form(a, LinkAction::kSurvey, 0, t.send,
                "<fieldset><legend>" + esc(t.rating_legend) + "</legend>" + radios +
                    "</fieldset><label for=\"survey-comment\">" + esc(t.comment_label) +
                    "</label><textarea id=\"survey-comment\" name=\"comment\" rows=\"4\" maxlength=\"" +
                    std::to_string(kMaxReasonBytes / 4) + "\"></textarea>") +
           "</section>";
  }

  // A read unit of its own, or the "try again" page after writing it.
  std::optional<store::UnitOfWork> read_unit(httplib::Response& res) {
    auto u = store.open_unit(store::Access::kRead);
    if (u) return std::move(*u);
    const PageTexts& t = texts_for(default_lang());
    html(res, 503, default_lang(), t.try_again_title, "<p>" + esc(t.try_again) + "</p>");
    return std::nullopt;
  }

  // Who wrote a comment, by name: the contact for theirs, the agent (else our name) for ours.
  std::string sender_of(store::UnitOfWork& u, const store::Comment& cm,
                        const std::optional<store::Contact>& who,
                        std::map<std::string, std::string>& agent_names) {
    if (cm.direction != store::Direction::kOutbound)
      return inbound_sender(cm.author, who ? who->name : "", who ? who->emails : std::vector<std::string>{});
    auto it = agent_names.find(cm.author);
    if (it == agent_names.end()) {
      std::string name = cfg.outbound.from_name;
      if (cm.author.find('@') != std::string::npos)
        if (auto agent = u.agents().find_agent_by_email(cm.author);
            agent && *agent && !(*agent)->name.empty())
          name = (*agent)->name;
      it = agent_names.emplace(cm.author, std::move(name)).first;
    }
    return it->second;
  }

  void show(const httplib::Request& req, httplib::Response& res, const std::string& number) {
    auto u = read_unit(res);
    if (!u) return;
    auto a = authorise(*u, req, res, number);
    if (!a) return;
    const auto& c = a->c;
    const PageTexts& t = texts_for(a->lang);
    const auto st = c.status;
    const size_t st_index = static_cast<size_t>(st);
    std::string body =
        "<h1>" + fill(t.case_heading, {c.number, c.subject}) + "</h1><p class=\"meta\">" +
        esc(t.status_label) + " <b id=\"status\" data-status=\"" + html_escape(store::to_string(st)) + "\">" +
        esc(st_index < t.statuses.size() ? t.statuses[st_index] : store::to_string(st)) + "</b></p>";
    if (st == cases::CaseStatus::kSolutionProposed) {
      bool accept = outbound::allows(a->grants, LinkAction::kAccept);
      bool reject = outbound::allows(a->grants, LinkAction::kReject);
      body += "<section class=\"card\" id=\"decision\"><p>" + esc(t.proposed) + "</p>";
      const bool decides = accept || reject;
      std::optional<store::Id> answered;
      if (decides) {
        auto proposals = services::proposals_of(*u, c.id);
        if (!proposals) {
          html(res, 503, a->lang, t.try_again_title, "<p>" + esc(t.try_again) + "</p>");
          return;
        }
        answered = services::proposal_answered(a->named_proposal, *proposals);
        // A link of an earlier proposal offers no decision on the one shown now.
        if (answered != proposals->latest) {
          body += "<p id=\"replaced\">" + esc(t.replaced) + "</p>";
          accept = reject = false;
        }
      }
      if (accept) body += form(*a, LinkAction::kAccept, *answered, t.accept);
      if (reject)
        body += form(*a, LinkAction::kReject, *answered, t.reject,
                     "<label for=\"why\">" + esc(t.why_label) +
                         "</label><textarea id=\"why\" name=\"why\" rows=\"3\" maxlength=\"" +
                         std::to_string(kMaxReasonBytes / 4) + "\"></textarea>",
                     "secondary");
      if (!decides) body += "<p>" + esc(t.use_mail) + "</p>";
      body += "</section>";
    }
    auto sv = u->surveys().get_survey(c.id);
    if (cases::survey_open(st) && sv && (!*sv || (*sv)->rating == 0)) {
      if (outbound::allows(a->grants, LinkAction::kSurvey)) body += survey_form(*a);
    } else if (sv && *sv && (*sv)->rating > 0) {
      body += "<p class=\"card\">" + fill(t.rated, {std::to_string((*sv)->rating)}) + "</p>";
    }
    body += "<section class=\"thread\"><h2>" + esc(t.conversation) + "</h2>";
    auto comments = u->cases().comments_of(c.id);
    std::map<std::string, std::string> agent_names;
    if (comments) {
      for (const auto& cm : *comments) {
        if (cm.visibility != store::Visibility::kPublic) continue;
        const bool ours = cm.direction == store::Direction::kOutbound;
        body += std::string("<article class=\"card comment ") + (ours ? "outbound" : "inbound") +
                "\"><p class=\"meta\"><b class=\"sender\">" +
                html_escape(sender_of(*u, cm, a->contact, agent_names)) + "</b> · " +
                time_element(cm.created_at) + "</p><div class=\"body\">" + html_escape(cm.body) +
                "</div></article>";
      }
    }
    body += "</section>";
    html(res, 200, a->lang, fill(t.case_title, {c.number}), body);
  }

  std::string back_link(const Access& a) {
    return "<p><a href=\"/case/" + html_escape(a.c.number) + "?t=" + html_escape(a.token) + "\">" +
           esc(texts_for(a.lang).back) + "</a></p>";
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
    const PageTexts& t = texts_for(a->lang);
    const auto action = outbound::link_action_from_string(what).value_or(LinkAction::kView);
    if (!outbound::allows(a->grants, action)) {
      html(res, 403, a->lang, t.not_with_link_title,
           "<h1>" + esc(t.not_with_link_title) + "</h1><p id=\"result\">" + esc(t.not_with_link) + "</p>" +
               back_link(*a));
      return;
    }
    // Everything typed into the form is checked before anything is stored.
    const std::string why = req.has_param("why") ? req.get_param_value("why") : "";
    const std::string comment = req.has_param("comment") ? req.get_param_value("comment") : "";
    std::optional<std::string> bad;
    if (action == LinkAction::kReject && check_form_text("The reason", why, kMaxReasonBytes, true))
      bad = t.bad_text;
    if (action == LinkAction::kSurvey && check_form_text("The comment", comment, kMaxReasonBytes, true))
      bad = t.bad_text;
    int rating = 0;
    if (!bad && action == LinkAction::kSurvey) {
      const std::string r = req.has_param("rating") ? req.get_param_value("rating") : "";
      if (r.size() == 1 && r[0] >= '1' && r[0] <= '5')
        rating = r[0] - '0';
      else
        bad = t.bad_rating;
    }
    if (bad) {
      html(res, 400, a->lang, t.not_accepted,
           "<h1>" + esc(t.not_accepted) + "</h1><p id=\"result\" class=\"error\">" + html_escape(*bad) + " " +
               esc(t.nothing_saved) + "</p>" + back_link(*a));
      return;
    }

    // The case as it is now, in the services' own unit of work: the change, its event
    // and its mails commit together.
    const auto by = services::Actor::customer("web");
    std::string body;
    Result<store::Case> done = fail(ErrorCode::kInvalidInput, "Nothing to do.");
    // Accepting or rejecting answers the proposal the link was mailed with, and only while
    // it is the latest: checked in the unit that writes the answer, so that a proposal
    // made meanwhile is seen.
    bool replaced = false;
    auto answers_latest = [&](store::UnitOfWork& w, const store::Case& c) -> Status {
      MC_ASSIGN_OR_RETURN(auto proposals, services::proposals_of(w, c.id));
      if (services::proposal_answered(a->named_proposal, proposals) == proposals.latest) return {};
      replaced = true;
      return fail(ErrorCode::kConflict, "the link answers an earlier proposed solution");
    };
    if (action == LinkAction::kAccept) {
      done = cases.on_case(a->c.id, [&](store::UnitOfWork& w, store::Case& c) -> Status {
        MC_RETURN_IF_ERROR(answers_latest(w, c));
        return cases.accept(w, by, c);
      });
      // The survey is shown right here (closing then sends no survey mail).
      if (done)
        body = "<h1>" + esc(t.thanks) + "</h1><p id=\"result\" class=\"ok\">" +
               fill(t.accepted, {done->number}) + "</p>" + survey_form(*a);
    } else if (action == LinkAction::kReject) {
      done = cases.on_case(a->c.id, [&](store::UnitOfWork& w, store::Case& c) -> Status {
        MC_RETURN_IF_ERROR(answers_latest(w, c));
        return cases.reject(w, by, c, why);
      });
      if (done)
        body = "<h1>" + esc(t.thanks) + "</h1><p id=\"result\" class=\"ok\">" +
               fill(t.rejected, {done->number}) + "</p>" + back_link(*a);
    } else if (action == LinkAction::kSurvey) {
      done = cases.on_case(a->c.id, [&](store::UnitOfWork& w, store::Case& c) {
        return cases.answer_survey(w, by, c, rating, comment);
      });
      if (done)
        body = "<h1>" + esc(t.thanks) + "</h1><p id=\"result\" class=\"ok\">" +
               fill(t.your_rating, {std::to_string(rating)}) + "</p>";
    }
    if (!done) {
      // The services explain in English, for agents; the customer reads why in their
      // language: the survey answered already, the case moved on, or try again.
      const auto code = done.error().code;
      const bool refused = code == ErrorCode::kInvalidInput || code == ErrorCode::kConflict;
      if (replaced) {
        html(res, 409, a->lang, t.not_possible,
             "<h1>" + esc(t.not_possible) + "</h1><p id=\"result\">" + esc(t.replaced) + " " +
                 esc(t.nothing_saved) + "</p>" + back_link(*a));
        return;
      }
      const char* why_not = !refused                                                        ? t.try_again
                            : action == LinkAction::kSurvey && code == ErrorCode::kConflict ? t.survey_done
                                                                                            : t.changed;
      html(res, refused ? 409 : 503, a->lang, t.not_possible,
           "<h1>" + esc(t.not_possible) + "</h1><p id=\"result\">" + esc(why_not) + "</p>" + back_link(*a));
      return;
    }
    html(res, 200, a->lang, fill(t.case_title, {a->c.number}), body);
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
  server.get("/", "/", [&d](const httplib::Request&, httplib::Response& res) {
    const std::string lang = d.default_lang();
    d.html(res, 200, lang, d.cfg.outbound.from_name,
           "<p class=\"card\">" + esc(texts_for(lang).open_link) + "</p>");
  });
}

}  // namespace mailcase::web
