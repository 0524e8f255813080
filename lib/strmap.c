#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "strmap.h"

struct entry {
	uint64_t hash;
	size_t off, len;	/* key in the arena */
	void *val;
};

/*
 * An index slot holds the entry number + 1 in its low 32 bits (0: empty)
 * and the high 32 bits of the key's hash in its high ones, so that a probe
 * passing over other keys reads the index alone, not their entries and
 * keys.  The index is kept at most three quarters full.
 */
struct strmap {
	uint64_t *index;
	size_t cap;
	struct entry *e;
	size_t n, ecap;
	char *arena;
	size_t alen, acap;
};

#define TAG(h) ((h) & 0xffffffff00000000ULL)
#define SLOT_ENTRY(s) ((uint32_t)(s))

static uint64_t
hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	/* mix the high bits down: the index uses the low ones */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

struct strmap *
strmap_new(void)
{
	struct strmap *m = calloc(1, sizeof(*m));

	if (!m)
		loy_die(71, "out of memory");
	m->cap = 1024;
	m->index = calloc(m->cap, sizeof(*m->index));
	if (!m->index)
		loy_die(71, "out of memory");
	return m;
}

static void
grow(struct strmap *m)
{
	size_t cap = m->cap * 2;
	uint64_t *index = calloc(cap, sizeof(*index));

	if (!index)
		loy_die(71, "out of memory");
	for (size_t i = 0; i < m->n; i++) {
		size_t j = m->e[i].hash & (cap - 1);

		while (index[j])
			j = (j + 1) & (cap - 1);
		index[j] = TAG(m->e[i].hash) | (i + 1);
	}
	free(m->index);
	m->index = index;
	m->cap = cap;
}

/* Index slot of key, found or where it would go. */
static size_t
find(const struct strmap *m, const char *s, size_t n, uint64_t h)
{
	size_t j = h & (m->cap - 1);
	uint64_t tag = TAG(h), slot;

	for (; (slot = m->index[j]) != 0; j = (j + 1) & (m->cap - 1)) {
		const struct entry *e;

		if (TAG(slot) != tag)
			continue;
		e = &m->e[SLOT_ENTRY(slot) - 1];
		if (e->hash == h && e->len == n && memcmp(m->arena + e->off, s, n) == 0)
			break;
	}
	return j;
}

void **
strmap_slot(struct strmap *m, const char *s, size_t n, int *created)
{
	uint64_t h = hash(s, n);
	size_t j = find(m, s, n, h);
	struct entry *e;

	if (m->index[j]) {
		if (created)
			*created = 0;
		return &m->e[SLOT_ENTRY(m->index[j]) - 1].val;
	}
	if (m->n == UINT32_MAX - 1)
		loy_die(71, "out of memory");
	if (m->n == m->ecap) {
		m->ecap = m->ecap ? 2 * m->ecap : 256;
		m->e = loy_xrealloc(m->e, m->ecap * sizeof(*m->e));
	}
	if (m->alen + n + 1 > m->acap) {
		while (m->alen + n + 1 > m->acap)
			m->acap = m->acap ? 2 * m->acap : 65536;
		m->arena = loy_xrealloc(m->arena, m->acap);
	}
	memcpy(m->arena + m->alen, s, n);
	m->arena[m->alen + n] = '\0';
	e = &m->e[m->n];
	e->hash = h;
	e->off = m->alen;
	e->len = n;
	e->val = NULL;
	m->alen += n + 1;
	m->index[j] = TAG(h) | ++m->n;
	if (created)
		*created = 1;
	if (m->n * 4 > m->cap * 3)
		grow(m);
	return &m->e[m->n - 1].val;
}

void *
strmap_get(const struct strmap *m, const char *s, size_t n)
{
	size_t j = find(m, s, n, hash(s, n));

	return m->index[j] ? m->e[SLOT_ENTRY(m->index[j]) - 1].val : NULL;
}

int
strmap_add(struct strmap *m, const char *s, size_t n)
{
	int created;

	strmap_slot(m, s, n, &created);
	return created;
}

size_t
strmap_count(const struct strmap *m)
{
	return m->n;
}

void *
strmap_value(const struct strmap *m, size_t i)
{
	return m->e[i].val;
}

void
strmap_clear(struct strmap *m)
{
	memset(m->index, 0, m->cap * sizeof(*m->index));
	m->n = 0;
	m->alen = 0;
}

void
strmap_free(struct strmap *m)
{
	if (!m)
		return;
	free(m->index);
	free(m->e);
	free(m->arena);
	free(m);
}
