/* utf8: validate UTF-8 and measure its width in terminal columns. */
#ifndef LOY_UTF8_H
#define LOY_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Offset of the first invalid UTF-8 sequence in s[0..n), or n if none. */
size_t utf8_check(const void *s, size_t n);
/* The code point at s[0..n) in *cp and its length in bytes, or 0 when s
 * starts with a byte that is not valid UTF-8 (or n is 0). */
size_t utf8_decode(const void *s, size_t n, uint32_t *cp);
/* Columns of s[0..n): wide 2, combining 0, anything else (bad bytes) 1. */
size_t utf8_width(const void *s, size_t n);
/* 1 when s holds a C0 control character (a line break, a tab, an escape)
 * or DEL: no id, name, description or reason loy keeps may, it would
 * print as another line or cell, or act on a terminal. */
int utf8_has_control(const char *s);
/* The same for free text (a description, a reason, an attribute), which a
 * quoted CSV cell carries over lines: a tab and a line break (a line feed,
 * or a carriage return and a line feed) are its own, any other control
 * character (an escape, a carriage return alone, DEL) is not. */
int utf8_text_has_control(const char *s);

#endif
