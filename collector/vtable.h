/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * vtable.h - the collector's view of the verdict topic: the newest valid
 * message per rule id, what it became in the maps, and which versions have
 * been seen, so a replayed older version is refused and nothing is applied
 * twice.
 *
 *   xw_vtable__new(&t, capacity)      capacity: rule ids remembered, live
 *                                     or withdrawn (power of two inside)
 *   xw_vtable__claim(t, rule_id, version, &entry, why, whylen)
 *       XW_REFUSE_NONE: version is newer than what the table held for
 *       rule_id; *entry now carries it and the caller fills in the rest;
 *       XW_REFUSE_REPLAY: not newer; XW_REFUSE_BUDGET: the table is full
 *   xw_vtable__get(t, rule_id), xw_vtable__foreach(t, cb, ctx)
 *   xw_vtable__count(t, state)
 */
#ifndef XW_VTABLE_H
#define XW_VTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "verdict.h"

struct xw_vtable;

/* What a verdict asks of this host's maps, kept small: a collector may
 * know a hundred thousand rule ids. */
struct xw_ventry {
	char rule_id[XW_RULE_ID_MAX];
	uint64_t version; /* newest accepted */
	uint8_t kind; /* enum xw_verdict_kind */
	bool targeted; /* meant for this host */
	struct xw_prefix src, dst;
	uint8_t l4_proto, action;
	uint8_t tcp_flags_mask, tcp_flags_value;
	uint16_t sport, dport;
	uint64_t rate_pps;
	uint64_t expires_unix_ns;
	uint32_t slot; /* rule id in the kernel maps, 0 while not applied */
	uint64_t applied_version; /* version once in the maps */
};

int xw_vtable__new(struct xw_vtable **t, size_t capacity);
void xw_vtable__free(struct xw_vtable *t);
enum xw_refusal xw_vtable__claim(struct xw_vtable *t, const char *rule_id,
				 uint64_t version, struct xw_ventry **entry,
				 char *why, size_t whylen);
struct xw_ventry *xw_vtable__get(struct xw_vtable *t, const char *rule_id);
typedef int (*xw_ventry_cb)(struct xw_ventry *e, void *ctx);
int xw_vtable__foreach(struct xw_vtable *t, xw_ventry_cb cb, void *ctx);
size_t xw_vtable__size(const struct xw_vtable *t);

#endif /* XW_VTABLE_H */
