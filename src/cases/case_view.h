// A case with its contact, account, thread and attachments, as every door shows it (its
// JSON form: present/json.h).
#pragma once

#include <optional>
#include <string_view>

#include "store/store.h"

namespace mailcase::cases {

struct CaseView {
  store::Case c;
  std::optional<store::Contact> contact;
  std::optional<store::Account> account;
  std::vector<store::Comment> comments;
  std::vector<store::Attachment> attachments;
  // Addresses that may write to the case besides its contact and account (SF3).
  std::vector<store::Participant> participants;
  // The agent the case is assigned to; none when unassigned (or the agent is gone).
  std::optional<store::Agent> owner;
};

// The case with this number; kNotFound ("no case NUMBER") when there is none.
[[nodiscard]] Result<store::Case> case_by_number(store::CaseRepository& cases, std::string_view number);

// kNotFound when there is no such case.
[[nodiscard]] Result<CaseView> load_case(store::Store& s, std::string_view number);
// The same through a unit of work (a pooled one is safe on any thread).
[[nodiscard]] Result<CaseView> load_case(store::UnitOfWork& u, std::string_view number);

}  // namespace mailcase::cases
