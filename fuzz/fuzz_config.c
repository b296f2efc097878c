// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fuzz_config.c - libFuzzer target for configuration: the collector's real
 * option table (collector/options.c) over text that libconfig parses
 * (xw_config_load_string) or, when the first byte is '!', over the lines
 * after it, each given to xw_config_set() as --set KEY=VALUE would be.
 *
 * Invariants beyond "no sanitizer report": a refused load or override
 * says why; every string, list and kafka value that loading left in the
 * struct is NUL-terminated within its array and inside its bounds, and
 * every integer within its row's [min, max] (what the daemon then trusts
 * without looking again).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "options.h"

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "fuzz_config: %s:%d: %s\n",         \
				__FILE__, __LINE__, #cond);                  \
			abort();                                            \
		}                                                           \
	} while (0)

static void check_cfg(const struct xw_collector_cfg *cfg)
{
	for (const struct xw_opt *o = xw_collector_opts; o->name; o++) {
		const char *f = (const char *)cfg + o->offset;

		switch (o->type) {
		case XW_OPT_INT: {
			int64_t v;

			memcpy(&v, f, sizeof(v));
			CHECK(v >= o->min && v <= o->max);
			break;
		}
		case XW_OPT_STRING:
			CHECK(memchr(f, '\0', XW_CFG_STR_MAX));
			break;
		case XW_OPT_LIST: {
			const struct xw_cfg_list *l = (const void *)f;

			CHECK(l->count <= XW_CFG_LIST_MAX);
			for (unsigned int i = 0; i < l->count; i++)
				CHECK(l->item[i][0] &&
				      memchr(l->item[i], '\0', XW_CFG_ITEM_MAX));
			break;
		}
		case XW_OPT_KV: {
			const struct xw_cfg_kv *kv = (const void *)f;

			CHECK(kv->count <= XW_CFG_KV_MAX);
			for (unsigned int i = 0; i < kv->count; i++)
				CHECK(memchr(kv->key[i], '\0', XW_CFG_KEY_MAX) &&
				      memchr(kv->value[i], '\0', XW_CFG_STR_MAX));
			break;
		}
		default:
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xw_collector_cfg *cfg = malloc(sizeof(*cfg));
	char *text = malloc(size + 1), err[512];
	int ret;

	if (!cfg || !text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	CHECK(xw_config_defaults(xw_collector_opts, cfg) == 0);

	if (size && text[0] == '!') {
		char *save = NULL;

		for (char *line = strtok_r(text + 1, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			err[0] = '\0';
			ret = xw_config_set(xw_collector_opts, cfg, line, err,
					    sizeof(err));
			CHECK(!ret || (ret < 0 && err[0]));
		}
	} else {
		err[0] = '\0';
		ret = xw_config_load_string(xw_collector_opts, cfg, text,
					    "fuzz.cfg", err, sizeof(err));
		CHECK(!ret || (ret < 0 && err[0]));
	}
	check_cfg(cfg);
	free(text);
	free(cfg);
	return 0;
}
