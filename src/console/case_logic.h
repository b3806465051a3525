// The pure parts of the console's case pages: the list's filters from a query string, the
// link to a page of the list, who wrote a comment, which kind of comment it is, the Cc
// field of a reply, and the check that a search snippet is markup we made. No I/O;
// unit-tested in tests/console/case_pages_test.cpp.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/agents.h"
#include "store/repositories.h"
#include "util/result.h"
#include "util/text.h"

namespace mailcase::console {

// The case list's form as the URL carries it (GET, so that it can be shared): each field
// as typed ("" for not set). owner: an agent's email, "me" or "nobody".
struct ListForm {
  std::string status, queue, owner, contact, q, sort, cursor;
  std::string limit;  // cases a page, 1..200; "" for the default
};
ListForm list_form_of(const std::multimap<std::string, std::string>& params);

// The case number a search or a typed address names, as the store writes it: the text
// (spaces around it and a leading "#" aside) is a case number in any letter case and with
// any zero padding ("cs31", "CS0000031"), or its digits alone ("31", "0000031"). nullopt
// for anything else: then it is searched as words. Pure.
std::optional<std::string> case_number_named(std::string_view text, std::string_view prefix, int digits);

// The store's query for a form, seen by the agent `me` (50 cases a page unless the form
// says otherwise); a sentence for the user when a
// field is wrong (an unknown status or sort, relevance without a search, too long).
struct ListQuery {
  store::CaseQuery query;
  std::string error;  // empty: query is good
};
ListQuery list_query_of(const ListForm& f, std::string_view me);

// "/cases?…" with the form's filters and sort (percent-encoded, empty ones left out) and
// the given cursor (none: the first page).
std::string list_link(const ListForm& f, std::string_view cursor = "");

// A URL query component (util/text.h).
using text::url_encode;

// Who wrote a comment, as shown: an agent by their name (from `agents`, keyed by normalized
// email), a mail's "Name <address>" by the name, anything else as it is. `address` is the
// address behind the name when there is one (shown as a tooltip), else empty.
struct Author {
  std::string name;
  std::string address;
};
Author author_of(std::string_view author, const std::map<std::string, std::string>& agent_names);

// A comment's kind in the thread: the CSS class and the words that say it (not colour only).
struct CommentKind {
  const char* css;    // inbound | outbound | internal
  const char* label;  // "Customer mail", "Our reply", "Internal note"
};
CommentKind comment_kind(const store::Comment& c);

// The addresses of a Cc field, separated by commas or semicolons, trimmed, empty ones
// left out (the services check each).
std::vector<std::string> split_cc(std::string_view field);

// Whether s is text escaped by text::html_escape with only <mark> and </mark> as tags:
// what the store's search snippets are, and the only HTML the list shows from the store.
bool is_mark_only_html(std::string_view s);

// Whether a case in this status is still being worked (new, open, solution proposed).
bool is_open_status(store::CaseStatus s);
// A status in words for people ("Solution proposed"), and as a CSS class
// ("solution_proposed": console.css's badges).
const char* status_words(store::CaseStatus s);
std::string status_class(store::CaseStatus s);

// The Assign form's owner, queue and priority: as chosen, as the page showed them, or as
// the case has them now.
struct Assignment {
  std::string owner, queue, priority;
};
// What an Assign save writes: each field the agent changed and the case does not have
// yet (none: leave it). A queue and a priority are written in their known spelling.
struct AssignmentWrites {
  std::optional<std::string> owner, queue, priority;
};
// Decides an Assign save (pure). shown: what the page showed (none: an older page, whose
// every field counts as changed). A field the agent changed that someone else changed
// since the page showed it is a clash: kConflict naming the fields, nothing written. A
// queue must name one of known_queues and a priority one of priority_choices, in any
// letter case (kInvalidInput otherwise), so that a typo makes no new queue. Owners are
// compared as addresses (text::normalize_email).
Result<AssignmentWrites> decide_assignment(const Assignment& chosen, const std::optional<Assignment>& shown,
                                           const Assignment& current,
                                           const std::vector<std::string>& known_queues,
                                           const std::vector<std::string>& priority_choices);

}  // namespace mailcase::console
