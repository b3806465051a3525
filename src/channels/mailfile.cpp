#include "channels/mailfile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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
  return adopt(f);
}

std::unique_ptr<MboxReader> MboxReader::adopt(FILE* f, size_t max_piece) {
  return std::unique_ptr<MboxReader>(new MboxReader(f, std::clamp<size_t>(max_piece, 1, kMaxPiece)));
}

MboxReader::MboxReader(FILE* f, size_t max_piece)
    : f_(f), max_piece_(max_piece), buf_(std::make_unique_for_overwrite<char[]>(kReadBuffer)) {
  // Read kReadBuffer at a time straight into buf_: no second copy through stdio's own
  // buffer (4 KiB, a read(2) each: a sixth of an import's reading thread's system calls).
  (void)std::setvbuf(f_, nullptr, _IONBF, 0);
}

MboxReader::~MboxReader() {
  if (f_) std::fclose(f_);
}

bool MboxReader::read_piece(std::string_view& out, bool& line_start) {
  for (;;) {
    const size_t avail = end_ - begin_;
    const char* at = buf_.get() + begin_;
    // A piece that starts a line reaches past its run of '>' and 5 bytes more, so that a
    // separator ("From ") and a quoted one (">>From ") are told whatever the piece size.
    // A run longer than half the buffer is cut there: that line is not taken as quoted.
    size_t want = max_piece_;
    if (at_line_start_) {
      size_t run = 0;
      while (run < avail && at[run] == '>') ++run;
      want = std::max(want, std::min(run + 5, kReadBuffer / 2));
    }
    const void* nl = std::memchr(at, '\n', std::min(avail, want));
    size_t n = 0;
    if (nl)
      n = static_cast<size_t>(static_cast<const char*>(nl) - at) + 1;
    else if (avail >= want || file_ended_)
      n = std::min(avail, want);
    if (n > 0) {
      out = std::string_view(at, n);
      begin_ += n;
      position_ += n;
      line_start = at_line_start_;
      at_line_start_ = out.back() == '\n';
      return true;
    }
    if (file_ended_) return false;
    // Less than a piece left and no line end in it: move it to the front and read on
    // (a piece is at most half of kReadBuffer: that leaves room).
    std::memmove(buf_.get(), at, avail);
    begin_ = 0;
    end_ = avail;
    const size_t got = std::fread(buf_.get() + end_, 1, kReadBuffer - end_, f_);
    end_ += got;
    if (got == 0) file_ended_ = true;  // the end, or an error (ferror tells)
  }
}

Result<std::optional<MboxMail>> MboxReader::next(spool::BlobSink& sink, std::string* copy, MboxBound bound) {
  if (copy) copy->clear();
  bool copying = copy != nullptr;
  std::unique_ptr<spool::BlobWriter> w;
  uint64_t total = 0;
  // The mail's first bound.head_bytes while they are not in *copy, kept in case it goes
  // past bound.max_bytes; a mail past it keeps only them (`over`).
  std::string head;
  bool over = false;
  auto keep_head = [&](std::string_view bytes) {
    if (head.size() < bound.head_bytes) head.append(bytes.substr(0, bound.head_bytes - head.size()));
  };
  // Every byte of the mail goes through here. With a copy, the mail is gathered there and
  // written into the blob whole by finish() (one write: the spool's writer then holds it
  // in one allocation of its size, not grown line by line); past kCopyLimit, what was
  // gathered goes into the blob and the rest streams, the copy given up.
  auto emit = [&](std::string_view bytes) -> Status {
    total += bytes.size();
    if (over) return {};
    if (total > bound.max_bytes) {
      if (copying) head.assign(*copy, 0, std::min<size_t>(copy->size(), bound.head_bytes));
      keep_head(bytes);
      if (copy) copy->clear();
      copying = false;
      w.reset();  // drops what it had spooled: only the head is kept
      over = true;
      return {};
    }
    if (copying) {
      if (copy->size() + bytes.size() <= kCopyLimit) {
        copy->append(bytes);
        return {};
      }
      copying = false;
      head.assign(*copy, 0, std::min<size_t>(copy->size(), bound.head_bytes));
      MC_RETURN_IF_ERROR(w->write(*copy));
      copy->clear();
      copy->shrink_to_fit();
    }
    keep_head(bytes);
    return w->write(bytes);
  };
  auto finish = [&]() -> Result<std::optional<MboxMail>> {
    if (over) {
      MC_ASSIGN_OR_RETURN(auto ref, sink.put(head));
      return std::optional<MboxMail>(MboxMail{std::move(ref), total});
    }
    if (copying) MC_RETURN_IF_ERROR(w->write(*copy));
    MC_ASSIGN_OR_RETURN(auto ref, w->commit());
    return std::optional<MboxMail>(MboxMail{std::move(ref), 0});
  };
  auto read_line = [&](std::string_view& out, bool& line_start) -> bool {
    if (has_pending_) {
      has_pending_ = false;
      out = pending_;
      line_start = true;
      return true;
    }
    if (!read_piece(out, line_start)) {
      eof_ = true;
      return false;
    }
    return true;
  };
  auto read_error = [&]() -> Status {
    if (std::ferror(f_)) return fail(ErrorCode::kTemporary, "read error");
    return {};
  };

  std::string_view line;
  bool start = true;
  if (!started_) {
    started_ = true;
    if (!read_line(line, start)) {
      MC_RETURN_IF_ERROR(read_error());
      return std::optional<MboxMail>();
    }
    if (!is_from_line(line)) {
      // Not an mbox: the whole file is one mail.
      pending_.assign(line);
      has_pending_ = true;
      MC_ASSIGN_OR_RETURN(w, sink.open());
      while (read_line(line, start)) {
        MC_RETURN_IF_ERROR(emit(line));
      }
      MC_RETURN_IF_ERROR(read_error());
      return finish();
    }
  } else if (eof_ && !has_pending_) {
    return std::optional<MboxMail>();
  } else {
    // The separator of this mail was read ahead by the previous call.
    if (!read_line(line, start)) {
      MC_RETURN_IF_ERROR(read_error());
      return std::optional<MboxMail>();
    }
  }

  // `line` is the separator: the rest of a long one is not the mail's.
  while (line.back() != '\n' && read_piece(line, start)) {
  }
  MC_ASSIGN_OR_RETURN(w, sink.open());
  // A blank line before the next separator belongs to the mbox, not to the mail. Only a
  // piece that starts a line is a separator, a blank line or quoted: the rest of a long
  // line never is.
  bool held_blank = false;
  std::string blank;
  bool any = false;
  while (read_line(line, start)) {
    if (start && is_from_line(line) && (held_blank || !any)) {
      pending_.assign(line);
      has_pending_ = true;
      break;
    }
    if (held_blank) {
      MC_RETURN_IF_ERROR(emit(blank));
      held_blank = false;
    }
    if (start && (line == "\n" || line == "\r\n")) {
      blank.assign(line);
      held_blank = true;
      any = true;
      continue;
    }
    any = true;
    MC_RETURN_IF_ERROR(emit(start ? unquote(line) : line));
  }
  MC_RETURN_IF_ERROR(read_error());
  if (!any) return std::optional<MboxMail>();
  return finish();
}

bool is_maildir(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::is_directory(dir / "cur", ec) || std::filesystem::is_directory(dir / "new", ec);
}

Result<std::vector<std::filesystem::path>> maildir_files(const std::filesystem::path& dir) {
  if (!is_maildir(dir)) return fail(ErrorCode::kInvalidInput, dir.string() + " is not a Maildir (no cur/ or new/)");
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  // Links are listed, never followed: the reader refuses them (open_maildir_file), so that
  // each is reported, and what they point to (perhaps outside the Maildir) is not read.
  auto collect = [&](const std::filesystem::path& d) {
    for (const char* sub : {"new", "cur"}) {
      if (std::filesystem::is_symlink(d / sub, ec)) {
        out.push_back(d / sub);
        continue;
      }
      for (auto it = std::filesystem::directory_iterator(d / sub, ec); !ec && it != std::filesystem::directory_iterator();
           it.increment(ec)) {
        const auto st = it->symlink_status(ec);
        if (std::filesystem::is_regular_file(st) || std::filesystem::is_symlink(st))
          out.push_back(it->path());
      }
      ec.clear();
    }
  };
  collect(dir);
  // Maildir++ folders: .Name subdirectories that are Maildirs themselves.
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.size() <= 1 || name[0] != '.' || !it->is_directory(ec) || !is_maildir(it->path())) continue;
    if (it->is_symlink(ec))
      out.push_back(it->path());
    else
      collect(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<int> open_maildir_file(const std::filesystem::path& root, const std::filesystem::path& file) {
  // O_NONBLOCK: a FIFO put in its place must not hang the import (its open would wait).
  const int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP)
      return fail(ErrorCode::kInvalidInput, file.string() + " is a symbolic link: not followed");
    return fail(ErrorCode::kNotFound, "cannot open " + file.string() + ": " + std::strerror(errno));
  }
  auto refuse = [&](std::string why) -> Result<int> {
    ::close(fd);
    return fail(ErrorCode::kInvalidInput, file.string() + " " + why);
  };
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return refuse("is not a regular file");
  // The file opened, whatever links its directories were made (or swapped to since they
  // were listed), must lie inside the Maildir.
  std::error_code ec;
  const auto inside = std::filesystem::canonical(root, ec);
  const auto opened = std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd), ec);
  if (ec) return refuse("cannot be placed: " + ec.message());
  const std::string prefix = inside.string() + "/";
  if (!opened.string().starts_with(prefix)) return refuse("leads out of the Maildir to " + opened.string());
  return fd;
}

}  // namespace mailcase::channels
