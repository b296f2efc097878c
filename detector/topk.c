// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* topk.c - see topk.h. */
#include <stdbool.h>
#include <string.h>

#include "topk.h"

/* A key as two words, zero past len, plus its length: one compare of
 * three integers per entry instead of a memcmp call. */
struct kw {
	uint64_t w0, w1;
	uint8_t len;
};

static inline struct kw kw_of(const struct xw_topk_key *k)
{
	struct kw r = { 0, 0, k->len };
	uint8_t tmp[16];

	switch (k->len) {
	case 2: {
		uint16_t v;

		memcpy(&v, k->b, 2);
		r.w0 = v;
		break;
	}
	case 4: {
		uint32_t v;

		memcpy(&v, k->b, 4);
		r.w0 = v;
		break;
	}
	case 16:
		memcpy(&r.w0, k->b, 8);
		memcpy(&r.w1, k->b + 8, 8);
		break;
	default:
		memset(tmp, 0, sizeof(tmp));
		if (r.len > 16)
			r.len = 16;
		memcpy(tmp, k->b, r.len);
		memcpy(&r.w0, tmp, 8);
		memcpy(&r.w1, tmp + 8, 8);
	}
	return r;
}

/* Stored keys are zero past len, so the two words read straight. */
static inline bool kw_eq(const struct kw *a, const struct xw_topk_key *k)
{
	uint64_t w0, w1;

	if (a->len != k->len)
		return false;
	memcpy(&w0, k->b, 8);
	memcpy(&w1, k->b + 8, 8);
	return w0 == a->w0 && w1 == a->w1;
}

/* Equal keys, equal fingerprints; distinct keys rarely collide, and a
 * collision only costs the full compare. */
static inline uint64_t kw_fp(const struct kw *a)
{
	return (a->w0 * 0x9e3779b97f4a7c15ull) ^ a->w1 ^ a->len;
}

static inline void kw_store(const struct kw *a, struct xw_topk_key *k)
{
	k->len = a->len;
	memcpy(k->b, &a->w0, 8);
	memcpy(k->b + 8, &a->w1, 8);
}

void xw_topk_init(struct xw_topk *t, unsigned int k)
{
	memset(t, 0, sizeof(*t));
	t->k = k < 1 ? 1 : k > XW_TOPK_MAX ? XW_TOPK_MAX : k;
}

void xw_topk_add(struct xw_topk *t, const struct xw_topk_key *key, double w)
{
	struct kw kw = kw_of(key);
	uint64_t fp = kw_fp(&kw);
	uint32_t i, min;

	t->total += w;
	if (t->n && t->fp[t->last] == fp && kw_eq(&kw, &t->e[t->last].key)) {
		t->e[t->last].count += w;
		return;
	}
	for (i = 0; i < t->n; i++) {
		if (t->fp[i] == fp && kw_eq(&kw, &t->e[i].key)) {
			t->e[i].count += w;
			t->last = i;
			return;
		}
	}
	if (t->n < t->k) {
		i = t->n++;
		kw_store(&kw, &t->e[i].key);
		t->fp[i] = fp;
		t->e[i].count = w;
		t->e[i].err = 0;
		t->last = i;
		return;
	}
	/* The smallest counter goes to the newcomer, which may have had up
	 * to that much weight while it was not counted. */
	double mc = t->e[0].count;

	for (min = 0, i = 1; i < t->n; i++) {
		if (t->e[i].count < mc) {
			mc = t->e[i].count;
			min = i;
		}
	}
	kw_store(&kw, &t->e[min].key);
	t->fp[min] = fp;
	t->e[min].err = t->e[min].count;
	t->e[min].count += w;
	t->last = min;
}

static double min_count(const struct xw_topk *t)
{
	double m;

	/* Not full: every key seen has an entry, an absent one weighs 0. */
	if (t->n < t->k || !t->n)
		return 0;
	m = t->e[0].count;
	for (uint32_t i = 1; i < t->n; i++)
		if (t->e[i].count < m)
			m = t->e[i].count;
	return m;
}

/* Insertion sort by count, largest first: n <= 2 * XW_TOPK_MAX. */
static void sort_desc(struct xw_topk_entry *e, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		struct xw_topk_entry x = e[i];
		uint32_t j = i;

		for (; j > 0 && e[j - 1].count < x.count; j--)
			e[j] = e[j - 1];
		e[j] = x;
	}
}

void xw_topk_merge(struct xw_topk *dst, const struct xw_topk *src)
{
	struct xw_topk_entry u[2 * XW_TOPK_MAX];
	double md = min_count(dst), ms = min_count(src);
	bool in_src[XW_TOPK_MAX] = { false };
	uint32_t n = 0;

	for (uint32_t i = 0; i < dst->n; i++) {
		struct kw kw = kw_of(&dst->e[i].key);
		uint32_t j;

		u[n] = dst->e[i];
		for (j = 0; j < src->n; j++)
			if (kw_eq(&kw, &src->e[j].key))
				break;
		if (j < src->n) {
			in_src[j] = true;
			u[n].count += src->e[j].count;
			u[n].err += src->e[j].err;
		} else {
			u[n].count += ms;
			u[n].err += ms;
		}
		n++;
	}
	for (uint32_t j = 0; j < src->n; j++) {
		if (in_src[j])
			continue;
		u[n] = src->e[j];
		u[n].count += md;
		u[n].err += md;
		n++;
	}
	sort_desc(u, n);
	dst->n = n < dst->k ? n : dst->k;
	memcpy(dst->e, u, dst->n * sizeof(u[0]));
	for (uint32_t i = 0; i < dst->n; i++) {
		struct kw kw = kw_of(&dst->e[i].key);

		dst->fp[i] = kw_fp(&kw);
	}
	dst->total += src->total;
	dst->last = 0;
}

unsigned int xw_topk_top(const struct xw_topk *t, struct xw_topk_entry *out,
			 unsigned int max)
{
	struct xw_topk_entry tmp[XW_TOPK_MAX];
	uint32_t n = t->n;

	memcpy(tmp, t->e, n * sizeof(tmp[0]));
	sort_desc(tmp, n);
	if (n > max)
		n = max;
	memcpy(out, tmp, n * sizeof(tmp[0]));
	return n;
}
