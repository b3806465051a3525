// SQLite repository of routing addresses.
#include <sqlite3.h>

#include <memory>

#include "store/sqlite/connection.h"
#include "store/sqlite/repositories.h"
#include "util/text.h"

namespace mailcase::store::sqlite {
namespace {

// A row of the columns email, queue, product, creates_cases, subject_prefix,
// unknown_sender, priority, process, api, authserv_ids, in that order.
RoutingAddress address_of(Query& row) {
  RoutingAddress a;
  a.email = row.text(0);
  a.queue = row.text(1);
  a.product = row.text(2);
  a.creates_cases = row.integer(3) != 0;
  a.subject_prefix = row.text(4);
  a.unknown_sender = row.text(5);
  a.priority = row.text(6);
  a.process = row.text(7);
  a.api = row.integer(8) != 0;
  a.authserv_ids = split_commas(row.text(9));
  return a;
}

class Routing final : public RoutingRepository, SqliteRepository {
 public:
  explicit Routing(Connection& c) : SqliteRepository(c) {}

  Status put_address(const RoutingAddress& a) override {
    MC_ASSIGN_OR_RETURN(
        auto qq,
        q("INSERT INTO routing_addresses (email, queue, product, creates_cases, subject_prefix, "
          "unknown_sender, "
          "priority, process, api, authserv_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(email) DO "
          "UPDATE SET queue = "
          "excluded.queue, product = excluded.product, creates_cases = excluded.creates_cases, "
          "subject_prefix = "
          "excluded.subject_prefix, unknown_sender = excluded.unknown_sender, priority = excluded.priority, "
          "process = excluded.process, api = excluded.api, authserv_ids = excluded.authserv_ids"));
    qq->bind(1, text::normalize_email(a.email)).bind(2, a.queue).bind(3, a.product);
    qq->bind(4, int64_t{a.creates_cases ? 1 : 0}).bind(5, a.subject_prefix).bind(6, a.unknown_sender);
    qq->bind(7, a.priority).bind(8, a.process).bind(9, int64_t{a.api ? 1 : 0}).bind(10, join(a.authserv_ids));
    return qq->run();
  }

  Result<std::vector<RoutingAddress>> list_addresses() override {
    MC_ASSIGN_OR_RETURN(
        auto qq,
        q("SELECT email, queue, product, creates_cases, subject_prefix, unknown_sender, priority, process, "
          "api, authserv_ids FROM routing_addresses ORDER BY email"));
    std::vector<RoutingAddress> out;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      out.push_back(address_of(*qq));
    }
    return out;
  }

  Result<Page<RoutingAddress>> page_addresses(const PageRequest& r) override {
    MC_RETURN_IF_ERROR(check_page_limit(r.limit));
    std::string after;
    if (r.cursor) {
      MC_ASSIGN_OR_RETURN(after, decode_cursor("routing-addresses", *r.cursor));
    }
    MC_ASSIGN_OR_RETURN(
        auto qq,
        q("SELECT email, queue, product, creates_cases, subject_prefix, unknown_sender, priority, process, "
          "api, authserv_ids FROM routing_addresses WHERE email > ? ORDER BY email LIMIT ?"));
    qq->bind(1, after).bind(2, int64_t{r.limit} + 1);
    std::vector<RoutingAddress> rows;
    while (true) {
      MC_ASSIGN_OR_RETURN(auto row, qq->step());
      if (!row) break;
      rows.push_back(address_of(*qq));
    }
    auto page = finish_page(std::move(rows), r.limit, "routing-addresses",
                            [](const RoutingAddress& a) { return a.email; });
    if (r.count) {
      MC_ASSIGN_OR_RETURN(auto cq, q("SELECT count(*) FROM routing_addresses"));
      MC_ASSIGN_OR_RETURN(page.total, count_of(*cq));
    }
    return page;
  }

  Status remove_address(std::string_view email) override {
    MC_ASSIGN_OR_RETURN(auto qq, q("DELETE FROM routing_addresses WHERE email = ?"));
    qq->bind(1, text::normalize_email(email));
    MC_RETURN_IF_ERROR(qq->run());
    if (sqlite3_changes(db_) == 0)
      return fail(ErrorCode::kNotFound, "no routing address " + text::normalize_email(email));
    return {};
  }
};

}  // namespace

std::unique_ptr<RoutingRepository> make_routing(Connection& c) {
  return std::make_unique<Routing>(c);
}

}  // namespace mailcase::store::sqlite
