// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* textparse.c - see textparse.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "textparse.h"

int xw_uint_parse(const char *text, uint64_t min, uint64_t max, uint64_t *v,
		  char *err, size_t errlen)
{
	unsigned long long n;
	char *end;

	/* strtoull would skip blanks and then take a sign: " -1" wraps. */
	if (!text || *text < '0' || *text > '9')
		return xw_err(err, errlen, -EINVAL, "'%s' is not a number", text ? text : "");
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno || *end)
		return xw_err(err, errlen, -EINVAL, "'%s' is not a number", text);
	if (n < min || n > max)
		return xw_err(err, errlen, -EINVAL, "%llu is out of range [%llu, %llu]", n,
			    (unsigned long long)min, (unsigned long long)max);
	*v = n;
	return 0;
}

int xw_duration_parse(const char *text, uint64_t *seconds, char *err,
		      size_t errlen)
{
	unsigned long long n, unit = 1;
	char *end;

	if (!text || *text < '0' || *text > '9')
		return xw_err(err, errlen, -EINVAL,
			    "'%s' is not a duration (e.g. 30, 90s, 5m, 2h, 1d)",
			    text ? text : "");
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno)
		return xw_err(err, errlen, -EINVAL, "'%s' is too large", text);
	if (*end) {
		switch (*end) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: end = NULL; break;
		}
		if (!end || end[1])
			return xw_err(err, errlen, -EINVAL,
				    "'%s' is not a duration (e.g. 30, 90s, 5m, 2h, 1d)",
				    text);
	}
	if (n > UINT64_MAX / unit / 1000000000ULL)
		return xw_err(err, errlen, -EINVAL, "'%s' is too large", text);
	*seconds = n * unit;
	return 0;
}

int xw_prefix_parse(const char *text, struct xw_prefix *p, char *err,
		    size_t errlen)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash;
	unsigned int max;
	uint64_t len;
	size_t alen;

	memset(p, 0, sizeof(*p));
	if (!text || !*text)
		return xw_err(err, errlen, -EINVAL, "empty prefix");
	slash = strchr(text, '/');
	alen = slash ? (size_t)(slash - text) : strlen(text);
	if (alen >= sizeof(addr))
		return xw_err(err, errlen, -EINVAL, "'%s' is not an IP address or prefix", text);
	memcpy(addr, text, alen);
	addr[alen] = '\0';

	if (inet_pton(AF_INET, addr, p->addr) == 1) {
		p->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, p->addr) == 1) {
		p->family = AF_INET6;
		max = 128;
	} else {
		return xw_err(err, errlen, -EINVAL, "'%s' is not an IP address or prefix", text);
	}

	len = max;
	if (slash && xw_uint_parse(slash + 1, 0, max, &len, NULL, 0))
		return xw_err(err, errlen, -EINVAL, "'%s': prefix length must be 0..%u", text,
			    max);
	p->len = (uint8_t)len;

	/* Host bits set usually means a typo in the length: refuse, don't guess. */
	for (unsigned int bit = p->len; bit < max; bit++) {
		if (p->addr[bit / 8] & (0x80 >> (bit % 8))) {
			struct xw_prefix fixed = *p;
			char buf[XW_PREFIX_STRLEN];

			for (unsigned int b = p->len; b < max; b++)
				fixed.addr[b / 8] &= ~(0x80 >> (b % 8));
			return xw_err(err, errlen, -EINVAL,
				    "'%s' has host bits set; did you mean %s?",
				    text, xw_prefix_format(&fixed, buf, sizeof(buf)));
		}
	}
	return 0;
}

const char *xw_prefix_format(const struct xw_prefix *p, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family, p->addr, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	snprintf(buf, len, "%s/%u", addr, p->len);
	return buf;
}

bool xw_prefix_is_all(const struct xw_prefix *p)
{
	return p->len == 0;
}

bool xw_prefix_contains(const struct xw_prefix *outer,
			const struct xw_prefix *inner)
{
	if (outer->family != inner->family || outer->len > inner->len)
		return false;
	for (unsigned int bit = 0; bit < outer->len; bit++) {
		uint8_t mask = 0x80 >> (bit % 8);

		if ((outer->addr[bit / 8] ^ inner->addr[bit / 8]) & mask)
			return false;
	}
	return true;
}
