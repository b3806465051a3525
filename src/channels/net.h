// Connecting to a mail server, one named step at a time, so that every failure says
// which step failed: name resolution, connection, TLS, certificate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/model.h"
#include "util/result.h"
#include "util/secret_file.h"

typedef struct _mailstream mailstream;
struct mailstream_ssl_context;

namespace mailcase::channels {

// What one reply of a server may cost the client, counted from the client's last write
// (its last command) to its next: past them the connection is treated as broken. libetpan
// reads a reply whole into memory (a line, a literal of the size the server announces, a
// FETCH or SEARCH list of any length) before it returns, and reads on as long as bytes
// come within its timeout, so these are the only bounds a hostile or broken server meets.
struct ReplyBounds {
  uint64_t max_bytes = 0;             // bytes of one reply (0: unbounded)
  int64_t grace_seconds = 30;         // after it, a reply must have come at least
  uint64_t min_bytes_per_second = 0;  // this fast on average (0: any speed)
};

struct Endpoint {
  std::string host;
  int port = 0;
  domain::TlsMode tls = domain::TlsMode::kImplicit;
  std::string ca_file;  // trusted in addition to nothing else when set; else the system CAs
  bool tls_verify = true;
  int timeout_s = 30;
  ReplyBounds bounds;  // applied by open_stream
};

// Resolves and connects; for implicit TLS also does the handshake and verifies the
// certificate. The stream belongs to the caller (libetpan session or mailstream_close).
[[nodiscard]] Result<mailstream*> open_stream(const Endpoint& ep);

// libetpan reads a multi-line POP3 reply (CAPA, LIST, UIDL, TOP, RETR) until its final
// "." and, when the server closes the connection before it, reads the end of the stream
// again forever, spinning (found by fuzz/mailbox_reply_fuzz). This makes the end of the
// stream a read error, so that every reply cut short fails. It also holds each reply to
// `bounds`. open_stream does it; call it again after STARTTLS, which replaces the
// stream's lower layer.
void end_of_stream_is_an_error(mailstream* stream, const ReplyBounds& bounds);

// Holds each IMAP reply line of a stream end_of_stream_is_an_error made back until
// ImapReplyScreen has judged it, and breaks the connection at the first line it refuses
// (libetpan crashes on some malformed replies: channels/imap_screen.h). greeting_first:
// the server's next line is its greeting. Call it again after STARTTLS, as
// end_of_stream_is_an_error. Another stream is left as it is.
void screen_imap_replies(mailstream* stream, bool greeting_first, std::string_view peer);
// Whether the screen holds judged bytes libetpan has not read yet (a wait on the socket
// would not see them).
bool reply_bytes_held(mailstream* stream);
// Why the screen of the stream refused the server's reply; nullopt when it did not.
std::optional<std::string> refused_reply(mailstream* stream);

// Sets the most bytes of each reply read from now on (ReplyBounds::max_bytes) on a
// stream end_of_stream_is_an_error made; returns the bound it had (0 for another stream,
// which is left as it is). For a command whose answer costs far more in memory than its
// bytes (a SEARCH: each UID a list cell in libetpan), around that command.
uint64_t set_reply_max_bytes(mailstream* stream, uint64_t max_bytes);

// Checks the certificate chain of a TLS stream against ep.ca_file (or the system
// trust) and ep.host. A no-op when ep.tls_verify is false.
[[nodiscard]] Status verify_certificate(mailstream* stream, const Endpoint& ep);

// libetpan's callback that sets SNI; data is the host name (const char*).
void set_server_name_callback(struct mailstream_ssl_context* ctx, void* data);

// The secret a mailbox authenticates with: the first line of a password file
// (read_password_file in util/secret_file.h), or what a token command prints. The
// text of the secret never appears in an error.
[[nodiscard]] Result<std::string> run_token_command(const std::string& command);

// ---- Shared by the IMAP and POP3 clients (imap_source.h, pop3_source.h) ----

// A reply of a mailbox's server may hold at least this much (a SEARCH, LIST or UIDL of
// millions of mails), and more where the client asks for more at once (reply_bound).
inline constexpr uint64_t kMinReplyBytes = 64ull << 20;
// After the connection's timeout, a reply must have come at least this fast on average.
inline constexpr uint64_t kMinReplyBytesPerSecond = 1024;

// Where a mailbox's server is, with its TLS settings; each reply bounded by `max_reply`
// bytes (at least kMinReplyBytes) and kMinReplyBytesPerSecond.
Endpoint endpoint_of(const domain::Mailbox& m, uint64_t max_reply = kMinReplyBytes);
// The server's own words after ": " ("" when it said nothing), without anything we sent
// (never the password).
std::string server_says(const char* response);
// The secret a mailbox authenticates with: its token command's output for XOAUTH2, else
// its password file's first line.
[[nodiscard]] Result<std::string> secret_of(const domain::Mailbox& m);
// A secret that is wiped from memory when it goes.
struct Secret {
  std::string value;
  ~Secret();
};

}  // namespace mailcase::channels
