// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_pipeline.c - xw-bench-pipeline: records per second through the
 * collector's pipeline, from the real XDP program to the real broker.
 *
 * A feed thread, pinned to CPU 1, runs BPF_PROG_TEST_RUN on the xdpwatch
 * program (loaded from its skeleton, attached nowhere; sampling 1:1, the
 * collector's default ring size) with a large repeat, call after call, so
 * the program writes a record per packet into the ring buffer as fast as
 * it can. The main thread, pinned to CPU 0 before anything else starts
 * (librdkafka's threads inherit that affinity), drains the ring with the
 * collector's loop (collector/main.c): poll, consume, counters, batcher
 * tick, producer poll. Two ways for them to meet (enum wake_mode): the
 * collector's (wake-up forced once wakeup_records wait, poll sleeps up to
 * 100 ms) and busy (no forced wake-up, poll never sleeps: the ring stays
 * full and the consumer's own limit shows). Rows:
 *
 *   batch + protobuf alone (no ring)
 *                      xw_batcher__add on copies of one record the program
 *                      wrote, on this thread: the batcher's own ceiling
 *   raw drain          the callback only counts: the drain's limit
 *   drain + batch + protobuf (no Kafka)
 *                      the real xw_batcher (copy, encode) whose producer
 *                      calls the linker routes to a counting sink (--wrap,
 *                      see CMakeLists.txt): batcher.c as it is, without
 *                      librdkafka
 *   end to end, CODEC  xw_batcher + xw_producer to the real broker; the
 *                      figure is records in delivery reports per second
 *   ..., random src    the same with each record's source address and port
 *                      randomised in the callback (busy mode only), for
 *                      what a spoofed flood costs on the wire: the test
 *                      run repeats one frame, whose records differ only in
 *                      their timestamps
 *
 * Bytes per record on the wire are what the broker stores: the growth of
 * the topic's partition logs (<log dir>/<topic>-N/ *.log) over a run,
 * divided by the records delivered in it. CPU time of the collector side
 * (the process minus the feed thread) is measured too: on a shared VM it
 * says how much of CPU 0 the drain actually had.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "batcher.h"
#include "bench_pkts.h"
#include "bench_util.h"
#include "config.h"
#include "counters.h"
#include "kafka.h"
#include "log.h"
#include "pinned.h"
#include "xdpwatch.skel.h"

#define BENCH_MAX_RUNS 51
_Static_assert(BENCH_MAX_RUNS <= BENCH_SPREAD_MAX, "runs fit bench_spread_of");
#define BENCH_MAX_CODECS 4
#define RING_REC_BYTES (sizeof(struct xw_record) + 8) /* + ring header */
#define DRAIN_CPU 0
#define PRODUCER_CPU 1
/* A callback's way out of ring_buffer__poll/consume once it has taken its
 * budget: libbpf 1.1 has no ring_buffer__consume_n, and its consume only
 * returns once it meets the producer (an empty ring, or a record still
 * being written). The record that returns it has been handled already. */
#define DRAIN_BUDGET_HIT (-EAGAIN)
/* The collector's defaults (collector/main.c). */
#define COLLECTOR_POLL_MS 100
#define COLLECTOR_BATCH_RECORDS 8192
#define COLLECTOR_BATCH_BYTES 1000000
#define COLLECTOR_LINGER_MS 100
#define COLLECTOR_COUNTERS_MS 1000
#define BENCH_IFINDEX 1 /* a test run's frames arrive on lo */
#define FLUSH_TIMEOUT_MS 60000

/* ---- options: one row per option, --help and bounds come from here ---- */

struct bench_opts {
	long long duration_s;
	long long warmup_ms;
	long long runs;
	long long records;
	long long repeat;
	long long ringbuf_kib;
	long long wakeup_records;
	long long budget;
	long long broker_pid;
	const char *broker;
	const char *topic;
	const char *compression;
	const char *log_dir;
	const char *family;
	const char *mode;
	struct xw_cfg_kv kafka; /* --kafka PROP=VALUE, after the above */
	bool no_kafka;
	bool no_random;
	bool verbose;
};

#define OFF(f) offsetof(struct bench_opts, f)
static const struct bench_opt opt_rows[] = {
	{ "duration", 'd', BENCH_OPT_INT, OFF(duration_s), 5, 1, 3600, NULL, "S",
	  "seconds measured per run, after the warm-up" },
	{ "warmup", 'w', BENCH_OPT_INT, OFF(warmup_ms), 1000, 0, 60000, NULL, "MS",
	  "milliseconds of each run not measured" },
	{ "runs", 'n', BENCH_OPT_INT, OFF(runs), 3, 1, BENCH_MAX_RUNS, NULL, "N",
	  "runs per row, interleaved; the table gives their median" },
	{ "records", 'c', BENCH_OPT_INT, OFF(records), 0, 0, LLONG_MAX, NULL, "N",
	  "end a run's measured part after N records drained (0: --duration only)" },
	{ "repeat", 'r', BENCH_OPT_INT, OFF(repeat), 50000000, 1, INT_MAX, NULL, "N",
	  "packets per BPF_PROG_TEST_RUN call of the producing thread" },
	{ "ringbuf-kib", 'R', BENCH_OPT_INT, OFF(ringbuf_kib), 4096, 64, 1048576, NULL,
	  "KIB", "ring buffer size (the collector's ringbuf_kib)" },
	{ "wakeup-records", 'W', BENCH_OPT_INT, OFF(wakeup_records), 64, 1, 65536,
	  NULL, "N", "wake the drain once N records wait (the collector's wakeup_records)" },
	{ "budget", 'B', BENCH_OPT_INT, OFF(budget), 1 << 20, 1, INT_MAX, NULL, "N",
	  "records per ring_buffer__poll/consume call at most (the collector has no bound)" },
	{ "broker-pid", 'p', BENCH_OPT_INT, OFF(broker_pid), 0, 0, INT_MAX, NULL, "PID",
	  "the broker's process, to report its CPU time (0: not reported)" },
	{ "broker", 'b', BENCH_OPT_STR, OFF(broker), 0, 0, 0, "127.0.0.1:19292",
	  "HOST:PORT", "bootstrap.servers of the broker" },
	{ "topic", 't', BENCH_OPT_STR, OFF(topic), 0, 0, 0, "xdpwatch.features.v1",
	  "NAME", "topic the end-to-end rows produce to (must exist)" },
	{ "compression", 'z', BENCH_OPT_STR, OFF(compression), 0, 0, 0, "lz4,zstd",
	  "LIST", "compression.type of each end-to-end row, comma-separated" },
	{ "log-dir", 'L', BENCH_OPT_STR, OFF(log_dir), 0, 0, 0, NULL, "DIR",
	  "the broker's log.dirs, for bytes per record as stored (no figure without it)" },
	{ "family", 'f', BENCH_OPT_STR, OFF(family), 0, 0, 0, "both", "F",
	  "v4, v6 or both" },
	{ "mode", 'm', BENCH_OPT_STR, OFF(mode), 0, 0, 0, "both", "M",
	  "collector (its wake-ups, poll 100 ms), busy (no wake-ups, poll 0) or both" },
	{ "kafka", 'k', BENCH_OPT_OTHER, OFF(kafka), 0, 0, 0, NULL, "PROP=VALUE",
	  "a librdkafka property for the end-to-end rows (repeatable)" },
	{ "no-kafka", 'K', BENCH_OPT_FLAG, OFF(no_kafka), 0, 0, 0, NULL, NULL,
	  "skip the end-to-end rows: no broker needed" },
	{ "no-random-src", 'S', BENCH_OPT_FLAG, OFF(no_random), 0, 0, 0, NULL, NULL,
	  "skip the random-source end-to-end rows" },
	{ "verbose", 'v', BENCH_OPT_FLAG, OFF(verbose), 0, 0, 0, NULL, NULL,
	  "log libbpf's and librdkafka's detail" },
	{ "help", 'h', BENCH_OPT_HELP, 0, 0, 0, 0, NULL, NULL, "this text" },
};

/* --kafka PROP=VALUE: one more property in o->kafka. */
static int opt_kv(void *o, const struct bench_opt *r, const char *arg)
{
	struct xw_cfg_kv *kv = (void *)((char *)o + r->off);
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || kv->count >= XW_CFG_KV_MAX ||
	    (size_t)(eq - arg) >= XW_CFG_KEY_MAX ||
	    strlen(eq + 1) >= XW_CFG_STR_MAX) {
		fprintf(stderr,
			"xw-bench-pipeline: --%s: '%s' is not "
			"PROP=VALUE (or too many, or too long)\n",
			r->name, arg);
		return -EINVAL;
	}
	snprintf(kv->key[kv->count], XW_CFG_KEY_MAX, "%.*s",
		 (int)(eq - arg), arg);
	snprintf(kv->value[kv->count], XW_CFG_STR_MAX, "%s", eq + 1);
	kv->count++;
	return 0;
}

static const struct bench_cli cli = {
	.prog = "xw-bench-pipeline",
	.about = "Records per second from xdpwatch's XDP program (BPF_PROG_TEST_RUN\n"
		 "on CPU 1, sampling 1:1) through the collector's drain, batcher and\n"
		 "Kafka producer (CPU 0) to a real broker, beside the raw drain rate;\n"
		 "bytes per record as the broker stores them. Needs root (CAP_BPF,\n"
		 "CAP_SYS_ADMIN), two CPUs and, for the end-to-end rows, a broker:\n"
		 "bench/run-pipeline.sh starts one.\n\n",
	.opts = opt_rows,
	.nopts = BENCH_OPTS_N(opt_rows),
	.width = 28,
	.show_sdef = true,
	.other = opt_kv,
};

/* 0: go on; 1: --help printed; -EINVAL: bad usage, already reported. */
static int opts__parse(struct bench_opts *o, int argc, char **argv)
{
	int err = bench_opts__parse(&cli, o, sizeof(*o), argc, argv);

	if (err)
		return err;
	if (strcmp(o->family, "v4") && strcmp(o->family, "v6") &&
	    strcmp(o->family, "both")) {
		fprintf(stderr, "xw-bench-pipeline: --family: v4, v6 or both\n");
		return -EINVAL;
	}
	if (strcmp(o->mode, "collector") && strcmp(o->mode, "busy") &&
	    strcmp(o->mode, "both")) {
		fprintf(stderr,
			"xw-bench-pipeline: --mode: collector, busy or both\n");
		return -EINVAL;
	}
	if (o->ringbuf_kib & (o->ringbuf_kib - 1)) {
		fprintf(stderr,
			"xw-bench-pipeline: --ringbuf-kib: a power of two\n");
		return -EINVAL;
	}
	return 0;
}

/* ---- the "no Kafka" sink ---- */

/*
 * The linker routes every call to xw_producer__produce/__stats here
 * (-Wl,--wrap, CMakeLists.txt). Calls on the sink's own address stop here,
 * counted; calls on a real producer go on to kafka.c, their bytes counted
 * too (protobuf as packed, before compression). batcher.c is unchanged.
 */
static struct {
	struct xw_producer_stats stats;
} null_sink;
#define NULL_SINK ((struct xw_producer *)&null_sink)

static uint64_t produced_bytes; /* every message handed to a producer */

int __real_xw_producer__produce(struct xw_producer *p, const void *key,
				size_t keylen, const void *buf, size_t len,
				uint32_t records,
				const struct xw_kafka_header *hdrs,
				size_t nhdrs);
int __wrap_xw_producer__produce(struct xw_producer *p, const void *key,
				size_t keylen, const void *buf, size_t len,
				uint32_t records,
				const struct xw_kafka_header *hdrs,
				size_t nhdrs);
const struct xw_producer_stats *
__real_xw_producer__stats(struct xw_producer *p);
const struct xw_producer_stats *
__wrap_xw_producer__stats(struct xw_producer *p);

int __wrap_xw_producer__produce(struct xw_producer *p, const void *key,
				size_t keylen, const void *buf, size_t len,
				uint32_t records,
				const struct xw_kafka_header *hdrs,
				size_t nhdrs)
{
	int err;

	if (p == NULL_SINK) {
		null_sink.stats.msgs_produced++;
		null_sink.stats.records_produced += records;
		null_sink.stats.msgs_delivered++;
		null_sink.stats.records_delivered += records;
		produced_bytes += len;
		return 0;
	}
	err = __real_xw_producer__produce(p, key, keylen, buf, len, records,
					  hdrs, nhdrs);
	if (!err)
		produced_bytes += len;
	return err;
}

const struct xw_producer_stats *__wrap_xw_producer__stats(struct xw_producer *p)
{
	return p == NULL_SINK ? &null_sink.stats : __real_xw_producer__stats(p);
}

/* ---- the producing thread: BPF_PROG_TEST_RUN, call after call ---- */

struct bpf_feed {
	int prog_fd;
	const struct bench_pkt *pkt;
	int repeat;
	pthread_t tid;
	atomic_int stop, done;
	int err;
	unsigned long long calls;
};

static void on_sigusr1(int sig)
{
	/* Only to make the test run return -EINTR. */
}

static void *feed_main(void *arg)
{
	struct bpf_feed *f = arg;
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = f->pkt->data,
		    .data_size_in = f->pkt->len, .repeat = f->repeat);
	int err;

	f->err = bench_pin_self(PRODUCER_CPU);
	if (f->err)
		goto out;
	while (!atomic_load(&f->stop)) {
		/* The kernel checks for signals between packets: stop is
		 * seen within one packet of SIGUSR1. */
		err = bpf_prog_test_run_opts(f->prog_fd, &t);
		if (err && err != -EINTR) {
			f->err = err;
			break;
		}
		f->calls++;
	}
out:
	atomic_store(&f->done, 1);
	return NULL;
}

static int feed__start(struct bpf_feed *f)
{
	int err;

	atomic_store(&f->stop, 0);
	atomic_store(&f->done, 0);
	f->err = 0;
	f->calls = 0;
	err = pthread_create(&f->tid, NULL, feed_main, f);
	return -err;
}

static int feed__stop(struct bpf_feed *f)
{
	atomic_store(&f->stop, 1);
	/* Again and again: one sent just before the thread enters the
	 * syscall would be missed and leave a whole repeat to run. */
	while (!atomic_load(&f->done)) {
		pthread_kill(f->tid, SIGUSR1);
		usleep(1000);
	}
	pthread_join(f->tid, NULL);
	return f->err;
}

/* ---- rows and their runs ---- */

enum row_kind { ROW_ALONE, ROW_RAW, ROW_BATCH, ROW_E2E };

/*
 * How producer and consumer meet. MODE_COLLECTOR: the program forces a
 * wake-up once wakeup_records wait, the loop sleeps in poll up to 100 ms
 * when the ring is empty: the collector as configured. MODE_BUSY: the
 * program never forces a wake-up (BPF_RB_NO_WAKEUP) and the loop never
 * sleeps (poll timeout 0): the ring stays full, the consumer's own limit.
 */
enum wake_mode { MODE_COLLECTOR, MODE_BUSY, MODE_NONE, MODE_COUNT };
static const char *const mode_names[MODE_COUNT] = { "collector", "busy",
						    "no ring" };

struct sample {
	double rate; /* the row's figure: drained/s, or delivered/s end to end */
	double secs; /* the measured window */
	double drained_rate, offered_rate, turns_rate;
	/* CPU seconds in the window of everything but the feed thread: the
	 * drain thread and librdkafka's threads, all on DRAIN_CPU. */
	double cpu_side;
	double cpu_share; /* cpu_side / secs */
	double feed_share; /* the feed thread's CPU time / secs */
	double broker_share; /* the broker's CPU time / secs, -1 unknown */
	double rate_per_cpu; /* the row's figure per CPU second of cpu_side */
	uint64_t written, lost_ring, drained; /* whole run */
	uint64_t produced_msgs, produced_recs, produced_bytes;
	uint64_t delivered, queue_full, failed;
	int64_t log_bytes; /* -1: not measured */
	int flush_err;
};

struct row {
	enum row_kind kind;
	int fam; /* index into fams[] */
	int codec; /* ROW_E2E: index into codecs[] */
	int mode; /* enum wake_mode */
	bool random_src;
	char label[56];
	struct sample s[BENCH_MAX_RUNS];
	int n;
	int err;
};

struct fam {
	int family;
	const char *name;
	struct bench_pkt pkt;
	struct xw_record rec; /* one the program wrote, for ROW_ALONE */
};

struct codec {
	char name[16];
	struct xw_producer *p;
	int err;
	char why[256];
};

#define MAX_ROWS (2 * (1 + 2 * (2 + 2 * BENCH_MAX_CODECS)))
static struct row rows[MAX_ROWS];
static size_t nrows;
static struct fam fams[2];
static struct codec codecs[BENCH_MAX_CODECS];
static size_t ncodecs;

struct drain {
	uint64_t drained;
	uint64_t in_call, budget;
	bool more; /* the last consume stopped at its budget */
	struct xw_batcher *batcher;
	uint64_t rng;
};

static uint64_t xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int on_record_count(void *ctx, void *data, size_t size)
{
	struct drain *d = ctx;

	d->drained++;
	return ++d->in_call >= d->budget ? DRAIN_BUDGET_HIT : 0;
}

/* As the collector's on_record (output 'none'): copy into the batch. */
static int on_record_batch(void *ctx, void *data, size_t size)
{
	struct drain *d = ctx;

	d->drained++;
	if (size >= sizeof(struct xw_record))
		xw_batcher__add(d->batcher, data);
	return ++d->in_call >= d->budget ? DRAIN_BUDGET_HIT : 0;
}

/* The same, with a random source address (v4: all of it; v6: the low 64
 * bits) and source port, as a spoofed SYN flood would have. */
static int on_record_random(void *ctx, void *data, size_t size)
{
	struct drain *d = ctx;
	struct xw_record r;

	d->drained++;
	if (size >= sizeof(r)) {
		uint64_t x = xorshift64(&d->rng);

		memcpy(&r, data, sizeof(r));
		if (r.ip_ver == 4)
			memcpy(r.saddr, &x, 4);
		else
			memcpy(r.saddr + 8, &x, 8);
		x = xorshift64(&d->rng);
		r.sport = (uint16_t)x;
		xw_batcher__add(d->batcher, &r);
	}
	return ++d->in_call >= d->budget ? DRAIN_BUDGET_HIT : 0;
}

static int on_record_discard(void *ctx, void *data, size_t size)
{
	return 0;
}

/* CPU seconds of a process (utime + stime), or -1. */
static double proc_cpu_s(long long pid)
{
	unsigned long long ut, st;
	char path[64], buf[1024], *p;
	FILE *f;
	int n;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%lld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	/* After the command's closing parenthesis: state is field 3,
	 * utime 14 and stime 15. */
	p = p ? strrchr(buf, ')') : NULL;
	if (!p)
		return -1;
	n = sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		   &ut, &st);
	return n == 2 ? (double)(ut + st) / sysconf(_SC_CLK_TCK) : -1;
}

static uint64_t event_sum(int fd, uint32_t ev)
{
	uint64_t v = 0;

	if (xw_percpu_u64_sum(fd, ev, &v))
		pr_warn("cannot read event counter %u", ev);
	return v;
}

/* Bytes in the topic's partition logs under dir: <topic>-N/ *.log. */
static int64_t log_bytes(const char *dir, const char *topic)
{
	size_t tlen = strlen(topic);
	struct dirent *e;
	int64_t sum = 0;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char path[PATH_MAX];
		struct dirent *f;
		DIR *pd;

		if (strncmp(e->d_name, topic, tlen) || e->d_name[tlen] != '-' ||
		    !e->d_name[tlen + 1] ||
		    strspn(e->d_name + tlen + 1, "0123456789") !=
			    strlen(e->d_name + tlen + 1))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		pd = opendir(path);
		if (!pd)
			continue;
		while ((f = readdir(pd))) {
			size_t n = strlen(f->d_name);
			char fp[PATH_MAX + 256];
			struct stat st;

			if (n < 5 || strcmp(f->d_name + n - 4, ".log"))
				continue;
			snprintf(fp, sizeof(fp), "%s/%s", path, f->d_name);
			if (!stat(fp, &st))
				sum += st.st_size;
		}
		closedir(pd);
	}
	closedir(d);
	return sum;
}

struct bench {
	const struct bench_opts *o;
	struct xdpwatch *skel;
	struct xw_maps maps; /* the skeleton's, for xw_counters__read */
	int prog_fd, records_fd, events_fd;
};

/* Empty the ring (the feed is stopped): a run starts from nothing. */
static int ring_empty(const struct bench *b)
{
	struct ring_buffer *rb = ring_buffer__new(b->records_fd,
						  on_record_discard, NULL, NULL);
	int err;

	if (!rb)
		return -errno;
	err = ring_buffer__consume(rb);
	ring_buffer__free(rb);
	return err < 0 ? err : 0;
}

/*
 * One poll + consume, as the collector's loop does, each call taking at
 * most a budget of records. The collector's consume drains until the ring
 * is empty; here a consume that stopped at its budget left records behind,
 * so the next poll does not sleep either (timeout 0).
 */
static int drain_turn(struct ring_buffer *rb, struct drain *d, int timeout)
{
	int err;

	d->in_call = 0;
	err = ring_buffer__poll(rb, d->more ? 0 : timeout);
	if (err >= 0 || err == -EINTR || err == DRAIN_BUDGET_HIT) {
		d->in_call = 0;
		err = ring_buffer__consume(rb);
	}
	d->more = err == DRAIN_BUDGET_HIT;
	if (err == DRAIN_BUDGET_HIT || err == -EINTR)
		return 0;
	return err < 0 ? err : 0;
}

/* Attach the exact counters to the next batch, as the collector does. */
static void counters_attach(const struct bench *b, struct xw_counters_pb *pb,
			    Xdpwatch__V1__InterfaceCounters **ptr,
			    struct xw_batcher *batcher)
{
	struct xw_counters c;

	if (xw_counters__read(&b->maps, &c))
		return;
	xw_counters__to_pb(&c, BENCH_IFINDEX, "lo", pb);
	*ptr = &pb->ic;
	xw_batcher__set_counters(batcher, ptr, 1,
				 c.events[XW_EV_RECORD_LOST_RINGBUF_FULL]);
}

static int on_record_copy(void *ctx, void *data, size_t size)
{
	if (size >= sizeof(struct xw_record))
		memcpy(ctx, data, sizeof(struct xw_record));
	return 0;
}

/* One record of the family's frame, as the program writes it. */
static int record_template(const struct bench *b, struct fam *f)
{
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = f->pkt.data,
		    .data_size_in = f->pkt.len, .repeat = 1);
	struct ring_buffer *rb;
	int err;

	err = ring_empty(b);
	if (!err)
		err = xw_config__write(b->maps.config, 1, UINT32_MAX);
	if (!err)
		err = bpf_prog_test_run_opts(b->prog_fd, &t);
	if (err)
		return err;
	rb = ring_buffer__new(b->records_fd, on_record_copy, &f->rec, NULL);
	if (!rb)
		return -errno;
	err = ring_buffer__consume(rb);
	ring_buffer__free(rb);
	if (err < 0)
		return err;
	return f->rec.ip_ver ? 0 : -ENODATA;
}

/*
 * ROW_ALONE: the batcher by itself, on this thread: copies of one record
 * the program wrote (timestamps 50-65 ns apart) into xw_batcher__add with
 * the "no Kafka" sink, as fast as it takes them.
 */
static int run_alone(const struct bench *b, struct row *r, struct sample *s)
{
	const struct bench_opts *o = b->o;
	static const struct xw_iface_name lo = { BENCH_IFINDEX, "lo" };
	struct xw_batcher_opts bo = {
		.host_id = "xw-bench",
		.max_records = COLLECTOR_BATCH_RECORDS,
		.max_bytes = COLLECTOR_BATCH_BYTES,
		.linger_ms = COLLECTOR_LINGER_MS,
		.sample_rate = 1,
	};
	struct xw_record rec = fams[r->fam].rec;
	const struct xw_producer_stats ps0 = null_sink.stats;
	struct xw_batcher *batcher;
	uint64_t n = 0, pbytes0 = produced_bytes;
	double t0, t1, cpu0;
	int err;

	memset(s, 0, sizeof(*s));
	s->log_bytes = -1;
	err = xw_batcher__new(&batcher, &bo, NULL_SINK, &lo, 1);
	if (err)
		return err;
	t0 = bench_now_s();
	cpu0 = bench_clock_s(CLOCK_THREAD_CPUTIME_ID);
	do {
		for (int i = 0; i < 4096; i++) {
			rec.ts_ns += 50 + (n & 15);
			xw_batcher__add(batcher, &rec);
			n++;
		}
		t1 = bench_now_s();
	} while (t1 - t0 < (double)o->duration_s && !bench_stop &&
		 (!o->records || n < (uint64_t)o->records));
	xw_batcher__flush(batcher);
	s->secs = t1 - t0;
	s->cpu_side = bench_clock_s(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	s->rate = s->drained_rate = (double)n / s->secs;
	s->cpu_share = s->cpu_side / s->secs;
	s->rate_per_cpu = s->cpu_side > 0 ? (double)n / s->cpu_side : 0;
	s->drained = s->written = n;
	s->produced_msgs = null_sink.stats.msgs_produced - ps0.msgs_produced;
	s->produced_recs = null_sink.stats.records_produced -
			   ps0.records_produced;
	s->produced_bytes = produced_bytes - pbytes0;
	xw_batcher__destroy(batcher);
	return bench_stop ? -EINTR : 0;
}

static int run_one(const struct bench *b, struct row *r, struct sample *s)
{
	const struct bench_opts *o = b->o;
	static const struct xw_iface_name lo = { BENCH_IFINDEX, "lo" };
	struct xw_batcher_opts bo = {
		.host_id = "xw-bench",
		.max_records = COLLECTOR_BATCH_RECORDS,
		.max_bytes = COLLECTOR_BATCH_BYTES,
		.linger_ms = COLLECTOR_LINGER_MS,
		.sample_rate = 1,
	};
	struct bpf_feed feed = { .prog_fd = b->prog_fd,
				 .pkt = &fams[r->fam].pkt,
				 .repeat = (int)o->repeat };
	struct drain d = { .budget = (uint64_t)o->budget,
			   .rng = 0x9e3779b97f4a7c15ULL };
	struct xw_producer *producer = NULL;
	const struct xw_producer_stats *ps;
	struct xw_producer_stats ps0 = { 0 }, ps1;
	Xdpwatch__V1__InterfaceCounters *cptr;
	struct xw_counters_pb *cpb = NULL;
	struct ring_buffer *rb = NULL;
	ring_buffer_sample_fn cb = on_record_count;
	uint64_t w0, l0, d0 = 0, dl0 = 0, turns = 0, turns0 = 0, pbytes0;
	double t_start, t_warm, t_end, t0 = 0, t, last_counters;
	double cpu0 = 0, feed_cpu0 = 0, broker0 = -1;
	clockid_t feed_clock;
	int64_t lb0 = -1, lb1;
	bool measuring = false;
	int err, ferr, poll_ms;

	if (r->kind == ROW_ALONE)
		return run_alone(b, r, s);
	memset(s, 0, sizeof(*s));
	s->log_bytes = -1;
	err = ring_empty(b);
	if (err)
		return err;
	/* Sampling 1:1; the collector's wake-up threshold is wakeup_records
	 * * (record + ring header) bytes (collector/main.c). */
	err = xw_config__write(b->maps.config, 1,
			       r->mode == MODE_BUSY ?
				       UINT32_MAX :
				       (uint32_t)(o->wakeup_records *
						  RING_REC_BYTES));
	if (err)
		return err;
	poll_ms = r->mode == MODE_BUSY ? 0 : COLLECTOR_POLL_MS;
	if (r->kind != ROW_RAW) {
		producer = r->kind == ROW_E2E ? codecs[r->codec].p : NULL_SINK;
		err = xw_batcher__new(&d.batcher, &bo, producer, &lo, 1);
		cpb = calloc(1, sizeof(*cpb));
		if (err || !cpb) {
			err = err ?: -ENOMEM;
			goto out;
		}
		cb = r->random_src ? on_record_random : on_record_batch;
		ps0 = *xw_producer__stats(producer);
	}
	if (r->kind == ROW_E2E && o->log_dir)
		lb0 = log_bytes(o->log_dir, o->topic);
	pbytes0 = produced_bytes;
	rb = ring_buffer__new(b->records_fd, cb, &d, NULL);
	if (!rb) {
		err = -errno;
		goto out;
	}

	w0 = event_sum(b->events_fd, XW_EV_RECORD_SAMPLED);
	l0 = event_sum(b->events_fd, XW_EV_RECORD_LOST_RINGBUF_FULL);
	err = feed__start(&feed);
	if (err)
		goto out;
	err = -pthread_getcpuclockid(feed.tid, &feed_clock);
	if (err) {
		feed__stop(&feed);
		goto out;
	}
	t_start = last_counters = bench_now_s();
	t_warm = t_start + o->warmup_ms / 1000.0;
	t_end = t_warm + (double)o->duration_s;
	for (;;) {
		err = drain_turn(rb, &d, poll_ms);
		if (err)
			break;
		turns++;
		t = bench_now_s();
		if (d.batcher) {
			if ((t - last_counters) * 1000 >= COLLECTOR_COUNTERS_MS) {
				counters_attach(b, cpb, &cptr, d.batcher);
				last_counters = t;
			}
			xw_batcher__tick(d.batcher, (uint64_t)(t * 1000));
			if (r->kind == ROW_E2E)
				xw_producer__poll(producer);
		}
		if (!measuring && t >= t_warm) {
			measuring = true;
			t0 = t;
			cpu0 = bench_clock_s(CLOCK_PROCESS_CPUTIME_ID);
			feed_cpu0 = bench_clock_s(feed_clock);
			broker0 = proc_cpu_s(o->broker_pid);
			d0 = d.drained;
			turns0 = turns;
			if (producer)
				dl0 = xw_producer__stats(producer)->records_delivered;
		}
		if (measuring &&
		    (t >= t_end || bench_stop || atomic_load(&feed.done) ||
		     (o->records && d.drained - d0 >= (uint64_t)o->records)))
			break;
		if (bench_stop)
			break;
	}
	t = bench_now_s();
	s->secs = t - t0;
	s->feed_share = bench_clock_s(feed_clock) - feed_cpu0;
	s->cpu_side = bench_clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0 - s->feed_share;
	s->feed_share /= s->secs > 0 ? s->secs : 1;
	s->broker_share = -1;
	if (broker0 >= 0 && proc_cpu_s(o->broker_pid) >= 0 && s->secs > 0)
		s->broker_share = (proc_cpu_s(o->broker_pid) - broker0) / s->secs;
	if (measuring && s->secs > 0) {
		s->drained_rate = (double)(d.drained - d0) / s->secs;
		s->turns_rate = (double)(turns - turns0) / s->secs;
		s->rate = s->drained_rate;
		if (r->kind == ROW_E2E)
			s->rate = (double)(xw_producer__stats(producer)
						   ->records_delivered -
					   dl0) /
				  s->secs;
		s->cpu_share = s->cpu_side / s->secs;
		if (s->cpu_side > 0)
			s->rate_per_cpu = s->rate * s->secs / s->cpu_side;
	}
	ferr = feed__stop(&feed);
	if (ferr) {
		pr_err("BPF_PROG_TEST_RUN: %s", strerror(-ferr));
		err = err ?: ferr;
	}
	s->written = event_sum(b->events_fd, XW_EV_RECORD_SAMPLED) - w0;
	s->lost_ring = event_sum(b->events_fd, XW_EV_RECORD_LOST_RINGBUF_FULL) -
		       l0;
	s->offered_rate = (double)(s->written + s->lost_ring) / (t - t_start);

	/* What is left in the ring goes the same way; then the last batch,
	 * and every delivery report. */
	do {
		d.in_call = 0;
		ferr = ring_buffer__consume(rb);
	} while (ferr == DRAIN_BUDGET_HIT);
	if (ferr < 0)
		err = err ?: ferr;
	s->drained = d.drained;
	if (d.batcher) {
		counters_attach(b, cpb, &cptr, d.batcher);
		xw_batcher__flush(d.batcher);
		if (r->kind == ROW_E2E)
			s->flush_err = xw_producer__flush(producer,
							  FLUSH_TIMEOUT_MS);
		ps = xw_producer__stats(producer);
		ps1 = *ps;
		s->produced_msgs = ps1.msgs_produced - ps0.msgs_produced;
		s->produced_recs = ps1.records_produced - ps0.records_produced;
		s->delivered = ps1.records_delivered - ps0.records_delivered;
		s->queue_full = ps1.records_queue_full - ps0.records_queue_full;
		s->failed = ps1.records_failed - ps0.records_failed;
		s->produced_bytes = produced_bytes - pbytes0;
	}
	if (lb0 >= 0) {
		lb1 = log_bytes(o->log_dir, o->topic);
		if (lb1 >= 0)
			s->log_bytes = lb1 - lb0;
	}
	if (!measuring && !err)
		err = -EINTR;
out:
	ring_buffer__free(rb);
	xw_batcher__destroy(d.batcher);
	free(cpb);
	return err;
}

/* ---- statistics over runs ---- */

/* Median, min and max of the rows' figures. */
static void row_stats(const struct row *r, double *min, double *med,
		      double *max)
{
	double v[BENCH_MAX_RUNS];
	struct bench_spread sp;

	for (int i = 0; i < r->n; i++)
		v[i] = r->s[i].rate;
	sp = bench_spread_of(v, (size_t)r->n);
	*min = sp.min;
	*med = sp.med;
	*max = sp.max;
}

static double row_median(const struct row *r)
{
	double a, m, b;

	if (r->err || !r->n)
		return 0;
	row_stats(r, &a, &m, &b);
	return m;
}

struct row_sum {
	uint64_t written, lost_ring, drained, msgs, recs, pbytes, delivered;
	uint64_t queue_full, failed;
	int64_t log_bytes;
	uint64_t log_recs; /* delivered in the runs whose log was measured */
	int flush_errs;
	double drained_med, offered_med, turns_med;
	double cpu_share_med, rate_per_cpu_med, feed_share_med;
	double broker_share_med;
};

static double median_of(const struct row *r, size_t off)
{
	double v[BENCH_MAX_RUNS];

	for (int i = 0; i < r->n; i++)
		v[i] = *(const double *)((const char *)&r->s[i] + off);
	return bench_spread_of(v, (size_t)r->n).med;
}

static void row_sum(const struct row *r, struct row_sum *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < r->n; i++) {
		const struct sample *s = &r->s[i];

		t->written += s->written;
		t->lost_ring += s->lost_ring;
		t->drained += s->drained;
		t->msgs += s->produced_msgs;
		t->recs += s->produced_recs;
		t->pbytes += s->produced_bytes;
		t->delivered += s->delivered;
		t->queue_full += s->queue_full;
		t->failed += s->failed;
		if (s->log_bytes >= 0) {
			t->log_bytes += s->log_bytes;
			t->log_recs += s->delivered;
		}
		t->flush_errs += !!s->flush_err;
	}
	if (r->n) {
		t->drained_med = median_of(r, offsetof(struct sample, drained_rate));
		t->offered_med = median_of(r, offsetof(struct sample, offered_rate));
		t->turns_med = median_of(r, offsetof(struct sample, turns_rate));
		t->cpu_share_med = median_of(r, offsetof(struct sample, cpu_share));
		t->feed_share_med = median_of(r, offsetof(struct sample, feed_share));
		t->broker_share_med =
			median_of(r, offsetof(struct sample, broker_share));
		t->rate_per_cpu_med =
			median_of(r, offsetof(struct sample, rate_per_cpu));
	}
}

static const struct row *row_find(int fam, int mode,
				  enum row_kind kind, int codec, bool random_src)
{
	for (size_t i = 0; i < nrows; i++)
		if (rows[i].fam == fam && rows[i].mode == mode &&
		    rows[i].kind == kind &&
		    (kind != ROW_E2E ||
		     (rows[i].codec == codec && rows[i].random_src == random_src)))
			return &rows[i];
	return NULL;
}

/* Bytes per record for the table's last column, with what they are. */
static void row_bytes(const struct row *r, char *buf, size_t len)
{
	struct row_sum t;

	row_sum(r, &t);
	if (r->kind == ROW_RAW)
		snprintf(buf, len, "%6.1f ring", (double)RING_REC_BYTES);
	else if ((r->kind == ROW_BATCH || r->kind == ROW_ALONE) && t.recs)
		snprintf(buf, len, "%6.1f pb", (double)t.pbytes / t.recs);
	else if (r->kind == ROW_E2E && t.log_recs)
		snprintf(buf, len, "%6.2f log", (double)t.log_bytes / t.log_recs);
	else
		snprintf(buf, len, "%6s", "-");
}

/* ---- output ---- */

static int threads_on_cpu0(int *total)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	*total = 0;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[64], line[256];
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%.16s/status",
			 e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		(*total)++;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "Cpus_allowed_list:", 18)) {
				char *v = line + 18;

				v += strspn(v, " \t");
				if (!strcmp(v, "0\n"))
					n++;
			}
		fclose(f);
	}
	closedir(d);
	return n;
}

static const char *row_name(const struct row *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s (%s, %s)", r->label, fams[r->fam].name,
		 mode_names[r->mode]);
	return buf;
}

static const struct row *row_raw(const struct row *r)
{
	return row_find(r->fam, r->mode, ROW_RAW, 0, false);
}

static void print_table(const struct bench_opts *o, const char *pinning)
{
	struct utsname u;

	uname(&u);
	printf("\nxw-bench-pipeline: records/s through the collector's "
	       "pipeline; %lld s measured per run after %lld ms warm-up, "
	       "%lld runs per row (interleaved)\n",
	       o->duration_s, o->warmup_ms, o->runs);
	printf("kernel %s, %ld CPUs; %s\n", u.release,
	       sysconf(_SC_NPROCESSORS_ONLN), pinning);
	printf("records: xdpwatch (skeleton, not attached), sample_rate 1, ring "
	       "%lld KiB, BPF_PROG_TEST_RUN repeat %lld on a TCP SYN (v4 %u "
	       "bytes, v6 %u)\n",
	       o->ringbuf_kib, o->repeat, fams[0].pkt.len, fams[1].pkt.len);
	printf("drain: the collector's loop (poll, consume, counters, tick, "
	       "producer poll), at most %lld records per poll/consume call; "
	       "batches of %d records / %d bytes, linger %d ms\n",
	       o->budget, COLLECTOR_BATCH_RECORDS, COLLECTOR_BATCH_BYTES,
	       COLLECTOR_LINGER_MS);
	printf("modes: collector = wake-up forced once %lld records (%lld "
	       "bytes) wait, poll sleeps up to %d ms;\n"
	       "       busy = BPF_RB_NO_WAKEUP always, poll never sleeps: the "
	       "ring stays full, the consumer's own limit\n",
	       o->wakeup_records, o->wakeup_records * (long long)RING_REC_BYTES,
	       COLLECTOR_POLL_MS);
	if (!o->no_kafka)
		printf("kafka: %s, topic %s, kafka.c's defaults (idempotence, "
		       "acks=all, linger.ms=5)%s; bytes on the wire from %s\n",
		       o->broker, o->topic,
		       o->kafka.count ? " plus --kafka" : "",
		       o->log_dir ? o->log_dir : "nowhere (no --log-dir)");
	printf("records/s: raw and batch rows drained/s; end-to-end rows "
	       "records in delivery reports/s. /raw: median over the raw "
	       "drain median of the same family and mode.\n"
	       "bytes/rec: ring = bytes per record in the ring; pb = protobuf "
	       "as packed, before compression; log = growth of the topic's "
	       "partition logs / records delivered.\n"
	       "ring: full = records were lost to a full ring (the consumer "
	       "set the pace); kept up = none were (the producer did).\n"
	       "CPU0: CPU time of this process but the feed thread (the drain "
	       "thread and librdkafka's), over wall time; M/CPU-s: the figure "
	       "per second of that CPU time\n");

	for (int fi = 0; fi < 2; fi++) {
		static const int order[] = { MODE_NONE, MODE_COLLECTOR, MODE_BUSY };

		for (int mi = 0; mi < MODE_COUNT; mi++) {
			int m = order[mi];
			const struct row *raw = row_find(fi, m, ROW_RAW, 0, false);
			bool any = false;

			for (size_t k = 0; k < nrows; k++)
				any |= rows[k].fam == fi && rows[k].mode == m;
			if (!any)
				continue;
			printf("\n%-36s %-3s %-9s %7s %7s %7s %6s %-7s %4s %7s "
			       "%11s\n",
			       "row", "fam", "mode", "min M/s", "median", "max",
			       "/raw", "ring", "CPU0", "M/CPU-s", "bytes/rec");
			for (size_t k = 0; k < nrows; k++) {
				const struct row *r = &rows[k];
				double mn, md, mx;
				struct row_sum t;
				char bytes[32];

				if (r->fam != fi || r->mode != m)
					continue;
				if (r->err || !r->n) {
					printf("%-36s %-3s %-9s %s\n", r->label,
					       fams[fi].name, mode_names[m],
					       r->err ? strerror(-r->err) :
							"not run");
					continue;
				}
				row_stats(r, &mn, &md, &mx);
				row_bytes(r, bytes, sizeof(bytes));
				row_sum(r, &t);
				printf("%-36s %-3s %-9s %7.3f %7.3f %7.3f",
				       r->label, fams[fi].name, mode_names[m],
				       mn / 1e6, md / 1e6, mx / 1e6);
				if (raw && row_median(raw) > 0)
					printf(" %5.2fx", md / row_median(raw));
				else
					printf(" %6s", "-");
				printf(" %-7s %3.0f%% %7.3f %11s\n",
				       r->kind == ROW_ALONE ? "-" :
				       t.lost_ring	     ? "full" :
							       "kept up",
				       100 * t.cpu_share_med,
				       t.rate_per_cpu_med / 1e6, bytes);
			}
		}
	}

	printf("\nNotes (sums over all runs of a row; rates are medians):\n");
	for (size_t k = 0; k < nrows; k++) {
		const struct row *r = &rows[k];
		struct row_sum t;
		char name[96];

		if (r->err || !r->n)
			continue;
		row_sum(r, &t);
		if (r->kind == ROW_ALONE) {
			printf("  %s: %llu records in %llu batches, protobuf "
			       "%.2f bytes/record\n",
			       row_name(r, name, sizeof(name)),
			       (unsigned long long)t.recs,
			       (unsigned long long)t.msgs,
			       t.recs ? (double)t.pbytes / t.recs : 0);
			continue;
		}
		printf("  %s: BPF offered %.2f M/s (feed thread on CPU 1 "
		       "%.0f%% of the time), drained %.3f M/s, loop %.0f "
		       "turns/s; %llu written, %llu lost to a full ring "
		       "(%.1f%% of offered), %llu drained%s\n",
		       row_name(r, name, sizeof(name)), t.offered_med / 1e6,
		       100 * t.feed_share_med, t.drained_med / 1e6, t.turns_med,
		       (unsigned long long)t.written,
		       (unsigned long long)t.lost_ring,
		       t.written + t.lost_ring ?
			       100.0 * t.lost_ring / (t.written + t.lost_ring) :
			       0,
		       (unsigned long long)t.drained,
		       t.drained == t.written ? "" : " (MISMATCH)");
		if (r->kind == ROW_RAW)
			continue;
		printf("      %llu batches, %.0f records/batch, protobuf %.2f "
		       "bytes/record",
		       (unsigned long long)t.msgs,
		       t.msgs ? (double)t.recs / t.msgs : 0,
		       t.recs ? (double)t.pbytes / t.recs : 0);
		if (r->kind == ROW_E2E) {
			printf("; %llu delivered, %llu lost to a full queue, "
			       "%llu failed%s",
			       (unsigned long long)t.delivered,
			       (unsigned long long)t.queue_full,
			       (unsigned long long)t.failed,
			       t.flush_errs ? ", FLUSH TIMED OUT" : "");
			if (t.log_recs)
				printf("; log +%lld bytes (protobuf %.1fx that)",
				       (long long)t.log_bytes,
				       t.log_bytes ? (double)t.pbytes /
							     t.log_bytes :
						     0);
			if (t.broker_share_med >= 0)
				printf("; broker CPU %.0f%%",
				       100 * t.broker_share_med);
			if (t.delivered + t.queue_full + t.failed != t.drained)
				printf("; drained != delivered + lost + failed");
		}
		putchar('\n');
	}
}

static void print_goals(void)
{
	bool any = false;

	printf("\nGoals (issue): end to end >= 2.00 M records/s on one core, "
	       ">= 0.50x the raw drain, <= 24 bytes per IPv4 record on the "
	       "wire\n");
	for (size_t k = 0; k < nrows; k++) {
		const struct row *r = &rows[k];
		const struct row *raw = row_raw(r);
		struct row_sum t;
		double md, ratio;
		char name[96];

		if (r->kind != ROW_E2E || r->err || !r->n)
			continue;
		any = true;
		md = row_median(r);
		ratio = raw && row_median(raw) > 0 ? md / row_median(raw) : 0;
		printf("  %s: %.3f M/s: %s; %.2fx raw: %s",
		       row_name(r, name, sizeof(name)), md / 1e6,
		       md >= 2e6 ? "HOLDS" : "DOES NOT HOLD", ratio,
		       !raw		? "no raw row" :
		       ratio >= 0.5	? "HOLDS" :
					  "DOES NOT HOLD");
		row_sum(r, &t);
		if (fams[r->fam].family == AF_INET) {
			if (t.log_recs) {
				double bpr = (double)t.log_bytes / t.log_recs;

				printf("; %.2f bytes/record: %s", bpr,
				       bpr <= 24 ? "HOLDS" : "DOES NOT HOLD");
			} else {
				printf("; bytes/record not measured (--log-dir)");
			}
		}
		putchar('\n');
	}
	if (!any)
		printf("  no end-to-end row was measured\n");
	else
		printf("  (rows without 'random src' repeat one frame: records "
		       "differ only in their timestamp, the best case for "
		       "compression)\n");
}

/* ---- setup ---- */

static int codecs_open(const struct bench_opts *o)
{
	char list[256], *save = NULL, *c;
	int ok = 0;

	snprintf(list, sizeof(list), "%s", o->compression);
	for (c = strtok_r(list, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
		struct codec *k;
		struct xw_cfg_kv *kv;

		if (ncodecs == BENCH_MAX_CODECS) {
			pr_err("--compression: at most %d codecs",
			       BENCH_MAX_CODECS);
			return -EINVAL;
		}
		k = &codecs[ncodecs++];
		snprintf(k->name, sizeof(k->name), "%s", c);
		kv = calloc(1, sizeof(*kv));
		if (!kv)
			return -ENOMEM;
		snprintf(kv->key[0], XW_CFG_KEY_MAX, "bootstrap.servers");
		snprintf(kv->value[0], XW_CFG_STR_MAX, "%s", o->broker);
		snprintf(kv->key[1], XW_CFG_KEY_MAX, "compression.type");
		snprintf(kv->value[1], XW_CFG_STR_MAX, "%s", c);
		kv->count = 2;
		for (unsigned int i = 0;
		     i < o->kafka.count && kv->count < XW_CFG_KV_MAX; i++) {
			memcpy(kv->key[kv->count], o->kafka.key[i],
			       XW_CFG_KEY_MAX);
			memcpy(kv->value[kv->count], o->kafka.value[i],
			       XW_CFG_STR_MAX);
			kv->count++;
		}
		k->err = xw_producer__new(&k->p, kv, o->topic, k->why,
					  sizeof(k->why));
		if (!k->err)
			k->err = xw_producer__check(k->p, 10000, k->why,
						    sizeof(k->why));
		free(kv);
		if (k->err) {
			pr_err("kafka (%s): %s", k->name, k->why);
			continue;
		}
		ok++;
	}
	return ok ? 0 : -ENOTCONN;
}

/* Random-source rows run in busy mode only: they are there for the
 * bytes on the wire and for what less compressible batches cost the
 * consumer at its limit. */
static void rows_add(const struct bench_opts *o)
{
	for (int fi = 0; fi < 2; fi++) {
		struct row *r;

		if (strcmp(o->family, "both") && strcmp(o->family, fams[fi].name))
			continue;
		r = &rows[nrows++];
		*r = (struct row){ .kind = ROW_ALONE, .fam = fi, .mode = MODE_NONE };
		snprintf(r->label, sizeof(r->label),
			 "batch + protobuf alone (no ring)");
		for (int m = 0; m < MODE_NONE; m++) {
			if (strcmp(o->mode, "both") && strcmp(o->mode, mode_names[m]))
				continue;
			r = &rows[nrows++];
			*r = (struct row){ .kind = ROW_RAW, .fam = fi, .mode = m };
			snprintf(r->label, sizeof(r->label), "raw drain");
			r = &rows[nrows++];
			*r = (struct row){ .kind = ROW_BATCH, .fam = fi, .mode = m };
			snprintf(r->label, sizeof(r->label),
				 "drain + batch + protobuf (no Kafka)");
			if (o->no_kafka)
				continue;
			for (int rnd = 0; rnd < 2; rnd++) {
				if (rnd && (o->no_random || m != MODE_BUSY))
					continue;
				for (size_t c = 0; c < ncodecs; c++) {
					r = &rows[nrows++];
					*r = (struct row){ .kind = ROW_E2E,
							   .fam = fi,
							   .mode = m,
							   .codec = (int)c,
							   .random_src = rnd };
					snprintf(r->label, sizeof(r->label),
						 "end to end, %.15s%s",
						 codecs[c].name,
						 rnd ? ", random src" : "");
					r->err = codecs[c].err;
				}
			}
		}
	}
}

static int bench_load(struct bench *b)
{
	int err;

	b->skel = xdpwatch__open();
	if (!b->skel) {
		err = -errno;
		pr_err("xdpwatch: open: %s", strerror(-err));
		return err;
	}
	err = bpf_map__set_max_entries(b->skel->maps.xw_records,
				       (uint32_t)b->o->ringbuf_kib * 1024);
	if (!err)
		err = xdpwatch__load(b->skel);
	if (err) {
		pr_err("xdpwatch: load: %s (root? CAP_BPF?)", strerror(-err));
		return err;
	}
	b->prog_fd = bpf_program__fd(b->skel->progs.xdpwatch_main);
	b->records_fd = bpf_map__fd(b->skel->maps.xw_records);
	b->events_fd = bpf_map__fd(b->skel->maps.xw_events);
	b->maps = (struct xw_maps){
		.config = bpf_map__fd(b->skel->maps.xw_config),
		.traffic = bpf_map__fd(b->skel->maps.xw_traffic),
		.events = b->events_fd,
		.deny_v4 = bpf_map__fd(b->skel->maps.xw_deny_v4),
		.deny_v6 = bpf_map__fd(b->skel->maps.xw_deny_v6),
		.allow_v4 = bpf_map__fd(b->skel->maps.xw_allow_v4),
		.allow_v6 = bpf_map__fd(b->skel->maps.xw_allow_v6),
		.rule_stats = bpf_map__fd(b->skel->maps.xw_rule_stats),
	};
	return 0;
}

static void fams_init(void)
{
	uint8_t s4[4], d4[4], s6[16], d6[16];

	inet_pton(AF_INET, "203.0.113.9", s4);
	inet_pton(AF_INET, "192.0.2.1", d4);
	inet_pton(AF_INET6, "2001:db8:0:113::9", s6);
	inet_pton(AF_INET6, "2001:db8::1", d6);
	fams[0] = (struct fam){ .family = AF_INET, .name = "v4" };
	fams[1] = (struct fam){ .family = AF_INET6, .name = "v6" };
	bench_pkt__tcp_syn(&fams[0].pkt, AF_INET, s4, d4);
	bench_pkt__tcp_syn(&fams[1].pkt, AF_INET6, s6, d6);
}

int main(int argc, char **argv)
{
	struct sigaction su = { .sa_handler = on_sigusr1 };
	struct bench b = { 0 };
	struct bench_opts o;
	char pinning[256];
	cpu_set_t allowed;
	int err, status = 0, on0, nthreads;

	err = opts__parse(&o, argc, argv);
	if (err)
		return err > 0 ? 0 : 2;
	b.o = &o;
	xw_log_set_program("xw-bench-pipeline");
	if (o.verbose)
		xw_log_set_level(XW_LOG_DEBUG);
	xw_log_route_libbpf();
	if (o.runs < 3 || o.duration_s < 3)
		pr_warn("runs < 3 or duration < 3 s: a quick look, not a figure "
			"to quote");

	bench_signals__install(); /* the test-run call ends with EINTR */
	sigaction(SIGUSR1, &su, NULL);

	/* First of all, so every thread made later (librdkafka's) inherits
	 * CPU 0; the feed thread moves itself to CPU 1. */
	if (sched_getaffinity(0, sizeof(allowed), &allowed) ||
	    !CPU_ISSET(DRAIN_CPU, &allowed) ||
	    !CPU_ISSET(PRODUCER_CPU, &allowed)) {
		pr_err("CPUs %d and %d must both be allowed", DRAIN_CPU,
		       PRODUCER_CPU);
		return 1;
	}
	err = bench_pin_self(DRAIN_CPU);
	if (err) {
		pr_err("sched_setaffinity(CPU %d): %s", DRAIN_CPU,
		       strerror(-err));
		return 1;
	}

	fams_init();
	err = bench_load(&b);
	if (err) {
		status = 1;
		goto out;
	}
	if (!o.no_kafka && codecs_open(&o)) {
		pr_err("no end-to-end row can run; --no-kafka skips them");
		status = 1;
	}
	for (int fi = 0; fi < 2 && !status; fi++) {
		err = record_template(&b, &fams[fi]);
		if (err) {
			pr_err("no record from the program (%s): %s",
			       fams[fi].name, strerror(-err));
			status = 1;
			goto out;
		}
	}
	rows_add(&o);
	on0 = threads_on_cpu0(&nthreads);
	snprintf(pinning, sizeof(pinning),
		 "drain thread pinned to CPU %d with librdkafka's threads "
		 "(%d of this process's %d threads on CPU %d only), "
		 "BPF_PROG_TEST_RUN thread pinned to CPU %d",
		 DRAIN_CPU, on0, nthreads, DRAIN_CPU, PRODUCER_CPU);

	for (int run = 0; run < o.runs && !bench_stop; run++) {
		for (size_t k = 0; k < nrows && !bench_stop; k++) {
			struct row *r = &rows[k];

			if (r->err)
				continue;
			pr_info("run %d/%lld: %s (%s)", run + 1, o.runs,
				r->label, fams[r->fam].name);
			err = run_one(&b, r, &r->s[r->n]);
			if (err == -EINTR && bench_stop)
				break;
			if (err) {
				pr_err("%s (%s): %s", r->label,
				       fams[r->fam].name, strerror(-err));
				r->err = err;
				status = 1;
				continue;
			}
			r->n++;
		}
	}

	print_table(&o, pinning);
	print_goals(); /* a goal missed is a result, not a failure */
	if (bench_stop) {
		pr_warn("interrupted: the table above is partial");
		status = 130;
	}
out:
	for (size_t c = 0; c < ncodecs; c++)
		xw_producer__destroy(codecs[c].p);
	xdpwatch__destroy(b.skel);
	return status;
}
