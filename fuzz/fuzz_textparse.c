// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fuzz_textparse.c - libFuzzer target for what operators type
 * (common/textparse.c): prefixes, durations, bounded integers.
 *
 * Input: the first byte picks the bounds given to xw_uint_parse(), the
 * rest is the text, given to every parser. Invariants beyond "no
 * sanitizer report":
 *   - an accepted prefix has no host bits, formats to text that parses
 *     back to the same prefix, and contains itself;
 *   - a refusal always says why;
 *   - an accepted duration fits the nanoseconds the callers convert it to;
 *   - an accepted integer lies within the bounds asked for.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "textparse.h"

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "fuzz_textparse: %s:%d: %s\n",      \
				__FILE__, __LINE__, #cond);                  \
			abort();                                            \
		}                                                           \
	} while (0)

static void prefix(const char *text)
{
	struct xw_prefix p, q;
	char err[256] = "", buf[XW_PREFIX_STRLEN];
	unsigned int max;

	if (xw_prefix_parse(text, &p, err, sizeof(err))) {
		CHECK(err[0]);
		return;
	}
	CHECK(p.family == AF_INET || p.family == AF_INET6);
	max = p.family == AF_INET ? 32 : 128;
	CHECK(p.len <= max);
	for (unsigned int bit = p.len; bit < 128; bit++)
		CHECK(!(p.addr[bit / 8] & (0x80 >> (bit % 8))));
	xw_prefix_format(&p, buf, sizeof(buf));
	if (xw_prefix_parse(buf, &q, err, sizeof(err))) {
		fprintf(stderr, "fuzz_textparse: '%s' formats as '%s': %s\n",
			text, buf, err);
		abort();
	}
	CHECK(!memcmp(&p, &q, sizeof(p)));
	CHECK(xw_prefix_contains(&p, &q));
	CHECK(xw_prefix_is_all(&p) == (p.len == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t bounds[][2] = {
		{ 0, UINT64_MAX }, { 1, 65535 }, { 0, 0 }, { 64, 1048576 },
		{ 1, 31536000 }, { UINT64_MAX - 1, UINT64_MAX },
	};
	const uint64_t *b;
	char *text, err[256];
	uint64_t v;

	if (!size)
		return 0;
	b = bounds[data[0] % (sizeof(bounds) / sizeof(bounds[0]))];
	text = malloc(size);
	if (!text)
		abort();
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';

	prefix(text);
	err[0] = '\0';
	if (!xw_duration_parse(text, &v, err, sizeof(err)))
		CHECK(v <= UINT64_MAX / 1000000000ULL);
	else
		CHECK(err[0]);
	err[0] = '\0';
	if (!xw_uint_parse(text, b[0], b[1], &v, err, sizeof(err)))
		CHECK(v >= b[0] && v <= b[1]);
	else
		CHECK(err[0]);
	free(text);
	return 0;
}
