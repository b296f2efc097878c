// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* top_model.c - see top_model.h. */
#define _GNU_SOURCE /* vasprintf */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "names.h"
#include "record_json.h"
#include "top_model.h"
#include "xdpwatch/v1/alerts.pb-c.h"

#define NS_PER_S 1000000000.0

/* ---- rates ---- */

void xw_top_rate(const struct xw_counter *prev, const struct xw_counter *cur,
		 uint64_t dt_ns, struct xw_rate *out)
{
	uint64_t dp, db;

	out->pps = out->bps = 0;
	if (!dt_ns)
		return;
	/* A counter below its last value started again from zero (the maps
	 * were unpinned and made anew): all of it is new since. */
	dp = cur->packets >= prev->packets ? cur->packets - prev->packets :
					     cur->packets;
	db = cur->bytes >= prev->bytes ? cur->bytes - prev->bytes : cur->bytes;
	out->pps = (double)dp * NS_PER_S / (double)dt_ns;
	out->bps = (double)db * 8.0 * NS_PER_S / (double)dt_ns;
}

void xw_top_iface__update(struct xw_top_iface *i,
			  const struct xw_counter cur[XW_TRAFFIC_SLOTS],
			  uint64_t now_ns)
{
	bool had = i->at_ns != 0;

	memcpy(i->prev, i->cur, sizeof(i->prev));
	memcpy(i->cur, cur, sizeof(i->cur));
	i->dt_ns = had && now_ns > i->at_ns ? now_ns - i->at_ns : 0;
	i->at_ns = now_ns;
	i->have_rate = had && i->dt_ns;
	for (uint32_t s = 0; s < XW_TRAFFIC_SLOTS; s++) {
		if (i->have_rate)
			xw_top_rate(&i->prev[s], &i->cur[s], i->dt_ns, &i->rate[s]);
		else
			i->rate[s] = (struct xw_rate){ 0 };
	}
}

/* ---- rules ---- */

void xw_top__free(struct xw_top *t)
{
	free(t->rules);
	free(t->prev_rules);
	free(t->attacks);
	t->rules = t->prev_rules = NULL;
	t->attacks = NULL;
	t->nrules = t->nprev_rules = t->rules_cap = t->prev_cap = 0;
	t->nattacks = t->attacks_cap = 0;
}

void xw_top_rules__begin(struct xw_top *t)
{
	struct xw_top_rule *r = t->prev_rules;
	size_t cap = t->prev_cap;

	t->prev_rules = t->rules;
	t->prev_cap = t->rules_cap;
	t->nprev_rules = t->nrules;
	t->prev_rules_at_ns = t->rules_at_ns;
	t->rules = r;
	t->rules_cap = cap;
	t->nrules = 0;
}

struct xw_top_rule *xw_top_rules__add(struct xw_top *t)
{
	if (t->nrules == t->rules_cap) {
		size_t cap = t->rules_cap ? 2 * t->rules_cap : 64;
		struct xw_top_rule *r = realloc(t->rules, cap * sizeof(*r));

		if (!r)
			return NULL;
		t->rules = r;
		t->rules_cap = cap;
	}
	memset(&t->rules[t->nrules], 0, sizeof(t->rules[0]));
	return &t->rules[t->nrules++];
}

static int rule_key_cmp(const void *a, const void *b)
{
	const struct xw_top_rule *x = a, *y = b;
	int c = strcmp(x->iface, y->iface);

	if (c)
		return c;
	return x->v.rule.rule_id < y->v.rule.rule_id ? -1 :
	       x->v.rule.rule_id > y->v.rule.rule_id;
}

/* Busiest first, then most hits, then by interface and id. */
static int rule_show_cmp(const void *a, const void *b)
{
	const struct xw_top_rule *x = a, *y = b;

	if (x->hits_pps != y->hits_pps)
		return x->hits_pps > y->hits_pps ? -1 : 1;
	if (x->v.hits.packets != y->v.hits.packets)
		return x->v.hits.packets > y->v.hits.packets ? -1 : 1;
	return rule_key_cmp(a, b);
}

void xw_top_rules__update(struct xw_top *t, uint64_t now_ns)
{
	uint64_t dt = t->prev_rules_at_ns && now_ns > t->prev_rules_at_ns ?
			      now_ns - t->prev_rules_at_ns : 0;

	t->rules_at_ns = now_ns;
	if (t->nprev_rules)
		qsort(t->prev_rules, t->nprev_rules, sizeof(t->prev_rules[0]),
		      rule_key_cmp);
	for (size_t i = 0; i < t->nrules; i++) {
		struct xw_top_rule *r = &t->rules[i];
		const struct xw_top_rule *p =
			t->nprev_rules ? bsearch(r, t->prev_rules, t->nprev_rules,
						 sizeof(*r), rule_key_cmp) :
					 NULL;
		struct xw_rate rate;

		r->have_rate = false;
		r->hits_pps = 0;
		/* A rule first seen now: its hits since it was made are not
		 * a rate over this interval. */
		if (!p || !dt)
			continue;
		xw_top_rate(&p->v.hits, &r->v.hits, dt, &rate);
		r->hits_pps = rate.pps;
		r->have_rate = true;
	}
	qsort(t->rules, t->nrules, sizeof(t->rules[0]), rule_show_cmp);
}

/* ---- heavy hitters ---- */

#define HH_CAP_START 1024
#define HH_CAP_MAX (1U << 18)

static int table_init(struct xw_hh_table *t)
{
	memset(t, 0, sizeof(*t));
	t->e = calloc(HH_CAP_START, sizeof(*t->e));
	if (!t->e)
		return -ENOMEM;
	t->cap = HH_CAP_START;
	return 0;
}

static void table_reset(struct xw_hh_table *t)
{
	if (t->n)
		memset(t->e, 0, t->cap * sizeof(*t->e));
	t->n = 0;
	t->full_pkts = 0;
}

static uint64_t hash_addr(uint8_t family, const uint8_t *addr)
{
	uint64_t h = 1469598103934665603ULL ^ family;
	size_t n = family == 4 ? 4 : 16;

	for (size_t i = 0; i < n; i++)
		h = (h ^ addr[i]) * 1099511628211ULL;
	return h ^ (h >> 29);
}

static struct xw_hh_entry *table_slot(struct xw_hh_entry *e, size_t cap,
				      uint8_t family, const uint8_t *addr)
{
	size_t n = family == 4 ? 4 : 16;

	for (size_t i = hash_addr(family, addr) & (cap - 1);;
	     i = (i + 1) & (cap - 1))
		if (!e[i].family ||
		    (e[i].family == family && !memcmp(e[i].addr, addr, n)))
			return &e[i];
}

static int table_grow(struct xw_hh_table *t)
{
	size_t cap = 2 * t->cap;
	struct xw_hh_entry *e = calloc(cap, sizeof(*e));

	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		if (t->e[i].family)
			*table_slot(e, cap, t->e[i].family, t->e[i].addr) = t->e[i];
	free(t->e);
	t->e = e;
	t->cap = cap;
	return 0;
}

static void table_add(struct xw_hh_table *t, uint8_t family,
		      const uint8_t *addr, uint64_t pkts, uint64_t bytes)
{
	struct xw_hh_entry *e;

	/* Keep the load under 3/4; past the cap, count what is untracked. */
	if ((t->n + 1) * 4 > t->cap * 3 &&
	    (t->cap >= HH_CAP_MAX || table_grow(t))) {
		e = table_slot(t->e, t->cap, family, addr);
		if (!e->family) {
			t->full_pkts += pkts;
			return;
		}
	} else {
		e = table_slot(t->e, t->cap, family, addr);
	}
	if (!e->family) {
		e->family = family;
		memcpy(e->addr, addr, family == 4 ? 4 : 16);
		t->n++;
	}
	e->pkts += pkts;
	e->bytes += bytes;
}

int xw_hh__init(struct xw_hh *h, int64_t origin_ns, uint64_t width_ns)
{
	memset(h, 0, sizeof(*h));
	h->origin_ns = origin_ns;
	h->width_ns = width_ns ? width_ns : 1;
	for (int i = 0; i < XW_TOP_WINDOWS; i++) {
		h->w[i].idx = -1;
		if (table_init(&h->w[i].src) || table_init(&h->w[i].dst)) {
			xw_hh__free(h);
			return -ENOMEM;
		}
	}
	return 0;
}

void xw_hh__free(struct xw_hh *h)
{
	for (int i = 0; i < XW_TOP_WINDOWS; i++) {
		free(h->w[i].src.e);
		free(h->w[i].dst.e);
		h->w[i].src.e = h->w[i].dst.e = NULL;
	}
}

int64_t xw_hh__window_of(const struct xw_hh *h, int64_t t_ns)
{
	int64_t d = t_ns - h->origin_ns;

	/* Floor division: a record before the origin is in window -1 or
	 * below, never in window 0. */
	return d >= 0 ? d / (int64_t)h->width_ns :
			-((-d + (int64_t)h->width_ns - 1) / (int64_t)h->width_ns);
}

void xw_hh__add(struct xw_hh *h, int64_t t_ns, uint8_t family,
		const uint8_t *src, const uint8_t *dst, uint32_t weight,
		uint64_t bytes)
{
	int64_t idx = xw_hh__window_of(h, t_ns);
	int slot;

	if (family != 4 && family != 6)
		return;
	/* Before window 0: read to be sure window 0 is complete. */
	if (idx < 0)
		return;
	h->records++;
	if (idx < h->next) {
		h->late++;
		return;
	}
	if (idx >= h->next + XW_TOP_WINDOWS) {
		h->early++;
		return;
	}
	slot = (int)(idx % XW_TOP_WINDOWS);
	if (h->w[slot].idx != idx) {
		/* Free, or a closed window's leftovers. */
		table_reset(&h->w[slot].src);
		table_reset(&h->w[slot].dst);
		h->w[slot].records = h->w[slot].pkts = 0;
		h->w[slot].idx = idx;
	}
	h->w[slot].records++;
	h->w[slot].pkts += weight;
	table_add(&h->w[slot].src, family, src, weight, bytes);
	table_add(&h->w[slot].dst, family, dst, weight, bytes);
}

static int item_cmp(const void *a, const void *b)
{
	const struct xw_hh_item *x = a, *y = b;

	if (x->pkts != y->pkts)
		return x->pkts > y->pkts ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

/* The n biggest of a table, by a bounded insertion: n is small. */
static size_t table_top(const struct xw_hh_table *t, double width_s,
			struct xw_hh_item *out, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < t->cap && n; i++) {
		const struct xw_hh_entry *e = &t->e[i];
		struct xw_hh_item it = { .family = e->family,
					 .pkts = e->pkts,
					 .bytes = e->bytes };
		size_t j;

		if (!e->family)
			continue;
		memcpy(it.addr, e->addr, 16);
		if (k == n && item_cmp(&it, &out[k - 1]) >= 0)
			continue;
		j = k < n ? k++ : n - 1;
		while (j > 0 && item_cmp(&it, &out[j - 1]) < 0) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = it;
	}
	for (size_t i = 0; i < k; i++) {
		out[i].rate.pps = (double)out[i].pkts / width_s;
		out[i].rate.bps = (double)out[i].bytes * 8.0 / width_s;
	}
	return k;
}

void xw_hh__close(struct xw_hh *h, int64_t idx, struct xw_hh_view *v,
		  size_t n)
{
	double width_s = (double)h->width_ns / NS_PER_S;
	int slot = (int)(((idx % XW_TOP_WINDOWS) + XW_TOP_WINDOWS) %
			 XW_TOP_WINDOWS);

	memset(v, 0, sizeof(*v));
	if (n > XW_TOP_TOP_MAX)
		n = XW_TOP_TOP_MAX;
	v->valid = true;
	v->start_ns = h->origin_ns + idx * (int64_t)h->width_ns;
	v->end_ns = v->start_ns + (int64_t)h->width_ns;
	if (h->w[slot].idx == idx) {
		v->records = h->w[slot].records;
		v->pkts = h->w[slot].pkts;
		v->untracked_pkts = h->w[slot].src.full_pkts;
		v->nsrc = table_top(&h->w[slot].src, width_s, v->src, n);
		v->ndst = table_top(&h->w[slot].dst, width_s, v->dst, n);
	}
	if (idx + 1 > h->next)
		h->next = idx + 1;
	for (int i = 0; i < XW_TOP_WINDOWS; i++) {
		if (h->w[i].idx >= 0 && h->w[i].idx < h->next) {
			table_reset(&h->w[i].src);
			table_reset(&h->w[i].dst);
			h->w[i].records = h->w[i].pkts = 0;
			h->w[i].idx = -1;
		}
	}
	v->late = h->late;
	v->early = h->early;
}

/* ---- attacks ---- */

const char *xw_top_class_name(int cls)
{
	/* From the proto's own names: ATTACK_SYN_FLOOD -> syn_flood, as the
	 * detector names them in attack ids and JSON alerts. */
	static char names[64][40];
	static bool done[64];
	const ProtobufCEnumValue *ev;

	if (cls < 0 || cls >= 64)
		return "unknown";
	if (done[cls])
		return names[cls];
	ev = protobuf_c_enum_descriptor_get_value(
		&xdpwatch__v1__attack_class__descriptor, cls);
	if (!ev)
		return "unknown";
	snprintf(names[cls], sizeof(names[cls]), "%s",
		 strncmp(ev->name, "ATTACK_", 7) ? ev->name : ev->name + 7);
	for (char *p = names[cls]; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	done[cls] = true;
	return names[cls];
}

int xw_top_alert_decode(const void *buf, size_t len, struct xw_top_attack *a)
{
	Xdpwatch__V1__Alert *m = xdpwatch__v1__alert__unpack(NULL, len, buf);
	struct xw_prefix p = { 0 };

	if (!m)
		return -EBADMSG;
	memset(a, 0, sizeof(*a));
	if (!m->attack_id || !*m->attack_id) {
		xdpwatch__v1__alert__free_unpacked(m, NULL);
		return -EBADMSG;
	}
	snprintf(a->id, sizeof(a->id), "%s", m->attack_id);
	a->phase = m->phase;
	a->cls = m->attack_class;
	a->vector = m->vector;
	if (m->victim && (m->victim->addr.len == 4 || m->victim->addr.len == 16)) {
		p.family = m->victim->addr.len == 4 ? AF_INET : AF_INET6;
		p.len = (uint8_t)(m->victim->len > 128 ? 128 : m->victim->len);
		memcpy(p.addr, m->victim->addr.data, m->victim->addr.len);
		xw_prefix_format(&p, a->victim, sizeof(a->victim));
	} else {
		snprintf(a->victim, sizeof(a->victim), "?");
	}
	a->time_ns = m->time_unix_ns;
	a->start_ns = m->start_unix_ns;
	a->end_ns = m->end_unix_ns;
	a->pps = m->pps;
	a->bps = m->bps;
	a->peak_pps = m->peak_pps;
	a->spoofed = m->spoofed;
	a->distinct_sources = m->distinct_sources;
	a->nrules = (unsigned int)m->n_rule_ids;
	for (size_t i = 0; i < m->n_rule_ids && i < XW_TOP_ALERT_RULES; i++)
		snprintf(a->rules[i], sizeof(a->rules[i]), "%s", m->rule_ids[i]);
	snprintf(a->mitigation, sizeof(a->mitigation), "%s",
		 m->mitigation ? m->mitigation : "");
	snprintf(a->detector, sizeof(a->detector), "%s",
		 m->detector ? m->detector : "");
	xdpwatch__v1__alert__free_unpacked(m, NULL);
	return 0;
}

int xw_top_attacks__apply(struct xw_top *t, const struct xw_top_attack *a)
{
	struct xw_top_attack *x = NULL;

	for (size_t i = 0; i < t->nattacks; i++)
		if (!strcmp(t->attacks[i].id, a->id))
			x = &t->attacks[i];
	/* An older alert read late (another partition, a lookback) does not
	 * undo a newer one; a new start on the same victim and class does. */
	if (x && a->time_ns < x->time_ns && a->start_ns <= x->start_ns)
		return 0;
	if (!x) {
		if (t->nattacks == t->attacks_cap) {
			size_t cap = t->attacks_cap ? 2 * t->attacks_cap : 16;
			struct xw_top_attack *n =
				realloc(t->attacks, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			t->attacks = n;
			t->attacks_cap = cap;
		}
		x = &t->attacks[t->nattacks++];
	}
	*x = *a;
	return 0;
}

void xw_top_attacks__expire(struct xw_top *t, uint64_t now)
{
	size_t k = 0;

	for (size_t i = 0; i < t->nattacks; i++) {
		const struct xw_top_attack *a = &t->attacks[i];
		uint64_t last = a->phase == 2 && a->end_ns ? a->end_ns : a->time_ns;
		uint64_t keep = a->phase == 2 ? XW_TOP_ENDED_KEEP_NS :
						XW_TOP_SILENT_DROP_NS;

		if (now > last && now - last > keep)
			continue;
		t->attacks[k++] = *a;
	}
	t->nattacks = k;
}

static int attack_show_cmp(const void *a, const void *b)
{
	const struct xw_top_attack *x = a, *y = b;

	if ((x->phase == 2) != (y->phase == 2))
		return x->phase == 2 ? 1 : -1;
	if (x->pps != y->pps)
		return x->pps > y->pps ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* ---- formatting ---- */

const char *xw_fmt_si(double v, char *buf, size_t len)
{
	static const char units[] = " kMGTPE";
	const char *sign = v < 0 ? "-" : "";
	int u = 0;

	if (v < 0)
		v = -v;
	if (v == 0) {
		snprintf(buf, len, "0");
		return buf;
	}
	if (v < 999.5) {
		snprintf(buf, len, v < 9.95 ? "%s%.1f" : "%s%.0f", sign, v);
		return buf;
	}
	while (v >= 999.5 && u < (int)sizeof(units) - 2) {
		v /= 1000.0;
		u++;
	}
	snprintf(buf, len, v < 9.995 ? "%s%.2f%c" : v < 99.95 ? "%s%.1f%c" :
							       "%s%.0f%c",
		 sign, v, units[u]);
	return buf;
}

const char *xw_fmt_age(int64_t s, char *buf, size_t len)
{
	if (s < 0)
		snprintf(buf, len, "expired");
	else if (s < 60)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", (long long)(s / 60),
			 (long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600),
			 (long long)(s % 3600 / 60));
	else
		snprintf(buf, len, "%lldd%02lldh", (long long)(s / 86400),
			 (long long)(s % 86400 / 3600));
	return buf;
}

int xw_lines__addf(struct xw_lines *l, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		char **p = realloc(l->line, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->line = p;
		l->cap = cap;
	}
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	l->line[l->n++] = s;
	return 0;
}

void xw_lines__free(struct xw_lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->line[i]);
	free(l->line);
	memset(l, 0, sizeof(*l));
}

const char *xw_top_fit(const char *line, size_t width, char *buf, size_t len)
{
	size_t n = strlen(line);

	/* Everything top writes is ASCII: a byte is a column. */
	if (width && n > width)
		n = width;
	if (n >= len)
		n = len - 1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	return buf;
}

static void fmt_clock(uint64_t unix_ns, char *buf, size_t len)
{
	time_t s = (time_t)(unix_ns / 1000000000ULL);
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
}

static void fmt_addr(uint8_t family, const uint8_t *addr, char *buf,
		     size_t len)
{
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf,
		       (socklen_t)len))
		snprintf(buf, len, "?");
}

static void rule_match(const struct xw_rule_view *v, char *buf, size_t len)
{
	char src[XW_PREFIX_STRLEN] = "any", dst[XW_PREFIX_STRLEN] = "";

	if (v->src.len || !v->dst.family)
		xw_prefix_format(&v->src, src, sizeof(src));
	if (v->dst.family)
		xw_prefix_format(&v->dst, dst, sizeof(dst));
	snprintf(buf, len, "%s%s%s", src, *dst ? " -> " : "", dst);
}

static void rule_l4(const struct xw_rule *r, char *buf, size_t len)
{
	const char *proto = xw_ipproto_name(r->l4_proto);
	char flags[XW_TCP_FLAGS_STRLEN] = "";

	if (!r->l4_proto) {
		snprintf(buf, len, "any");
		return;
	}
	if (r->tcp_flags_mask)
		xw_tcp_flags_format(r->tcp_flags_mask, r->tcp_flags_value, flags,
				    sizeof(flags));
	snprintf(buf, len, "%s%s%.0u%s%.0u%s%s", proto ? proto : "?",
		 r->sport ? " sport " : "", r->sport, r->dport ? " dport " : "",
		 r->dport, *flags ? " flags " : "", flags);
}

static void rule_action(const struct xw_rule *r, char *buf, size_t len)
{
	if (r->action == XW_RULE_RATE_LIMIT)
		snprintf(buf, len, "rate %u/s", r->rate_pps);
	else
		snprintf(buf, len, "%s",
			 r->action == XW_RULE_MONITOR ? "monitor" : "drop");
}

/* Sum of one slot's rate over every interface that has one. */
static void total_rate(const struct xw_top *t, uint32_t slot,
		       struct xw_rate *r)
{
	r->pps = r->bps = 0;
	for (size_t i = 0; i < t->nifaces; i++) {
		if (!t->ifaces[i].present || !t->ifaces[i].have_rate)
			continue;
		r->pps += t->ifaces[i].rate[slot].pps;
		r->bps += t->ifaces[i].rate[slot].bps;
	}
}

/* rates[] of one scope (an interface, or all of them), by slot. */
static void render_scope(struct xw_lines *o, int w, const char *scope,
			 const struct xw_rate *rates, bool have_rate)
{
	struct xw_rate all = { 0 }, act[XW_ACT_COUNT] = { 0 };
	char a[16], b[16], c[16], d[16], e[16], f[16];
	bool first = true;

	for (uint32_t s = 0; s < XW_TRAFFIC_SLOTS; s++) {
		all.pps += rates[s].pps;
		all.bps += rates[s].bps;
		act[s % XW_ACT_COUNT].pps += rates[s].pps;
	}
	if (!have_rate) {
		xw_lines__addf(o, "%-*s (first snapshot: rates from the next refresh)",
			       w, scope);
		return;
	}
	xw_lines__addf(o, "%-*s %-6s %-6s %-8s %9s %9s   pass %s drop %s monitor %s allow %s",
		       w, scope, "all", "all", "all", xw_fmt_si(all.pps, a, sizeof(a)),
		       xw_fmt_si(all.bps, b, sizeof(b)),
		       xw_fmt_si(act[XW_ACT_PASS].pps, c, sizeof(c)),
		       xw_fmt_si(act[XW_ACT_DROP].pps, d, sizeof(d)),
		       xw_fmt_si(act[XW_ACT_MONITOR].pps, e, sizeof(e)),
		       xw_fmt_si(act[XW_ACT_ALLOW].pps, f, sizeof(f)));
	for (uint32_t s = 0; s < XW_TRAFFIC_SLOTS; s++) {
		uint32_t ip = s / (XW_L4_COUNT * XW_ACT_COUNT);
		uint32_t l4 = (s / XW_ACT_COUNT) % XW_L4_COUNT;

		if (rates[s].pps <= 0)
			continue;
		xw_lines__addf(o, "%-*s %-6s %-6s %-8s %9s %9s", w, "",
			       xw_ipver_name(ip), xw_l4_class_name(l4),
			       xw_action_name(s % XW_ACT_COUNT),
			       xw_fmt_si(rates[s].pps, a, sizeof(a)),
			       xw_fmt_si(rates[s].bps, b, sizeof(b)));
		first = false;
	}
	(void)first;
}

static void render_hh(struct xw_lines *o, const char *what,
		      const struct xw_hh_item *it, size_t n)
{
	char addr[INET6_ADDRSTRLEN], a[16], b[16];

	xw_lines__addf(o, "%-40s %9s %9s", what, "PKT/S", "BIT/S");
	if (!n)
		xw_lines__addf(o, "  (none in this window)");
	for (size_t i = 0; i < n; i++) {
		fmt_addr(it[i].family, it[i].addr, addr, sizeof(addr));
		xw_lines__addf(o, "  %-38s %9s %9s", addr,
			       xw_fmt_si(it[i].rate.pps, a, sizeof(a)),
			       xw_fmt_si(it[i].rate.bps, b, sizeof(b)));
	}
}

int xw_top_render(const struct xw_top *t, struct xw_lines *o)
{
	char clock[16], w0[16], w1[16], a[16], b[16], c[16], d[16];
	struct xw_rate tot[XW_TRAFFIC_SLOTS];
	size_t live = 0, present = 0;
	bool any_rate = false;
	int w = 16, wr = 9; /* widths of the scope and interface columns */

	for (size_t i = 0; i < t->nattacks; i++)
		live += t->attacks[i].phase != 2;
	for (size_t i = 0; i < t->nifaces; i++) {
		present += t->ifaces[i].present;
		any_rate |= t->ifaces[i].present && t->ifaces[i].have_rate;
	}
	for (size_t i = 0; i < t->nifaces; i++) {
		int n = (int)strlen(t->ifaces[i].name) + 12;

		if (t->ifaces[i].present && n > w)
			w = n;
	}
	for (size_t i = 0; i < t->nrules; i++)
		if ((int)strlen(t->rules[i].iface) > wr)
			wr = (int)strlen(t->rules[i].iface);
	fmt_clock(t->now_unix_ns, clock, sizeof(clock));
	xw_lines__addf(o, "xdpwatch top  %s UTC  every %.1fs  %zu interface%s  %zu rule%s  %s%s",
		       clock, (double)t->interval_ns / NS_PER_S, present,
		       present == 1 ? "" : "s", t->nrules,
		       t->nrules == 1 ? "" : "s",
		       !t->kafka ? "no Kafka" : "Kafka ",
		       !t->kafka ? "" : *t->kafka_status ? t->kafka_status :
							  t->kafka_bootstrap);

	xw_lines__addf(o, "%s", "");
	xw_lines__addf(o, "%-*s %-6s %-6s %-8s %9s %9s", w, "TRAFFIC", "FAMILY",
		       "L4", "ACTION", "PKT/S", "BIT/S");
	if (!present)
		xw_lines__addf(o, "  no watched interface (is xdpwatch-collector running?)");
	if (present > 1) {
		for (uint32_t s = 0; s < XW_TRAFFIC_SLOTS; s++)
			total_rate(t, s, &tot[s]);
		render_scope(o, w, "total", tot, any_rate);
	}
	for (size_t i = 0; i < t->nifaces; i++) {
		const struct xw_top_iface *f = &t->ifaces[i];
		char scope[XW_TOP_IFNAME_MAX + 24];

		if (!f->present)
			continue;
		snprintf(scope, sizeof(scope), "%s 1:%u", f->name, f->sample_rate);
		render_scope(o, w, scope, f->rate, f->have_rate);
	}

	xw_lines__addf(o, "%s", "");
	xw_lines__addf(o, "%-*s %6s %-7s %-34s %-18s %-10s %10s %8s %8s  %s",
		       wr, "RULES", "ID", "ORIGIN", "MATCH", "L4", "ACTION", "HITS",
		       "HITS/S", "TTL LEFT", "VERDICT");
	if (!t->nrules)
		xw_lines__addf(o, "  no rules");
	for (size_t i = 0; i < t->nrules; i++) {
		const struct xw_top_rule *r = &t->rules[i];
		char match[2 * XW_PREFIX_STRLEN + 8], l4[128], act[32], ttl[24];

		rule_match(&r->v, match, sizeof(match));
		rule_l4(&r->v.rule, l4, sizeof(l4));
		rule_action(&r->v.rule, act, sizeof(act));
		xw_lines__addf(o, "%-*s %6u %-7s %-34s %-18s %-10s %10llu %8s %8s  %s",
			       wr, r->iface, r->v.rule.rule_id,
			       r->v.rule.origin == XW_ORIGIN_VERDICT ? "verdict" :
								       "local",
			       match, l4, act,
			       (unsigned long long)r->v.hits.packets,
			       r->have_rate ? xw_fmt_si(r->hits_pps, a, sizeof(a)) :
					      "-",
			       xw_fmt_age(r->v.ttl_left_s, ttl, sizeof(ttl)),
			       r->name);
	}

	xw_lines__addf(o, "%s", "");
	if (!t->kafka) {
		xw_lines__addf(o, "HEAVY HITTERS    no Kafka: heavy hitters off (--kafka BOOTSTRAP)");
	} else if (t->features_down) {
		xw_lines__addf(o, "HEAVY HITTERS    off: cannot read the feature topic (Kafka: see the first line)");
	} else if (!t->hh.valid) {
		xw_lines__addf(o, "HEAVY HITTERS    waiting for the first window of sampled records");
	} else {
		fmt_clock((uint64_t)t->hh.start_ns, w0, sizeof(w0));
		fmt_clock((uint64_t)t->hh.end_ns, w1, sizeof(w1));
		char late[64] = "";

		if (t->hh.late || t->hh.early)
			snprintf(late, sizeof(late), ", %llu records late, %llu early",
				 (unsigned long long)t->hh.late,
				 (unsigned long long)t->hh.early);
		xw_lines__addf(o, "HEAVY HITTERS    %s-%s UTC, %s%s, %llu sampled records x sample rate = %s packets%s%s",
			       w0, w1, t->host_filter ? "host " : "all hosts",
			       t->host_filter ? t->host_filter : "",
			       (unsigned long long)t->hh.records,
			       xw_fmt_si((double)t->hh.pkts, a, sizeof(a)),
			       t->hh.untracked_pkts ? " (some untracked: too many addresses)" : "",
			       late);
		render_hh(o, "TOP SOURCES", t->hh.src, t->hh.nsrc);
		render_hh(o, "TOP DESTINATIONS", t->hh.dst, t->hh.ndst);
	}

	xw_lines__addf(o, "%s", "");
	if (!t->kafka) {
		xw_lines__addf(o, "ATTACKS          no Kafka: attacks off (--kafka BOOTSTRAP)");
	} else {
		struct xw_top_attack *sorted = NULL;

		xw_lines__addf(o, "%-22s %-34s %9s %9s %9s %8s %-7s %s", "ATTACKS",
			       "VICTIM", "PKT/S", "BIT/S", "PEAK", "AGE",
			       "STATE", "VERDICTS");
		if (t->alerts_down)
			xw_lines__addf(o, "  unknown: cannot read the alerts topic (Kafka: see the first line)");
		else if (!t->nattacks)
			xw_lines__addf(o, "  none");
		if (t->nattacks)
			sorted = malloc(t->nattacks * sizeof(*sorted));
		if (sorted) {
			memcpy(sorted, t->attacks, t->nattacks * sizeof(*sorted));
			qsort(sorted, t->nattacks, sizeof(*sorted), attack_show_cmp);
		}
		for (size_t i = 0; sorted && i < t->nattacks; i++) {
			const struct xw_top_attack *x = &sorted[i];
			char age[24], rules[160] = "", cls[64];
			uint64_t until = x->phase == 2 && x->end_ns ? x->end_ns :
								      t->now_unix_ns;
			size_t off = 0;

			for (unsigned int k = 0; k < x->nrules && k < XW_TOP_ALERT_RULES; k++)
				off += (size_t)snprintf(rules + off,
							off < sizeof(rules) ? sizeof(rules) - off : 0,
							"%s%s", k ? "," : "", x->rules[k]);
			if (x->nrules > XW_TOP_ALERT_RULES && off < sizeof(rules))
				snprintf(rules + off, sizeof(rules) - off, " (+%u)",
					 x->nrules - XW_TOP_ALERT_RULES);
			if (!x->nrules)
				snprintf(rules, sizeof(rules), "none: %s",
					 x->mitigation);
			if (x->cls == 14)
				snprintf(cls, sizeof(cls), "carpet/%s",
					 xw_top_class_name(x->vector));
			else
				snprintf(cls, sizeof(cls), "%s", xw_top_class_name(x->cls));
			xw_lines__addf(o, "  %-20s %-34s %9s %9s %9s %8s %-7s %s", cls,
				       x->victim, xw_fmt_si(x->pps, a, sizeof(a)),
				       xw_fmt_si(x->bps, b, sizeof(b)),
				       xw_fmt_si(x->peak_pps, c, sizeof(c)),
				       xw_fmt_age(until > x->start_ns ?
							  (int64_t)((until - x->start_ns) / 1000000000ULL) :
							  0,
						  age, sizeof(age)),
				       x->phase == 2 ? "ended" :
				       x->phase == 0 ? "start" : "active",
				       rules);
		}
		free(sorted);
		(void)d;
	}
	return 0;
}

/* ---- JSON ---- */

static void json_str(FILE *f, const char *key, const char *v, bool comma)
{
	char esc[512];

	if (xw_json_escape(v ? v : "", esc, sizeof(esc)))
		snprintf(esc, sizeof(esc), "(too long)");
	fprintf(f, "%s\"%s\":\"%s\"", comma ? "," : "", key, esc);
}

static void json_traffic(FILE *f, const struct xw_rate *rates,
			 const struct xw_counter *cur)
{
	struct xw_rate all = { 0 };
	bool first = true;

	for (uint32_t s = 0; s < XW_TRAFFIC_SLOTS; s++) {
		all.pps += rates[s].pps;
		all.bps += rates[s].bps;
	}
	fprintf(f, "\"pps\":%.3f,\"bps\":%.3f,\"traffic\":[", all.pps, all.bps);
	for (uint32_t s = 0; s < XW_TRAFFIC_SLOTS; s++) {
		uint32_t ip = s / (XW_L4_COUNT * XW_ACT_COUNT);
		uint32_t l4 = (s / XW_ACT_COUNT) % XW_L4_COUNT;

		if (rates[s].pps <= 0 && (!cur || !cur[s].packets))
			continue;
		fprintf(f, "%s{\"family\":\"%s\",\"l4\":\"%s\",\"action\":\"%s\",\"pps\":%.3f,\"bps\":%.3f",
			first ? "" : ",", xw_ipver_name(ip), xw_l4_class_name(l4),
			xw_action_name(s % XW_ACT_COUNT), rates[s].pps,
			rates[s].bps);
		if (cur)
			fprintf(f, ",\"packets\":%llu,\"bytes\":%llu",
				(unsigned long long)cur[s].packets,
				(unsigned long long)cur[s].bytes);
		fputc('}', f);
		first = false;
	}
	fputc(']', f);
}

static void json_hh(FILE *f, const char *key, const struct xw_hh_item *it,
		    size_t n)
{
	char addr[INET6_ADDRSTRLEN];

	fprintf(f, ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		fmt_addr(it[i].family, it[i].addr, addr, sizeof(addr));
		fprintf(f, "%s{\"addr\":\"%s\",\"pps\":%.3f,\"bps\":%.3f,\"packets\":%llu}",
			i ? "," : "", addr, it[i].rate.pps, it[i].rate.bps,
			(unsigned long long)it[i].pkts);
	}
	fputc(']', f);
}

void xw_top_json(const struct xw_top *t, FILE *f)
{
	struct xw_rate tot[XW_TRAFFIC_SLOTS];
	bool any_rate = false, first = true;

	fprintf(f, "{\"time_unix_ns\":%llu,\"interval_s\":%.3f",
		(unsigned long long)t->now_unix_ns,
		(double)t->interval_ns / NS_PER_S);
	fprintf(f, ",\"interfaces\":[");
	for (size_t i = 0; i < t->nifaces; i++) {
		const struct xw_top_iface *x = &t->ifaces[i];

		if (!x->present)
			continue;
		any_rate |= x->have_rate;
		fprintf(f, "%s{", first ? "" : ",");
		json_str(f, "name", x->name, false);
		fprintf(f, ",\"sample_rate\":%u,\"rates_valid\":%s,\"seconds\":%.6f,",
			x->sample_rate, x->have_rate ? "true" : "false",
			(double)x->dt_ns / NS_PER_S);
		json_traffic(f, x->rate, x->cur);
		fputc('}', f);
		first = false;
	}
	for (uint32_t s = 0; s < XW_TRAFFIC_SLOTS; s++)
		total_rate(t, s, &tot[s]);
	fprintf(f, "],\"total\":{\"rates_valid\":%s,", any_rate ? "true" : "false");
	json_traffic(f, tot, NULL);
	fprintf(f, "},\"rules\":[");
	for (size_t i = 0; i < t->nrules; i++) {
		const struct xw_top_rule *r = &t->rules[i];
		char src[XW_PREFIX_STRLEN] = "", dst[XW_PREFIX_STRLEN] = "",
		     act[32], flags[XW_TCP_FLAGS_STRLEN] = "";

		if (r->v.src.family)
			xw_prefix_format(&r->v.src, src, sizeof(src));
		if (r->v.dst.family)
			xw_prefix_format(&r->v.dst, dst, sizeof(dst));
		rule_action(&r->v.rule, act, sizeof(act));
		if (r->v.rule.tcp_flags_mask)
			xw_tcp_flags_format(r->v.rule.tcp_flags_mask,
					    r->v.rule.tcp_flags_value, flags,
					    sizeof(flags));
		fprintf(f, "%s{", i ? "," : "");
		json_str(f, "interface", r->iface, false);
		fprintf(f, ",\"rule_id\":%u,\"origin\":\"%s\"", r->v.rule.rule_id,
			r->v.rule.origin == XW_ORIGIN_VERDICT ? "verdict" : "local");
		json_str(f, "verdict", r->name, true);
		json_str(f, "src", src, true);
		json_str(f, "dst", dst, true);
		fprintf(f, ",\"action\":\"%s\",\"rate_pps\":%u,\"l4_proto\":%u,\"sport\":%u,\"dport\":%u,\"tcp_flags\":\"%s\",\"hit_packets\":%llu,\"hit_bytes\":%llu,\"hits_pps\":",
			r->v.rule.action == XW_RULE_RATE_LIMIT ? "rate-limit" : act,
			r->v.rule.rate_pps, r->v.rule.l4_proto, r->v.rule.sport,
			r->v.rule.dport, flags, (unsigned long long)r->v.hits.packets,
			(unsigned long long)r->v.hits.bytes);
		if (r->have_rate)
			fprintf(f, "%.3f", r->hits_pps);
		else
			fprintf(f, "null");
		fprintf(f, ",\"ttl_left_s\":%lld,\"expired\":%s}",
			(long long)r->v.ttl_left_s,
			r->v.ttl_left_s < 0 ? "true" : "false");
	}
	fputc(']', f);
	fprintf(f, ",\"kafka\":");
	if (!t->kafka) {
		fprintf(f, "null,\"heavy_hitters\":null,\"attacks\":null}\n");
		return;
	}
	fputc('{', f);
	json_str(f, "bootstrap", t->kafka_bootstrap, false);
	json_str(f, "status", *t->kafka_status ? t->kafka_status : "ok", true);
	fprintf(f, ",\"batches\":%llu,\"batches_bad\":%llu,\"alerts\":%llu,\"alerts_bad\":%llu}",
		(unsigned long long)t->batches_read,
		(unsigned long long)t->batches_bad,
		(unsigned long long)t->alerts_read,
		(unsigned long long)t->alerts_bad);
	fprintf(f, ",\"heavy_hitters\":");
	if (!t->hh.valid) {
		fprintf(f, "null");
	} else {
		fprintf(f, "{\"window_start_unix_ns\":%lld,\"window_end_unix_ns\":%lld,\"records\":%llu,\"packets\":%llu,\"untracked_packets\":%llu,\"late_records\":%llu,\"early_records\":%llu",
			(long long)t->hh.start_ns, (long long)t->hh.end_ns,
			(unsigned long long)t->hh.records,
			(unsigned long long)t->hh.pkts,
			(unsigned long long)t->hh.untracked_pkts,
			(unsigned long long)t->hh.late,
			(unsigned long long)t->hh.early);
		json_str(f, "host", t->host_filter ? t->host_filter : "", true);
		json_hh(f, "sources", t->hh.src, t->hh.nsrc);
		json_hh(f, "destinations", t->hh.dst, t->hh.ndst);
		fputc('}', f);
	}
	fprintf(f, ",\"attacks\":[");
	for (size_t i = 0; i < t->nattacks; i++) {
		const struct xw_top_attack *x = &t->attacks[i];

		fprintf(f, "%s{", i ? "," : "");
		json_str(f, "attack_id", x->id, false);
		fprintf(f, ",\"phase\":\"%s\",\"class\":\"%s\",\"vector\":\"%s\"",
			x->phase == 2 ? "end" : x->phase == 0 ? "start" : "update",
			xw_top_class_name(x->cls), xw_top_class_name(x->vector));
		json_str(f, "victim", x->victim, true);
		fprintf(f, ",\"pps\":%.3f,\"bps\":%.3f,\"peak_pps\":%.3f,\"spoofed\":%s,\"distinct_sources\":%llu,\"start_unix_ns\":%llu,\"time_unix_ns\":%llu,\"end_unix_ns\":%llu,\"rule_ids\":[",
			x->pps, x->bps, x->peak_pps, x->spoofed ? "true" : "false",
			(unsigned long long)x->distinct_sources,
			(unsigned long long)x->start_ns,
			(unsigned long long)x->time_ns,
			(unsigned long long)x->end_ns);
		for (unsigned int k = 0; k < x->nrules && k < XW_TOP_ALERT_RULES; k++) {
			char esc[160];

			if (xw_json_escape(x->rules[k], esc, sizeof(esc)))
				snprintf(esc, sizeof(esc), "(too long)");
			fprintf(f, "%s\"%s\"", k ? "," : "", esc);
		}
		fprintf(f, "],\"rule_count\":%u", x->nrules);
		json_str(f, "mitigation", x->mitigation, true);
		json_str(f, "detector", x->detector, true);
		fputc('}', f);
	}
	fprintf(f, "]}\n");
}
