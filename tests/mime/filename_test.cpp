#include "mime/filename.h"

#include <gtest/gtest.h>

namespace mailcase::mime {
namespace {

TEST(AttachmentDisposition, AsciiNameForOldClientsAndTheExactOneEncoded) {
  EXPECT_EQ(attachment_disposition("report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf");
  EXPECT_EQ(attachment_disposition("a \"b\"\\c.txt"),
            "attachment; filename=\"a _b__c.txt\"; filename*=UTF-8''a%20%22b%22%5Cc.txt");
  EXPECT_EQ(attachment_disposition("Façade.pdf"),
            "attachment; filename=\"Fa__ade.pdf\"; filename*=UTF-8''Fa%C3%A7ade.pdf");
}

}  // namespace
}  // namespace mailcase::mime
