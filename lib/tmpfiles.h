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

#endif
