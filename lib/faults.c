/*
 * faults: fault injection for the trust trials (tests/trust.bats,
 * tests/trials/).  Compiled in only with -DLOY_FAULTS (the build-*-faults
 * builds of `make check` and `make crash`); otherwise faults_install() does
 * nothing and loy has no such switch.
 *
 * With LOY_FAULTS defined, faults_install() puts a shim SQLite VFS over the
 * default one, the way SQLite's own crash tests do, and counts each write,
 * sync and truncate of any file of the ledger (database, WAL, shared
 * memory excluded).  Driven by the environment:
 *
 *   LOY_CRASH_AT=N   at the Nth write, sync or truncate, kill the process
 *                    with SIGKILL before the call reaches the file (a
 *                    crash, as kill -9 would make it at that moment)
 *   LOY_CRASH_TORN=1 with LOY_CRASH_AT: a write that crashes lands half
 *                    written first (a torn write)
 *   LOY_CRASH_SIGNAL=N with LOY_CRASH_AT: send signal N (15: SIGTERM)
 *                    instead, as an operator's kill would at that moment;
 *                    SIGKILL follows if the process lives on
 *   LOY_CRASH_POWER=1 with LOY_CRASH_AT: a power cut rather than a killed
 *                    process: every write since each file's last sync is
 *                    undone (and a file that grew since is cut back), as
 *                    if the disk had never received it; =2: each such
 *                    write is undone or kept at random (the disk wrote
 *                    some of its cache, in any order)
 *   LOY_FULL_AT=N    from the Nth write on, writes fail as a full disk does
 *                    (SQLITE_FULL)
 *   LOY_IOERR_AT=N   the Nth write, sync or truncate fails (SQLITE_IOERR)
 *   LOY_NOMEM_AT=N   from SQLite's Nth memory allocation on, every one
 *                    fails, as when the machine runs out of memory
 *                    (SQLITE_NOMEM)
 *   LOY_FAULTS_COUNT=FILE   at exit, append the count of writes, syncs
 *                    and truncates to FILE (to know how many crash points
 *                    a run has)
 *   LOY_PAUSE_OPENED=FILE   once the ledger is open and its settings read
 *                    (faults_pause_opened), sleep until FILE exists: a
 *                    test commits a change there, between a program's
 *                    open and what it reads next
 *   LOY_NOW_AFTER_WAIT=TIME once a run holds the ledger (faults_run_begun),
 *                    LOY_NOW becomes TIME: the clock moved on while the
 *                    run waited for another writer (past midnight, say)
 */
#include "faults.h"

#ifndef LOY_FAULTS

void
faults_install(void)
{
}

void
faults_pause_opened(void)
{
}

void
faults_run_begun(void)
{
}

#else

#include <signal.h>
#include <sqlite3.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A write since the file's last sync, and what it overwrote. */
struct undo {
	sqlite3_int64 off;
	int n;			/* bytes written */
	int had;		/* of them, bytes that existed before */
	unsigned char *old;
	struct undo *next;	/* the one before */
};

struct ffile {
	sqlite3_file base;
	struct ffile *next;	/* the open files */
	struct undo *undo;	/* newest first */
	sqlite3_int64 synced;	/* size at the last sync (or open) */
	sqlite3_file *real;	/* the default VFS's file, after this struct */
};

static sqlite3_vfs *orig;
static sqlite3_vfs vfs;
static struct sqlite3_io_methods methods1, methods2, methods3;
static long ops, crash_at, full_at, ioerr_at;
static int torn, power, crash_signal;
static struct ffile *files;
static const char *count_file;
static sqlite3_mem_methods mem_orig, mem;
static long allocs, nomem_at;

#define REAL(f) (((struct ffile *)(f))->real)

static long
envnum(const char *name)
{
	const char *s = getenv(name);

	return s && *s ? atol(s) : 0;
}

static void
report_count(void)
{
	FILE *f;

	if (count_file && (f = fopen(count_file, "a"))) {
		fprintf(f, "%ld\n", ops);
		fclose(f);
	}
}

/* Count one write, sync or truncate: 1 crash now, -1 fail it, 0 go on. */
static int
op(int is_write)
{
	ops++;
	if (crash_at && ops == crash_at)
		return 1;
	if (ioerr_at && ops == ioerr_at)
		return -1;
	if (full_at && is_write && ops >= full_at)
		return -2;
	return 0;
}

static void
undo_free(struct ffile *ff)
{
	while (ff->undo) {
		struct undo *u = ff->undo;

		ff->undo = u->next;
		free(u->old);
		free(u);
	}
}

/* A power cut: what each file received since its last sync is lost (all
 * of it, or with power == 2 some of it, newest first). */
static void
power_cut(void)
{
	unsigned seed = (unsigned)crash_at * 2654435761u;

	for (struct ffile *ff = files; ff; ff = ff->next) {
		int lose_all = power != 2 || (seed = seed * 1103515245u + 12345u) >> 31;

		for (struct undo *u = ff->undo; u; u = u->next) {
			seed = seed * 1103515245u + 12345u;
			if (lose_all || (seed >> 16) & 1) {
				if (u->had)
					ff->real->pMethods->xWrite(ff->real, u->old, u->had, u->off);
			}
		}
		if (lose_all)
			ff->real->pMethods->xTruncate(ff->real, ff->synced);
	}
}

static void
crash(void)
{
	if (power)
		power_cut();
	if (crash_signal > 0)
		kill(getpid(), crash_signal);
	kill(getpid(), SIGKILL);
	_exit(137);
}

static int
f_close(sqlite3_file *f)
{
	struct ffile *ff = (struct ffile *)f;

	for (struct ffile **p = &files; *p; p = &(*p)->next)
		if (*p == ff) {
			*p = ff->next;
			break;
		}
	undo_free(ff);
	return REAL(f)->pMethods->xClose(REAL(f));
}

/* Keep what a write is about to overwrite, for a power cut. */
static void
remember(struct ffile *ff, int n, sqlite3_int64 off)
{
	struct undo *u = calloc(1, sizeof(*u));
	sqlite3_int64 size = 0;

	if (!u)
		return;
	ff->real->pMethods->xFileSize(ff->real, &size);
	u->off = off;
	u->n = n;
	u->had = off >= size ? 0 : off + n <= size ? n : (int)(size - off);
	if (u->had && (u->old = malloc(u->had)))
		ff->real->pMethods->xRead(ff->real, u->old, u->had, off);
	else
		u->had = 0;
	u->next = ff->undo;
	ff->undo = u;
}

static int
f_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}

static int
f_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	switch (op(1)) {
	case 1:
		if (torn && n > 1)
			REAL(f)->pMethods->xWrite(REAL(f), buf, n / 2, off);
		crash();
		break;
	case -1:
		return SQLITE_IOERR_WRITE;
	case -2:
		return SQLITE_FULL;
	}
	if (power)
		remember((struct ffile *)f, n, off);
	return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int
f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct ffile *ff = (struct ffile *)f;

	switch (op(0)) {
	case 1:
		crash();
		break;
	case -1:
		return SQLITE_IOERR_TRUNCATE;
	}
	if (power && size < ff->synced)	/* taken as it happens */
		ff->synced = size;
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int
f_sync(sqlite3_file *f, int flags)
{
	struct ffile *ff = (struct ffile *)f;
	int rc;

	switch (op(0)) {
	case 1:
		crash();
		break;
	case -1:
		return SQLITE_IOERR_FSYNC;
	}
	rc = REAL(f)->pMethods->xSync(REAL(f), flags);
	if (rc == SQLITE_OK && power) {	/* what it holds now is on the disk */
		undo_free(ff);
		REAL(f)->pMethods->xFileSize(REAL(f), &ff->synced);
	}
	return rc;
}

static int
f_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
f_lock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xLock(REAL(f), lock);
}

static int
f_unlock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}

static int
f_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
f_control(sqlite3_file *f, int opcode, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), opcode, arg);
}

static int
f_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
f_caps(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
f_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, pp);
}

static int
f_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}

static void
f_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
f_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int
f_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}

static int
f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static int
v_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *outflags)
{
	struct ffile *ff = (struct ffile *)f;
	const struct sqlite3_io_methods *m;
	int rc;

	(void)v;
	ff->real = (sqlite3_file *)&ff[1];
	ff->undo = NULL;
	ff->synced = 0;
	rc = orig->xOpen(orig, name, ff->real, flags, outflags);
	m = ff->real->pMethods;
	if (!m) {
		f->pMethods = NULL;
		return rc;
	}
	f->pMethods = m->iVersion >= 3 ? &methods3 : m->iVersion == 2 ? &methods2 : &methods1;
	m->xFileSize(ff->real, &ff->synced);
	ff->next = files;
	files = ff;
	return rc;
}

static int
v_delete(sqlite3_vfs *v, const char *name, int sync)
{
	(void)v;
	return orig->xDelete(orig, name, sync);
}

static int
v_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return orig->xAccess(orig, name, flags, out);
}

static int
v_fullpath(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	return orig->xFullPathname(orig, name, n, out);
}

static int
v_random(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return orig->xRandomness(orig, n, out);
}

static int
v_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return orig->xSleep(orig, us);
}

static int
v_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	return orig->xCurrentTime(orig, out);
}

static int
v_lasterror(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return orig->xGetLastError(orig, n, out);
}

static int
v_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	return orig->xCurrentTimeInt64(orig, out);
}

/* SQLite's allocator, failing from the nomem_at-th allocation on. */
static void *
m_malloc(int n)
{
	if (++allocs >= nomem_at)
		return NULL;
	return mem_orig.xMalloc(n);
}

static void *
m_realloc(void *p, int n)
{
	if (++allocs >= nomem_at)
		return NULL;
	return mem_orig.xRealloc(p, n);
}

static void
install_nomem(void)
{
	nomem_at = envnum("LOY_NOMEM_AT");
	if (!nomem_at ||
	    sqlite3_config(SQLITE_CONFIG_GETMALLOC, &mem_orig) != SQLITE_OK)
		return;
	mem = mem_orig;
	mem.xMalloc = m_malloc;
	mem.xRealloc = m_realloc;
	sqlite3_config(SQLITE_CONFIG_MALLOC, &mem);
}

void
faults_install(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	install_nomem();	/* before anything starts SQLite */
	crash_at = envnum("LOY_CRASH_AT");
	torn = envnum("LOY_CRASH_TORN") != 0;
	power = (int)envnum("LOY_CRASH_POWER");
	crash_signal = (int)envnum("LOY_CRASH_SIGNAL");
	full_at = envnum("LOY_FULL_AT");
	ioerr_at = envnum("LOY_IOERR_AT");
	count_file = getenv("LOY_FAULTS_COUNT");
	if (!crash_at && !full_at && !ioerr_at && !count_file)
		return;
	if (count_file)
		atexit(report_count);
	orig = sqlite3_vfs_find(NULL);
	if (!orig)
		return;
	methods1 = (struct sqlite3_io_methods){
		1, f_close, f_read, f_write, f_truncate, f_sync, f_size, f_lock,
		f_unlock, f_reserved, f_control, f_sector, f_caps,
		NULL, NULL, NULL, NULL, NULL, NULL
	};
	methods2 = methods1;
	methods2.iVersion = 2;
	methods2.xShmMap = f_shm_map;
	methods2.xShmLock = f_shm_lock;
	methods2.xShmBarrier = f_shm_barrier;
	methods2.xShmUnmap = f_shm_unmap;
	methods3 = methods2;
	methods3.iVersion = 3;
	methods3.xFetch = f_fetch;
	methods3.xUnfetch = f_unfetch;
	vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct ffile) + orig->szOsFile,
		.mxPathname = orig->mxPathname,
		.zName = "loy-faults",
		.xOpen = v_open,
		.xDelete = v_delete,
		.xAccess = v_access,
		.xFullPathname = v_fullpath,
		.xRandomness = v_random,
		.xSleep = v_sleep,
		.xCurrentTime = v_time,
		.xGetLastError = v_lasterror,
		.xCurrentTimeInt64 = v_time64,
	};
	/* v1 VFS methods that SQLite does not need here stay NULL */
	sqlite3_vfs_register(&vfs, 1);
}

void
faults_pause_opened(void)
{
	const struct timespec pause = { 0, 10 * 1000000L };
	const char *file = getenv("LOY_PAUSE_OPENED");

	while (file && access(file, F_OK) != 0)
		nanosleep(&pause, NULL);
}

void
faults_run_begun(void)
{
	const char *now = getenv("LOY_NOW_AFTER_WAIT");

	if (now && *now)
		setenv("LOY_NOW", now, 1);
}

#endif
