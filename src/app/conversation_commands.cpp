// The conversation from the agent's side: comment, propose a solution, accept or
// reject for the customer, close, reopen; and the outbox.
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "app/app.h"
#include "cases/case_view.h"
#include "present/json.h"
#include "util/text.h"

namespace mailcase::app {
namespace {

std::string content_type_for(const std::string& name) {
  auto dot = name.rfind('.');
  std::string ext = dot == std::string::npos ? "" : name.substr(dot + 1);
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == "pdf") return "application/pdf";
  if (ext == "txt" || ext == "log") return "text/plain";
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "zip") return "application/zip";
  if (ext == "csv") return "text/csv";
  return "application/octet-stream";
}

using CaseAction =
    std::function<mailcase::Status(services::CaseServices&, const services::Actor&, store::UnitOfWork&, store::Case&)>;

// Runs a case action through the case services (one unit of work with its event and its
// outbox rows), as the agent the command line acts for, and reports the outcome.
void run_case_action(Globals& g, const std::string& number, const CaseAction& fn, const std::string& done) {
  with_agent(g, [&](runtime::Runtime& rt, const services::Actor& by) -> Result<std::string> {
    auto& cases = rt.cases();
    MC_ASSIGN_OR_RETURN(auto c, cases.on_case(number, [&](store::UnitOfWork& w, store::Case& kase) {
      return fn(cases, by, w, kase);
    }));
    // `done` may be set by fn (assign names the owner): read after it ran.
    return c.number + ": " + done + " (status: " + std::string(store::to_string(c.status)) + ")\n";
  });
}

struct BodyOptions {
  std::string body, body_file;
  std::vector<std::string> attach;
};

Result<services::AgentComment> read_body(const BodyOptions& o) {
  services::AgentComment in;
  if (!o.body_file.empty()) {
    std::ifstream f(o.body_file, std::ios::binary);
    if (!f) return fail(ErrorCode::kInvalidInput, "cannot read " + o.body_file);
    in.body.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  } else {
    in.body = o.body;
  }
  // The text is mailed and shown on web pages: it must be text.
  if (!text::is_clean_text(in.body, false))
    return fail(ErrorCode::kInvalidInput,
                "the text is not valid UTF-8 or holds control characters; save it as UTF-8 text");
  constexpr size_t kMaxBody = 1024 * 1024;
  if (in.body.size() > kMaxBody)
    return fail(ErrorCode::kInvalidInput, "the text is longer than 1 MiB; attach it as a file instead");
  for (const auto& path : o.attach) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return fail(ErrorCode::kInvalidInput, "cannot read " + path);
    outbound::OutgoingAttachment a;
    a.filename = std::filesystem::path(path).filename().string();
    a.content_type = content_type_for(a.filename);
    a.bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    in.attachments.push_back(std::move(a));
  }
  return in;
}

void add_body_options(CLI::App* cmd, BodyOptions& o) {
  auto* b = cmd->add_option("--body", o.body, "the text");
  auto* bf = cmd->add_option("--body-file", o.body_file, "a file with the text");
  b->excludes(bf);
  cmd->add_option("--attach", o.attach, "a file to attach (again for more)");
}

}  // namespace

void register_conversation_commands(CLI::App& app, Globals& g) {
  auto* cs = app.get_subcommand("case");
  {
    auto* cmd = cs->add_subcommand("comment", "add a comment; a public one is mailed to the customer");
    auto number = std::make_shared<std::string>();
    auto body = std::make_shared<BodyOptions>();
    auto pub = std::make_shared<bool>(false);
    auto internal = std::make_shared<bool>(false);
    auto cc = std::make_shared<std::vector<std::string>>();
    cmd->add_option("number", *number, "case number")->required();
    auto* p = cmd->add_flag("--public", *pub, "visible to the customer, and mailed");
    auto* i = cmd->add_flag("--internal", *internal, "for agents only");
    p->excludes(i);
    add_body_options(cmd, *body);
    cmd->add_option("--cc", *cc,
                    "copy a public comment to this address, who becomes a participant (again for more, at "
                    "most " +
                        std::to_string(services::kMaxCc) + ")");
    cmd->callback([&g, number, body, pub, internal, cc] {
      g.action = [&g, number, body, pub, internal, cc] {
        if (!*pub && !*internal) {
          std::cerr << "mailcase: say --public or --internal\n";
          g.exit_code = kExitUsage;
          return;
        }
        auto in = read_body(*body);
        if (!in) {
          print_error(in.error());
          g.exit_code = kExitUsage;
          return;
        }
        in->is_public = *pub;
        in->cc = *cc;
        run_case_action(
            g, *number,
            [&](services::CaseServices& cs, const services::Actor& by, store::UnitOfWork& w, store::Case& c) {
              return cs.comment(w, by, c, *in);
            },
            *pub ? "public comment added and queued to the customer" : "internal note added");
      };
    });
  }
  {
    auto* cmd =
        cs->add_subcommand("propose-solution", "propose a solution; the customer accepts or rejects it");
    auto number = std::make_shared<std::string>();
    auto body = std::make_shared<BodyOptions>();
    cmd->add_option("number", *number, "case number")->required();
    add_body_options(cmd, *body);
    cmd->callback([&g, number, body] {
      g.action = [&g, number, body] {
        auto in = read_body(*body);
        if (!in) {
          print_error(in.error());
          g.exit_code = kExitUsage;
          return;
        }
        run_case_action(
            g, *number,
            [&](services::CaseServices& cs, const services::Actor& by, store::UnitOfWork& w, store::Case& c) {
              return cs.propose_solution(w, by, c, *in);
            },
            "solution proposed");
      };
    });
  }
  struct Simple {
    const char* name;
    const char* help;
    const char* done;
    CaseAction fn;
  };
  const std::vector<Simple> simple{
      {"close", "close the case (mails: closed, survey)", "closed",
       [](services::CaseServices& cs, const services::Actor& by, store::UnitOfWork& w, store::Case& c) {
         return cs.close(w, by, c);
       }},
      {"reopen", "reopen a resolved or closed case", "reopened",
       [](services::CaseServices& cs, const services::Actor& by, store::UnitOfWork& w, store::Case& c) {
         return cs.reopen(w, by, c);
       }},
      {"accept", "accept the proposed solution for the customer", "solution accepted",
       [](services::CaseServices& cs, const services::Actor& by, store::UnitOfWork& w, store::Case& c) {
         return cs.accept(w, by, c);
       }},
      {"reject", "reject the proposed solution for the customer", "solution rejected",
       [](services::CaseServices& cs, const services::Actor& by, store::UnitOfWork& w, store::Case& c) {
         return cs.reject(w, by, c, "");
       }},
  };
  for (const auto& s : simple) {
    auto* cmd = cs->add_subcommand(s.name, s.help);
    auto number = std::make_shared<std::string>();
    cmd->add_option("number", *number, "case number")->required();
    auto fn = s.fn;
    std::string done = s.done;
    cmd->callback([&g, number, fn, done] {
      g.action = [&g, number, fn, done] { run_case_action(g, *number, fn, done); };
    });
  }

  {
    auto* cmd = cs->add_subcommand("assign", "give the case to an agent");
    auto number = std::make_shared<std::string>();
    auto owner = std::make_shared<std::string>();
    cmd->add_option("number", *number, "case number")->required();
    cmd->add_option("--owner", *owner, "an active agent's email (empty: nobody)")->required();
    cmd->callback([&g, number, owner] {
      g.action = [&g, number, owner] {
        std::string done = "assigned to nobody";
        run_case_action(
            g, *number,
            [&](services::CaseServices& cs, const services::Actor& by, store::UnitOfWork& w, store::Case& c) {
              auto s = cs.assign(w, by, c, *owner);
              if (s && !c.owner.empty()) done = "assigned to " + c.owner;  // the agent's own spelling
              return s;
            },
            done);
      };
    });
  }

  auto* outbox = app.add_subcommand("outbox", "mails to customers: queued, sent, failed");
  outbox->require_subcommand(1);
  {
    auto* list = outbox->add_subcommand("list", "the outbox, newest first");
    auto json = std::make_shared<bool>(false);
    auto number = std::make_shared<std::string>();
    list->add_flag("--json", *json, "JSON output");
    list->add_option("--case", *number, "only this case's mails");
    list->callback([&g, json, number] {
      g.action = [&g, json, number] {
        auto p = open_runtime(g);
        if (!p) return;
        std::optional<store::Id> case_id;
        if (!number->empty()) {
          auto c = cases::case_by_number(p->store().cases(), *number);
          if (!c) {
            print_error(c.error());
            g.exit_code = exit_code_for(c.error());
            return;
          }
          case_id = c->id;
        }
        auto rows = p->store().list_outbox(case_id, 1000);
        if (!rows) {
          print_error(rows.error());
          g.exit_code = exit_code_for(rows.error());
          return;
        }
        std::map<store::Id, std::string> numbers;
        auto number_of = [&](std::optional<store::Id> id) -> std::string {
          if (!id) return "";
          auto it = numbers.find(*id);
          if (it != numbers.end()) return it->second;
          auto c = p->store().get_case(*id);
          std::string n = c && *c ? (*c)->number : "";
          numbers[*id] = n;
          return n;
        };
        if (*json) {
          auto out = nlohmann::json::array();
          for (const auto& m : *rows) out.push_back(present::outbox_json(m, number_of(m.case_id)));
          std::cout << json_text(out, 2) << "\n";
          return;
        }
        for (const auto& m : *rows) {
          std::cout << m.id << "  " << number_of(m.case_id) << "  " << m.kind << "  " << m.to << "  "
                    << store::to_string(m.state)
                    << (m.attempts ? " (" + std::to_string(m.attempts) + " attempts)" : "")
                    << (m.last_error.empty() ? "" : "  " + m.last_error) << "\n";
        }
      };
    });
  }
}

}  // namespace mailcase::app
