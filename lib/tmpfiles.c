/*
 * Temporary files a run is making (a rejects file before the commit puts
 * it in place, a new ledger before it is linked to its name), removed by
 * a signal handler if the run is interrupted, as sort(1) removes its
 * temporary files.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "tmpfiles.h"

static char *volatile paths[8];
static const int signals[] = { SIGHUP, SIGINT, SIGTERM, SIGPIPE };

static void
handler(int sig)
{
	int saved = errno;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (paths[i])
			unlink(paths[i]);
	signal(sig, SIG_DFL);
	raise(sig);
	errno = saved;
}

static void
install(void)
{
	static int done;
	struct sigaction sa;

	if (done++)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		sigaddset(&sa.sa_mask, signals[i]);
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		struct sigaction old;

		/* a signal the caller's parent ignores stays ignored */
		if (sigaction(signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(signals[i], &sa, NULL);
	}
}

void
tmpfiles_add(const char *path)
{
	char *copy = loy_xstrdup(path);

	install();
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!paths[i]) {
			paths[i] = copy;	/* whole before the handler can see it */
			return;
		}
	free(copy);	/* beyond eight, a file outlives a signal */
}

void
tmpfiles_forget(const char *path)
{
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (paths[i] && strcmp(paths[i], path) == 0) {
			char *p = paths[i];

			paths[i] = NULL;
			free(p);
			return;
		}
}
