// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* counters.c - see counters.h. */
#include <string.h>

#include "counters.h"
#include "names.h"

int xw_counters__read(const struct xw_maps *m, struct xw_counters *c)
{
	int err;

	memset(c, 0, sizeof(*c));
	for (uint32_t i = 0; i < XW_TRAFFIC_SLOTS; i++) {
		err = xw_percpu_counter_sum(m->traffic, i, &c->traffic[i]);
		if (err)
			return err;
	}
	for (uint32_t ev = XW_EV_NONE + 1; ev < XW_EV_COUNT; ev++) {
		err = xw_percpu_u64_sum(m->events, ev, &c->events[ev]);
		if (err)
			return err;
	}
	return 0;
}

void xw_counters__sum(const struct xw_counters *c, struct xw_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (uint32_t i = 0; i < XW_TRAFFIC_SLOTS; i++) {
		uint32_t act = i % XW_ACT_COUNT;

		t->all.packets += c->traffic[i].packets;
		t->all.bytes += c->traffic[i].bytes;
		if (act == XW_ACT_DROP)
			t->dropped += c->traffic[i].packets;
		else if (act == XW_ACT_MONITOR)
			t->monitored += c->traffic[i].packets;
		else if (act == XW_ACT_ALLOW)
			t->allowed += c->traffic[i].packets;
	}
	for (uint32_t ev = XW_EV_NONE + 1; ev < XW_EV_PARSE_ERROR_END; ev++)
		t->parse_errors += c->events[ev];
	t->sampled = c->events[XW_EV_RECORD_SAMPLED];
	t->lost = c->events[XW_EV_RECORD_LOST_RINGBUF_FULL];
}

void xw_counters__to_pb(const struct xw_counters *c, uint32_t ifindex,
			const char *ifname, struct xw_counters_pb *pb)
{
	static const uint32_t ipver_number[XW_IPVER_COUNT] = { 0, 4, 6 };
	size_t n = 0;

	xdpwatch__v1__interface_counters__init(&pb->ic);
	pb->ic.ifindex = ifindex;
	pb->ic.ifname = (char *)ifname;
	for (uint32_t i = 0; i < XW_TRAFFIC_SLOTS; i++) {
		Xdpwatch__V1__TrafficCounter *t = &pb->traffic[n];

		if (!c->traffic[i].packets)
			continue;
		xdpwatch__v1__traffic_counter__init(t);
		t->ip_version = ipver_number[i / (XW_L4_COUNT * XW_ACT_COUNT)];
		t->l4 = (char *)xw_l4_class_name((i / XW_ACT_COUNT) % XW_L4_COUNT);
		t->action = (Xdpwatch__V1__Action)(i % XW_ACT_COUNT);
		t->packets = c->traffic[i].packets;
		t->bytes = c->traffic[i].bytes;
		pb->traffic_ptrs[n++] = t;
	}
	pb->ic.n_traffic = n;
	pb->ic.traffic = pb->traffic_ptrs;

	n = 0;
	for (uint32_t ev = XW_EV_NONE + 1; ev < XW_EV_COUNT; ev++) {
		Xdpwatch__V1__EventCounter *e = &pb->events[n];

		if (!c->events[ev])
			continue;
		xdpwatch__v1__event_counter__init(e);
		e->name = (char *)xw_event_name(ev);
		e->count = c->events[ev];
		pb->event_ptrs[n++] = e;
	}
	pb->ic.n_events = n;
	pb->ic.events = pb->event_ptrs;
}
