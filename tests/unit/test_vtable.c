// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_vtable.c - the collector's table of verdict rule ids
 * (collector/vtable.c): claims of new and newer versions, replays refused,
 * the capacity limit, get and foreach, with 100,000 ids and with ids
 * chosen to collide on their home slot (including the wrap at the end of
 * the array).
 */
#include <inttypes.h>
#include <stdlib.h>

#include "vtable.h"

#include "testhelp.h"

#define MANY 100000

/* The table's hash, to choose ids that collide (vtable.c keeps it static). */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static enum xw_refusal claim(struct xw_vtable *t, const char *id, uint64_t version,
			     struct xw_ventry **e)
{
	char why[256] = "";
	struct xw_ventry *dummy;
	enum xw_refusal r = xw_vtable__claim(t, id, version, e ? e : &dummy, why,
					     sizeof(why));

	if (r)
		assert_true(why[0] != '\0'); /* every refusal says why */
	return r;
}

static void test_claim_replay_get(void **state)
{
	struct xw_vtable *t;
	struct xw_ventry *e, *again;
	char why[256];

	(void)state;
	assert_int_equal(xw_vtable__new(&t, 16), 0);
	assert_null(xw_vtable__get(t, "soc-1"));
	assert_int_equal(claim(t, "soc-1", 5, &e), XW_REFUSE_NONE);
	assert_string_equal(e->rule_id, "soc-1");
	assert_int_equal(e->version, 5);
	assert_int_equal(e->slot, 0);
	e->slot = 70000; /* what the caller fills in stays */
	e->applied_version = 5;
	assert_ptr_equal(xw_vtable__get(t, "soc-1"), e);

	/* Same and older versions: replays, and the entry is untouched. */
	assert_int_equal(xw_vtable__claim(t, "soc-1", 5, &again, why, sizeof(why)),
			 XW_REFUSE_REPLAY);
	assert_contains(why, "not newer");
	assert_int_equal(claim(t, "soc-1", 4, NULL), XW_REFUSE_REPLAY);
	assert_int_equal(claim(t, "soc-1", 0, NULL), XW_REFUSE_REPLAY);
	assert_int_equal(e->version, 5);
	assert_int_equal(e->slot, 70000);

	/* Newer: the same entry, new version, the rest kept for the caller. */
	assert_int_equal(claim(t, "soc-1", 6, &again), XW_REFUSE_NONE);
	assert_ptr_equal(again, e);
	assert_int_equal(e->version, 6);
	assert_int_equal(e->slot, 70000);
	assert_int_equal(e->applied_version, 5);
	assert_int_equal(claim(t, "soc-1", UINT64_MAX, NULL), XW_REFUSE_NONE);
	assert_int_equal(claim(t, "soc-1", UINT64_MAX, NULL), XW_REFUSE_REPLAY);
	assert_int_equal(xw_vtable__size(t), 1);

	/* Version 0 of a new id is a first claim, not a replay. */
	assert_int_equal(claim(t, "soc-2", 0, &e), XW_REFUSE_NONE);
	assert_int_equal(claim(t, "soc-2", 0, NULL), XW_REFUSE_REPLAY);
	assert_int_equal(xw_vtable__size(t), 2);
	/* Ids differing only in a prefix or suffix are different ids. */
	assert_null(xw_vtable__get(t, "soc-"));
	assert_null(xw_vtable__get(t, "soc-10"));
	xw_vtable__free(t);
}

static void test_capacity_limit(void **state)
{
	struct xw_vtable *t;
	char why[256];
	struct xw_ventry *e;

	(void)state;
	assert_int_equal(xw_vtable__new(&t, 3), 0);
	assert_int_equal(claim(t, "a", 1, NULL), XW_REFUSE_NONE);
	assert_int_equal(claim(t, "b", 1, NULL), XW_REFUSE_NONE);
	assert_int_equal(claim(t, "c", 1, NULL), XW_REFUSE_NONE);
	assert_int_equal(xw_vtable__claim(t, "d", 1, &e, why, sizeof(why)),
			 XW_REFUSE_BUDGET);
	assert_contains(why, "3 rule ids");
	assert_null(xw_vtable__get(t, "d"));
	/* Known ids still take newer versions when the table is full. */
	assert_int_equal(claim(t, "b", 2, NULL), XW_REFUSE_NONE);
	assert_int_equal(claim(t, "b", 2, NULL), XW_REFUSE_REPLAY);
	assert_int_equal(xw_vtable__size(t), 3);
	xw_vtable__free(t);

	/* Capacity 0 remembers nothing: every new id is refused. */
	assert_int_equal(xw_vtable__new(&t, 0), 0);
	assert_int_equal(claim(t, "a", 1, NULL), XW_REFUSE_BUDGET);
	assert_int_equal(xw_vtable__size(t), 0);
	xw_vtable__free(t);
}

struct visit {
	uint8_t *seen; /* by the number in "r-<n>" */
	size_t count, stop_after;
	uint64_t bad;
};

static int visit_cb(struct xw_ventry *e, void *ctx)
{
	struct visit *v = ctx;
	unsigned long n = strtoul(e->rule_id + 2, NULL, 10);

	if (strncmp(e->rule_id, "r-", 2) || n >= MANY || v->seen[n] ||
	    e->version != n + 1000)
		v->bad++;
	else
		v->seen[n] = 1;
	v->count++;
	return v->stop_after && v->count == v->stop_after ? 42 : 0;
}

static void test_many_ids(void **state)
{
	struct visit v = { 0 };
	struct xw_vtable *t;
	struct xw_ventry *e;
	char id[XW_RULE_ID_MAX];

	(void)state;
	assert_int_equal(xw_vtable__new(&t, MANY), 0);
	for (unsigned int i = 0; i < MANY; i++) {
		snprintf(id, sizeof(id), "r-%u", i);
		if (claim(t, id, i + 1000, &e) != XW_REFUSE_NONE)
			fail_msg("claim of %s refused", id);
		e->slot = 65536 + i;
	}
	assert_int_equal(xw_vtable__size(t), MANY);
	for (unsigned int i = 0; i < MANY; i++) {
		snprintf(id, sizeof(id), "r-%u", i);
		e = xw_vtable__get(t, id);
		if (!e || strcmp(e->rule_id, id) || e->version != i + 1000 ||
		    e->slot != 65536 + i)
			fail_msg("get(%s) returned %s", id, e ? e->rule_id : "NULL");
	}
	assert_null(xw_vtable__get(t, "r-100000"));
	assert_int_equal(claim(t, "r-100000", 1, NULL), XW_REFUSE_BUDGET);

	/* foreach sees every id exactly once. */
	v.seen = calloc(MANY, 1);
	assert_non_null(v.seen);
	assert_int_equal(xw_vtable__foreach(t, visit_cb, &v), 0);
	assert_int_equal(v.count, MANY);
	assert_int_equal(v.bad, 0);
	for (unsigned int i = 0; i < MANY; i++)
		if (!v.seen[i])
			fail_msg("foreach missed r-%u", i);
	/* A callback's non-zero return stops the walk and is returned. */
	memset(v.seen, 0, MANY);
	v.count = 0;
	v.stop_after = 1000;
	assert_int_equal(xw_vtable__foreach(t, visit_cb, &v), 42);
	assert_int_equal(v.count, 1000);
	free(v.seen);

	/* Every id replayed, then every id newer. */
	for (unsigned int i = 0; i < MANY; i++) {
		snprintf(id, sizeof(id), "r-%u", i);
		if (claim(t, id, i + 1000, NULL) != XW_REFUSE_REPLAY)
			fail_msg("replay of %s accepted", id);
		if (claim(t, id, i + 1001, NULL) != XW_REFUSE_NONE)
			fail_msg("newer version of %s refused", id);
	}
	assert_int_equal(xw_vtable__size(t), MANY);
	xw_vtable__free(t);
}

/* Ids whose home slot in a 16-slot table (capacity 8) is `home`. */
static void ids_with_home(size_t home, size_t mask, char out[][16], unsigned int n)
{
	for (unsigned int i = 0, k = 0; k < n; i++) {
		char id[16];

		snprintf(id, sizeof(id), "c%u", i);
		if ((fnv1a(id) & mask) == home)
			snprintf(out[k++], 16, "%s", id);
	}
}

static int count_cb(struct xw_ventry *e, void *ctx)
{
	(void)e;
	(*(size_t *)ctx)++;
	return 0;
}

static void test_collisions(void **state)
{
	char last[5][16], first[3][16];
	struct xw_ventry *e[8];
	struct xw_vtable *t;
	size_t mask = 15, n = 0;

	(void)state;
	/* Capacity 8: 16 slots, the table is never more than half full. */
	assert_int_equal(xw_vtable__new(&t, 8), 0);
	ids_with_home(mask, mask, last, 5); /* slots 15, 0, 1, 2, 3 */
	ids_with_home(0, mask, first, 3); /* home 0: pushed to 4, 5, 6 */
	for (int i = 0; i < 5; i++)
		assert_int_equal(claim(t, last[i], 10 + i, &e[i]), XW_REFUSE_NONE);
	for (int i = 0; i < 3; i++)
		assert_int_equal(claim(t, first[i], 20 + i, &e[5 + i]), XW_REFUSE_NONE);
	/* Eight distinct entries, each found under its own id. */
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < i; j++)
			assert_ptr_not_equal(e[i], e[j]);
	for (int i = 0; i < 5; i++) {
		assert_ptr_equal(xw_vtable__get(t, last[i]), e[i]);
		assert_int_equal(e[i]->version, 10 + i);
	}
	for (int i = 0; i < 3; i++) {
		assert_ptr_equal(xw_vtable__get(t, first[i]), e[5 + i]);
		assert_int_equal(e[5 + i]->version, 20 + i);
	}
	/* The wrapped run of home-15 ids ends before the array does. */
	assert_ptr_equal(e[1], e[0] - 15);
	assert_null(xw_vtable__get(t, "c-not-there"));
	{
		char more[7][16];

		/* Absent ids whose probes run through the whole cluster. */
		ids_with_home(mask, mask, more, 7); /* the 6th and 7th are new */
		assert_null(xw_vtable__get(t, more[5]));
		assert_null(xw_vtable__get(t, more[6]));
		/* Replays and updates reach the right entry inside a cluster. */
		assert_int_equal(claim(t, last[3], 13, NULL), XW_REFUSE_REPLAY);
		assert_int_equal(claim(t, last[3], 99, NULL), XW_REFUSE_NONE);
		assert_int_equal(e[3]->version, 99);
		assert_int_equal(e[2]->version, 12);
		assert_int_equal(e[4]->version, 14);
		/* Full at capacity 8, even for a colliding id. */
		assert_int_equal(claim(t, more[5], 1, NULL), XW_REFUSE_BUDGET);
	}
	assert_int_equal(xw_vtable__foreach(t, count_cb, &n), 0);
	assert_int_equal(n, 8);
	assert_int_equal(xw_vtable__size(t), 8);
	xw_vtable__free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_claim_replay_get),
		cmocka_unit_test(test_capacity_limit),
		cmocka_unit_test(test_many_ids),
		cmocka_unit_test(test_collisions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
