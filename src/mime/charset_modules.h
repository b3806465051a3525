// Keeps glibc's converter of each charset seen loaded for the life of the process.
//
// glibc converts from a charset other than UTF-8 with a module it loads when a conversion
// from that charset opens (ISO8859-2.so, CP1252.so, …) and unloads when the last one
// closes. GMime opens and closes one per encoded word and per address it decodes, and the
// body's conversion (mime/parser.cpp) another, so every such mail paid a dlopen and a
// dlclose, whose munmap interrupts every core to flush its TLB: about a sixth of an
// import's CPU, on both of its threads. One converter per charset, opened once and never
// closed, keeps its module's count above zero; the conversions themselves stay GMime's
// and glib's, as before.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mailcase::mime {

// The charsets named by the RFC 2047 encoded words ("=?charset?B?…?=", "=?charset*lang?Q?…")
// in head, in order of first appearance, lowercased, without duplicates, at most max_names.
// Pure; a name longer than 40 bytes or with a byte outside [A-Za-z0-9_.:+-] is skipped.
std::vector<std::string> encoded_word_charsets(std::string_view head, size_t max_names);

// Loads charset's converter (by GMime's name for it: "latin2" is ISO-8859-2) unless it is
// loaded already, and keeps it. At most kMaxKeptCharsets are kept (the names come from
// mail): past that, nothing changes. A name iconv does not know is not remembered, and a
// later call tries again. Thread-safe.
void keep_charset_loaded(std::string_view charset);

// How many converters keep_charset_loaded keeps at most.
constexpr size_t kMaxKeptCharsets = 64;

// The charsets kept so far (as iconv names), for tests.
size_t kept_charset_count();

}  // namespace mailcase::mime
