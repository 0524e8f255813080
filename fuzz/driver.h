/*
 * driver: the main() every fuzz harness shares.  A harness defines
 *
 *	static void fuzz_one(const unsigned char *data, size_t len);
 *
 * which must abort() (through FUZZ_ASSERT) when a property fails; a crash
 * or a sanitizer report is the finding.
 *
 * Built with afl-cc (AFL++ defines __AFL_FUZZ_TESTCASE_LEN) the harness
 * runs in AFL++'s persistent mode.  Built with a plain compiler it replays
 * each file named on the command line (standard input without any), which
 * is how the seed corpora and the committed crash reproducers run as
 * regression tests (tests/trust.bats).
 */
#ifndef LOY_FUZZ_DRIVER_H
#define LOY_FUZZ_DRIVER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_ASSERT(c) do { \
	if (!(c)) { \
		fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #c); \
		abort(); \
	} \
} while (0)

static void fuzz_one(const unsigned char *data, size_t len);
static void fuzz_init(void);

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();

int
main(void)
{
	fuzz_init();
#ifdef __AFL_HAVE_MANUAL_CONTROL
	__AFL_INIT();
#endif
	unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;

	while (__AFL_LOOP(10000))
		fuzz_one(buf, __AFL_FUZZ_TESTCASE_LEN);
	return 0;
}
#else
static unsigned char *
slurp(FILE *f, size_t *len)
{
	size_t cap = 4096, n = 0, got;
	unsigned char *p = malloc(cap);

	while (p && (got = fread(p + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap)
			p = realloc(p, cap *= 2);
	}
	*len = n;
	return p;
}

int
main(int argc, char **argv)
{
	fuzz_init();
	for (int i = argc > 1 ? 1 : 0; i < argc; i++) {
		FILE *f = argc > 1 ? fopen(argv[i], "rb") : stdin;
		unsigned char *data;
		size_t len;

		if (!f) {
			perror(argv[i]);
			return 66;
		}
		if (!(data = slurp(f, &len)))
			return 71;
		if (f != stdin)
			fclose(f);
		fuzz_one(data, len);
		free(data);
	}
	return 0;
}
#endif

#endif
