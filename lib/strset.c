#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "strset.h"

struct strset {
	uint64_t *slot;		/* hash high bits << 32 | offset + 1; 0 empty */
	size_t cap, count;
	char *arena;		/* length-prefixed strings */
	size_t alen, acap;
};

static uint64_t
hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h ^ (h >> 29);
}

struct strset *
strset_new(void)
{
	struct strset *set = calloc(1, sizeof(*set));

	if (!set)
		loy_die(71, "out of memory");
	set->cap = 1024;
	set->slot = calloc(set->cap, sizeof(*set->slot));
	if (!set->slot)
		loy_die(71, "out of memory");
	return set;
}

static int
same(const struct strset *set, uint64_t v, const char *s, size_t n)
{
	const char *p = set->arena + (v & 0xffffffffu) - 1;
	uint32_t len;

	memcpy(&len, p, sizeof(len));
	return len == n && memcmp(p + sizeof(len), s, n) == 0;
}

static void
grow(struct strset *set)
{
	size_t cap = set->cap * 2;
	uint64_t *slot = calloc(cap, sizeof(*slot));

	if (!slot)
		loy_die(71, "out of memory");
	for (size_t i = 0; i < set->cap; i++) {
		uint64_t v = set->slot[i];
		const char *p;
		uint32_t len;
		size_t j;

		if (!v)
			continue;
		p = set->arena + (v & 0xffffffffu) - 1;
		memcpy(&len, p, sizeof(len));
		j = hash(p + sizeof(len), len) & (cap - 1);
		while (slot[j])
			j = (j + 1) & (cap - 1);
		slot[j] = v;
	}
	free(set->slot);
	set->slot = slot;
	set->cap = cap;
}

int
strset_add(struct strset *set, const char *s, size_t n)
{
	uint64_t h = hash(s, n), tag = h & 0xffffffff00000000ULL;
	size_t i = h & (set->cap - 1);
	uint32_t len = n;

	for (; set->slot[i]; i = (i + 1) & (set->cap - 1))
		if ((set->slot[i] & 0xffffffff00000000ULL) == tag && same(set, set->slot[i], s, n))
			return 0;
	if (set->alen + sizeof(len) + n + 1 >= 0xffffffffu)
		loy_die(71, "too many distinct keys in one run");
	if (set->alen + sizeof(len) + n > set->acap) {
		while (set->alen + sizeof(len) + n > set->acap)
			set->acap = set->acap ? 2 * set->acap : 65536;
		set->arena = loy_xrealloc(set->arena, set->acap);
	}
	memcpy(set->arena + set->alen, &len, sizeof(len));
	memcpy(set->arena + set->alen + sizeof(len), s, n);
	set->slot[i] = tag | (set->alen + 1);
	set->alen += sizeof(len) + n;
	if (++set->count * 4 > set->cap * 3)
		grow(set);
	return 1;
}

size_t
strset_count(const struct strset *set)
{
	return set->count;
}

void
strset_free(struct strset *set)
{
	if (!set)
		return;
	free(set->slot);
	free(set->arena);
	free(set);
}
