#include "web/comment_form.h"

#include "mime/filename.h"
#include "util/text.h"

namespace mailcase::web {
namespace {

bool token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f && std::string_view("()<>@,;:\\\"/[]?={}").find(c) == std::string_view::npos;
}

}  // namespace

std::string safe_content_type(std::string_view given) {
  const std::string_view t = text::trim(given);
  const size_t slash = t.find('/');
  bool ok = t.size() <= 100 && slash != std::string_view::npos && slash > 0 && slash + 1 < t.size();
  for (size_t i = 0; ok && i < t.size(); ++i) ok = i == slash || token_char(t[i]);
  return ok ? text::ascii_lower(t) : std::string("application/octet-stream");
}

tl::expected<CommentForm, std::vector<FormError>> comment_of_form(const httplib::MultipartFormDataMap& parts,
                                                                  const CommentFormLimits& limits) {
  std::vector<FormError> errors;
  CommentForm out;
  size_t total = 0;
  size_t bodies = 0, visibilities = 0;
  for (const auto& [name, part] : parts) total += part.content.size();
  if (total > limits.max_total_bytes)
    errors.push_back({"attachments", "the parts together hold " + std::to_string(total) + " bytes; at most " +
                                         std::to_string(limits.max_total_bytes)});
  if (parts.count("attachments") > limits.max_files)
    errors.push_back({"attachments", "at most " + std::to_string(limits.max_files) + " files"});
  if (parts.count("cc") > limits.max_cc)
    errors.push_back({"cc", "at most " + std::to_string(limits.max_cc) + " addresses"});
  if (!errors.empty()) return tl::unexpected(std::move(errors));

  for (const auto& [name, part] : parts) {
    if (name == "body") {
      ++bodies;
      if (!text::is_clean_text(part.content, false))
        errors.push_back({"body", "the text must be UTF-8 without control characters"});
      // A browser sends a textarea's lines ended by CR LF (HTML's form encoding): the text
      // is kept with LF alone, as a mail's text is, so that it reads the same in a
      // terminal, the API's JSON and a mail.
      out.comment.body = text::lf_line_ends(part.content);
    } else if (name == "visibility") {
      ++visibilities;
      if (part.content == "public" || part.content == "internal")
        out.comment.is_public = part.content == "public";
      else
        errors.push_back({"visibility", "must be \"public\" or \"internal\""});
    } else if (name == "cc") {
      const std::string_view address = text::trim(part.content);
      if (address.empty() || !text::is_clean_text(address, true))
        errors.push_back({"cc", "each cc is one email address"});
      else
        out.cc.emplace_back(address);
    } else if (name == "attachments") {
      outbound::OutgoingAttachment a;
      const std::string fallback = "attachment-" + std::to_string(out.comment.attachments.size() + 1);
      // A name that is not UTF-8 is made so before it is cleaned: it reaches the mail and the page.
      a.filename = mime::safe_filename(text::make_valid_utf8(part.filename), fallback);
      a.content_type = safe_content_type(part.content_type);
      a.bytes = part.content;
      out.comment.attachments.push_back(std::move(a));
    } else {
      errors.push_back({text::make_valid_utf8(name.substr(0, 100)), "not a field of a comment"});
    }
  }
  if (bodies != 1)
    errors.push_back({"body", bodies == 0 ? "required" : "given more than once"});
  else if (text::trim(out.comment.body).empty())
    errors.push_back({"body", "the comment is empty"});
  if (visibilities != 1)
    errors.push_back(
        {"visibility", visibilities == 0 ? "required: \"public\" or \"internal\"" : "given more than once"});
  if (!errors.empty()) return tl::unexpected(std::move(errors));
  return out;
}

}  // namespace mailcase::web
