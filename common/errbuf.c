// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* errbuf.c - see errbuf.h. */
#include <stdarg.h>
#include <stdio.h>

#include "errbuf.h"

int xw_err(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}
