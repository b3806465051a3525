#include "channels/import_source.h"

#include <algorithm>
#include <fstream>
#include <system_error>
#include <utility>

#include "channels/mailfile.h"

namespace mailcase::channels {

ImportSource::ImportSource(ingest::Pipeline& pipeline, ImportOptions options, ImportObserver observer)
    : pipeline_(pipeline), opt_(std::move(options)), observer_(std::move(observer)) {
  opt_.batch = std::max<size_t>(opt_.batch, 1);
}

Result<SourceReport> ImportSource::run(const std::atomic<bool>& stop) {
  MC_ASSIGN_OR_RETURN(auto report, import(stop));
  return static_cast<SourceReport>(report);
}

Result<ImportReport> ImportSource::import(const std::atomic<bool>& stop) {
  ImportReport report;
  // Mails left half-done by an interrupted run come first.
  MC_ASSIGN_OR_RETURN(report.resumed, pipeline_.finish_interrupted());
  if (report.resumed > 0 && observer_.resumed) observer_.resumed(report.resumed);

  std::vector<ingest::Spooled> batch;
  auto flush = [&] {
    for (auto& r : pipeline_.process(batch)) {
      report.add(r);
      if (observer_.mail) observer_.mail(r);
    }
    batch.clear();
  };
  auto problem = [&](ImportProblem::Kind kind, const std::filesystem::path& path, Error error) {
    ++report.source_errors;
    report.problems.push_back(ImportProblem{kind, path, std::move(error)});
    if (observer_.problem) observer_.problem(report.problems.back());
  };
  auto stopped = [&] {
    if (stop.load()) report.stopped = true;
    return report.stopped;
  };

  for (const auto& path : opt_.paths) {
    if (stopped()) break;
    ingest::Envelope env{"import:" + path.string(), opt_.recipients};
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      auto files = maildir_files(path);
      if (!files) {
        problem(ImportProblem::Kind::kUnreadable, path, files.error());
        continue;
      }
      for (const auto& f : *files) {
        if (stopped()) break;
        std::ifstream in(f, std::ios::binary);
        // Not flushed: what is spooled but not recorded is read again by the next run.
        MC_ASSIGN_OR_RETURN(auto s, pipeline_.spool(in, env));
        batch.push_back(std::move(s));
        if (batch.size() >= opt_.batch) flush();
      }
    } else {
      auto reader = MboxReader::open(path);
      if (!reader) {
        problem(ImportProblem::Kind::kUnreadable, path, reader.error());
        continue;
      }
      while (!stopped()) {
        auto ref = (*reader)->next(pipeline_.raw_spool());
        if (!ref) {
          problem(ImportProblem::Kind::kReadFailed, path, ref.error());
          break;
        }
        if (!*ref) break;
        batch.push_back(ingest::Spooled{**ref, env});
        if (batch.size() >= opt_.batch) flush();
      }
    }
  }
  if (!batch.empty()) flush();
  return report;
}

}  // namespace mailcase::channels
