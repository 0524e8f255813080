/*
 * fuzz/programme: the programme-file parser (lib/programme.c) on any
 * bytes.  Properties:
 *   - programme_parse never crashes: it accepts the file or refuses it
 *     with messages (and frees what it made);
 *   - an accepted programme can be summarised, and every setting it would
 *     write into the ledger is one loy-init --set would accept.
 */
#include <stdint.h>

#include "ledger.h"
#include "programme.h"
#include "driver.h"

static FILE *devnull;

static void
fuzz_init(void)
{
	devnull = fopen("/dev/null", "w");
	if (!getenv("FUZZ_VERBOSE"))
		freopen("/dev/null", "w", stderr);
	setenv("TZ", "UTC", 1);
}

static void
fuzz_one(const unsigned char *data, size_t len)
{
	struct programme p;
	char *text = malloc(len + 1), **keys, **values, why[512];
	int n;

	memcpy(text, data, len);
	text[len] = '\0';
	memset(&p, 0, sizeof(p));
	if (programme_parse("fuzz.conf", text, len, &p) == 0) {
		programme_summary(&p, devnull);
		programme_ledger_settings(&p, &keys, &values, &n);
		for (int i = 0; i < n; i++) {
			if (ledger_setting_valid(keys[i], values[i], why, sizeof(why)) != 0) {
				fprintf(stderr, "setting %s=%s: %s\n", keys[i], values[i], why);
				FUZZ_ASSERT(!"a parsed programme writes a setting loy-init refuses");
			}
		}
		programme_kv_free(keys, values, n);
		programme_free(&p);
	}
	free(text);
}
