// The API by mail's XML commands (docs/mail-api.md): read with pugixml, checked by our
// own code. Pure: bytes in, commands or errors out.
//
// The document is <mailcase-api> holding at most kMaxCommands commands, each an element
// whose fields are child elements holding text. An unknown command or field, a field
// given twice (an email may repeat), a required field missing, a value too long or with
// control characters: an error naming the command (its position and element) and the
// field. One error anywhere and no command runs.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mailcase::mail_api {

inline constexpr size_t kMaxXmlBytes = 1024 * 1024;  // a longer body is refused unread
inline constexpr size_t kMaxCommands = 100;
inline constexpr size_t kMaxFieldBytes = 200;       // one-line fields (names, numbers, queues)
inline constexpr size_t kMaxTextBytes = 64 * 1024;  // descriptions and comments
inline constexpr size_t kMaxEmails = 20;            // emails of one contact or account
inline constexpr std::string_view kRootElement = "mailcase-api";

struct CreateCase {
  std::string subject;
  std::string description;
  std::string contact_email;  // made a contact when it is none yet
  std::string contact_name;
  std::string account;                   // an account's name: the new contact's; empty: none
  std::string queue, priority, product;  // empty: the defaults
};
struct AddComment {
  std::string case_number;
  std::string text;
  bool is_public = true;  // public: mailed to the contact; internal: a note
};
// An absent field stays as it is.
struct UpdateCase {
  std::string case_number;
  std::optional<std::string> status;  // open | resolved | closed
  std::optional<std::string> priority, queue, owner, product, stage;
};
struct AddContact {
  std::string name;
  std::vector<std::string> emails;
  std::string account;
  std::string language;
};
struct AddAccount {
  std::string name;
  std::vector<std::string> emails;
  std::string support_level;
};
struct CloseCase {
  std::string case_number;
  std::optional<std::string> comment;
  bool comment_public = true;
};

using CommandBody = std::variant<CreateCase, AddComment, UpdateCase, AddContact, AddAccount, CloseCase>;

struct Command {
  size_t position = 0;  // 1-based, in the document's order
  std::string element;  // "create-case" …
  CommandBody body;
};

struct CommandError {
  size_t position = 0;  // 0: the document itself
  std::string element;  // the command's element; empty for the document
  std::string message;  // names the field
};

struct Commands {
  std::vector<Command> commands;
  std::vector<CommandError> errors;  // any: none of the commands may run
  bool ok() const { return errors.empty(); }
};

// Reads the document; never throws, for any bytes.
Commands parse_commands(std::string_view xml);

// Where the XML of a mail's text body is: from "<?xml" or "<mailcase-api" to the end
// of "</mailcase-api>" (text around it, such as a signature, is left out); the whole
// trimmed body when neither is found, so that the error names what is there.
std::string_view xml_of_body(std::string_view body);

// The error's line for the reply: "command 2 (update-case): status: …" or "document: …".
std::string describe(const CommandError& e);

}  // namespace mailcase::mail_api
