/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * attach.h - one watched interface: its lock, its loaded program with maps
 * pinned under <pin_root>/<ifname>/, and its XDP link.
 *
 *   xw_iface__attach(it, ifname, opts)
 *       with opts->netns set, the interface is looked up and attached
 *       inside that network namespace and everything else (pins, Kafka)
 *       stays in ours: the pin directory is then <ifname>@<netns>
 *       lock the interface (a second collector is refused with the pid
 *       that holds it), load the program reusing pinned maps, write the
 *       run-time config, then attach one of two ways (opts->via):
 *       XW_VIA_LINK: take over our own pinned link if a killed collector
 *       left one (enforcement never stops), refuse an interface that
 *       carries any other XDP program, saying what it is (id, name, tag,
 *       mode, a libxdp dispatcher and its programs, ours from an earlier
 *       run) and what to do; else create a link in the requested mode
 *       (auto: native, generic as fallback) and pin it
 *       XW_VIA_LIBXDP: join (or create) libxdp's dispatcher with
 *       opts->run_prio, chaining on XDP_PASS, so other programs keep
 *       running beside ours; libxdp loads our object as an freplace
 *       extension and pins the dispatcher under <bpffs>/xdp/. A program of
 *       ours left there by a killed collector (it uses our pinned maps) is
 *       replaced: the new one is added first, then the old one removed.
 *       A plain (non-dispatcher) program is refused as above.
 *   xw_iface__unlink(it)   unpin and close the link, or take our program
 *                          out of the dispatcher (others stay): no record
 *                          is written any more, and the ring buffer can be
 *                          drained to the end
 *   xw_iface__detach(it)   unlink if not done, free the program, keep the
 *                          maps pinned so rules and counters outlive a
 *                          restart, unlock
 *
 * Errors are returned as negative errno and logged here, once.
 */
#ifndef XW_ATTACH_H
#define XW_ATTACH_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "pinned.h"

struct xdpwatch;
struct xdp_program;

enum xw_xdp_mode {
	XW_MODE_AUTO = 0,
	XW_MODE_NATIVE,
	XW_MODE_GENERIC,
};

enum xw_attach_via {
	XW_VIA_LINK = 0, /* our own pinned bpf_link: the interface is ours */
	XW_VIA_LIBXDP,	 /* a slot in libxdp's multiprog dispatcher */
};

struct xw_attach_opts {
	const char *netns; /* "" or a name in /run/netns, or a path */
	const char *pin_root;
	const char *lock_dir;
	enum xw_xdp_mode mode;
	enum xw_attach_via via;
	uint32_t run_prio; /* XW_VIA_LIBXDP: lower runs earlier */
	uint32_t ringbuf_bytes; /* power of two, multiple of the page size */
	uint32_t sample_rate;
	uint32_t wakeup_bytes;
};

struct xw_iface {
	char ifname[IF_NAMESIZE];
	/* ifname, or ifname@netns: the pin directory and lock file name */
	char key[IF_NAMESIZE + 256];
	int ifindex;
	const char *netns; /* NULL, or opts->netns (must outlive us) */
	struct xdpwatch *skel;
	struct xw_maps maps; /* borrowed from skel: not closed separately */
	int records_fd;
	int link_fd;
	int lock_fd;
	char link_pin[PATH_MAX];
	bool link_pinned;
	const char *mode_name; /* "native" or "generic" */
	bool took_over; /* reused a pinned link left by an earlier run */
	enum xw_attach_via via;
	struct xdp_program *xdp_prog; /* XW_VIA_LIBXDP: ours, once attached */
	uint32_t replaced_id; /* XW_VIA_LIBXDP: an earlier run's program */
	uint32_t run_prio;
};

extern const char *const xw_mode_names[]; /* NULL-terminated, enum order */
extern const char *const xw_attach_via_names[]; /* "link", "libxdp", NULL */

int xw_iface__attach(struct xw_iface *it, const char *ifname,
		     const struct xw_attach_opts *opts);
void xw_iface__unlink(struct xw_iface *it);
void xw_iface__detach(struct xw_iface *it);

#endif /* XW_ATTACH_H */
