// Writes an mbox of synthetic support mail with a realistic mix: plain text, Latin-1 and
// Latin-2 quoted-printable, HTML-only and multipart/alternative, attachments, and replies
// that carry case tags and In-Reply-To. Deterministic for a given seed.
//
//   gen_corpus --out corpus.mbox [--count 10000] [--seed 1] [--big-attachment-mb 0]
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

namespace {

const char* kWords[] = {"printer", "invoice", "login",    "password", "error",   "server", "VPN",     "update",
                        "license", "crash",   "slow",     "email",    "account", "report", "network", "backup",
                        "please",  "urgent",  "customer", "since",    "today",   "again",  "cannot",  "access"};

std::string words(std::mt19937& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    if (i) s += ' ';
    s += kWords[rng() % (sizeof kWords / sizeof *kWords)];
  }
  return s;
}

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t line = 0;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<uint8_t>(in[i + 2]);
    out += t[(v >> 18) & 63];
    out += t[(v >> 12) & 63];
    out += i + 1 < in.size() ? t[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? t[v & 63] : '=';
    if ((line += 4) >= 76) {
      out += "\n";
      line = 0;
    }
  }
  return out + "\n";
}

}  // namespace

int main(int argc, char** argv) {
  long count = 10000, seed = 1, big_mb = 0, senders = 500;
  const char* out_path = nullptr;
  // Each option takes a value; anything else (--help too) prints the usage and writes
  // nothing, rather than a default file where it was started.
  bool usage = argc % 2 == 0;
  for (int i = 1; !usage && i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--count")) count = std::atol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--out")) out_path = argv[i + 1];
    else if (!std::strcmp(argv[i], "--seed")) seed = std::atol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--big-attachment-mb")) big_mb = std::atol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--senders"))
      senders = std::atol(argv[i + 1]);
    else usage = true;
  }
  if (usage || !out_path || senders < 1) {
    std::fprintf(
        stderr,
        "usage: gen_corpus --out FILE [--count 10000] [--seed 1] [--big-attachment-mb 0] [--senders 500]\n");
    return 2;
  }
  FILE* out = std::fopen(out_path, "wb");
  if (!out) {
    std::perror(out_path);
    return 1;
  }
  std::mt19937 rng(static_cast<uint32_t>(seed));
  long created = 0;  // mails likely to have made a case so far, for reply tags
  for (long n = 0; n < count; ++n) {
    // Each mail from one of `senders` customers, drawn at random (the same corpus as before
    // the option for 500).
    int sender = static_cast<int>(rng() % static_cast<unsigned long>(senders));
    int kind = static_cast<int>(rng() % 100);
    std::string subject = words(rng, 3 + static_cast<int>(rng() % 4));
    std::string headers = "From: Customer " + std::to_string(sender) + " <customer" + std::to_string(sender) +
                          "@example" + std::to_string(sender % 40) + ".com>\n";
    headers += "To: support@corp.example\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n";
    headers += "Message-ID: <gen-" + std::to_string(seed) + "-" + std::to_string(n) + "@example.com>\n";
    headers += "MIME-Version: 1.0\n";
    std::string body = words(rng, 40 + static_cast<int>(rng() % 120)) + ".\n";
    std::string mail;
    if (kind < 10 && created > 10) {  // reply with a case tag and In-Reply-To
      long target = 1 + static_cast<long>(rng() % static_cast<unsigned long>(created));
      char tag[32];
      std::snprintf(tag, sizeof tag, "CS%07ld", target);
      mail = headers + "Subject: RE: AW: [" + tag + "] " + subject + "\nIn-Reply-To: <gen-" +
             std::to_string(seed) + "-" + std::to_string(target - 1) + "@example.com>\n" +
             "Content-Type: text/plain; charset=utf-8\n\nThanks, " + words(rng, 12) +
             ".\n\nOn Mon, 23 Nov 2026 at 10:00, Support <support@corp.example> wrote:\n> " + body;
    } else if (kind < 40) {
      mail = headers + "Subject: " + subject + "\nContent-Type: text/plain; charset=utf-8\n\n" + body +
             "\n-- \nCustomer " + std::to_string(sender) + "\n";
      ++created;
    } else if (kind < 55) {
      mail = headers + "Subject: =?iso-8859-1?Q?Probl=E8me_" + std::to_string(n) +
             "?=\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
             "Bonjour, l'imprimante ne d=E9marre plus depuis la mise =E0 jour. " + body;
      ++created;
    } else if (kind < 65) {
      mail = headers + "Subject: =?iso-8859-2?Q?Zg=B3oszenie_" + std::to_string(n) +
             "?=\nContent-Type: text/plain; charset=iso-8859-2\nContent-Transfer-Encoding: quoted-printable\n\n"
             "Dzie=F1 dobry, drukarka nie dzia=B3a. " + body;
      ++created;
    } else if (kind < 80) {
      mail = headers + "Subject: " + subject +
             "\nContent-Type: multipart/alternative; boundary=\"alt\"\n\n--alt\nContent-Type: text/plain; "
             "charset=utf-8\n\n" + body + "\n--alt\nContent-Type: text/html; charset=utf-8\n\n<html><body><p>" +
             body + "</p><p>Regards,<br>Customer</p></body></html>\n--alt--\n";
      ++created;
    } else if (kind < 85) {
      mail = headers + "Subject: " + subject + "\nContent-Type: text/html; charset=utf-8\n\n<div><b>Hello</b>, " +
             body + "<ul><li>step one</li><li>step two</li></ul></div>\n";
      ++created;
    } else {
      std::string blob(2048 + rng() % (48 * 1024), '\0');
      for (auto& c : blob) c = static_cast<char>(rng());
      if (big_mb > 0 && n == 0) blob.assign(static_cast<size_t>(big_mb) * 1024 * 1024, 'A');
      mail = headers + "Subject: " + subject +
             " (log attached)\nContent-Type: multipart/mixed; boundary=\"mix\"\n\n--mix\nContent-Type: text/plain; "
             "charset=utf-8\n\n" + body + "\n--mix\nContent-Type: application/octet-stream\n"
             "Content-Disposition: attachment; filename=\"log-" + std::to_string(n) +
             ".bin\"\nContent-Transfer-Encoding: base64\n\n" + base64(blob) + "--mix--\n";
      ++created;
    }
    std::fputs("From customer@example.com Mon Nov 23 10:00:00 2026\n", out);
    // mboxrd: quote body lines that start with "From ".
    size_t start = 0;
    while (start < mail.size()) {
      size_t nl = mail.find('\n', start);
      if (nl == std::string::npos) nl = mail.size() - 1;
      std::string_view line(mail.data() + start, nl - start + 1);
      size_t q = 0;
      while (q < line.size() && line[q] == '>') ++q;
      if (line.substr(q, 5) == "From ") std::fputc('>', out);
      std::fwrite(line.data(), 1, line.size(), out);
      start = nl + 1;
    }
    std::fputs("\n", out);
  }
  std::fclose(out);
  return 0;
}
