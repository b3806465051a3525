#include "ingest/classify.h"

#include <re2/re2.h>

#include <algorithm>
#include <string_view>

#include "outbound/loop_guard.h"
#include "util/text.h"

namespace mailcase::ingest {

const char* to_string(MailKind kind) {
  switch (kind) {
    case MailKind::kPersonal: return "personal";
    case MailKind::kAutoReply: return "auto-reply";
    case MailKind::kBounce: return "bounce";
    case MailKind::kFeedback: return "feedback report";
    case MailKind::kAutomated: return "automated";
  }
  return "personal";
}

namespace {

bool matches(const RE2& re, std::string_view s) { return RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), re); }

const RE2& autoreply_subject_re() {
  static const RE2 re(
      "(?i)^\\s*(?:auto(?:matic)?[ -]?(?:reply|response|antwort|respuesta|risposta)|out of (?:the )?office|"
      "r[ée]ponse automatique|abwesenheits?(?:notiz|nachricht)?|automatische antwort|odpowied[źz] automatyczna|"
      "autoreply|autosvar|automatisch antwoord|fuera de la oficina|absence|vacation|ooo\\b|"
      "i am out of the office|i will be out|je suis absent|nieobecno[śs][ćc])");
  return re;
}

const RE2& bounce_subject_re() {
  static const RE2 re(
      "(?i)(?:undeliver(?:ed|able)|returned mail|delivery (?:status notification|failure|has failed|failed|"
      "notification|problem)|mail delivery (?:failed|failure|subsystem|system)|failure notice|non[- ]?delivery|"
      "could not be delivered|not be delivered|nondeliverable|rejected:|message not delivered|"
      "unzustellbar|nicht zustellbar|non remis|non distribuable|niedostarczon|warning: message|"
      "delivery report|returned to sender|mail could not|permanent (?:error|failure)|"
      "delivery status|unable to deliver|mensaje no entregado|недоставлен)");
  return re;
}

const RE2& bounce_sender_re() {
  static const RE2 re("(?i)^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon|bounces?|mdaemon|"
                      "mail\\.delivery\\.system|microsoftexchange[0-9a-f]*|double-bounce)@");
  return re;
}

// Exact checks before the three patterns above, which every mail met and whose compiling
// cost a `deliver` (one process per mail) about 3.7 million instructions: a text they
// refuse cannot match the pattern, so it is compiled only for one that may. Any byte past
// ASCII sends the text on: (?i) folds Cyrillic and ſ, K (Kelvin) onto the patterns' letters.
bool has_non_ascii(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}
// Each alternative of bounce_subject_re() holds one of these (lower-cased) words.
bool may_be_bounce_subject(std::string_view subject) {
  if (has_non_ascii(subject)) return true;
  const std::string l = text::ascii_lower(subject);
  for (std::string_view w :
       {"deliver", "returned", "failure notice", "rejected:", "zustellbar", "non remis", "distribuable",
        "niedostarczon", "warning: message", "mail could not", "permanent ", "entregado"})
    if (l.find(w) != std::string::npos) return true;
  return false;
}
bool is_bounce_subject(std::string_view subject) {
  return may_be_bounce_subject(subject) && matches(bounce_subject_re(), subject);
}
// autoreply_subject_re(): past RE2's \s, an alternative beginning with one of these.
bool may_be_autoreply_subject(std::string_view subject) {
  if (has_non_ascii(subject)) return true;
  size_t i = 0;
  while (i < subject.size() && std::string_view(" \t\n\f\r").find(subject[i]) != std::string_view::npos) ++i;
  const std::string l = text::ascii_lower(subject.substr(i, 3));
  for (std::string_view w :
       {"aut", "out", "rep", "abw", "odp", "fue", "abs", "vac", "ooo", "i a", "i w", "je ", "nie"})
    if (l == w) return true;
  return false;
}
bool is_autoreply_subject(std::string_view subject) {
  return may_be_autoreply_subject(subject) && matches(autoreply_subject_re(), subject);
}
// The prefix responders put before the subject they answer ("Out of Office: x",
// "Automatic reply: x"): an auto-reply by itself, unlike the words of autoreply_subject_re()
// alone ("Vacation booking cannot be paid" is a person's). Only the phrases no person
// starts a subject with, then a colon.
const RE2& autoreply_prefix_re() {
  static const RE2 re(
      "(?i)^\\s*(?:auto(?:matic)?[ -]?(?:reply|response|antwort|respuesta|risposta)|"
      "out of (?:the )?office(?: (?:auto[ -]?)?reply)?|r[ée]ponse automatique|"
      "abwesenheits?(?:notiz|nachricht)|automatische antwort|odpowied[źz] automatyczna|autoreply|"
      "autosvar|automatisch antwoord|fuera de la oficina)\\s*:");
  return re;
}
bool is_autoreply_prefix(std::string_view subject) {
  return is_autoreply_subject(subject) && matches(autoreply_prefix_re(), subject);
}
// bounce_sender_re(): one of these local parts, then '@'.
bool may_be_bounce_sender(std::string_view from) {
  if (has_non_ascii(from)) return true;
  const std::string l = text::ascii_lower(from.substr(0, from.find('@')));
  if (l.rfind("microsoftexchange", 0) == 0) return true;
  for (std::string_view w : {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "bounce",
                             "bounces", "mdaemon", "mail.delivery.system", "double-bounce"})
    if (l == w) return true;
  return false;
}
bool is_bounce_sender(std::string_view from) {
  return may_be_bounce_sender(from) && matches(bounce_sender_re(), from);
}

const RE2& bounce_body_re() {
  static const RE2 re(
      "(?i)(?:this is the mail system at host|i'm sorry to have to inform you that your message could not|"
      "this is the qmail-send program|delivery to the following recipients? (?:failed|has been delayed)|"
      "the following addresses had permanent fatal errors|message could not be delivered|"
      "your message (?:could not|wasn't|was not) (?:be )?delivered|delivery has failed to these recipients|"
      "this message was created automatically by mail delivery software|"
      "a message that you sent could not be delivered|the original message was received at|"
      "unable to deliver your message|could not deliver mail to|delivery to the following recipient failed|"
      "there was an error delivering your mail)");
  return re;
}

const RE2& status_re() {
  static const RE2 re("(?im)^\\s*status\\s*:\\s*([245]\\.\\d{1,3}\\.\\d{1,3})");
  return re;
}
const RE2& final_recipient_re() {
  static const RE2 re("(?im)^\\s*(?:final|original)-recipient\\s*:\\s*(?:rfc822\\s*;\\s*)?<?([^\\s<>;]+@[^\\s<>;]+)>?");
  return re;
}
const RE2& message_id_re() {
  static const RE2 re("(?im)^\\s*message-id\\s*:\\s*<([^>\\s]+)>");
  return re;
}
const RE2& enhanced_code_re() {
  static const RE2 re("\\b([45]\\.[0-7]\\.\\d{1,3})\\b");
  return re;
}

std::string header_or_empty(const mime::ParsedMessage& m, std::string_view name) {
  const std::string* v = m.header(name);
  return v ? text::ascii_lower(text::trim(*v)) : std::string();
}
// The keyword of a keyword-and-parameters header (outbound::header_keyword); empty when absent.
std::string keyword_or_empty(const mime::ParsedMessage& m, std::string_view name) {
  const std::string* v = m.header(name);
  return v ? outbound::header_keyword(*v) : std::string();
}

// RFC 5321 section 4.5.5: the null envelope sender. The transport's word when it gave one,
// else the Return-Path the last delivery agent wrote.
bool from_null_sender(const mime::ParsedMessage& m, const std::optional<std::string>& envelope_sender) {
  if (envelope_sender) return outbound::is_null_sender(*envelope_sender);
  const std::string* return_path = m.header("Return-Path");
  return return_path && outbound::is_null_sender(*return_path);
}

void fill_bounce(const mime::ParsedMessage& m, Classification& c) {
  std::string fields = m.report ? m.report->status_fields : std::string();
  // Per recipient blocks are separated by blank lines; pair recipients with statuses in order.
  std::vector<std::string> recipients, statuses;
  {
    re2::StringPiece in(fields);
    std::string r;
    while (RE2::FindAndConsume(&in, final_recipient_re(), &r)) {
      std::string e = text::normalize_email(r);
      if (std::find(recipients.begin(), recipients.end(), e) == recipients.end()) recipients.push_back(e);
    }
    re2::StringPiece in2(fields);
    std::string s;
    while (RE2::FindAndConsume(&in2, status_re(), &s)) statuses.push_back(s);
  }
  if (statuses.empty()) {
    std::string s;
    std::string_view body = std::string_view(m.text_body).substr(0, 64 * 1024);
    if (RE2::PartialMatch(re2::StringPiece(body.data(), body.size()), enhanced_code_re(), &s)) statuses.push_back(s);
  }
  for (size_t i = 0; i < std::max(recipients.size(), statuses.empty() ? size_t{0} : size_t{1}); ++i) {
    BouncedRecipient b;
    if (i < recipients.size()) b.email = recipients[i];
    b.status = i < statuses.size() ? statuses[i] : (statuses.empty() ? "" : statuses.back());
    b.hard = !b.status.empty() && b.status[0] == '5';
    c.recipients.push_back(std::move(b));
  }
  std::string original = m.report ? m.report->original_headers : std::string();
  std::string id;
  if (!original.empty() && RE2::PartialMatch(original, message_id_re(), &id)) {
    c.original_message_ids.push_back(id);
  } else {
    std::string_view body = std::string_view(m.text_body).substr(0, 256 * 1024);
    if (RE2::PartialMatch(re2::StringPiece(body.data(), body.size()), message_id_re(), &id))
      c.original_message_ids.push_back(id);
  }
}

// What the mail's headers, From and text make of it; classify() adds the null sender's
// rule. null_sender: the mail came from <>, which makes a bounce of it on fewer signs (a
// bounce's subject or text alone).
Classification classify_content(const mime::ParsedMessage& m, bool null_sender) {
  Classification c;
  const std::string from = text::normalize_email(m.from.email);
  // RFC 3834: the keyword before any parameters or comment ("no; reason=x" and
  // "no (typed by a person)" are a person's mail).
  const std::string auto_submitted = keyword_or_empty(m, "Auto-Submitted");
  const std::string report_type = m.report ? text::ascii_lower(m.report->report_type) : std::string();

  // Feedback reports (ARF) first: they are multipart/report too.
  if (report_type == "feedback-report" || m.top_content_type == "message/feedback-report") {
    c.kind = MailKind::kFeedback;
    c.reason = "multipart/report; report-type=feedback-report";
    fill_bounce(m, c);
    return c;
  }
  if (report_type == "delivery-status" || report_type == "global-delivery-status") {
    c.kind = MailKind::kBounce;
    c.reason = "multipart/report; report-type=delivery-status";
    fill_bounce(m, c);
    return c;
  }
  // "From: MAILER-DAEMON <>" has no address at all: the display name is all there is.
  bool from_daemon = is_bounce_sender(from) ||
                     (from.empty() && is_bounce_sender(text::ascii_lower(text::trim(m.from.name)) + "@"));
  const std::string& subject = m.subject;
  std::string_view body_head = std::string_view(m.text_body).substr(0, 8192);
  if ((from_daemon || null_sender) && (is_bounce_subject(subject) || matches(bounce_body_re(), body_head) ||
                                       (m.report && !m.report->original_headers.empty()))) {
    c.kind = MailKind::kBounce;
    c.reason = from_daemon ? "non-delivery report from " + from : "non-delivery report to the null sender <>";
    fill_bounce(m, c);
    return c;
  }
  if (is_bounce_subject(subject) &&
      (matches(bounce_body_re(), body_head) || from_daemon || m.header("X-Failed-Recipients") != nullptr)) {
    c.kind = MailKind::kBounce;
    c.reason = "non-delivery report (subject and text)";
    fill_bounce(m, c);
    return c;
  }
  if (m.header("X-Failed-Recipients")) {
    c.kind = MailKind::kBounce;
    c.reason = "X-Failed-Recipients";
    fill_bounce(m, c);
    return c;
  }
  // The mail system writes under these names (RFC 3834 section 2, RFC 5321 section 4.5.1),
  // whatever the subject says: mail about mail, never a customer's request.
  if (from_daemon) {
    c.kind = MailKind::kBounce;
    c.reason =
        "sent by the mail system: " + (from.empty() ? text::ascii_lower(text::trim(m.from.name)) : from);
    fill_bounce(m, c);
    return c;
  }

  // RFC 3834 and the common vendor headers of automatic answers.
  if (!auto_submitted.empty() && auto_submitted != "no") {
    c.kind = auto_submitted.rfind("auto-replied", 0) == 0 || is_autoreply_subject(subject)
                 ? MailKind::kAutoReply
                 : MailKind::kAutomated;
    c.reason = "Auto-Submitted: " + auto_submitted;
    return c;
  }
  for (const char* h : {"X-Autoreply", "X-Autorespond", "X-Autoresponse", "X-Vacation"}) {
    if (m.header(h)) {
      c.kind = MailKind::kAutoReply;
      c.reason = std::string(h) + " header";
      return c;
    }
  }
  // An out-of-office answer of Exchange suppresses further out-of-office answers (OOF, or All).
  const std::string* suppress_header = m.header("X-Auto-Response-Suppress");
  const auto suppress = suppress_header ? outbound::auto_response_suppress_values(*suppress_header)
                                        : std::vector<std::string>{};
  const bool suppresses_oof =
      std::ranges::any_of(suppress, [](const std::string& v) { return v == "oof" || v == "all"; });
  if (is_autoreply_subject(subject) &&
      (suppresses_oof || !header_or_empty(m, "X-MS-Exchange-Inbox-Rules-Loop").empty() ||
       m.header("Precedence"))) {
    c.kind = MailKind::kAutoReply;
    c.reason = "out-of-office reply";
    return c;
  }
  if (is_autoreply_subject(subject) && m.in_reply_to.size() + m.references.size() > 0) {
    c.kind = MailKind::kAutoReply;
    c.reason = "automatic reply subject";
    return c;
  }
  if (is_autoreply_prefix(subject)) {
    c.kind = MailKind::kAutoReply;
    c.reason = "automatic reply subject prefix";
    return c;
  }
  // Precedence, else the X-Precedence some responders write instead.
  for (const char* name : {"Precedence", "X-Precedence"}) {
    const std::string precedence = keyword_or_empty(m, name);
    const bool auto_reply = precedence == "auto_reply" || precedence == "auto-reply";
    if (precedence == "bulk" || precedence == "junk" || precedence == "list" || auto_reply) {
      c.kind = auto_reply ? MailKind::kAutoReply : MailKind::kAutomated;
      c.reason = std::string(name) + ": " + precedence;
      return c;
    }
  }
  // Written by a program that passes mail on (procmail, list managers, help desks) to
  // know its own mail again: whoever wrote it, an automatic answer could start a loop.
  if (const std::string* loop = m.header("X-Loop")) {
    c.kind = MailKind::kAutomated;
    c.reason = "X-Loop: " + std::string(text::trim(*loop));
    return c;
  }
  if (m.header("List-Id") || m.header("List-Unsubscribe")) {
    c.kind = MailKind::kAutomated;
    c.reason = "mailing list";
    return c;
  }
  if (outbound::is_no_reply_address(from)) {
    c.kind = MailKind::kAutomated;
    c.reason = "machine sender " + from;
    return c;
  }
  return c;
}

}  // namespace

Classification classify(const mime::ParsedMessage& m, const std::optional<std::string>& envelope_sender) {
  const bool null_sender = from_null_sender(m, envelope_sender);
  Classification c = classify_content(m, null_sender);
  c.suppresses_auto_replies =
      outbound::suppresses_auto_replies(header_or_empty(m, "X-Auto-Response-Suppress"));
  // Delivery reports and automatic answers are sent from <> (RFC 5321 section 4.5.5, RFC
  // 3834 section 3.3): one with a bounce's signs is a bounce (above). Anything else from it
  // is machine mail that is never answered, but it still makes its case: a relay or a
  // gateway that drops the sender must not lose a customer's request.
  if (null_sender && c.kind == MailKind::kPersonal) {
    c.kind = MailKind::kAutomated;
    c.reason = "sent from the null sender <>";
  }
  return c;
}

}  // namespace mailcase::ingest
