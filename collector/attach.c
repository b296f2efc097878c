// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* attach.c - see attach.h. */
#define _GNU_SOURCE /* setns */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "attach.h"
#include "log.h"
#include "xdpwatch.skel.h"

const char *const xw_mode_names[] = { "auto", "native", "generic", NULL };
const char *const xw_attach_via_names[] = { "link", "libxdp", NULL };

#define XW_PROG_NAME "xdpwatch_main"
#define XW_DISPATCHER_NAME "xdp_dispatcher" /* libxdp's, as the kernel names it */

static __attribute__((format(printf, 2, 0))) int
libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	/* libxdp's info lines narrate its protocol: debug detail for us. */
	xw_log_vemit(level == LIBXDP_WARN ? XW_LOG_WARN : XW_LOG_DEBUG,
		     "libxdp: ", fmt, ap);
	return 0;
}

/* A second collector on one interface would fight over the link and pins. */
static int iface_lock(struct xw_iface *it, const char *lock_dir)
{
	char path[PATH_MAX], pid[32] = "";
	ssize_t n;
	int fd;

	if (mkdir(lock_dir, 0755) && errno != EEXIST) {
		pr_err("%s: cannot create lock directory %s: %s", it->ifname,
		       lock_dir, strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/%s.lock", lock_dir, it->key);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		pr_err("%s: cannot open lock %s: %s", it->ifname, path,
		       strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int err = errno == EWOULDBLOCK ? -EBUSY : -errno;

		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		pr_err("%s: already watched by another xdpwatch-collector (pid %s, lock %s)",
		       it->ifname, *pid ? pid : "?", path);
		close(fd);
		return err;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, n, 0) != n)
		pr_warn("%s: cannot record pid in %s: %s", it->ifname, path,
			strerror(errno));
	it->lock_fd = fd;
	return 0;
}

static int pins_prepare(struct xw_iface *it, const char *root)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int err;

	err = xw_bpffs_ensure(root);
	if (err)
		return err;
	err = xw_pin_path(root, it->key, NULL, path, sizeof(path));
	if (!err && mkdir(path, 0700) && errno != EEXIST)
		err = -errno;
	if (err) {
		pr_err("%s: cannot create pin directory %s: %s", it->ifname, path,
		       strerror(-err));
		return err;
	}
	bpf_object__for_each_map(map, it->skel->obj) {
		/* Records are transient; everything else outlives a restart. */
		if (map == it->skel->maps.xw_records)
			continue;
		err = xw_pin_path(root, it->key, bpf_map__name(map), path,
				  sizeof(path));
		if (!err)
			err = bpf_map__set_pin_path(map, path);
		if (err) {
			pr_err("%s: cannot set pin path for %s: %s", it->ifname,
			       bpf_map__name(map), strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Open the object and point its maps at their pins; nothing loaded yet. */
static int load_open(struct xw_iface *it, const struct xw_attach_opts *o)
{
	int err;

	it->skel = xdpwatch__open();
	if (!it->skel) {
		err = -errno;
		pr_err("%s: cannot open the XDP object: %s", it->ifname,
		       strerror(-err));
		return err;
	}
	err = bpf_map__set_max_entries(it->skel->maps.xw_records,
				       o->ringbuf_bytes);
	if (!err)
		err = pins_prepare(it, o->pin_root);
	return err;
}

static void load_failed(struct xw_iface *it, const struct xw_attach_opts *o,
			int err)
{
	char dir[PATH_MAX];

	xw_pin_path(o->pin_root, it->key, NULL, dir, sizeof(dir));
	pr_err("%s: cannot load the XDP program: %s", it->ifname, strerror(-err));
	if (err == -EINVAL)
		pr_err("%s: if maps pinned in %s come from an incompatible xdpwatch version, remove them with 'xdpwatch unpin %s'",
		       it->ifname, dir, it->key);
}

/* Once loaded (by us or by libxdp): the map fds and the run-time config. */
static int load_finish(struct xw_iface *it, const struct xw_attach_opts *o)
{
	int err;

	it->maps = (struct xw_maps){
		.config = bpf_map__fd(it->skel->maps.xw_config),
		.traffic = bpf_map__fd(it->skel->maps.xw_traffic),
		.events = bpf_map__fd(it->skel->maps.xw_events),
		.deny_v4 = bpf_map__fd(it->skel->maps.xw_deny_v4),
		.deny_v6 = bpf_map__fd(it->skel->maps.xw_deny_v6),
		.deny_host_v4 = bpf_map__fd(it->skel->maps.xw_deny_host_v4),
		.deny_host_v6 = bpf_map__fd(it->skel->maps.xw_deny_host_v6),
		.deny_host_on = bpf_map__fd(it->skel->maps.xw_deny_host_on),
		.allow_v4 = bpf_map__fd(it->skel->maps.xw_allow_v4),
		.allow_v6 = bpf_map__fd(it->skel->maps.xw_allow_v6),
		.rule_stats = bpf_map__fd(it->skel->maps.xw_rule_stats),
		.verdict_ids = bpf_map__fd(it->skel->maps.xw_verdict_ids),
		.deny_dst_v4 = bpf_map__fd(it->skel->maps.xw_deny_dst_v4),
		.deny_dst_v6 = bpf_map__fd(it->skel->maps.xw_deny_dst_v6),
		.deny_dst_on = bpf_map__fd(it->skel->maps.xw_deny_dst_on),
		.rate = bpf_map__fd(it->skel->maps.xw_rate),
	};
	it->records_fd = bpf_map__fd(it->skel->maps.xw_records);
	err = xw_config__write(it->maps.config, o->sample_rate, o->wakeup_bytes);
	if (err)
		pr_err("%s: cannot write run-time config: %s", it->ifname,
		       strerror(-err));
	return err;
}

static const char *mode_of(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return "unknown";
	switch (q.attach_mode) {
	case XDP_ATTACHED_DRV:
		return "native";
	case XDP_ATTACHED_SKB:
		return "generic";
	case XDP_ATTACHED_HW:
		return "offload";
	default:
		return "multi";
	}
}

/* Our own link, pinned by an earlier run that may have been killed. */
static int link_take_over(struct xw_iface *it, const char *path, int prog_fd)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	int fd, err;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    info.type != BPF_LINK_TYPE_XDP || info.xdp.ifindex != (__u32)it->ifindex) {
		/* Detached (interface recreated) or not ours: drop the pin. */
		pr_info("%s: removing stale link pin %s", it->ifname, path);
		close(fd);
		unlink(path);
		return 0;
	}
	if (bpf_link_update(fd, prog_fd, NULL)) {
		err = -errno;
		close(fd);
		pr_err("%s: cannot replace the program on pinned link %s: %s",
		       it->ifname, path, strerror(-err));
		return err;
	}
	it->link_fd = fd;
	it->link_pinned = true;
	it->took_over = true;
	return 1;
}

/* The id of our pinned traffic map: a program using it is ours. 0: none. */
static __u32 our_map_id(const struct xw_iface *it, const char *pin_root)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	if (xw_pin_path(pin_root, it->key, "xw_traffic", path, sizeof(path)))
		return 0;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.id = 0;
	close(fd);
	return info.id;
}

struct prog_desc {
	__u32 id;
	char name[BPF_OBJ_NAME_LEN];
	char tag[2 * BPF_TAG_SIZE + 1];
	bool ours; /* uses our pinned maps: an earlier run of ours left it */
	bool xdpwatch; /* an xdpwatch program, perhaps another collector's */
};

static void prog_describe(__u32 id, __u32 our_map, struct prog_desc *d)
{
	__u32 map_ids[64], len;
	struct bpf_prog_info info;
	int fd;

	memset(d, 0, sizeof(*d));
	d->id = id;
	strcpy(d->name, "?");
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = sizeof(map_ids) / sizeof(map_ids[0]);
	info.map_ids = (__u64)(unsigned long)map_ids;
	len = sizeof(info);
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		snprintf(d->name, sizeof(d->name), "%s", info.name);
		for (int i = 0; i < BPF_TAG_SIZE; i++)
			sprintf(d->tag + 2 * i, "%02x", info.tag[i]);
		for (__u32 i = 0; our_map && i < info.nr_map_ids &&
				  i < sizeof(map_ids) / sizeof(map_ids[0]); i++)
			if (map_ids[i] == our_map)
				d->ours = true;
		d->xdpwatch = !strcmp(info.name, XW_PROG_NAME);
	}
	close(fd);
}

/* Append to a log line; stops at its end, never past it. */
__attribute__((format(printf, 3, 4)))
static void appendf(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used >= len - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static void prog_append(const struct prog_desc *d, char *buf, size_t len)
{
	appendf(buf, len, "id %u '%s' tag %s%s", d->id, d->name,
		*d->tag ? d->tag : "?",
		d->ours ? " (xdpwatch's own, left by an earlier run: it uses our pinned maps)" :
		d->xdpwatch ? " (an xdpwatch program, not using our pins)" :
			      "");
}

/* What an interface carries, for a log line. */
struct iface_xdp {
	__u32 prog_id; /* 0: nothing attached */
	bool dispatcher; /* libxdp's multiprog dispatcher */
	__u32 ours_id; /* our program from an earlier run, alone or inside */
	__u32 other_xdpwatch_id; /* an xdpwatch program not using our pins */
	enum xdp_attach_mode mode;
	char text[1024];
};

static void iface_describe(const struct xw_iface *it, __u32 our_map,
			   struct iface_xdp *x)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct xdp_multiprog *mp;
	const char *sep = "";
	struct prog_desc d;
	int n;

	memset(x, 0, sizeof(*x));
	if (bpf_xdp_query(it->ifindex, 0, &q) || !q.prog_id)
		return;
	x->prog_id = q.prog_id;
	x->mode = q.attach_mode == XDP_ATTACHED_SKB ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	prog_describe(q.prog_id, our_map, &d);
	x->dispatcher = !strcmp(d.name, XW_DISPATCHER_NAME);
	if (!x->dispatcher) {
		appendf(x->text, sizeof(x->text), "XDP program ");
		prog_append(&d, x->text, sizeof(x->text));
		appendf(x->text, sizeof(x->text), ", %s mode", mode_of(it->ifindex));
		if (d.ours)
			x->ours_id = d.id;
		return;
	}
	appendf(x->text, sizeof(x->text), "libxdp's dispatcher (id %u, %s mode)",
		d.id, mode_of(it->ifindex));
	mp = xdp_multiprog__get_from_ifindex(it->ifindex);
	if (libxdp_get_error(mp) || !mp || xdp_multiprog__is_legacy(mp)) {
		/* libxdp finds the programs through its pins: another
		 * LIBXDP_BPFFS, or no CAP_SYS_ADMIN (BPF_PROG_GET_FD_BY_ID). */
		appendf(x->text, sizeof(x->text),
			" whose programs libxdp cannot read (%s; the same LIBXDP_BPFFS as its loader? CAP_SYS_ADMIN?)",
			mp && !libxdp_get_error(mp) ? "not a dispatcher after all" :
						      strerror(errno));
		if (!libxdp_get_error(mp))
			xdp_multiprog__close(mp);
		return;
	}
	n = xdp_multiprog__program_count(mp);
	appendf(x->text, sizeof(x->text), " running %d program%s:", n,
		n == 1 ? "" : "s");
	for (struct xdp_program *p = xdp_multiprog__next_prog(NULL, mp); p;
	     p = xdp_multiprog__next_prog(p, mp), sep = ";") {
		prog_describe(xdp_program__id(p), our_map, &d);
		appendf(x->text, sizeof(x->text), "%s ", sep);
		prog_append(&d, x->text, sizeof(x->text));
		appendf(x->text, sizeof(x->text), " priority %u",
			xdp_program__run_prio(p));
		if (d.ours)
			x->ours_id = d.id;
		else if (d.xdpwatch)
			x->other_xdpwatch_id = d.id;
	}
	x->mode = xdp_multiprog__attach_mode(mp);
	xdp_multiprog__close(mp);
}

/* "nsenter --net=/run/netns/NS " when the interface lives elsewhere, for
 * hints. Not "ip netns exec": it mounts a fresh /sys, hiding the bpffs
 * where libxdp (and xdp-loader) keep the dispatcher's pins. */
static const char *netns_prefix(const struct xw_iface *it, char *buf, size_t len)
{
	if (!it->netns || !*it->netns)
		return "";
	snprintf(buf, len, "nsenter --net=%s%s ",
		 strchr(it->netns, '/') ? "" : "/run/netns/", it->netns);
	return buf;
}

/* Link mode: the interface must be free; say what holds it and what to do. */
static int foreign_program_check(struct xw_iface *it, __u32 our_map)
{
	struct iface_xdp x;
	char ns[300];

	iface_describe(it, our_map, &x);
	if (!x.prog_id)
		return 0;
	pr_err("%s: already carries %s", it->key, x.text);
	if (x.dispatcher && x.ours_id)
		pr_err("%s: refusing attach_mode = \"link\": an earlier collector in attach_mode = \"libxdp\" left our program in the dispatcher; start with attach_mode = \"libxdp\" (it replaces that program) or remove it first ('%sxdp-loader unload %s -i %u')",
		       it->key, netns_prefix(it, ns, sizeof(ns)), it->ifname, x.ours_id);
	else if (x.dispatcher)
		pr_err("%s: refusing attach_mode = \"link\", which needs the interface to itself: use attach_mode = \"libxdp\" to run beside these programs, or unload them first ('%sxdp-loader unload %s --all')",
		       it->key, netns_prefix(it, ns, sizeof(ns)), it->ifname);
	else
		pr_err("%s: refusing to replace it: xdpwatch runs beside another program only when both go through libxdp's dispatcher (load it with xdp-loader or another libxdp user, then use attach_mode = \"libxdp\"), or detach it first ('%sxdp-loader unload %s --all', or '%sip link set dev %s xdp off' if it was attached through netlink)",
		       it->key, netns_prefix(it, ns, sizeof(ns)), it->ifname,
		       netns_prefix(it, ns, sizeof(ns)), it->ifname);
	return -EBUSY;
}

static int link_create(struct xw_iface *it, int prog_fd, enum xw_xdp_mode mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	int fd;

	if (mode != XW_MODE_GENERIC) {
		lo.flags = XDP_FLAGS_DRV_MODE;
		fd = bpf_link_create(prog_fd, it->ifindex, BPF_XDP, &lo);
		if (fd >= 0 || mode == XW_MODE_NATIVE) {
			if (fd < 0)
				pr_err("%s: native XDP attach failed: %s (try xdp_mode = \"generic\" or \"auto\")",
				       it->ifname, strerror(errno));
			return fd < 0 ? -errno : fd;
		}
		pr_warn("%s: native XDP not available (%s); falling back to generic mode, which is slower",
			it->ifname, strerror(errno));
	}
	lo.flags = XDP_FLAGS_SKB_MODE;
	fd = bpf_link_create(prog_fd, it->ifindex, BPF_XDP, &lo);
	if (fd < 0) {
		pr_err("%s: generic XDP attach failed: %s", it->ifname,
		       strerror(errno));
		return -errno;
	}
	return fd;
}

static int attach_link(struct xw_iface *it, const struct xw_attach_opts *o,
		       __u32 our_map)
{
	int prog_fd = bpf_program__fd(it->skel->progs.xdpwatch_main);
	char *path = it->link_pin;
	int err;

	err = link_take_over(it, path, prog_fd);
	if (err < 0)
		return err;
	if (err == 0) {
		err = foreign_program_check(it, our_map);
		if (err)
			return err;
		err = link_create(it, prog_fd, o->mode);
		if (err < 0)
			return err;
		it->link_fd = err;
		if (bpf_obj_pin(it->link_fd, path)) {
			/* Still attached, but a kill -9 would now detach it. */
			pr_warn("%s: cannot pin link at %s: %s; enforcement will stop if the collector dies",
				it->ifname, path, strerror(errno));
		} else {
			it->link_pinned = true;
		}
	}
	it->mode_name = mode_of(it->ifindex);
	return 0;
}

static enum xdp_attach_mode libxdp_mode(enum xw_xdp_mode m)
{
	return m == XW_MODE_GENERIC ? XDP_MODE_SKB : XDP_MODE_NATIVE;
}

static const char *libxdp_mode_name(enum xdp_attach_mode m)
{
	return m == XDP_MODE_SKB ? "generic" : "native";
}

/* Is prog_id one of the programs of a libxdp dispatcher on the interface? */
static bool dispatcher_holds(const struct xw_iface *it, __u32 prog_id)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(it->ifindex);
	bool found = false;

	if (libxdp_get_error(mp) || !mp)
		return false;
	if (!xdp_multiprog__is_legacy(mp))
		for (struct xdp_program *p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp))
			found |= xdp_program__id(p) == prog_id;
	xdp_multiprog__close(mp);
	return found;
}

/*
 * libxdp mode after a link-mode run was killed: its pinned link holds the
 * interface, and libxdp can only add to a dispatcher. Our own link goes
 * (enforcement pauses for the few milliseconds until the dispatcher is in).
 */
static void link_pin_release(struct xw_iface *it)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(it->link_pin);

	if (fd < 0)
		return;
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
	    info.type == BPF_LINK_TYPE_XDP && info.xdp.ifindex == (__u32)it->ifindex)
		pr_warn("%s: an earlier collector in attach_mode = \"link\" left its pinned link (program id %u); releasing it to join libxdp's dispatcher, enforcement pauses until ours is in",
			it->key, info.prog_id);
	unlink(it->link_pin);
	close(fd);
}

/*
 * Join libxdp's dispatcher (or let libxdp create one). libxdp loads our
 * object itself, as an freplace extension of the dispatcher's slot, so the
 * maps exist only once this returns.
 */
static int attach_libxdp(struct xw_iface *it, const struct xw_attach_opts *o,
			 __u32 our_map)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, po, .obj = it->skel->obj,
			    .prog_name = XW_PROG_NAME);
	enum xdp_attach_mode mode = libxdp_mode(o->mode);
	struct xdp_program *old;
	struct iface_xdp x;
	char why[256], ns[300];
	bool ext_ok;
	int err;

	/* libxdp would fall back to a lone program (see below): know it
	 * first, before anything is attached or libbpf logs refused probes. */
	ext_ok = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_EXT, NULL) != 0;
	if (ext_ok)
		link_pin_release(it);
	iface_describe(it, our_map, &x);
	if (x.prog_id && !x.dispatcher) {
		pr_err("%s: already carries %s, attached without libxdp's dispatcher: libxdp cannot add a program beside it",
		       it->key, x.text);
		if (x.ours_id)
			pr_err("%s: it is our own program from an earlier attach_mode = \"link\" run, still enforcing the pinned rules; attach_mode = \"link\" takes it over",
			       it->key);
		else
				pr_err("%s: to run both, load that program through libxdp too (e.g. '%sxdp-loader load %s PROG.o'); or detach it first ('%sxdp-loader unload %s --all', or '%sip link set dev %s xdp off')",
			       it->key, netns_prefix(it, ns, sizeof(ns)), it->ifname,
			       netns_prefix(it, ns, sizeof(ns)), it->ifname,
			       netns_prefix(it, ns, sizeof(ns)), it->ifname);
	}
	if (!ext_ok)
		pr_err("%s: attach_mode = \"libxdp\" needs libxdp's dispatcher, made of freplace (BPF_PROG_TYPE_EXT) programs, and this kernel refuses them ('bpftool feature probe kernel | grep ext'; lockdown or an LSM can forbid them); use attach_mode = \"link\" here",
		       it->key);
	if (!ext_ok || (x.prog_id && !x.dispatcher))
		return ext_ok ? -EBUSY : -EOPNOTSUPP;
	if (x.prog_id) {
		if (o->mode != XW_MODE_AUTO && x.mode != mode) {
			pr_err("%s: the dispatcher there runs in %s mode; xdp_mode = \"%s\" cannot join it (use \"auto\")",
			       it->key, libxdp_mode_name(x.mode), xw_mode_names[o->mode]);
			return -EBUSY;
		}
		mode = x.mode;
		pr_info("%s: joining %s", it->key, x.text);
		/* Another collector's (other pin_root or netns), or ours after
		 * 'xdpwatch unpin': nothing tells which, so say what it costs. */
		if (x.other_xdpwatch_id)
			pr_warn("%s: the dispatcher already runs an xdpwatch program (id %u) that does not use our pins: each will count every packet it sees; if it is stale, '%sxdp-loader unload %s -i %u' removes it",
				it->key, x.other_xdpwatch_id, netns_prefix(it, ns, sizeof(ns)),
				it->ifname, x.other_xdpwatch_id);
	}

	it->xdp_prog = xdp_program__create(&po);
	if (!it->xdp_prog) {
		err = -errno;
		pr_err("%s: libxdp cannot use our XDP object: %s", it->key,
		       strerror(-err));
		return err;
	}
	err = xdp_program__set_run_prio(it->xdp_prog, o->run_prio);
	if (!err)
		err = xdp_program__attach(it->xdp_prog, it->ifindex, mode, 0);
	if (err && !x.prog_id && o->mode == XW_MODE_AUTO && mode == XDP_MODE_NATIVE) {
		libxdp_strerror(err, why, sizeof(why));
		pr_warn("%s: native XDP through libxdp failed (%s); falling back to generic mode, which is slower",
			it->key, why);
		mode = XDP_MODE_SKB;
		err = xdp_program__attach(it->xdp_prog, it->ifindex, mode, 0);
	}
	if (err) {
		libxdp_strerror(err, why, sizeof(why));
		pr_err("%s: cannot attach through libxdp's dispatcher: %s (xdpwatch-collector -v shows libxdp's steps)",
		       it->key, why);
		xdp_program__close(it->xdp_prog);
		it->xdp_prog = NULL;
		return err;
	}
	it->mode_name = libxdp_mode_name(mode);
	it->run_prio = o->run_prio;

	/* libxdp falls back to attaching a lone program, without its
	 * dispatcher, when the kernel refuses freplace programs (as xdp-loader
	 * does, silently). That is not coexistence: nobody could join us, and
	 * nothing would pin the attachment. */
	if (!dispatcher_holds(it, xdp_program__id(it->xdp_prog))) {
		pr_err("%s: libxdp attached our program alone, without its dispatcher: this kernel refuses the freplace (BPF_PROG_TYPE_EXT) programs the dispatcher is made of ('bpftool feature probe kernel | grep ext'; lockdown or an LSM can forbid them). Nothing could run beside it; use attach_mode = \"link\" here",
		       it->key);
		err = xdp_program__detach(it->xdp_prog, it->ifindex, mode, 0);
		if (err)
			pr_err("%s: and cannot detach it again: %s; 'ip link set dev %s xdp off' removes it",
			       it->key, strerror(-err), it->ifname);
		xdp_program__close(it->xdp_prog);
		it->xdp_prog = NULL;
		return -EOPNOTSUPP;
	}

	/* Ours is in; only now the earlier run's copy goes, so enforcement
	 * never stops (both count the packets in between, for milliseconds). */
	if (x.ours_id && x.ours_id != xdp_program__id(it->xdp_prog)) {
		old = xdp_program__from_id(x.ours_id);
		err = libxdp_get_error(old);
		if (!err)
			err = xdp_program__detach(old, it->ifindex, XDP_MODE_UNSPEC, 0);
		if (err) {
			libxdp_strerror(err, why, sizeof(why));
			pr_warn("%s: cannot remove program id %u left by an earlier run: %s; remove it with '%sxdp-loader unload %s -i %u'",
				it->key, x.ours_id, why, netns_prefix(it, ns, sizeof(ns)),
				it->ifname, x.ours_id);
		} else {
			it->replaced_id = x.ours_id;
		}
		if (!libxdp_get_error(old))
			xdp_program__close(old);
	}
	return 0;
}

/*
 * Enter the namespace named by netns ("" stays), returning an fd of the one
 * we left in *home (-1 when we stayed). Only this thread moves: threads
 * made later (librdkafka's) are made from home.
 */
static int netns_enter(const char *netns, int *home)
{
	char path[PATH_MAX];
	int fd, err;

	*home = -1;
	if (!netns || !*netns)
		return 0;
	snprintf(path, sizeof(path), "%s%s", strchr(netns, '/') ? "" : "/run/netns/",
		 netns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_err("network namespace %s: %s", path, strerror(-err));
		return err;
	}
	*home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*home < 0 || setns(fd, CLONE_NEWNET)) {
		err = -errno;
		pr_err("cannot enter network namespace %s: %s", path, strerror(-err));
		close(fd);
		if (*home >= 0)
			close(*home);
		*home = -1;
		return err;
	}
	close(fd);
	return 0;
}

static void netns_leave(int home)
{
	if (home < 0)
		return;
	if (setns(home, CLONE_NEWNET))
		pr_err("cannot return to our network namespace: %s", strerror(errno));
	close(home);
}

int xw_iface__attach(struct xw_iface *it, const char *ifname,
		     const struct xw_attach_opts *opts)
{
	const char *netns = opts->netns && *opts->netns ? opts->netns : NULL;
	__u32 our_map = 0;
	int err, home;

	memset(it, 0, sizeof(*it));
	it->link_fd = it->lock_fd = it->records_fd = -1;
	it->netns = netns;
	it->via = opts->via;
	if (strlen(ifname) >= sizeof(it->ifname)) {
		pr_err("'%s': interface names are at most %zu characters", ifname,
		       sizeof(it->ifname) - 1);
		return -EINVAL;
	}
	strcpy(it->ifname, ifname);
	snprintf(it->key, sizeof(it->key), "%s%s%s", ifname, netns ? "@" : "",
		 netns ? (strrchr(netns, '/') ? strrchr(netns, '/') + 1 : netns) : "");
	libxdp_set_print(libxdp_print);

	err = netns_enter(netns, &home);
	if (err)
		return err;
	it->ifindex = (int)if_nametoindex(ifname);
	if (!it->ifindex) {
		pr_err("%s: no such interface%s%s", ifname, netns ? " in network namespace " : "",
		       netns ? netns : "");
		err = -ENODEV;
	}
	if (!err)
		err = iface_lock(it, opts->lock_dir);
	if (!err)
		err = xw_pin_path(opts->pin_root, it->key, XW_LINK_PIN_NAME,
				  it->link_pin, sizeof(it->link_pin));
	if (!err)
		err = load_open(it, opts);
	if (!err)
		our_map = our_map_id(it, opts->pin_root);
	if (!err && opts->via == XW_VIA_LINK) {
		err = xdpwatch__load(it->skel);
		if (err)
			load_failed(it, opts, err);
		if (!err)
			err = load_finish(it, opts);
		if (!err)
			err = attach_link(it, opts, our_map);
	} else if (!err) {
		/* The config is written just after the program is in: until
		 * then a fresh map samples nothing (counters stay exact), a
		 * reused one keeps the earlier run's settings. */
		err = attach_libxdp(it, opts, our_map);
		if (!err)
			err = load_finish(it, opts);
	}
	netns_leave(home);
	if (err) {
		xw_iface__detach(it);
		return err;
	}
	if (it->via == XW_VIA_LIBXDP)
		pr_info("%s: attached through libxdp's dispatcher (ifindex %d, %s mode, program id %u at run priority %u%s), maps pinned in %s/%s",
			it->key, it->ifindex, it->mode_name,
			xdp_program__id(it->xdp_prog), it->run_prio,
			it->replaced_id ? ", replaced the program left by an earlier run" : "",
			opts->pin_root, it->key);
	else
		pr_info("%s: attached (ifindex %d, %s mode%s), maps pinned in %s/%s",
			it->key, it->ifindex, it->mode_name,
			it->took_over ? ", took over the pinned link of an earlier run" : "",
			opts->pin_root, it->key);
	return 0;
}

/* Our program out of the dispatcher, which libxdp rebuilds without it (or
 * removes, when ours was its last); the interface is looked up by index,
 * so from inside its namespace. */
static void libxdp_detach(struct xw_iface *it)
{
	char why[256], ns[300];
	int err, home;

	err = netns_enter(it->netns, &home);
	if (!err) {
		err = xdp_program__detach(it->xdp_prog, it->ifindex,
					  XDP_MODE_UNSPEC, 0);
		netns_leave(home);
	}
	if (err) {
		libxdp_strerror(err, why, sizeof(why));
		pr_warn("%s: cannot take our program (id %u) out of libxdp's dispatcher: %s; '%sxdp-loader unload %s -i %u' removes it",
			it->key, xdp_program__id(it->xdp_prog), why,
			netns_prefix(it, ns, sizeof(ns)), it->ifname,
			xdp_program__id(it->xdp_prog));
	}
	xdp_program__close(it->xdp_prog);
	it->xdp_prog = NULL;
}

void xw_iface__unlink(struct xw_iface *it)
{
	if (it->xdp_prog)
		libxdp_detach(it);
	/* With the pin gone, closing the last fd takes the program off. */
	if (it->link_pinned)
		unlink(it->link_pin);
	it->link_pinned = false;
	if (it->link_fd >= 0)
		close(it->link_fd);
	it->link_fd = -1;
}

void xw_iface__detach(struct xw_iface *it)
{
	xw_iface__unlink(it);
	xdpwatch__destroy(it->skel);
	it->skel = NULL;
	if (it->lock_fd >= 0)
		close(it->lock_fd);
	it->lock_fd = -1;
}
