// deliver, import, message list/retry.
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "app/app.h"
#include "channels/mailfile.h"
#include "present/json.h"
#include "util/text.h"

namespace mailcase::app {
namespace {

// Counts outcomes and prints progress at most once a second.
class Progress {
 public:
  void add(const Result<ingest::Outcome>& r) {
    ++total_;
    if (r)
      ++counts_[ingest::to_string(r->kind)];
    else
      ++counts_["error"];
    auto now = std::chrono::steady_clock::now();
    if (now - last_ >= std::chrono::seconds(1)) {
      last_ = now;
      std::cerr << "imported " << total_ << " mails (" << rate() << "/s)\n";
    }
  }
  void summary() const {
    std::cerr << "done: " << total_ << " mails in " << seconds() << " s (" << rate() << "/s):";
    for (const auto& [k, v] : counts_) std::cerr << " " << k << "=" << v;
    std::cerr << "\n";
  }
  nlohmann::json json() const {
    nlohmann::json j = {{"total", total_}};
    for (const auto& [k, v] : counts_) j[k] = v;
    return j;
  }
  size_t errors() const {
    auto it = counts_.find("error");
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  long rate() const {
    double s = seconds();
    return s > 0 ? static_cast<long>(static_cast<double>(total_) / s) : 0;
  }
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_ = start_;
  size_t total_ = 0;
  std::map<std::string, size_t> counts_;
};

}  // namespace

void register_mail_commands(CLI::App& app, Globals& g) {
  {
    auto* deliver =
        app.add_subcommand("deliver", "record one mail from stdin (for the MTA: exit 75 = retry)");
    auto recipients = std::make_shared<std::vector<std::string>>();
    deliver->add_option("--recipient", *recipients, "envelope recipient (repeatable)");
    auto sender = std::make_shared<std::string>();
    auto* sender_opt = deliver->add_option(
        "--sender", *sender,
        "envelope sender as the MTA has it (Postfix: ${sender}); '' or '<>' for the null sender");
    deliver->callback([&g, recipients, sender, sender_opt] {
      g.action = [&g, recipients, sender, sender_opt] {
        auto p = open_runtime(g);
        if (!p) {
          // Cannot record it now: the MTA must keep the mail and try again.
          if (g.exit_code == kExitConfig) g.exit_code = kExitTempFail;
          return;
        }
        ingest::Envelope env{"pipe", *recipients};
        // Given: the MTA tells us (an empty one, "<>", is the null sender). Not given: the
        // mail's Return-Path, if any, stands for it.
        if (sender_opt->count() > 0) env.sender = text::normalize_email(*sender);
        auto r = p->ingest().deliver_stream(std::cin, env);
        if (!r) {
          print_error(r.error());
          g.exit_code = kExitTempFail;
          return;
        }
        std::cout << json_text(present::outcome_json(*r)) << "\n";
        if (r->too_large) {
          // The MTA bounces it with this reason; only its head is kept, on its record.
          std::cerr << "mailcase: mail refused: " << r->reason << " (limits.max_message_bytes)\n";
          g.exit_code = kExitDataErr;
        }
      };
    });
  }

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
        p->ingest().set_confirmations(*confirm);
        // Mails left half-done by an interrupted run come first.
        if (auto n = p->ingest().finish_interrupted(); !n) {
          print_error(n.error());
          g.exit_code = exit_code_for(n.error());
          return;
        } else if (*n > 0) {
          std::cerr << "finished " << *n << " mails of an interrupted run\n";
        }
        Progress progress;
        std::vector<ingest::Spooled> batch;
        const size_t batch_size = static_cast<size_t>(cfg.storage.import_batch);
        auto flush = [&] {
          for (auto& r : p->ingest().process(batch)) {
            if (!r) print_error(r.error());
            progress.add(r);
          }
          batch.clear();
        };
        for (const auto& path_str : *paths) {
          std::filesystem::path path(path_str);
          ingest::Envelope env{"import:" + path.string(), *recipients};
          std::error_code ec;
          if (std::filesystem::is_directory(path, ec)) {
            auto files = channels::maildir_files(path);
            if (!files) {
              print_error(files.error());
              g.exit_code = kExitNoInput;
              continue;
            }
            for (const auto& f : *files) {
              std::ifstream in(f, std::ios::binary);
              auto s = p->ingest().spool(in, env);
              if (!s) {
                print_error(s.error());
                g.exit_code = exit_code_for(s.error());
                return;
              }
              batch.push_back(std::move(*s));
              if (batch.size() >= batch_size) flush();
            }
          } else {
            auto reader = channels::MboxReader::open(path);
            if (!reader) {
              print_error(reader.error());
              g.exit_code = kExitNoInput;
              continue;
            }
            while (true) {
              auto ref = (*reader)->next(p->raw_spool());
              if (!ref) {
                print_error(ref.error());
                g.exit_code = exit_code_for(ref.error());
                break;
              }
              if (!*ref) break;
              batch.push_back(ingest::Spooled{**ref, env});
              if (batch.size() >= batch_size) flush();
            }
          }
        }
        if (!batch.empty()) flush();
        progress.summary();
        if (*json) std::cout << json_text(progress.json()) << "\n";
        if (progress.errors() > 0 && g.exit_code == kExitOk) g.exit_code = kExitTempFail;
      };
    });
  }

  auto* message = app.add_subcommand("message", "raw messages: list, retry");
  message->require_subcommand(1);
  {
    auto* list = message->add_subcommand("list", "list recorded mails");
    auto state = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    list->add_option("--state", *state, "received|processed|held|failed|duplicate")
        ->check(CLI::IsMember({"received", "processed", "held", "failed", "duplicate"}));
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
    retry->callback([&g, id] {
      g.action = [&g, id] {
        auto p = open_runtime(g);
        if (!p) return;
        auto r = p->ingest().retry(*id);
        if (!r) {
          print_error(r.error());
          g.exit_code = exit_code_for(r.error());
          return;
        }
        std::cout << json_text(present::outcome_json(*r)) << "\n";
      };
    });
  }
}

}  // namespace mailcase::app
