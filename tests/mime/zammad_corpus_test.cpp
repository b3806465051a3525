// Whole-message parsing against Zammad's stored-mail fixtures (../shared/corpus/zammad).
// Compared: sender address, subject, body text (a prefix, after normalising), and that
// every expected attachment's bytes (MD5) are among ours. Zammad's own synthetic
// "message.html" copy of an HTML alternative is not an attachment here and is skipped.
#include <glib.h>
#include <gtest/gtest.h>

#include <iostream>
#include <set>
#include <nlohmann/json.hpp>

#include "mime/html_text.h"
#include "mime/parser.h"
#include "support/test_support.h"
#include "util/text.h"

namespace mailcase::mime {
namespace {

// Letters and digits only, lower-cased: formatting differences between an HTML
// rendering and a text part do not count, decoding errors do.
std::string alnum(std::string_view s) {
  std::string out;
  const char* p = s.data();
  const char* end = s.data() + s.size();
  while (p < end) {
    gunichar c = g_utf8_get_char_validated(p, end - p);
    if (c == static_cast<gunichar>(-1) || c == static_cast<gunichar>(-2)) {
      ++p;
      continue;
    }
    if (g_unichar_isalnum(c)) {
      char buf[8];
      int n = g_unichar_to_utf8(g_unichar_tolower(c), buf);
      out.append(buf, static_cast<size_t>(n));
    }
    p = g_utf8_next_char(p);
  }
  return out;
}

std::string md5(const std::string& data) {
  gchar* h = g_compute_checksum_for_data(G_CHECKSUM_MD5, reinterpret_cast<const guchar*>(data.data()), data.size());
  std::string s(h);
  g_free(h);
  return s;
}

// Words of letters and digits, lower-cased.
std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  const char* p = s.data();
  const char* end = s.data() + s.size();
  while (p < end) {
    gunichar c = g_utf8_get_char_validated(p, end - p);
    if (c == static_cast<gunichar>(-1) || c == static_cast<gunichar>(-2)) {
      ++p;
      continue;
    }
    if (g_unichar_isalnum(c)) {
      char buf[8];
      cur.append(buf, static_cast<size_t>(g_unichar_to_utf8(g_unichar_tolower(c), buf)));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
    p = g_utf8_next_char(p);
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

struct Rate {
  int pass = 0, total = 0;
  void add(bool ok) {
    ++total;
    pass += ok;
  }
  double pct() const { return total ? 100.0 * pass / total : 100.0; }
};

TEST(ZammadCorpus, FieldsMatchExpectedResults) {
  auto corpus = mailcase::testing::corpus_dir();
  if (!corpus) GTEST_SKIP() << "../shared/corpus is absent: Zammad corpus test skipped";
  auto dir = *corpus / "zammad";
  auto summary_path = dir / "expected_summary.json";
  if (!std::filesystem::exists(summary_path)) GTEST_SKIP() << "zammad/expected_summary.json is absent";
  auto summary = nlohmann::json::parse(mailcase::testing::read_file(summary_path));
  Rate from, subject, body, attachments;
  std::vector<std::string> notes;
  // Cases where the expected value is itself a decoding error, not a reference.
  const std::set<std::string> expected_is_wrong = {
      "mail044.box",  // from: expects "Claudia.Shu@yahoo.com." with the sentence's full stop
      "mail060.box",  // body: expects mojibake ("Ă¤ĂśĂź") of correctly declared UTF-8
      "mail072.box",  // body: expects mojibake ("ŕ", "aoűt") of French text
      "mail076.box",  // from: expects a stray ">" in the address
  };
  for (auto& [name, exp] : summary.items()) {
    if (expected_is_wrong.count(name)) continue;
    auto path = dir / "test" / "data" / "mail" / name;
    if (!std::filesystem::exists(path)) continue;
    spool::MemoryBlobStore blobs;
    auto parsed = parse_file(path, blobs);
    if (!parsed) {
      notes.push_back(name + ": unparseable");
      from.add(false);
      subject.add(false);
      continue;
    }
    const auto& m = *parsed;
    if (exp.contains("from_email") && exp["from_email"].is_string()) {
      bool ok = text::iequals(m.from.email, exp["from_email"].get<std::string>());
      from.add(ok);
      if (!ok) notes.push_back(name + ": from " + m.from.email + " != " + exp["from_email"].get<std::string>());
    }
    if (exp.contains("subject") && exp["subject"].is_string()) {
      bool ok = alnum(m.subject) == alnum(exp["subject"].get<std::string>());
      subject.add(ok);
      if (!ok) notes.push_back(name + ": subject \"" + m.subject + "\" != \"" + exp["subject"].get<std::string>() + "\"");
    }
    if (exp.contains("body_text_prefix") && exp["body_text_prefix"].is_string()) {
      // Zammad renders the HTML its own way (titles, link texts, alt texts), so the
      // body counts as right when most words of its first 200 characters are in ours:
      // that is what catches a wrong charset.
      std::string prefix = exp["body_text_prefix"].get<std::string>();
      auto want = words(prefix);
      if (want.size() > 1) want.pop_back();  // cut at 200 characters: the last word may be partial
      // "no visible content" is Zammad's placeholder for an empty body: nothing to compare.
      if (!want.empty() && prefix != "no visible content") {
        std::string ours = m.text_body + "\n" + html_to_text(m.html_body);
        auto have_list = words(ours);
        std::set<std::string> have(have_list.begin(), have_list.end());
        std::string ours_alnum = alnum(ours);
        size_t found = 0;
        // Scripts written without spaces make long "words": look for them as substrings.
        for (const auto& w : want) found += have.count(w) || ours_alnum.find(w) != std::string::npos;
        bool ok = found * 100 >= want.size() * 80;
        body.add(ok);
        if (!ok) notes.push_back(name + ": body lacks words of \"" + prefix.substr(0, 60) + "\"");
      }
    }
    if (exp.contains("attachments") && exp["attachments"].is_array()) {
      std::set<std::string> ours;
      // Text attachments are compared without regard to line endings.
      for (auto& [sha, data] : blobs.blobs()) {
        ours.insert(md5(data));
        std::string lf;
        for (size_t i = 0; i < data.size(); ++i)
          if (!(data[i] == '\r' && i + 1 < data.size() && data[i + 1] == '\n')) lf += data[i];
        ours.insert(md5(lf));
      }
      for (auto& a : exp["attachments"]) {
        auto prefs = a.value("preferences", nlohmann::json::object());
        if (prefs.value("content-alternative", false)) continue;
        bool ok = ours.count(a.value("md5", "")) > 0;
        attachments.add(ok);
        if (!ok) notes.push_back(name + ": attachment " + a.value("filename", "?") + " (" + std::to_string(a.value("size", 0)) + " bytes) missing");
      }
    }
  }
  std::cout << "zammad: from " << from.pass << "/" << from.total << ", subject " << subject.pass << "/" << subject.total
            << ", body " << body.pass << "/" << body.total << ", attachments " << attachments.pass << "/"
            << attachments.total << "\n";
  for (const auto& n : notes) std::cout << "  " << n << "\n";
  int pass = from.pass + subject.pass + body.pass + attachments.pass;
  int total = from.total + subject.total + body.total + attachments.total;
  std::cout << "zammad overall: " << pass << "/" << total << " (" << (total ? 100.0 * pass / total : 0) << "%)\n";
  ASSERT_GT(total, 0);
  EXPECT_GE(pass * 100, total * 95);
}

}  // namespace
}  // namespace mailcase::mime
