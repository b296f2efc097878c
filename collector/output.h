/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * output.h - where the collector writes the records it drains, until they
 * go to Kafka: JSON lines on stdout or in a file, or nowhere.
 *
 *   xw_output__open(o, path)      "-" stdout, "" or "none" off, else a file
 *                                 (appended)
 *   xw_output__record(o, rec, ifname)   format and buffer one line;
 *                                 failures are counted, not fatal
 *   xw_output__flush(o)           once per drain cycle
 *   xw_output__close(o)
 */
#ifndef XW_OUTPUT_H
#define XW_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "xdpwatch_shared.h"

struct xw_output {
	FILE *f;
	bool owned;
	int64_t clock_offset_ns; /* boot time -> wall time */
	uint64_t written;
	uint64_t failed; /* lines lost to write errors */
};

int xw_output__open(struct xw_output *o, const char *path);
void xw_output__record(struct xw_output *o, const struct xw_record *rec,
		       const char *ifname);
void xw_output__flush(struct xw_output *o);
void xw_output__close(struct xw_output *o);

#endif /* XW_OUTPUT_H */
