// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * dtable.c - destinations, their slots, and their sketches. See dtable.h.
 *
 * An open-addressing table of pointers (linear probing, backward-shift
 * deletion, so no tombstones pile up under churn) and a one-entry cache
 * in front of it: a flood names one destination over and over.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dtable.h"
#include "hash.h"

#define SLOTS_PER_S (1000 / XW_SLOT_MS)
#define HASH_SEED 0x9e3779b97f4a7c15ULL
#define SWEEP_PER_TICK 4096 /* buckets looked at per tick for idle entries */
#define HEAVY_QUIET_MS 10000 /* this long under watch_pps/2: back to light */
#define THIN_AFTER 1024 /* records in a slot before sketches are thinned */
#define THIN_EVERY 4

struct xw_dtable {
	struct xw_dtable_opts o;
	struct xw_dst **bucket;
	uint32_t cap; /* power of two */
	uint32_t count;
	struct xw_dst **heavy;
	uint32_t nheavy;
	struct xw_dst *last[2]; /* a host and its carpet prefix alternate */
	uint32_t sweep_pos;
	uint64_t now_ms;
	float watch_slot; /* watch_pps as packets in one slot */
	struct xw_dtable_stats st;
};

static uint64_t key_hash(const struct xw_dkey *k)
{
	return xw_hash64(k, sizeof(*k), HASH_SEED);
}

static bool key_eq(const struct xw_dkey *a, const struct xw_dkey *b)
{
	return !memcmp(a, b, sizeof(*a));
}

int xw_dtable_new(struct xw_dtable **out, const struct xw_dtable_opts *o)
{
	struct xw_dtable *t = calloc(1, sizeof(*t));

	if (!t || !o->max_dsts || !o->max_heavy)
		goto fail;
	t->o = *o;
	t->cap = 4096;
	t->bucket = calloc(t->cap, sizeof(*t->bucket));
	t->heavy = calloc(o->max_heavy, sizeof(*t->heavy));
	if (!t->bucket || !t->heavy)
		goto fail;
	t->watch_slot = (float)(o->watch_pps / SLOTS_PER_S);
	*out = t;
	return 0;
fail:
	if (t) {
		free(t->bucket);
		free(t->heavy);
	}
	free(t);
	return -ENOMEM;
}

static void dst_free(struct xw_dst *d)
{
	/* attacks.c's attacks, one calloc each (freed so by its drop()):
	 * a table freed while attacks are live, at shutdown, owns them.
	 * LSan found them leaking in unit_detect and the detector's exit. */
	if (d->heavy)
		for (int c = 0; c < XW_ATTACK_COUNT; c++)
			free(d->heavy->attack[c]);
	free(d->heavy);
	free(d);
}

void xw_dtable_free(struct xw_dtable *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->cap; i++)
		if (t->bucket[i])
			dst_free(t->bucket[i]);
	free(t->bucket);
	free(t->heavy);
	free(t);
}

static int grow(struct xw_dtable *t)
{
	uint32_t cap = t->cap * 2, mask = cap - 1;
	struct xw_dst **b = calloc(cap, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->cap; i++) {
		struct xw_dst *d = t->bucket[i];
		uint32_t j;

		if (!d)
			continue;
		for (j = (uint32_t)key_hash(&d->key) & mask; b[j]; j = (j + 1) & mask)
			;
		b[j] = d;
	}
	free(t->bucket);
	t->bucket = b;
	t->cap = cap;
	t->sweep_pos = 0;
	return 0;
}

struct xw_dst *xw_dtable_get(struct xw_dtable *t, const struct xw_dkey *k)
{
	uint32_t mask = t->cap - 1, i;
	struct xw_dst *d;

	struct xw_dst **last = &t->last[k->len < (k->family == 6 ? 128 : 32)];

	if (*last && key_eq(&(*last)->key, k))
		return *last;
	for (i = (uint32_t)key_hash(k) & mask; t->bucket[i]; i = (i + 1) & mask)
		if (key_eq(&t->bucket[i]->key, k))
			return *last = t->bucket[i];
	if (t->count >= t->o.max_dsts) {
		t->st.untracked++;
		return NULL;
	}
	/* Half full at most: probes stay short. */
	if ((t->count + 1) * 2 > t->cap) {
		if (grow(t)) {
			t->st.untracked++;
			return NULL;
		}
		return xw_dtable_get(t, k);
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		t->st.untracked++;
		return NULL;
	}
	d->key = *k;
	d->learning = true;
	d->touched_ms = t->now_ms;
	t->bucket[i] = d;
	t->count++;
	t->st.dsts = t->count;
	return *last = d;
}

static void heavy_reset_slot(struct xw_dst_heavy *h, unsigned int idx)
{
	h->slot_records[idx] = 0;
	xw_hll_reset(&h->srcs_hll[idx]);
	xw_hll_reset(&h->dsts_hll[idx]);
	xw_topk_init(&h->srcs[idx], XW_SKETCH_K);
	xw_topk_init(&h->sports[idx], XW_SKETCH_K);
	xw_topk_init(&h->dports[idx], XW_SKETCH_K);
	xw_topk_init(&h->dsts[idx], XW_SKETCH_K);
}

/*
 * The slots that fall out of the window teach the baseline, then are
 * emptied; so does each slot nothing arrived in (up to a window of them).
 * A slot is learned only as it leaves, a second after it was filled: by
 * then the first slots of a flood have made it an attack (or at least
 * over its threshold), which stops learning, so a flood never teaches
 * the baseline its own rate. Learning the slot that just ended would,
 * while the window was still filling.
 */
static void dst_advance(struct xw_dtable *t, struct xw_dst *d, uint64_t slot)
{
	bool learn = d->heavy && d->learning;
	uint64_t steps;

	if (slot <= d->cur_slot)
		return;
	steps = slot - d->cur_slot;
	for (uint64_t i = 1; i <= steps && i <= 2 * XW_WINDOW_SLOTS; i++) {
		unsigned int idx = (unsigned int)((d->cur_slot + i) % XW_WINDOW_SLOTS);
		bool leaving = i <= XW_WINDOW_SLOTS;

		if (learn)
			for (unsigned int m = 0; m < XW_M_COUNT; m++)
				xw_ewma_update(&d->heavy->base[m],
					       leaving ? d->slot[idx].m[m] * SLOTS_PER_S : 0,
					       t->o.baseline_alpha);
		if (!leaving)
			continue;
		memset(&d->slot[idx], 0, sizeof(d->slot[idx]));
		if (d->heavy)
			heavy_reset_slot(d->heavy, idx);
	}
	d->cur_slot = slot;
}

static void promote(struct xw_dtable *t, struct xw_dst *d)
{
	struct xw_dst_heavy *h;

	if (t->nheavy >= t->o.max_heavy) {
		t->st.heavy_refused++;
		return;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		t->st.heavy_refused++;
		return;
	}
	for (unsigned int i = 0; i < XW_WINDOW_SLOTS; i++)
		heavy_reset_slot(h, i);
	d->heavy = h;
	t->heavy[t->nheavy++] = d;
	t->st.heavy = t->nheavy;
}

static void demote(struct xw_dtable *t, struct xw_dst *d)
{
	for (uint32_t i = 0; i < t->nheavy; i++) {
		if (t->heavy[i] != d)
			continue;
		t->heavy[i] = t->heavy[--t->nheavy];
		break;
	}
	free(d->heavy);
	d->heavy = NULL;
	t->st.heavy = t->nheavy;
}

static void topk_key(struct xw_topk_key *k, const uint8_t *b, uint8_t len)
{
	k->len = len;
	memcpy(k->b, b, len);
}

void xw_dst_add(struct xw_dtable *t, struct xw_dst *d, uint64_t slot,
		const struct xw_rec_class *rc, const uint8_t *src,
		uint8_t alen, uint16_t sport, uint16_t dport,
		const uint8_t *dst, uint16_t host)
{
	unsigned int idx = (unsigned int)(slot % XW_WINDOW_SLOTS);
	struct xw_slot *s;

	if (!d->cur_slot) {
		d->cur_slot = slot;
	} else if (slot + XW_WINDOW_SLOTS <= d->cur_slot) {
		/* Once per record: its carpet prefix entry sees it too. */
		if (d->key.len == alen * 8)
			t->st.late++;
		return;
	}
	dst_advance(t, d, slot);
	d->touched_ms = t->now_ms;
	s = &d->slot[idx];
	s->m[XW_M_PKTS] += rc->weight;
	s->m[XW_M_BYTES] += rc->bytes;
	s->m[rc->metric] += rc->weight;
	if (rc->metric == XW_M_UDP)
		s->m[XW_M_UDP_BYTES] += rc->bytes;
	else if (rc->metric >= XW_M_REFL && rc->metric < XW_M_REFL_BYTES)
		s->m[rc->metric + XW_REFL_COUNT] += rc->bytes;
	if (d->nhosts < XW_DST_HOSTS &&
	    (!d->nhosts || d->hosts[d->nhosts - 1] != host)) {
		bool known = false;

		for (unsigned int i = 0; i < d->nhosts; i++)
			known |= d->hosts[i] == host;
		if (!known)
			d->hosts[d->nhosts++] = host;
	}
	if (d->heavy) {
		struct xw_dst_heavy *h = d->heavy;
		uint32_t n = ++h->slot_records[idx];
		struct xw_topk_key k;
		float w = rc->weight;

		/* Distinct counts need every source... */
		xw_hll_add(&h->srcs_hll[idx], xw_hash64(src, alen, HASH_SEED));
		if (d->key.len < alen * 8)
			xw_hll_add(&h->dsts_hll[idx], xw_hash64(dst, alen, HASH_SEED));
		/* ...heavy hitters do not: past THIN_AFTER records in a slot,
		 * one in THIN_EVERY feeds the Space-Saving sketches, weighted
		 * for the rest. Anything carrying 5% of a busy destination
		 * still has hundreds of samples a slot; the flood's random
		 * sources, which cost a sketch the most, cost a quarter. */
		if (n > THIN_AFTER) {
			if (n % THIN_EVERY)
				return;
			w *= THIN_EVERY;
		}
		topk_key(&k, src, alen);
		xw_topk_add(&h->srcs[idx], &k, w);
		if (rc->has_ports) {
			k.len = 2;
			k.b[0] = sport >> 8;
			k.b[1] = sport & 0xff;
			xw_topk_add(&h->sports[idx], &k, w);
			k.b[0] = dport >> 8;
			k.b[1] = dport & 0xff;
			xw_topk_add(&h->dports[idx], &k, w);
		}
		if (d->key.len < alen * 8) {
			topk_key(&k, dst, alen);
			xw_topk_add(&h->dsts[idx], &k, w);
		}
	} else if (s->m[XW_M_PKTS] >= t->watch_slot) {
		promote(t, d);
	}
}

void xw_dst_window(const struct xw_dst *d, struct xw_window *w)
{
	/* Four slots of a quarter second: their sum is per second. */
	for (unsigned int m = 0; m < XW_M_COUNT; m++) {
		double sum = 0;

		for (unsigned int i = 0; i < XW_WINDOW_SLOTS; i++)
			sum += d->slot[i].m[m];
		w->m[m] = sum * (1000.0 / (XW_SLOT_MS * XW_WINDOW_SLOTS));
	}
}

void xw_dst_sketch(const struct xw_dst *d, struct xw_dst_sketch *s)
{
	struct xw_hll srcs, dsts;

	memset(s, 0, sizeof(*s));
	xw_topk_init(&s->srcs, XW_SKETCH_K);
	xw_topk_init(&s->sports, XW_SKETCH_K);
	xw_topk_init(&s->dports, XW_SKETCH_K);
	xw_topk_init(&s->dsts, XW_SKETCH_K);
	if (!d->heavy)
		return;
	xw_hll_reset(&srcs);
	xw_hll_reset(&dsts);
	for (unsigned int i = 0; i < XW_WINDOW_SLOTS; i++) {
		xw_hll_merge(&srcs, &d->heavy->srcs_hll[i]);
		xw_hll_merge(&dsts, &d->heavy->dsts_hll[i]);
		xw_topk_merge(&s->srcs, &d->heavy->srcs[i]);
		xw_topk_merge(&s->sports, &d->heavy->sports[i]);
		xw_topk_merge(&s->dports, &d->heavy->dports[i]);
		xw_topk_merge(&s->dsts, &d->heavy->dsts[i]);
	}
	s->distinct_srcs = xw_hll_estimate(&srcs);
	s->distinct_dsts = xw_hll_estimate(&dsts);
}

struct xw_dst *const *xw_dtable_heavy(const struct xw_dtable *t,
				      unsigned int *n)
{
	*n = t->nheavy;
	return t->heavy;
}

/* Backward-shift deletion: the entries after i that probed past it move
 * up, so lookups never need tombstones. */
static void bucket_delete(struct xw_dtable *t, uint32_t i)
{
	uint32_t mask = t->cap - 1, j = i;

	t->bucket[i] = NULL;
	for (;;) {
		uint32_t home;

		j = (j + 1) & mask;
		if (!t->bucket[j])
			break;
		home = (uint32_t)key_hash(&t->bucket[j]->key) & mask;
		/* Stays if its home lies cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->bucket[i] = t->bucket[j];
		t->bucket[j] = NULL;
		i = j;
	}
	t->count--;
	t->st.dsts = t->count;
}

static void remove_at(struct xw_dtable *t, uint32_t i)
{
	struct xw_dst *d = t->bucket[i];

	if (d->heavy)
		demote(t, d);
	for (unsigned int k = 0; k < 2; k++)
		if (t->last[k] == d)
			t->last[k] = NULL;
	bucket_delete(t, i);
	dst_free(d);
}

void xw_dtable_tick(struct xw_dtable *t, uint64_t wall_slot, uint64_t now_ms,
		    xw_slot_fn slot_of, void *ctx)
{
	t->now_ms = now_ms;
	for (uint32_t i = t->nheavy; i-- > 0;) {
		struct xw_dst *d = t->heavy[i];
		uint64_t slot = slot_of ? slot_of(ctx, d) : wall_slot;
		struct xw_window w;

		/* Time passes for the quiet ones too: their window drains. */
		if (d->cur_slot && slot > d->cur_slot)
			dst_advance(t, d, slot);
		xw_dst_window(d, &w);
		if (w.m[XW_M_PKTS] >= t->o.watch_pps / 2) {
			d->heavy->quiet_since_ms = 0;
			continue;
		}
		if (!d->heavy->quiet_since_ms)
			d->heavy->quiet_since_ms = now_ms;
		else if (!d->heavy->nattacks &&
			 now_ms - d->heavy->quiet_since_ms > HEAVY_QUIET_MS)
			demote(t, d);
	}
	for (uint32_t n = 0; n < SWEEP_PER_TICK && n < t->cap; n++) {
		uint32_t i = t->sweep_pos;
		struct xw_dst *d = t->bucket[i];

		if (d && !d->heavy &&
		    now_ms - d->touched_ms > (uint64_t)t->o.idle_s * 1000) {
			remove_at(t, i); /* look at i again: it may have moved up */
			t->st.expired++;
			continue;
		}
		t->sweep_pos = (i + 1) & (t->cap - 1);
	}
}

void xw_dtable_remove_if(struct xw_dtable *t,
			 bool (*pred)(void *ctx, const struct xw_dst *d),
			 void *ctx)
{
	for (uint32_t i = 0; i < t->cap;) {
		if (t->bucket[i] && pred(ctx, t->bucket[i]))
			remove_at(t, i);
		else
			i++;
	}
}

const struct xw_dtable_stats *xw_dtable_stats(const struct xw_dtable *t)
{
	return &t->st;
}

size_t xw_dtable_bytes_light(void)
{
	/* The entry and its share of a half-full bucket array. */
	return sizeof(struct xw_dst) + 2 * sizeof(struct xw_dst *);
}

size_t xw_dtable_bytes_heavy(void)
{
	return xw_dtable_bytes_light() + sizeof(struct xw_dst_heavy) +
	       sizeof(struct xw_dst *);
}
