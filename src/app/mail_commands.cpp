// deliver, import, message list/retry/dismiss.
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "admin/admin.h"
#include "app/app.h"
#include "channels/import_source.h"
#include "channels/mailbox_agent.h"
#include "present/json.h"
#include "util/rate.h"
#include "util/text.h"

namespace mailcase::app {
namespace {

// Prints progress at most once a second, and the summary of an import.
class Progress {
 public:
  void add() {
    ++total_;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ >= std::chrono::seconds(1)) {
      last_ = now;
      std::cerr << "imported " << total_ << " mails (" << text::rate_per_second(total_, seconds()) << ")\n";
    }
  }
  void summary(const channels::SourceReport& r) const {
    // No rate for a run under a second: it would be noise.
    const double s = seconds();
    const std::string rate = text::rate_per_second(r.total, s);
    std::cerr << "done: " << r.total << " mails in " << s << " s" << (rate.empty() ? "" : " (" + rate + ")")
              << ":";
    for (const auto& [k, v] : counts(r)) std::cerr << " " << k << "=" << v;
    std::cerr << "\n";
  }
  static nlohmann::json json(const channels::SourceReport& r) {
    nlohmann::json j = {{"total", r.total}};
    for (const auto& [k, v] : counts(r)) j[k] = v;
    return j;
  }

 private:
  // By outcome name, and "error" for mails not recorded; only those that happened.
  static std::map<std::string, size_t> counts(const channels::SourceReport& r) {
    std::map<std::string, size_t> out;
    for (const auto& [kind, n] : r.outcomes) out[ingest::to_string(kind)] = n;
    if (r.errors > 0) out["error"] = r.errors;
    return out;
  }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_ = start_;
  size_t total_ = 0;
};

}  // namespace

void register_mail_commands(CLI::App& app, Globals& g) {
  register_deliver_command(app, g);

  {
    auto* imp = app.add_subcommand("import", "import mbox files and Maildir folders");
    auto paths = std::make_shared<std::vector<std::string>>();
    auto recipients = std::make_shared<std::vector<std::string>>();
    auto json = std::make_shared<bool>(false);
    imp->add_option("paths", *paths, "mbox files or Maildir folders")->required();
    imp->add_option("--recipient", *recipients, "routing address the mails count as sent to (repeatable)");
    auto confirm = std::make_shared<bool>(false);
    imp->add_flag("--json", *json, "print the summary as JSON on stdout");
    imp->add_flag("--confirm", *confirm, "confirm new cases to their senders (off: an archive is not answered)");
    imp->callback([&g, paths, recipients, json, confirm] {
      g.action = [&g, paths, recipients, json, confirm] {
        config::Config cfg;
        auto p = open_runtime(g, &cfg);
        if (!p) return;
        // Checkpoints on a thread of their own; a batch's pages held until its commit.
        auto ready = [&]() -> Status {
          MC_RETURN_IF_ERROR(p->store().maintain_in_background());
          return p->store().expect_bulk_writes();
        }();
        if (!ready) {
          print_error(ready.error());
          g.exit_code = exit_code_for(ready.error());
          return;
        }
        p->ingest().set_confirmations(*confirm);
        channels::ImportOptions opt;
        for (const auto& path : *paths) opt.paths.emplace_back(path);
        opt.recipients = *recipients;
        opt.batch = static_cast<size_t>(cfg.storage.import_batch);
        Progress progress;
        channels::ImportObserver observer;
        observer.resumed = [](size_t n) {
          std::cerr << "finished " << n << " mails of an interrupted run\n";
        };
        observer.mail = [&progress](const Result<ingest::Outcome>& r) {
          if (!r) print_error(r.error());
          progress.add();
        };
        observer.problem = [&g](const channels::ImportProblem& problem) {
          print_error(problem.error);
          g.exit_code = problem.kind == channels::ImportProblem::Kind::kUnreadable
                            ? kExitNoInput
                            : exit_code_for(problem.error);
        };
        channels::ImportSource source(p->ingest(), std::move(opt), std::move(observer));
        const std::atomic<bool> never_stop{false};
        auto report = source.import(never_stop);
        if (!report) {
          print_error(report.error());
          g.exit_code = exit_code_for(report.error());
          return;
        }
        progress.summary(*report);
        if (*json) std::cout << json_text(Progress::json(*report)) << "\n";
        if (report->errors > 0 && g.exit_code == kExitOk) g.exit_code = kExitTempFail;
      };
    });
  }

  auto* message = app.add_subcommand("message", "raw messages: list, retry, dismiss");
  message->require_subcommand(1);
  {
    auto* list = message->add_subcommand("list", "list recorded mails");
    auto state = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    list->add_option("--state", *state, "received|processed|held|failed|duplicate|dismissed")
        ->check(CLI::IsMember({"received", "processed", "held", "failed", "duplicate", "dismissed"}));
    list->add_flag("--json", *json, "JSON output");
    list->callback([&g, state, json] {
      g.action = [&g, state, json] {
        auto p = open_runtime(g);
        if (!p) return;
        store::MessageFilter f;
        if (!state->empty()) f.state = store::raw_state_from(*state);
        f.limit = 100000;
        auto rows = p->store().list_raw(f);
        if (!rows) {
          print_error(rows.error());
          g.exit_code = exit_code_for(rows.error());
          return;
        }
        nlohmann::json out = nlohmann::json::array();
        for (const auto& m : *rows) {
          std::string case_number;
          if (m.case_id) {
            auto c = p->store().get_case(*m.case_id);
            if (c && *c) case_number = (*c)->number;
          }
          if (*json) {
            out.push_back(present::message_json(m, case_number));
          } else {
            std::cout << m.id << "  " << store::to_string(m.state) << "  "
                      << (case_number.empty() ? "-" : case_number) << "  " << m.from << "  " << m.subject
                      << (m.reason.empty() ? "" : "  (" + m.reason + ")") << "\n";
          }
        }
        if (*json) std::cout << json_text(out, 2) << "\n";
      };
    });

    auto* retry = message->add_subcommand("retry", "run a held or failed mail through again");
    auto id = std::make_shared<int64_t>(0);
    retry->add_option("id", *id, "message id (from `message list`)")->required();
    auto not_spam = std::make_shared<bool>(false);
    auto allow_sender = std::make_shared<bool>(false);
    retry->add_flag("--not-spam", *not_spam, "run it as mail without the spam check");
    retry->add_flag("--allow-sender", *allow_sender,
                    "with --not-spam: its sender's later mail is not held as spam (when its From is proven)")
        ->needs("--not-spam");
    retry->callback([&g, id, not_spam, allow_sender] {
      g.action = [&g, id, not_spam, allow_sender] {
        config::Config cfg;
        auto p = open_runtime(g, &cfg);
        if (!p) return;
        // A mail a mailbox left on its server for its size is fetched from there.
        channels::AgentBook book(p->store());
        std::atomic<bool> stop{false};
        channels::AgentContext ctx{p->ingest(), book, stop, cfg.mailbox.fetch_batch,
                                   cfg.limits.max_message_bytes};
        auto left = channels::retry_left_mail(p->store(), *id, ctx);
        if (!left) {
          print_error(left.error());
          g.exit_code = exit_code_for(left.error());
          return;
        }
        if (*left) {
          std::cout << json_text(present::outcome_json(**left)) << "\n";
          return;
        }
        ingest::Pipeline::RetryOptions options;
        options.not_spam = *not_spam;
        options.allow_sender = *allow_sender;
        options.by = "cli";
        auto r = p->ingest().retry(*id, options);
        if (!r) {
          print_error(r.error());
          g.exit_code = exit_code_for(r.error());
          return;
        }
        std::cout << json_text(present::outcome_json(*r)) << "\n";
      };
    });

    auto* dismiss = message->add_subcommand(
        "dismiss", "put a held or failed mail judged junk aside (kept; retry brings it back)");
    auto dismiss_id = std::make_shared<int64_t>(0);
    auto reason = std::make_shared<std::string>();
    dismiss->add_option("id", *dismiss_id, "message id (from `message list`)")->required();
    dismiss->add_option("--reason", *reason, "why (one line), kept with the mail and on record");
    dismiss->callback([&g, dismiss_id, reason] {
      g.action = [&g, dismiss_id, reason] {
        with_agent(g, [&](runtime::Runtime& rt, const services::Actor& by) -> Result<std::string> {
          MC_ASSIGN_OR_RETURN(auto dismissed,
                              admin::dismiss_message(rt.store(), *dismiss_id, *reason, by.name));
          const store::RawMessage& m = dismissed.message;
          std::string number;
          if (m.case_id) {
            MC_ASSIGN_OR_RETURN(auto c, rt.store().get_case(*m.case_id));
            if (c) number = c->number;
          }
          return json_text(present::message_json(m, number)) + "\n";
        });
      };
    });
  }
}

}  // namespace mailcase::app
