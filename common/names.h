/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * names.h - printable names for the codes in bpf/xdpwatch_shared.h, used in
 * JSON output, stats and the CLI. Each returns "unknown" for a code it does
 * not know, never NULL.
 */
#ifndef XW_NAMES_H
#define XW_NAMES_H

#include "xdpwatch_shared.h"

const char *xw_event_name(unsigned int ev);
const char *xw_action_name(unsigned int act);
const char *xw_tunnel_name(unsigned int tun);
const char *xw_l4_class_name(unsigned int l4);
const char *xw_ipver_name(unsigned int ipver);
const char *xw_refusal_name(unsigned int r);
const char *xw_ipproto_name(unsigned int proto); /* "tcp", or NULL */
int xw_ipproto_parse(const char *name); /* "udp" or "17" -> 17; -EINVAL */

#endif /* XW_NAMES_H */
