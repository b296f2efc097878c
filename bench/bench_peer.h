/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * bench_peer.h - xdp-filter (xdp-tools) loaded for real, as the peer the
 * benchmark measures xdpwatch against.
 *
 *   bench_peer__setup(p, netns, verbose)
 *       `ip netns add <netns>` (refused if it exists), move this process
 *       into it and into a private mount namespace with its own bpffs on
 *       /sys/fs/bpf (xdp-filter's pins never touch the host's bpffs), make
 *       a veth pair xwb0/xwb1 there without addresses, run
 *       `xdp-filter load -f ipv4,ipv6,tcp,udp xwb0`, then find the program
 *       the kernel runs on xwb0 (bpf_xdp_query) and open it by id
 *   bench_peer__add_src(p, addrs, n)
 *       `xdp-filter ip -m src <addr>` for each string, one after the other
 *       (xdp-filter holds a host-wide lock file while it runs)
 *   bench_peer__cleanup(p)
 *       idempotent: delete the link, unmount the private bpffs, return to
 *       the host namespaces, `ip netns del`; safe from atexit
 *
 * Commands are run with fork/exec (no shell). Errors are negative errno,
 * logged here once. bench_stop, set from a signal handler, makes the
 * long loops give up with -EINTR.
 */
#ifndef XW_BENCH_PEER_H
#define XW_BENCH_PEER_H

#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench_util.h" /* bench_stop */

#define BENCH_PEER_IF "xwb0"
#define BENCH_PEER_IF_PEER "xwb1"

struct bench_peer {
	char netns[64];
	int host_mnt_fd; /* where we came from, to go back and clean up */
	int host_net_fd;
	bool netns_made; /* ours to delete */
	bool in_netns;
	bool mnt_private;
	bool link_made;
	bool verbose;
	int prog_fd;
	uint32_t prog_id;
	char prog_name[16];
	bool dispatcher; /* libxdp's multi-program dispatcher is attached */
	const char *mode_name; /* "native", "generic", ... */
};

void bench_peer__init(struct bench_peer *p);
int bench_peer__setup(struct bench_peer *p, const char *netns, bool verbose);
int bench_peer__add_src(struct bench_peer *p, char *const *addrs, size_t n);
void bench_peer__cleanup(struct bench_peer *p);

#endif /* XW_BENCH_PEER_H */
