// The new text of a reply, kept apart from the quoted history and the signature. Pure.
#pragma once

#include <string>
#include <string_view>

namespace mailcase::ingest {

struct ReplyText {
  std::string new_text;  // what the sender wrote this time, trimmed
  std::string quoted;    // the "On … wrote:" header, quoted history and signature; may be empty
};

// Recognises quote headers in many languages (On … wrote:, Le … a écrit :, W dniu …
// pisze:, Am … schrieb …), Outlook header blocks and "-----Original Message-----",
// forwarded-message markers, ">" quoting, "-- " signatures and common mobile
// signatures. When nothing is recognised the whole body is new text.
ReplyText split_reply(std::string_view body);

}  // namespace mailcase::ingest
