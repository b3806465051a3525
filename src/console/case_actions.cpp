// The case page's forms: reply to the customer (mailed, with attachments and Cc), internal
// note, propose a solution, close, reopen, assign (owner, queue, priority), add a
// participant, move to another stage of its process. Each runs through the case services
// as the REST API's routes do (the same calls, the same lifecycle checks, in one unit of
// work) and answers with a redirect back to the case page, or the page again with the
// reason and the agent's text when refused.
// page() has checked the session and the form's CSRF token before any of these runs.
#include <spdlog/spdlog.h>

#include "cases/lifecycle.h"
#include "console/case_logic.h"
#include "console/case_pages.h"
#include "util/text.h"
#include "web/comment_form.h"
#include "web/idempotency.h"

namespace mailcase::console {
namespace {

constexpr size_t kMaxCcField = 5000;

services::Actor actor_of(const Viewer& v) {
  return services::Actor::agent(v.agent.email, "console");
}

std::string words_of(const Error& e) {
  if (e.code == ErrorCode::kTemporary)
    return "The store is busy. Please try again in a moment; nothing was changed.";
  if (e.code == ErrorCode::kInternal) return "Something went wrong; nothing was changed.";
  const std::string m = text::capitalized(e.message);
  return m + (m.ends_with('.') ? "" : ".");
}

// The form's comment: a multipart form (with files) or a url-encoded one. The Cc field is
// one text of addresses, given to the services one by one as the API's "cc" list.
tl::expected<web::CommentForm, std::string> comment_from(Context& ctx, const httplib::Request& req,
                                                         bool is_public, bool with_cc) {
  httplib::MultipartFormDataMap parts;
  std::string cc;
  if (req.is_multipart_form_data()) {
    for (const auto& [name, part] : req.files) {
      if (name == "csrf" || name == "once" || name == "visibility") continue;
      if (name == "cc") {
        cc += part.content + ",";
        continue;
      }
      // A file input left empty still sends a part: no name, no bytes.
      if (name == "attachments" && part.filename.empty() && part.content.empty()) continue;
      parts.emplace(name, part);
    }
  } else {
    for (const auto& [name, value] : req.params) {
      if (name == "csrf" || name == "once" || name == "visibility") continue;
      if (name == "cc")
        cc += value + ",";
      else
        parts.emplace(name, httplib::MultipartFormData{name, value, "", ""});
    }
  }
  if (!with_cc && !text::trim(cc).empty()) return tl::unexpected(std::string("Only a reply has a Cc field."));
  if (cc.size() > kMaxCcField) return tl::unexpected(std::string("The Cc field is too long."));
  for (const auto& address : split_cc(cc))
    parts.emplace("cc", httplib::MultipartFormData{"cc", address, "", ""});
  parts.emplace("visibility",
                httplib::MultipartFormData{"visibility", is_public ? "public" : "internal", "", ""});
  web::CommentFormLimits limits;
  limits.max_total_bytes = static_cast<size_t>(ctx.cfg.http.max_api_body_bytes);
  auto form = web::comment_of_form(parts, limits);
  if (!form) {
    std::string why;
    for (const auto& e : form.error()) {
      const std::string field = e.field == "body" ? "The text" : e.field == "cc" ? "Cc" : e.field;
      why += (why.empty() ? "" : " ") + field + ": " + e.message + ".";
    }
    return tl::unexpected(why);
  }
  return *form;
}

Draft draft_of(const httplib::Request& req, std::string form) {
  Draft d;
  d.form = std::move(form);
  d.body = text::make_valid_utf8(form_value(req, "body"));
  d.cc = text::make_valid_utf8(form_value(req, "cc").substr(0, kMaxCcField));
  d.email = text::make_valid_utf8(form_value(req, "email").substr(0, 254));
  return d;
}

void done(httplib::Response& res, const std::string& number, std::string_view what) {
  redirect(res, "/cases/" + number + "?done=" + std::string(what));
}

using Handler = std::function<void(Context&, const Viewer&, const httplib::Request&, httplib::Response&,
                                   const std::string& number)>;

// A comment form's one-time key (page.h's once_field), kept with the store's idempotency
// keys: per agent, under the agent's id negated (the API's keys are per token, whose ids
// are positive), so that no key of one meets another's.
struct OnceKey {
  store::Id owner = 0;
  std::string key;
  std::string digest;  // of the form's path, text, Cc and files' names and sizes
};

std::optional<OnceKey> once_key_of(const Viewer& v, const httplib::Request& req) {
  const std::string key = form_value(req, "once");
  if (key.empty() || web::idempotency_key_problem(key)) return std::nullopt;  // an older page: no key
  std::string what = form_value(req, "body") + '\0' + form_value(req, "cc");
  if (req.is_multipart_form_data())
    for (const auto& [name, part] : req.files)
      if (name == "attachments") what += '\0' + part.filename + '/' + std::to_string(part.content.size());
  return OnceKey{-v.agent.id, key, web::request_digest("POST", req.path, what)};
}

enum class SentBefore { kNo, kSame, kOther };

// In the comment's unit of work, before it writes: whether the form's key was sent
// before (the same form: kSame; another text under it: kOther), else claims it as
// answered with `location`, so that the key and the comment commit together or not at all.
Result<SentBefore> claim_once(store::UnitOfWork& w, const OnceKey& once, const std::string& location,
                              int64_t now) {
  MC_ASSIGN_OR_RETURN(auto start, web::judge_and_claim(w, once.owner, once.key, once.digest, now));
  switch (start.verdict) {
    case web::KeyVerdict::kReplay:
      return SentBefore::kSame;
    case web::KeyVerdict::kInProgress:
    case web::KeyVerdict::kOtherRequest:
      return SentBefore::kOther;
    case web::KeyVerdict::kRun:
      break;
  }
  MC_RETURN_IF_ERROR(w.idempotency().answer_key(once.owner, once.key, {303, {{"Location", location}}, ""}));
  MC_RETURN_IF_ERROR(web::purge_keys_if_due(w, now, web::key_purge_schedule()));
  return SentBefore::kNo;
}

// A reply, note or solution. The form's one-time key makes the same form sent twice (a
// double click, a reload of the answer) one comment and one mail: the second gets the
// first's answer. Another text sent under a used key (the page came back from the
// browser's history) is shown again, unsent, to be sent with a fresh key.
void comment_action(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res,
                    const std::string& number, std::string_view kind) {
  const bool reply = kind == "reply", solution = kind == "solution";
  auto form = comment_from(ctx, req, reply || solution, reply);
  if (!form) return show_case(ctx, v, req, res, number, 422, form.error(), draft_of(req, std::string(kind)));
  const auto by = actor_of(v);
  const auto once = once_key_of(v, req);
  const std::string location = "/cases/" + number + "?done=" + std::string(kind);
  SentBefore sent_before = SentBefore::kNo;
  auto result = ctx.cases.on_case(number, [&](store::UnitOfWork& w, store::Case& c) -> Status {
    if (once) {
      MC_ASSIGN_OR_RETURN(sent_before, claim_once(w, *once, location, ctx.clock.now()));
      if (sent_before != SentBefore::kNo) return fail(ErrorCode::kConflict, "this form was sent already");
    }
    if (solution) {
      if (auto d = cases::decide(c.status, cases::ActionKind::kProposeSolution); !d)
        return fail(ErrorCode::kConflict, d.error().message);
      return ctx.cases.propose_solution(w, by, c, form->comment);
    }
    // The copies are mailed the reply, named on its comment and made participants, as the
    // API's "cc" (services::AgentComment::cc): an address that cannot be a copy refuses
    // the whole reply.
    form->comment.cc = form->cc;
    return ctx.cases.comment(w, by, c, form->comment);
  });
  if (sent_before == SentBefore::kSame) return redirect(res, location);
  if (sent_before == SentBefore::kOther)
    return show_case(ctx, v, req, res, number, 409,
                     "This form was sent already: what it sent is on the case. Your text below was not sent; "
                     "send it again to add it.",
                     draft_of(req, std::string(kind)));
  if (!result)
    return show_case(ctx, v, req, res, number, status_of(result.error()), words_of(result.error()),
                     draft_of(req, std::string(kind)));
  redirect(res, location);
}

void lifecycle_action(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res,
                      const std::string& number, cases::ActionKind kind) {
  const auto by = actor_of(v);
  auto result = ctx.cases.on_case(number, [&](store::UnitOfWork& w, store::Case& c) -> Status {
    // A step the lifecycle refuses is a conflict with the case's state.
    if (auto d = cases::decide(c.status, kind); !d) return fail(ErrorCode::kConflict, d.error().message);
    return kind == cases::ActionKind::kClose ? ctx.cases.close(w, by, c) : ctx.cases.reopen(w, by, c);
  });
  if (!result)
    return show_case(ctx, v, req, res, number, status_of(result.error()), words_of(result.error()));
  done(res, number, kind == cases::ActionKind::kClose ? "close" : "reopen");
}

// Whether the form posted `name` at all (a field sent empty is posted).
bool posted(const httplib::Request& req, const std::string& name) {
  return req.has_param(name.c_str()) || req.has_file(name.c_str());
}

// The assign form: owner, queue and priority. The page also posts the values it showed
// (was_owner, was_queue, was_priority), so that a field the agent left as it was is not
// written back over what another agent saved meanwhile; a field both changed is refused
// (409) with the case as it is now. A queue is one there is (any letter case: its own
// spelling is kept) and a priority one of the list's, so that a typo makes no new queue.
void assign_action(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res,
                   const std::string& number) {
  const std::string owner = form_value(req, "owner");
  // A browser sends a text field as typed: spaces around a queue or priority are not
  // part of it.
  const std::string queue(text::trim(form_value(req, "queue")));
  const std::string priority(text::trim(form_value(req, "priority")));
  // Refused, the form shows the agent's choices again, not the case's.
  Draft draft;
  draft.form = "assign";
  draft.owner = text::make_valid_utf8(owner.substr(0, 254));
  draft.queue = text::make_valid_utf8(queue.substr(0, 1000));
  draft.priority = text::make_valid_utf8(priority.substr(0, 1000));
  for (const auto& [name, value] : {std::pair{"queue", &queue}, {"priority", &priority}})
    if (auto ok = services::check_case_field(name, *value); !ok)
      return show_case(ctx, v, req, res, number, 422, words_of(ok.error()), draft);
  if (owner.size() > 254 || !text::is_clean_text(owner, true))
    return show_case(ctx, v, req, res, number, 422, "Choose the owner from the list.", draft);
  // What the page showed; a form without them (an older page) writes every field.
  std::optional<Assignment> shown;
  if (posted(req, "was_owner") && posted(req, "was_queue") && posted(req, "was_priority"))
    shown = Assignment{form_value(req, "was_owner"), form_value(req, "was_queue"),
                       form_value(req, "was_priority")};
  const auto by = actor_of(v);
  auto result = ctx.cases.on_case(number, [&](store::UnitOfWork& w, store::Case& c) -> Status {
    MC_ASSIGN_OR_RETURN(auto queues, known_queues(w, ctx.cfg));
    auto writes = decide_assignment({owner, queue, priority}, shown, {c.owner, c.queue, c.priority}, queues,
                                    priority_choices(ctx.cfg, c.priority));
    if (!writes) return tl::unexpected(writes.error());
    services::CaseFields f;
    f.queue = writes->queue;
    f.priority = writes->priority;
    if (writes->owner) MC_RETURN_IF_ERROR(ctx.cases.assign(w, by, c, *writes->owner));
    return ctx.cases.change(w, by, c, f);
  });
  if (!result)
    return show_case(ctx, v, req, res, number, status_of(result.error()), words_of(result.error()), draft);
  done(res, number, "assign");
}

void participant_action(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res,
                        const std::string& number) {
  const std::string email(text::trim(form_value(req, "email")));
  if (email.empty() || email.size() > 254)
    return show_case(ctx, v, req, res, number, 422, "Give one email address (at most 254 characters).",
                     draft_of(req, "participant"));
  auto result = ctx.cases.add_participant(actor_of(v), number, email);
  if (!result)
    return show_case(ctx, v, req, res, number, status_of(result.error()), words_of(result.error()),
                     draft_of(req, "participant"));
  done(res, number, "participant");
}

void remove_participant_action(Context& ctx, const Viewer& v, const httplib::Request& req,
                               httplib::Response& res, const std::string& number) {
  const std::string email(text::trim(form_value(req, "email")));
  if (email.empty() || email.size() > 254)
    return show_case(ctx, v, req, res, number, 422, "Choose the participant to remove from the list.");
  auto result = ctx.cases.remove_participant(actor_of(v), number, email);
  // A case that is not there gets show_case's own 404 page; a case that is has no such
  // participant.
  if (!result && result.error().code == ErrorCode::kNotFound)
    return show_case(ctx, v, req, res, number, 404,
                     "That address is not a participant of this case (any more).");
  if (!result)
    return show_case(ctx, v, req, res, number, status_of(result.error()), words_of(result.error()));
  done(res, number, "participant-removed");
}

// Moves the case to the stage chosen from its process's (the services refuse any other).
void stage_action(Context& ctx, const Viewer& v, const httplib::Request& req, httplib::Response& res,
                  const std::string& number) {
  const std::string stage = form_value(req, "stage");
  if (stage.empty() || stage.size() > domain::kMaxStageBytes || !text::is_clean_text(stage, true))
    return show_case(ctx, v, req, res, number, 422, "Choose the stage from the list.");
  auto result = ctx.cases.set_stage(actor_of(v), number, stage);
  if (!result)
    return show_case(ctx, v, req, res, number, status_of(result.error()), words_of(result.error()));
  done(res, number, "stage");
}

}  // namespace

void mount_case_actions(web::HttpServer& server, Context& ctx) {
  const std::string one = std::string("/cases/") + kCaseNumberPattern;
  auto mount = [&](const std::string& action, Handler h) {
    server.post(
        "/cases/{number}/" + action, one + "/" + action,
        page(ctx, Need::kAgent,
             [&ctx, h = std::move(h)](const Viewer& v, const httplib::Request& req, httplib::Response& res) {
               h(ctx, v, req, res, req.matches[1]);
             }));
  };
  for (const char* kind : {"reply", "note", "solution"})
    mount(kind, [kind](Context& c, const Viewer& v, const httplib::Request& req, httplib::Response& res,
                       const std::string& n) { comment_action(c, v, req, res, n, kind); });
  mount("close",
        [](Context& c, const Viewer& v, const httplib::Request& req, httplib::Response& res,
           const std::string& n) { lifecycle_action(c, v, req, res, n, cases::ActionKind::kClose); });
  mount("reopen",
        [](Context& c, const Viewer& v, const httplib::Request& req, httplib::Response& res,
           const std::string& n) { lifecycle_action(c, v, req, res, n, cases::ActionKind::kReopen); });
  mount("assign", assign_action);
  mount("participants", participant_action);
  mount("participants/remove", remove_participant_action);
  mount("stage", stage_action);
}

}  // namespace mailcase::console
