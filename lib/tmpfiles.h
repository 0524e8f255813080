/* tmpfiles: files a run is making, removed if a signal ends it. */
#ifndef LOY_TMPFILES_H
#define LOY_TMPFILES_H

/*
 * Remember path (copied) until tmpfiles_forget: should SIGHUP, SIGINT,
 * SIGTERM or SIGPIPE end the program meanwhile, the file is removed and
 * the program dies of the signal as it would have.  A run killed with
 * SIGKILL still leaves it; the ledger rolls back either way.
 */
void tmpfiles_add(const char *path);
void tmpfiles_forget(const char *path);

/*
 * Open, for writing, a new file that is to become path once it is whole:
 * where the system can (Linux, O_TMPFILE), a file without a name in path's
 * directory, which nothing can leave behind, not even SIGKILL or running out
 * of memory; else path.XXXXXX, remembered by tmpfiles_add.  *tmp is that
 * name, or NULL for a file without one (free it).  The file's mode is mode
 * less the umask.  Returns the descriptor, or -1 with errno set.
 */
int tmpfiles_open(const char *path, unsigned mode, char **tmp);

/*
 * Give the file of tmpfiles_open a name, path.XXXXXX, if it has none yet, so
 * that rename(2) can put it in place; tmpfiles_add remembers the name, as
 * tmpfiles_open's own.  0, or -1 with errno set.
 */
int tmpfiles_name(int fd, const char *path, char **tmp);

/* The directory path is in, as open(2) wants it (to free). */
char *tmpfiles_dir(const char *path);

/* Make the names in path's directory last through a power cut (its
 * entries synced): 0, or -1 with errno set.  A file system that cannot
 * sync a directory counts as done. */
int tmpfiles_sync_dir(const char *path);

#endif
