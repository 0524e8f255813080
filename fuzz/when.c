/*
 * fuzz/when: the date and datetime parser (lib/when.c).  The first input
 * byte picks what is wanted (date or datetime), the time zone and the
 * format (ISO 8601 or one of 15 strptime formats operators use); the rest,
 * up to a NUL, is the text.  Properties:
 *   - when_parse never crashes and either refuses with a reason or gives
 *     normalized text ("YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS", years
 *     1000-9999) that reads back as itself;
 *   - when_add_months and when_add_hours on it give normalized text, and
 *     a year later is 365 or 366 days later by when_days_between.
 */
#include <limits.h>

#include "when.h"
#include "driver.h"

static const char *const zones[] = {
	"UTC", "Europe/London", "Asia/Shanghai", "America/New_York",
	"Australia/Lord_Howe", "Pacific/Kiritimati", "America/St_Johns", "Asia/Kathmandu",
};
static const char *const formats[] = {
	NULL, "%d/%m/%Y", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%Y%m%d", "%d.%m.%y",
	"%Y-%m-%dT%H:%M:%S%z", "%d %b %Y %H:%M:%S",
	/* numbers side by side, read only at full width, with what else a
	 * format may have */
	"%Y%m%d%H%M%S", "%Y%m%d %H:%M:%S", "%Y%m%dT%H%M%S%z", "%Y%m%d %I%M %p",
	"%y%m%d", "%C%y%m%d", "%Y%j", "%d%b%Y",
};

static void
fuzz_init(void)
{
}

static int
normalized(const char *s, int want)
{
	size_t n = strlen(s);

	if (want == WHEN_DATE ? n != 10 : n != 19)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int digit = s[i] >= '0' && s[i] <= '9';
		char sep = i == 4 || i == 7 ? '-' : i == 10 ? ' ' : i == 13 || i == 16 ? ':' : 0;

		if (sep ? s[i] != sep : !digit)
			return 0;
	}
	return s[0] != '0';
}

static void
fuzz_one(const unsigned char *data, size_t len)
{
	char s[128], out[20], back[20], later[20];
	const char *why = NULL;
	int want, zone;
	size_t n;

	if (len < 1)
		return;
	want = data[0] & 1 ? WHEN_DATETIME : WHEN_DATE;
	zone = (data[0] >> 1) & 7;
	n = len - 1 < sizeof(s) - 1 ? len - 1 : sizeof(s) - 1;
	memcpy(s, data + 1, n);
	s[n] = '\0';
	setenv("TZ", zones[zone], 1);
	if (when_parse(s, formats[data[0] >> 4], want, out, &why) != 0) {
		FUZZ_ASSERT(why != NULL && *why);
		return;
	}
	FUZZ_ASSERT(normalized(out, want));
	FUZZ_ASSERT(when_parse(out, NULL, want, back, &why) == 0);
	FUZZ_ASSERT(strcmp(out, back) == 0);
	if (when_add_months(out, 12, later) == 0) {
		long d = when_days_between(out, later);

		FUZZ_ASSERT(normalized(later, want));
		FUZZ_ASSERT(d == 365 || d == 366);
	}
	if (when_add_months(out, -(int)(data[0] >> 4) * 7, later) == 0)
		FUZZ_ASSERT(normalized(later, want));
	if (want == WHEN_DATETIME && when_add_hours(out, 24L * 45 + 13, later) == 0) {
		FUZZ_ASSERT(normalized(later, WHEN_DATETIME));
		FUZZ_ASSERT(when_days_between(out, later) == 45 || when_days_between(out, later) == 46);
	}
}
