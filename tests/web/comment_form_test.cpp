// An agent's comment posted as multipart/form-data: the parts cpp-httplib hands over
// become a services::AgentComment (with its cc addresses), bounded in files and bytes,
// with safe attachment names; every part at fault is named.
#include "web/comment_form.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace mailcase::web {
namespace {

httplib::MultipartFormDataMap form(std::vector<httplib::MultipartFormData> parts) {
  httplib::MultipartFormDataMap m;
  for (auto& p : parts) m.emplace(p.name, p);
  return m;
}

httplib::MultipartFormData field(std::string name, std::string value) {
  return {std::move(name), std::move(value), "", ""};
}
httplib::MultipartFormData file(std::string filename, std::string bytes,
                                std::string type = "application/pdf") {
  return {"attachments", std::move(bytes), std::move(filename), std::move(type)};
}

bool names(const std::vector<FormError>& errors, const std::string& field) {
  return std::any_of(errors.begin(), errors.end(), [&](const FormError& e) { return e.field == field; });
}

TEST(CommentForm, APublicCommentWithFilesAndCopies) {
  auto r =
      comment_of_form(form({field("body", "The manual is attached."), field("visibility", "public"),
                            field("cc", " boss@example.org "), field("cc", "it@example.org"),
                            file("manual.pdf", "%PDF-1.4"), file("photo.JPG", "\xff\xd8", "Image/JPEG")}),
                      {});
  ASSERT_TRUE(r) << r.error().front().field << ": " << r.error().front().message;
  EXPECT_EQ(r->comment.body, "The manual is attached.");
  EXPECT_TRUE(r->comment.is_public);
  EXPECT_EQ(r->cc, (std::vector<std::string>{"boss@example.org", "it@example.org"}));
  ASSERT_EQ(r->comment.attachments.size(), 2u);
  EXPECT_EQ(r->comment.attachments[0].filename, "manual.pdf");
  EXPECT_EQ(r->comment.attachments[0].content_type, "application/pdf");
  EXPECT_EQ(r->comment.attachments[0].bytes, "%PDF-1.4");
  EXPECT_EQ(r->comment.attachments[1].content_type, "image/jpeg");
}

TEST(CommentForm, AnInternalNoteNeedsNoFiles) {
  auto r = comment_of_form(form({field("visibility", "internal"), field("body", "VIP customer")}), {});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->comment.is_public);
  EXPECT_TRUE(r->comment.attachments.empty());
  EXPECT_TRUE(r->cc.empty());
}

// A browser ends a textarea's lines with CR LF: the text is kept with LF, as a mail's.
TEST(CommentForm, ATextareasCrLfLinesAreKeptWithLf) {
  auto r = comment_of_form(
      form({field("visibility", "public"), field("body", "Dzień dobry,\r\nproszę\r\n\r\nMarek")}), {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->comment.body, "Dzień dobry,\nproszę\n\nMarek");
}

TEST(CommentForm, FileNamesAreMadeSafeAndOddContentTypesBecomeOctetStream) {
  auto r = comment_of_form(form({field("body", "x"), field("visibility", "public"),
                                 file("../../etc/passwd", "a", "text/plain\r\nX-Evil: 1"), file("", "b", ""),
                                 file("C:\\Users\\ann\\report.docx", "c", "application/vnd.openxmlformats")}),
                           {});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->comment.attachments.size(), 3u);
  EXPECT_EQ(r->comment.attachments[0].filename, "passwd");
  EXPECT_EQ(r->comment.attachments[0].content_type, "application/octet-stream");
  EXPECT_EQ(r->comment.attachments[1].filename.rfind("attachment-2", 0), 0u)
      << r->comment.attachments[1].filename;
  EXPECT_EQ(r->comment.attachments[1].content_type, "application/octet-stream");
  EXPECT_EQ(r->comment.attachments[2].filename, "report.docx");
  EXPECT_EQ(safe_content_type("text/plain; charset=utf-8"), "application/octet-stream");
  EXPECT_EQ(safe_content_type(" Text/Plain "), "text/plain");
  EXPECT_EQ(safe_content_type("/plain"), "application/octet-stream");
  EXPECT_EQ(safe_content_type(std::string(60, 'a') + "/" + std::string(60, 'b')), "application/octet-stream");
}

TEST(CommentForm, MoreFilesOrBytesThanAllowedAreRefusedBeforeAnythingIsCopied) {
  std::vector<httplib::MultipartFormData> parts{field("body", "x"), field("visibility", "public")};
  for (int i = 0; i < 21; ++i) parts.push_back(file("f" + std::to_string(i) + ".txt", "x"));
  auto many = comment_of_form(form(parts), {});
  ASSERT_FALSE(many);
  EXPECT_TRUE(names(many.error(), "attachments"));

  parts.resize(2 + 20);
  EXPECT_TRUE(comment_of_form(form(parts), {}));

  auto big =
      comment_of_form(form({field("body", "x"), field("visibility", "public"),
                            file("a.bin", std::string(600, 'a')), file("b.bin", std::string(500, 'b'))}),
                      {.max_total_bytes = 1000});
  ASSERT_FALSE(big);
  EXPECT_TRUE(names(big.error(), "attachments"));

  std::vector<httplib::MultipartFormData> copies{field("body", "x"), field("visibility", "public")};
  for (int i = 0; i < 21; ++i) copies.push_back(field("cc", "a" + std::to_string(i) + "@example.org"));
  auto cc = comment_of_form(form(copies), {});
  ASSERT_FALSE(cc);
  EXPECT_TRUE(names(cc.error(), "cc"));
}

TEST(CommentForm, EveryPartAtFaultIsNamed) {
  auto none = comment_of_form(form({}), {});
  ASSERT_FALSE(none);
  EXPECT_TRUE(names(none.error(), "body"));
  EXPECT_TRUE(names(none.error(), "visibility"));

  auto bad = comment_of_form(
      form({field("body", "  \n"), field("visibility", "everyone"), field("cc", ""), field("owner", "x")}),
      {});
  ASSERT_FALSE(bad);
  EXPECT_TRUE(names(bad.error(), "body"));
  EXPECT_TRUE(names(bad.error(), "visibility"));
  EXPECT_TRUE(names(bad.error(), "cc"));
  EXPECT_TRUE(names(bad.error(), "owner"));

  auto twice =
      comment_of_form(form({field("body", "a"), field("body", "b"), field("visibility", "public")}), {});
  ASSERT_FALSE(twice);
  EXPECT_TRUE(names(twice.error(), "body"));

  auto control = comment_of_form(form({field("body", "bell\x07"), field("visibility", "public")}), {});
  ASSERT_FALSE(control);
  EXPECT_TRUE(names(control.error(), "body"));
}

}  // namespace
}  // namespace mailcase::web
