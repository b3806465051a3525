// Which case a mail answers, from its subject and its In-Reply-To/References. Pure.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace mailcase::ingest {

// Removes any run of reply/forward prefixes ("RE: AW: Odp: Fwd[2]:", "TR:", "SV:", "Antw:",
// "RE[3]:"...), also when written with full-width colons, then trims.
std::string strip_reply_prefixes(std::string_view subject);

// Recognises case tags in subjects, built once from the configuration.
class SubjectTags {
 public:
  explicit SubjectTags(const config::Threading& cfg);
  ~SubjectTags();
  SubjectTags(SubjectTags&&) noexcept;

  // Case numbers named by tags in the subject, in the order they appear, canonical form
  // (prefix + zero-padded digits). Tags are found anywhere after the reply prefixes.
  std::vector<std::string> case_numbers(std::string_view subject) const;
  // The number of case id `id`.
  std::string number_of(int64_t id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What the adapter found in the store for each candidate.
struct ThreadFacts {
  std::vector<std::string> tag_numbers;           // from the subject, in order
  std::vector<std::optional<int64_t>> tag_cases;  // case id per tag number, nullopt: unknown number
  std::vector<std::string> referenced_ids;        // In-Reply-To then References, newest first
  std::vector<std::optional<int64_t>> ref_cases;  // case id per referenced Message-ID
  // Per referenced Message-ID: the proposal our solution mail of that id carries (the id of
  // its solution_proposed event), 0 for any other mail or none.
  std::vector<int64_t> ref_proposals;
};

struct ThreadDecision {
  std::optional<int64_t> case_id;  // nullopt: a new case
  std::string reason;              // "subject tag CS0000011", "In-Reply-To …", "unknown case number …"
};

// A known tag in the subject wins (the customer named the case); else a Message-ID the
// mail answers; an unknown number alone makes a new case.
ThreadDecision decide_thread(const ThreadFacts& facts);

// The proposed solution a reply on case_id answers: the proposal of the first mail it
// points at (In-Reply-To, then References newest first) that is one of our solution mails
// on that case. 0: it points at none, and a verdict in it answers the solution proposed now.
int64_t answered_proposal(const ThreadFacts& facts, int64_t case_id);

// Message-IDs a reply points at: In-Reply-To first, then References newest first; no
// duplicates, at most `limit`.
std::vector<std::string> referenced_ids(const std::vector<std::string>& in_reply_to,
                                        const std::vector<std::string>& references, size_t limit = 20);

}  // namespace mailcase::ingest
