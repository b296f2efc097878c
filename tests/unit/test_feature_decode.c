// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_feature_decode.c - common/feature_decode.c against protobuf-c and
 * against the collector's own encoder (collector/batcher.c).
 *
 * The oracle is protobuf-c: a batch is decoded by xw_fb_decode and
 * unpacked by protobuf-c, and expect_*() turn protobuf-c's structs into
 * what xw_fb_decode must have said, field by field. Batches come from
 * protobuf-c's packer (random contents), from a writer of our own that
 * puts fields in random order and adds unknown fields of every wire type,
 * and from the batcher, whose producer calls the linker routes here
 * (-Wl,--wrap, CMakeLists.txt). Then malformed input: a table of cases,
 * every prefix of a valid batch, and random mutations, each either
 * decoded (and then equal to protobuf-c's reading) or -EBADMSG.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "batcher.h"
#include "counters.h"
#include "feature_decode.h"
#include "kafka.h"
#include "log.h"
#include "xdpwatch/v1/features.pb-c.h"

#include "testhelp.h"

#define MAX_RECS 1200

/* ---- a small deterministic PRNG (xorshift64*): reproducible runs ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd64(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(rnd64() % n);
}

/* A value of random width: varints of every length get exercised. */
static uint64_t rnd_bits(unsigned int maxbits)
{
	unsigned int b = rnd_below(maxbits + 1);

	return b == 64 ? rnd64() : rnd64() & ((1ull << b) - 1);
}

/* ---- what the decoder said: the header and every record ---- */

struct got {
	struct xw_fb_record r[MAX_RECS];
	size_t n;
	int stop_at; /* return -ECANCELED at this record (1-based), 0 never */
	const struct xw_fb_header *h;
};

static int collect(void *ctx, const struct xw_fb_header *h,
		   const struct xw_fb_record *r)
{
	struct got *g = ctx;

	g->h = h;
	if (g->n < MAX_RECS)
		g->r[g->n] = *r;
	g->n++;
	if (g->stop_at && (int)g->n == g->stop_at)
		return -ECANCELED;
	return 0;
}

/* ---- protobuf-c's reading, as xw_fb_decode must report it ---- */

static int l4x_of(const char *s)
{
	static const char *const names[] = { "tcp", "udp", "icmp", "icmpv6",
					     "other" };

	for (int i = 0; i < 5; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

static void expect_header(const Xdpwatch__V1__FeatureBatch *fb,
			  struct xw_fb_header *h)
{
	memset(h, 0, sizeof(*h));
	h->schema_version = fb->schema_version;
	h->sequence = fb->sequence;
	h->time_base_unix_ns = fb->time_base_unix_ns;
	h->sample_rate = fb->sample_rate;
	h->nrecords = (uint32_t)fb->n_records;
	h->has_counters = fb->n_counters > 0;
	for (size_t i = 0; i < fb->n_counters; i++) {
		const Xdpwatch__V1__InterfaceCounters *ic = fb->counters[i];

		for (size_t j = 0; j < ic->n_traffic; j++) {
			const Xdpwatch__V1__TrafficCounter *t = ic->traffic[j];
			int ipx = t->ip_version == 0 ? 0 :
				  t->ip_version == 4 ? 1 :
				  t->ip_version == 6 ? 2 : -1;
			int l4x = l4x_of(t->l4);

			if (ipx < 0 || l4x < 0 || (uint32_t)t->action > 3) {
				h->counters_skipped++;
				continue;
			}
			h->pkts[ipx][l4x][t->action] += t->packets;
			h->bytes[ipx][l4x][t->action] += t->bytes;
		}
	}
	if (fb->losses) {
		h->has_losses = true;
		h->records_lost_queue_full = fb->losses->records_lost_queue_full;
		h->records_delivery_failed = fb->losses->records_delivery_failed;
		h->records_ringbuf_full = fb->losses->records_ringbuf_full;
		h->records_produced = fb->losses->records_produced;
	}
}

static void expect_record(const Xdpwatch__V1__FeatureBatch *fb,
			  const Xdpwatch__V1__FeatureRecord *pb,
			  struct xw_fb_record *r)
{
	size_t alen = pb->src.len ? pb->src.len : pb->dst.len;

	memset(r, 0, sizeof(*r));
	r->ts_offset_ns = pb->ts_offset_ns;
	if (pb->src.len)
		memcpy(r->src, pb->src.data, pb->src.len);
	if (pb->dst.len)
		memcpy(r->dst, pb->dst.data, pb->dst.len);
	r->ip_version = (uint8_t)(pb->ip_version ? pb->ip_version :
				  alen == 4 ? 4 : alen == 16 ? 6 : 0);
	r->l4_proto = (uint8_t)pb->l4_proto;
	r->tcp_flags = (uint8_t)pb->tcp_flags;
	r->ttl = (uint8_t)pb->ttl;
	r->frag = (uint8_t)pb->frag;
	r->action = (uint8_t)pb->action;
	r->tunnel = (uint8_t)pb->tunnel;
	r->vlan_count = (uint8_t)pb->vlan_count;
	r->sport = (uint16_t)pb->sport;
	r->dport = (uint16_t)pb->dport;
	r->ip_len = pb->ip_len;
	r->l4_payload_len = pb->l4_payload_len;
	r->pkt_len = pb->pkt_len;
	r->ifindex = pb->ifindex;
	r->tcp_window = pb->tcp_window;
	r->rule_id = pb->rule_id;
	r->tos = pb->tos;
	r->vlan_id = pb->vlan_id;
	r->rx_queue = pb->rx_queue;
	r->sample_rate = pb->sample_rate ? pb->sample_rate : fb->sample_rate;
	r->parse_error = pb->parse_error;
}

#define CHECK_EQ(a, b, what)                                                  \
	do {                                                                  \
		if ((uint64_t)(a) != (uint64_t)(b))                           \
			fail_msg("%s: decoded %llu, protobuf-c %llu", what,   \
				 (unsigned long long)(a),                     \
				 (unsigned long long)(b));                    \
	} while (0)

static void check_record_eq(const struct xw_fb_record *a,
			    const struct xw_fb_record *b, size_t i)
{
	char w[64];

#define F(f)                                                                  \
	snprintf(w, sizeof(w), "record %zu " #f, i);                          \
	CHECK_EQ(a->f, b->f, w)
	F(ts_offset_ns);
	F(ip_version);
	F(l4_proto);
	F(tcp_flags);
	F(ttl);
	F(frag);
	F(action);
	F(tunnel);
	F(vlan_count);
	F(sport);
	F(dport);
	F(ip_len);
	F(l4_payload_len);
	F(pkt_len);
	F(ifindex);
	F(tcp_window);
	F(rule_id);
	F(tos);
	F(vlan_id);
	F(rx_queue);
	F(sample_rate);
	F(parse_error);
#undef F
	assert_memory_equal(a->src, b->src, 16);
	assert_memory_equal(a->dst, b->dst, 16);
}

static void check_str_eq(const char *s, size_t n, const char *pbc,
			 const char *what)
{
	size_t l = s ? strnlen(s, n) : 0;

	CHECK_EQ(l, strlen(pbc), what);
	assert_memory_equal(s ?: "", pbc, l);
}

static void check_header_eq(const struct xw_fb_header *h,
			    const struct xw_fb_header *e,
			    const Xdpwatch__V1__FeatureBatch *fb)
{
	CHECK_EQ(h->schema_version, e->schema_version, "schema_version");
	CHECK_EQ(h->sequence, e->sequence, "sequence");
	CHECK_EQ(h->time_base_unix_ns, e->time_base_unix_ns, "time_base");
	CHECK_EQ(h->sample_rate, e->sample_rate, "sample_rate");
	CHECK_EQ(h->nrecords, e->nrecords, "nrecords");
	CHECK_EQ(h->has_counters, e->has_counters, "has_counters");
	CHECK_EQ(h->counters_skipped, e->counters_skipped, "counters_skipped");
	CHECK_EQ(h->has_losses, e->has_losses, "has_losses");
	CHECK_EQ(h->records_lost_queue_full, e->records_lost_queue_full,
		 "records_lost_queue_full");
	CHECK_EQ(h->records_delivery_failed, e->records_delivery_failed,
		 "records_delivery_failed");
	CHECK_EQ(h->records_ringbuf_full, e->records_ringbuf_full,
		 "records_ringbuf_full");
	CHECK_EQ(h->records_produced, e->records_produced, "records_produced");
	assert_memory_equal(h->pkts, e->pkts, sizeof(h->pkts));
	assert_memory_equal(h->bytes, e->bytes, sizeof(h->bytes));
	/* protobuf-c NUL-terminates its copy, ours points into the buffer
	 * with a length: compare up to a NUL a mutation may have put in. */
	check_str_eq(h->host_id, h->host_id_len, fb->host_id, "host_id");
	check_str_eq(h->collector_id, h->collector_id_len, fb->collector_id,
		     "collector_id");
}

/*
 * Decode buf both ways; they must agree. Returns xw_fb_decode's result.
 * When it decodes and protobuf-c does not, *pbc_refused is counted (the
 * two are allowed to differ there; see test_mutations) and nothing is
 * compared.
 */
static int decode_vs_protobuf_c(const uint8_t *buf, size_t len,
				struct got *g, size_t *pbc_refused)
{
	Xdpwatch__V1__FeatureBatch *fb;
	struct xw_fb_header h, e;
	int ret;

	g->n = 0;
	ret = xw_fb_decode(buf, len, &h, collect, g);
	if (ret)
		return ret;
	fb = xdpwatch__v1__feature_batch__unpack(NULL, len, buf);
	if (!fb) {
		if (!pbc_refused)
			fail_msg("protobuf-c refuses a batch xw_fb_decode took");
		(*pbc_refused)++;
		return 0;
	}
	expect_header(fb, &e);
	check_header_eq(&h, &e, fb);
	CHECK_EQ(g->n, fb->n_records, "records delivered");
	for (size_t i = 0; i < g->n && i < MAX_RECS; i++) {
		struct xw_fb_record r;

		expect_record(fb, fb->records[i], &r);
		check_record_eq(&g->r[i], &r, i);
	}
	xdpwatch__v1__feature_batch__free_unpacked(fb, NULL);
	return 0;
}

/* ---- random batches, as protobuf-c structs ---- */

struct rnd_batch {
	Xdpwatch__V1__FeatureBatch fb;
	Xdpwatch__V1__FeatureRecord recs[MAX_RECS], *rec_ptrs[MAX_RECS];
	uint8_t addr[MAX_RECS][2][16];
	Xdpwatch__V1__Interface ifs[3], *if_ptrs[3];
	Xdpwatch__V1__InterfaceCounters ics[3], *ic_ptrs[3];
	Xdpwatch__V1__TrafficCounter tcs[3][8], *tc_ptrs[3][8];
	Xdpwatch__V1__EventCounter evs[3][2], *ev_ptrs[3][2];
	Xdpwatch__V1__CollectorLosses losses;
	char host[32], cid[33];
};

/* Half the time a field is absent (zero): proto3 leaves zeros out. */
static uint64_t maybe(uint64_t v)
{
	return rnd_below(2) ? v : 0;
}

static void rnd_record(Xdpwatch__V1__FeatureRecord *r, uint8_t addr[2][16])
{
	uint32_t fam = rnd_below(3); /* none, v4, v6 */
	size_t alen = fam == 1 ? 4 : fam == 2 ? 16 : 0;

	xdpwatch__v1__feature_record__init(r);
	r->ts_offset_ns = maybe(rnd_bits(64));
	for (int i = 0; i < 16; i++) {
		addr[0][i] = (uint8_t)rnd64();
		addr[1][i] = (uint8_t)rnd64();
	}
	r->src.data = addr[0];
	r->dst.data = addr[1];
	r->src.len = r->dst.len = alen;
	if (alen && !rnd_below(8)) /* one address only */
		*(rnd_below(2) ? &r->src.len : &r->dst.len) = 0;
	/* Said, or left for the decoder to derive from the length. */
	r->ip_version = fam == 1 ? 4 : fam == 2 ? 6 : (uint32_t)maybe(rnd_below(256));
	if (alen && rnd_below(2))
		r->ip_version = 0;
	r->l4_proto = (uint32_t)maybe(rnd_bits(8));
	r->sport = (uint32_t)maybe(rnd_bits(16));
	r->dport = (uint32_t)maybe(rnd_bits(16));
	r->tcp_flags = (uint32_t)maybe(rnd_bits(8));
	r->ttl = (uint32_t)maybe(rnd_bits(8));
	r->ip_len = (uint32_t)maybe(rnd_bits(32));
	r->l4_payload_len = (uint32_t)maybe(rnd_bits(32));
	r->pkt_len = (uint32_t)maybe(rnd_bits(32));
	r->ifindex = (uint32_t)maybe(rnd_bits(32));
	r->tcp_window = (uint32_t)maybe(rnd_bits(32));
	r->action = (Xdpwatch__V1__Action)maybe(rnd_below(4));
	r->rule_id = (uint32_t)maybe(rnd_bits(32));
	r->tos = (uint32_t)maybe(rnd_bits(32));
	r->frag = (uint32_t)maybe(rnd_bits(8));
	r->vlan_id = (uint32_t)maybe(rnd_bits(32));
	r->vlan_count = (uint32_t)maybe(rnd_below(3));
	r->tunnel = (Xdpwatch__V1__Tunnel)maybe(rnd_below(5));
	r->rx_queue = (uint32_t)maybe(rnd_bits(32));
	r->sample_rate = (uint32_t)maybe(rnd_bits(32));
	r->parse_error = (protobuf_c_boolean)rnd_below(2);
}

static void rnd_batch_fill(struct rnd_batch *b, size_t nrecs)
{
	static const char *const l4s[] = { "tcp", "udp", "icmp", "icmpv6",
					   "other", "sctp", "" };
	static const uint32_t ipvs[] = { 0, 4, 6, 4, 6, 5 };

	xdpwatch__v1__feature_batch__init(&b->fb);
	b->fb.schema_version = 1;
	snprintf(b->host, sizeof(b->host), "host-%u", rnd_below(1000));
	for (int i = 0; i < 32; i++)
		b->cid[i] = "0123456789abcdef"[rnd_below(16)];
	b->cid[32] = 0;
	b->fb.host_id = b->host;
	b->fb.collector_id = b->cid;
	b->fb.sequence = rnd_bits(64);
	b->fb.time_base_unix_ns = rnd_bits(64);
	b->fb.sample_rate = (uint32_t)maybe(rnd_bits(32));
	for (size_t i = 0; i < nrecs; i++) {
		rnd_record(&b->recs[i], b->addr[i]);
		b->rec_ptrs[i] = &b->recs[i];
	}
	b->fb.n_records = nrecs;
	b->fb.records = b->rec_ptrs;

	b->fb.n_interfaces = rnd_below(4);
	b->fb.interfaces = b->if_ptrs;
	for (size_t i = 0; i < b->fb.n_interfaces; i++) {
		xdpwatch__v1__interface__init(&b->ifs[i]);
		b->ifs[i].ifindex = (uint32_t)rnd_bits(32);
		b->ifs[i].ifname = "eth0";
		b->if_ptrs[i] = &b->ifs[i];
	}
	b->fb.n_counters = rnd_below(4);
	b->fb.counters = b->ic_ptrs;
	for (size_t i = 0; i < b->fb.n_counters; i++) {
		Xdpwatch__V1__InterfaceCounters *ic = &b->ics[i];

		xdpwatch__v1__interface_counters__init(ic);
		ic->ifindex = (uint32_t)rnd_bits(32);
		ic->ifname = "ens1f0";
		ic->n_traffic = rnd_below(9);
		ic->traffic = b->tc_ptrs[i];
		for (size_t j = 0; j < ic->n_traffic; j++) {
			Xdpwatch__V1__TrafficCounter *t = &b->tcs[i][j];

			xdpwatch__v1__traffic_counter__init(t);
			t->ip_version = ipvs[rnd_below(XW_ARRAY_SIZE(ipvs))];
			t->l4 = (char *)l4s[rnd_below(XW_ARRAY_SIZE(l4s))];
			/* 4 and 7: actions a newer collector might send */
			t->action = (Xdpwatch__V1__Action)(rnd_below(10) ? rnd_below(4) : 4 + rnd_below(4));
			t->packets = rnd_bits(40);
			t->bytes = rnd_bits(50);
			b->tc_ptrs[i][j] = t;
		}
		ic->n_events = rnd_below(3);
		ic->events = b->ev_ptrs[i];
		for (size_t j = 0; j < ic->n_events; j++) {
			xdpwatch__v1__event_counter__init(&b->evs[i][j]);
			b->evs[i][j].name = "records_sampled";
			b->evs[i][j].count = rnd_bits(64);
			b->ev_ptrs[i][j] = &b->evs[i][j];
		}
		b->ic_ptrs[i] = ic;
	}
	b->fb.losses = NULL;
	if (rnd_below(4)) {
		xdpwatch__v1__collector_losses__init(&b->losses);
		b->losses.records_lost_queue_full = maybe(rnd_bits(64));
		b->losses.batches_lost_queue_full = maybe(rnd_bits(64));
		b->losses.records_delivery_failed = maybe(rnd_bits(64));
		b->losses.batches_delivery_failed = maybe(rnd_bits(64));
		b->losses.records_ringbuf_full = maybe(rnd_bits(64));
		b->losses.batches_produced = maybe(rnd_bits(64));
		b->losses.records_produced = maybe(rnd_bits(64));
		b->fb.losses = &b->losses;
	}
}

static uint8_t *pack(const Xdpwatch__V1__FeatureBatch *fb, size_t *len)
{
	uint8_t *buf;

	*len = xdpwatch__v1__feature_batch__get_packed_size(fb);
	buf = malloc(*len + 1);
	assert_non_null(buf);
	assert_int_equal(xdpwatch__v1__feature_batch__pack(fb, buf), *len);
	return buf;
}

static struct rnd_batch rb;
static struct got g;

/* 1. Random batches packed by protobuf-c decode to the same values. */
static void test_protobuf_c_random(void **state)
{
	for (int round = 0; round < 300; round++) {
		size_t n = round < 10 ? (size_t)round : rnd_below(200), len;
		uint8_t *buf;

		rnd_batch_fill(&rb, n);
		buf = pack(&rb.fb, &len);
		assert_int_equal(decode_vs_protobuf_c(buf, len, &g, NULL), 0);
		assert_int_equal(g.n, n);
		free(buf);
	}
}

/* ---- a protobuf writer of our own: any order, unknown fields ---- */

struct wr {
	uint8_t *p, *start;
};

static void w_varint(struct wr *w, uint64_t v)
{
	while (v >= 0x80) {
		*w->p++ = (uint8_t)v | 0x80;
		v >>= 7;
	}
	*w->p++ = (uint8_t)v;
}

static void w_tag(struct wr *w, uint32_t field, unsigned int wt)
{
	w_varint(w, (uint64_t)field << 3 | wt);
}

static void w_uint(struct wr *w, uint32_t field, uint64_t v)
{
	w_tag(w, field, 0);
	w_varint(w, v);
}

static void w_bytes(struct wr *w, uint32_t field, const void *d, size_t n)
{
	w_tag(w, field, 2);
	w_varint(w, n);
	memcpy(w->p, d, n);
	w->p += n;
}

/* protobuf-c 1.4 refuses groups ("unsupported", protobuf-c.h): batches
 * written with them are compared with what we meant, not with it. */
static bool w_groups = true;

/* An unknown field of a random wire type, numbered above every known. */
static void w_unknown(struct wr *w, int depth)
{
	uint32_t f = 25 + rnd_below(1000000);

	switch (rnd_below(depth < 3 && w_groups ? 5 : 4)) {
	case 0:
		w_uint(w, f, rnd_bits(64));
		break;
	case 1: /* fixed64 */
		w_tag(w, f, 1);
		for (int i = 0; i < 8; i++)
			*w->p++ = (uint8_t)rnd64();
		break;
	case 2: {
		uint8_t junk[20];

		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = (uint8_t)rnd64();
		w_bytes(w, f, junk, rnd_below(sizeof(junk)));
		break;
	}
	case 3: /* fixed32 */
		w_tag(w, f, 5);
		for (int i = 0; i < 4; i++)
			*w->p++ = (uint8_t)rnd64();
		break;
	case 4: /* a group, maybe with fields and groups inside */
		w_tag(w, f, 3);
		for (uint32_t i = rnd_below(3); i; i--)
			w_unknown(w, depth + 1);
		w_tag(w, f, 4);
		break;
	}
}

/* A length-delimited field whose body the callback writes. */
static void w_sub(struct wr *w, uint32_t field,
		  void (*body)(struct wr *, const void *), const void *arg)
{
	uint8_t tmp[8192];
	struct wr s = { tmp, tmp };

	body(&s, arg);
	assert_true(s.p - tmp < (ptrdiff_t)sizeof(tmp));
	w_bytes(w, field, tmp, (size_t)(s.p - tmp));
}

/* Write the n (field, body) items in random order, unknowns between. */
struct item {
	void (*fn)(struct wr *, const void *, uint32_t);
	const void *arg;
	uint32_t field;
};

static void w_items(struct wr *w, struct item *it, size_t n)
{
	for (size_t i = n; i > 1; i--) { /* Fisher-Yates */
		size_t j = rnd_below((uint32_t)i);
		struct item t = it[i - 1];

		it[i - 1] = it[j];
		it[j] = t;
	}
	for (size_t i = 0; i < n; i++) {
		if (!rnd_below(3))
			w_unknown(w, 0);
		it[i].fn(w, it[i].arg, it[i].field);
	}
	if (!rnd_below(3))
		w_unknown(w, 0);
}

static void it_u64(struct wr *w, const void *a, uint32_t f)
{
	uint64_t v = *(const uint64_t *)a;

	if (v)
		w_uint(w, f, v);
}

static void it_u32(struct wr *w, const void *a, uint32_t f)
{
	uint32_t v = *(const uint32_t *)a;

	if (v)
		w_uint(w, f, v);
}

static void it_bool(struct wr *w, const void *a, uint32_t f)
{
	if (*(const protobuf_c_boolean *)a)
		w_uint(w, f, 1);
}

static void it_bytes(struct wr *w, const void *a, uint32_t f)
{
	const ProtobufCBinaryData *d = a;

	if (d->len)
		w_bytes(w, f, d->data, d->len);
}

static void it_str(struct wr *w, const void *a, uint32_t f)
{
	const char *s = *(char *const *)a;

	if (s && *s)
		w_bytes(w, f, s, strlen(s));
}

#define ITEM(fn, ptr, f) ((struct item){ fn, ptr, f })

static void body_record(struct wr *w, const void *a)
{
	const Xdpwatch__V1__FeatureRecord *r = a;
	struct item it[] = {
		ITEM(it_u64, &r->ts_offset_ns, 1),
		ITEM(it_bytes, &r->src, 2),
		ITEM(it_bytes, &r->dst, 3),
		ITEM(it_u32, &r->l4_proto, 4),
		ITEM(it_u32, &r->sport, 5),
		ITEM(it_u32, &r->dport, 6),
		ITEM(it_u32, &r->tcp_flags, 7),
		ITEM(it_u32, &r->ttl, 8),
		ITEM(it_u32, &r->ip_len, 9),
		ITEM(it_u32, &r->l4_payload_len, 10),
		ITEM(it_u32, &r->pkt_len, 11),
		ITEM(it_u32, &r->ifindex, 12),
		ITEM(it_u32, &r->tcp_window, 13),
		ITEM(it_u32, &r->action, 14),
		ITEM(it_u32, &r->rule_id, 15),
		ITEM(it_u32, &r->ip_version, 16),
		ITEM(it_u32, &r->tos, 17),
		ITEM(it_u32, &r->frag, 18),
		ITEM(it_u32, &r->vlan_id, 19),
		ITEM(it_u32, &r->vlan_count, 20),
		ITEM(it_u32, &r->tunnel, 21),
		ITEM(it_u32, &r->rx_queue, 22),
		ITEM(it_u32, &r->sample_rate, 23),
		ITEM(it_bool, &r->parse_error, 24),
	};

	_Static_assert(sizeof(Xdpwatch__V1__Action) == sizeof(uint32_t),
		       "enums are read as uint32");
	w_items(w, it, XW_ARRAY_SIZE(it));
}

static void body_traffic(struct wr *w, const void *a)
{
	const Xdpwatch__V1__TrafficCounter *t = a;
	struct item it[] = {
		ITEM(it_u32, &t->ip_version, 1), ITEM(it_str, &t->l4, 2),
		ITEM(it_u32, &t->action, 3),	 ITEM(it_u64, &t->packets, 4),
		ITEM(it_u64, &t->bytes, 5),
	};

	w_items(w, it, XW_ARRAY_SIZE(it));
}

static void it_traffic(struct wr *w, const void *a, uint32_t f)
{
	w_sub(w, f, body_traffic, a);
}

static void body_counters(struct wr *w, const void *a)
{
	const Xdpwatch__V1__InterfaceCounters *ic = a;
	struct item it[16];
	size_t n = 0;

	it[n++] = ITEM(it_u32, &ic->ifindex, 1);
	it[n++] = ITEM(it_str, &ic->ifname, 2);
	/* Counters are summed: their order does not matter. */
	for (size_t i = 0; i < ic->n_traffic; i++)
		it[n++] = ITEM(it_traffic, ic->traffic[i], 3);
	w_items(w, it, n);
	for (size_t i = 0; i < ic->n_events; i++) {
		w_tag(w, 4, 2);
		{
			uint8_t tmp[64];
			struct wr s = { tmp, tmp };

			w_uint(&s, 2, ic->events[i]->count);
			w_bytes(&s, 1, ic->events[i]->name,
				strlen(ic->events[i]->name));
			w_varint(w, (size_t)(s.p - tmp));
			memcpy(w->p, tmp, (size_t)(s.p - tmp));
			w->p += s.p - tmp;
		}
	}
}

static void body_losses(struct wr *w, const void *a)
{
	const Xdpwatch__V1__CollectorLosses *l = a;
	struct item it[] = {
		ITEM(it_u64, &l->records_lost_queue_full, 1),
		ITEM(it_u64, &l->batches_lost_queue_full, 2),
		ITEM(it_u64, &l->records_delivery_failed, 3),
		ITEM(it_u64, &l->batches_delivery_failed, 4),
		ITEM(it_u64, &l->records_ringbuf_full, 5),
		ITEM(it_u64, &l->batches_produced, 6),
		ITEM(it_u64, &l->records_produced, 7),
	};

	w_items(w, it, XW_ARRAY_SIZE(it));
}

static void it_counters(struct wr *w, const void *a, uint32_t f)
{
	w_sub(w, f, body_counters, a);
}

static void it_losses(struct wr *w, const void *a, uint32_t f)
{
	w_sub(w, f, body_losses, a);
}

static void it_iface(struct wr *w, const void *a, uint32_t f)
{
	const Xdpwatch__V1__Interface *i = a;
	uint8_t tmp[64];
	struct wr s = { tmp, tmp };

	w_bytes(&s, 2, i->ifname, strlen(i->ifname));
	if (rnd_below(2))
		w_unknown(&s, 0);
	w_uint(&s, 1, i->ifindex);
	w_bytes(w, f, tmp, (size_t)(s.p - tmp));
}

/*
 * The batch's top level in random order: the records stay in order among
 * themselves (a repeated field), but header fields, counters and losses
 * go before, between and after them.
 */
static size_t write_shuffled(const Xdpwatch__V1__FeatureBatch *fb,
			     uint8_t *buf)
{
	struct wr w = { buf, buf };
	struct item it[16];
	size_t n = 0, next_rec = 0;

	it[n++] = ITEM(it_u32, &fb->schema_version, 1);
	it[n++] = ITEM(it_str, &fb->host_id, 2);
	it[n++] = ITEM(it_str, &fb->collector_id, 3);
	it[n++] = ITEM(it_u64, &fb->sequence, 4);
	it[n++] = ITEM(it_u64, &fb->time_base_unix_ns, 5);
	it[n++] = ITEM(it_u32, &fb->sample_rate, 6);
	for (size_t i = 0; i < fb->n_interfaces; i++)
		it[n++] = ITEM(it_iface, fb->interfaces[i], 8);
	if (fb->n_counters) /* one of them out of line, the rest at the end */
		it[n++] = ITEM(it_counters, fb->counters[0], 9);
	if (fb->losses)
		it[n++] = ITEM(it_losses, fb->losses, 10);
	for (size_t i = n; i > 1; i--) {
		size_t j = rnd_below((uint32_t)i);
		struct item t = it[i - 1];

		it[i - 1] = it[j];
		it[j] = t;
	}
	for (size_t i = 0; i < n; i++) {
		/* A few records before each header field. */
		for (uint32_t k = rnd_below(fb->n_records / 4 + 2);
		     k && next_rec < fb->n_records; k--)
			w_sub(&w, 7, body_record, fb->records[next_rec++]);
		if (!rnd_below(2))
			w_unknown(&w, 0);
		it[i].fn(&w, it[i].arg, it[i].field);
	}
	while (next_rec < fb->n_records)
		w_sub(&w, 7, body_record, fb->records[next_rec++]);
	for (size_t i = 1; i < fb->n_counters; i++)
		w_sub(&w, 9, body_counters, fb->counters[i]);
	return (size_t)(w.p - buf);
}

/* 2. Any field order, unknown fields of every wire type everywhere. */
static void test_order_and_unknown_fields(void **state)
{
	uint8_t *buf = malloc(1 << 20);

	assert_non_null(buf);
	for (int round = 0; round < 300; round++) {
		size_t n = rnd_below(100), len;
		struct xw_fb_header h, e;

		size_t pbc_refused = 0;

		rnd_batch_fill(&rb, n);
		w_groups = round % 2;
		len = write_shuffled(&rb.fb, buf);
		/* protobuf-c reads it as we meant it (without groups)... */
		assert_int_equal(decode_vs_protobuf_c(buf, len, &g,
						      w_groups ? &pbc_refused : NULL),
				 0);
		/* ...and so do we, from the structs we wrote. */
		assert_int_equal(g.n, n);
		for (size_t i = 0; i < n; i++) {
			struct xw_fb_record r;

			expect_record(&rb.fb, rb.fb.records[i], &r);
			check_record_eq(&g.r[i], &r, i);
		}
		assert_int_equal(xw_fb_decode(buf, len, &h, NULL, NULL), 0);
		expect_header(&rb.fb, &e);
		check_header_eq(&h, &e, &rb.fb);
	}
	free(buf);
}

/* ---- the collector's encoder: batcher.c, its producer calls wrapped ---- */

static struct {
	uint8_t *buf;
	size_t len;
	int calls;
	struct xw_producer_stats stats;
} sink;
#define SINK ((struct xw_producer *)&sink)

int __wrap_xw_producer__produce(struct xw_producer *p, const void *key,
				size_t keylen, const void *buf, size_t len,
				uint32_t records,
				const struct xw_kafka_header *hdrs,
				size_t nhdrs);
const struct xw_producer_stats *
__wrap_xw_producer__stats(struct xw_producer *p);

int __wrap_xw_producer__produce(struct xw_producer *p, const void *key,
				size_t keylen, const void *buf, size_t len,
				uint32_t records,
				const struct xw_kafka_header *hdrs,
				size_t nhdrs)
{
	assert_ptr_equal(p, SINK);
	free(sink.buf);
	sink.buf = malloc(len);
	assert_non_null(sink.buf);
	memcpy(sink.buf, buf, len);
	sink.len = len;
	sink.calls++;
	sink.stats.msgs_produced++;
	sink.stats.records_produced += records;
	return 0;
}

const struct xw_producer_stats *__wrap_xw_producer__stats(struct xw_producer *p)
{
	return &sink.stats;
}

#define BATCH_RATE 8

static struct xw_record rec_of(uint32_t i, uint64_t ts)
{
	struct xw_record r = {
		.ts_ns = ts,
		.ifindex = 2 + i % 3,
		.sample_rate = i % 5 ? BATCH_RATE : 1 + i % 100,
		.pkt_len = 60 + i % 1454,
		.rx_queue = i % 8,
		.sport = (uint16_t)(1024 + i * 7919),
		.dport = (uint16_t)(i % 7 ? 443 : 53),
		.ip_len = 46 + i % 1454,
		.l4_payload_len = i % 3 ? 0 : i % 1400,
		.tcp_window = i % 2 ? 64240 : 0,
		.ip_ver = i % 4 == 3 ? 0 : i % 4 == 2 ? 6 : 4,
		.l4_proto = i % 7 ? IPPROTO_TCP : IPPROTO_UDP,
		.tcp_flags = (uint8_t)(i % 7 ? 0x02 : 0),
		.ttl = (uint8_t)(64 - i % 64),
		.tos = i % 256,
		.frag = (uint8_t)(i % 11 ? 0 : XW_FRAG_DF),
		.action = (uint8_t)(i % 4),
		.rule_id = i % 4 ? 1000 + i : 0,
		.vlan_id = i % 13 ? 0 : 100 + i % 4000,
		.vlan_count = (uint8_t)(i % 13 ? 0 : 1 + i % 2),
		.tunnel = (uint8_t)(i % 17 ? 0 : 1 + i % 4),
		.flags = i % 19 ? XW_REC_L4_VALID : XW_REC_PARSE_ERROR,
	};

	for (int k = 0; k < 16; k++) {
		r.saddr[k] = (uint8_t)(i * 31 + k);
		r.daddr[k] = (uint8_t)(i * 17 + k * 3);
	}
	return r;
}

/* 3. What batcher.c writes, with counters and losses, decodes exactly. */
static void test_batcher_output(void **state)
{
	static const struct xw_iface_name ifaces[] = { { 2, "eth0" },
						       { 5, "ens1f0" } };
	struct xw_batcher_opts o = {
		.host_id = "host-7.example",
		.max_records = 1000,
		.max_bytes = 1 << 20,
		.linger_ms = 60000,
		.sample_rate = BATCH_RATE,
	};
	struct xw_counters c = { 0 };
	struct xw_counters_pb *cpb = calloc(1, sizeof(*cpb));
	Xdpwatch__V1__InterfaceCounters *ptrs[2];
	struct xw_record *recs = calloc(1000, sizeof(*recs));
	struct xw_batcher *b = NULL;
	struct xw_fb_header h;
	uint64_t t0 = 5000000000ull, base = UINT64_MAX;

	assert_non_null(cpb);
	assert_non_null(recs);
	assert_int_equal(xw_batcher__new(&b, &o, SINK, ifaces, 2), 0);
	c.traffic[XW_TRAFFIC_IDX(XW_IPVER_4, XW_L4_TCP, XW_ACT_PASS)] =
		(struct xw_counter){ 1000, 900000 };
	c.traffic[XW_TRAFFIC_IDX(XW_IPVER_6, XW_L4_UDP, XW_ACT_DROP)] =
		(struct xw_counter){ 7, 700 };
	c.traffic[XW_TRAFFIC_IDX(XW_IPVER_NONE, XW_L4_OTHER, XW_ACT_PASS)] =
		(struct xw_counter){ 3, 180 };
	c.traffic[XW_TRAFFIC_IDX(XW_IPVER_4, XW_L4_ICMP, XW_ACT_MONITOR)] =
		(struct xw_counter){ 5, 420 };
	c.events[XW_EV_RECORD_SAMPLED] = 1010;
	xw_counters__to_pb(&c, 2, "eth0", &cpb[0]);
	ptrs[0] = &cpb->ic;
	ptrs[1] = &cpb->ic; /* the same counters on a second interface */
	sink.stats.records_queue_full = 11;
	sink.stats.records_failed = 12;
	xw_batcher__set_counters(b, ptrs, 2, 13);

	for (uint32_t i = 0; i < 999; i++) {
		/* a little out of order, as from several CPUs */
		recs[i] = rec_of(i, t0 + i * 1000 + (i % 3) * 1500);
		if (recs[i].ts_ns < base)
			base = recs[i].ts_ns;
		xw_batcher__add(b, &recs[i]);
	}
	assert_int_equal(sink.calls, 0);
	assert_int_equal(xw_batcher__flush(b), 0);
	assert_int_equal(sink.calls, 1);

	g.n = 0;
	assert_int_equal(xw_fb_decode(sink.buf, sink.len, &h, collect, &g), 0);
	assert_int_equal(decode_vs_protobuf_c(sink.buf, sink.len, &g, NULL), 0);
	assert_int_equal(g.n, 999);
	assert_int_equal(h.schema_version, 1);
	assert_int_equal(h.host_id_len, strlen("host-7.example"));
	assert_memory_equal(h.host_id, "host-7.example", h.host_id_len);
	assert_int_equal(h.collector_id_len, 32);
	assert_memory_equal(h.collector_id, xw_batcher__collector_id(b), 32);
	assert_int_equal(h.sequence, 1);
	assert_int_equal(h.sample_rate, BATCH_RATE);
	assert_int_equal(h.nrecords, 999);
	assert_true(h.has_counters);
	assert_int_equal(h.pkts[1][XW_FB_L4_TCP][0], 2000);
	assert_int_equal(h.bytes[1][XW_FB_L4_TCP][0], 1800000);
	assert_int_equal(h.pkts[2][XW_FB_L4_UDP][1], 14);
	assert_int_equal(h.pkts[0][XW_FB_L4_OTHER][0], 6);
	assert_int_equal(h.pkts[1][XW_FB_L4_ICMP][2], 10);
	assert_int_equal(h.bytes[1][XW_FB_L4_ICMP][2], 840);
	assert_int_equal(h.counters_skipped, 0);
	assert_true(h.has_losses);
	assert_int_equal(h.records_lost_queue_full, 11);
	assert_int_equal(h.records_delivery_failed, 12);
	assert_int_equal(h.records_ringbuf_full, 13);
	assert_int_equal(h.records_produced, 0);

	for (uint32_t i = 0; i < 999; i++) {
		const struct xw_record *x = &recs[i];
		const struct xw_fb_record *r = &g.r[i];
		size_t alen = x->ip_ver == 4 ? 4 : x->ip_ver == 6 ? 16 : 0;
		uint8_t zero[16] = { 0 };

		assert_int_equal(r->ts_offset_ns, x->ts_ns - base);
		assert_memory_equal(r->src, x->saddr, alen);
		assert_memory_equal(r->dst, x->daddr, alen);
		assert_memory_equal(r->src + alen, zero, 16 - alen);
		assert_int_equal(r->ip_version, x->ip_ver);
		assert_int_equal(r->l4_proto, x->l4_proto);
		assert_int_equal(r->tcp_flags, x->tcp_flags);
		assert_int_equal(r->ttl, x->ttl);
		assert_int_equal(r->frag, x->frag);
		assert_int_equal(r->action, x->action);
		assert_int_equal(r->tunnel, x->tunnel);
		assert_int_equal(r->vlan_count, x->vlan_count);
		assert_int_equal(r->sport, x->sport);
		assert_int_equal(r->dport, x->dport);
		assert_int_equal(r->ip_len, x->ip_len);
		assert_int_equal(r->l4_payload_len, x->l4_payload_len);
		assert_int_equal(r->pkt_len, x->pkt_len);
		assert_int_equal(r->ifindex, x->ifindex);
		assert_int_equal(r->tcp_window, x->tcp_window);
		assert_int_equal(r->rule_id, x->rule_id);
		assert_int_equal(r->tos, x->tos);
		assert_int_equal(r->vlan_id, x->vlan_id);
		assert_int_equal(r->rx_queue, x->rx_queue);
		/* the record's own, or the batch's when it left it out */
		assert_int_equal(r->sample_rate, x->sample_rate);
		assert_int_equal(r->parse_error, !!(x->flags & XW_REC_PARSE_ERROR));
	}
	/* xw_fb_peek_header: the same header without the records. */
	{
		struct xw_fb_header ph;

		assert_int_equal(xw_fb_peek_header(sink.buf, sink.len, &ph), 0);
		assert_memory_equal(&ph, &h, sizeof(ph));
	}
	xw_batcher__destroy(b);
	free(recs);
	free(cpb);
	free(sink.buf);
	sink.buf = NULL;
}

/* ---- malformed input ---- */

/* A batch of raw bytes: the FeatureBatch wrapping one record body. */
static size_t one_record(uint8_t *out, const uint8_t *rec, size_t n)
{
	struct wr w = { out, out };

	w_uint(&w, 6, 8); /* sample_rate */
	w_bytes(&w, 7, rec, n);
	return (size_t)(w.p - out);
}

struct bad_case {
	const char *what;
	uint8_t rec[48]; /* a record's body; or the batch when top */
	size_t n;
	bool top;
	int want;
};

#define B(...) { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ })

static const struct bad_case bad_cases[] = {
	{ "fine: sport 65535", B(0x28, 0xff, 0xff, 0x03), false, 0 },
	{ "sport 65536", B(0x28, 0x80, 0x80, 0x04), false, -EBADMSG },
	{ "l4_proto 256", B(0x20, 0x80, 0x02), false, -EBADMSG },
	{ "ttl 255", B(0x40, 0xff, 0x01), false, 0 },
	{ "ip_len 2^32", B(0x48, 0x80, 0x80, 0x80, 0x80, 0x10), false, -EBADMSG },
	{ "ip_len 2^32-1", B(0x48, 0xff, 0xff, 0xff, 0xff, 0x0f), false, 0 },
	{ "varint of 10 bytes, 2^63", B(0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01), false, 0 },
	{ "varint over 64 bits", B(0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02), false, -EBADMSG },
	{ "varint of 11 bytes", B(0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00), false, -EBADMSG },
	{ "truncated varint", B(0x08, 0x80), false, -EBADMSG },
	{ "src of 5 bytes", B(0x12, 5, 1, 2, 3, 4, 5), false, -EBADMSG },
	{ "src of 4, dst of 16", B(0x12, 4, 1, 2, 3, 4, 0x1a, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), false, -EBADMSG },
	{ "dst of 16 only", B(0x1a, 16, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), false, 0 },
	{ "ip_version 4 beside 16-byte addresses", B(0x80, 0x01, 4, 0x1a, 16, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), false, -EBADMSG },
	{ "length past the end", B(0x12, 16, 1, 2, 3, 4), false, -EBADMSG },
	{ "field 0", B(0x00, 0x01), false, -EBADMSG },
	{ "field 0 in two bytes", B(0x80, 0x00, 0x01), false, -EBADMSG },
	{ "known field, wrong wire type (sport as bytes)", B(0x2a, 1, 0), false, -EBADMSG },
	{ "known field, wrong wire type (src as varint)", B(0x10, 1), false, -EBADMSG },
	{ "known field, wrong wire type (parse_error fixed32)", B(0xc5, 0x01, 1, 0, 0, 0), false, -EBADMSG },
	{ "unknown fixed64", B(0xc9, 0x01, 1, 2, 3, 4, 5, 6, 7, 8), false, 0 },
	{ "unknown fixed64, truncated", B(0xc9, 0x01, 1, 2, 3, 4, 5, 6, 7), false, -EBADMSG },
	{ "unknown fixed32, truncated", B(0xcd, 0x01, 1, 2, 3), false, -EBADMSG },
	{ "unknown group", B(0xcb, 0x01, 0x08, 1, 0xcc, 0x01), false, 0 },
	{ "group in group", B(0xcb, 0x01, 0xd3, 0x01, 0xd4, 0x01, 0xcc, 0x01), false, 0 },
	{ "group closed by another number", B(0xcb, 0x01, 0x08, 1, 0xd4, 0x01), false, -EBADMSG },
	{ "group never closed", B(0xcb, 0x01, 0x08, 1), false, -EBADMSG },
	{ "end group without start", B(0xcc, 0x01), false, -EBADMSG },
	{ "wire type 6", B(0xce, 0x01, 0), false, -EBADMSG },
	{ "wire type 7", B(0xcf, 0x01, 0), false, -EBADMSG },
	{ "tag over 32 bits", B(0xf8, 0xff, 0xff, 0xff, 0xff, 0x01, 0), false, -EBADMSG },
	{ "top: sequence as fixed64", B(0x21, 1, 2, 3, 4, 5, 6, 7, 8), true, -EBADMSG },
	{ "top: sample_rate 2^32", B(0x30, 0x80, 0x80, 0x80, 0x80, 0x10), true, -EBADMSG },
	{ "top: losses as varint", B(0x50, 1), true, -EBADMSG },
	{ "top: truncated losses", B(0x52, 2, 0x08), true, -EBADMSG },
	{ "top: bad varint inside losses", B(0x52, 2, 0x08, 0x80), true, -EBADMSG },
	{ "top: interface ifindex 2^32", B(0x42, 6, 0x08, 0x80, 0x80, 0x80, 0x80, 0x10), true, -EBADMSG },
	{ "top: traffic counter l4 as varint", B(0x4a, 4, 0x1a, 2, 0x10, 1), true, -EBADMSG },
	{ "top: event count as bytes", B(0x4a, 4, 0x22, 2, 0x12, 0), true, -EBADMSG },
	{ "top: unknown field 11, every type", B(0x58, 1, 0x59, 1, 2, 3, 4, 5, 6, 7, 8, 0x5a, 1, 0, 0x5b, 0x5c, 0x5d, 1, 2, 3, 4), true, 0 },
};

/* 4. Each malformed case is -EBADMSG; its neighbours that are fine pass. */
static void test_bad_cases(void **state)
{
	for (size_t i = 0; i < XW_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		uint8_t buf[128];
		size_t len;
		struct xw_fb_header h;
		int ret;

		if (c->top) {
			memcpy(buf, c->rec, c->n);
			len = c->n;
		} else {
			len = one_record(buf, c->rec, c->n);
		}
		g.n = 0;
		ret = xw_fb_decode(buf, len, &h, collect, &g);
		if (ret != c->want)
			fail_msg("%s: %d, want %d", c->what, ret, c->want);
		if (!ret && !c->top) {
			assert_int_equal(g.n, 1);
			assert_int_equal(g.r[0].sample_rate, 8);
		}
		/* A batch refused at the top level delivered nothing. */
		if (c->top && ret)
			assert_int_equal(g.n, 0);
	}
}

/* 5. Derived ip_version, batch defaults, and details of the rules. */
static void test_derived_fields(void **state)
{
	uint8_t buf[256];
	struct wr w = { buf, buf };
	uint8_t a4[4] = { 192, 0, 2, 1 }, a16[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint8_t tmp[64];
	struct wr s;
	struct xw_fb_header h;

	/* Records first, the batch's sample rate after them. */
	s = (struct wr){ tmp, tmp };
	w_bytes(&s, 2, a4, 4);
	w_bytes(&w, 7, tmp, (size_t)(s.p - tmp));
	s = (struct wr){ tmp, tmp };
	w_bytes(&s, 3, a16, 16);
	w_uint(&s, 23, 100);
	w_bytes(&w, 7, tmp, (size_t)(s.p - tmp));
	s = (struct wr){ tmp, tmp };
	w_uint(&s, 16, 9); /* an ip_version we do not know, no addresses */
	w_uint(&s, 24, 7); /* any non-zero bool is true */
	w_bytes(&w, 7, tmp, (size_t)(s.p - tmp));
	w_uint(&w, 6, 1000);
	w_uint(&w, 6, 64); /* a repeated scalar: the last wins */

	g.n = 0;
	assert_int_equal(xw_fb_decode(buf, (size_t)(w.p - buf), &h, collect, &g), 0);
	assert_int_equal(g.n, 3);
	assert_int_equal(h.sample_rate, 64);
	assert_int_equal(g.r[0].ip_version, 4);
	assert_memory_equal(g.r[0].src, a4, 4);
	assert_int_equal(g.r[0].sample_rate, 64);
	assert_int_equal(g.r[1].ip_version, 6);
	assert_memory_equal(g.r[1].dst, a16, 16);
	assert_int_equal(g.r[1].sample_rate, 100);
	assert_int_equal(g.r[2].ip_version, 9);
	assert_true(g.r[2].parse_error);
	assert_int_equal(h.nrecords, 3);
	assert_false(h.has_counters);
	assert_false(h.has_losses);
	assert_null(h.host_id);

	/* The empty batch. */
	assert_int_equal(xw_fb_decode(buf, 0, &h, collect, &g), 0);
	assert_int_equal(h.nrecords, 0);
	/* fn NULL: decoded and checked only. */
	assert_int_equal(xw_fb_decode(buf, (size_t)(w.p - buf), &h, NULL, NULL), 0);
}

/* 6. A callback's error stops the decode and is returned. */
static void test_callback_stops(void **state)
{
	uint8_t *buf;
	size_t len;
	struct xw_fb_header h;

	rnd_batch_fill(&rb, 10);
	buf = pack(&rb.fb, &len);
	g.n = 0;
	g.stop_at = 3;
	assert_int_equal(xw_fb_decode(buf, len, &h, collect, &g), -ECANCELED);
	assert_int_equal(g.n, 3);
	g.stop_at = 0;
	free(buf);
}

/* The end of each top-level field of a valid batch. */
static size_t top_ends(const uint8_t *buf, size_t len, size_t *ends, size_t max)
{
	size_t n = 0, i = 0;

	while (i < len) {
		uint64_t tag = 0, l = 0;
		int sh = 0;

		do
			tag |= (uint64_t)(buf[i] & 0x7f) << sh, sh += 7;
		while (buf[i++] & 0x80);
		switch (tag & 7) {
		case 0:
			while (buf[i++] & 0x80)
				;
			break;
		case 2:
			sh = 0;
			do
				l |= (uint64_t)(buf[i] & 0x7f) << sh, sh += 7;
			while (buf[i++] & 0x80);
			i += l;
			break;
		default:
			fail_msg("unexpected wire type at the top level");
		}
		assert_true(n < max);
		ends[n++] = i;
	}
	return n;
}

/* 7. Every prefix of a valid batch: decodes exactly when it ends where a
 * top-level field ends, else -EBADMSG; never a read past the prefix (the
 * prefix is copied to a buffer of its own size, for ASan to see). */
static void test_truncation(void **state)
{
	static size_t ends[4096];
	uint8_t *buf;
	size_t len, nends, e = 0;

	rnd_batch_fill(&rb, 30);
	rb.fb.n_counters = rb.fb.n_counters ?: 1;
	buf = pack(&rb.fb, &len);
	nends = top_ends(buf, len, ends, XW_ARRAY_SIZE(ends));
	for (size_t cut = 0; cut <= len; cut++) {
		uint8_t *p = malloc(cut ? cut : 1);
		struct xw_fb_header h;
		int ret;

		memcpy(p, buf, cut);
		ret = xw_fb_decode(p, cut, &h, NULL, NULL);
		while (e < nends && ends[e] < cut)
			e++;
		if (cut == 0 || (e < nends && ends[e] == cut)) {
			if (ret)
				fail_msg("prefix of %zu bytes (a field's end): %d", cut, ret);
		} else if (ret != -EBADMSG) {
			fail_msg("prefix of %zu of %zu bytes: %d, want -EBADMSG", cut, len, ret);
		}
		free(p);
	}
	free(buf);
}

/*
 * 8. Random mutations of valid batches: -EBADMSG or decoded, and when
 * decoded, equal to protobuf-c's reading of the same bytes. protobuf-c may
 * refuse what we take (it is stricter nowhere we know of, but we do not
 * assert it); the count is printed.
 */
static void test_mutations(void **state)
{
	size_t decoded = 0, refused = 0, pbc_refused = 0;
	uint8_t *buf = malloc(1 << 20);

	assert_non_null(buf);
	w_groups = false;
	for (int round = 0; round < 4000; round++) {
		size_t len;
		uint8_t *p;
		int ret;

		rnd_batch_fill(&rb, rnd_below(12));
		len = round % 2 ? write_shuffled(&rb.fb, buf) :
				  xdpwatch__v1__feature_batch__pack(&rb.fb, buf);
		if (!len)
			continue;
		for (uint32_t k = 1 + rnd_below(4); k; k--) {
			size_t at = rnd_below((uint32_t)len);

			switch (rnd_below(4)) {
			case 0:
				buf[at] ^= (uint8_t)(1u << rnd_below(8));
				break;
			case 1:
				buf[at] = (uint8_t)rnd64();
				break;
			case 2: /* a byte dropped */
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
				break;
			case 3:
				buf[at] = rnd_below(2) ? 0xff : 0x80;
				break;
			}
			if (!len)
				break;
		}
		p = malloc(len ? len : 1);
		memcpy(p, buf, len);
		ret = decode_vs_protobuf_c(p, len, &g, &pbc_refused);
		if (ret == 0)
			decoded++;
		else if (ret == -EBADMSG)
			refused++;
		else
			fail_msg("mutation %d: %d", round, ret);
		free(p);
	}
	printf("mutations: %zu decoded (%zu of them refused by protobuf-c), "
	       "%zu -EBADMSG\n", decoded, pbc_refused, refused);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_protobuf_c_random),
		cmocka_unit_test(test_order_and_unknown_fields),
		cmocka_unit_test(test_batcher_output),
		cmocka_unit_test(test_bad_cases),
		cmocka_unit_test(test_derived_fields),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_mutations),
	};

	xw_log_set_level(XW_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
