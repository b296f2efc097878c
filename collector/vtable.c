// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtable.c - see vtable.h. Open addressing with linear probing over an
 * FNV-1a hash of the rule id; entries are never removed (a withdrawn rule
 * keeps its version so that an older verdict cannot come back), so no
 * tombstones are needed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "vtable.h"

struct xw_vtable {
	struct xw_ventry *slots;
	size_t mask; /* slots - 1, a power of two minus one */
	size_t used, limit;
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

int xw_vtable__new(struct xw_vtable **out, size_t capacity)
{
	struct xw_vtable *t = calloc(1, sizeof(*t));
	size_t n = 16;

	if (!t)
		return -ENOMEM;
	/* At most half full: probes stay short. */
	while (n < capacity * 2)
		n <<= 1;
	t->slots = calloc(n, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return -ENOMEM;
	}
	t->mask = n - 1;
	t->limit = capacity;
	*out = t;
	return 0;
}

void xw_vtable__free(struct xw_vtable *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t);
}

/* The slot holding rule_id, or the empty slot where it would go. */
static struct xw_ventry *probe(struct xw_vtable *t, const char *rule_id)
{
	size_t i = fnv1a(rule_id) & t->mask;

	while (t->slots[i].rule_id[0] &&
	       strcmp(t->slots[i].rule_id, rule_id))
		i = (i + 1) & t->mask;
	return &t->slots[i];
}

struct xw_ventry *xw_vtable__get(struct xw_vtable *t, const char *rule_id)
{
	struct xw_ventry *e = probe(t, rule_id);

	return e->rule_id[0] ? e : NULL;
}

enum xw_refusal xw_vtable__claim(struct xw_vtable *t, const char *rule_id,
				 uint64_t version, struct xw_ventry **entry,
				 char *why, size_t whylen)
{
	struct xw_ventry *e = probe(t, rule_id);

	if (e->rule_id[0]) {
		if (version <= e->version)
			return (enum xw_refusal)xw_err(
				why, whylen, XW_REFUSE_REPLAY,
				"version %llu is not newer than %llu, already seen",
				(unsigned long long)version,
				(unsigned long long)e->version);
	} else {
		if (t->used >= t->limit)
			return (enum xw_refusal)xw_err(
				why, whylen, XW_REFUSE_BUDGET,
				"%zu rule ids already known, the most this collector keeps",
				t->used);
		t->used++;
		strcpy(e->rule_id, rule_id); /* valid ids are shorter than the field */
	}
	e->version = version;
	*entry = e;
	return XW_REFUSE_NONE;
}

int xw_vtable__foreach(struct xw_vtable *t, xw_ventry_cb cb, void *ctx)
{
	for (size_t i = 0; i <= t->mask; i++) {
		int ret;

		if (!t->slots[i].rule_id[0])
			continue;
		ret = cb(&t->slots[i], ctx);
		if (ret)
			return ret;
	}
	return 0;
}

size_t xw_vtable__size(const struct xw_vtable *t)
{
	return t->used;
}
