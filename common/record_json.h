/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * record_json.h - one feature record as one line of JSON.
 *
 *   xw_clock_offset_ns()   CLOCK_REALTIME - CLOCK_BOOTTIME, to turn the
 *                          record's boot-time stamp into wall time
 *   xw_record_json(rec, offset, ifname, buf, len)
 *       writes the line (with '\n') into buf; returns its length, or
 *       -ENOSPC when buf is too small (ifname is JSON-escaped; one over
 *       63 bytes may not fit even so). Field names follow proto/.
 *   xw_json_escape(in, out, len)   -ENOSPC when out is too small
 */
#ifndef XW_RECORD_JSON_H
#define XW_RECORD_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "xdpwatch_shared.h"

#define XW_RECORD_JSON_MAX 640

int64_t xw_clock_offset_ns(void);
/* in as a JSON string body: '"', '\\' and control bytes escaped. */
int xw_json_escape(const char *in, char *out, size_t len);
int xw_record_json(const struct xw_record *rec, int64_t offset_ns,
		   const char *ifname, char *buf, size_t len);

#endif /* XW_RECORD_JSON_H */
