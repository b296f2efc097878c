/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * errbuf.h - the one way modules hand a caller the sentence behind an
 * error: write it into the caller's buffer (which may be NULL) and return
 * the code, so "return xw_err(err, errlen, -EINVAL, "...", ...);" says
 * both at once. The caller decides whether and where to log it.
 */
#ifndef XW_ERRBUF_H
#define XW_ERRBUF_H

#include <stddef.h>

int xw_err(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* XW_ERRBUF_H */
