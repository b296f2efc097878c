// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* verdicts.c - see verdicts.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "errbuf.h"
#include "kafka.h"
#include "log.h"
#include "names.h"
#include "rules.h"
#include "verdict.h"
#include "verdicts.h"
#include "vtable.h"

#define ID_SPAN (XW_MAX_RULES - XW_RULE_ID_VERDICT_BASE)
/* Messages read per poll, so the drain is never held up for long. */
#define POLL_BUDGET 20000

struct xw_verdicts {
	struct xw_verdicts_opts o;
	struct xw_keyring ring;
	struct xw_consumer *cons;
	struct xw_vtable *table;
	const struct xw_iface *ifaces;
	int n;
	uint8_t ids_used[ID_SPAN / 8];
	uint32_t ids_full_below; /* every id index below this one is used */
	struct xw_verdicts_stats st;
	struct timespec started;
	time_t last_expire_check;
	struct opened *batch; /* OPEN_BATCH of them */
};

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void refuse(struct xw_verdicts *v, enum xw_refusal r,
		   const char *rule_id, const char *why)
{
	v->st.refused[r]++;
	/* Replaying a long topic at start meets many old, expired verdicts:
	 * normal history, not news. */
	if (!v->st.caught_up && r == XW_REFUSE_EXPIRED)
		pr_debug("verdict %s refused (%s): %s", rule_id, xw_refusal_name(r),
			 why);
	else
		pr_warn("verdict %s refused (%s): %s", *rule_id ? rule_id : "?",
			xw_refusal_name(r), why);
}

/*
 * The lowest free id. The search starts where the used ids below end and
 * skips full bytes: a scan from 0 made a replay of n verdicts O(n^2), 80%
 * of the time a 60,000-verdict replay spent applying (3.3 s, now 0.8 s;
 * bench/bench_verdicts.c).
 */
static uint32_t id_alloc(struct xw_verdicts *v)
{
	uint32_t i = v->ids_full_below;

	while (i < ID_SPAN && v->ids_used[i / 8] == 0xff)
		i = (i / 8 + 1) * 8;
	for (; i < ID_SPAN; i++) {
		if (!(v->ids_used[i / 8] & (1 << (i % 8)))) {
			v->ids_used[i / 8] |= 1 << (i % 8);
			v->ids_full_below = i + 1;
			return XW_RULE_ID_VERDICT_BASE + i;
		}
	}
	v->ids_full_below = ID_SPAN;
	return 0;
}

static void id_mark(struct xw_verdicts *v, uint32_t id, bool used)
{
	uint32_t i = id - XW_RULE_ID_VERDICT_BASE;

	if (id < XW_RULE_ID_VERDICT_BASE || i >= ID_SPAN)
		return;
	if (used) {
		v->ids_used[i / 8] |= 1 << (i % 8);
	} else {
		v->ids_used[i / 8] &= ~(1 << (i % 8));
		if (i < v->ids_full_below)
			v->ids_full_below = i;
	}
}

static void slot_from_entry(const struct xw_ventry *e, struct xw_verdict_slot *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->rule_id, sizeof(s->rule_id), "%s", e->rule_id);
	s->version = e->version;
	s->key.prefixlen = e->src.len;
	memcpy(s->key.addr, e->src.addr, sizeof(s->key.addr));
	s->family = e->src.family == AF_INET ? 4 : 6;
	if (e->dst.family) {
		s->has_dst = 1;
		s->dst.prefixlen = e->dst.len;
		memcpy(s->dst.addr, e->dst.addr, sizeof(s->dst.addr));
	}
}

static void prefix_from_slot(const struct xw_verdict_slot *s,
			     struct xw_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->family = s->family == 4 ? AF_INET : AF_INET6;
	p->len = (uint8_t)s->key.prefixlen;
	memcpy(p->addr, s->key.addr, s->family == 4 ? 4 : 16);
}

static void dst_from_slot(const struct xw_verdict_slot *s, struct xw_prefix *p)
{
	memset(p, 0, sizeof(*p));
	if (!s->has_dst)
		return;
	p->family = s->family == 4 ? AF_INET : AF_INET6;
	p->len = (uint8_t)s->dst.prefixlen;
	memcpy(p->addr, s->dst.addr, s->family == 4 ? 4 : 16);
}

/* Remove rule id from where slot s says it sits, keyed by source or by
 * destination. */
static void rule_remove(const struct xw_maps *m, const struct xw_verdict_slot *s,
			uint32_t id)
{
	struct xw_prefix where;

	if (s->has_dst) {
		dst_from_slot(s, &where);
		xw_rules__del_dst_id(m, &where, id);
	} else {
		prefix_from_slot(s, &where);
		xw_rules__del_id(m, &where, id);
	}
}

/* Is rule id where slot s says? */
static bool rule_present(const struct xw_maps *m, const struct xw_verdict_slot *s,
			 uint32_t id)
{
	struct xw_prefix where;
	struct xw_rule rule;

	if (s->has_dst) {
		dst_from_slot(s, &where);
		return xw_rules__get_dst(m, &where, id, &rule) == 0;
	}
	prefix_from_slot(s, &where);
	return xw_rules__get(m, &where, &rule) == 0 && rule.rule_id == id;
}

/* Take e's rule out of every interface and forget its id. */
static void retire(struct xw_verdicts *v, struct xw_ventry *e)
{
	for (int i = 0; i < v->n; i++) {
		const struct xw_maps *m = &v->ifaces[i].maps;
		struct xw_verdict_slot s;

		/* The rule sits where the slot says: e may carry a newer prefix. */
		if (bpf_map_lookup_elem(m->verdict_ids, &e->slot, &s) == 0)
			rule_remove(m, &s, e->slot);
		bpf_map_delete_elem(m->verdict_ids, &e->slot);
	}
	id_mark(v, e->slot, false);
	e->slot = 0;
	e->applied_version = 0;
	v->st.live--;
}

static bool wanted(const struct xw_ventry *e, uint64_t now_unix)
{
	return e->kind == XW_VERDICT_KIND_VERDICT && e->targeted &&
	       e->expires_unix_ns > now_unix;
}

/* Bring the maps in line with e: write, rewrite or remove its rule. */
static void apply(struct xw_verdicts *v, struct xw_ventry *e)
{
	uint64_t now_unix = xw_unix_ns(), now_boot = xw_boottime_ns();
	struct xw_verdict_slot slot;
	struct xw_rule rule = { 0 };
	char err[512];
	bool fresh = false;
	int ret = 0;

	if (!wanted(e, now_unix)) {
		if (e->slot) {
			retire(v, e);
			if (e->kind == XW_VERDICT_KIND_WITHDRAW)
				v->st.withdrawn++;
			pr_info("verdict %s: rule removed (%s)", e->rule_id,
				e->kind == XW_VERDICT_KIND_WITHDRAW ? "withdrawn" :
				!e->targeted ? "no longer targets this host" :
					       "expired");
		}
		return;
	}
	if (e->slot && e->applied_version == e->version)
		return; /* already in the maps as it is: nothing twice */
	if (!e->slot) {
		if (v->st.live >= v->o.budget) {
			refuse(v, XW_REFUSE_BUDGET, e->rule_id,
			       "the rule budget is spent");
			return;
		}
		e->slot = id_alloc(v);
		if (!e->slot) {
			refuse(v, XW_REFUSE_BUDGET, e->rule_id, "no free rule id");
			return;
		}
		fresh = true;
		v->st.live++;
	}

	/* The kernel keeps time by the boot clock; the verdict by the wall. */
	rule.expires_ns = now_boot + (e->expires_unix_ns - now_unix);
	rule.rule_id = e->slot;
	rule.action = e->action == XW_VERDICT_MONITOR	 ? XW_RULE_MONITOR :
		      e->action == XW_VERDICT_RATE_LIMIT ? XW_RULE_RATE_LIMIT :
							   XW_RULE_DROP;
	rule.rate_pps = e->rate_pps > UINT32_MAX ? UINT32_MAX : (uint32_t)e->rate_pps;
	rule.l4_proto = e->l4_proto;
	rule.sport = e->sport;
	rule.dport = e->dport;
	rule.tcp_flags_mask = e->tcp_flags_mask;
	rule.tcp_flags_value = e->tcp_flags_value;
	rule.origin = XW_ORIGIN_VERDICT;
	slot_from_entry(e, &slot);
	for (int i = 0; i < v->n && !ret; i++) {
		const struct xw_maps *m = &v->ifaces[i].maps;
		struct xw_verdict_slot old;

		/* A new version may name other prefixes: clear the old place. */
		if (!fresh && bpf_map_lookup_elem(m->verdict_ids, &e->slot, &old) == 0 &&
		    (old.key.prefixlen != slot.key.prefixlen || old.family != slot.family ||
		     old.has_dst != slot.has_dst ||
		     memcmp(&old.dst, &slot.dst, sizeof(old.dst)) ||
		     memcmp(old.key.addr, slot.key.addr, sizeof(old.key.addr))))
			rule_remove(m, &old, e->slot);
		/* Slot first: a collector killed between the two writes finds
		 * the rule's owner when it comes back. */
		if (bpf_map_update_elem(m->verdict_ids, &e->slot, &slot, BPF_ANY)) {
			ret = -errno;
			snprintf(err, sizeof(err), "%s: cannot record the rule id: %s",
				 v->ifaces[i].key, strerror(errno));
			break;
		}
		ret = e->dst.family ?
			      xw_rules__put_dst(m, &e->dst, &e->src, &rule, err,
						sizeof(err)) :
			      xw_rules__put(m, &e->src, &rule, err, sizeof(err));
	}
	if (ret) {
		refuse(v, ret == -EEXIST ? XW_REFUSE_CONFLICT :
			  ret == -EPERM ? XW_REFUSE_ALLOWLISTED :
			  ret == -ENOSPC && e->dst.family ? XW_REFUSE_BUDGET :
					  XW_REFUSE_MAP_FULL,
		       e->rule_id, err);
		retire(v, e);
		return;
	}
	e->applied_version = e->version;
	v->st.applied++;
	pr_info("verdict %s version %llu applied as rule %u",
		e->rule_id, (unsigned long long)e->version, e->slot);
}

/*
 * A message read off the topic, opened and checked: the costly, pure part
 * (an Ed25519 check is ~80 us on a small VM), done for a batch at a time
 * by two threads so a replay is not bound to one core.
 */
struct opened {
	void *key, *value; /* copies: the consumer reuses its message */
	size_t keylen, len;
	struct xw_verdict_msg m;
	enum xw_refusal r;
	char why[256];
};

#define OPEN_BATCH 256
#define OPEN_PARALLEL_MIN 32 /* below this a second thread costs more */

struct open_job {
	struct xw_verdicts *v;
	struct opened *batch;
	size_t from, n, step;
};

static void open_one(struct xw_verdicts *v, struct opened *o)
{
	struct xw_verdict_limits limits = { .max_ttl_s = v->o.max_ttl_s,
					    .max_future_s = 60 };

	if (!o->value)
		return; /* a tombstone: nothing to open */
	o->r = xw_envelope_open(o->value, o->len, o->key, o->keylen, v->o.topic,
				&v->ring, &o->m, o->why, sizeof(o->why));
	if (!o->r)
		o->r = xw_verdict_check(&o->m, &limits, xw_unix_ns(), o->why,
					sizeof(o->why));
}

static void *open_some(void *arg)
{
	struct open_job *j = arg;

	for (size_t i = j->from; i < j->n; i += j->step)
		open_one(j->v, &j->batch[i]);
	return NULL;
}

/* One opened message: remembered, maybe applied, or refused. In order. */
static void handle(struct xw_verdicts *v, struct opened *o)
{
	const struct xw_verdict_msg *m = &o->m;
	struct xw_ventry *e;
	enum xw_refusal r = o->r;

	v->st.received++;
	if (!o->value) {
		/* Nothing to sign, so nothing to trust: compaction's business. */
		v->st.tombstones++;
		return;
	}
	if (!r)
		r = xw_vtable__claim(v->table, m->rule_id, m->version, &e, o->why,
				     sizeof(o->why));
	if (r) {
		refuse(v, r, m->rule_id, o->why);
		return;
	}
	e->kind = (uint8_t)m->kind;
	if (m->kind == XW_VERDICT_KIND_VERDICT) {
		e->targeted = xw_verdict_targets(&m->v, v->o.host_id, v->o.groups);
		e->src = m->v.src;
		e->dst = m->v.dst;
		e->l4_proto = m->v.l4_proto;
		e->sport = m->v.sport;
		e->dport = m->v.dport;
		e->tcp_flags_mask = m->v.tcp_flags_mask;
		e->tcp_flags_value = m->v.tcp_flags_value;
		e->action = m->v.action;
		e->rate_pps = m->v.rate_pps;
		e->expires_unix_ns = m->created_unix_ns +
				     (uint64_t)m->v.ttl_s * 1000000000ULL;
		if (!e->targeted)
			v->st.not_targeted++;
	} else {
		e->targeted = false;
	}
	if (v->st.caught_up)
		apply(v, e);
}

/* Read up to OPEN_BATCH messages, open them (two threads for a big
 * batch), handle them in topic order. Returns how many were read. */
static size_t handle_batch(struct xw_verdicts *v)
{
	struct opened *b = v->batch;
	struct xw_kafka_msg km;
	size_t n = 0;

	while (n < OPEN_BATCH && xw_consumer__next(v->cons, 0, &km) > 0) {
		struct opened *o = &b[n];

		memset(o, 0, offsetof(struct opened, m));
		o->r = XW_REFUSE_NONE;
		o->why[0] = '\0';
		o->m.rule_id[0] = '\0';
		o->keylen = km.keylen;
		o->len = km.len;
		o->key = malloc(km.keylen ? km.keylen : 1);
		o->value = km.value ? malloc(km.len ? km.len : 1) : NULL;
		if (!o->key || (km.value && !o->value)) {
			free(o->key);
			free(o->value);
			pr_err("verdicts: out of memory; %zu messages deferred", n);
			break;
		}
		memcpy(o->key, km.key, km.keylen);
		if (km.value)
			memcpy(o->value, km.value, km.len);
		n++;
	}
	if (n >= OPEN_PARALLEL_MIN) {
		struct open_job mine = { v, b, 0, n, 2 }, other = { v, b, 1, n, 2 };
		pthread_t t;

		if (pthread_create(&t, NULL, open_some, &other)) {
			other.step = 1; /* no second thread: all on this one */
			mine.step = 1;
		}
		open_some(&mine);
		if (other.step == 2)
			pthread_join(t, NULL);
	} else {
		for (size_t i = 0; i < n; i++)
			open_one(v, &b[i]);
	}
	for (size_t i = 0; i < n; i++) {
		handle(v, &b[i]);
		free(b[i].key);
		free(b[i].value);
	}
	return n;
}

struct adopt_ctx {
	struct xw_verdicts *v;
	uint64_t now_unix;
};

/*
 * After a restart: what each interface's maps hold from an earlier run.
 * A rule the topic still wants, at the same version, is adopted as it is;
 * anything else goes.
 */
static void reconcile_iface(struct xw_verdicts *v, const struct xw_maps *m,
			    uint64_t now_unix)
{
	uint32_t key, next, *prev = NULL, *stale = NULL, *grown;
	size_t nstale = 0, cap = 0;

	while (bpf_map_get_next_key(m->verdict_ids, prev, &next) == 0) {
		struct xw_verdict_slot s;
		struct xw_ventry *e;
		bool keep;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(m->verdict_ids, &key, &s))
			continue;
		s.rule_id[sizeof(s.rule_id) - 1] = '\0';
		e = xw_vtable__get(v->table, s.rule_id);
		keep = e && e->version == s.version && wanted(e, now_unix) &&
		       (!e->slot || e->slot == key) && rule_present(m, &s, key);
		if (keep) {
			if (!e->slot) {
				e->slot = key;
				e->applied_version = e->version;
				id_mark(v, key, true);
				v->st.live++;
			}
			continue;
		}
		rule_remove(m, &s, key);
		if (nstale == cap) {
			cap = cap ? cap * 2 : 256;
			grown = realloc(stale, cap * sizeof(*stale));
			if (!grown)
				break; /* the next start removes the rest */
			stale = grown;
		}
		stale[nstale++] = key;
	}
	/* Deleting while walking would restart the walk. */
	for (size_t i = 0; i < nstale; i++)
		bpf_map_delete_elem(m->verdict_ids, &stale[i]);
	free(stale);
	if (nstale)
		pr_info("verdicts: removed %zu rules the topic no longer wants",
			nstale);
}

static int orphan_cb(const struct xw_rule_view *rv, void *ctx)
{
	const struct xw_maps *m = ctx;
	struct xw_verdict_slot s;

	/* A verdict rule with no slot record has no owner to answer for it. */
	if (rv->rule.origin != XW_ORIGIN_VERDICT ||
	    bpf_map_lookup_elem(m->verdict_ids, &rv->rule.rule_id, &s) == 0)
		return 0;
	if (rv->dst.family)
		xw_rules__del_dst_id(m, &rv->dst, rv->rule.rule_id);
	else
		xw_rules__del_id(m, &rv->src, rv->rule.rule_id);
	return 0;
}

static int apply_cb(struct xw_ventry *e, void *ctx)
{
	struct xw_verdicts *v = ctx;
	struct xw_verdict_slot s;

	/* Adopted from one interface's maps, but missing from another's (an
	 * interface added since the last run): apply() would take it as done,
	 * so have it written again everywhere. */
	for (int i = 0; e->slot && e->applied_version && i < v->n; i++) {
		const struct xw_maps *m = &v->ifaces[i].maps;

		if (bpf_map_lookup_elem(m->verdict_ids, &e->slot, &s) ||
		    !rule_present(m, &s, e->slot))
			e->applied_version = 0;
	}
	if (wanted(e, xw_unix_ns()) || e->slot)
		apply(v, e);
	return 0;
}

static void reconcile(struct xw_verdicts *v)
{
	uint64_t now_unix = xw_unix_ns();

	for (int i = 0; i < v->n; i++) {
		reconcile_iface(v, &v->ifaces[i].maps, now_unix);
		xw_rules__foreach(&v->ifaces[i].maps, orphan_cb,
				  (void *)&v->ifaces[i].maps);
	}
	/* Rules adopted on one interface but missing on another are written
	 * again everywhere: put is idempotent for the same id. */
	xw_vtable__foreach(v->table, apply_cb, v);
}

static int expire_cb(struct xw_ventry *e, void *ctx)
{
	struct xw_verdicts *v = ctx;

	if (e->slot && e->expires_unix_ns <= xw_unix_ns()) {
		apply(v, e); /* not wanted any more: retire() */
		v->st.expired++;
	}
	return 0;
}

int xw_verdicts__fd(struct xw_verdicts *v)
{
	return xw_consumer__wake_fd(v->cons);
}

bool xw_verdicts__poll(struct xw_verdicts *v)
{
	int i;

	/* Clear first: a message that lands while we drain signals again. */
	xw_consumer__wake_clear(v->cons);
	for (i = 0; i < POLL_BUDGET;) {
		size_t got = handle_batch(v);

		if (!got)
			break;
		i += (int)got;
	}
	if (!v->st.caught_up && xw_consumer__caught_up(v->cons)) {
		v->st.caught_up = true;
		/* from here on, messages are applied as they come */
		v->st.catch_up_s = since(&v->started);
		reconcile(v);
		uint64_t refused = 0;

		for (int r = 0; r < XW_REFUSE_COUNT; r++)
			refused += v->st.refused[r];
		pr_info("verdicts: read %llu messages in %.2f s; %u rules live, %llu refused",
			(unsigned long long)v->st.received, v->st.catch_up_s,
			v->st.live, (unsigned long long)refused);
	}
	if (v->st.caught_up && time(NULL) != v->last_expire_check) {
		v->last_expire_check = time(NULL);
		xw_vtable__foreach(v->table, expire_cb, v);
	}
	return i >= POLL_BUDGET;
}

int xw_verdicts__new(struct xw_verdicts **out, const struct xw_verdicts_opts *o,
		     const struct xw_iface *ifaces, int n)
{
	struct xw_verdicts *v = calloc(1, sizeof(*v));
	char err[512];
	int ret;

	if (!v)
		return -ENOMEM;
	v->o = *o;
	v->ifaces = ifaces;
	v->n = n;
	clock_gettime(CLOCK_MONOTONIC, &v->started);
	v->batch = calloc(OPEN_BATCH, sizeof(*v->batch));
	if (!v->batch) {
		free(v);
		return -ENOMEM;
	}
	ret = xw_keyring_load(o->trusted_keys, &v->ring, err, sizeof(err));
	if (!ret)
		ret = xw_vtable__new(&v->table, (size_t)o->budget * 4 + 1024);
	if (!ret)
		ret = xw_consumer__new_all(&v->cons, o->props, o->topic,
					   o->check_ms ? o->check_ms : 10000, err,
					   sizeof(err));
	if (ret) {
		pr_err("verdicts: %s", ret == -ENOMEM ? strerror(ENOMEM) : err);
		xw_verdicts__free(v);
		return ret;
	}
	pr_info("verdicts: reading %s with %u trusted key%s, host %s",
		o->topic, v->ring.count, v->ring.count == 1 ? "" : "s", o->host_id);
	*out = v;
	return 0;
}

const struct xw_verdicts_stats *xw_verdicts__stats(const struct xw_verdicts *v)
{
	return &v->st;
}

void xw_verdicts__free(struct xw_verdicts *v)
{
	if (!v)
		return;
	xw_consumer__destroy(v->cons);
	xw_vtable__free(v->table);
	free(v->batch);
	free(v);
}
