/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * bench_util.h - what every xw-bench-* program does the same way: its
 * option table, signals, clocks, CPU pinning and min/median/max over runs.
 *
 *   bench_opts__parse(cli, o, argc, argv)
 *       fill struct o from the command line by the table cli->opts (one
 *       row per option: name, key, type, offset in o, bounds, default,
 *       help): integer defaults and string defaults first, then getopt_long;
 *       0 to go on, 1 when --help was printed, -EINVAL on bad usage
 *       (reported on stderr, prefixed with cli->prog)
 *   bench_usage(cli, f)
 *       "Usage: <prog> [options]", cli->about, then a line per row
 *   bench_signals__install()
 *       SIGINT, SIGTERM and SIGHUP set bench_stop, without SA_RESTART so
 *       a blocking call (a test run, a wait) ends with EINTR
 *   bench_now_ns(), bench_now_s(), bench_clock_s(id), bench_sleep_us(us)
 *       CLOCK_MONOTONIC in ns or s, any clock in s, nanosleep
 *   bench_pin_self(cpu)
 *       the calling thread on that CPU only; 0 or -errno
 *   bench_spread_of(v, n)
 *       min, median (mean of the middle two for even n) and max of v[0..n)
 *       (n <= BENCH_SPREAD_MAX); NaN each for n == 0. bench_cmp_double is
 *       its qsort order, for callers that sort for percentiles.
 */
#ifndef XW_BENCH_UTIL_H
#define XW_BENCH_UTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* Set from the signal handler; long loops give up with -EINTR. */
extern volatile sig_atomic_t bench_stop;

/* ---- options: one row per option, --help and bounds come from here ---- */

enum bench_opt_type {
	BENCH_OPT_INT, /* long long, in [min, max], default def */
	BENCH_OPT_STR, /* const char *, default sdef */
	BENCH_OPT_FLAG, /* bool, set when given */
	BENCH_OPT_HELP, /* prints bench_usage to stdout */
	BENCH_OPT_OTHER, /* takes an argument; cli->other stores it */
};

struct bench_opt {
	const char *name;
	int key;
	enum bench_opt_type type;
	size_t off; /* of the field in the program's options struct */
	long long def, min, max;
	const char *sdef;
	const char *arg; /* the argument's name in --help */
	const char *help;
};

struct bench_cli {
	const char *prog; /* for "Usage:" and error messages */
	const char *about; /* after the Usage line, ends with a blank line */
	const struct bench_opt *opts;
	size_t nopts;
	int width; /* of the "-k, --name ARG" column in --help */
	bool show_sdef; /* " [default S]" after a string option with one */
	/* Stores a BENCH_OPT_OTHER argument; 0 or -EINVAL (reported). */
	int (*other)(void *o, const struct bench_opt *r, const char *arg);
};

#define BENCH_OPTS_N(rows) (sizeof(rows) / sizeof((rows)[0]))

void bench_usage(const struct bench_cli *cli, FILE *f);
int bench_opts__parse(const struct bench_cli *cli, void *o, size_t size,
		      int argc, char **argv);

/* ---- signals, clocks, CPUs ---- */

void bench_signals__install(void);
uint64_t bench_now_ns(void);
double bench_clock_s(clockid_t id);
double bench_now_s(void);
void bench_sleep_us(long us);
int bench_pin_self(int cpu);

/* ---- min/median/max over runs ---- */

#define BENCH_SPREAD_MAX 128

struct bench_spread {
	double min, med, max;
};

int bench_cmp_double(const void *a, const void *b);
struct bench_spread bench_spread_of(const double *v, size_t n);

#endif /* XW_BENCH_UTIL_H */
