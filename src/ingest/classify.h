// What kind of mail this is, for loop prevention and bounce handling. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mime/message.h"

namespace mailcase::ingest {

enum class MailKind {
  kPersonal,   // written by a person: may be answered automatically
  kAutoReply,  // out-of-office / vacation (RFC 3834 auto-replied, or recognised by subject/headers),
               // and any other mail from the null sender <> that is no bounce
  kBounce,     // delivery status notification / non-delivery report; any mail from MAILER-DAEMON,
               // postmaster and the like
  kFeedback,   // ARF abuse/feedback report
  kAutomated,  // other machine mail: Auto-Submitted auto-generated, Precedence bulk/junk/list, List-Id
};
const char* to_string(MailKind kind);

struct BouncedRecipient {
  std::string email;   // lower-cased final recipient
  std::string status;  // RFC 3463 code like "5.1.1", empty when unknown
  bool hard = false;   // permanent failure
};

struct Classification {
  MailKind kind = MailKind::kPersonal;
  std::string reason;                             // which header or pattern decided, for the log
  std::vector<BouncedRecipient> recipients;       // for kBounce
  std::vector<std::string> original_message_ids;  // Message-IDs of the mail that bounced, if found
  // The sender asked for no automatic answers (X-Auto-Response-Suppress: All or
  // AutoReply, as Exchange and other help desks write it): a person's mail all the same,
  // but no confirmation goes back.
  bool suppresses_auto_replies = false;
  bool must_not_auto_answer() const { return kind != MailKind::kPersonal; }
};

// envelope_sender: the transport's (Envelope::sender): nullopt when it did not say, then
// the mail's Return-Path stands for it; "" (or "<>") for the null sender, whose mail is
// machine mail whatever its headers say.
Classification classify(const mime::ParsedMessage& message,
                        const std::optional<std::string>& envelope_sender);

}  // namespace mailcase::ingest
