// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fuzz_dconfig.c - libFuzzer target for the detector's configuration
 * (detector/dconfig.c): its option table over libconfig text
 * (xw_dconfig_load_string), then xw_dconfig_finish(), which compiles the
 * threshold groups, their prefixes and the allowlist from what the rows
 * let through, then a lookup of the group of a few destinations.
 *
 * kafka.bootstrap.servers is set before the text is loaded (the text may
 * override it), so finish() gets past that check to the group building.
 * Invariants beyond "no sanitizer report": a refusal says why; after a
 * finish() that succeeded, the groups, prefixes and allowlist are within
 * their arrays, every prefix points at a group that exists, and the group
 * of any destination is one of them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dconfig.h"

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "fuzz_dconfig: %s:%d: %s\n",        \
				__FILE__, __LINE__, #cond);                  \
			abort();                                            \
		}                                                           \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct xw_dkey keys[] = {
		{ 4, 32, { 203, 0, 113, 9 } },
		{ 4, 24, { 198, 51, 100 } },
		{ 6, 128, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } },
		{ 6, 0, { 0 } },
	};
	struct xw_dconfig *c = malloc(sizeof(*c));
	char *text = malloc(size + 1), err[512] = "";
	int ret;

	if (!c || !text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	xw_dconfig_defaults(c);
	CHECK(xw_dconfig_set(c, "kafka.bootstrap.servers=127.0.0.1:9092", err,
			     sizeof(err)) == 0);
	ret = xw_dconfig_load_string(c, text, "fuzz.cfg", err, sizeof(err));
	CHECK(!ret || (ret < 0 && err[0]));
	if (!ret) {
		err[0] = '\0';
		ret = xw_dconfig_finish(c, err, sizeof(err));
		CHECK(!ret || (ret < 0 && err[0]));
	}
	if (!ret) {
		CHECK(c->ngroups >= 1 && c->ngroups <= XW_GROUPS_MAX);
		CHECK(c->nprefixes <= XW_CFG_LIST_MAX &&
		      c->nallow <= XW_CFG_LIST_MAX);
		for (unsigned int i = 0; i < c->nprefixes; i++)
			CHECK(c->prefix_group[i] < c->ngroups);
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			CHECK(xw_dconfig_group_of(c, &keys[i]) < c->ngroups);
	}
	free(text);
	free(c);
	return 0;
}
