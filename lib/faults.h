/* faults: test-only fault injection under SQLite (crash, disk full, I/O
 * errors), compiled in only with -DLOY_FAULTS; see lib/faults.c. */
#ifndef LOY_FAULTS_H
#define LOY_FAULTS_H

/* Put the fault-injecting VFS in place if the environment asks for one
 * (LOY_FAULTS builds only; does nothing otherwise).  Call before the
 * ledger is opened. */
void faults_install(void);
/* With LOY_PAUSE_OPENED=FILE in the environment (LOY_FAULTS builds only;
 * does nothing otherwise): wait, sleeping, until FILE exists.  Called
 * once the ledger is open and its settings read, before the program
 * reads anything else: a test changes the ledger there, then makes FILE. */
void faults_pause_opened(void);
/* With LOY_NOW_AFTER_WAIT=TIME in the environment (LOY_FAULTS builds
 * only; does nothing otherwise): LOY_NOW becomes TIME.  Called as a run
 * begins, once it holds the ledger (ledger_run_begin): the clock as a run
 * that waited for another writer reads it then, later than when the
 * program started. */
void faults_run_begun(void);

#endif
