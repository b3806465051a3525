// Processes (issue 15, CW4): a named, ordered list of stages a case moves through. A
// new case that follows a process starts at its first stage; an agent moves it to any
// of its stages. Pure: the checks and decisions on a process, no I/O.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/model.h"
#include "util/result.h"

namespace mailcase::domain {

struct Process {
  Id id = 0;
  std::string name;
  std::vector<std::string> stages;  // in their order; at least one, each unique
  std::string created_at;
};

inline constexpr size_t kMaxProcessNameBytes = 200;
inline constexpr size_t kMaxStageBytes = 200;
inline constexpr size_t kMaxStages = 50;

// A process's name: one line of clean text, 1..kMaxProcessNameBytes, no spaces around
// it. kInvalidInput "name: why" otherwise.
Status check_process_name(std::string_view name);

// The stages of "New, Analysis,Fix,Done" (the command line's list): split at commas,
// each trimmed. kInvalidInput "stages: why" for an empty list, an empty stage, a stage
// not one line of clean text or over kMaxStageBytes, a stage named twice, or more than
// kMaxStages.
Result<std::vector<std::string>> parse_stages(std::string_view list);
// The same checks on stages already split (the REST API's array).
Status check_stages(const std::vector<std::string>& stages);

// Where a new case starts. A case naming a process that exists starts at the stage it
// names when that is one of the process's, else at its first stage; a case naming a
// process that does not exist (`found` nullopt) follows none, and `unknown` names the
// process so that its history can say why; a case naming none has no stage.
struct ProcessStart {
  std::string process;
  std::string stage;
  std::string unknown;  // the process the case named that does not exist; empty: none
};
ProcessStart start_in_process(std::string_view process, std::string_view stage,
                              const std::optional<Process>& found);

// Whether `stage` is one of the process's stages (exact).
bool has_stage(const Process& p, std::string_view stage);

// Where a case goes when it is moved to `stage`: kInvalidInput when the case follows no
// process (`process` nullopt: the case names none, or one that no longer exists) or when
// the stage is not one of its process's. Returns the stage to store.
Result<std::string> stage_move(const Case& c, const std::optional<Process>& process, std::string_view stage);

}  // namespace mailcase::domain
