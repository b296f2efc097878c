// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* attach.c - see attach.h. */
#define _GNU_SOURCE /* setns */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#include "attach.h"
#include "log.h"
#include "xdpwatch.skel.h"

const char *const xw_mode_names[] = { "auto", "native", "generic", NULL };

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

static int load(struct xw_iface *it, const struct xw_attach_opts *o)
{
	char dir[PATH_MAX];
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
	if (err)
		return err;

	err = xdpwatch__load(it->skel);
	if (err) {
		xw_pin_path(o->pin_root, it->key, NULL, dir, sizeof(dir));
		pr_err("%s: cannot load the XDP program: %s", it->ifname,
		       strerror(-err));
		if (err == -EINVAL)
			pr_err("%s: if maps pinned in %s come from an incompatible xdpwatch version, remove them with 'xdpwatch unpin %s'",
			       it->ifname, dir, it->key);
		return err;
	}

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

static int foreign_program_check(struct xw_iface *it)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	char name[BPF_OBJ_NAME_LEN] = "?";
	int fd;

	if (bpf_xdp_query(it->ifindex, 0, &q) || !q.prog_id)
		return 0;
	fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (fd >= 0) {
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			snprintf(name, sizeof(name), "%s", info.name);
		close(fd);
	}
	pr_err("%s: already carries XDP program id %u (%s, %s mode); xdpwatch does not replace another program. Detach it first (e.g. 'ip link set dev %s xdp off') or run xdpwatch on another interface",
	       it->ifname, q.prog_id, name, mode_of(it->ifindex), it->ifname);
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

static int attach(struct xw_iface *it, const struct xw_attach_opts *o)
{
	int prog_fd = bpf_program__fd(it->skel->progs.xdpwatch_main);
	char *path = it->link_pin;
	int err;

	err = xw_pin_path(o->pin_root, it->key, XW_LINK_PIN_NAME, path,
			  sizeof(it->link_pin));
	if (err)
		return err;
	err = link_take_over(it, path, prog_fd);
	if (err < 0)
		return err;
	if (err == 0) {
		err = foreign_program_check(it);
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
	int err, home;

	memset(it, 0, sizeof(*it));
	it->link_fd = it->lock_fd = it->records_fd = -1;
	if (strlen(ifname) >= sizeof(it->ifname)) {
		pr_err("'%s': interface names are at most %zu characters", ifname,
		       sizeof(it->ifname) - 1);
		return -EINVAL;
	}
	strcpy(it->ifname, ifname);
	snprintf(it->key, sizeof(it->key), "%s%s%s", ifname, netns ? "@" : "",
		 netns ? (strrchr(netns, '/') ? strrchr(netns, '/') + 1 : netns) : "");

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
		err = load(it, opts);
	if (!err)
		err = attach(it, opts);
	netns_leave(home);
	if (err) {
		xw_iface__detach(it);
		return err;
	}
	pr_info("%s: attached (ifindex %d, %s mode%s), maps pinned in %s/%s",
		it->key, it->ifindex, it->mode_name,
		it->took_over ? ", took over the pinned link of an earlier run" : "",
		opts->pin_root, it->key);
	return 0;
}

void xw_iface__unlink(struct xw_iface *it)
{
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
