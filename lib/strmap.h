/* strmap: string keys to pointers, in insertion order (open addressing). */
#ifndef LOY_STRMAP_H
#define LOY_STRMAP_H

#include <stddef.h>

struct strmap;

struct strmap *strmap_new(void);
/* The value slot for key s[0..n), created (NULL) if absent; *created says so. */
void **strmap_slot(struct strmap *m, const char *s, size_t n, int *created);
/* The value for key s[0..n), or NULL. */
void *strmap_get(const struct strmap *m, const char *s, size_t n);
/* Add a key with no value: 1 if new, 0 if it was there. */
int strmap_add(struct strmap *m, const char *s, size_t n);
size_t strmap_count(const struct strmap *m);
/* The i-th value in insertion order. */
void *strmap_value(const struct strmap *m, size_t i);
/* Forget every key (values are the caller's to free first). */
void strmap_clear(struct strmap *m);
void strmap_free(struct strmap *m);

#endif
