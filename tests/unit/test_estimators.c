// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_estimators.c - the detector's estimators (detector/hash.h, hll.c,
 * topk.c, ewma.c) against the exact answers on streams whose truth the
 * test keeps: HyperLogLog within three standard errors, Space-Saving's
 * guarantees after weighted adds and merges, the EWMA's convergence.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ewma.h"
#include "hash.h"
#include "hll.h"
#include "topk.h"

#include "testhelp.h"

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t rnd64(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static double rnd_unit(void)
{
	return (double)(rnd64() >> 11) / (double)(1ull << 53);
}

/* An IPv4 address from a counter, as sources of a flood look: dense. */
static void addr4(uint32_t i, uint8_t out[4])
{
	uint32_t a = 0xc6120000u + i; /* 198.18.0.0/15 and on */

	out[0] = (uint8_t)(a >> 24);
	out[1] = (uint8_t)(a >> 16);
	out[2] = (uint8_t)(a >> 8);
	out[3] = (uint8_t)a;
}

/* ---- hash ---- */

/* Flipping any one input bit flips about half the output bits. */
static void test_hash_avalanche(void **state)
{
	static const size_t lens[] = { 2, 4, 16, 7, 13 };

	for (size_t l = 0; l < XW_ARRAY_SIZE(lens); l++) {
		size_t n = lens[l];
		double flips = 0, trials = 0;

		for (int t = 0; t < 200; t++) {
			uint8_t k[16];
			uint64_t h0;

			for (size_t i = 0; i < n; i++)
				k[i] = (uint8_t)rnd64();
			h0 = xw_hash64(k, n, 42);
			for (size_t bit = 0; bit < n * 8; bit++) {
				k[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				flips += __builtin_popcountll(h0 ^ xw_hash64(k, n, 42));
				trials++;
				k[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			}
		}
		if (fabs(flips / trials - 32) > 1)
			fail_msg("%zu-byte keys: %.2f of 64 bits flip", n, flips / trials);
	}
	/* The seed and the length count. */
	assert_true(xw_hash64("ab", 2, 1) != xw_hash64("ab", 2, 2));
	assert_true(xw_hash64("ab\0", 3, 1) != xw_hash64("ab", 2, 1));
}

/* ---- HyperLogLog ---- */

static void test_hll_accuracy(void **state)
{
	static const uint32_t sizes[] = { 10, 100, 1000, 10000, 100000 };
	const double se = 1.04 / sqrt(XW_HLL_M);
	struct xw_hll h;

	for (size_t s = 0; s < XW_ARRAY_SIZE(sizes); s++) {
		double worst = 0;

		for (uint64_t seed = 1; seed <= 6; seed++) {
			double e;

			xw_hll_reset(&h);
			for (uint32_t i = 0; i < sizes[s]; i++) {
				uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8 };

				if (seed % 2) { /* IPv4, then IPv6 sources */
					addr4(i, a);
					xw_hll_add(&h, xw_hash64(a, 4, seed));
				} else {
					memcpy(a + 12, &i, 4);
					xw_hll_add(&h, xw_hash64(a, 16, seed));
				}
				/* Repeats change nothing. */
				if (i % 3 == 0)
					xw_hll_add(&h, xw_hash64(a, seed % 2 ? 4 : 16, seed));
			}
			e = xw_hll_estimate(&h);
			if (fabs(e - sizes[s]) > 3 * se * sizes[s])
				fail_msg("%u distinct (seed %llu): estimate %.1f, over 3 SE",
					 sizes[s], (unsigned long long)seed, e);
			if (fabs(e - sizes[s]) / sizes[s] > worst)
				worst = fabs(e - sizes[s]) / sizes[s];
		}
		printf("HLL p=%d, %u distinct: worst error over 6 seeds %.1f%% "
		       "(3 SE %.1f%%)\n", XW_HLL_P, sizes[s], 100 * worst,
		       300 * se);
	}
}

static void test_hll_merge_reset(void **state)
{
	struct xw_hll a, b, u, zero;

	memset(&zero, 0, sizeof(zero));
	xw_hll_reset(&a);
	xw_hll_reset(&b);
	xw_hll_reset(&u);
	assert_memory_equal(&a, &zero, sizeof(a));
	assert_true(xw_hll_estimate(&a) == 0);
	/* a: 0..5999, b: 4000..9999, u: both */
	for (uint32_t i = 0; i < 10000; i++) {
		uint64_t h = xw_hash64(&i, 4, 7);

		if (i < 6000)
			xw_hll_add(&a, h);
		if (i >= 4000)
			xw_hll_add(&b, h);
		xw_hll_add(&u, h);
	}
	xw_hll_merge(&a, &b);
	assert_memory_equal(&a, &u, sizeof(a)); /* exactly the union */
	assert_true(fabs(xw_hll_estimate(&a) - 10000) < 3 * 0.065 * 10000);
	xw_hll_merge(&a, &a); /* idempotent */
	assert_memory_equal(&a, &u, sizeof(a));
	xw_hll_reset(&a);
	assert_memory_equal(&a, &zero, sizeof(a));
}

/* ---- Space-Saving ---- */

#define NKEYS 2000

/* Key i of a stream: ports, IPv4 or IPv6 by i, so lengths mix; bytes
 * past len are garbage, which the summary must ignore. */
static struct xw_topk_key key_of(uint32_t i)
{
	struct xw_topk_key k;

	memset(k.b, 0xa5 ^ (int)(rnd64() & 0xff), sizeof(k.b));
	if (i % 3 == 0) {
		k.len = 2;
		k.b[0] = (uint8_t)(i >> 8);
		k.b[1] = (uint8_t)i;
	} else if (i % 3 == 1) {
		k.len = 4;
		addr4(i, k.b);
	} else {
		k.len = 16;
		memset(k.b, 0, 16);
		k.b[0] = 0x20;
		k.b[14] = (uint8_t)(i >> 8);
		k.b[15] = (uint8_t)i;
	}
	return k;
}

static int key_index(const struct xw_topk_key *k)
{
	for (uint32_t i = 0; i < NKEYS; i++) {
		struct xw_topk_key x = key_of(i);

		if (x.len == k->len && !memcmp(x.b, k->b, k->len))
			return (int)i;
	}
	return -1;
}

/* Zipf-like: key i with probability ~ 1/(i+1)^s, by inversion. */
static uint32_t zipf(double s)
{
	static double cdf[NKEYS];
	static double cdf_s = -1;

	if (cdf_s != s) {
		double sum = 0;

		for (uint32_t i = 0; i < NKEYS; i++)
			cdf[i] = sum += 1 / pow(i + 1, s);
		for (uint32_t i = 0; i < NKEYS; i++)
			cdf[i] /= sum;
		cdf_s = s;
	}
	double u = rnd_unit();
	uint32_t lo = 0, hi = NKEYS - 1;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Feed n weighted items; truth[] += each; the key order is shuffled by
 * a permutation so heavy keys are not always the low indices. */
static void feed(struct xw_topk *t, double *truth, size_t n, double s,
		 uint32_t perm_mul, bool weighted)
{
	for (size_t j = 0; j < n; j++) {
		uint32_t i = (zipf(s) * perm_mul) % NKEYS;
		struct xw_topk_key k = key_of(i);
		double w = weighted ? 1 + 1499 * rnd_unit() : 1;

		xw_topk_add(t, &k, w);
		truth[i] += w;
	}
}

/* Every guarantee topk.h states, against the truth. */
static void check_guarantees(const struct xw_topk *t, const double *truth)
{
	struct xw_topk_entry top[XW_TOPK_MAX];
	bool present[NKEYS] = { false };
	double total = 0, minc = INFINITY;
	unsigned int n = xw_topk_top(t, top, XW_TOPK_MAX);

	for (uint32_t i = 0; i < NKEYS; i++)
		total += truth[i];
	assert_true(fabs(t->total - total) <= 1e-9 * total);
	assert_int_equal(n, t->n);
	for (unsigned int j = 0; j < n; j++) {
		int i = key_index(&top[j].key);
		const double eps = 1e-9 * total;

		assert_true(i >= 0);
		assert_false(present[i]); /* one entry per key */
		present[i] = true;
		if (j)
			assert_true(top[j - 1].count >= top[j].count);
		if (!(top[j].count + eps >= truth[i] &&
		      top[j].count - top[j].err <= truth[i] + eps))
			fail_msg("key %d: count %.1f err %.1f, true %.1f", i,
				 top[j].count, top[j].err, truth[i]);
		if (top[j].count < minc)
			minc = top[j].count;
	}
	for (uint32_t i = 0; i < NKEYS; i++) {
		if (truth[i] > total / t->k && !present[i])
			fail_msg("key %u (%.1f of %.1f, k %u) has no entry", i,
				 truth[i], total, t->k);
		if (!present[i] && n == t->k && truth[i] > minc * (1 + 1e-9))
			fail_msg("key %u outweighs the smallest counter", i);
	}
}

static void test_topk_guarantees(void **state)
{
	static const unsigned int ks[] = { 8, 12, 16 };
	static const double skews[] = { 0.8, 1.0, 1.3 };

	for (size_t a = 0; a < XW_ARRAY_SIZE(ks); a++) {
		for (size_t b = 0; b < XW_ARRAY_SIZE(skews); b++) {
			for (int weighted = 0; weighted < 2; weighted++) {
				static double truth[NKEYS];
				struct xw_topk t;

				memset(truth, 0, sizeof(truth));
				xw_topk_init(&t, ks[a]);
				feed(&t, truth, 20000, skews[b], 7, weighted);
				check_guarantees(&t, truth);
			}
		}
	}
}

static void test_topk_merge(void **state)
{
	for (int round = 0; round < 20; round++) {
		static double truth[NKEYS];
		struct xw_topk parts[4], all;
		unsigned int k = 8 + round % 9;

		memset(truth, 0, sizeof(truth));
		/* Differently skewed and permuted parts: the heavy keys of
		 * one are not those of another. */
		for (int p = 0; p < 4; p++) {
			xw_topk_init(&parts[p], k);
			feed(&parts[p], truth, 2000 + 3000 * (size_t)p,
			     0.9 + 0.2 * p, 1 + 2 * (uint32_t)(p + round), round % 2);
		}
		all = parts[0];
		for (int p = 1; p < 4; p++)
			xw_topk_merge(&all, &parts[p]);
		check_guarantees(&all, truth);
		/* And adding on after a merge keeps them. */
		feed(&all, truth, 5000, 1.1, 13, true);
		check_guarantees(&all, truth);
	}
}

static void test_topk_small(void **state)
{
	struct xw_topk t, e;
	struct xw_topk_entry out[XW_TOPK_MAX];
	struct xw_topk_key p53 = { .len = 2, .b = { 0, 53 } };
	struct xw_topk_key a4 = { .len = 4, .b = { 0, 53, 0, 0 } };

	xw_topk_init(&t, 4);
	assert_int_equal(xw_topk_top(&t, out, 4), 0);
	/* Same bytes, other length: another key. */
	xw_topk_add(&t, &p53, 5);
	xw_topk_add(&t, &a4, 2);
	xw_topk_add(&t, &p53, 1);
	assert_int_equal(xw_topk_top(&t, out, 4), 2);
	assert_int_equal(out[0].key.len, 2);
	assert_true(out[0].count == 6 && out[0].err == 0);
	assert_true(out[1].count == 2 && out[1].err == 0);
	assert_int_equal(xw_topk_top(&t, out, 1), 1);
	assert_true(t.total == 8);
	/* Merging an empty summary changes no count. */
	xw_topk_init(&e, 4);
	xw_topk_merge(&t, &e);
	assert_int_equal(xw_topk_top(&t, out, 4), 2);
	assert_true(out[0].count == 6 && out[1].count == 2);
	/*
	 * A merge where a key has weight on both sides but an entry on one
	 * only: src (k 2) saw A 50, then B and C 1000 each, and A lost its
	 * counter to C. The merged A must still cover all 150 of it.
	 */
	{
		struct xw_topk_key ka = { 4, { 192, 0, 2, 1 } };
		struct xw_topk_key kb = { 4, { 192, 0, 2, 2 } };
		struct xw_topk_key kc = { 4, { 192, 0, 2, 3 } };
		struct xw_topk d, s;

		xw_topk_init(&s, 2);
		xw_topk_add(&s, &ka, 50);
		xw_topk_add(&s, &kb, 1000);
		xw_topk_add(&s, &kc, 1000);
		xw_topk_init(&d, 2);
		xw_topk_add(&d, &ka, 100);
		xw_topk_merge(&d, &s);
		assert_int_equal(xw_topk_top(&d, out, 4), 2);
		assert_memory_equal(out[0].key.b, ka.b, 4);
		assert_true(out[0].count >= 150);
		assert_true(out[0].count - out[0].err <= 150);
		assert_memory_equal(out[1].key.b, kc.b, 4);
		assert_true(out[1].count >= 1000 && out[1].count - out[1].err <= 1000);
		assert_true(d.total == 2150);
	}

	/* k beyond the maximum is clamped. */
	xw_topk_init(&t, 100);
	assert_int_equal(t.k, XW_TOPK_MAX);
}

/* ---- EWMA ---- */

static void test_ewma(void **state)
{
	struct xw_ewma c = { 0 }, quiet = { 0 }, noisy = { 0 };

	assert_false(xw_ewma_warm(&c, 1));
	for (int i = 0; i < 200; i++)
		xw_ewma_update(&c, 1000, 0.1);
	assert_true(fabs(c.mean - 1000) < 1e-9);
	assert_true(c.var < 1e-9);
	assert_true(fabs(xw_ewma_band(&c, 3) - 1000) < 1e-3);
	assert_true(xw_ewma_warm(&c, 200));
	assert_false(xw_ewma_warm(&c, 201));

	/* The first sample is the mean, not alpha of it. */
	xw_ewma_update(&quiet, 50, 0.05);
	assert_true(quiet.mean == 50 && quiet.var == 0);

	/* Mean 100, sd 1 against mean 100, sd 20: the band widens, the
	 * mean stays, the variance approaches the series'. */
	for (int i = 0; i < 5000; i++) {
		double u = rnd_unit() - 0.5; /* uniform: sd 1/sqrt(12) */

		xw_ewma_update(&quiet, 100 + u * sqrt(12), 0.02);
		xw_ewma_update(&noisy, 100 + u * 20 * sqrt(12), 0.02);
	}
	assert_true(fabs(quiet.mean - 100) < 1);
	assert_true(fabs(noisy.mean - 100) < 15);
	assert_true(sqrt(quiet.var) > 0.6 && sqrt(quiet.var) < 1.5);
	assert_true(sqrt(noisy.var) > 12 && sqrt(noisy.var) < 30);
	assert_true(xw_ewma_band(&noisy, 3) > xw_ewma_band(&quiet, 3) + 20);
	assert_true(xw_ewma_band(&quiet, 3) > xw_ewma_band(&quiet, 1));

	/* A step: the mean follows, within a few 1/alpha samples. */
	for (int i = 0; i < 300; i++)
		xw_ewma_update(&quiet, 200, 0.02);
	assert_true(fabs(quiet.mean - 200) < 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_avalanche),
		cmocka_unit_test(test_hll_accuracy),
		cmocka_unit_test(test_hll_merge_reset),
		cmocka_unit_test(test_topk_guarantees),
		cmocka_unit_test(test_topk_merge),
		cmocka_unit_test(test_topk_small),
		cmocka_unit_test(test_ewma),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
