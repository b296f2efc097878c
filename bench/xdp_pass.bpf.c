// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdp_pass.bpf.c - the benchmark's floor: an XDP program that does nothing
 * but pass. Its test-run time is the fixed cost of entering and leaving an
 * XDP program; every other row is read against it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xw_bench_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
