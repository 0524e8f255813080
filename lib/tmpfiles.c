/*
 * Temporary files a run is making (a rejects file before the commit puts
 * it in place, a new ledger before it is linked to its name), removed by
 * a signal handler if the run is interrupted, as sort(1) removes its
 * temporary files; or, where Linux can, made without a name (O_TMPFILE)
 * until the run is about to commit, so that not even SIGKILL leaves them.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

char *
tmpfiles_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d;

	if (!slash)
		return loy_xstrdup(".");
	if (slash == path)
		return loy_xstrdup("/");
	d = loy_xstrdup(path);
	d[slash - path] = '\0';
	return d;
}

int
tmpfiles_sync_dir(const char *path)
{
	char *dir = tmpfiles_dir(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0, e;

	free(dir);
	if (fd < 0)
		return -1;
	if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
		rc = -1;
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* a fresh name path.XXXXXX, as mkstemp leaves it: the file made and removed */
static char *
fresh_name(const char *path, int *fd)
{
	size_t n = strlen(path) + 8;
	char *name = loy_xmalloc(n);

	snprintf(name, n, "%s.XXXXXX", path);
	if ((*fd = mkstemp(name)) < 0) {
		free(name);
		return NULL;
	}
	return name;
}

int
tmpfiles_open(const char *path, unsigned mode, char **tmp)
{
	int fd;

	*tmp = NULL;
#ifdef O_TMPFILE
	/* linkat(2) names such a file through /proc, without privileges */
	if (access("/proc/self/fd", X_OK) == 0) {
		char *dir = tmpfiles_dir(path);

		fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, (mode_t)mode);
		free(dir);
		if (fd >= 0)
			return fd;
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
			return -1;	/* a missing directory, no permission: said as is */
	}
#endif
	if (!(*tmp = fresh_name(path, &fd)))
		return -1;
	tmpfiles_add(*tmp);
	fchmod(fd, (mode_t)mode & ~umask(umask(0)));
	return fd;
}

int
tmpfiles_name(int fd, const char *path, char **tmp)
{
	char proc[64];
	int scratch;

	if (*tmp)
		return 0;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	for (int tries = 0; tries < 100; tries++) {
		char *name = fresh_name(path, &scratch);

		if (!name)
			return -1;
		close(scratch);
		unlink(name);	/* linkat will not replace a file */
		if (linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == 0) {
			tmpfiles_add(name);
			*tmp = name;
			return 0;
		}
		free(name);
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}
