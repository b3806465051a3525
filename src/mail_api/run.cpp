#include "mail_api/run.h"

#include "store/agents.h"
#include "util/text.h"

namespace mailcase::mail_api {
namespace {

// An error the command itself caused (reported in the reply) rather than the store's.
bool command_error(const Error& e) {
  return e.code == ErrorCode::kInvalidInput || e.code == ErrorCode::kNotFound ||
         e.code == ErrorCode::kConflict;
}

Result<store::Case> find_case(store::UnitOfWork& u, const std::string& number) {
  MC_ASSIGN_OR_RETURN(auto c, u.cases().find_case_by_number(number));
  if (!c) return fail(ErrorCode::kNotFound, "no case " + number);
  return std::move(*c);
}

Result<std::optional<store::Id>> account_named(store::UnitOfWork& u, const std::string& name) {
  if (name.empty()) return std::optional<store::Id>();
  MC_ASSIGN_OR_RETURN(auto a, u.accounts().find_account_by_name(name));
  if (!a) return fail(ErrorCode::kNotFound, "no account named " + name);
  return std::optional<store::Id>(a->id);
}

struct Runner {
  store::UnitOfWork& u;
  services::CaseServices& cases;
  const services::Actor& by;
  ActionResult& out;

  Status operator()(const CreateCase& c) {
    MC_ASSIGN_OR_RETURN(auto account, account_named(u, c.account));
    if (account) {
      MC_ASSIGN_OR_RETURN(auto contact, u.accounts().find_contact_by_email(c.contact_email));
      if (contact && contact->account_id != account)
        return fail(ErrorCode::kInvalidInput,
                    "account: the contact " + c.contact_email + " is not of the account " + c.account);
      if (!contact) {
        if (!store::is_email_address(c.contact_email))
          return fail(ErrorCode::kInvalidInput, "contact-email: not an email address");
        store::Contact made;
        made.name = c.contact_name;
        made.emails = {c.contact_email};
        made.account_id = account;
        MC_RETURN_IF_ERROR(u.accounts().add_contact(made));
      }
    }
    services::NewCase n;
    n.contact_email = c.contact_email;
    n.contact_name = c.contact_name;
    n.subject = c.subject;
    n.description = c.description;
    n.queue = c.queue;
    n.priority = c.priority;
    n.product = c.product;
    MC_ASSIGN_OR_RETURN(auto made, cases.open_case(u, by, n));
    out.case_id = made.id;
    out.text = "created case " + made.number;
    return {};
  }

  Status operator()(const AddComment& c) {
    MC_ASSIGN_OR_RETURN(auto kase, find_case(u, c.case_number));
    services::AgentComment comment;
    comment.body = c.text;
    comment.is_public = c.is_public;
    MC_RETURN_IF_ERROR(cases.comment(u, by, kase, comment));
    out.case_id = kase.id;
    out.text =
        std::string(c.is_public ? "public comment" : "internal note") + " added to case " + kase.number;
    return {};
  }

  Status operator()(const UpdateCase& c) {
    MC_ASSIGN_OR_RETURN(auto kase, find_case(u, c.case_number));
    services::CaseFields f{c.queue, c.priority, c.product};
    if (f.queue || f.priority || f.product) MC_RETURN_IF_ERROR(cases.change(u, by, kase, f));
    if (c.owner) MC_RETURN_IF_ERROR(cases.assign(u, by, kase, *c.owner));
    if (c.stage) MC_RETURN_IF_ERROR(cases.set_stage(u, by, kase, *c.stage));
    if (c.status) {
      const bool finished =
          kase.status == store::CaseStatus::kResolved || kase.status == store::CaseStatus::kClosed;
      if (*c.status == "open") {
        if (finished) MC_RETURN_IF_ERROR(cases.reopen(u, by, kase));
      } else if (*c.status == "resolved") {
        if (kase.status != store::CaseStatus::kResolved) MC_RETURN_IF_ERROR(cases.resolve(u, by, kase));
      } else if (*c.status == "closed") {
        if (kase.status != store::CaseStatus::kClosed) MC_RETURN_IF_ERROR(cases.close(u, by, kase));
      } else {
        return fail(ErrorCode::kInvalidInput, "status: open, resolved or closed");
      }
    }
    out.case_id = kase.id;
    out.text = "case " + kase.number + " updated";
    return {};
  }

  Status operator()(const AddContact& c) {
    if (!c.language.empty() &&
        (c.language.size() > 16 ||
         c.language.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") !=
             std::string::npos))
      return fail(ErrorCode::kInvalidInput, "language: a language tag such as en, fr, pl");
    store::Contact made;
    made.name = std::string(text::trim(c.name));
    made.emails = c.emails;
    made.language = c.language;
    MC_ASSIGN_OR_RETURN(made.account_id, account_named(u, c.account));
    auto id = u.accounts().add_contact(made);
    if (!id && id.error().code == ErrorCode::kConflict)
      return fail(ErrorCode::kConflict, "email: an address belongs to another contact already");
    MC_RETURN_IF_ERROR(id);
    out.text = "contact " + std::to_string(*id) + " added: " + made.name;
    return {};
  }

  Status operator()(const AddAccount& c) {
    store::Account a;
    a.name = std::string(text::trim(c.name));
    a.support_level = c.support_level;
    a.emails = c.emails;
    auto id = u.accounts().add_account(a);
    if (!id && id.error().code == ErrorCode::kConflict)
      return fail(ErrorCode::kConflict, "name: an account with that name or address exists already");
    MC_RETURN_IF_ERROR(id);
    out.text = "account " + std::to_string(*id) + " added: " + a.name;
    return {};
  }

  Status operator()(const CloseCase& c) {
    MC_ASSIGN_OR_RETURN(auto kase, find_case(u, c.case_number));
    if (c.comment) {
      services::AgentComment comment;
      comment.body = *c.comment;
      comment.is_public = c.comment_public;
      MC_RETURN_IF_ERROR(cases.comment(u, by, kase, comment));
    }
    MC_RETURN_IF_ERROR(cases.close(u, by, kase));
    out.case_id = kase.id;
    out.text = "case " + kase.number + " closed";
    return {};
  }
};

}  // namespace

std::optional<store::Id> RunResult::first_case() const {
  for (const auto& a : actions)
    if (a.case_id) return a.case_id;
  return std::nullopt;
}

Result<RunResult> run_commands(store::UnitOfWork& u, services::CaseServices& cases, const services::Actor& by,
                               const std::vector<Command>& commands) {
  RunResult run;
  for (const auto& cmd : commands) {
    ActionResult r;
    r.position = cmd.position;
    r.element = cmd.element;
    Status done = std::visit(Runner{u, cases, by, r}, cmd.body);
    if (!done) {
      if (!command_error(done.error())) return tl::unexpected(done.error());
      r.ok = false;
      r.case_id.reset();
      r.text = done.error().message;
      run.actions.push_back(std::move(r));
      return run;
    }
    r.ok = true;
    run.actions.push_back(std::move(r));
  }
  return run;
}

std::string reply_text(const std::vector<Command>& commands, const RunResult& run) {
  std::string out;
  if (run.ok()) {
    out = "mailcase ran the " + std::to_string(commands.size()) + " command" +
          (commands.size() == 1 ? "" : "s") + " of your mail:\n\n";
  } else {
    const auto& bad = run.actions.back();
    out = "Nothing was applied: command " + std::to_string(bad.position) + " (" + bad.element +
          ") failed, so none of the " + std::to_string(commands.size()) +
          " commands of your mail took effect.\n\n";
  }
  for (const auto& cmd : commands) {
    out += std::to_string(cmd.position) + ". " + cmd.element + ": ";
    if (cmd.position <= run.actions.size()) {
      const auto& a = run.actions[cmd.position - 1];
      if (a.ok)
        out += run.ok() ? a.text : a.text + " (undone)";
      else
        out += "FAILED: " + a.text;
    } else {
      out += "not run";
    }
    out += "\n";
  }
  return out;
}

std::string reply_text(const std::vector<CommandError>& errors) {
  std::string out = "Nothing was applied: the XML of your mail could not be read.\n\n";
  for (const auto& e : errors) out += "- " + describe(e) + "\n";
  return out;
}

}  // namespace mailcase::mail_api
