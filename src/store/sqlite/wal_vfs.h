// A SQLite VFS that writes each transaction's WAL frames to the file in one write.
//
// Why: SQLite writes a WAL frame as two writes (its 24-byte header, then its page), so
// a commit of 30 pages costs 60 pwrite system calls; on a virtual machine each is a few
// microseconds, a fifth of the committing thread's time on the mail's path. This VFS
// wraps the default one ("unix"): the database file and every other file are the
// default's own objects, untouched; only the WAL file's writes are gathered in memory as
// wal_gather.h says (until the transaction's commit frame is written), and everything
// gathered also goes out before any read, sync, size, truncate, lock, file control or
// close of that file.
//
// Contract kept: when a commit frame's write returns, every frame of the transaction is
// in the file (the kernel's page cache), so that the WAL index SQLite then updates
// never names a frame another connection or process cannot read; a sync covers all
// that was written before it; an error of the gathered write is returned by the call
// that made it (the commit then fails and is rolled back, as with the default VFS).
// What is still gathered when the process dies was never committed.
#pragma once

#include <cstdint>

namespace mailcase::store::sqlite {

// Registers the VFS once (thread-safe) and returns its name for sqlite3_open_v2.
const char* wal_gathering_vfs();

// Writes this process has issued to WAL files through the VFS so far (for tests and
// benchmarks: one per commit of up to 31 pages; the default VFS writes at most 124 KB
// at once).
uint64_t wal_writes_issued();

}  // namespace mailcase::store::sqlite
