#include "outbound/templates.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <mstch/mstch.hpp>
#include <mutex>
#include <sstream>
#include <sys/stat.h>

#include "util/text.h"

namespace mailcase::outbound {

const std::vector<std::string>& template_languages() {
  static const std::vector<std::string> v{"en", "fr", "pl"};
  return v;
}

const std::vector<std::string>& template_kinds() {
  static const std::vector<std::string> v{"confirmation", "comment", "solution", "closed", "survey"};
  return v;
}

std::string builtin_template(const std::string& kind, const std::string& lang) {
  // {{{ }}} leaves text as it is: the text part is plain text, not HTML.
  static const std::map<std::pair<std::string, std::string>, std::string> all{
      {{"confirmation", "en"},
       "Subject: {{{case_tag}}} {{{subject}}}\n\nHello {{{contact_name}}},\n\n"
       "thank you for your message. We have opened case {{{case_number}}} and will come back to you.\n"
       "Please keep {{{case_tag}}} in the subject when you write about it.\n\n"
       "You can follow the case here:\n{{{link}}}\n\n{{{from_name}}}\n"},
      {{"confirmation", "fr"},
       "Subject: {{{case_tag}}} {{{subject}}}\n\nBonjour {{{contact_name}}},\n\n"
       "merci pour votre message. Nous avons ouvert le dossier {{{case_number}}} et reviendrons vers vous.\n"
       "Merci de garder {{{case_tag}}} dans l'objet de vos messages à son sujet.\n\n"
       "Vous pouvez suivre le dossier ici :\n{{{link}}}\n\n{{{from_name}}}\n"},
      {{"confirmation", "pl"},
       "Subject: {{{case_tag}}} {{{subject}}}\n\nDzień dobry {{{contact_name}}},\n\n"
       "dziękujemy za wiadomość. Założyliśmy zgłoszenie {{{case_number}}} i wkrótce odpowiemy.\n"
       "Prosimy zachować {{{case_tag}}} w temacie kolejnych wiadomości.\n\n"
       "Zgłoszenie można śledzić tutaj:\n{{{link}}}\n\n{{{from_name}}}\n"},
      {{"comment", "en"},
       "Subject: {{{case_tag}}} {{{subject}}}\n\n{{{body}}}\n\n-- \nCase {{{case_number}}}: {{{link}}}\n"},
      {{"comment", "fr"},
       "Subject: {{{case_tag}}} {{{subject}}}\n\n{{{body}}}\n\n-- \nDossier {{{case_number}}} : "
       "{{{link}}}\n"},
      {{"comment", "pl"},
       "Subject: {{{case_tag}}} {{{subject}}}\n\n{{{body}}}\n\n-- \nZgłoszenie {{{case_number}}}: "
       "{{{link}}}\n"},
      {{"solution", "en"},
       "Subject: {{{case_tag}}} Proposed solution: {{{subject}}}\n\nHello {{{contact_name}}},\n\n"
       "we propose the following solution for case {{{case_number}}}:\n\n{{{body}}}\n\n"
       "Does it solve your problem? Reply with Accept or Reject as the first line, or use these links:\n"
       "Accept: {{{accept_link}}}\nReject: {{{reject_link}}}\n\n{{{from_name}}}\n"},
      {{"solution", "fr"},
       "Subject: {{{case_tag}}} Solution proposée : {{{subject}}}\n\nBonjour {{{contact_name}}},\n\n"
       "nous vous proposons la solution suivante pour le dossier {{{case_number}}} :\n\n{{{body}}}\n\n"
       "Votre problème est-il résolu ? Répondez Accepter ou Rejeter en première ligne, ou utilisez ces liens "
       ":\n"
       "Accepter : {{{accept_link}}}\nRejeter : {{{reject_link}}}\n\n{{{from_name}}}\n"},
      {{"solution", "pl"},
       "Subject: {{{case_tag}}} Proponowane rozwiązanie: {{{subject}}}\n\nDzień dobry {{{contact_name}}},\n\n"
       "proponujemy następujące rozwiązanie zgłoszenia {{{case_number}}}:\n\n{{{body}}}\n\n"
       "Czy problem został rozwiązany? Prosimy odpowiedzieć Akceptuję lub Odrzucam w pierwszej linii "
       "albo skorzystać z linków:\nAkceptuję: {{{accept_link}}}\nOdrzucam: "
       "{{{reject_link}}}\n\n{{{from_name}}}\n"},
      {{"closed", "en"},
       "Subject: {{{case_tag}}} Closed: {{{subject}}}\n\nHello {{{contact_name}}},\n\n"
       "case {{{case_number}}} is now closed. If you write to us about it again, we will reopen it.\n\n"
       "{{{link}}}\n\n{{{from_name}}}\n"},
      {{"closed", "fr"},
       "Subject: {{{case_tag}}} Clôturé : {{{subject}}}\n\nBonjour {{{contact_name}}},\n\n"
       "le dossier {{{case_number}}} est maintenant clôturé. Si vous nous écrivez à son sujet, nous le "
       "rouvrirons.\n\n{{{link}}}\n\n{{{from_name}}}\n"},
      {{"closed", "pl"},
       "Subject: {{{case_tag}}} Zamknięte: {{{subject}}}\n\nDzień dobry {{{contact_name}}},\n\n"
       "zgłoszenie {{{case_number}}} zostało zamknięte. Jeśli napiszą Państwo w tej sprawie, otworzymy je "
       "ponownie.\n\n{{{link}}}\n\n{{{from_name}}}\n"},
      {{"survey", "en"},
       "Subject: {{{case_tag}}} How did we do? {{{subject}}}\n\nHello {{{contact_name}}},\n\n"
       "please tell us in one click how satisfied you are with how we handled case {{{case_number}}}:\n"
       "{{{survey_link}}}\n\n{{{from_name}}}\n"},
      {{"survey", "fr"},
       "Subject: {{{case_tag}}} Votre avis : {{{subject}}}\n\nBonjour {{{contact_name}}},\n\n"
       "dites-nous en un clic si vous êtes satisfait du traitement du dossier {{{case_number}}} :\n"
       "{{{survey_link}}}\n\n{{{from_name}}}\n"},
      {{"survey", "pl"},
       "Subject: {{{case_tag}}} Ankieta: {{{subject}}}\n\nDzień dobry {{{contact_name}}},\n\n"
       "prosimy o ocenę obsługi zgłoszenia {{{case_number}}}:\n{{{survey_link}}}\n\n{{{from_name}}}\n"},
  };
  auto it = all.find({kind, lang});
  return it == all.end() ? std::string() : it->second;
}

Status Templates::install() const {
  std::error_code ec;
  for (const auto& lang : template_languages()) {
    std::filesystem::create_directories(dir_ / lang, ec);
    if (ec)
      return fail(ErrorCode::kTemporary, "cannot create " + (dir_ / lang).string() + ": " + ec.message());
    for (const auto& kind : template_kinds()) {
      auto file = dir_ / lang / (kind + ".txt");
      if (std::filesystem::exists(file, ec)) continue;
      std::ofstream out(file, std::ios::binary);
      out << builtin_template(kind, lang);
      if (!out) return fail(ErrorCode::kTemporary, "cannot write " + file.string());
    }
  }
  return {};
}

using text::html_escape;

namespace {

// One line with our links as anchors and everything else escaped. At each place the
// longest of our links wins ("…?t=x&do=accept" over "…?t=x").
std::string line_to_html(std::string_view line, const std::vector<std::string>& own_links) {
  std::string out;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t best_at = std::string_view::npos, best_len = 0;
    for (const auto& link : own_links) {
      if (link.empty()) continue;
      const size_t at = line.find(link, pos);
      if (at == std::string_view::npos) continue;
      if (at < best_at || (at == best_at && link.size() > best_len)) {
        best_at = at;
        best_len = link.size();
      }
    }
    if (best_at == std::string_view::npos) break;
    const std::string url(line.substr(best_at, best_len));
    out += html_escape(line.substr(pos, best_at - pos));
    out += "<a href=\"" + html_escape(url) + "\">" + html_escape(url) + "</a>";
    pos = best_at + best_len;
  }
  out += html_escape(line.substr(std::min(pos, line.size())));
  return out;
}

}  // namespace

std::string text_to_html(const std::string& text, const std::vector<std::string>& own_links) {
  std::string out = "<!DOCTYPE html>\n<html><body style=\"font-family: sans-serif\">\n<p>";
  std::istringstream in(text);
  std::string line;
  bool first = true;
  bool blank = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      blank = true;
      continue;
    }
    if (blank && !first)
      out += "</p>\n<p>";
    else if (!first)
      out += "<br>\n";
    blank = false;
    first = false;
    out += line_to_html(line, own_links);
  }
  out += "</p>\n</body></html>\n";
  return out;
}

namespace {

// Our templates are plain text: the text part and the Subject come straight from them,
// and the HTML part is made from that text by text_to_html, which escapes it with
// text::html_escape, once. So mustache's own HTML escaper (it also turns '/' into
// "&#x2F;") must not run: {{value}} in an edited template would otherwise put "&amp;"
// in the text part, "&amp;amp;" in the HTML part, and break our links. {{value}} and
// {{{value}}} are the same here. mstch reads this process-wide setting on every render;
// it is set once, before the first.
void mustache_leaves_text_as_it_is() {
  static std::once_flag once;
  std::call_once(once, [] { mstch::config::escape = [](const std::string& s) { return s; }; });
}

}  // namespace

namespace {

// What tells one version of a file from another without reading it; "" when absent.
std::string file_stamp(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return {};
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

std::string Templates::load(const std::string& kind, const std::string& lang) const {
  auto file = dir_ / lang / (kind + ".txt");
  const std::string stamp = file_stamp(file);
  std::lock_guard lock(mu_);
  auto it = cache_.find(file);
  if (it != cache_.end() && it->second.stamp == stamp) return it->second.text;
  std::string text;
  std::ifstream in(file, std::ios::binary);
  if (in) text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  cache_[file] = Cached{stamp, text};
  return text;
}

Result<Rendered> Templates::render(const std::string& kind, const std::string& language,
                                   const std::map<std::string, std::string>& values) const {
  std::string lang = language;
  if (builtin_template(kind, lang).empty()) lang = "en";
  auto file = dir_ / lang / (kind + ".txt");
  std::string tpl = load(kind, lang);
  if (tpl.empty()) tpl = builtin_template(kind, lang);
  if (tpl.empty()) return fail(ErrorCode::kInvalidInput, "no template for " + kind);
  mustache_leaves_text_as_it_is();
  mstch::map ctx;
  for (const auto& [k, v] : values) ctx.emplace(k, v);
  std::string out;
  try {
    out = mstch::render(tpl, ctx);
  } catch (const std::exception& e) {
    return fail(ErrorCode::kInvalidInput, file.string() + ": " + e.what());
  }
  Rendered r;
  if (out.rfind("Subject:", 0) != 0)
    return fail(ErrorCode::kInvalidInput, file.string() + ": the first line must be \"Subject: ...\"");
  auto nl = out.find('\n');
  r.subject = out.substr(8, nl == std::string::npos ? std::string::npos : nl - 8);
  while (!r.subject.empty() && (r.subject.front() == ' ')) r.subject.erase(0, 1);
  while (!r.subject.empty() && (r.subject.back() == '\r' || r.subject.back() == ' ')) r.subject.pop_back();
  r.text = nl == std::string::npos ? std::string() : out.substr(nl + 1);
  while (!r.text.empty() && (r.text.front() == '\n' || r.text.front() == '\r')) r.text.erase(0, 1);
  std::vector<std::string> own_links;
  for (const auto& [k, v] : values) {
    if (k == "link" || (k.size() > 5 && k.compare(k.size() - 5, 5, "_link") == 0)) own_links.push_back(v);
  }
  r.html = text_to_html(r.text, own_links);
  return r;
}

}  // namespace mailcase::outbound

namespace mailcase::outbound {

std::string template_problem(const std::string& text) {
  if (text.size() > kMaxTemplateBytes)
    return "a template is at most " + std::to_string(kMaxTemplateBytes / 1024) + " KiB";
  if (text.find('\0') != std::string::npos) return "a template is text (it has a NUL byte)";
  mustache_leaves_text_as_it_is();
  std::string out;
  try {
    out = mstch::render(text, mstch::map{});
  } catch (const std::exception& e) {
    return std::string("the template cannot be read: ") + e.what();
  }
  if (text.rfind("Subject:", 0) != 0) return "the first line must be \"Subject: ...\"";
  return {};
}

}  // namespace mailcase::outbound
