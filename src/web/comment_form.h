// An agent's comment posted as multipart/form-data (the REST API's comments with
// attachments), read from the parts cpp-httplib has parsed (req.files). Pure.
//
// Parts: "body" (the text, required), "visibility" ("public" or "internal", required:
// a forgotten field must not mail the customer), "cc" (an address, repeatable),
// "attachments" (a file, repeatable). Any other part is refused.
#pragma once

#include <httplib.h>

#include <string>
#include <vector>

#include "services/case_services.h"
#include "util/result.h"

namespace mailcase::web {

struct CommentFormLimits {
  size_t max_files = 20;
  size_t max_cc = 20;
  // All parts' contents together (the request's body limit bounds them too; this keeps
  // what the comment holds in memory and in the mail within the same bound).
  size_t max_total_bytes = 10 * 1024 * 1024;
};

struct CommentForm {
  services::AgentComment comment;
  std::vector<std::string> cc;  // as given (trimmed); the services check each
};

// One part of the form that is wrong: its name and why.
struct FormError {
  std::string field;
  std::string message;
};

// The comment, or every part at fault. Attachment names are made safe
// (mime::safe_filename; "attachment-N" when a name has nothing left), a content type
// that is not one plain "type/subtype" becomes application/octet-stream.
tl::expected<CommentForm, std::vector<FormError>> comment_of_form(const httplib::MultipartFormDataMap& parts,
                                                                  const CommentFormLimits& limits);

// A content type fit for a mail's part: "type/subtype" of token characters, at most 100
// bytes, lower-cased; else application/octet-stream.
std::string safe_content_type(std::string_view given);

}  // namespace mailcase::web
