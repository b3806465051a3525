// The mails to customers as Mustache templates, one per mail and language (OUT6):
// DATA/templates/<lang>/<kind>.txt, written by `mailcase init` and editable there; a
// missing file falls back to the built-in text. The first line is "Subject: …", then
// a blank line, then the text body. The HTML part is made from the rendered text.
//
// An edited file takes effect at the next mail rendered: the cache is checked against the
// file's identity (inode, size, modification time) on every use.
//
// Values: case_number, case_tag ("[CS0000001]"), subject, contact_name, body, link,
// accept_link, reject_link, survey_link, from_name. The values named "link" or
// "*_link" are ours: only they are links in the HTML part.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "util/result.h"

namespace mailcase::outbound {

struct Rendered {
  std::string subject;
  std::string text;
  std::string html;
};

const std::vector<std::string>& template_languages();  // en, fr, pl
const std::vector<std::string>& template_kinds();      // confirmation, comment, solution, closed, survey

// The built-in template text; empty when kind or language is unknown.
std::string builtin_template(const std::string& kind, const std::string& language);

class Templates {
 public:
  explicit Templates(std::filesystem::path dir) : dir_(std::move(dir)) {}
  // Writes every built-in template that is not there yet (never overwrites an edit).
  [[nodiscard]] Status install() const;
  // Renders kind in language (falling back to English). Values go into the text part as
  // they are, {{value}} and {{{value}}} alike; the HTML part escapes them (text_to_html).
  [[nodiscard]] Result<Rendered> render(const std::string& kind, const std::string& language,
                                        const std::map<std::string, std::string>& values) const;

 private:
  std::string load(const std::string& kind, const std::string& lang) const;
  std::filesystem::path dir_;
  // File texts by path with the identity they were read at: read again when the file
  // changed (an edit through the console, or by hand), so the running serve sees it.
  struct Cached {
    std::string stamp;  // inode, size, mtime in ns; "" when the file was absent
    std::string text;
  };
  mutable std::mutex mu_;
  mutable std::map<std::filesystem::path, Cached> cache_;
};

// Why `text` cannot be a template (empty when it can): at most kMaxTemplateBytes, no NUL,
// Mustache the renderer takes, and a first line that starts "Subject:".
inline constexpr size_t kMaxTemplateBytes = 64 * 1024;
std::string template_problem(const std::string& text);

// Plain text → a small HTML document: paragraphs, line breaks, everything escaped.
// Only the exact URLs in own_links (our signed links) become <a href>: a URL that came
// in a value (a sender's display name, subject or body) stays text, so a forged mail
// cannot make us send someone a clickable link of its choosing.
std::string text_to_html(const std::string& text, const std::vector<std::string>& own_links);

}  // namespace mailcase::outbound
