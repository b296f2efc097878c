/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * log.h - leveled logging to stderr with a subsystem prefix.
 *
 *   pr_err/pr_warn/pr_info/pr_debug(fmt, ...)   printf-style, checked
 *   xw_log_set_level(level)                     drop messages below it
 *   xw_log_level_parse("info")                  name -> level, -EINVAL
 *   xw_log_route_libbpf()                       libbpf's output through here
 *   xw_log_vemit(level, prefix, fmt, ap)        for other libraries' print
 *                                               callbacks (libxdp)
 *
 * The level is checked before anything is formatted.
 */
#ifndef XW_LOG_H
#define XW_LOG_H

#include <stdarg.h>

enum xw_log_level {
	XW_LOG_ERROR = 0,
	XW_LOG_WARN,
	XW_LOG_INFO,
	XW_LOG_DEBUG,
};

extern enum xw_log_level xw_log_threshold;

void xw_log_set_level(enum xw_log_level level);
int xw_log_level_parse(const char *name);
void xw_log_set_program(const char *name);
void xw_log_route_libbpf(void);

void xw_log_emit(enum xw_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void xw_log_vemit(enum xw_log_level level, const char *prefix,
		  const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#define xw_log(level, ...)                                   \
	do {                                                 \
		if ((level) <= xw_log_threshold)             \
			xw_log_emit((level), __VA_ARGS__);   \
	} while (0)

#define pr_err(...) xw_log(XW_LOG_ERROR, __VA_ARGS__)
#define pr_warn(...) xw_log(XW_LOG_WARN, __VA_ARGS__)
#define pr_info(...) xw_log(XW_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) xw_log(XW_LOG_DEBUG, __VA_ARGS__)

#endif /* XW_LOG_H */
