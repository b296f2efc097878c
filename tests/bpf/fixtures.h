/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * fixtures.h - addresses and small frame builders the test files share,
 * and the shape of a table row.
 *
 * Outer and inner headers use disjoint addresses so a record that shows
 * the wrong layer cannot pass; TTL and TOS differ between layers for the
 * same reason (OUTER_TTL vs INNER_TTL).
 */
#ifndef XW_TESTS_FIXTURES_H
#define XW_TESTS_FIXTURES_H

#include <linux/bpf.h>

#include "harness.h"
#include "pktgen.h"

#define S4 "198.51.100.7"
#define D4 "203.0.113.9"
#define S6 "2001:db8:1::7"
#define D6 "2001:db8:2::9"
#define IS4 "10.1.1.1" /* inner */
#define ID4 "10.2.2.2"
#define IS6 "fd00:1::a"
#define ID6 "fd00:2::b"

#define OUTER_TTL 64
#define INNER_TTL 33
#define INNER_TOS 0x28

/* A fixture row: build the frame, cut it to .cut bytes (0: whole). */
struct xwt_case {
	const char *desc;
	size_t (*build)(struct pktgen *b);
	uint16_t cut;
	struct xwt_expect expect;
};

/* The fixture tables of test_parse.c and test_truncate.c, as seed packets
 * for the fuzz group (test_fuzz.c). */
const struct xwt_case *xwt_parse_cases(size_t *n);
const struct xwt_case *xwt_truncate_cases(size_t *n);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void eth_ipv4(struct pktgen *b, const char *s, const char *d)
{
	pktgen__eth(b);
	pktgen__ipv4(b, &(struct pg_ipv4){ .saddr = s, .daddr = d });
}

static inline void eth_ipv6(struct pktgen *b, const char *s, const char *d)
{
	pktgen__eth(b);
	pktgen__ipv6(b, &(struct pg_ipv6){ .saddr = s, .daddr = d });
}

/* Inner headers of every tunnel fixture: distinct TTL and TOS. */
static inline void inner_ipv4(struct pktgen *b)
{
	pktgen__ipv4(b, &(struct pg_ipv4){ .saddr = IS4, .daddr = ID4,
					   .ttl = INNER_TTL,
					   .tos = INNER_TOS });
}

static inline void inner_ipv6(struct pktgen *b)
{
	pktgen__ipv6(b, &(struct pg_ipv6){ .saddr = IS6, .daddr = ID6,
					   .hop_limit = INNER_TTL,
					   .tclass = INNER_TOS });
}

#endif /* XW_TESTS_FIXTURES_H */
