// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* log.c - see log.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "log.h"

enum xw_log_level xw_log_threshold = XW_LOG_INFO;
static const char *program = "xdpwatch";

static const char *const level_names[] = {
	[XW_LOG_ERROR] = "error",
	[XW_LOG_WARN] = "warn",
	[XW_LOG_INFO] = "info",
	[XW_LOG_DEBUG] = "debug",
};

void xw_log_set_level(enum xw_log_level level)
{
	xw_log_threshold = level;
}

void xw_log_set_program(const char *name)
{
	program = name;
}

int xw_log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (!strcasecmp(name, level_names[i]))
			return (int)i;
	return -EINVAL;
}

/* The format attribute lets the compiler check callers instead of this
 * vfprintf (clang's -Wformat-nonliteral flags it otherwise). */
static __attribute__((format(printf, 3, 0))) void
vlog(enum xw_log_level level, const char *prefix, const char *fmt, va_list ap)
{
	char stamp[32];
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld %s %s: %s", stamp, ts.tv_nsec / 1000000,
		program, level_names[level], prefix);
	vfprintf(stderr, fmt, ap);
	if (!*fmt || fmt[strlen(fmt) - 1] != '\n')
		fputc('\n', stderr);
}

void xw_log_emit(enum xw_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, "", fmt, ap);
	va_end(ap);
}

void xw_log_vemit(enum xw_log_level level, const char *prefix,
		  const char *fmt, va_list ap)
{
	if (level <= xw_log_threshold)
		vlog(level, prefix, fmt, ap);
}

static __attribute__((format(printf, 2, 0))) int
libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum xw_log_level mine = level == LIBBPF_WARN ? XW_LOG_WARN :
				 level == LIBBPF_INFO ? XW_LOG_INFO :
							XW_LOG_DEBUG;

	/* libbpf's info chatter is debug detail for us. */
	if (mine == XW_LOG_INFO)
		mine = XW_LOG_DEBUG;
	if (mine <= xw_log_threshold)
		vlog(mine, "libbpf: ", fmt, ap);
	return 0;
}

void xw_log_route_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
