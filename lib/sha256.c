#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

#define ROR(x, n)	(((x) >> (n)) | ((x) << (32 - (n))))
#define CH(x, y, z)	(((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z)	(((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define S0(x)		(ROR(x, 2) ^ ROR(x, 13) ^ ROR(x, 22))
#define S1(x)		(ROR(x, 6) ^ ROR(x, 11) ^ ROR(x, 25))
#define s0(x)		(ROR(x, 7) ^ ROR(x, 18) ^ ((x) >> 3))
#define s1(x)		(ROR(x, 17) ^ ROR(x, 19) ^ ((x) >> 10))

/* One round; the caller rotates the roles of a..h instead of moving values. */
#define ROUND(a, b, c, d, e, f, g, h, i) do {				\
	uint32_t t1_ = (h) + S1(e) + CH(e, f, g) + K[i] + w[(i) & 15];	\
	(d) += t1_;							\
	(h) = t1_ + S0(a) + MAJ(a, b, c);				\
} while (0)

/* Message schedule, kept in a 16-word ring. */
#define SCHED(i)	(w[(i) & 15] += s1(w[((i) - 2) & 15]) +		\
	w[((i) - 7) & 15] + s0(w[((i) - 15) & 15]))

#define ROUND8(i) do {							\
	ROUND(a, b, c, d, e, f, g, h, (i));				\
	ROUND(h, a, b, c, d, e, f, g, (i) + 1);				\
	ROUND(g, h, a, b, c, d, e, f, (i) + 2);				\
	ROUND(f, g, h, a, b, c, d, e, (i) + 3);				\
	ROUND(e, f, g, h, a, b, c, d, (i) + 4);				\
	ROUND(d, e, f, g, h, a, b, c, (i) + 5);				\
	ROUND(c, d, e, f, g, h, a, b, (i) + 6);				\
	ROUND(b, c, d, e, f, g, h, a, (i) + 7);				\
} while (0)

#define SCHED8(i) do {							\
	SCHED(i); SCHED((i) + 1); SCHED((i) + 2); SCHED((i) + 3);	\
	SCHED((i) + 4); SCHED((i) + 5); SCHED((i) + 6); SCHED((i) + 7);	\
} while (0)

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Hash nblk 64-byte blocks at p into the state st. */
static void
blocks(uint32_t st[8], const unsigned char *p, size_t nblk)
{
	uint32_t w[16];
	uint32_t a, b, c, d, e, f, g, h;
	int i;

	for (; nblk > 0; nblk--, p += 64) {
		for (i = 0; i < 16; i++)
			w[i] = be32(p + 4 * i);
		a = st[0];
		b = st[1];
		c = st[2];
		d = st[3];
		e = st[4];
		f = st[5];
		g = st[6];
		h = st[7];
		ROUND8(0);
		ROUND8(8);
		SCHED8(16);
		ROUND8(16);
		SCHED8(24);
		ROUND8(24);
		SCHED8(32);
		ROUND8(32);
		SCHED8(40);
		ROUND8(40);
		SCHED8(48);
		ROUND8(48);
		SCHED8(56);
		ROUND8(56);
		st[0] += a;
		st[1] += b;
		st[2] += c;
		st[3] += d;
		st[4] += e;
		st[5] += f;
		st[6] += g;
		st[7] += h;
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

/*
 * The same compression with the x86 SHA extensions, where the CPU has
 * them: four rounds an instruction pair, the schedule by sha256msg1/2.
 * The state is kept as ABEF and CDGH, the order the instructions want.
 */
__attribute__((target("sha,sse4.1")))
static void
blocks_ni(uint32_t st[8], const unsigned char *p, size_t nblk)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i s0, s1, t, m[16], abef, cdgh, k;
	int g;

	t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&st[0]), 0xb1);	/* CDAB */
	s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&st[4]), 0x1b);	/* EFGH */
	s0 = _mm_alignr_epi8(t, s1, 8);		/* ABEF */
	s1 = _mm_blend_epi16(s1, t, 0xf0);	/* CDGH */
	for (; nblk > 0; nblk--, p += 64) {
		abef = s0;
		cdgh = s1;
		for (g = 0; g < 16; g++) {
			if (g < 4)
				m[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)),
				    bswap);
			else
				m[g] = _mm_sha256msg2_epu32(_mm_add_epi32(
				    _mm_sha256msg1_epu32(m[g - 4], m[g - 3]),
				    _mm_alignr_epi8(m[g - 1], m[g - 2], 4)), m[g - 1]);
			k = _mm_add_epi32(m[g], _mm_loadu_si128((const __m128i *)&K[4 * g]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, k);
			s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(k, 0x0e));
		}
		s0 = _mm_add_epi32(s0, abef);
		s1 = _mm_add_epi32(s1, cdgh);
	}
	t = _mm_shuffle_epi32(s0, 0x1b);	/* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xb1);	/* DCHG */
	_mm_storeu_si128((__m128i *)&st[0], _mm_blend_epi16(t, s1, 0xf0));	/* DCBA */
	_mm_storeu_si128((__m128i *)&st[4], _mm_alignr_epi8(s1, t, 8));	/* HGFE */
}

static int
have_sha_ni(void)
{
	static int have = -1;
	unsigned a, b, c, d;

	if (have < 0) {
		have = __get_cpuid_max(0, NULL) >= 7 && __get_cpuid_count(7, 0, &a, &b, &c, &d) &&
		    (b & (1u << 29)) && __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 19));
		if (getenv("LOY_SHA256_PORTABLE"))
			have = 0;
	}
	return have;
}

static void
compress(uint32_t st[8], const unsigned char *p, size_t nblk)
{
	if (have_sha_ni())
		blocks_ni(st, p, nblk);
	else
		blocks(st, p, nblk);
}
#else
#define compress blocks
#endif

void
sha256_init(struct sha256 *c)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
	};

	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
	c->fill = 0;
}

void
sha256_update(struct sha256 *c, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t take;

	c->len += n;
	if (c->fill > 0) {
		take = 64 - c->fill;
		if (take > n)
			take = n;
		memcpy(c->buf + c->fill, p, take);
		c->fill += take;
		p += take;
		n -= take;
		if (c->fill < 64)
			return;
		compress(c->h, c->buf, 1);
		c->fill = 0;
	}
	if (n >= 64) {
		compress(c->h, p, n / 64);
		p += n & ~(size_t)63;
		n &= 63;
	}
	if (n > 0) {
		memcpy(c->buf, p, n);
		c->fill = n;
	}
}

void
sha256_final(struct sha256 *c, char hex[static 65])
{
	static const char digits[] = "0123456789abcdef";
	uint64_t bits = c->len * 8;
	int i;

	c->buf[c->fill++] = 0x80;
	if (c->fill > 56) {
		memset(c->buf + c->fill, 0, 64 - c->fill);
		compress(c->h, c->buf, 1);
		c->fill = 0;
	}
	memset(c->buf + c->fill, 0, 56 - c->fill);
	for (i = 0; i < 8; i++)
		c->buf[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
	compress(c->h, c->buf, 1);
	for (i = 0; i < 32; i++) {
		unsigned int byte = (c->h[i / 4] >> (24 - 8 * (i % 4))) & 0xff;

		hex[2 * i] = digits[byte >> 4];
		hex[2 * i + 1] = digits[byte & 15];
	}
	hex[64] = '\0';
	c->fill = 0;
}
