/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * testhelp.h - what every unit test includes: cmocka in the order it
 * needs, and a few assertions cmocka 1.1 lacks.
 *
 *   assert_contains(hay, needle)      needle is a substring of hay
 *   assert_not_contains(hay, needle)
 *   XW_ARRAY_SIZE(a)
 */
#ifndef XW_TESTHELP_H
#define XW_TESTHELP_H

/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#define XW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Print both strings on failure: a bare assert_non_null(strstr()) says nothing. */
#define assert_contains(hay, needle)                                          \
	do {                                                                  \
		const char *h_ = (hay), *n_ = (needle);                       \
		if (!h_ || !strstr(h_, n_))                                   \
			fail_msg("expected \"%s\" in \"%s\"", n_,             \
				 h_ ? h_ : "(null)");                         \
	} while (0)

#define assert_not_contains(hay, needle)                                      \
	do {                                                                  \
		const char *h_ = (hay), *n_ = (needle);                       \
		if (h_ && strstr(h_, n_))                                     \
			fail_msg("did not expect \"%s\" in \"%s\"", n_, h_);  \
	} while (0)

#endif /* XW_TESTHELP_H */
