/* strset: a set of strings (open addressing), for "seen in this run". */
#ifndef LOY_STRSET_H
#define LOY_STRSET_H

#include <stddef.h>

struct strset;

struct strset *strset_new(void);
/* Add s; 1 if it was new, 0 if it was already there. */
int strset_add(struct strset *set, const char *s, size_t n);
size_t strset_count(const struct strset *set);
void strset_free(struct strset *set);

#endif
