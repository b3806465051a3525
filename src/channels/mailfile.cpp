#include "channels/mailfile.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace mailcase::channels {
namespace {

bool is_from_line(std::string_view line) { return line.substr(0, 5) == "From "; }

// ">From ", ">>From " … lose one ">" (mboxrd quoting).
std::string_view unquote(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[n] == '>') ++n;
  if (n > 0 && line.substr(n, 5) == "From ") return line.substr(1);
  return line;
}

}  // namespace

Result<std::unique_ptr<MboxReader>> MboxReader::open(const std::filesystem::path& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return fail(ErrorCode::kNotFound, "cannot open " + path.string() + ": " + std::strerror(errno));
  std::unique_ptr<MboxReader> reader(new MboxReader(f));
  // Read kReadBuffer at a time instead of stdio's 4 KiB: an import of a big mbox made one
  // read(2) per 4 KiB, a sixth of its reading thread's system calls.
  reader->read_buffer_ = std::make_unique<char[]>(kReadBuffer);
  (void)std::setvbuf(f, reader->read_buffer_.get(), _IOFBF, kReadBuffer);
  return reader;
}

MboxReader::~MboxReader() {
  if (f_) std::fclose(f_);
  std::free(line_);
}

Result<std::optional<spool::BlobRef>> MboxReader::next(spool::BlobSink& sink, std::string* copy) {
  if (copy) copy->clear();
  bool copying = copy != nullptr;
  // Every byte of the mail goes through here. With a copy, the mail is gathered there and
  // written into the blob whole by finish() (one write: the spool's writer then holds it
  // in one allocation of its size, not grown line by line); past kCopyLimit, what was
  // gathered goes into the blob and the rest streams, the copy given up.
  auto emit = [&](spool::BlobWriter& w, std::string_view bytes) -> Status {
    if (copying) {
      if (copy->size() + bytes.size() <= kCopyLimit) {
        copy->append(bytes);
        return {};
      }
      copying = false;
      MC_RETURN_IF_ERROR(w.write(*copy));
      copy->clear();
      copy->shrink_to_fit();
    }
    return w.write(bytes);
  };
  auto finish = [&](spool::BlobWriter& w) -> Result<spool::BlobRef> {
    if (copying) MC_RETURN_IF_ERROR(w.write(*copy));
    return w.commit();
  };
  auto read_line = [&](std::string_view& out) -> bool {
    if (has_pending_) {
      has_pending_ = false;
      out = pending_;
      return true;
    }
    ssize_t n = ::getline(&line_, &cap_, f_);
    if (n < 0) {
      eof_ = true;
      return false;
    }
    position_ += static_cast<uint64_t>(n);
    out = std::string_view(line_, static_cast<size_t>(n));
    return true;
  };

  std::string_view line;
  if (!started_) {
    started_ = true;
    if (!read_line(line)) return std::optional<spool::BlobRef>();
    if (!is_from_line(line)) {
      // Not an mbox: the whole file is one mail.
      pending_.assign(line);
      has_pending_ = true;
      MC_ASSIGN_OR_RETURN(auto w, sink.open());
      while (read_line(line)) {
        MC_RETURN_IF_ERROR(emit(*w, line));
      }
      if (std::ferror(f_)) return fail(ErrorCode::kTemporary, "read error");
      MC_ASSIGN_OR_RETURN(auto ref, finish(*w));
      return std::optional<spool::BlobRef>(ref);
    }
  } else if (eof_ && !has_pending_) {
    return std::optional<spool::BlobRef>();
  } else {
    // The separator of this mail was read ahead by the previous call.
    if (!read_line(line)) return std::optional<spool::BlobRef>();
  }

  MC_ASSIGN_OR_RETURN(auto w, sink.open());
  // A blank line before the next separator belongs to the mbox, not to the mail.
  bool held_blank = false;
  std::string blank;
  bool any = false;
  while (read_line(line)) {
    if (is_from_line(line) && (held_blank || !any)) {
      pending_.assign(line);
      has_pending_ = true;
      break;
    }
    if (held_blank) {
      MC_RETURN_IF_ERROR(emit(*w, blank));
      held_blank = false;
    }
    if (line == "\n" || line == "\r\n") {
      blank.assign(line);
      held_blank = true;
      any = true;
      continue;
    }
    any = true;
    MC_RETURN_IF_ERROR(emit(*w, unquote(line)));
  }
  if (std::ferror(f_)) return fail(ErrorCode::kTemporary, "read error");
  if (!any) return std::optional<spool::BlobRef>();
  MC_ASSIGN_OR_RETURN(auto ref, finish(*w));
  return std::optional<spool::BlobRef>(ref);
}

bool is_maildir(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::is_directory(dir / "cur", ec) || std::filesystem::is_directory(dir / "new", ec);
}

Result<std::vector<std::filesystem::path>> maildir_files(const std::filesystem::path& dir) {
  if (!is_maildir(dir)) return fail(ErrorCode::kInvalidInput, dir.string() + " is not a Maildir (no cur/ or new/)");
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  auto collect = [&](const std::filesystem::path& d) {
    for (const char* sub : {"new", "cur"}) {
      for (auto it = std::filesystem::directory_iterator(d / sub, ec); !ec && it != std::filesystem::directory_iterator();
           it.increment(ec)) {
        if (it->is_regular_file(ec)) out.push_back(it->path());
      }
      ec.clear();
    }
  };
  collect(dir);
  // Maildir++ folders: .Name subdirectories that are Maildirs themselves.
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.size() > 1 && name[0] == '.' && it->is_directory(ec) && is_maildir(it->path())) collect(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace mailcase::channels
