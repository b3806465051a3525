// Mail as it came in and went out: held and failed mail (listed, its bytes, retried
// through the ingest pipeline, dismissed) and the outbox (listed by state, a mail queued again).
#include "admin/admin.h"
#include "api/lists.h"
#include "api/routes.h"
#include "ingest/blob_reader.h"
#include "ingest/pipeline.h"
#include "present/json.h"

namespace mailcase::api {
namespace {

// The case number of each row's case ("" for none), read once per case.
template <typename Row>
Result<std::map<store::Id, std::string>> case_numbers(store::UnitOfWork& unit, const std::vector<Row>& rows) {
  std::map<store::Id, std::string> numbers;
  for (const auto& r : rows) {
    if (!r.case_id || numbers.count(*r.case_id)) continue;
    MC_ASSIGN_OR_RETURN(auto c, unit.cases().get_case(*r.case_id));
    numbers[*r.case_id] = c ? c->number : "";
  }
  return numbers;
}

template <typename Row>
std::string number_of(const std::map<store::Id, std::string>& numbers, const Row& r) {
  if (!r.case_id) return "";
  auto it = numbers.find(*r.case_id);
  return it == numbers.end() ? "" : it->second;
}

// The case number of one row's case ("" for none, or when the case cannot be read), in a
// read unit of its own: for the answer to a change the row's store already committed.
template <typename Row>
Result<std::string> case_number_of(Context& ctx, const Row& r) {
  if (!r.case_id) return std::string();
  MC_ASSIGN_OR_RETURN(auto unit, ctx.store.open_unit(store::Access::kRead));
  auto c = unit.cases().get_case(*r.case_id);
  return c && *c ? (*c)->number : std::string();
}

template <typename State>
Checked<std::optional<State>> state_param(const Params& params,
                                          std::optional<State> (*parse)(std::string_view),
                                          const char* allowed) {
  auto s = single_param(params, "state");
  if (!s) return tl::unexpected(s.error());
  if (!*s) return std::optional<State>{};
  auto v = parse(**s);
  if (!v) return tl::unexpected(field_problem("state", std::string("one of ") + allowed));
  return std::optional<State>{*v};
}

void list_messages(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto state = state_param<store::RawState>(req.params, store::raw_state_from,
                                            "received, processed, held, failed, duplicate, dismissed");
  if (!state) return send_problem(res, state.error());
  auto page_req = page_request_of(req.params);
  if (!page_req) return send_problem(res, page_req.error());
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_error(res, unit.error());
  auto page = unit->raw_messages().page_raw(*state, *page_req);
  if (!page) return send_failure(res, page.error());
  auto numbers = case_numbers(*unit, page->items);
  if (!numbers) return send_error(res, numbers.error());
  send_json(res, 200, page_json(*page, [&](const store::RawMessage& m) {
              return present::message_json(m, number_of(*numbers, m));
            }));
}

// One recorded mail as the list shows it (its state, reason, problems, case): 404 for none.
void show_message(Context& ctx, store::Id id, httplib::Response& res) {
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_error(res, unit.error());
  auto row = unit->raw_messages().get_raw(id);
  if (!row) return send_error(res, row.error());
  if (!*row) return send_problem(res, Problem{404, "no message " + std::to_string(id), {}});
  auto numbers = case_numbers(*unit, std::vector<store::RawMessage>{**row});
  if (!numbers) return send_error(res, numbers.error());
  send_json(res, 200, present::message_json(**row, number_of(*numbers, **row)));
}

void raw_message(Context& ctx, store::Id id, httplib::Response& res) {
  if (!ctx.ingest) return send_problem(res, Problem{503, "the mail spool is not open in this process", {}});
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_error(res, unit.error());
  auto row = unit->raw_messages().get_raw(id);
  if (!row) return send_error(res, row.error());
  if (!*row) return send_problem(res, Problem{404, "no message " + std::to_string(id), {}});
  auto bytes = ingest::read_blob(unit->raw_messages(), ctx.ingest->raw_spool(),
                                 spool::BlobRef{(*row)->sha256, (*row)->size, (*row)->spool_location});
  if (!bytes) return send_error(res, bytes.error());
  // The mail's bytes as they arrived: a download, never a page the browser renders.
  res.status = 200;
  res.set_header("Content-Disposition", "attachment; filename=\"message-" + std::to_string(id) + ".eml\"");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_content(std::move(*bytes), "message/rfc822");
}

// The retry's options from its body: none, or a JSON object with the booleans not_spam
// (run it as mail without the spam check) and allow_sender (and allow its From from now on).
Checked<ingest::Pipeline::RetryOptions> retry_options_of(const httplib::Request& req, const store::Agent& agent) {
  ingest::Pipeline::RetryOptions options;
  options.by = agent.email;
  if (req.body.empty()) return options;
  auto body = body_of(req);
  if (!body) return tl::unexpected(body.error());
  for (auto [name, flag] : {std::pair{"not_spam", &options.not_spam}, std::pair{"allow_sender", &options.allow_sender}}) {
    auto it = body->find(name);
    if (it == body->end() || it->is_null()) continue;
    if (!it->is_boolean()) return tl::unexpected(field_problem(name, "must be true or false"));
    *flag = it->get<bool>();
  }
  return options;
}

void retry_message(Context& ctx, const store::Agent& agent, const httplib::Request& req, store::Id id,
                   httplib::Response& res) {
  if (!ctx.ingest) return send_problem(res, Problem{503, "ingest is not running in this process", {}});
  auto options = retry_options_of(req, agent);
  if (!options) return send_problem(res, options.error());
  auto outcome = ctx.ingest->retry(id, *options);
  if (!outcome) return send_failure(res, outcome.error());
  send_json(res, 200, present::outcome_json(*outcome));
}

// A held or failed mail put aside, with an optional body {"reason": "..."}: the same
// admin call as `message dismiss`. Answers the message as it now is.
void dismiss_message(Context& ctx, const store::Agent& agent, const httplib::Request& req, store::Id id,
                     httplib::Response& res) {
  std::string reason;
  if (!req.body.empty()) {
    auto body = body_of(req);
    if (!body) return send_problem(res, body.error());
    auto given = string_field(*body, "reason", admin::kMaxDismissReasonBytes);
    if (!given) return send_problem(res, given.error());
    if (*given) reason = **given;
  }
  if (auto bad = admin::check_dismiss_reason(reason))
    return send_problem(res, field_problem(bad->field, bad->message));
  auto dismissed = admin::dismiss_message(ctx.store, id, reason, agent.email);
  if (!dismissed) return send_failure(res, dismissed.error());
  auto number = case_number_of(ctx, dismissed->message);
  if (!number) return send_error(res, number.error());
  send_json(res, 200, present::message_json(dismissed->message, *number));
}

void list_outbox(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto state = state_param<store::OutboxState>(req.params, store::outbox_state_from, "queued, sent, failed");
  if (!state) return send_problem(res, state.error());
  auto page_req = page_request_of(req.params);
  if (!page_req) return send_problem(res, page_req.error());
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_error(res, unit.error());
  auto page = unit->outbox().page_outbox(*state, *page_req);
  if (!page) return send_failure(res, page.error());
  auto numbers = case_numbers(*unit, page->items);
  if (!numbers) return send_error(res, numbers.error());
  send_json(res, 200, page_json(*page, [&](const store::OutboxMail& m) {
              return present::outbox_json(m, number_of(*numbers, m));
            }));
}

void retry_outbox(Context& ctx, store::Id id, httplib::Response& res) {
  auto m = admin::retry_outbox(ctx.store, id, ctx.clock.now());
  if (!m) return send_failure(res, m.error());
  auto number = case_number_of(ctx, *m);
  if (!number) return send_error(res, number.error());
  m->raw.clear();
  send_json(res, 200, present::outbox_json(*m, *number));
}

store::Id id_of(const httplib::Request& req) {
  return std::stoll(req.matches[1]);
}

}  // namespace

void mount_mail_routes(web::HttpServer& server, Context& ctx) {
  const std::string id = kIdPattern;
  server.get("/api/v1/messages", "/api/v1/messages",
             authed(ctx, Need::kAgent,
                    [&ctx](const store::Agent&, const httplib::Request& req, httplib::Response& res) {
                      list_messages(ctx, req, res);
                    }));
  server.get("/api/v1/messages/{id}", "/api/v1/messages/" + id,
             authed(ctx, Need::kAgent,
                    [&ctx](const store::Agent&, const httplib::Request& req, httplib::Response& res) {
                      show_message(ctx, id_of(req), res);
                    }));
  server.get("/api/v1/messages/{id}/raw", "/api/v1/messages/" + id + "/raw",
             authed(ctx, Need::kAgent,
                    [&ctx](const store::Agent&, const httplib::Request& req, httplib::Response& res) {
                      raw_message(ctx, id_of(req), res);
                    }));
  server.post("/api/v1/messages/{id}/retry", "/api/v1/messages/" + id + "/retry",
              authed(ctx, Need::kAgent,
                     [&ctx](const store::Agent& agent, const httplib::Request& req, httplib::Response& res) {
                       retry_message(ctx, agent, req, id_of(req), res);
                     }));
  server.post("/api/v1/messages/{id}/dismiss", "/api/v1/messages/" + id + "/dismiss",
              authed(ctx, Need::kAgent,
                     [&ctx](const store::Agent& agent, const httplib::Request& req, httplib::Response& res) {
                       dismiss_message(ctx, agent, req, id_of(req), res);
                     }));
  server.get("/api/v1/outbox", "/api/v1/outbox",
             authed(ctx, Need::kAgent,
                    [&ctx](const store::Agent&, const httplib::Request& req, httplib::Response& res) {
                      list_outbox(ctx, req, res);
                    }));
  server.post("/api/v1/outbox/{id}/retry", "/api/v1/outbox/" + id + "/retry",
              authed(ctx, Need::kAgent,
                     [&ctx](const store::Agent&, const httplib::Request& req, httplib::Response& res) {
                       retry_outbox(ctx, id_of(req), res);
                     }));
}

}  // namespace mailcase::api
