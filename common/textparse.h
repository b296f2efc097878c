/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * textparse.h - parsers for what operators type: prefixes, durations,
 * bounded integers. Each returns 0 or -EINVAL and, on error, writes a
 * sentence saying what was wrong into err (may be NULL).
 *
 *   xw_prefix_parse("192.0.2.0/24", &p, err, len)   v4 or v6, host bits
 *                                                  must be zero
 *   xw_prefix_format(&p, buf, len)                  "2001:db8::/32"
 *   xw_prefix_is_all(&p)                            0.0.0.0/0 or ::/0
 *   xw_duration_parse("90s" | "5m" | "2h" | "1d" | "30", &seconds, ...)
 *   xw_uint_parse("123", min, max, &v, ...)
 *   xw_tcp_flags_parse("syn" | "ack" | "rst" | "syn,ack/syn", &mask,
 *                      &value, ...)           a TCP flags qualifier:
 *                                             syn = SYN set, ACK clear;
 *                                             ack = ACK alone of SYN, ACK,
 *                                             RST, FIN; rst = RST set;
 *                                             else MASK/VALUE flag lists
 *                                             (fin syn rst psh ack urg ece
 *                                             cwr; "none" or empty VALUE)
 *   xw_tcp_flags_format(mask, value, buf, len) "syn,ack/syn", the form
 *                                             xw_tcp_flags_parse() reads
 */
#ifndef XW_TEXTPARSE_H
#define XW_TEXTPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xw_prefix {
	int family; /* AF_INET or AF_INET6 */
	uint8_t len; /* prefix length in bits */
	uint8_t addr[16]; /* network order; v4 in the first four bytes */
};

#define XW_PREFIX_STRLEN 64 /* INET6_ADDRSTRLEN + "/128" with room */

int xw_prefix_parse(const char *text, struct xw_prefix *p, char *err,
		    size_t errlen);
const char *xw_prefix_format(const struct xw_prefix *p, char *buf, size_t len);
bool xw_prefix_is_all(const struct xw_prefix *p);
bool xw_prefix_contains(const struct xw_prefix *outer,
			const struct xw_prefix *inner);

int xw_duration_parse(const char *text, uint64_t *seconds, char *err,
		      size_t errlen);
int xw_uint_parse(const char *text, uint64_t min, uint64_t max, uint64_t *v,
		  char *err, size_t errlen);

/* Longest xw_tcp_flags_format() output: all eight flags on both sides. */
#define XW_TCP_FLAGS_STRLEN 72

int xw_tcp_flags_parse(const char *text, uint8_t *mask, uint8_t *value,
		       char *err, size_t errlen);
const char *xw_tcp_flags_format(uint8_t mask, uint8_t value, char *buf,
				size_t len);

#endif /* XW_TEXTPARSE_H */
