// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_util.c - the helpers the xw-bench-* programs share: option table,
 * signals, clocks, CPU pinning, min/median/max. See bench_util.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"

volatile sig_atomic_t bench_stop;

/* ---- options ---- */

void bench_usage(const struct bench_cli *cli, FILE *f)
{
	fprintf(f, "Usage: %s [options]\n\n%s", cli->prog, cli->about);
	for (size_t i = 0; i < cli->nopts; i++) {
		const struct bench_opt *r = &cli->opts[i];
		char left[40];

		snprintf(left, sizeof(left), "-%c, --%s%s%s", r->key, r->name,
			 r->arg ? " " : "", r->arg ? r->arg : "");
		fprintf(f, "  %-*s %s", cli->width, left, r->help);
		if (r->type == BENCH_OPT_INT)
			fprintf(f, " [%lld..%lld, default %lld]", r->min,
				r->max, r->def);
		else if (r->type == BENCH_OPT_STR && r->sdef && cli->show_sdef)
			fprintf(f, " [default %s]", r->sdef);
		fputc('\n', f);
	}
}

static const struct bench_opt *opt_find(const struct bench_cli *cli, int key)
{
	const struct bench_opt *r = NULL;

	for (size_t i = 0; i < cli->nopts; i++)
		if (cli->opts[i].key == key)
			r = &cli->opts[i];
	return r;
}

static int opt_store(const struct bench_cli *cli, void *o,
		     const struct bench_opt *r, const char *arg)
{
	char *at = (char *)o + r->off, *end;
	long long v;

	switch (r->type) {
	case BENCH_OPT_HELP:
		bench_usage(cli, stdout);
		return 1;
	case BENCH_OPT_FLAG:
		*(bool *)at = true;
		return 0;
	case BENCH_OPT_STR:
		*(const char **)at = arg;
		return 0;
	case BENCH_OPT_OTHER:
		return cli->other(o, r, arg);
	case BENCH_OPT_INT:
		errno = 0;
		v = strtoll(arg, &end, 0);
		if (errno || *end || v < r->min || v > r->max) {
			fprintf(stderr,
				"%s: --%s: '%s' is not an integer in "
				"%lld..%lld\n",
				cli->prog, r->name, arg, r->min, r->max);
			return -EINVAL;
		}
		*(long long *)at = v;
		return 0;
	}
	return -EINVAL;
}

int bench_opts__parse(const struct bench_cli *cli, void *o, size_t size,
		      int argc, char **argv)
{
	struct option *lopts = calloc(cli->nopts + 1, sizeof(*lopts));
	char *sopts = calloc(3 * cli->nopts + 1, 1), *s = sopts;
	int c, err = 0;

	if (!lopts || !sopts) {
		fprintf(stderr, "%s: out of memory\n", cli->prog);
		err = -ENOMEM;
		goto out;
	}
	memset(o, 0, size);
	for (size_t i = 0; i < cli->nopts; i++) {
		const struct bench_opt *r = &cli->opts[i];
		bool arg = r->type == BENCH_OPT_INT ||
			   r->type == BENCH_OPT_STR ||
			   r->type == BENCH_OPT_OTHER;

		lopts[i] = (struct option){ r->name, arg ? required_argument :
							 no_argument,
					    NULL, r->key };
		*s++ = (char)r->key;
		if (arg)
			*s++ = ':';
		if (r->type == BENCH_OPT_INT)
			*(long long *)((char *)o + r->off) = r->def;
		else if (r->type == BENCH_OPT_STR)
			*(const char **)((char *)o + r->off) = r->sdef;
	}
	*s = '\0';

	while (!err && (c = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		const struct bench_opt *r = opt_find(cli, c);

		if (!r) {
			bench_usage(cli, stderr);
			err = -EINVAL;
			break;
		}
		err = opt_store(cli, o, r, optarg);
	}
	if (!err && optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", cli->prog,
			argv[optind]);
		err = -EINVAL;
	}
out:
	free(lopts);
	free(sopts);
	return err;
}

/* ---- signals, clocks, CPUs ---- */

static void on_signal(int sig)
{
	bench_stop = 1;
}

void bench_signals__install(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: a signal ends the test-run call or the wait. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

double bench_clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double bench_now_s(void)
{
	return bench_clock_s(CLOCK_MONOTONIC);
}

void bench_sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

int bench_pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* ---- min/median/max ---- */

int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct bench_spread bench_spread_of(const double *v, size_t n)
{
	double s[BENCH_SPREAD_MAX];
	struct bench_spread r = { NAN, NAN, NAN };

	if (!n || n > BENCH_SPREAD_MAX)
		return r;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), bench_cmp_double);
	r.min = s[0];
	r.max = s[n - 1];
	r.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	return r;
}
