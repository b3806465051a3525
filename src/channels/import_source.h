// `mailcase import` as a mail source: mbox files and Maildir folders into the pipeline.
//
// Mails are streamed into the spool a block at a time (bounded memory whatever their
// size) and committed import_batch at a time, each batch in two commits (recorded, then
// processed; ingest/pipeline.h). A run killed at any point loses nothing: the next run
// first finishes the mails left "received", and every mail read again is a duplicate.
// The mails are read, spooled and parsed on a thread of their own, at most a batch
// ahead of the commits (import_source.cpp); everything the caller sees (outcomes,
// problems, observer calls) comes on the calling thread, in the files' order.
#pragma once

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "channels/mail_source.h"
#include "ingest/pipeline.h"
#include "util/result.h"

namespace mailcase::channels {

struct ImportOptions {
  std::vector<std::filesystem::path> paths;  // mbox files (or single mails) and Maildir folders
  std::vector<std::string> recipients;       // the envelope recipients every mail counts as sent to
  size_t batch = 1000;                       // mails per commit (storage.import_batch); at least 1
};

// A path that could not be read (wholly or from some mail on).
struct ImportProblem {
  enum class Kind {
    kUnreadable,  // not opened at all (no such file, no Maildir): nothing of it imported
    kReadFailed,  // failed part way: the mails before were imported, the rest of the file not
  };
  Kind kind;
  std::filesystem::path path;
  Error error;
};

struct ImportReport : SourceReport {
  size_t resumed = 0;                   // mails of an interrupted run finished first
  std::vector<ImportProblem> problems;  // each also counted in source_errors
};

// Told as things happen, for a command's progress output; each may be empty.
struct ImportObserver {
  std::function<void(size_t)> resumed;                       // before any new mail
  std::function<void(const Result<ingest::Outcome>&)> mail;  // each mail, as committed
  std::function<void(const ImportProblem&)> problem;         // each unreadable path
};

// Needs the pipeline itself, not only a MailSink: it spools mails as streams (MailSink
// takes whole mails in memory) and finishes an interrupted run (finish_interrupted).
class ImportSource final : public MailSource {
 public:
  // pipeline must outlive the source.
  ImportSource(ingest::Pipeline& pipeline, ImportOptions options, ImportObserver observer = {});

  std::string name() const override { return "import"; }
  // Exhausted when every path was read. Stop is checked between mails: the batch in hand
  // is committed, the rest (mails read ahead included) is left for a later run. An error (the interrupted run could
  // not be finished, a mail could not be spooled) ends the run; mails spooled but not yet
  // committed are read again by the next run.
  [[nodiscard]] Result<SourceReport> run(const std::atomic<bool>& stop) override;
  // As run(), with the import's own details.
  [[nodiscard]] Result<ImportReport> import(const std::atomic<bool>& stop);

 private:
  ingest::Pipeline& pipeline_;
  ImportOptions opt_;
  ImportObserver observer_;
};

}  // namespace mailcase::channels
