// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* textparse.c - see textparse.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errbuf.h"
#include "textparse.h"
#include "xdpwatch_shared.h"

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

static const struct {
	const char *name;
	uint8_t bit;
} tcp_flag_names[] = {
	{ "fin", XW_TCP_FIN }, { "syn", XW_TCP_SYN }, { "rst", XW_TCP_RST },
	{ "psh", XW_TCP_PSH }, { "ack", XW_TCP_ACK }, { "urg", XW_TCP_URG },
	{ "ece", XW_TCP_ECE }, { "cwr", XW_TCP_CWR },
};

#define NFLAGS (sizeof(tcp_flag_names) / sizeof(tcp_flag_names[0]))

/* "syn,ack" (or "none", or "") into bits; -EINVAL on an unknown name. */
static int tcp_flag_list(const char *text, size_t n, uint8_t *bits,
			 char *err, size_t errlen)
{
	*bits = 0;
	if (n == 4 && !strncasecmp(text, "none", 4))
		return 0;
	while (n) {
		const char *comma = memchr(text, ',', n);
		size_t len = comma ? (size_t)(comma - text) : n;
		size_t i;

		for (i = 0; i < NFLAGS; i++)
			if (len == 3 && !strncasecmp(text, tcp_flag_names[i].name, 3))
				break;
		if (i == NFLAGS)
			return xw_err(err, errlen, -EINVAL,
				      "'%.*s' is not a TCP flag (fin syn rst psh ack urg ece cwr)",
				      (int)len, text);
		*bits |= tcp_flag_names[i].bit;
		if (!comma)
			break;
		n -= len + 1;
		text = comma + 1;
		if (!n)
			return xw_err(err, errlen, -EINVAL,
				      "a TCP flag list ends with a comma");
	}
	return 0;
}

int xw_tcp_flags_parse(const char *text, uint8_t *mask, uint8_t *value,
		       char *err, size_t errlen)
{
	static const struct {
		const char *name;
		uint8_t mask, value;
	} words[] = {
		/* a connection's first packet: what a SYN flood is made of */
		{ "syn", XW_TCP_SYN | XW_TCP_ACK, XW_TCP_SYN },
		/* a bare ACK, as in an ACK flood; not SYN-ACK, RST or FIN */
		{ "ack", XW_TCP_SYN | XW_TCP_ACK | XW_TCP_RST | XW_TCP_FIN,
		  XW_TCP_ACK },
		{ "rst", XW_TCP_RST, XW_TCP_RST },
	};
	const char *slash;
	uint8_t m, v;
	int ret;

	if (!text || !*text)
		return xw_err(err, errlen, -EINVAL,
			      "no TCP flags: say syn, ack, rst or MASK/VALUE");
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (!strcasecmp(text, words[i].name)) {
			*mask = words[i].mask;
			*value = words[i].value;
			return 0;
		}
	}
	slash = strchr(text, '/');
	if (!slash)
		return xw_err(err, errlen, -EINVAL,
			      "'%s': TCP flags are syn, ack, rst or MASK/VALUE flag lists such as syn,ack/syn",
			      text);
	ret = tcp_flag_list(text, (size_t)(slash - text), &m, err, errlen);
	if (!ret)
		ret = tcp_flag_list(slash + 1, strlen(slash + 1), &v, err, errlen);
	if (ret)
		return ret;
	if (!m)
		return xw_err(err, errlen, -EINVAL,
			      "'%s': an empty mask matches every packet; leave the TCP flags out",
			      text);
	if (v & ~m)
		return xw_err(err, errlen, -EINVAL,
			      "'%s': the value names flags outside the mask, so nothing would match",
			      text);
	*mask = m;
	*value = v;
	return 0;
}

static size_t tcp_flag_names_put(uint8_t bits, char *buf, size_t len)
{
	size_t n = 0;

	if (!bits)
		return (size_t)snprintf(buf, len, "none");
	for (size_t i = 0; i < NFLAGS; i++) {
		if (!(bits & tcp_flag_names[i].bit))
			continue;
		n += (size_t)snprintf(buf + (n < len ? n : len),
				      n < len ? len - n : 0, "%s%s", n ? "," : "",
				      tcp_flag_names[i].name);
	}
	return n;
}

const char *xw_tcp_flags_format(uint8_t mask, uint8_t value, char *buf,
				size_t len)
{
	size_t n;

	if (!len)
		return buf;
	n = tcp_flag_names_put(mask, buf, len);
	if (n + 1 < len) {
		buf[n++] = '/';
		tcp_flag_names_put(value, buf + n, len - n);
	}
	return buf;
}
