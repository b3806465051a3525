// The WAL-gathering VFS (wal_vfs.h).
#include "store/sqlite/wal_vfs.h"

#include <sqlite3.h>

#include <atomic>
#include <new>
#include <string_view>

#include "store/sqlite/wal_gather.h"

namespace mailcase::store::sqlite {
namespace {

std::atomic<uint64_t> g_writes{0};
sqlite3_vfs* g_base = nullptr;  // the default VFS, set once before ours is registered

// The file object SQLite holds for a WAL file: ours, with the default VFS's object
// after it in the same allocation (szOsFile covers both).
struct WalFile {
  sqlite3_file base;
  sqlite3_file* real;
  WalGather* gather;
};

// Where the default VFS's object starts, 8-aligned as SQLite aligns its allocations.
constexpr size_t kWalFileBytes = (sizeof(WalFile) + 7) / 8 * 8;

sqlite3_file* real_of(sqlite3_file* f) {
  return reinterpret_cast<WalFile*>(f)->real;
}

// Carries out the gathering rule's writes with the default VFS.
auto writer_of(WalFile* w) {
  return [w](int64_t at, std::string_view bytes) {
    g_writes.fetch_add(1, std::memory_order_relaxed);
    return w->real->pMethods->xWrite(w->real, bytes.data(), static_cast<int>(bytes.size()), at);
  };
}

int flush(sqlite3_file* f) {
  auto* w = reinterpret_cast<WalFile*>(f);
  return w->gather->write_out(writer_of(w));
}

int wal_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  auto* w = reinterpret_cast<WalFile*>(f);
  return w->gather->write(offset, std::string_view(static_cast<const char*>(data), static_cast<size_t>(amount)),
                          writer_of(w));
}

int wal_close(sqlite3_file* f) {
  auto* w = reinterpret_cast<WalFile*>(f);
  int rc = flush(f);
  int closed = w->real->pMethods->xClose(w->real);
  delete w->gather;
  w->gather = nullptr;
  return rc != SQLITE_OK ? rc : closed;
}

int wal_read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_of(f)->pMethods->xRead(real_of(f), out, amount, offset);
}
int wal_truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_of(f)->pMethods->xTruncate(real_of(f), size);
}
int wal_sync(sqlite3_file* f, int flags) {
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_of(f)->pMethods->xSync(real_of(f), flags);
}
int wal_file_size(sqlite3_file* f, sqlite3_int64* size) {
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_of(f)->pMethods->xFileSize(real_of(f), size);
}
int wal_lock(sqlite3_file* f, int level) {
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_of(f)->pMethods->xLock(real_of(f), level);
}
int wal_unlock(sqlite3_file* f, int level) {
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_of(f)->pMethods->xUnlock(real_of(f), level);
}
int wal_check_reserved(sqlite3_file* f, int* out) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int wal_file_control(sqlite3_file* f, int op, void* arg) {
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
int wal_sector_size(sqlite3_file* f) {
  return real_of(f)->pMethods->xSectorSize(real_of(f));
}
int wal_device(sqlite3_file* f) {
  return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
int wal_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return real_of(f)->pMethods->xShmMap(real_of(f), region, size, extend, out);
}
int wal_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void wal_shm_barrier(sqlite3_file* f) {
  real_of(f)->pMethods->xShmBarrier(real_of(f));
}
int wal_shm_unmap(sqlite3_file* f, int remove) {
  return real_of(f)->pMethods->xShmUnmap(real_of(f), remove);
}
int wal_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  if (real_of(f)->pMethods->iVersion < 3) {  // no memory map: SQLite reads instead
    *out = nullptr;
    return SQLITE_OK;
  }
  return real_of(f)->pMethods->xFetch(real_of(f), offset, amount, out);
}
int wal_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  if (real_of(f)->pMethods->iVersion < 3) return SQLITE_OK;
  return real_of(f)->pMethods->xUnfetch(real_of(f), offset, p);
}

// The methods of a WAL file (version 3, as the unix VFS's; the WAL file is never mapped
// into memory nor given shared memory, but the calls are passed on all the same).
sqlite3_io_methods g_wal_methods = {
    3,           wal_close,     wal_read,      wal_write,      wal_truncate, wal_sync,
    wal_file_size, wal_lock,    wal_unlock,    wal_check_reserved, wal_file_control,
    wal_sector_size, wal_device, wal_shm_map,  wal_shm_lock,   wal_shm_barrier,
    wal_shm_unmap, wal_fetch,   wal_unfetch,
};

// Every file but a WAL is opened by the default VFS straight into SQLite's object, so
// its methods are the default's own; a WAL's object is ours, the default's after it.
int vfs_open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  (void)vfs;
  if ((flags & SQLITE_OPEN_WAL) == 0) return g_base->xOpen(g_base, name, file, flags, out_flags);
  auto* w = reinterpret_cast<WalFile*>(file);
  w->base.pMethods = nullptr;
  w->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(w) + kWalFileBytes);
  w->gather = nullptr;
  int rc = g_base->xOpen(g_base, name, w->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;  // pMethods stays null: SQLite closes nothing
  w->gather = new (std::nothrow) WalGather;
  if (!w->gather) {
    w->real->pMethods->xClose(w->real);
    return SQLITE_NOMEM;
  }
  w->base.pMethods = &g_wal_methods;
  return SQLITE_OK;
}

// The rest of the VFS is the default's.
int vfs_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return g_base->xDelete(g_base, name, sync_dir);
}
int vfs_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_base->xAccess(g_base, name, flags, out);
}
int vfs_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_base->xFullPathname(g_base, name, n, out);
}
void* vfs_dl_open(sqlite3_vfs*, const char* name) {
  return g_base->xDlOpen(g_base, name);
}
void vfs_dl_error(sqlite3_vfs*, int n, char* out) {
  g_base->xDlError(g_base, n, out);
}
void (*vfs_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return g_base->xDlSym(g_base, handle, symbol);
}
void vfs_dl_close(sqlite3_vfs*, void* handle) {
  g_base->xDlClose(g_base, handle);
}
int vfs_randomness(sqlite3_vfs*, int n, char* out) {
  return g_base->xRandomness(g_base, n, out);
}
int vfs_sleep(sqlite3_vfs*, int micros) {
  return g_base->xSleep(g_base, micros);
}
int vfs_current_time(sqlite3_vfs*, double* out) {
  return g_base->xCurrentTime(g_base, out);
}
int vfs_last_error(sqlite3_vfs*, int n, char* out) {
  return g_base->xGetLastError ? g_base->xGetLastError(g_base, n, out) : 0;
}
int vfs_current_time64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_base->xCurrentTimeInt64(g_base, out);
}
int vfs_set_system_call(sqlite3_vfs*, const char* name, sqlite3_syscall_ptr p) {
  return g_base->xSetSystemCall(g_base, name, p);
}
sqlite3_syscall_ptr vfs_get_system_call(sqlite3_vfs*, const char* name) {
  return g_base->xGetSystemCall(g_base, name);
}
const char* vfs_next_system_call(sqlite3_vfs*, const char* name) {
  return g_base->xNextSystemCall(g_base, name);
}

constexpr const char* kName = "mailcase-wal";

sqlite3_vfs* make_vfs() {
  g_base = sqlite3_vfs_find(nullptr);
  if (!g_base || g_base->iVersion < 3) return nullptr;
  static sqlite3_vfs vfs{};
  vfs.iVersion = 3;
  // Room for the default's object after ours, aligned as SQLite aligns allocations.
  vfs.szOsFile = static_cast<int>(kWalFileBytes) + g_base->szOsFile;
  vfs.mxPathname = g_base->mxPathname;
  vfs.zName = kName;
  vfs.xOpen = vfs_open;
  vfs.xDelete = vfs_delete;
  vfs.xAccess = vfs_access;
  vfs.xFullPathname = vfs_full_pathname;
  vfs.xDlOpen = vfs_dl_open;
  vfs.xDlError = vfs_dl_error;
  vfs.xDlSym = vfs_dl_sym;
  vfs.xDlClose = vfs_dl_close;
  vfs.xRandomness = vfs_randomness;
  vfs.xSleep = vfs_sleep;
  vfs.xCurrentTime = vfs_current_time;
  vfs.xGetLastError = vfs_last_error;
  vfs.xCurrentTimeInt64 = vfs_current_time64;
  vfs.xSetSystemCall = vfs_set_system_call;
  vfs.xGetSystemCall = vfs_get_system_call;
  vfs.xNextSystemCall = vfs_next_system_call;
  if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK) return nullptr;
  return &vfs;
}

}  // namespace

const char* wal_gathering_vfs() {
  static sqlite3_vfs* vfs = make_vfs();
  return vfs ? kName : nullptr;  // null: SQLite's default, should registering ever fail
}

uint64_t wal_writes_issued() {
  return g_writes.load(std::memory_order_relaxed);
}

}  // namespace mailcase::store::sqlite
