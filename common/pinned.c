// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* pinned.c - see pinned.h. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "pinned.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

const char *const xw_map_pin_names[] = {
	"xw_config",	   "xw_traffic",      "xw_events",
	"xw_deny_v4",	   "xw_deny_v6",      "xw_deny_host_v4",
	"xw_deny_host_v6", "xw_deny_host_on", "xw_allow_v4",
	"xw_allow_v6",	   "xw_rule_stats",   "xw_verdict_ids",
	"xw_deny_dst_v4",  "xw_deny_dst_v6",  "xw_deny_dst_on",
	"xw_rate",
};
const size_t xw_map_pin_count =
	sizeof(xw_map_pin_names) / sizeof(xw_map_pin_names[0]);

/*
 * The value size each map has in this build, in the order above. The
 * collector's libbpf refuses pins of another layout when it loads; the
 * CLI opens pins by path, with nothing to compare, and the kernel copies
 * value_size bytes whatever the caller's struct: a rule written into an
 * older, shorter layout would silently lose its tail (its TCP flags).
 * (The reverse, a CLI older than this check on newer pins, reads and
 * writes past its own struct; only the version skew itself avoids that.)
 */
static const uint32_t map_value_sizes[] = {
	sizeof(struct xw_config),     sizeof(struct xw_counter),
	sizeof(uint64_t),	      sizeof(struct xw_rule),
	sizeof(struct xw_rule),	      sizeof(struct xw_rule),
	sizeof(struct xw_rule),	      sizeof(uint32_t),
	sizeof(uint8_t),	      sizeof(uint8_t),
	sizeof(struct xw_counter),    sizeof(struct xw_verdict_slot),
	sizeof(struct xw_dst_rules),  sizeof(struct xw_dst_rules),
	sizeof(uint32_t),	      sizeof(struct xw_rate_state),
};
_Static_assert(sizeof(map_value_sizes) / sizeof(map_value_sizes[0]) ==
		       sizeof(xw_map_pin_names) / sizeof(xw_map_pin_names[0]),
	       "one value size per map");

static int map_layout_check(int fd, size_t i, const char *path)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.value_size == map_value_sizes[i])
		return 0;
	pr_debug("%s: value size %u, this xdpwatch (ABI %d) uses %u", path,
		 info.value_size, XW_ABI_VERSION, map_value_sizes[i]);
	return XW_ERR_LAYOUT;
}
_Static_assert(sizeof(struct xw_maps) / sizeof(int) ==
		       sizeof(xw_map_pin_names) / sizeof(xw_map_pin_names[0]),
	       "one pin name per map fd");

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int xw_bpffs_ensure(const char *root)
{
	struct statfs st;
	int err;

	/* Distributions without systemd's mount leave /sys/fs/bpf empty. */
	if (statfs("/sys/fs/bpf", &st) == 0 && st.f_type != BPF_FS_MAGIC) {
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
			err = -errno;
			pr_err("cannot mount bpffs on /sys/fs/bpf: %s", strerror(-err));
			return err;
		}
		pr_info("mounted bpffs on /sys/fs/bpf");
	}
	err = mkdir_p(root);
	if (err)
		pr_err("cannot create pin directory %s: %s", root, strerror(-err));
	return err;
}

int xw_pin_path(const char *root, const char *ifname, const char *name,
		char *buf, size_t len)
{
	int n = name ? snprintf(buf, len, "%s/%s/%s", root, ifname, name) :
		       snprintf(buf, len, "%s/%s", root, ifname);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int xw_maps__open(struct xw_maps *m, const char *root, const char *ifname)
{
	int *fds = (int *)m;
	char path[PATH_MAX];
	int err;

	for (size_t i = 0; i < xw_map_pin_count; i++)
		fds[i] = -1;
	for (size_t i = 0; i < xw_map_pin_count; i++) {
		err = xw_pin_path(root, ifname, xw_map_pin_names[i], path,
				  sizeof(path));
		if (err)
			goto fail;
		fds[i] = bpf_obj_get(path);
		if (fds[i] < 0) {
			err = -errno;
			goto fail;
		}
		err = map_layout_check(fds[i], i, path);
		if (err)
			goto fail;
	}
	return 0;
fail:
	xw_maps__close(m);
	return err;
}

void xw_maps__close(struct xw_maps *m)
{
	int *fds = (int *)m;

	for (size_t i = 0; i < xw_map_pin_count; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

int xw_ifaces__list(const char *root, xw_iface_cb cb, void *ctx)
{
	struct dirent *de;
	DIR *dir = opendir(root);
	int err = 0;

	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while (!err && (de = readdir(dir))) {
		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		err = cb(de->d_name, ctx);
	}
	closedir(dir);
	return err;
}

int xw_ncpus(void)
{
	static int n;

	if (!n)
		n = libbpf_num_possible_cpus();
	return n;
}

int xw_percpu_counter_sum(int fd, uint32_t key, struct xw_counter *sum)
{
	int n = xw_ncpus();
	struct xw_counter vals[n > 0 ? n : 1];

	if (n <= 0)
		return n ? n : -EINVAL;
	if (bpf_map_lookup_elem(fd, &key, vals))
		return -errno;
	sum->packets = sum->bytes = 0;
	for (int i = 0; i < n; i++) {
		sum->packets += vals[i].packets;
		sum->bytes += vals[i].bytes;
	}
	return 0;
}

int xw_percpu_u64_sum(int fd, uint32_t key, uint64_t *sum)
{
	int n = xw_ncpus();
	uint64_t vals[n > 0 ? n : 1];

	if (n <= 0)
		return n ? n : -EINVAL;
	if (bpf_map_lookup_elem(fd, &key, vals))
		return -errno;
	*sum = 0;
	for (int i = 0; i < n; i++)
		*sum += vals[i];
	return 0;
}

int xw_config__write(int fd, uint32_t sample_rate, uint32_t wakeup_bytes)
{
	struct xw_config cfg = {
		.sample_rate = sample_rate,
		/* prandom < threshold happens 1 in sample_rate times; the
		 * division is done here so the packet path has none. */
		.sample_threshold = sample_rate > 1 ?
			(uint32_t)((1ULL << 32) / sample_rate) : UINT32_MAX,
		.wakeup_bytes = wakeup_bytes,
	};
	uint32_t zero = 0;

	return bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY) ? -errno : 0;
}

int xw_config__read(int fd, struct xw_config *cfg)
{
	uint32_t zero = 0;

	return bpf_map_lookup_elem(fd, &zero, cfg) ? -errno : 0;
}
