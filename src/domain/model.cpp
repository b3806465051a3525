#include "domain/model.h"

#include "util/text.h"

namespace mailcase::domain {

const char* to_string(RawState s) {
  switch (s) {
    case RawState::kReceived:
      return "received";
    case RawState::kProcessed:
      return "processed";
    case RawState::kHeld:
      return "held";
    case RawState::kFailed:
      return "failed";
    case RawState::kDuplicate:
      return "duplicate";
    case RawState::kDismissed:
      return "dismissed";
  }
  return "received";
}

bool may_retry(RawState s) {
  return may_dismiss(s) || s == RawState::kDismissed;
}

bool may_dismiss(RawState s) {
  return s == RawState::kHeld || s == RawState::kFailed;
}

std::optional<RawState> raw_state_from(std::string_view s) {
  for (auto st : {RawState::kReceived, RawState::kProcessed, RawState::kHeld, RawState::kFailed,
                  RawState::kDuplicate, RawState::kDismissed}) {
    if (s == to_string(st)) return st;
  }
  return std::nullopt;
}

const char* to_string(CaseStatus s) {
  switch (s) {
    case CaseStatus::kNew:
      return "new";
    case CaseStatus::kOpen:
      return "open";
    case CaseStatus::kSolutionProposed:
      return "solution proposed";
    case CaseStatus::kResolved:
      return "resolved";
    case CaseStatus::kClosed:
      return "closed";
  }
  return "open";
}

std::optional<CaseStatus> status_from_string(std::string_view s) {
  for (CaseStatus st : {CaseStatus::kNew, CaseStatus::kOpen, CaseStatus::kSolutionProposed,
                        CaseStatus::kResolved, CaseStatus::kClosed}) {
    if (text::iequals(s, to_string(st))) return st;
  }
  return std::nullopt;
}

const char* to_string(Direction d) {
  switch (d) {
    case Direction::kInbound:
      return "inbound";
    case Direction::kOutbound:
      return "outbound";
    case Direction::kNote:
      return "note";
  }
  return "note";
}

std::optional<Direction> direction_from(std::string_view s) {
  for (Direction d : {Direction::kInbound, Direction::kOutbound, Direction::kNote})
    if (s == to_string(d)) return d;
  return std::nullopt;
}

const char* to_string(Visibility v) {
  switch (v) {
    case Visibility::kPublic:
      return "public";
    case Visibility::kInternal:
      return "internal";
  }
  return "internal";
}

std::optional<Visibility> visibility_from(std::string_view s) {
  for (Visibility v : {Visibility::kPublic, Visibility::kInternal})
    if (s == to_string(v)) return v;
  return std::nullopt;
}

const char* to_string(OutboxState s) {
  switch (s) {
    case OutboxState::kQueued:
      return "queued";
    case OutboxState::kSent:
      return "sent";
    case OutboxState::kFailed:
      return "failed";
  }
  return "failed";
}

std::optional<OutboxState> outbox_state_from(std::string_view s) {
  for (OutboxState st : {OutboxState::kQueued, OutboxState::kSent, OutboxState::kFailed})
    if (s == to_string(st)) return st;
  return std::nullopt;
}

const char* to_string(Protocol p) {
  switch (p) {
    case Protocol::kImap:
      return "imap";
    case Protocol::kPop3:
      return "pop3";
  }
  return "imap";
}

std::optional<Protocol> protocol_from(std::string_view s) {
  for (Protocol p : {Protocol::kImap, Protocol::kPop3})
    if (s == to_string(p)) return p;
  return std::nullopt;
}

const char* to_string(TlsMode t) {
  switch (t) {
    case TlsMode::kImplicit:
      return "implicit";
    case TlsMode::kStartTls:
      return "starttls";
    case TlsMode::kNone:
      return "none";
  }
  return "implicit";
}

std::optional<TlsMode> tls_mode_from(std::string_view s) {
  for (TlsMode t : {TlsMode::kImplicit, TlsMode::kStartTls, TlsMode::kNone})
    if (s == to_string(t)) return t;
  return std::nullopt;
}

const char* to_string(AuthMethod a) {
  switch (a) {
    case AuthMethod::kPassword:
      return "password";
    case AuthMethod::kXOAuth2:
      return "xoauth2";
  }
  return "password";
}

std::optional<AuthMethod> auth_method_from(std::string_view s) {
  for (AuthMethod a : {AuthMethod::kPassword, AuthMethod::kXOAuth2})
    if (s == to_string(a)) return a;
  return std::nullopt;
}

namespace {
constexpr std::string_view kMovePrefix = "move:";
}

std::string to_string(const AfterFetch& a) {
  switch (a.action) {
    case AfterAction::kDelete:
      return "delete";
    case AfterAction::kSeen:
      return "seen";
    case AfterAction::kMove:
      return std::string(kMovePrefix) + a.move_folder;
    case AfterAction::kKeep:
      return "keep";
  }
  return "keep";
}

std::optional<AfterFetch> after_fetch_from(std::string_view s) {
  if (s.starts_with(kMovePrefix)) {
    if (s.size() == kMovePrefix.size()) return std::nullopt;
    return AfterFetch{AfterAction::kMove, std::string(s.substr(kMovePrefix.size()))};
  }
  for (AfterAction a : {AfterAction::kDelete, AfterAction::kSeen, AfterAction::kKeep})
    if (s == to_string(AfterFetch{a, {}})) return AfterFetch{a, {}};
  return std::nullopt;
}

}  // namespace mailcase::domain
