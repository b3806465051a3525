// api-sender add/list/remove: who may send the API by mail's XML commands (mail_api/)
// and how their mail is proven: a signature made with the secret in a file, or a trusted
// DKIM/DMARC pass aligned with their From.
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/app.h"
#include "store/agents.h"
#include "util/secret_file.h"
#include "util/text.h"

namespace mailcase::app {
namespace {

nlohmann::json sender_json(const store::ApiSender& s) {
  return {{"email", s.email},
          {"secret_file", s.secret_file.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.secret_file)},
          {"dkim", s.dkim},
          {"created_at", s.created_at}};
}

// Checks the sender (an address; a proof: a secret file only its owner may read, holding
// a secret, or dkim) and stores it; the secret itself is never stored.
Result<store::ApiSender> add_sender(store::Store& st, store::ApiSender s) {
  s.email = text::normalize_email(text::trim(s.email));
  if (!store::is_email_address(s.email))
    return fail(ErrorCode::kInvalidInput, "not an email address: " + s.email);
  if (s.secret_file.empty() && !s.dkim)
    return fail(ErrorCode::kInvalidInput, "give a proof: --secret-file FILE or --dkim yes");
  if (!s.secret_file.empty()) {
    std::error_code ec;
    auto path = std::filesystem::absolute(s.secret_file, ec);
    if (ec) return fail(ErrorCode::kInvalidInput, "--secret-file: " + ec.message());
    s.secret_file = path.lexically_normal().string();
    if (auto exposed = secret_file_exposure(path))
      return fail(ErrorCode::kInvalidInput, "--secret-file: " + *exposed + " (chmod 600 it)");
    MC_ASSIGN_OR_RETURN(auto secret, read_password_file(s.secret_file));
    if (secret.size() < 16)
      return fail(ErrorCode::kInvalidInput, "--secret-file: the secret must be at least 16 bytes");
  }
  MC_ASSIGN_OR_RETURN(auto u, st.begin_work());
  auto id = u.api_senders().add_api_sender(s);
  if (!id && id.error().code == ErrorCode::kConflict)
    return fail(ErrorCode::kConflict, "api sender " + s.email + " exists already");
  MC_RETURN_IF_ERROR(id);
  MC_RETURN_IF_ERROR(u.commit());
  s.id = *id;
  return s;
}

}  // namespace

void register_api_sender_commands(CLI::App& app, Globals& g) {
  auto* sender = app.add_subcommand("api-sender", "who may send XML commands to an api address");
  sender->require_subcommand(1);
  {
    auto* add = sender->add_subcommand("add", "allow an address to send API mail, with its proof");
    auto s = std::make_shared<store::ApiSender>();
    auto dkim = std::make_shared<std::string>("no");
    add->add_option("email", s->email, "the sender's address (its mail's From)")->required();
    add->add_option("--secret-file", s->secret_file,
                    "file (mode 600) whose first line is the HMAC secret of X-Mailcase-Signature");
    add->add_option("--dkim", *dkim, "yes: a trusted DKIM/DMARC pass aligned with From proves its mail")
        ->check(CLI::IsMember({"yes", "no"}));
    add->callback([&g, s, dkim] {
      g.action = [&g, s, dkim] {
        s->dkim = *dkim == "yes";
        if (s->secret_file.empty() && !s->dkim) {
          print_error(Error{ErrorCode::kInvalidInput, "give a proof: --secret-file FILE or --dkim yes"});
          g.exit_code = kExitUsage;
          return;
        }
        with_runtime(g, [s](runtime::Runtime& rt) -> Result<std::string> {
          MC_ASSIGN_OR_RETURN(auto stored, add_sender(rt.store(), *s));
          std::string how = stored.secret_file.empty() ? "" : "signature";
          if (stored.dkim) how += how.empty() ? "dkim" : ", dkim";
          return "api sender " + stored.email + " (" + how + ")\n";
        });
      };
    });
  }
  {
    auto* list = sender->add_subcommand("list", "list the api senders");
    auto json = std::make_shared<bool>(false);
    list->add_flag("--json", *json, "JSON output");
    list->callback([&g, json] {
      g.action = [&g, json] {
        with_runtime(g, [json](runtime::Runtime& rt) -> Result<std::string> {
          MC_ASSIGN_OR_RETURN(auto all, rt.store().api_senders().list_api_senders());
          if (*json) {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& s : all) out.push_back(sender_json(s));
            return json_text(out) + "\n";
          }
          std::string out;
          for (const auto& s : all) {
            out += s.email + "  secret-file=" + (s.secret_file.empty() ? "(none)" : s.secret_file) +
                   " dkim=" + (s.dkim ? "yes" : "no") + "\n";
          }
          return out;
        });
      };
    });
  }
  {
    auto* remove = sender->add_subcommand("remove", "no longer take API mail from an address");
    auto email = std::make_shared<std::string>();
    remove->add_option("email", *email, "the sender's address")->required();
    remove->callback([&g, email] {
      g.action = [&g, email] {
        with_runtime(g, [email](runtime::Runtime& rt) -> Result<std::string> {
          MC_ASSIGN_OR_RETURN(auto u, rt.store().begin_work());
          MC_RETURN_IF_ERROR(u.api_senders().remove_api_sender(*email));
          MC_RETURN_IF_ERROR(u.commit());
          return "api sender " + text::normalize_email(*email) + " removed\n";
        });
      };
    });
  }
}

}  // namespace mailcase::app
