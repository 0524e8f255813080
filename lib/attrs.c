#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrs.h"
#include "diag.h"

static void
skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

static int
hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A JSON string at *p into a new buffer; NULL if malformed. */
static char *
parse_string(const char **p)
{
	const char *s = *p;
	char *out, *w;

	if (*s++ != '"')
		return NULL;
	w = out = loy_xmalloc(strlen(s) * 3 + 1);
	while (*s && *s != '"') {
		unsigned cp;

		if (*s != '\\') {
			*w++ = *s++;
			continue;
		}
		switch (*++s) {
		case '"': case '\\': case '/': *w++ = *s++; continue;
		case 'b': *w++ = '\b'; s++; continue;
		case 'f': *w++ = '\f'; s++; continue;
		case 'n': *w++ = '\n'; s++; continue;
		case 'r': *w++ = '\r'; s++; continue;
		case 't': *w++ = '\t'; s++; continue;
		case 'u':
			cp = 0;
			for (int i = 1; i <= 4; i++) {
				int h = hexval(s[i]);

				if (h < 0)
					goto bad;
				cp = cp * 16 + h;
			}
			s += 5;
			if (cp >= 0xd800 && cp < 0xdc00 && s[0] == '\\' && s[1] == 'u') {
				unsigned lo = 0;

				for (int i = 2; i <= 5; i++) {
					int h = hexval(s[i]);

					if (h < 0)
						goto bad;
					lo = lo * 16 + h;
				}
				if (lo < 0xdc00 || lo > 0xdfff)
					goto bad;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			}
			if (cp < 0x80)
				*w++ = cp;
			else if (cp < 0x800)
				*w++ = 0xc0 | cp >> 6, *w++ = 0x80 | (cp & 0x3f);
			else if (cp < 0x10000)
				*w++ = 0xe0 | cp >> 12, *w++ = 0x80 | ((cp >> 6) & 0x3f),
				    *w++ = 0x80 | (cp & 0x3f);
			else
				*w++ = 0xf0 | cp >> 18, *w++ = 0x80 | ((cp >> 12) & 0x3f),
				    *w++ = 0x80 | ((cp >> 6) & 0x3f), *w++ = 0x80 | (cp & 0x3f);
			continue;
		default:
			goto bad;
		}
	}
	if (*s != '"')
		goto bad;
	*w = '\0';
	*p = s + 1;
	return out;
bad:
	free(out);
	return NULL;
}

static void
add(struct attrs *a, char *key, char *val)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 8;
		a->key = loy_xrealloc(a->key, a->cap * sizeof(*a->key));
		a->val = loy_xrealloc(a->val, a->cap * sizeof(*a->val));
	}
	a->key[a->n] = key;
	a->val[a->n] = val;
	a->n++;
}

int
attrs_parse(struct attrs *a, const char *json)
{
	const char *p = json;

	memset(a, 0, sizeof(*a));
	if (!json || !*json)
		return 0;
	skip_ws(&p);
	if (*p++ != '{')
		return -1;
	skip_ws(&p);
	if (*p == '}')
		return 0;
	for (;;) {
		char *k, *v;

		skip_ws(&p);
		if (!(k = parse_string(&p)))
			return attrs_free(a), -1;
		skip_ws(&p);
		if (*p++ != ':' || (skip_ws(&p), !(v = parse_string(&p)))) {
			free(k);
			return attrs_free(a), -1;
		}
		add(a, k, v);
		skip_ws(&p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p++ != '}')
			return attrs_free(a), -1;
		skip_ws(&p);
		return *p ? (attrs_free(a), -1) : 0;
	}
}

int
attrs_set(struct attrs *a, const char *key, const char *val)
{
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->key[i], key) == 0) {
			if (strcmp(a->val[i], val) == 0)
				return 0;
			free(a->val[i]);
			a->val[i] = loy_xstrdup(val);
			return 1;
		}
	add(a, loy_xstrdup(key), loy_xstrdup(val));
	return 1;
}

int
attrs_unset(struct attrs *a, const char *key)
{
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->key[i], key) == 0) {
			free(a->key[i]);
			free(a->val[i]);
			a->n--;
			memmove(a->key + i, a->key + i + 1, (a->n - i) * sizeof(*a->key));
			memmove(a->val + i, a->val + i + 1, (a->n - i) * sizeof(*a->val));
			return 1;
		}
	return 0;
}

size_t
attrs_put_string(char *buf, size_t at, const char *s)
{
	char *w = buf + at;

	*w++ = '"';
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			*w++ = '\\', *w++ = c;
		else if (c < 0x20)
			w += sprintf(w, "\\u%04x", c);
		else
			*w++ = c;
	}
	*w++ = '"';
	return w - buf;
}

static char *
put_string(char *w, const char *s)
{
	return w + attrs_put_string(w, 0, s);
}

char *
attrs_json(const struct attrs *a)
{
	size_t n = 3;
	char *out, *w;

	if (a->n == 0)
		return NULL;
	for (int i = 0; i < a->n; i++)
		n += 6 * (strlen(a->key[i]) + strlen(a->val[i])) + 6;
	w = out = loy_xmalloc(n);
	*w++ = '{';
	for (int i = 0; i < a->n; i++) {
		if (i)
			*w++ = ',';
		w = put_string(w, a->key[i]);
		*w++ = ':';
		w = put_string(w, a->val[i]);
	}
	*w++ = '}';
	*w = '\0';
	return out;
}

void
attrs_free(struct attrs *a)
{
	for (int i = 0; i < a->n; i++) {
		free(a->key[i]);
		free(a->val[i]);
	}
	free(a->key);
	free(a->val);
	memset(a, 0, sizeof(*a));
}
