// Wiring of the command line: each group of commands registers itself on the CLI11 app.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "config/config.h"
#include "ingest/deliver_protocol.h"
#include "ingest/pipeline.h"
#include "runtime/runtime.h"
#include "services/case_services.h"

namespace mailcase::app {

// sysexits.h codes the MTA understands.
constexpr int kExitOk = 0;
constexpr int kExitUsage = 64;
constexpr int kExitDataErr = 65;
constexpr int kExitNoInput = 66;
constexpr int kExitSoftware = 70;
constexpr int kExitTempFail = 75;
constexpr int kExitConfig = 78;

struct Globals {
  std::string data_dir;  // --data, else $MAILCASE_DATA, else ./mailcase-data
  // --as, else $MAILCASE_AGENT: the agent the command acts for (their email); empty: "agent".
  std::string agent;
  int exit_code = kExitOk;
  std::function<void()> action;  // the chosen command, run after parsing

  std::filesystem::path data() const { return data_dir; }
  std::filesystem::path config_file() const { return data() / "mailcase.toml"; }
};

// Loads the configuration and opens the runtime of the data directory (its store, its
// services, ingest): the one place the command line opens the database. Prints the
// reason and sets the exit code on failure.
std::unique_ptr<runtime::Runtime> open_runtime(Globals& g, config::Config* cfg_out = nullptr);
int exit_code_for(const Error& e);
// The agent a case action is done by: the active agent named by --as (kInvalidInput when
// there is none), else the generic "agent" of the command line.
Result<services::Actor> acting_agent(Globals& g, runtime::Runtime& rt);
// The frame of a command that reads or changes the store: opens the runtime, runs fn,
// prints the text fn returns, or fn's error with its exit code.
using RuntimeAction = std::function<Result<std::string>(runtime::Runtime&)>;
void with_runtime(Globals& g, const RuntimeAction& fn);
// with_runtime for a command an agent does (acting_agent); an unknown --as agent is an
// error before fn runs.
using AgentAction = std::function<Result<std::string>(runtime::Runtime&, const services::Actor&)>;
void with_agent(Globals& g, const AgentAction& fn);
// JSON as the command line prints it; never throws: bytes that are not UTF-8 (from an
// older store, say) become U+FFFD.
std::string json_text(const nlohmann::json& j, int indent = -1);
// Events as `case history` and `audit` print them: one line each, "TIME ACTOR ACTION
// {details}", or with json a JSON array of present::event_json.
std::string events_text(const std::vector<store::Event>& events, bool json);
void print_error(const Error& e);

void register_admin_commands(CLI::App& app, Globals& g);
void register_mail_commands(CLI::App& app, Globals& g);
void register_case_commands(CLI::App& app, Globals& g);
void register_mailbox_commands(CLI::App& app, Globals& g);
// case comment/propose-solution/accept/reject/close/reopen, outbox list.
void register_conversation_commands(CLI::App& app, Globals& g);
// agent add/list/disable/enable.
void register_agent_commands(CLI::App& app, Globals& g);
// token create/list/revoke: agents' API tokens.
void register_token_commands(CLI::App& app, Globals& g);
// queue add/list/members: queues and their members.
void register_queue_commands(CLI::App& app, Globals& g);
// rule add/list/enable/disable/remove/move/test: the assignment rules.
void register_rule_commands(CLI::App& app, Globals& g);
// process add/list: processes with stages.
void register_process_commands(CLI::App& app, Globals& g);
// alert add/list/remove: monitoring alert rules.
void register_alert_commands(CLI::App& app, Globals& g);
// serve: the mailbox agents, LMTP, the outbox and the customer pages, by --roles.
void register_serve_command(CLI::App& app, Globals& g);
// api-sender add/list/remove: the API by mail's senders and their proof.
void register_api_sender_commands(CLI::App& app, Globals& g);

// deliver: one mail from stdin for an MTA's pipe; part of the mail commands, and the only
// command of `mailcase-deliver`.
void register_deliver_command(CLI::App& app, Globals& g);
// What a delivery's result is told as: exit code, the JSON outcome line (without its
// newline) and the stderr text; the same whether it committed by itself or in serve.
ingest::handoff::Answer deliver_answer(const Result<ingest::Outcome>& r);

}  // namespace mailcase::app
