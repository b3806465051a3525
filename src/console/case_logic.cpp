#include "console/case_logic.h"

#include <algorithm>
#include <cctype>

#include "cases/lifecycle.h"
#include "domain/case_number.h"
#include "util/text.h"

namespace mailcase::console {
namespace {

constexpr size_t kMaxFieldBytes = 1000;  // a search box's worth; the store refuses more

std::string first(const std::multimap<std::string, std::string>& params, const std::string& name) {
  auto it = params.find(name);
  return it == params.end() ? std::string() : std::string(text::trim(it->second));
}

}  // namespace

ListForm list_form_of(const std::multimap<std::string, std::string>& params) {
  ListForm f;
  f.status = first(params, "status");
  f.queue = first(params, "queue");
  f.owner = first(params, "owner");
  f.contact = first(params, "contact");
  f.q = first(params, "q");
  f.sort = first(params, "sort");
  f.cursor = first(params, "cursor");
  f.limit = first(params, "limit");
  return f;
}

ListQuery list_query_of(const ListForm& f, std::string_view me) {
  ListQuery out;
  auto& q = out.query;
  if (!f.limit.empty()) {
    const bool digits = f.limit.size() <= 3 && f.limit.find_first_not_of("0123456789") == std::string::npos;
    const int n = digits ? std::stoi(f.limit) : 0;
    if (n < 1 || n > store::kMaxPageLimit) {
      out.error = "A page shows 1 to " + std::to_string(store::kMaxPageLimit) + " cases.";
      return out;
    }
    q.limit = n;
  }
  for (const auto* v : {&f.status, &f.queue, &f.owner, &f.contact, &f.q, &f.sort, &f.cursor}) {
    if (v->size() > kMaxFieldBytes) {
      out.error = "A filter is too long.";
      return out;
    }
    if (!text::is_clean_text(*v, true)) {
      out.error = "A filter holds characters that cannot be searched.";
      return out;
    }
  }
  if (f.status == "unsolved") {
    q.unsolved = true;
  } else if (!f.status.empty()) {
    if (auto s = store::status_from_string(f.status))
      q.status = *s;
    else
      out.error = "Unknown status: choose one from the list.";
  }
  if (!f.queue.empty()) q.queue = f.queue;
  if (f.owner == "me")
    q.owner = text::normalize_email(me);
  else if (f.owner == "nobody")
    q.owner = std::string();
  else if (!f.owner.empty())
    q.owner = text::normalize_email(f.owner);
  if (!f.contact.empty()) q.contact = text::normalize_email(f.contact);
  if (!f.q.empty()) q.text = f.q;
  using Sort = store::CaseQuery::Sort;
  static const std::map<std::string, Sort, std::less<>> kSorts{{"-updated", Sort::kUpdatedDesc},
                                                               {"updated", Sort::kUpdatedAsc},
                                                               {"-created", Sort::kCreatedDesc},
                                                               {"created", Sort::kCreatedAsc},
                                                               {"relevance", Sort::kRelevance}};
  if (!f.sort.empty()) {
    auto it = kSorts.find(f.sort);
    if (it == kSorts.end())
      out.error = "Unknown sort: choose one from the list.";
    else if (it->second == Sort::kRelevance && !q.text)
      out.error = "Sorting by relevance needs search words.";
    else
      q.sort = it->second;
  }
  if (!f.cursor.empty()) q.cursor = f.cursor;
  return out;
}

std::string list_link(const ListForm& f, std::string_view cursor) {
  std::string out = "/cases";
  char sep = '?';
  auto add = [&](std::string_view name, std::string_view value) {
    if (value.empty()) return;
    out += sep;
    out += name;
    out += '=';
    out += url_encode(value);
    sep = '&';
  };
  add("status", f.status);
  add("queue", f.queue);
  add("owner", f.owner);
  add("contact", f.contact);
  add("q", f.q);
  add("sort", f.sort);
  add("limit", f.limit);
  add("cursor", cursor);
  return out;
}

Author author_of(std::string_view author, const std::map<std::string, std::string>& agent_names) {
  const std::string_view a = text::trim(author);
  if (auto it = agent_names.find(text::normalize_email(a)); it != agent_names.end() && !it->second.empty())
    return {it->second, std::string(a)};
  const auto lt = a.rfind('<');
  if (lt != std::string_view::npos && a.back() == '>') {
    std::string_view name = text::trim(a.substr(0, lt));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
    const std::string address(a.substr(lt + 1, a.size() - lt - 2));
    if (!name.empty()) return {std::string(name), address};
    return {address, ""};
  }
  return {std::string(a), ""};
}

CommentKind comment_kind(const store::Comment& c) {
  if (c.visibility == store::Visibility::kInternal || c.direction == store::Direction::kNote)
    return {"internal", "Internal note"};
  if (c.direction == store::Direction::kOutbound) return {"outbound", "Our reply"};
  return {"inbound", "Customer mail"};
}

std::vector<std::string> split_cc(std::string_view field) {
  std::vector<std::string> out;
  size_t from = 0;
  while (from <= field.size()) {
    const size_t end = field.find_first_of(",;", from);
    const std::string_view one =
        text::trim(field.substr(from, end == std::string_view::npos ? std::string_view::npos : end - from));
    if (!one.empty()) out.emplace_back(one);
    if (end == std::string_view::npos) break;
    from = end + 1;
  }
  return out;
}

bool is_mark_only_html(std::string_view s) {
  static constexpr std::string_view kEntities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '<') {
      if (s.substr(i, 6) == "<mark>") {
        i += 6;
      } else if (s.substr(i, 7) == "</mark>") {
        i += 7;
      } else {
        return false;
      }
    } else if (s[i] == '&') {
      bool known = false;
      for (auto e : kEntities)
        if (s.substr(i, e.size()) == e) {
          i += e.size();
          known = true;
          break;
        }
      if (!known) return false;
    } else if (s[i] == '>' || s[i] == '"' || s[i] == '\'') {
      return false;
    } else {
      ++i;
    }
  }
  return true;
}

bool is_open_status(store::CaseStatus s) { return !cases::finished(s); }

const char* status_words(store::CaseStatus s) {
  switch (s) {
    case store::CaseStatus::kNew:
      return "New";
    case store::CaseStatus::kOpen:
      return "Open";
    case store::CaseStatus::kSolutionProposed:
      return "Solution proposed";
    case store::CaseStatus::kResolved:
      return "Resolved";
    case store::CaseStatus::kClosed:
      return "Closed";
  }
  return "Unknown";
}

std::string status_class(store::CaseStatus s) {
  std::string out = store::to_string(s);
  std::replace(out.begin(), out.end(), ' ', '_');
  return out;
}

std::optional<std::string> case_number_named(std::string_view text, std::string_view prefix, int digits) {
  std::string_view t = text::trim(text);
  if (!t.empty() && t.front() == '#') t.remove_prefix(1);
  auto id = domain::case_number::parse(prefix, t);
  if (!id && !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; }))
    id = domain::case_number::parse(prefix, std::string(prefix) + std::string(t));
  if (!id) return std::nullopt;
  return domain::case_number::format(prefix, digits, *id);
}

namespace {
// The one of `known` that `typed` names, whatever its letter case; none when it names none.
std::optional<std::string> known_name(const std::vector<std::string>& known, std::string_view typed) {
  for (const auto& k : known)
    if (text::iequals(k, typed)) return k;
  return std::nullopt;
}
}  // namespace

Result<AssignmentWrites> decide_assignment(const Assignment& chosen, const std::optional<Assignment>& shown,
                                           const Assignment& current,
                                           const std::vector<std::string>& known_queues,
                                           const std::vector<std::string>& priority_choices) {
  const auto same_owner = [](std::string_view a, std::string_view b) {
    return text::normalize_email(a) == text::normalize_email(b);
  };
  struct Field {
    const char* what;
    bool changed, moved;  // by this agent; by someone else since the page showed it
  };
  const Field fields[] = {
      {"owner", !shown || !same_owner(chosen.owner, shown->owner),
       shown && !same_owner(current.owner, shown->owner)},
      {"queue", !shown || chosen.queue != shown->queue, shown && current.queue != shown->queue},
      {"priority", !shown || chosen.priority != shown->priority,
       shown && current.priority != shown->priority}};
  std::vector<std::string> both;
  for (const auto& f : fields)
    if (f.changed && f.moved) both.push_back(f.what);
  if (!both.empty())
    return fail(ErrorCode::kConflict,
                "Someone changed this case's " + text::join(both, " and ") +
                    " since you opened it. Nothing was changed: look at it now and save again.");
  AssignmentWrites w;
  if (fields[1].changed && chosen.queue != current.queue) {
    w.queue = known_name(known_queues, chosen.queue);
    if (!w.queue)
      return fail(ErrorCode::kInvalidInput,
                  "There is no queue \u201c" + chosen.queue + "\u201d: choose one from the list.");
  }
  if (fields[2].changed && chosen.priority != current.priority) {
    w.priority = known_name(priority_choices, chosen.priority);
    if (!w.priority) return fail(ErrorCode::kInvalidInput, "Choose the priority from the list.");
  }
  if (fields[0].changed && !same_owner(chosen.owner, current.owner)) w.owner = chosen.owner;
  return w;
}

}  // namespace mailcase::console
