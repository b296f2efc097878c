// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * main.c - entry point of the BPF test binary: runs every cmocka group, or
 * the one named on the command line (ctest registers one test per group).
 *
 * Loading the program needs CAP_BPF and CAP_NET_ADMIN (root in practice).
 * Without them the binary exits 77, which ctest reports as skipped rather
 * than passed, so a run without privileges is visible as such.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

#define XWT_SKIP 77

static const struct {
	const char *name;
	int (*run)(void);
} groups[] = {
	{ "parse", xwt_group_parse },
	{ "truncate", xwt_group_truncate },
	{ "rules", xwt_group_rules },
	{ "sampling", xwt_group_sampling },
	{ "fuzz", xwt_group_fuzz },
};

int main(int argc, char **argv)
{
	struct xwt_env *env;
	int err, failed = 0, ran = 0;

	/* One probe load up front: no privileges is a skip, not N failures. */
	err = xwt_env__open(&env);
	if (err == -EPERM || err == -EACCES) {
		fprintf(stderr, "skipped: loading the XDP program needs root "
				"(CAP_BPF, CAP_NET_ADMIN): %s\n",
			strerror(-err));
		return XWT_SKIP;
	}
	if (err) {
		fprintf(stderr, "cannot load the XDP program: %s\n",
			strerror(-err));
		return 1;
	}
	xwt_env__close(env);

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (argc > 1 && strcmp(argv[1], groups[i].name))
			continue;
		failed += groups[i].run();
		ran++;
	}
	if (!ran) {
		fprintf(stderr, "no test group named %s\n", argv[1]);
		return 2;
	}
	return failed ? 1 : 0;
}
