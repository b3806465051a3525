#include "cases/lifecycle.h"

#include <array>

#include "util/text.h"

namespace mailcase::cases {

const char* to_string(MailKind k) {
  switch (k) {
    case MailKind::kConfirmation:
      return "confirmation";
    case MailKind::kComment:
      return "comment";
    case MailKind::kSolution:
      return "solution";
    case MailKind::kClosed:
      return "closed";
    case MailKind::kSurvey:
      return "survey";
  }
  return "comment";
}

bool finished(CaseStatus s) {
  return s == CaseStatus::kResolved || s == CaseStatus::kClosed;
}

namespace {

Result<Transition> refuse(CaseStatus current, std::string_view what) {
  return fail(ErrorCode::kInvalidInput,
              std::string(what) + " is not possible while the case is " + to_string(current));
}

}  // namespace

Result<Transition> decide(CaseStatus current, ActionKind action, const ActionOptions& options) {
  switch (action) {
    case ActionKind::kPublicComment:
      if (current == CaseStatus::kClosed) return refuse(current, "a public comment");
      // An agent answering a new case has started working on it.
      return Transition{current == CaseStatus::kNew ? CaseStatus::kOpen : current, {MailKind::kComment}};
    case ActionKind::kInternalNote:
      return Transition{current, {}};
    case ActionKind::kProposeSolution:
      if (finished(current)) return refuse(current, "proposing a solution");
      return Transition{CaseStatus::kSolutionProposed, {MailKind::kSolution}};
    case ActionKind::kAccept:
      if (current != CaseStatus::kSolutionProposed) return refuse(current, "accepting a solution");
      return Transition{CaseStatus::kResolved, {}};
    case ActionKind::kReject:
      if (current != CaseStatus::kSolutionProposed) return refuse(current, "rejecting a solution");
      return Transition{CaseStatus::kOpen, {}};
    case ActionKind::kClose: {
      if (current == CaseStatus::kClosed) return refuse(current, "closing");
      Transition t{CaseStatus::kClosed, {MailKind::kClosed}};
      if (options.survey && !options.surveyed_already) t.mails.push_back(MailKind::kSurvey);
      return t;
    }
    case ActionKind::kReopen:
      if (!finished(current)) return refuse(current, "reopening");
      return Transition{CaseStatus::kOpen, {}};
    case ActionKind::kCustomerReply:
      if (finished(current)) {
        if (options.reply_to_closed == ReplyToClosed::kNewCase) return Transition{current, {}, true};
        return Transition{CaseStatus::kOpen, {}};
      }
      return Transition{current, {}};
    case ActionKind::kResolve:
      if (finished(current)) return refuse(current, "resolving");
      return Transition{CaseStatus::kResolved, {}};
  }
  return refuse(current, "this action");
}

bool survey_open(CaseStatus s) {
  return finished(s);
}

mailcase::Status may_answer_survey(CaseStatus s, std::optional<int> earlier_rating, int rating) {
  if (rating < 1 || rating > 5) return fail(ErrorCode::kInvalidInput, "Please choose a rating from 1 to 5.");
  if (earlier_rating && *earlier_rating > 0)
    return fail(ErrorCode::kConflict, "You have already answered the survey for this case. Thank you!");
  if (!survey_open(s)) return fail(ErrorCode::kInvalidInput, "The survey opens when the case is resolved.");
  return {};
}

namespace {

// Upper-case Polish letters that the keywords use, to lower case (ASCII is done apart).
std::string fold_case(std::string_view s) {
  std::string out = text::ascii_lower(s);
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kMap{{
      {"\xC4\x98", "\xC4\x99"},  // Ę → ę
      {"\xC4\x86", "\xC4\x87"},  // Ć → ć
      {"\xC3\x89", "\xC3\xA9"},  // É → é
      {"\xC3\x88", "\xC3\xA8"},  // È → è
  }};
  for (const auto& [up, low] : kMap) {
    for (size_t p = out.find(up); p != std::string::npos; p = out.find(up, p + low.size()))
      out.replace(p, up.size(), low);
  }
  return out;
}

bool is_punctuation_or_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '.' || c == '!' || c == ',' || c == ';' || c == ':' ||
         c == '-' || c == '*' || c == '_' || c == '"' || c == '\'' || c == '(' || c == ')' || c == '[' ||
         c == ']' || c == '?';
}

std::string_view strip_punctuation(std::string_view s) {
  while (!s.empty() && is_punctuation_or_space(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && is_punctuation_or_space(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

Verdict verdict_of_reply(std::string_view new_text) {
  static constexpr std::array<std::string_view, 8> kAccept{
      "accept", "accepted", "i accept", "accepter", "j'accepte", "accepte", "akceptuj\xC4\x99", "akceptuje"};
  static constexpr std::array<std::string_view, 9> kReject{"reject",  "rejected",   "i reject",
                                                           "rejeter", "je rejette", "rejette",
                                                           "refuser", "odrzucam",   "odrzu\xC4\x87"};
  for (std::string_view line : text::split_lines(new_text)) {
    std::string_view t = text::trim(line);
    if (t.empty()) continue;
    const std::string folded = fold_case(t);
    std::string_view word = strip_punctuation(folded);
    for (auto k : kAccept)
      if (word == k) return Verdict::kAccept;
    for (auto k : kReject)
      if (word == k) return Verdict::kReject;
    return Verdict::kNone;  // only the first non-empty line counts
  }
  return Verdict::kNone;
}

ReplyEffect customer_reply_effect(CaseStatus current, std::string_view new_text,
                                  const ActionOptions& options) {
  if (current == CaseStatus::kSolutionProposed) {
    switch (verdict_of_reply(new_text)) {
      case Verdict::kAccept:
        return ReplyEffect::kAccept;
      case Verdict::kReject:
        return ReplyEffect::kReject;
      case Verdict::kNone:
        return ReplyEffect::kNone;
    }
  }
  auto t = decide(current, ActionKind::kCustomerReply, options);
  if (!t) return ReplyEffect::kNone;
  if (t->new_case) return ReplyEffect::kNewCase;
  return t->status == current ? ReplyEffect::kNone : ReplyEffect::kReopen;
}

}  // namespace mailcase::cases
