/* sha256: streaming SHA-256 (FIPS 180-4), as printed by sha256sum(1). */
#ifndef LOY_SHA256_H
#define LOY_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t	h[8];
	uint64_t	len;		/* bytes hashed so far */
	unsigned char	buf[64];	/* partial block */
	size_t		fill;		/* bytes in buf */
};

/* Start a new digest. */
void sha256_init(struct sha256 *c);
/* Hash n more bytes of data. */
void sha256_update(struct sha256 *c, const void *data, size_t n);
/* Finish and write the digest as 64 lowercase hex digits and a NUL. */
void sha256_final(struct sha256 *c, char hex[static 65]);

#endif
