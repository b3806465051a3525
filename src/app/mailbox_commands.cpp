// mailbox add/list/remove/test/fetch (serve is in serve.cpp).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "admin/admin.h"
#include "app/app.h"
#include "channels/mailbox_agent.h"
#include "present/json.h"
#include "util/secret_file.h"
#include "util/text.h"

namespace mailcase::app {
namespace {

// "60", "60s", "5m", "1h" → seconds; -1 when malformed.
int parse_interval(const std::string& s) {
  if (s.empty()) return -1;
  size_t used = 0;
  long v = 0;
  try {
    v = std::stol(s, &used);
  } catch (...) {
    return -1;
  }
  std::string unit = s.substr(used);
  if (unit.empty() || unit == "s") return static_cast<int>(v);
  if (unit == "m") return static_cast<int>(v * 60);
  if (unit == "h") return static_cast<int>(v * 3600);
  return -1;
}

std::optional<store::Mailbox> find_mailbox(Globals& g, runtime::Runtime& p, const std::string& name) {
  auto all = p.store().list_mailboxes();
  if (!all) {
    print_error(all.error());
    g.exit_code = exit_code_for(all.error());
    return std::nullopt;
  }
  for (auto& m : *all)
    if (m.name == name) return m;
  std::cerr << "mailcase: no mailbox named " << name << "\n";
  g.exit_code = kExitNoInput;
  return std::nullopt;
}

// The text of `mailbox add`'s --protocol, --tls, --after and --auth into m; an empty
// --after is the protocol's default (seen for IMAP, delete for POP3). Unknown text is
// an error naming the values allowed.
Status parse_mailbox_modes(const std::string& protocol, const std::string& tls, const std::string& after,
                           const std::string& auth, store::Mailbox& m) {
  auto p = domain::protocol_from(protocol);
  if (!p) return fail(ErrorCode::kInvalidInput, "--protocol must be imap or pop3");
  m.protocol = *p;
  auto t = domain::tls_mode_from(tls);
  if (!t) return fail(ErrorCode::kInvalidInput, "--tls must be implicit, starttls or none");
  m.tls = *t;
  if (after.empty()) {
    using domain::AfterAction;
    m.after = {m.protocol == domain::Protocol::kPop3 ? AfterAction::kDelete : AfterAction::kSeen, {}};
  } else {
    auto a = domain::after_fetch_from(after);
    if (!a) return fail(ErrorCode::kInvalidInput, "--after must be delete, seen, move:FOLDER or keep");
    m.after = *a;
  }
  auto au = domain::auth_method_from(auth);
  if (!au) return fail(ErrorCode::kInvalidInput, "--auth must be password or xoauth2");
  m.auth = *au;
  return {};
}

}  // namespace

void register_mailbox_commands(CLI::App& app, Globals& g) {
  auto* mailbox = app.add_subcommand("mailbox", "IMAP and POP3 mailboxes mailcase fetches from");
  mailbox->require_subcommand(1);
  {
    auto* add = mailbox->add_subcommand("add", "add a mailbox");
    auto m = std::make_shared<store::Mailbox>();
    auto poll = std::make_shared<std::string>("60s");
    auto idle = std::make_shared<std::string>("yes");
    auto verify = std::make_shared<std::string>("yes");
    auto protocol = std::make_shared<std::string>();
    auto tls = std::make_shared<std::string>();
    auto after = std::make_shared<std::string>();
    auto auth = std::make_shared<std::string>(domain::to_string(domain::AuthMethod::kPassword));
    auto plaintext = std::make_shared<std::string>("no");
    add->add_option("name", m->name, "a name for the mailbox")->required();
    add->add_option("--protocol", *protocol, "imap or pop3")->required();
    add->add_option("--host", m->host, "server host name")->required();
    add->add_option("--port", m->port, "server port")->required();
    add->add_option("--tls", *tls, "implicit, starttls or none")->required();
    add->add_option("--user", m->user, "user name")->required();
    add->add_option("--password-file", m->password_file, "file whose first line is the password");
    add->add_option("--folder", m->folder, "IMAP folder (default INBOX)");
    add->add_option("--poll-interval", *poll, "how often to look when the server cannot push (60s, 5m)");
    add->add_option("--idle", *idle, "use IMAP IDLE when the server has it (yes|no)");
    add->add_option("--after", *after,
                    "delete, seen, move:FOLDER or keep (default: seen for IMAP, delete for POP3)");
    add->add_option("--address", m->address, "routing address its mail counts as delivered to");
    add->add_option("--process", m->process,
                    "process its new cases follow, from their first stage (its address's process wins)");
    add->add_option("--authserv-id", m->authserv_ids,
                    "also believe Authentication-Results of this server for its mail (repeatable)");
    add->add_option("--ca-file", m->ca_file, "PEM file of a private or self-signed CA to trust");
    add->add_option("--tls-verify", *verify, "verify the server's certificate (yes|no)");
    add->add_option("--auth", *auth, "password or xoauth2");
    add->add_option("--token-command", m->token_command, "prints an OAuth access token (xoauth2)");
    add->add_option("--allow-plaintext-auth", *plaintext,
                    "allow the password over --tls none (yes|no, default no): a trusted network only")
        ->check(CLI::IsMember({"yes", "no"}));
    add->callback([&g, m, protocol, tls, poll, idle, verify, after, auth, plaintext] {
      g.action = [&g, m, protocol, tls, poll, idle, verify, after, auth, plaintext] {
        if (auto t = parse_mailbox_modes(*protocol, *tls, *after, *auth, *m); !t) {
          print_error(t.error());
          g.exit_code = kExitUsage;
          return;
        }
        m->allow_plaintext_auth = *plaintext == "yes";
        m->poll_interval_s = parse_interval(*poll);
        m->idle = *idle != "no";
        m->tls_verify = *verify != "no";
        if (!m->password_file.empty()) {
          m->password_file = std::filesystem::absolute(m->password_file).string();
          if (auto w = secret_file_exposure(m->password_file)) std::cerr << "mailcase: warning: " << *w << "\n";
        }
        if (!m->ca_file.empty()) m->ca_file = std::filesystem::absolute(m->ca_file).string();
        auto p = open_runtime(g);
        if (!p) return;
        auto added = admin::add_mailbox(p->store(), p->data_dir(), *m, {});
        if (!added) {
          print_error(added.error());
          g.exit_code = added.error().code == ErrorCode::kInvalidInput ? kExitUsage
                        : added.error().code == ErrorCode::kConflict   ? kExitDataErr
                                                                       : exit_code_for(added.error());
          return;
        }
        std::cout << "mailbox " << m->name << " added (" << domain::to_string(m->protocol) << " " << m->user
                  << "@" << m->host << ":" << m->port << ", after: " << domain::to_string(m->after) << ")\n";
      };
    });
  }
  {
    auto* list = mailbox->add_subcommand("list", "list mailboxes and their agents' status");
    auto json = std::make_shared<bool>(false);
    list->add_flag("--json", *json, "one JSON array");
    list->callback([&g, json] {
      g.action = [&g, json] {
        auto p = open_runtime(g);
        if (!p) return;
        auto all = p->store().list_mailboxes();
        if (!all) {
          print_error(all.error());
          g.exit_code = exit_code_for(all.error());
          return;
        }
        nlohmann::json out = nlohmann::json::array();
        for (const auto& m : *all) {
          auto s = p->store().mailbox_state(m.name);
          store::MailboxState st = s ? *s : store::MailboxState{};
          out.push_back(present::mailbox_json(m, st));  // no password file or token command
          if (!*json) {
            std::cout << m.name << "\t" << domain::to_string(m.protocol) << " " << m.user << "@" << m.host
                      << ":" << m.port << " " << m.folder << "\tafter " << domain::to_string(m.after) << "\t"
                      << st.status << "\tlast success "
                      << (st.last_success.empty() ? "never" : st.last_success) << "\tbacklog " << st.backlog;
            if (st.push_last_ms >= 0) {
              // mailcase's own share of the last push: the IDLE notice to the commit.
              char ms[32];
              std::snprintf(ms, sizeof ms, "%.1f", st.push_last_ms);
              std::cout << "\tlast push " << ms << " ms after the notice";
            }
            for (const auto& id : m.authserv_ids) std::cout << "\tauthserv-id " << id;
            if (!st.last_error.empty()) std::cout << "\tlast error: " << st.last_error;
            std::cout << "\n";
          }
        }
        if (*json) std::cout << json_text(out) << "\n";
      };
    });
  }
  {
    auto* remove = mailbox->add_subcommand("remove", "remove a mailbox (its mail stays where it is)");
    auto name = std::make_shared<std::string>();
    remove->add_option("name", *name)->required();
    remove->callback([&g, name] {
      g.action = [&g, name] {
        auto p = open_runtime(g);
        if (!p) return;
        auto st = admin::remove_mailbox(p->store(), p->data_dir(), *name);
        if (!st) {
          print_error(st.error());
          g.exit_code = st.error().code == ErrorCode::kNotFound ? kExitNoInput : exit_code_for(st.error());
          return;
        }
        std::cout << "mailbox " << *name << " removed\n";
      };
    });
  }
  {
    auto* test = mailbox->add_subcommand("test", "connect, authenticate and count waiting mails");
    auto name = std::make_shared<std::string>();
    test->add_option("name", *name)->required();
    test->callback([&g, name] {
      g.action = [&g, name] {
        auto p = open_runtime(g);
        if (!p) return;
        auto m = find_mailbox(g, *p, *name);
        if (!m) return;
        auto state = p->store().mailbox_state(m->name);
        auto r = channels::probe_mailbox(*m, state ? *state : store::MailboxState{});
        if (!r) {
          std::cout << "FAILED: " << r.error().message << "\n";
          g.exit_code = r.error().code == ErrorCode::kTemporary ? kExitTempFail : kExitConfig;
          return;
        }
        std::cout << "ok: connected to " << m->host << ":" << m->port << " and authenticated as " << m->user
                  << "\n";
        std::cout << "capabilities:";
        for (const auto& c : r->capabilities) std::cout << " " << c;
        std::cout << "\n";
        std::cout << "waiting: " << r->waiting << "\n";
      };
    });
  }
  {
    auto* fetch = mailbox->add_subcommand("fetch", "fetch what is waiting once, then stop");
    auto name = std::make_shared<std::string>();
    fetch->add_option("name", *name)->required();
    fetch->callback([&g, name] {
      g.action = [&g, name] {
        config::Config cfg;
        auto p = open_runtime(g, &cfg);
        if (!p) return;
        auto m = find_mailbox(g, *p, *name);
        if (!m) return;
        channels::AgentBook book(p->store());  // pooled units of the pipeline's store
        std::atomic<bool> stop{false};
        channels::AgentContext ctx{p->ingest(), book, stop, cfg.mailbox.fetch_batch,
                                   cfg.limits.max_message_bytes};
        auto n = channels::fetch_once(*m, ctx);
        if (!n) {
          print_error(n.error());
          g.exit_code = exit_code_for(n.error());
          return;
        }
        std::cout << "fetched " << n->total - n->errors << " mails from " << m->name << "\n";
        if (n->left_at_source > 0)
          std::cout << n->left_at_source
                    << " mails left on the server: over limits.max_message_bytes (see `message list`)\n";
      };
    });
  }
}

}  // namespace mailcase::app
