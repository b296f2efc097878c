/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * dtable.h - every destination the feature stream mentions, with one
 * second of its traffic in XW_WINDOW_SLOTS slots.
 *
 * Two tiers keep memory bounded by what is busy, not by what exists: a
 * light entry (the slots' counters, ~0.4 KiB) for every destination, and
 * heavy state (HyperLogLog of sources, Space-Saving of sources, ports and
 * destinations per slot, the learned baseline, the attack state) only for
 * those whose rate passed watch_pps. Only heavy entries can be attacks,
 * so only they are evaluated; they go light again when quiet, and light
 * entries go away when idle.
 *
 * Slots are numbered by event time (unix ms / XW_SLOT_MS) from the
 * records; a record older than the window is late (counted, dropped).
 *
 *   xw_dtable_new(&t, opts) / xw_dtable_free(t)
 *   xw_dtable_get(t, key)        the entry, created if needed; NULL when
 *                                the table is full (counted as untracked)
 *   xw_dst_add(t, d, slot, rc, src, sport, dport, dst, host)
 *                                one record, already classified
 *   xw_dst_window(d, &w)         the last second, per second
 *   xw_dst_sketch(d, &s)         merged sketches of the last second (heavy)
 *   xw_dtable_heavy(t, &n)       the heavy entries, to evaluate
 *   xw_dtable_tick(t, slot, now_ms, slot_of, ctx)
 *                                advance heavy entries to the slot their
 *                                data has reached (slot_of(ctx, d), or
 *                                slot when slot_of is NULL) so quiet ones
 *                                drain, let quiet ones go light, sweep
 *                                part of the idle ones
 *   xw_dtable_remove_if(t, pred, ctx)   drop entries (a revoked partition)
 */
#ifndef XW_DTABLE_H
#define XW_DTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ewma.h"
#include "hll.h"
#include "model.h"
#include "topk.h"

#define XW_DST_HOSTS 4 /* host ids remembered per destination */
#define XW_SKETCH_K 8

struct xw_attack;

/* A record reduced to what the counters need: computed once, added to the
 * host entry and to its carpet prefix entry. */
struct xw_rec_class {
	enum xw_metric metric; /* its packet class */
	float weight; /* packets it stands for */
	float bytes; /* weight * IP length */
	bool has_ports;
};

struct xw_slot {
	float m[XW_M_COUNT];
};

struct xw_dst_heavy {
	struct xw_hll srcs_hll[XW_WINDOW_SLOTS];
	struct xw_hll dsts_hll[XW_WINDOW_SLOTS]; /* prefix entries */
	struct xw_topk srcs[XW_WINDOW_SLOTS];
	struct xw_topk sports[XW_WINDOW_SLOTS];
	struct xw_topk dports[XW_WINDOW_SLOTS];
	struct xw_topk dsts[XW_WINDOW_SLOTS]; /* prefix entries */
	uint32_t slot_records[XW_WINDOW_SLOTS]; /* records, to thin sketches */
	struct xw_ewma base[XW_M_COUNT]; /* per second */
	/* attacks.c's: the slot each class went over (+1; 0 under), the
	 * attack it is */
	uint64_t over_since[XW_ATTACK_COUNT];
	uint64_t under_since_ms[XW_ATTACK_COUNT];
	struct xw_attack *attack[XW_ATTACK_COUNT];
	unsigned int nattacks;
	uint64_t quiet_since_ms;
};

struct xw_dst {
	struct xw_dkey key;
	uint16_t group; /* thresholds group, from the config */
	uint8_t nhosts;
	bool learning; /* baseline on: false while attacked */
	uint16_t hosts[XW_DST_HOSTS]; /* ingest.c's host indexes */
	uint64_t cur_slot;
	uint64_t touched_ms; /* monotonic, last record */
	struct xw_slot slot[XW_WINDOW_SLOTS];
	struct xw_dst_heavy *heavy;
};

/* The last second's sketches, merged. */
struct xw_dst_sketch {
	double distinct_srcs, distinct_dsts;
	struct xw_topk srcs, sports, dports, dsts;
};

struct xw_dtable_opts {
	uint32_t max_dsts; /* entries at most */
	uint32_t max_heavy; /* heavy entries at most */
	double watch_pps; /* a destination this busy gets heavy state */
	uint32_t idle_s; /* a light entry this long without records goes */
	double baseline_alpha; /* EWMA weight of one slot */
};

struct xw_dtable_stats {
	uint64_t dsts, heavy;
	uint64_t untracked; /* records for new destinations of a full table */
	uint64_t heavy_refused; /* promotions refused: max_heavy reached */
	uint64_t late; /* records older than the window */
	uint64_t expired;
};

struct xw_dtable;

int xw_dtable_new(struct xw_dtable **t, const struct xw_dtable_opts *o);
void xw_dtable_free(struct xw_dtable *t);
struct xw_dst *xw_dtable_get(struct xw_dtable *t, const struct xw_dkey *k);
void xw_dst_add(struct xw_dtable *t, struct xw_dst *d, uint64_t slot,
		const struct xw_rec_class *rc, const uint8_t *src,
		uint8_t alen, uint16_t sport, uint16_t dport,
		const uint8_t *dst, uint16_t host);
void xw_dst_window(const struct xw_dst *d, struct xw_window *w);
void xw_dst_sketch(const struct xw_dst *d, struct xw_dst_sketch *s);
struct xw_dst *const *xw_dtable_heavy(const struct xw_dtable *t,
				      unsigned int *n);
typedef uint64_t (*xw_slot_fn)(void *ctx, const struct xw_dst *d);
void xw_dtable_tick(struct xw_dtable *t, uint64_t wall_slot, uint64_t now_ms,
		    xw_slot_fn slot_of, void *ctx);
void xw_dtable_remove_if(struct xw_dtable *t,
			 bool (*pred)(void *ctx, const struct xw_dst *d),
			 void *ctx);
const struct xw_dtable_stats *xw_dtable_stats(const struct xw_dtable *t);
size_t xw_dtable_bytes_light(void);
size_t xw_dtable_bytes_heavy(void);

#endif /* XW_DTABLE_H */
