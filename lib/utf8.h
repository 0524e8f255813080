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
/* Does p start a C1 control character (U+0080 to U+009F: C2 80 to C2 9F
 * in UTF-8), which a terminal may act on as on an escape (U+009B is
 * "ESC [")?  p[0] must be readable, p[1] too when p[0] is not NUL. */
static inline int
utf8_is_c1(const unsigned char *p)
{
	return p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f;
}
/* 1 when s holds a C0 control character (a line break, a tab, an escape),
 * DEL or a C1 control: no id, name, description or reason loy keeps may,
 * it would print as another line or cell, or act on a terminal. */
int utf8_has_control(const char *s);
/* The same for free text (a description, a reason, an attribute), which a
 * quoted CSV cell carries over lines: a tab and a line break (a line feed,
 * or a carriage return and a line feed) are its own, any other control
 * character (an escape, a carriage return alone, DEL, a C1) is not. */
int utf8_text_has_control(const char *s);
/* Does s (NULL: no) hold a C1 control (utf8_is_c1)? */
int utf8_has_c1(const char *s);
/* What a message that a file's value s "has a control character" adds
 * when one is a C1 control, as the quotes and dashes of a Windows-1252
 * file converted as though it were Latin-1 become: " (a C1 control, as
 * ... iconv -f WINDOWS-1252 ...)"; else "". */
const char *utf8_control_hint(const char *s);

#endif
