// Cases changed by agents: open one, change its fields and lifecycle, comments,
// solution, participants; its history; attachments' bytes. Every change goes through the
// case services (one unit of work, an event naming the agent); every POST honours an
// Idempotency-Key.
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <set>

#include "access/credentials.h"
#include "api/lists.h"
#include "api/requests.h"
#include "api/routes.h"
#include "cases/case_view.h"
#include "cases/lifecycle.h"
#include "ingest/blob_reader.h"
#include "mime/filename.h"
#include "present/json.h"
#include "spool/raw_spool.h"
#include "util/clock.h"
#include "util/text.h"
#include "web/comment_form.h"
#include "web/idempotency.h"

namespace mailcase::api {
namespace {

constexpr const char* kNumber = R"(([A-Za-z0-9_-]{1,64}))";
constexpr size_t kMaxText = 1024 * 1024;  // a comment's or description's text

std::string case_path(const std::string& number) {
  return "/api/v1/cases/" + number;
}

// The id of the request's API token (authed() has accepted it): Idempotency-Keys are per token.
Result<store::Id> token_id_of(Context& ctx, const httplib::Request& req) {
  MC_ASSIGN_OR_RETURN(auto token, access::parse_bearer(header(req, "Authorization").value_or("")));
  MC_ASSIGN_OR_RETURN(auto unit, ctx.store.open_unit(store::Access::kRead));
  MC_ASSIGN_OR_RETURN(auto t, unit.agents().find_api_token(access::token_digest(token)));
  if (!t) return fail(ErrorCode::kNotFound, "the token is gone");
  return t->id;
}

}  // namespace

// Runs a POST handler under the request's Idempotency-Key, when it has one: a retry of
// the same request gets the first answer (status, Location/ETag/Content-Type, body);
// the key used for another request: 422; while the first still runs: 409. Keys are per
// agent's token.
void idempotent(Context& ctx, const httplib::Request& req, httplib::Response& res,
                const std::function<void()>& run) {
  auto key = header(req, "Idempotency-Key");
  if (!key) return run();
  if (auto why = web::idempotency_key_problem(*key)) return send_problem(res, Problem{400, *why, {}});
  auto token_id_r = token_id_of(ctx, req);
  if (!token_id_r) return send_error(res, token_id_r.error());
  const store::Id token_id = *token_id_r;
  const std::string target = req.target.empty() ? req.path : req.target;
  const auto digest = web::request_digest(req.method, target, req.body);
  const int64_t now = ctx.clock.now();
  auto start = web::begin_idempotent(ctx.store, token_id, *key, digest, now);
  if (!start) return send_error(res, start.error());
  switch (start->verdict) {
    case web::KeyVerdict::kReplay: {
      res.status = start->replay.status;
      std::string type = "application/json";
      for (const auto& [name, value] : start->replay.headers) {
        if (text::iequals(name, "Content-Type"))
          type = value;
        else
          res.set_header(name, value);
      }
      res.set_content(start->replay.body, type);
      res.set_header("Idempotent-Replayed", "true");
      return;
    }
    case web::KeyVerdict::kInProgress:
      return send_problem(res, Problem{409, "a request with this Idempotency-Key is in progress", {}});
    case web::KeyVerdict::kOtherRequest:
      return send_problem(res, Problem{422, "this Idempotency-Key was used for another request", {}});
    case web::KeyVerdict::kRun:
      break;
  }
  run();
  store::IdempotentAnswer answer;
  answer.status = res.status;
  answer.body = res.body;
  for (const auto& [name, value] : res.headers)
    if (web::replayed_header(name)) answer.headers.emplace_back(name, value);
  if (auto done = web::finish_idempotent(ctx.store, token_id, *key, answer, now, web::key_purge_schedule());
      !done)
    spdlog::warn("api: cannot keep the answer of an Idempotency-Key: {}", done.error().message);
}

namespace {

// The case as GET gives it, with its ETag.
void send_case(Context& ctx, const std::string& number, int status, httplib::Response& res,
               bool location = false) {
  auto view = cases::load_case(ctx.store, number);
  if (!view) return send_error(res, view.error());
  if (location) res.set_header("Location", case_path(number));
  send_tagged_json(res, status, present::case_detail_json(*view));
}

// A failed service call as a problem. The services' kInvalidInput messages that start
// with a field's name ("queue: …") name that field; an owner who is no active agent
// names "owner".
Problem problem_of_service(const Error& e) {
  Problem p = problem_of(e);
  if (e.code != ErrorCode::kInvalidInput) return p;
  static const std::pair<const char*, const char*> kPrefixes[] = {{"contact: ", "contact_email"},
                                                                  {"contact_name: ", "contact_name"},
                                                                  {"subject: ", "subject"},
                                                                  {"description: ", "description"},
                                                                  {"queue: ", "queue"},
                                                                  {"priority: ", "priority"},
                                                                  {"product: ", "product"},
                                                                  {"comment: ", "comment"},
                                                                  {"cc: ", "cc"},
                                                                  {"stage: ", "stage"}};
  for (const auto& [prefix, field] : kPrefixes) {
    if (e.message.rfind(prefix, 0) == 0) {
      p.errors.push_back({field, e.message.substr(std::string_view(prefix).size())});
      return p;
    }
  }
  if (e.message.rfind("no active agent", 0) == 0) p.errors.push_back({"owner", e.message});
  return p;
}

// ---- POST /api/v1/cases ----------------------------------------------------------------

void open_case(Context& ctx, const store::Agent& agent, const httplib::Request& req, httplib::Response& res) {
  auto body = body_of(req);
  if (!body) return send_problem(res, body.error());
  services::NewCase n;
  Problem fields{422, "the request has invalid fields", {}};
  auto text = [&](const char* name, size_t max, std::string& out, bool required) {
    auto v = string_field(*body, name, max);
    if (!v) {
      for (auto& e : v.error().errors) fields.errors.push_back(std::move(e));
      return;
    }
    if (*v) out = **v;
    if (required && text::trim(out).empty()) fields.errors.push_back({name, "required"});
  };
  text("contact_email", 254, n.contact_email, true);
  text("contact_name", services::kMaxFieldBytes, n.contact_name, false);
  text("subject", 998, n.subject, true);
  text("description", kMaxText, n.description, false);
  text("queue", services::kMaxFieldBytes, n.queue, false);
  text("priority", services::kMaxFieldBytes, n.priority, false);
  text("product", services::kMaxFieldBytes, n.product, false);
  text("owner", 254, n.owner, false);
  auto confirm = bool_field(*body, "confirm");
  if (!confirm)
    fields.errors.push_back(confirm.error().errors.front());
  else
    n.confirm = confirm->value_or(false);
  if (auto it = body->find("comment"); it != body->end() && !it->is_null()) {
    if (!it->is_object()) {
      fields.errors.push_back({"comment", "an object: {\"body\", \"visibility\"}"});
    } else {
      services::AgentComment c;
      auto b = string_field(*it, "body", kMaxText);
      auto vis = string_field(*it, "visibility", 16);
      if (!b || !*b || text::trim(**b).empty())
        fields.errors.push_back({"comment.body", "required"});
      else
        c.body = **b;
      if (!vis || !*vis || (**vis != "public" && **vis != "internal"))
        fields.errors.push_back({"comment.visibility", "required: \"public\" or \"internal\""});
      else
        c.is_public = **vis == "public";
      n.first_comment = std::move(c);
    }
  }
  if (!fields.errors.empty()) return send_problem(res, fields);
  auto made = ctx.cases.open_case(actor_of(agent), n);
  if (!made) return send_problem(res, problem_of_service(made.error()));
  send_case(ctx, made->number, 201, res, true);
}

// ---- PATCH /api/v1/cases/{number} ------------------------------------------------------

std::optional<cases::ActionKind> action_of(std::string_view s) {
  if (s == "close") return cases::ActionKind::kClose;
  if (s == "reopen") return cases::ActionKind::kReopen;
  if (s == "accept") return cases::ActionKind::kAccept;
  if (s == "reject") return cases::ActionKind::kReject;
  return std::nullopt;
}

void patch_case(Context& ctx, const store::Agent& agent, const std::string& number,
                const httplib::Request& req, httplib::Response& res) {
  // Its unknown fields are told below beside every other field's error, all at once.
  auto body = json_object_body(req.body, req.get_header_value("Content-Type"));
  if (!body) return send_problem(res, body.error());
  Problem fields{422, "the request has invalid fields", {}};
  services::CaseFields f;
  std::optional<std::string> owner, action, reason, stage;
  auto text = [&](const char* name, size_t max, std::optional<std::string>& out) {
    auto v = string_field(*body, name, max);
    if (!v) {
      for (auto& e : v.error().errors) fields.errors.push_back(std::move(e));
      return;
    }
    out = *v;
  };
  text("owner", 254, owner);
  text("queue", services::kMaxFieldBytes, f.queue);
  text("priority", services::kMaxFieldBytes, f.priority);
  text("product", services::kMaxFieldBytes, f.product);
  text("action", 16, action);
  text("reason", kMaxText, reason);
  text("stage", domain::kMaxStageBytes, stage);
  for (const auto& [name, value] :
       {std::pair{"queue", &f.queue}, {"priority", &f.priority}, {"product", &f.product}})
    if (*value)
      if (auto ok = services::check_case_field(name, **value); !ok)
        fields.errors.push_back({name, ok.error().message.substr(std::string(name).size() + 2)});
  std::optional<cases::ActionKind> kind;
  if (action) {
    kind = action_of(*action);
    if (!kind) fields.errors.push_back({"action", "one of close, reopen, accept, reject"});
  }
  if (reason && kind != cases::ActionKind::kReject)
    fields.errors.push_back({"reason", "only with \"action\": \"reject\""});
  // The fields the document's CaseChange has, as body_of would refuse them (it is not used
  // here, so that every error is told at once).
  if (const RequestFields* allowed = request_fields("PATCH", "/api/v1/cases/{number}"))
    for (auto& e : unknown_field_errors(*body, *allowed)) fields.errors.push_back(std::move(e));
  if (!fields.errors.empty()) return send_problem(res, fields);

  const auto if_match = header(req, "If-Match");
  bool stale = false;  // If-Match named another version: 412
  const auto by = actor_of(agent);
  auto done = ctx.cases.on_case(number, [&](store::UnitOfWork& w, store::Case& c) -> Status {
    if (if_match) {
      // Read in this write unit: no change can come between the check and the update.
      MC_ASSIGN_OR_RETURN(auto view, cases::load_case(w, number));
      if (!if_match_allows(if_match, etag_of(present::case_detail_json(view)))) {
        stale = true;
        return fail(ErrorCode::kConflict, "the case has changed since it was read (If-Match)");
      }
    }
    if (kind) {
      // A step the lifecycle refuses is a conflict with the case's state: 409.
      if (auto d = cases::decide(c.status, *kind); !d) return fail(ErrorCode::kConflict, d.error().message);
    }
    if (owner && text::normalize_email(*owner) != text::normalize_email(c.owner))
      MC_RETURN_IF_ERROR(ctx.cases.assign(w, by, c, *owner));
    MC_RETURN_IF_ERROR(ctx.cases.change(w, by, c, f));
    if (stage) MC_RETURN_IF_ERROR(ctx.cases.set_stage(w, by, c, *stage));
    if (!kind) return {};
    switch (*kind) {
      case cases::ActionKind::kClose:
        return ctx.cases.close(w, by, c);
      case cases::ActionKind::kReopen:
        return ctx.cases.reopen(w, by, c);
      case cases::ActionKind::kAccept:
        return ctx.cases.accept(w, by, c);
      case cases::ActionKind::kReject:
        return ctx.cases.reject(w, by, c, reason.value_or(""));
      default:
        return {};
    }
  });
  if (stale) return send_problem(res, stale_problem("the case"));
  if (!done) return send_problem(res, problem_of_service(done.error()));
  send_case(ctx, number, 200, res);
}

// ---- comments, solution ----------------------------------------------------------------

// A comment from a JSON body {"body", "visibility", "cc": [...]} or a multipart form
// (web/comment_form.h).
Checked<web::CommentForm> comment_of(Context& ctx, const httplib::Request& req, bool solution) {
  if (req.is_multipart_form_data()) {
    web::CommentFormLimits limits;
    limits.max_total_bytes = static_cast<size_t>(ctx.cfg.http.max_api_body_bytes);
    httplib::MultipartFormDataMap parts = req.files;
    // A solution is always public: its form need not say so.
    if (solution && !parts.count("visibility"))
      parts.emplace("visibility", httplib::MultipartFormData{"visibility", "public", "", ""});
    auto form = web::comment_of_form(parts, limits);
    if (!form) {
      Problem p{422, "the request has invalid fields", {}};
      for (auto& e : form.error()) p.errors.push_back({e.field, e.message});
      return tl::unexpected(p);
    }
    return *form;
  }
  auto body = body_of(req);
  if (!body) return tl::unexpected(body.error());
  Problem p{422, "the request has invalid fields", {}};
  web::CommentForm out;
  auto b = string_field(*body, "body", kMaxText);
  if (!b)
    p.errors.push_back(b.error().errors.front());
  else if (!*b || text::trim(**b).empty())
    p.errors.push_back({"body", "required"});
  else
    out.comment.body = **b;
  if (!solution) {
    auto vis = string_field(*body, "visibility", 16);
    if (!vis || !*vis || (**vis != "public" && **vis != "internal"))
      p.errors.push_back({"visibility", "required: \"public\" or \"internal\""});
    else
      out.comment.is_public = **vis == "public";
    if (auto it = body->find("cc"); it != body->end() && !it->is_null()) {
      if (!it->is_array() || it->size() > services::kMaxCc) {
        p.errors.push_back(
            {"cc", "an array of at most " + std::to_string(services::kMaxCc) + " email addresses"});
      } else {
        for (const auto& e : *it) {
          if (!e.is_string() || e.get<std::string>().size() > 254) {
            p.errors.push_back({"cc", "each cc is one email address"});
            break;
          }
          out.cc.push_back(std::string(text::trim(e.get<std::string>())));
        }
      }
    }
  }
  if (!p.errors.empty()) return tl::unexpected(p);
  return out;
}

void post_comment(Context& ctx, const store::Agent& agent, const std::string& number,
                  const httplib::Request& req, httplib::Response& res) {
  auto form = comment_of(ctx, req, false);
  if (!form) return send_problem(res, form.error());
  const auto by = actor_of(agent);
  // The services mail the copies and make them participants (services::AgentComment::cc).
  form->comment.cc = form->cc;
  store::Comment added;
  auto done = ctx.cases.on_case(number, [&](store::UnitOfWork& w, store::Case& c) -> Status {
    MC_RETURN_IF_ERROR(ctx.cases.comment(w, by, c, form->comment));
    // The last comment in this write unit is the one just added.
    MC_ASSIGN_OR_RETURN(auto all, w.cases().comments_of(c.id));
    if (!all.empty()) added = all.back();
    return {};
  });
  if (!done) return send_problem(res, problem_of_service(done.error()));
  res.set_header("Location", case_path(number) + "/comments");
  send_json(res, 201, present::comment_json(added));
}

// A page of the case's comments or events, oldest first (?limit=&cursor=&count=).
template <typename T, typename ReadPage, typename ToJson>
void list_of_case(Context& ctx, const std::string& number, const httplib::Request& req,
                  httplib::Response& res, ReadPage read_page, ToJson to_json) {
  auto page_req = page_request_of(req.params);
  if (!page_req) return send_problem(res, page_req.error());
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_error(res, unit.error());
  auto c = cases::case_by_number(unit->cases(), number);
  if (!c) return send_error(res, c.error());
  Result<store::Page<T>> page = read_page(*unit, c->id, *page_req);
  if (!page) return send_failure(res, page.error());
  send_json(res, 200, page_json(*page, to_json));
}

void list_comments(Context& ctx, const std::string& number, const httplib::Request& req,
                   httplib::Response& res) {
  list_of_case<store::Comment>(
      ctx, number, req, res,
      [](store::UnitOfWork& u, store::Id id, const store::PageRequest& r) {
        return u.cases().page_comments(id, r);
      },
      [](const store::Comment& c) { return present::comment_json(c); });
}

void post_solution(Context& ctx, const store::Agent& agent, const std::string& number,
                   const httplib::Request& req, httplib::Response& res) {
  auto form = comment_of(ctx, req, true);
  if (!form) return send_problem(res, form.error());
  const auto by = actor_of(agent);
  auto done = ctx.cases.on_case(number, [&](store::UnitOfWork& w, store::Case& c) -> Status {
    // A step the lifecycle refuses is a conflict with the case's state: 409.
    if (auto d = cases::decide(c.status, cases::ActionKind::kProposeSolution); !d)
      return fail(ErrorCode::kConflict, d.error().message);
    return ctx.cases.propose_solution(w, by, c, form->comment);
  });
  if (!done) return send_problem(res, problem_of(done.error()));
  send_case(ctx, number, 200, res);
}

// ---- events, participants, attachments --------------------------------------------------

void list_events(Context& ctx, const std::string& number, const httplib::Request& req,
                 httplib::Response& res) {
  list_of_case<store::Event>(
      ctx, number, req, res,
      [](store::UnitOfWork& u, store::Id id, const store::PageRequest& r) {
        return u.events().page_events(id, r);
      },
      [](const store::Event& e) { return present::event_json(e); });
}

void add_participant(Context& ctx, const store::Agent& agent, const std::string& number,
                     const httplib::Request& req, httplib::Response& res) {
  auto body = body_of(req);
  if (!body) return send_problem(res, body.error());
  auto email = string_field(*body, "email", 254);
  if (!email) return send_problem(res, email.error());
  if (!*email || text::trim(**email).empty()) return send_problem(res, field_problem("email", "required"));
  auto done = ctx.cases.add_participant(actor_of(agent), number, **email);
  if (!done) {
    Problem p = problem_of(done.error());
    if (done.error().code == ErrorCode::kInvalidInput) p.errors.push_back({"email", done.error().message});
    return send_problem(res, p);
  }
  send_case(ctx, number, 200, res);
}

void remove_participant(Context& ctx, const store::Agent& agent, const std::string& number,
                        const std::string& email, httplib::Response& res) {
  auto done = ctx.cases.remove_participant(actor_of(agent), number, email);
  if (!done) return send_failure(res, done.error());
  send_case(ctx, number, 200, res);
}

void get_attachment(Context& ctx, const std::string& id_text, httplib::Response& res) {
  store::Id id = 0;
  try {
    id = std::stoll(id_text);
  } catch (...) {
    return send_problem(res, Problem{404, "no attachment " + id_text, {}});
  }
  auto unit = ctx.store.open_unit(store::Access::kRead);
  if (!unit) return send_error(res, unit.error());
  auto a = unit->cases().get_attachment(id);
  if (!a) return send_error(res, a.error());
  if (!*a) return send_problem(res, Problem{404, "no attachment " + id_text, {}});
  auto bytes = ingest::read_kept_blob(unit->raw_messages(), ctx.data_dir,
                                      spool::BlobRef{(*a)->sha256, (*a)->size, (*a)->blob_location});
  if (!bytes && bytes.error().code == ErrorCode::kNotFound)
    return send_problem(res, Problem{404, "the bytes of attachment " + id_text + " were not kept", {}});
  if (!bytes) return send_error(res, bytes.error());
  const std::string name = mime::safe_filename((*a)->filename, "attachment-" + id_text);
  res.status = 200;
  res.set_header("Content-Disposition", mime::attachment_disposition(name));
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Cache-Control", "private, no-store");
  res.set_content(std::move(*bytes), mime::harmless_content_type((*a)->content_type));
}

}  // namespace

void mount_case_action_routes(web::HttpServer& server, Context& ctx) {
  const std::string one = std::string("/api/v1/cases/") + kNumber;
  auto post = [&](auto&& handle) {
    return authed(
        ctx, Need::kAgent,
        [&ctx, handle](const store::Agent& agent, const httplib::Request& req, httplib::Response& res) {
          idempotent(ctx, req, res, [&] { handle(agent, req, res); });
        });
  };
  server.post("/api/v1/cases", "/api/v1/cases",
              post([&ctx](const store::Agent& a, const httplib::Request& req, httplib::Response& res) {
                open_case(ctx, a, req, res);
              }));
  server.patch("/api/v1/cases/{number}", one,
               authed(ctx, Need::kAgent,
                      [&ctx](const store::Agent& a, const httplib::Request& req, httplib::Response& res) {
                        patch_case(ctx, a, req.matches[1], req, res);
                      }));
  server.get("/api/v1/cases/{number}/comments", one + "/comments",
             authed(ctx, Need::kAgent,
                    [&ctx](const store::Agent&, const httplib::Request& req, httplib::Response& res) {
                      list_comments(ctx, req.matches[1], req, res);
                    }));
  server.post("/api/v1/cases/{number}/comments", one + "/comments",
              post([&ctx](const store::Agent& a, const httplib::Request& req, httplib::Response& res) {
                post_comment(ctx, a, req.matches[1], req, res);
              }));
  server.post("/api/v1/cases/{number}/solution", one + "/solution",
              post([&ctx](const store::Agent& a, const httplib::Request& req, httplib::Response& res) {
                post_solution(ctx, a, req.matches[1], req, res);
              }));
  server.get("/api/v1/cases/{number}/events", one + "/events",
             authed(ctx, Need::kAgent,
                    [&ctx](const store::Agent&, const httplib::Request& req, httplib::Response& res) {
                      list_events(ctx, req.matches[1], req, res);
                    }));
  server.post("/api/v1/cases/{number}/participants", one + "/participants",
              post([&ctx](const store::Agent& a, const httplib::Request& req, httplib::Response& res) {
                add_participant(ctx, a, req.matches[1], req, res);
              }));
  server.del("/api/v1/cases/{number}/participants/{email}", one + "/participants/" + kSegmentPattern,
             authed(ctx, Need::kAgent,
                    [&ctx](const store::Agent& a, const httplib::Request& req, httplib::Response& res) {
                      remove_participant(ctx, a, req.matches[1], req.matches[2], res);
                    }));
  server.get("/api/v1/attachments/{id}", R"(/api/v1/attachments/([0-9]{1,18}))",
             authed(ctx, Need::kAgent,
                    [&ctx](const store::Agent&, const httplib::Request& req, httplib::Response& res) {
                      get_attachment(ctx, req.matches[1], res);
                    }));
}

}  // namespace mailcase::api
