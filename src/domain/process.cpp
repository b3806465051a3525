#include "domain/process.h"

#include <algorithm>

#include "util/text.h"

namespace mailcase::domain {
namespace {

Status invalid(std::string field, std::string why) {
  return fail(ErrorCode::kInvalidInput, field + ": " + why);
}

}  // namespace

Status check_process_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxProcessNameBytes)
    return invalid("name", "1 to " + std::to_string(kMaxProcessNameBytes) + " bytes");
  if (!text::is_clean_text(name, true)) return invalid("name", "one line of text without control characters");
  if (text::trim(name).size() != name.size()) return invalid("name", "no spaces before or after the name");
  return {};
}

Status check_stages(const std::vector<std::string>& stages) {
  if (stages.empty()) return invalid("stages", "at least one stage");
  if (stages.size() > kMaxStages)
    return invalid("stages", "at most " + std::to_string(kMaxStages) + " stages");
  for (size_t i = 0; i < stages.size(); ++i) {
    const auto& s = stages[i];
    if (s.empty()) return invalid("stages", "a stage has no name");
    if (s.size() > kMaxStageBytes)
      return invalid("stages", "a stage's name is longer than " + std::to_string(kMaxStageBytes) + " bytes");
    if (!text::is_clean_text(s, true))
      return invalid("stages", "each stage is one line of text without control characters");
    if (text::trim(s).size() != s.size())
      return invalid("stages", "no spaces before or after a stage's name");
    if (std::find(stages.begin(), stages.begin() + static_cast<std::ptrdiff_t>(i), s) !=
        stages.begin() + static_cast<std::ptrdiff_t>(i))
      return invalid("stages", "the stage " + s + " is named twice");
  }
  return {};
}

Result<std::vector<std::string>> parse_stages(std::string_view list) {
  // Bounded before it is split: more text than kMaxStages stages of kMaxStageBytes (and
  // their commas and spaces) cannot be a valid list.
  if (list.size() > kMaxStages * (kMaxStageBytes + 8))
    return fail(ErrorCode::kInvalidInput, "stages: the list is too long");
  std::vector<std::string> out;
  if (text::trim(list).empty()) return fail(ErrorCode::kInvalidInput, "stages: at least one stage");
  size_t start = 0;
  while (true) {
    size_t comma = list.find(',', start);
    auto one =
        text::trim(list.substr(start, comma == std::string_view::npos ? list.size() - start : comma - start));
    out.emplace_back(one);
    if (out.size() > kMaxStages) break;  // check_stages names it
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  MC_RETURN_IF_ERROR(check_stages(out));
  return out;
}

ProcessStart start_in_process(std::string_view process, std::string_view stage,
                              const std::optional<Process>& found) {
  if (process.empty()) return {};
  if (!found || found->stages.empty()) return {.unknown = std::string(process)};
  return {.process = found->name,
          .stage = has_stage(*found, stage) ? std::string(stage) : found->stages.front()};
}

bool has_stage(const Process& p, std::string_view stage) {
  return std::find(p.stages.begin(), p.stages.end(), stage) != p.stages.end();
}

Result<std::string> stage_move(const Case& c, const std::optional<Process>& process, std::string_view stage) {
  if (c.process.empty() || !process)
    return fail(ErrorCode::kInvalidInput, "stage: case " + c.number + " follows no process");
  if (!has_stage(*process, stage)) {
    std::string all;
    for (const auto& s : process->stages) all += (all.empty() ? "" : ", ") + s;
    // The text a user typed, cut and made valid: an error message is shown as it is.
    return fail(ErrorCode::kInvalidInput, "stage: " + text::make_valid_utf8(stage.substr(0, kMaxStageBytes)) +
                                              " is not a stage of process " + process->name + " (" + all +
                                              ")");
  }
  return std::string(stage);
}

}  // namespace mailcase::domain
