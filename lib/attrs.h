/* attrs: a member's extra attributes, kept as one flat JSON object of
 * strings ({"language":"de","newsletter":"yes"}) in members.attrs. */
#ifndef LOY_ATTRS_H
#define LOY_ATTRS_H

#include <stddef.h>

struct attrs {
	char **key, **val;
	int n, cap;
};

/* Parse a JSON object of string values (NULL or "" is empty): 0 or -1. */
int attrs_parse(struct attrs *a, const char *json);
/* Set key to val; 1 if that changed anything, 0 if it was already so. */
int attrs_set(struct attrs *a, const char *key, const char *val);
/* Remove key; 1 if it was there, else 0. */
int attrs_unset(struct attrs *a, const char *key);
/* The JSON text (caller frees), or NULL when there are no attributes. */
char *attrs_json(const struct attrs *a);
void attrs_free(struct attrs *a);
/* Write s as a JSON string at buf[at] (room for 6 bytes a byte, plus 2);
 * returns the offset after it. */
size_t attrs_put_string(char *buf, size_t at, const char *s);

#endif
