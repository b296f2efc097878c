// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* bench_peer.c - see bench_peer.h. */
#define _GNU_SOURCE /* setns, unshare */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "bench_peer.h"
#include "log.h"

static void argv_join(char *const argv[], char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; argv[i] && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s", i ? " " : "",
				 argv[i]);

		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/*
 * Start argv; the child first enters mnt_fd/net_fd when >= 0 (fork, then
 * setns), else it is spawned without copying our page tables (the rule
 * loop starts 20,000 of these). Its stdout goes to /dev/null unless
 * verbose; stderr is left alone so a failing command says why.
 */
static pid_t spawn(const struct bench_peer *p, char *const argv[], int mnt_fd,
		   int net_fd)
{
	char cmd[256];
	pid_t pid;

	if (p->verbose) {
		argv_join(argv, cmd, sizeof(cmd));
		pr_debug("run: %s", cmd);
	}
	fflush(NULL);
	if (mnt_fd < 0 && net_fd < 0) {
		posix_spawn_file_actions_t fa;
		int err;

		posix_spawn_file_actions_init(&fa);
		if (!p->verbose)
			posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO,
							 "/dev/null", O_WRONLY,
							 0);
		err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
		return err ? -err : pid;
	}
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (mnt_fd >= 0 && setns(mnt_fd, CLONE_NEWNS))
			_exit(126);
		if (net_fd >= 0 && setns(net_fd, CLONE_NEWNET))
			_exit(126);
		if (!p->verbose) {
			int null = open("/dev/null", O_WRONLY);

			if (null >= 0)
				dup2(null, STDOUT_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static int reap(pid_t pid, char *const argv[])
{
	char cmd[256];
	int st;

	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	argv_join(argv, cmd, sizeof(cmd));
	if (WIFEXITED(st))
		pr_err("'%s' failed: exit status %d%s", cmd, WEXITSTATUS(st),
		       WEXITSTATUS(st) == 127 ? " (not installed?)" : "");
	else
		pr_err("'%s' failed: signal %d", cmd,
		       WIFSIGNALED(st) ? WTERMSIG(st) : -1);
	return -EIO;
}

static int run_in(const struct bench_peer *p, char *const argv[], int mnt_fd,
		  int net_fd)
{
	pid_t pid = spawn(p, argv, mnt_fd, net_fd);

	if (pid < 0) {
		pr_err("cannot run %s: %s", argv[0], strerror((int)-pid));
		return (int)pid;
	}
	return reap(pid, argv);
}

static int run(const struct bench_peer *p, char *const argv[])
{
	return run_in(p, argv, -1, -1);
}

void bench_peer__init(struct bench_peer *p)
{
	memset(p, 0, sizeof(*p));
	p->host_mnt_fd = -1;
	p->host_net_fd = -1;
	p->prog_fd = -1;
}

static const char *xdp_mode_name(__u8 mode)
{
	switch (mode) {
	case XDP_ATTACHED_DRV:
		return "native";
	case XDP_ATTACHED_SKB:
		return "generic";
	case XDP_ATTACHED_HW:
		return "offload";
	case XDP_ATTACHED_MULTI:
		return "multi";
	default:
		return "none";
	}
}

#define XDP_FILTER_LOCK "/run/xdp-filter.lck"

/* xdp-filter refuses to run while its host-wide lock file exists; say why
 * up front. The file is not ours: never removed here. */
static int lock_check(void)
{
	FILE *f = fopen(XDP_FILTER_LOCK, "r");
	int pid = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM))
		pr_err("xdp-filter is running as pid %d (%s); try again when "
		       "it is done",
		       pid, XDP_FILTER_LOCK);
	else
		pr_err("stale %s (pid %d is gone): xdp-filter will refuse to "
		       "run until it is removed",
		       XDP_FILTER_LOCK, pid);
	return -EBUSY;
}

/* Enter the namespace: its network, and a mount view with our own bpffs. */
static int enter_netns(struct bench_peer *p, const char *path)
{
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		err = -errno;
		pr_err("cannot enter %s: %s", path, strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	close(fd);
	p->in_netns = true;

	if (unshare(CLONE_NEWNS)) {
		err = -errno;
		pr_err("cannot unshare the mount namespace: %s", strerror(-err));
		return err;
	}
	p->mnt_private = true;
	/* Nothing mounted from here on may propagate to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		err = -errno;
		pr_err("cannot make mounts private: %s", strerror(-err));
		return err;
	}
	/* /sys as this netns sees it, as `ip netns exec` does; then a fresh
	 * bpffs instance, so libxdp's pins live and die with this process. */
	if (umount2("/sys", MNT_DETACH) ||
	    mount(p->netns, "/sys", "sysfs", 0, NULL) ||
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		err = -errno;
		pr_err("cannot mount sysfs/bpffs in the namespace: %s",
		       strerror(-err));
		return err;
	}
	return 0;
}

static int find_prog(struct bench_peer *p)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int ifindex, err;

	ifindex = (int)if_nametoindex(BENCH_PEER_IF);
	if (!ifindex) {
		err = -errno;
		pr_err("%s: %s", BENCH_PEER_IF, strerror(-err));
		return err;
	}
	err = bpf_xdp_query(ifindex, 0, &q);
	if (err) {
		pr_err("bpf_xdp_query(%s): %s", BENCH_PEER_IF, strerror(-err));
		return err;
	}
	p->mode_name = xdp_mode_name(q.attach_mode);
	p->prog_id = q.prog_id ? q.prog_id :
		     q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	if (!p->prog_id) {
		pr_err("no XDP program on %s after xdp-filter load",
		       BENCH_PEER_IF);
		return -ENOENT;
	}
	p->prog_fd = bpf_prog_get_fd_by_id(p->prog_id);
	if (p->prog_fd < 0) {
		err = -errno;
		pr_err("bpf_prog_get_fd_by_id(%u): %s", p->prog_id,
		       strerror(-err));
		return err;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(p->prog_fd, &info, &len)) {
		err = -errno;
		pr_err("prog %u info: %s", p->prog_id, strerror(-err));
		return err;
	}
	if (info.type != BPF_PROG_TYPE_XDP) {
		pr_err("prog %u on %s is not XDP (type %u)", p->prog_id,
		       BENCH_PEER_IF, info.type);
		return -EINVAL;
	}
	snprintf(p->prog_name, sizeof(p->prog_name), "%s", info.name);
	p->dispatcher = !strncmp(info.name, "xdp_dispatcher", 14);
	return 0;
}

int bench_peer__setup(struct bench_peer *p, const char *netns, bool verbose)
{
	char *add[] = { "ip", "netns", "add", p->netns, NULL };
	char *veth[] = { "ip", "link", "add", BENCH_PEER_IF, "type", "veth",
			 "peer", "name", BENCH_PEER_IF_PEER, NULL };
	char *up0[] = { "ip", "link", "set", "dev", BENCH_PEER_IF, "up", NULL };
	char *up1[] = { "ip", "link", "set", "dev", BENCH_PEER_IF_PEER, "up",
			NULL };
	char *load[] = { "xdp-filter", "load", "-f", "ipv4,ipv6,tcp,udp",
			 BENCH_PEER_IF, NULL };
	char path[PATH_MAX];
	int err;

	p->verbose = verbose;
	err = lock_check();
	if (err)
		return err;
	if (snprintf(p->netns, sizeof(p->netns), "%s", netns) >=
	    (int)sizeof(p->netns))
		return -ENAMETOOLONG;
	snprintf(path, sizeof(path), "/run/netns/%s", p->netns);
	if (!access(path, F_OK)) {
		pr_err("network namespace %s exists already; not touching it",
		       p->netns);
		return -EEXIST;
	}
	p->host_mnt_fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	p->host_net_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (p->host_mnt_fd < 0 || p->host_net_fd < 0) {
		err = -errno;
		pr_err("cannot open our own namespaces: %s", strerror(-err));
		return err;
	}

	err = run(p, add);
	if (err)
		return err;
	p->netns_made = true;
	err = enter_netns(p, path);
	if (err)
		return err;

	err = run(p, veth);
	if (err)
		return err;
	p->link_made = true;
	err = run(p, up0);
	if (!err)
		err = run(p, up1);
	if (!err)
		err = run(p, load);
	if (!err)
		err = find_prog(p);
	return err;
}

int bench_peer__add_src(struct bench_peer *p, char *const *addrs, size_t n)
{
	char *argv[] = { "xdp-filter", "ip", "-m", "src", NULL, NULL };
	int err = 0;

	/* One address per call, one call at a time: xdp-filter takes a
	 * host-wide lock (/run/xdp-filter.lck) and a second one fails. */
	for (size_t i = 0; i < n && !err; i++) {
		argv[4] = addrs[i];
		err = run(p, argv);
		if (!err && bench_stop)
			err = -EINTR;
	}
	return err;
}

void bench_peer__cleanup(struct bench_peer *p)
{
	char *del_link[] = { "ip", "link", "del", "dev", BENCH_PEER_IF, NULL };
	char *del_ns[] = { "ip", "netns", "del", p->netns, NULL };

	if (p->prog_fd >= 0) {
		close(p->prog_fd);
		p->prog_fd = -1;
	}
	if (p->link_made) {
		/* Takes the XDP program off; the netns going would too. */
		run(p, del_link);
		p->link_made = false;
	}
	if (p->mnt_private) {
		/* Unpins everything libxdp pinned in our bpffs. */
		if (umount2("/sys/fs/bpf", MNT_DETACH) && errno != EINVAL)
			pr_warn("umount private bpffs: %s", strerror(errno));
		if (setns(p->host_mnt_fd, CLONE_NEWNS))
			pr_warn("cannot return to the host mount namespace: %s",
				strerror(errno));
		p->mnt_private = false;
	}
	if (p->in_netns) {
		if (setns(p->host_net_fd, CLONE_NEWNET))
			pr_warn("cannot return to the host netns: %s",
				strerror(errno));
		p->in_netns = false;
	}
	if (p->netns_made) {
		/* In the host's namespaces, where /run/netns/<name> lives. */
		if (run_in(p, del_ns, p->host_mnt_fd, p->host_net_fd))
			pr_warn("left network namespace %s behind; remove it "
				"with: ip netns del %s",
				p->netns, p->netns);
		p->netns_made = false;
	}
	if (p->host_mnt_fd >= 0)
		close(p->host_mnt_fd);
	if (p->host_net_fd >= 0)
		close(p->host_net_fd);
	p->host_mnt_fd = p->host_net_fd = -1;
}
