// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_verdict.c - signed verdicts (common/verdict.c) and their key files
 * (common/sign.c): key files on disk, seal/open round trips, one crafted
 * message per refusal reason, a mutation fuzz of xw_envelope_open, and
 * xw_verdict_targets. Keys live in mkdtemp folders; no privileges, no
 * network.
 *
 * Crafted messages are built with protobuf-c directly and signed with the
 * test key over the signing input as verdicts.proto describes it, rebuilt
 * here rather than borrowed from verdict.c, so each one fails on the one
 * thing it gets wrong and nothing else.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "names.h"
#include "testhelp.h"
#include "verdict.h"
#include "xdpwatch/v1/verdicts.pb-c.h"

#define TOPIC XW_VERDICT_TOPIC_DEFAULT
#define KEY_ID "test"
#define NS 1000000000ULL

static const struct xw_verdict_limits limits = { .max_ttl_s = 86400,
						 .max_future_s = 60 };

struct fixture {
	char root[32]; /* everything below is removed at the end, pass or fail */
	char dir[64]; /* test.key, test.pub: the trusted pair */
	char other[64]; /* another test.key: same key id, another key */
	struct xw_signing_key key, impostor;
	struct xw_keyring ring; /* test.pub only */
	uint64_t now;
};

/* A refusal must be the expected one and, unless none, say why. */
#define assert_refusal(got, want, why)                                        \
	do {                                                                  \
		enum xw_refusal g_ = (got), w_ = (want);                      \
		if (g_ != w_)                                                 \
			fail_msg("refusal %s (\"%s\"), expected %s",          \
				 xw_refusal_name(g_), (why),                  \
				 xw_refusal_name(w_));                        \
		if (w_ != XW_REFUSE_NONE && !*(why))                          \
			fail_msg("refusal %s without a sentence",             \
				 xw_refusal_name(w_));                        \
	} while (0)

/* ---- files ------------------------------------------------------------ */

/* A fresh folder under the fixture's root. */
static void make_dir(const struct fixture *fx, char *buf, size_t len)
{
	snprintf(buf, len, "%s/t-XXXXXX", fx->root);
	if (!mkdtemp(buf))
		fail_msg("mkdtemp %s: %s", buf, strerror(errno));
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *w)
{
	return remove(path);
}

/* Remove a flat folder of files, which is all these tests make. */
static void remove_dir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static unsigned int count_files(const char *dir)
{
	struct dirent *de;
	unsigned int n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static void write_file(const char *dir, const char *name, const char *text,
		       mode_t mode)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(path, mode), 0); /* whatever the umask */
}

static void read_file(const char *dir, const char *name, char *buf,
		      size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("%s: %s", path, strerror(errno));
	n = read(fd, buf, len - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
}

static int load_key(const char *dir, const char *name,
		    struct xw_signing_key *k, char *err, size_t errlen)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	err[0] = '\0';
	return xw_signing_key_load(path, k, err, errlen);
}

static int group_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[256];

	if (!fx)
		return -1;
	snprintf(fx->root, sizeof(fx->root), "/tmp/xw-verdict-XXXXXX");
	if (!mkdtemp(fx->root)) {
		perror("mkdtemp");
		return -1;
	}
	make_dir(fx, fx->dir, sizeof(fx->dir));
	make_dir(fx, fx->other, sizeof(fx->other));
	if (xw_keygen(fx->dir, KEY_ID, err, sizeof(err)) ||
	    xw_keygen(fx->other, KEY_ID, err, sizeof(err)) ||
	    load_key(fx->dir, KEY_ID ".key", &fx->key, err, sizeof(err)) ||
	    load_key(fx->other, KEY_ID ".key", &fx->impostor, err, sizeof(err)) ||
	    xw_keyring_load(fx->dir, &fx->ring, err, sizeof(err))) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	fx->now = xw_unix_ns();
	*state = fx;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *fx = *state;

	nftw(fx->root, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

/* ---- 1. key files ------------------------------------------------------ */

static void test_keygen_files(void **state)
{
	const struct fixture *fx = *state;
	char dir[64], path[PATH_MAX], err[256], text[256];
	struct xw_signing_key k;
	struct xw_keyring ring;
	uint8_t sig[XW_SIG_BYTES];
	struct stat st;

	make_dir(fx, dir, sizeof(dir));
	assert_int_equal(xw_keygen(dir, "soc-1", err, sizeof(err)), 0);
	assert_int_equal(count_files(dir), 2);

	snprintf(path, sizeof(path), "%s/soc-1.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/soc-1.pub", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 022, 0); /* nobody else may write it */

	/* Hex, one line: 64 bytes secret, 32 public. */
	read_file(dir, "soc-1.key", text, sizeof(text));
	assert_int_equal(strlen(text), 2 * XW_SK_BYTES + 1);
	assert_int_equal(strspn(text, "0123456789abcdef"), 2 * XW_SK_BYTES);
	read_file(dir, "soc-1.pub", text, sizeof(text));
	assert_int_equal(strlen(text), 2 * XW_PK_BYTES + 1);
	assert_int_equal(strspn(text, "0123456789abcdef"), 2 * XW_PK_BYTES);

	/* The two halves belong together. */
	assert_int_equal(load_key(dir, "soc-1.key", &k, err, sizeof(err)), 0);
	assert_string_equal(k.key_id, "soc-1");
	assert_int_equal(xw_keyring_load(dir, &ring, err, sizeof(err)), 0);
	assert_int_equal(ring.count, 1);
	assert_string_equal(ring.keys[0].key_id, "soc-1");
	xw_sign(&k, (const uint8_t *)"hello", 5, sig);
	assert_true(xw_verify(ring.keys[0].pk, (const uint8_t *)"hello", 5, sig));
	assert_false(xw_verify(ring.keys[0].pk, (const uint8_t *)"hellO", 5, sig));
	sig[0] ^= 1;
	assert_false(xw_verify(ring.keys[0].pk, (const uint8_t *)"hello", 5, sig));
	remove_dir(dir);
}

static void test_keygen_refuses(void **state)
{
	static const char *const bad_ids[] = {
		"", ".hidden", "..", "../escape", "a/b", "sp ace", "tab\t",
		"semi;colon", "ümlaut",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 64 */
	};
	const struct fixture *fx = *state;
	char dir[64], path[PATH_MAX], err[256], before[256], after[256];

	make_dir(fx, dir, sizeof(dir));
	assert_int_equal(xw_keygen(dir, "k", err, sizeof(err)), 0);
	read_file(dir, "k.key", before, sizeof(before));

	/* Never overwrite a key: it may be the only copy. */
	err[0] = '\0';
	assert_int_equal(xw_keygen(dir, "k", err, sizeof(err)), -EEXIST);
	assert_contains(err, "k.key");
	read_file(dir, "k.key", after, sizeof(after));
	assert_string_equal(before, after);
	/* Nor a public key: and leave no secret half behind that matches
	 * no .pub, which would block the next try with -EEXIST. */
	write_file(dir, "k2.pub", "old public key\n", 0644);
	assert_int_equal(xw_keygen(dir, "k2", err, sizeof(err)), -EEXIST);
	assert_contains(err, "k2.pub");
	snprintf(path, sizeof(path), "%s/k2.key", dir);
	if (access(path, F_OK) == 0)
		fail_msg("keygen failed but left %s", path);
	read_file(dir, "k2.pub", after, sizeof(after));
	assert_string_equal(after, "old public key\n");
	assert_int_equal(count_files(dir), 3);

	for (size_t i = 0; i < XW_ARRAY_SIZE(bad_ids); i++) {
		err[0] = '\0';
		if (xw_keygen(dir, bad_ids[i], err, sizeof(err)) != -EINVAL)
			fail_msg("key id '%s' accepted", bad_ids[i]);
		assert_contains(err, "key id");
	}
	assert_int_equal(count_files(dir), 3); /* nothing written for them */

	/* 63 characters is the longest id. */
	assert_int_equal(xw_keygen(dir,
				   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
				   err, sizeof(err)), 0);
	assert_int_equal(count_files(dir), 5);

	assert_int_equal(xw_keygen("/nonexistent/xw-verdict", "k", err, sizeof(err)),
			 -ENOENT);
	remove_dir(dir);
}

static void test_signing_key_load_refuses(void **state)
{
	static const char hex64[] =
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	static const struct {
		const char *name, *text;
	} bad[] = {
		{ "empty.key", "" },
		{ "short.key", hex64 }, /* 32 bytes, not 64 */
		{ "odd.key", "0011223344556677889" },
		{ "notkey.key", "gggggggggggggggggggggggggggggggggggggggggggggggggggggggg"
				"gggggggggggggggggggggggggggggggggggggggggggggggggggggggg"
				"gggggggggggggggg" },
	};
	const struct fixture *fx = *state;
	char dir[64], err[256], text[512];
	struct xw_signing_key k;

	make_dir(fx, dir, sizeof(dir));
	assert_int_equal(xw_keygen(dir, "k", err, sizeof(err)), 0);
	assert_int_equal(load_key(dir, "k.key", &k, err, sizeof(err)), 0);

	/* Group or others may read, write or even search it: refused. */
	for (mode_t m = 0601; m <= 0677; m++) {
		char path[PATH_MAX];

		if (!(m & 077) || (m & 0700) != 0600)
			continue;
		snprintf(path, sizeof(path), "%s/k.key", dir);
		assert_int_equal(chmod(path, m), 0);
		if (load_key(dir, "k.key", &k, err, sizeof(err)) != -EPERM)
			fail_msg("mode %o accepted", m);
		assert_contains(err, "chmod 600");
		assert_int_equal(chmod(path, 0600), 0);
	}
	assert_int_equal(load_key(dir, "k.key", &k, err, sizeof(err)), 0);

	/* Wrong length or not hex. */
	for (size_t i = 0; i < XW_ARRAY_SIZE(bad); i++) {
		write_file(dir, bad[i].name, bad[i].text, 0600);
		if (load_key(dir, bad[i].name, &k, err, sizeof(err)) != -EINVAL)
			fail_msg("%s accepted", bad[i].name);
		assert_contains(err, "not a key");
	}
	/* 65 bytes: the right hex with one byte too many. */
	read_file(dir, "k.key", text, sizeof(text));
	memcpy(text + 2 * XW_SK_BYTES, "ff\n", 4);
	write_file(dir, "long.key", text, 0600);
	assert_int_equal(load_key(dir, "long.key", &k, err, sizeof(err)), -EINVAL);
	/* The right hex followed by junk. */
	memcpy(text + 2 * XW_SK_BYTES, "\nzz\n", 5);
	write_file(dir, "junk.key", text, 0600);
	assert_int_equal(load_key(dir, "junk.key", &k, err, sizeof(err)), -EINVAL);

	/* Names: <key id>.key only. */
	read_file(dir, "k.key", text, sizeof(text));
	write_file(dir, "k.pem", text, 0600);
	assert_int_equal(load_key(dir, "k.pem", &k, err, sizeof(err)), -EINVAL);
	write_file(dir, ".hidden.key", text, 0600);
	assert_int_equal(load_key(dir, ".hidden.key", &k, err, sizeof(err)), -EINVAL);
	assert_int_equal(load_key(dir, "missing.key", &k, err, sizeof(err)), -ENOENT);
	remove_dir(dir);
}

static void test_keyring_load(void **state)
{
	static const char *const ids[] = { "alpha", "beta", "soc.gamma-2" };
	const struct fixture *fx = *state;
	char dir[64], err[256], name[80];
	struct xw_signing_key k;
	struct xw_keyring ring;

	make_dir(fx, dir, sizeof(dir));
	err[0] = '\0';
	assert_int_equal(xw_keyring_load(dir, &ring, err, sizeof(err)), -ENOENT);
	assert_contains(err, dir);

	for (size_t i = 0; i < XW_ARRAY_SIZE(ids); i++)
		assert_int_equal(xw_keygen(dir, ids[i], err, sizeof(err)), 0);
	/* Not public keys: ignored (the .key files too). */
	write_file(dir, "README", "trusted keys\n", 0644);
	write_file(dir, "alpha.pub.bak", "junk\n", 0644);
	write_file(dir, "pub", "junk\n", 0644);
	write_file(dir, ".pub", "junk\n", 0644);

	assert_int_equal(xw_keyring_load(dir, &ring, err, sizeof(err)), 0);
	assert_int_equal(ring.count, XW_ARRAY_SIZE(ids));
	for (size_t i = 0; i < XW_ARRAY_SIZE(ids); i++) {
		const uint8_t *pk = xw_keyring_find(&ring, ids[i]);

		if (!pk)
			fail_msg("key %s not in the ring", ids[i]);
		/* A libsodium secret key ends with its public key. */
		snprintf(name, sizeof(name), "%s.key", ids[i]);
		assert_int_equal(load_key(dir, name, &k, err, sizeof(err)), 0);
		assert_memory_equal(pk, k.sk + XW_SK_BYTES - XW_PK_BYTES, XW_PK_BYTES);
	}
	assert_null(xw_keyring_find(&ring, "gamma"));
	assert_null(xw_keyring_find(&ring, ""));

	/* A .pub that is not a key spoils the ring rather than being skipped. */
	write_file(dir, "delta.pub", "00ff\n", 0644);
	assert_int_equal(xw_keyring_load(dir, &ring, err, sizeof(err)), -EINVAL);
	assert_contains(err, "delta.pub");
	remove_dir(dir);

	/* Only files that are not keys: as empty. */
	make_dir(fx, dir, sizeof(dir));
	write_file(dir, "README", "trusted keys\n", 0644);
	assert_int_equal(xw_keyring_load(dir, &ring, err, sizeof(err)), -ENOENT);
	remove_dir(dir);
	assert_int_equal(xw_keyring_load(dir, &ring, err, sizeof(err)), -ENOENT);
}

/* ---- messages ---------------------------------------------------------- */

static struct xw_prefix pfx(const char *text)
{
	struct xw_prefix p;
	char err[128];

	if (xw_prefix_parse(text, &p, err, sizeof(err)))
		fail_msg("%s", err);
	return p;
}

/* A verdict every check accepts: drop 192.0.2.0/24 everywhere for 5 min. */
static struct xw_verdict_msg verdict_msg(uint64_t now)
{
	struct xw_verdict_msg m;

	memset(&m, 0, sizeof(m));
	m.kind = XW_VERDICT_KIND_VERDICT;
	strcpy(m.rule_id, "r1");
	m.version = 7;
	strcpy(m.issuer, "detector-1");
	strcpy(m.reason, "SYN flood from 192.0.2.0/24");
	m.created_unix_ns = now;
	m.v.src = pfx("192.0.2.0/24");
	m.v.action = XW_VERDICT_DROP;
	m.v.ttl_s = 300;
	m.v.all_hosts = true;
	return m;
}

static struct xw_verdict_msg withdraw_msg(uint64_t now)
{
	struct xw_verdict_msg m;

	memset(&m, 0, sizeof(m));
	m.kind = XW_VERDICT_KIND_WITHDRAW;
	strcpy(m.rule_id, "r1");
	m.version = 8;
	strcpy(m.issuer, "soc:alice");
	strcpy(m.reason, "false positive: load test");
	m.created_unix_ns = now;
	return m;
}

static uint8_t *seal(const struct fixture *fx, const struct xw_verdict_msg *m,
		     const char *topic, size_t *len)
{
	uint8_t *buf = NULL;
	int ret = xw_envelope_seal(m, topic, &fx->key, &buf, len);

	if (ret)
		fail_msg("xw_envelope_seal: %s", strerror(-ret));
	assert_non_null(buf);
	return buf;
}

static enum xw_refusal open_as(const struct fixture *fx, const uint8_t *buf,
			       size_t len, const char *kafka_key,
			       const char *topic, struct xw_verdict_msg *m,
			       char *why, size_t whylen)
{
	why[0] = '\0';
	return xw_envelope_open(buf, len, kafka_key, strlen(kafka_key), topic,
				&fx->ring, m, why, whylen);
}

static void assert_prefix_equal(const struct xw_prefix *want,
				const struct xw_prefix *got)
{
	assert_int_equal(got->family, want->family);
	assert_int_equal(got->len, want->len);
	assert_memory_equal(got->addr, want->addr, sizeof(got->addr));
}

/* Every field the wire carries; key_id is the opener's to fill. */
static void assert_msg_equal(const struct xw_verdict_msg *want,
			     const struct xw_verdict_msg *got)
{
	const struct xw_verdict *a = &want->v, *b = &got->v;

	assert_int_equal(got->kind, want->kind);
	assert_string_equal(got->rule_id, want->rule_id);
	assert_int_equal(got->version, want->version);
	assert_string_equal(got->issuer, want->issuer);
	assert_string_equal(got->reason, want->reason);
	assert_int_equal(got->created_unix_ns, want->created_unix_ns);
	if (want->kind != XW_VERDICT_KIND_VERDICT)
		return;
	assert_prefix_equal(&a->src, &b->src);
	assert_prefix_equal(&a->dst, &b->dst);
	assert_int_equal(b->l4_proto, a->l4_proto);
	assert_int_equal(b->sport, a->sport);
	assert_int_equal(b->dport, a->dport);
	assert_int_equal(b->tcp_flags_mask, a->tcp_flags_mask);
	assert_int_equal(b->tcp_flags_value, a->tcp_flags_value);
	assert_int_equal(b->action, a->action);
	assert_int_equal(b->rate_pps, a->rate_pps);
	assert_int_equal(b->ttl_s, a->ttl_s);
	assert_int_equal(b->all_hosts, a->all_hosts);
	assert_int_equal(b->nhosts, a->nhosts);
	assert_int_equal(b->ngroups, a->ngroups);
	for (unsigned int i = 0; i < a->nhosts; i++)
		assert_string_equal(b->hosts[i], a->hosts[i]);
	for (unsigned int i = 0; i < a->ngroups; i++)
		assert_string_equal(b->groups[i], a->groups[i]);
}

/* ---- 2. round trips ---------------------------------------------------- */

static void round_trip(const struct fixture *fx, const struct xw_verdict_msg *m)
{
	struct xw_verdict_msg got;
	char why[256];
	size_t len;
	uint8_t *buf = seal(fx, m, TOPIC, &len);

	assert_refusal(open_as(fx, buf, len, m->rule_id, TOPIC, &got, why,
			       sizeof(why)),
		       XW_REFUSE_NONE, why);
	assert_msg_equal(m, &got);
	assert_string_equal(got.key_id, KEY_ID);
	why[0] = '\0';
	assert_refusal(xw_verdict_check(&got, &limits, fx->now, why, sizeof(why)),
		       XW_REFUSE_NONE, why);
	free(buf);
}

static void test_round_trip_verdicts(void **state)
{
	const struct fixture *fx = *state;
	struct xw_verdict_msg m;

	/* v4, no destination, drop, every host. */
	m = verdict_msg(fx->now);
	round_trip(fx, &m);

	/* v4 with destination and L4 qualifiers, monitor, by host id. */
	m = verdict_msg(fx->now);
	strcpy(m.rule_id, "det:198.51.100.7-443");
	m.version = 1700000000123456789ULL;
	m.v.src = pfx("198.51.100.7");
	m.v.dst = pfx("203.0.113.0/24");
	m.v.l4_proto = 6;
	m.v.sport = 1234;
	m.v.dport = 443;
	m.v.action = XW_VERDICT_MONITOR;
	m.v.ttl_s = 86400;
	m.v.all_hosts = false;
	m.v.nhosts = 2;
	strcpy(m.v.hosts[0], "edge-1");
	strcpy(m.v.hosts[1], "edge-2.example.net");
	round_trip(fx, &m);

	/* v6, no destination, UDP, rate limit, by group. */
	m = verdict_msg(fx->now);
	strcpy(m.rule_id, "soc-0a1b2c3d4e5f");
	m.v.src = pfx("2001:db8:bad::/48");
	m.v.l4_proto = 17;
	m.v.dport = 53;
	m.v.action = XW_VERDICT_RATE_LIMIT;
	m.v.rate_pps = 1000;
	m.v.all_hosts = false;
	m.v.ngroups = 2;
	strcpy(m.v.groups[0], "dns");
	strcpy(m.v.groups[1], "edge");
	round_trip(fx, &m);

	/* v6 with destination, protocol without ports, hosts and groups,
	 * longest texts, the most targets, UTF-8 in the reason. */
	m = verdict_msg(fx->now);
	memset(m.rule_id, 'r', XW_RULE_ID_MAX - 1);
	m.v.src = pfx("2001:db8:1::1");
	m.v.dst = pfx("2001:db8:2::/64");
	m.v.l4_proto = 58;
	m.v.all_hosts = false;
	m.v.nhosts = XW_TARGETS_MAX;
	m.v.ngroups = XW_TARGETS_MAX;
	for (unsigned int i = 0; i < XW_TARGETS_MAX; i++) {
		snprintf(m.v.hosts[i], XW_TARGET_MAX, "host-%u", i);
		snprintf(m.v.groups[i], XW_TARGET_MAX, "group-%u", i);
	}
	memset(m.v.hosts[0], 'h', XW_TARGET_MAX - 1);
	memset(m.issuer, 'i', XW_ISSUER_MAX - 1);
	snprintf(m.reason, sizeof(m.reason), "%s", "Überlast: ");
	memset(m.reason + strlen(m.reason), 'x',
	       XW_REASON_MAX - 1 - strlen(m.reason));
	round_trip(fx, &m);

	/* Rate limit of a v4 /0 with a protocol; empty issuer and reason. */
	m = verdict_msg(fx->now);
	m.v.src = pfx("0.0.0.0/0");
	m.v.l4_proto = 17;
	m.v.sport = 123;
	m.v.action = XW_VERDICT_RATE_LIMIT;
	m.v.rate_pps = UINT64_MAX;
	m.issuer[0] = m.reason[0] = '\0';
	round_trip(fx, &m);

	/* A spoofed SYN flood's answer: the victim's SYNs (SYN set, ACK
	 * clear) from any source, rate limited; v4 and v6. */
	m = verdict_msg(fx->now);
	strcpy(m.rule_id, "det:syn-203.0.113.9");
	m.v.src = pfx("0.0.0.0/0");
	m.v.dst = pfx("203.0.113.9");
	m.v.l4_proto = 6;
	m.v.dport = 80;
	m.v.tcp_flags_mask = XW_TCP_SYN | XW_TCP_ACK;
	m.v.tcp_flags_value = XW_TCP_SYN;
	m.v.action = XW_VERDICT_RATE_LIMIT;
	m.v.rate_pps = 500;
	round_trip(fx, &m);

	m.v.src = pfx("::/0");
	m.v.dst = pfx("2001:db8:9::9");
	m.v.dport = 0;
	m.v.action = XW_VERDICT_DROP;
	m.v.rate_pps = 0;
	round_trip(fx, &m);

	/* Every bit in mask and value: the widest the wire carries. */
	m.v.tcp_flags_mask = m.v.tcp_flags_value = 0xff;
	round_trip(fx, &m);
}

/* A Verdict from a producer that predates the TCP flags (no fields 17, 18
 * on the wire) opens with mask 0: any flags, as it meant. */
static void test_tcp_flags_absent_means_any(void **state)
{
	const struct fixture *fx = *state;
	struct xw_verdict_msg m = verdict_msg(fx->now), got;
	char why[256];
	size_t len;
	uint8_t *buf;

	m.v.l4_proto = 6;
	buf = seal(fx, &m, TOPIC, &len);
	assert_refusal(open_as(fx, buf, len, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_NONE, why);
	assert_int_equal(got.v.tcp_flags_mask, 0);
	assert_int_equal(got.v.tcp_flags_value, 0);
	free(buf);
}

static void test_round_trip_withdraw(void **state)
{
	const struct fixture *fx = *state;
	struct xw_verdict_msg m = withdraw_msg(fx->now), got;
	char why[256];
	size_t len;
	uint8_t *buf;

	round_trip(fx, &m);

	/* Even a withdrawal's content that a verdict would refuse is fine. */
	m.created_unix_ns = fx->now - 365 * 86400 * NS;
	buf = seal(fx, &m, TOPIC, &len);
	assert_refusal(open_as(fx, buf, len, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_NONE, why);
	assert_int_equal(got.kind, XW_VERDICT_KIND_WITHDRAW);
	assert_refusal(xw_verdict_check(&got, &limits, fx->now, why, sizeof(why)),
		       XW_REFUSE_NONE, why);
	free(buf);
}

/* ---- crafting ---------------------------------------------------------- */

static uint8_t *put_field(uint8_t *p, const void *data, size_t n)
{
	uint32_t be = htonl((uint32_t)n);

	memcpy(p, &be, 4);
	memcpy(p + 4, data, n);
	return p + 4 + n;
}

/*
 * The signed bytes per verdicts.proto: "xdpwatch-verdict-v1" 0x00, kind,
 * topic and rule id each as a 4-byte big-endian length and the bytes,
 * version as 8 bytes big-endian, then the body as length and bytes (the
 * order verdict.c uses; the proto comment names version last).
 */
static uint8_t *sign_input(uint8_t kind, const char *topic, const char *rule_id,
			   uint64_t version, const uint8_t *body, size_t blen,
			   size_t *len)
{
	static const char domain[] = "xdpwatch-verdict-v1";
	uint8_t *buf = malloc(sizeof(domain) + 1 + 4 + strlen(topic) + 4 +
			      strlen(rule_id) + 8 + 4 + blen);
	uint8_t *p = buf;

	assert_non_null(buf);
	memcpy(p, domain, sizeof(domain));
	p += sizeof(domain);
	*p++ = kind;
	p = put_field(p, topic, strlen(topic));
	p = put_field(p, rule_id, strlen(rule_id));
	for (int i = 7; i >= 0; i--)
		*p++ = (uint8_t)(version >> (8 * i));
	p = put_field(p, body, blen);
	*len = (size_t)(p - buf);
	return buf;
}

/* An envelope around any body, signed for TOPIC with key. */
static uint8_t *craft_envelope(const struct xw_signing_key *key, uint8_t kind,
			       const char *rule_id, uint64_t version,
			       const uint8_t *body, size_t blen, size_t *len)
{
	Xdpwatch__V1__SignedEnvelope env;
	uint8_t sig[XW_SIG_BYTES], *input, *out;
	size_t ilen;

	input = sign_input(kind, TOPIC, rule_id, version, body, blen, &ilen);
	xw_sign(key, input, ilen, sig);
	free(input);

	xdpwatch__v1__signed_envelope__init(&env);
	env.schema_version = 1;
	env.topic = (char *)TOPIC;
	env.rule_id = (char *)rule_id;
	env.version = version;
	env.key_id = (char *)key->key_id;
	if (kind == XW_VERDICT_KIND_WITHDRAW) {
		env.body_case = XDPWATCH__V1__SIGNED_ENVELOPE__BODY_WITHDRAW;
		env.withdraw.data = (uint8_t *)body;
		env.withdraw.len = blen;
	} else {
		env.body_case = XDPWATCH__V1__SIGNED_ENVELOPE__BODY_VERDICT;
		env.verdict.data = (uint8_t *)body;
		env.verdict.len = blen;
	}
	env.signature.data = sig;
	env.signature.len = sizeof(sig);
	*len = xdpwatch__v1__signed_envelope__get_packed_size(&env);
	out = malloc(*len);
	assert_non_null(out);
	xdpwatch__v1__signed_envelope__pack(&env, out);
	return out;
}

/* A Verdict with its storage; points into itself, so never copy one. */
struct pb_verdict {
	Xdpwatch__V1__Verdict v;
	Xdpwatch__V1__Prefix src, dst;
	uint8_t src_addr[17], dst_addr[17];
	char *hosts[XW_TARGETS_MAX + 1], *groups[XW_TARGETS_MAX + 1];
	char text[2][XW_REASON_MAX + 2];
};

/* The protobuf twin of verdict_msg(): valid as it stands. */
static void pb_verdict_init(struct pb_verdict *p, uint64_t now)
{
	static const uint8_t src[4] = { 192, 0, 2, 0 };

	memset(p, 0, sizeof(*p));
	xdpwatch__v1__verdict__init(&p->v);
	xdpwatch__v1__prefix__init(&p->src);
	xdpwatch__v1__prefix__init(&p->dst);
	memcpy(p->src_addr, src, sizeof(src));
	p->src.addr.data = p->src_addr;
	p->src.addr.len = 4;
	p->src.len = 24;
	p->dst.addr.data = p->dst_addr;
	p->v.rule_id = "r1";
	p->v.version = 7;
	p->v.src = &p->src;
	p->v.ttl_s = 300;
	p->v.issuer = "detector-1";
	p->v.reason = "crafted";
	p->v.created_unix_ns = now;
	p->v.all_hosts = true;
	p->v.hosts = p->hosts;
	p->v.groups = p->groups;
}

static uint8_t *pack_verdict(const Xdpwatch__V1__Verdict *v, size_t *len)
{
	uint8_t *buf;

	*len = xdpwatch__v1__verdict__get_packed_size(v);
	buf = malloc(*len ? *len : 1);
	assert_non_null(buf);
	xdpwatch__v1__verdict__pack(v, buf);
	return buf;
}

/* Signed correctly by the trusted key, as rule r1 version 7. */
static uint8_t *craft_verdict(const struct fixture *fx,
			      const Xdpwatch__V1__Verdict *v, size_t *len)
{
	size_t blen;
	uint8_t *body = pack_verdict(v, &blen);
	uint8_t *out = craft_envelope(&fx->key, XW_VERDICT_KIND_VERDICT, "r1", 7,
				      body, blen, len);

	free(body);
	return out;
}

/* Unpack, edit a shallow copy, pack: the unpacked original frees cleanly
 * whatever pointers the edit swapped in. */
typedef void (*env_edit)(Xdpwatch__V1__SignedEnvelope *env);

static uint8_t *reenvelope(const uint8_t *buf, size_t len, env_edit edit,
			   size_t *outlen)
{
	Xdpwatch__V1__SignedEnvelope *env, copy;
	uint8_t *out;

	env = xdpwatch__v1__signed_envelope__unpack(NULL, len, buf);
	assert_non_null(env);
	copy = *env;
	edit(&copy);
	*outlen = xdpwatch__v1__signed_envelope__get_packed_size(&copy);
	out = malloc(*outlen ? *outlen : 1);
	assert_non_null(out);
	xdpwatch__v1__signed_envelope__pack(&copy, out);
	xdpwatch__v1__signed_envelope__free_unpacked(env, NULL);
	return out;
}

/* Edits made after signing; one line each. */
#define ENV_EDIT(name, stmt)                                                  \
	static void edit_##name(Xdpwatch__V1__SignedEnvelope *e) { stmt; }

static ProtobufCBinaryData *env_body(Xdpwatch__V1__SignedEnvelope *env)
{
	return env->body_case == XDPWATCH__V1__SIGNED_ENVELOPE__BODY_WITHDRAW ?
		       &env->withdraw :
		       &env->verdict;
}

ENV_EDIT(schema_0, e->schema_version = 0)
ENV_EDIT(schema_2, e->schema_version = 2)
ENV_EDIT(key_nobody, e->key_id = "nobody")
ENV_EDIT(sig_bit, e->signature.data[37] ^= 0x10)
ENV_EDIT(sig_short, e->signature.len--)
ENV_EDIT(sig_none, e->signature.len = 0)
static void edit_no_body(Xdpwatch__V1__SignedEnvelope *e)
{
	e->body_case = XDPWATCH__V1__SIGNED_ENVELOPE__BODY__NOT_SET;
}
static void edit_body_bit(Xdpwatch__V1__SignedEnvelope *e)
{
	ProtobufCBinaryData *b = env_body(e);

	b->data[b->len / 2] ^= 0x01;
}
static void edit_body_last_bit(Xdpwatch__V1__SignedEnvelope *e)
{
	ProtobufCBinaryData *b = env_body(e);

	b->data[b->len - 1] ^= 0x80;
}
/* A verdict's bytes presented as a withdrawal: the kind is signed. */
static void edit_swap_kind(Xdpwatch__V1__SignedEnvelope *e)
{
	e->withdraw = e->verdict;
	e->body_case = XDPWATCH__V1__SIGNED_ENVELOPE__BODY_WITHDRAW;
}
ENV_EDIT(rule_r2, e->rule_id = "r2")
ENV_EDIT(version_up, e->version++)
ENV_EDIT(rule_bad, e->rule_id = "r1/../x")
ENV_EDIT(rule_empty, e->rule_id = "")
ENV_EDIT(topic_other, e->topic = "somewhere.else")
ENV_EDIT(topic_ours, e->topic = TOPIC)
ENV_EDIT(key_ctrl, e->key_id = "te\nst")

/* ---- 3. refusals: envelope ---------------------------------------------- */

static void test_refuse_malformed_bytes(void **state)
{
	static const uint8_t garbage[][8] = {
		{ 0xff, 0xff, 0xff, 0xff }, /* field 0x1fffffff..., truncated varint */
		{ 0x12, 0x7f, 'x' }, /* topic claiming 127 bytes, having 1 */
		{ 0x0a, 0x01 }, /* field 1 as bytes: wrong wire type */
		{ 0x08 }, /* a tag with no value */
	};
	const struct fixture *fx = *state;
	struct xw_verdict_msg got;
	char why[256];

	for (size_t i = 0; i < XW_ARRAY_SIZE(garbage); i++) {
		size_t len = strnlen((const char *)garbage[i], sizeof(garbage[i]));

		assert_refusal(open_as(fx, garbage[i], len, "r1", TOPIC, &got, why,
				       sizeof(why)),
			       XW_REFUSE_MALFORMED, why);
		assert_contains(why, "not a SignedEnvelope");
	}
}

static void test_refuse_schema(void **state)
{
	const struct fixture *fx = *state;
	struct xw_verdict_msg m = verdict_msg(fx->now), got;
	char why[256];
	size_t len, len2;
	uint8_t *buf = seal(fx, &m, TOPIC, &len), *bad;

	bad = reenvelope(buf, len, edit_schema_2, &len2);
	assert_refusal(open_as(fx, bad, len2, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_SCHEMA, why);
	assert_contains(why, "schema 2");
	free(bad);
	bad = reenvelope(buf, len, edit_schema_0, &len2);
	assert_refusal(open_as(fx, bad, len2, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_SCHEMA, why);
	free(bad);
	/* No bytes at all is an envelope of defaults: schema 0. So is a
	 * Kafka tombstone (no value), which must never pass for a withdrawal. */
	assert_refusal(open_as(fx, buf, 0, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_SCHEMA, why);
	assert_refusal(open_as(fx, NULL, 0, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_SCHEMA, why);
	free(buf);
}

static void test_refuse_unknown_key(void **state)
{
	const struct fixture *fx = *state;
	struct xw_verdict_msg m = verdict_msg(fx->now), got;
	char why[256];
	size_t len, len2;
	uint8_t *buf = seal(fx, &m, TOPIC, &len), *bad;

	bad = reenvelope(buf, len, edit_key_nobody, &len2);
	assert_refusal(open_as(fx, bad, len2, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_UNKNOWN_KEY, why);
	assert_contains(why, "nobody");
	free(bad);
	/* A key id no one could have had is malformed, not just unknown. */
	bad = reenvelope(buf, len, edit_key_ctrl, &len2);
	assert_refusal(open_as(fx, bad, len2, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_MALFORMED, why);
	free(bad);
	free(buf);
}

static void test_refuse_bad_signature(void **state)
{
	static const env_edit edits[] = {
		edit_sig_bit, edit_body_bit, edit_body_last_bit, edit_swap_kind,
		edit_version_up,
	};
	const struct fixture *fx = *state;
	struct xw_verdict_msg m = verdict_msg(fx->now), w = withdraw_msg(fx->now),
			      got;
	uint8_t *buf, *wbuf, *bad;
	size_t len, wlen, len2;
	char why[256];

	buf = seal(fx, &m, TOPIC, &len);
	wbuf = seal(fx, &w, TOPIC, &wlen);
	for (size_t i = 0; i < XW_ARRAY_SIZE(edits); i++) {
		bad = reenvelope(buf, len, edits[i], &len2);
		assert_refusal(open_as(fx, bad, len2, "r1", TOPIC, &got, why,
				       sizeof(why)),
			       XW_REFUSE_BAD_SIGNATURE, why);
		assert_contains(why, KEY_ID);
		free(bad);
	}
	bad = reenvelope(wbuf, wlen, edit_body_bit, &len2);
	assert_refusal(open_as(fx, bad, len2, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_BAD_SIGNATURE, why);
	free(bad);

	/* Signed by another key that calls itself "test". */
	free(buf);
	assert_string_equal(fx->impostor.key_id, KEY_ID);
	assert_int_equal(xw_envelope_seal(&m, TOPIC, &fx->impostor, &buf, &len), 0);
	assert_refusal(open_as(fx, buf, len, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_BAD_SIGNATURE, why);
	free(buf);
	free(wbuf);
}

static void test_refuse_kafka_key(void **state)
{
	static const struct {
		const char *key;
		size_t len;
	} keys[] = {
		{ "r2", 2 }, { "r", 1 }, { "r1x", 3 }, { "R1", 2 }, { "", 0 },
		{ "r1\0", 3 },
	};
	const struct fixture *fx = *state;
	struct xw_verdict_msg m = verdict_msg(fx->now), got;
	char why[256];
	size_t len;
	uint8_t *buf = seal(fx, &m, TOPIC, &len);

	for (size_t i = 0; i < XW_ARRAY_SIZE(keys); i++) {
		why[0] = '\0';
		assert_refusal(xw_envelope_open(buf, len, keys[i].key, keys[i].len,
						TOPIC, &fx->ring, &got, why,
						sizeof(why)),
			       XW_REFUSE_MISMATCH, why);
		assert_contains(why, "Kafka key");
	}
	assert_refusal(open_as(fx, buf, len, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_NONE, why);
	free(buf);
}

static void test_refuse_body_mismatch(void **state)
{
	const struct fixture *fx = *state;
	struct xw_verdict_msg w = withdraw_msg(fx->now), got;
	struct pb_verdict p;
	char why[256];
	size_t len, blen;
	uint8_t *buf, *body;

	/* The control: crafted and signed here, it opens. */
	pb_verdict_init(&p, fx->now);
	buf = craft_verdict(fx, &p.v, &len);
	assert_refusal(open_as(fx, buf, len, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_NONE, why);
	free(buf);

	p.v.rule_id = "r2";
	buf = craft_verdict(fx, &p.v, &len);
	assert_refusal(open_as(fx, buf, len, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_MISMATCH, why);
	assert_contains(why, "r2");
	free(buf);

	p.v.rule_id = "r1";
	p.v.version = 6;
	buf = craft_verdict(fx, &p.v, &len);
	assert_refusal(open_as(fx, buf, len, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_MISMATCH, why);
	free(buf);

	/* Withdrawals of r1 version 8 in envelopes of r1 version 8: the
	 * control, then another rule, then another version. */
	for (int i = 0; i < 3; i++) {
		Xdpwatch__V1__Withdraw pw = XDPWATCH__V1__WITHDRAW__INIT;

		pw.rule_id = i == 1 ? "r2" : "r1";
		pw.version = i == 2 ? w.version + 1 : w.version;
		blen = xdpwatch__v1__withdraw__get_packed_size(&pw);
		body = malloc(blen);
		assert_non_null(body);
		xdpwatch__v1__withdraw__pack(&pw, body);
		buf = craft_envelope(&fx->key, XW_VERDICT_KIND_WITHDRAW, "r1",
				     w.version, body, blen, &len);
		assert_refusal(open_as(fx, buf, len, "r1", TOPIC, &got, why,
				       sizeof(why)),
			       i ? XW_REFUSE_MISMATCH : XW_REFUSE_NONE, why);
		free(buf);
		free(body);
	}

	/* Envelope edited after signing: the signature catches it first. */
	buf = seal(fx, &w, TOPIC, &len);
	body = reenvelope(buf, len, edit_rule_r2, &blen);
	assert_refusal(open_as(fx, body, blen, "r2", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_BAD_SIGNATURE, why);
	free(body); /* an envelope here, not a body */
	free(buf);
}

static void test_refuse_wrong_topic(void **state)
{
	const struct fixture *fx = *state;
	struct xw_verdict_msg m = verdict_msg(fx->now), got;
	char why[256];
	size_t len, len2;
	uint8_t *buf = seal(fx, &m, "xdpwatch.verdicts.staging", &len), *bad;

	assert_refusal(open_as(fx, buf, len, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_WRONG_TOPIC, why);
	assert_contains(why, "xdpwatch.verdicts.staging");
	/* The envelope's topic is a label: claiming ours does not help. */
	bad = reenvelope(buf, len, edit_topic_ours, &len2);
	assert_refusal(open_as(fx, bad, len2, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_BAD_SIGNATURE, why);
	free(bad);
	/* Read from the topic it was signed for, it opens. */
	assert_refusal(open_as(fx, buf, len, "r1", "xdpwatch.verdicts.staging",
			       &got, why, sizeof(why)),
		       XW_REFUSE_NONE, why);
	free(buf);
}

static void test_refuse_malformed_envelope(void **state)
{
	static const struct {
		env_edit edit;
		const char *kafka_key; /* matches, so only the edit is wrong */
	} edits[] = {
		{ edit_sig_short, "r1" }, { edit_sig_none, "r1" },
		{ edit_no_body, "r1" }, { edit_rule_bad, "r1/../x" },
		{ edit_rule_empty, "" },
	};
	static const uint8_t not_a_body[] = { 0x0a, 0x7f, 'x' };
	const struct fixture *fx = *state;
	struct xw_verdict_msg m = verdict_msg(fx->now), got;
	char long_id[XW_RULE_ID_MAX + 1], why[256];
	struct pb_verdict p;
	size_t len, len2, blen;
	uint8_t *buf = seal(fx, &m, TOPIC, &len), *bad, *body;

	for (size_t i = 0; i < XW_ARRAY_SIZE(edits); i++) {
		bad = reenvelope(buf, len, edits[i].edit, &len2);
		assert_refusal(open_as(fx, bad, len2, edits[i].kafka_key, TOPIC,
				       &got, why, sizeof(why)),
			       XW_REFUSE_MALFORMED, why);
		free(bad);
	}
	free(buf);

	/* A 64-character rule id, signed as such: too long. */
	memset(long_id, 'r', XW_RULE_ID_MAX);
	long_id[XW_RULE_ID_MAX] = '\0';
	pb_verdict_init(&p, fx->now);
	p.v.rule_id = long_id;
	body = pack_verdict(&p.v, &blen);
	buf = craft_envelope(&fx->key, XW_VERDICT_KIND_VERDICT, long_id, 7, body,
			     blen, &len);
	assert_refusal(open_as(fx, buf, len, long_id, TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_MALFORMED, why);
	free(buf);
	free(body);

	/* A signed body that is not a Verdict, nor a Withdraw. */
	buf = craft_envelope(&fx->key, XW_VERDICT_KIND_VERDICT, "r1", 7,
			     not_a_body, sizeof(not_a_body), &len);
	assert_refusal(open_as(fx, buf, len, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_MALFORMED, why);
	assert_contains(why, "not a Verdict");
	free(buf);
	buf = craft_envelope(&fx->key, XW_VERDICT_KIND_WITHDRAW, "r1", 7,
			     not_a_body, sizeof(not_a_body), &len);
	assert_refusal(open_as(fx, buf, len, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_MALFORMED, why);
	assert_contains(why, "not a Withdraw");
	free(buf);
}

static void test_seal_refuses_bad_rule_id(void **state)
{
	const struct fixture *fx = *state;
	struct xw_verdict_msg m = verdict_msg(fx->now);
	uint8_t *buf = NULL;
	size_t len;

	strcpy(m.rule_id, "has space");
	assert_int_equal(xw_envelope_seal(&m, TOPIC, &fx->key, &buf, &len), -EINVAL);
	m.rule_id[0] = '\0';
	assert_int_equal(xw_envelope_seal(&m, TOPIC, &fx->key, &buf, &len), -EINVAL);
	assert_null(buf);
}

/* ---- 3. refusals: the signed body ---------------------------------------- */

static void pb_none(struct pb_verdict *p) {}
static void pb_addr5(struct pb_verdict *p) { p->src.addr.len = 5; }
static void pb_addr0(struct pb_verdict *p) { p->src.addr.len = 0; }
static void pb_src_missing(struct pb_verdict *p) { p->v.src = NULL; }
static void pb_src_len33(struct pb_verdict *p) { p->src.len = 33; }
static void pb_src_host_bits(struct pb_verdict *p) { p->src.len = 16; }
static void pb_src_v6_host_bits(struct pb_verdict *p)
{
	static const uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

	memcpy(p->src_addr, a, 16);
	p->src.addr.len = 16;
	p->src.len = 64;
}
static void pb_src_v6_len129(struct pb_verdict *p)
{
	pb_src_v6_host_bits(p);
	p->src.len = 129;
}
static void pb_src_v6_ok(struct pb_verdict *p)
{
	pb_src_v6_host_bits(p);
	p->src.len = 128;
}
static void pb_dst_v6(struct pb_verdict *p)
{
	static const uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	memcpy(p->dst_addr, a, 16);
	p->dst.addr.len = 16;
	p->dst.len = 32;
	p->v.dst = &p->dst;
}
static void pb_dst_addr3(struct pb_verdict *p)
{
	p->dst.addr.len = 3;
	p->dst.len = 8;
	p->v.dst = &p->dst;
}
static void pb_dst_len_only(struct pb_verdict *p)
{
	p->dst.len = 8;
	p->v.dst = &p->dst;
}
static void pb_dst_host_bits(struct pb_verdict *p)
{
	p->dst_addr[3] = 1;
	p->dst.addr.len = 4;
	p->dst.len = 24;
	p->v.dst = &p->dst;
}
static void pb_dst_empty(struct pb_verdict *p) { p->v.dst = &p->dst; }
static void pb_sport_65536(struct pb_verdict *p)
{
	p->v.l4_proto = 6;
	p->v.sport = 65536;
}
static void pb_dport_huge(struct pb_verdict *p)
{
	p->v.l4_proto = 17;
	p->v.dport = UINT32_MAX;
}
static void pb_dport_65535(struct pb_verdict *p)
{
	p->v.l4_proto = 17;
	p->v.dport = 65535;
}
static void pb_proto_256(struct pb_verdict *p) { p->v.l4_proto = 256; }
static void pb_syn(struct pb_verdict *p)
{
	p->v.l4_proto = 6;
	p->v.tcp_flags_mask = 0x12;
	p->v.tcp_flags_value = 0x02;
}
static void pb_flags_mask_256(struct pb_verdict *p)
{
	pb_syn(p);
	p->v.tcp_flags_mask = 0x112;
}
static void pb_flags_value_huge(struct pb_verdict *p)
{
	pb_syn(p);
	p->v.tcp_flags_value = 0xffffff02;
}
static void pb_action_3(struct pb_verdict *p)
{
	p->v.action = (Xdpwatch__V1__VerdictAction)3;
}
static void pb_action_neg(struct pb_verdict *p)
{
	p->v.action = (Xdpwatch__V1__VerdictAction)-1;
}
static void pb_hosts(struct pb_verdict *p, size_t n)
{
	p->v.all_hosts = false;
	p->v.n_hosts = n;
	for (size_t i = 0; i < n; i++)
		p->hosts[i] = "edge";
}
static void pb_hosts_32(struct pb_verdict *p) { pb_hosts(p, 32); }
static void pb_hosts_33(struct pb_verdict *p) { pb_hosts(p, 33); }
static void pb_groups_33(struct pb_verdict *p)
{
	p->v.n_groups = 33;
	for (size_t i = 0; i < 33; i++)
		p->groups[i] = "dmz";
}
static void pb_host_ctrl(struct pb_verdict *p)
{
	pb_hosts(p, 2);
	p->hosts[1] = "edge\a";
}
static void pb_host_long(struct pb_verdict *p)
{
	pb_hosts(p, 1);
	memset(p->text[0], 'h', XW_TARGET_MAX);
	p->hosts[0] = p->text[0];
}
static void pb_group_ctrl(struct pb_verdict *p)
{
	p->v.n_groups = 1;
	p->groups[0] = "dmz\r\n";
}
static void pb_issuer_esc(struct pb_verdict *p) { p->v.issuer = "soc:\x1b[2Jalice"; }
static void pb_issuer_long(struct pb_verdict *p)
{
	memset(p->text[0], 'i', XW_ISSUER_MAX);
	p->v.issuer = p->text[0];
}
static void pb_reason_del(struct pb_verdict *p) { p->v.reason = "oops\x7f"; }
static void pb_reason_nl(struct pb_verdict *p) { p->v.reason = "line\nfeed"; }
static void pb_reason_255(struct pb_verdict *p)
{
	memset(p->text[0], 'x', XW_REASON_MAX - 1);
	p->v.reason = p->text[0];
}
static void pb_reason_256(struct pb_verdict *p)
{
	memset(p->text[0], 'x', XW_REASON_MAX);
	p->v.reason = p->text[0];
}
static void pb_rule_other(struct pb_verdict *p) { p->v.rule_id = "r2"; }
static void pb_rule_long(struct pb_verdict *p)
{
	memset(p->text[1], 'r', XW_RULE_ID_MAX);
	p->v.rule_id = p->text[1];
}
static void pb_version_other(struct pb_verdict *p) { p->v.version = 8; }

static const struct pb_case {
	const char *what;
	void (*edit)(struct pb_verdict *p);
	enum xw_refusal want;
} pb_cases[] = {
	{ "valid as crafted", pb_none, XW_REFUSE_NONE },
	{ "a 5-byte address", pb_addr5, XW_REFUSE_BAD_MATCH },
	{ "an empty address with a length", pb_addr0, XW_REFUSE_BAD_MATCH },
	{ "no source", pb_src_missing, XW_REFUSE_BAD_MATCH },
	{ "v4 /33", pb_src_len33, XW_REFUSE_BAD_MATCH },
	{ "v4 host bits set", pb_src_host_bits, XW_REFUSE_BAD_MATCH },
	{ "v6 host bits set", pb_src_v6_host_bits, XW_REFUSE_BAD_MATCH },
	{ "v6 /129", pb_src_v6_len129, XW_REFUSE_BAD_MATCH },
	{ "v6 /128", pb_src_v6_ok, XW_REFUSE_NONE },
	{ "v6 destination for a v4 source", pb_dst_v6, XW_REFUSE_BAD_MATCH },
	{ "a 3-byte destination", pb_dst_addr3, XW_REFUSE_BAD_MATCH },
	{ "a destination length without address", pb_dst_len_only,
	  XW_REFUSE_BAD_MATCH },
	{ "destination host bits set", pb_dst_host_bits, XW_REFUSE_BAD_MATCH },
	{ "an empty destination: any", pb_dst_empty, XW_REFUSE_NONE },
	{ "source port 65536", pb_sport_65536, XW_REFUSE_BAD_MATCH },
	{ "destination port 2^32-1", pb_dport_huge, XW_REFUSE_BAD_MATCH },
	{ "destination port 65535", pb_dport_65535, XW_REFUSE_NONE },
	{ "protocol 256", pb_proto_256, XW_REFUSE_BAD_MATCH },
	{ "tcp flags syn", pb_syn, XW_REFUSE_NONE },
	{ "tcp flags mask 0x112", pb_flags_mask_256, XW_REFUSE_BAD_MATCH },
	{ "tcp flags value 0xffffff02", pb_flags_value_huge,
	  XW_REFUSE_BAD_MATCH },
	{ "action 3", pb_action_3, XW_REFUSE_MALFORMED },
	{ "action -1", pb_action_neg, XW_REFUSE_MALFORMED },
	{ "32 hosts", pb_hosts_32, XW_REFUSE_NONE },
	{ "33 hosts", pb_hosts_33, XW_REFUSE_MALFORMED },
	{ "33 groups", pb_groups_33, XW_REFUSE_MALFORMED },
	{ "a host with BEL", pb_host_ctrl, XW_REFUSE_MALFORMED },
	{ "a 64-character host", pb_host_long, XW_REFUSE_MALFORMED },
	{ "a group with CR LF", pb_group_ctrl, XW_REFUSE_MALFORMED },
	{ "an issuer with ESC", pb_issuer_esc, XW_REFUSE_MALFORMED },
	{ "a 64-character issuer", pb_issuer_long, XW_REFUSE_MALFORMED },
	{ "a reason with DEL", pb_reason_del, XW_REFUSE_MALFORMED },
	{ "a reason with LF", pb_reason_nl, XW_REFUSE_MALFORMED },
	{ "a 255-character reason", pb_reason_255, XW_REFUSE_NONE },
	{ "a 256-character reason", pb_reason_256, XW_REFUSE_MALFORMED },
	{ "body rule id r2", pb_rule_other, XW_REFUSE_MISMATCH },
	{ "body rule id of 64 characters", pb_rule_long, XW_REFUSE_MALFORMED },
	{ "body version 8", pb_version_other, XW_REFUSE_MISMATCH },
};

static void test_refuse_signed_body(void **state)
{
	const struct fixture *fx = *state;
	struct xw_verdict_msg got;
	struct pb_verdict p;
	char why[256];
	size_t len;
	uint8_t *buf;

	for (size_t i = 0; i < XW_ARRAY_SIZE(pb_cases); i++) {
		const struct pb_case *c = &pb_cases[i];
		enum xw_refusal r;

		pb_verdict_init(&p, fx->now);
		c->edit(&p);
		buf = craft_verdict(fx, &p.v, &len);
		r = open_as(fx, buf, len, "r1", TOPIC, &got, why, sizeof(why));
		free(buf);
		if (r != c->want)
			fail_msg("%s: %s (\"%s\"), expected %s", c->what,
				 xw_refusal_name(r), why, xw_refusal_name(c->want));
		if (r != XW_REFUSE_NONE && !why[0])
			fail_msg("%s: refused without a sentence", c->what);
	}
}

/* What seal itself lets through must still be refused on the way in. */
static void test_refuse_sealed_content(void **state)
{
	const struct fixture *fx = *state;
	struct xw_verdict_msg m, got;
	char why[256];
	size_t len;
	uint8_t *buf;

	m = verdict_msg(fx->now);
	strcpy(m.issuer, "soc:\x01" "alice");
	buf = seal(fx, &m, TOPIC, &len);
	assert_refusal(open_as(fx, buf, len, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_MALFORMED, why);
	assert_contains(why, "not printable");
	free(buf);

	m = verdict_msg(fx->now);
	strcpy(m.reason, "tab\tseparated");
	buf = seal(fx, &m, TOPIC, &len);
	assert_refusal(open_as(fx, buf, len, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_MALFORMED, why);
	free(buf);

	m = withdraw_msg(fx->now);
	strcpy(m.reason, "bell\a");
	buf = seal(fx, &m, TOPIC, &len);
	assert_refusal(open_as(fx, buf, len, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_MALFORMED, why);
	free(buf);

	/* Text reaches logs and JSON: invalid UTF-8 (a lone continuation
	 * byte, an overlong '/', a C1 control) is refused, real UTF-8 is not. */
	static const char *const bad_utf8[] = { "soc:\x80", "soc:\xc0\xaf",
						"soc:\xc2\x85", "soc:\xe2\x82" };
	for (size_t k = 0; k < sizeof(bad_utf8) / sizeof(bad_utf8[0]); k++) {
		m = verdict_msg(fx->now);
		strcpy(m.issuer, bad_utf8[k]);
		buf = seal(fx, &m, TOPIC, &len);
		assert_refusal(open_as(fx, buf, len, "r1", TOPIC, &got, why,
				       sizeof(why)),
			       XW_REFUSE_MALFORMED, why);
		free(buf);
	}
	m = verdict_msg(fx->now);
	strcpy(m.reason, "Zo\xc3\xab saw a flood \xe2\x80\x94 \xf0\x9f\x94\xa5");
	buf = seal(fx, &m, TOPIC, &len);
	assert_int_equal(open_as(fx, buf, len, "r1", TOPIC, &got, why, sizeof(why)),
			 XW_REFUSE_NONE);
	assert_string_equal(got.reason, m.reason);
	free(buf);

	m = verdict_msg(fx->now);
	m.v.src.addr[3] = 7; /* 192.0.2.7/24 */
	buf = seal(fx, &m, TOPIC, &len);
	assert_refusal(open_as(fx, buf, len, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_BAD_MATCH, why);
	assert_contains(why, "host bits");
	free(buf);

	m = verdict_msg(fx->now);
	m.v.dst = pfx("2001:db8::/32");
	buf = seal(fx, &m, TOPIC, &len);
	assert_refusal(open_as(fx, buf, len, "r1", TOPIC, &got, why, sizeof(why)),
		       XW_REFUSE_BAD_MATCH, why);
	assert_contains(why, "different families");
	free(buf);
}

/* ---- 3. refusals: content (xw_verdict_check) ----------------------------- */

/* Edits of the valid verdict_msg(); one line each. */
#define MSG_EDIT(name, stmt)                                                  \
	static void ck_##name(struct xw_verdict_msg *m, uint64_t now) { stmt; }

MSG_EDIT(none, (void)m)
MSG_EDIT(expired, m->created_unix_ns = now - 3600 * NS)
MSG_EDIT(expires_now, m->created_unix_ns = now - 300 * NS)
MSG_EDIT(ancient, m->created_unix_ns = 1)
MSG_EDIT(future, m->created_unix_ns = now + 3600 * NS)
MSG_EDIT(far_future, m->created_unix_ns = UINT64_MAX)
MSG_EDIT(skew, m->created_unix_ns = now + 30 * NS)
MSG_EDIT(ttl0, m->v.ttl_s = 0)
MSG_EDIT(ttl_over, m->v.ttl_s = 86401)
MSG_EDIT(ttl_huge, m->v.ttl_s = UINT32_MAX)
MSG_EDIT(ttl_max, m->v.ttl_s = 86400)
MSG_EDIT(all4, m->v.src = pfx("0.0.0.0/0"))
MSG_EDIT(all6, m->v.src = pfx("::/0"))
static void ck_all4_monitor(struct xw_verdict_msg *m, uint64_t now)
{
	ck_all4(m, now);
	m->v.action = XW_VERDICT_MONITOR;
}
static void ck_all4_tcp(struct xw_verdict_msg *m, uint64_t now)
{
	ck_all4(m, now);
	m->v.l4_proto = 6;
}
static void ck_all6_icmp(struct xw_verdict_msg *m, uint64_t now)
{
	ck_all6(m, now);
	m->v.l4_proto = 58;
}
MSG_EDIT(port_no_proto, m->v.dport = 80)
static void ck_port_icmp(struct xw_verdict_msg *m, uint64_t now)
{
	m->v.l4_proto = 1;
	m->v.sport = 80;
}
static void ck_port_udp(struct xw_verdict_msg *m, uint64_t now)
{
	m->v.l4_proto = 17;
	m->v.sport = 53;
}
static void ck_syn(struct xw_verdict_msg *m, uint64_t now)
{
	m->v.l4_proto = 6;
	m->v.tcp_flags_mask = XW_TCP_SYN | XW_TCP_ACK;
	m->v.tcp_flags_value = XW_TCP_SYN;
}
static void ck_flags_no_proto(struct xw_verdict_msg *m, uint64_t now)
{
	ck_syn(m, now);
	m->v.l4_proto = 0;
}
static void ck_flags_udp(struct xw_verdict_msg *m, uint64_t now)
{
	ck_syn(m, now);
	m->v.l4_proto = 17;
}
static void ck_flags_value_outside(struct xw_verdict_msg *m, uint64_t now)
{
	ck_syn(m, now);
	m->v.tcp_flags_value = XW_TCP_SYN | XW_TCP_RST; /* RST not in mask */
}
static void ck_flags_value_no_mask(struct xw_verdict_msg *m, uint64_t now)
{
	ck_syn(m, now);
	m->v.tcp_flags_mask = 0;
}
static void ck_flags_all_tcp(struct xw_verdict_msg *m, uint64_t now)
{
	/* 0.0.0.0/0 SYNs: a protocol is named, so not "everything". */
	ck_syn(m, now);
	m->v.src = pfx("0.0.0.0/0");
}
MSG_EDIT(rate0, m->v.action = XW_VERDICT_RATE_LIMIT)
static void ck_rate1(struct xw_verdict_msg *m, uint64_t now)
{
	m->v.action = XW_VERDICT_RATE_LIMIT;
	m->v.rate_pps = 1;
}
MSG_EDIT(no_targets, m->v.all_hosts = false)
static void ck_one_host(struct xw_verdict_msg *m, uint64_t now)
{
	m->v.all_hosts = false;
	m->v.nhosts = 1;
	strcpy(m->v.hosts[0], "edge-1");
}
static void ck_one_group(struct xw_verdict_msg *m, uint64_t now)
{
	m->v.all_hosts = false;
	m->v.ngroups = 1;
	strcpy(m->v.groups[0], "dmz");
}

static const struct check_case {
	const char *what;
	void (*edit)(struct xw_verdict_msg *m, uint64_t now);
	enum xw_refusal want;
	const char *why_has;
} check_cases[] = {
	{ "valid", ck_none, XW_REFUSE_NONE, NULL },
	{ "created an hour ago, TTL 5 min", ck_expired, XW_REFUSE_EXPIRED, "expired" },
	{ "expiring right now", ck_expires_now, XW_REFUSE_EXPIRED, "expired" },
	{ "created in 1970", ck_ancient, XW_REFUSE_EXPIRED, "expired" },
	{ "created in an hour", ck_future, XW_REFUSE_FUTURE, "future" },
	{ "created at the end of time", ck_far_future, XW_REFUSE_FUTURE, "future" },
	{ "created 30 s ahead: skew", ck_skew, XW_REFUSE_NONE, NULL },
	{ "TTL 0", ck_ttl0, XW_REFUSE_TTL, "TTL 0" },
	{ "TTL over the maximum", ck_ttl_over, XW_REFUSE_TTL, "TTL 86401" },
	{ "TTL 2^32-1", ck_ttl_huge, XW_REFUSE_TTL, "TTL" },
	{ "TTL at the maximum", ck_ttl_max, XW_REFUSE_NONE, NULL },
	{ "0.0.0.0/0 without protocol", ck_all4, XW_REFUSE_DROP_ALL, "0.0.0.0/0" },
	{ "::/0 without protocol", ck_all6, XW_REFUSE_DROP_ALL, "::/0" },
	{ "monitor 0.0.0.0/0 without protocol", ck_all4_monitor,
	  XW_REFUSE_DROP_ALL, "everything" },
	{ "0.0.0.0/0 tcp", ck_all4_tcp, XW_REFUSE_NONE, NULL },
	{ "::/0 icmpv6", ck_all6_icmp, XW_REFUSE_NONE, NULL },
	{ "a port without protocol", ck_port_no_proto, XW_REFUSE_BAD_MATCH, "tcp or udp" },
	{ "a port with icmp", ck_port_icmp, XW_REFUSE_BAD_MATCH, "tcp or udp" },
	{ "a port with udp", ck_port_udp, XW_REFUSE_NONE, NULL },
	{ "tcp flags syn", ck_syn, XW_REFUSE_NONE, NULL },
	{ "tcp flags without protocol", ck_flags_no_proto, XW_REFUSE_BAD_MATCH,
	  "TCP flags need protocol tcp" },
	{ "tcp flags with udp", ck_flags_udp, XW_REFUSE_BAD_MATCH,
	  "TCP flags need protocol tcp" },
	{ "tcp flag value outside its mask", ck_flags_value_outside,
	  XW_REFUSE_BAD_MATCH, "outside its mask" },
	{ "tcp flag value with mask 0", ck_flags_value_no_mask,
	  XW_REFUSE_BAD_MATCH, "outside its mask" },
	{ "SYNs from 0.0.0.0/0", ck_flags_all_tcp, XW_REFUSE_NONE, NULL },
	{ "rate limit of 0 pps", ck_rate0, XW_REFUSE_BAD_MATCH, "0 packets/s" },
	{ "rate limit of 1 pps", ck_rate1, XW_REFUSE_NONE, NULL },
	{ "no targets", ck_no_targets, XW_REFUSE_BAD_MATCH, "targets no host" },
	{ "one host", ck_one_host, XW_REFUSE_NONE, NULL },
	{ "one group", ck_one_group, XW_REFUSE_NONE, NULL },
};

/* Sealed, opened, then checked: what the collector does, in order. */
static void test_refuse_content(void **state)
{
	const struct fixture *fx = *state;
	struct xw_verdict_msg m, got;
	char why[256];
	size_t len;
	uint8_t *buf;

	for (size_t i = 0; i < XW_ARRAY_SIZE(check_cases); i++) {
		const struct check_case *c = &check_cases[i];
		enum xw_refusal r;

		m = verdict_msg(fx->now);
		c->edit(&m, fx->now);
		buf = seal(fx, &m, TOPIC, &len);
		r = open_as(fx, buf, len, "r1", TOPIC, &got, why, sizeof(why));
		free(buf);
		if (r != XW_REFUSE_NONE)
			fail_msg("%s: open: %s (\"%s\")", c->what,
				 xw_refusal_name(r), why);
		why[0] = '\0';
		r = xw_verdict_check(&got, &limits, fx->now, why, sizeof(why));
		if (r != c->want)
			fail_msg("%s: %s (\"%s\"), expected %s", c->what,
				 xw_refusal_name(r), why, xw_refusal_name(c->want));
		if (c->why_has && !strstr(why, c->why_has))
			fail_msg("%s: expected \"%s\" in \"%s\"", c->what,
				 c->why_has, why);
		if (r != XW_REFUSE_NONE && !why[0])
			fail_msg("%s: refused without a sentence", c->what);
	}
}

static void test_refuse_withdraw_content(void **state)
{
	const struct fixture *fx = *state;
	struct xw_verdict_msg m = withdraw_msg(fx->now);
	char why[256] = "";

	m.created_unix_ns = fx->now + 3600 * NS;
	assert_refusal(xw_verdict_check(&m, &limits, fx->now, why, sizeof(why)),
		       XW_REFUSE_FUTURE, why);
	m.created_unix_ns = fx->now + 30 * NS;
	assert_refusal(xw_verdict_check(&m, &limits, fx->now, why, sizeof(why)),
		       XW_REFUSE_NONE, why);
}

/* ---- what the signature does not cover ---------------------------------- */

static void test_unsigned_envelope_fields(void **state)
{
	const struct fixture *fx = *state;
	struct xw_verdict_msg m = verdict_msg(fx->now), want, got;
	char why[256];
	size_t len, len2;
	uint8_t *buf = seal(fx, &m, TOPIC, &len), *other;

	assert_refusal(open_as(fx, buf, len, "r1", TOPIC, &want, why, sizeof(why)),
		       XW_REFUSE_NONE, why);

	/* The envelope's topic is only a label: the reader's own topic is what
	 * the signature is checked against, so relabelling changes nothing. */
	other = reenvelope(buf, len, edit_topic_other, &len2);
	assert_refusal(open_as(fx, other, len2, "r1", TOPIC, &got, why,
			       sizeof(why)),
		       XW_REFUSE_NONE, why);
	assert_msg_equal(&want, &got);
	free(other);

	/* Fields this schema does not know are skipped, and unsigned. */
	other = malloc(len + 3);
	assert_non_null(other);
	memcpy(other, buf, len);
	memcpy(other + len, "\x48\x2a", 2); /* field 9, varint 42 */
	assert_refusal(open_as(fx, other, len + 2, "r1", TOPIC, &got, why,
			       sizeof(why)),
		       XW_REFUSE_NONE, why);
	assert_msg_equal(&want, &got);
	free(other);
	free(buf);
}

/* ---- 4. fuzz ------------------------------------------------------------- */

#define FUZZ_ROUNDS 20000
#define FUZZ_BODY_ROUNDS 4000
#define FUZZ_SLACK 64

static uint64_t rng_state;

/* xorshift64*: deterministic, so a failure replays. */
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static size_t rnd_below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

/* One to three of: bit flips, truncation, insertion, random bytes,
 * deletion, boundary values, a repeated span (repeats whole fields).
 * out holds len + FUZZ_SLACK. */
static size_t mutate(const uint8_t *in, size_t len, uint8_t *out)
{
	static const uint8_t edge[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };
	unsigned int rounds = 1 + (unsigned int)rnd_below(3);
	size_t n = len, pos, k, from;
	uint8_t span[16];

	memcpy(out, in, len);
	while (rounds--) {
		switch (rnd_below(7)) {
		case 0:
			for (k = 1 + rnd_below(3); k-- && n;)
				out[rnd_below(n)] ^= (uint8_t)(1u << rnd_below(8));
			break;
		case 1:
			n = rnd_below(n);
			break;
		case 2:
			k = 1 + rnd_below(8);
			if (n + k > len + FUZZ_SLACK)
				break;
			pos = rnd_below(n + 1);
			memmove(out + pos + k, out + pos, n - pos);
			for (size_t i = 0; i < k; i++)
				out[pos + i] = (uint8_t)rnd();
			n += k;
			break;
		case 3:
			for (k = 1 + rnd_below(4); k-- && n;)
				out[rnd_below(n)] = (uint8_t)rnd();
			break;
		case 4:
			k = 1 + rnd_below(8);
			if (k > n)
				k = n;
			pos = rnd_below(n - k + 1);
			memmove(out + pos, out + pos + k, n - pos - k);
			n -= k;
			break;
		case 5:
			if (n)
				out[rnd_below(n)] = edge[rnd_below(sizeof(edge))];
			break;
		default:
			k = 1 + rnd_below(sizeof(span));
			if (k > n || n + k > len + FUZZ_SLACK)
				break;
			from = rnd_below(n - k + 1);
			memcpy(span, out + from, k);
			pos = rnd_below(n + 1);
			memmove(out + pos + k, out + pos, n - pos);
			memcpy(out + pos, span, k);
			n += k;
			break;
		}
	}
	return n;
}

struct fuzz_base {
	uint8_t *buf;
	size_t len;
	struct xw_verdict_msg opened;
	Xdpwatch__V1__SignedEnvelope *env; /* the signed parts, to compare */
};

static void fuzz_base_init(const struct fixture *fx, struct fuzz_base *b,
			   const struct xw_verdict_msg *m)
{
	char why[256];

	b->buf = seal(fx, m, TOPIC, &b->len);
	assert_refusal(open_as(fx, b->buf, b->len, m->rule_id, TOPIC, &b->opened,
			       why, sizeof(why)),
		       XW_REFUSE_NONE, why);
	b->env = xdpwatch__v1__signed_envelope__unpack(NULL, b->len, b->buf);
	assert_non_null(b->env);
}

static void fuzz_base_fini(struct fuzz_base *b)
{
	xdpwatch__v1__signed_envelope__free_unpacked(b->env, NULL);
	free(b->buf);
}

/* Accepted after a mutation: every signed part must be as it was. */
static void assert_signed_parts_intact(const struct fuzz_base *b,
				       const uint8_t *buf, size_t len,
				       const struct xw_verdict_msg *got)
{
	Xdpwatch__V1__SignedEnvelope *env =
		xdpwatch__v1__signed_envelope__unpack(NULL, len, buf);
	const ProtobufCBinaryData *want_body, *got_body;

	if (!env)
		fail_msg("accepted bytes that do not unpack");
	want_body = env_body(b->env);
	got_body = env_body(env);
	if (env->body_case != b->env->body_case ||
	    strcmp(env->rule_id, b->env->rule_id) ||
	    env->version != b->env->version || got_body->len != want_body->len ||
	    memcmp(got_body->data, want_body->data, got_body->len))
		fail_msg("a mutation of signed bytes verified (rule %s version %llu)",
			 env->rule_id, (unsigned long long)env->version);
	xdpwatch__v1__signed_envelope__free_unpacked(env, NULL);
	assert_msg_equal(&b->opened, got);
	assert_string_equal(got->key_id, b->opened.key_id);
}

static void test_fuzz_envelope(void **state)
{
	const struct fixture *fx = *state;
	struct xw_verdict_msg m[3], got;
	struct fuzz_base base[3];
	unsigned int same = 0, accepted = 0, by_reason[XW_REFUSE_COUNT + 1] = { 0 };
	char why[256];

	m[0] = verdict_msg(fx->now);
	m[1] = verdict_msg(fx->now);
	m[1].v.src = pfx("2001:db8::/32");
	m[1].v.dst = pfx("2001:db8:ffff::1");
	m[1].v.l4_proto = 6;
	m[1].v.dport = 22;
	m[1].v.action = XW_VERDICT_RATE_LIMIT;
	m[1].v.rate_pps = 50;
	m[1].v.all_hosts = false;
	m[1].v.nhosts = m[1].v.ngroups = 2;
	strcpy(m[1].v.hosts[0], "edge-1");
	strcpy(m[1].v.hosts[1], "edge-2");
	strcpy(m[1].v.groups[0], "dmz");
	strcpy(m[1].v.groups[1], "core");
	m[2] = withdraw_msg(fx->now);
	for (size_t i = 0; i < 3; i++)
		fuzz_base_init(fx, &base[i], &m[i]);

	rng_state = 0x5eed0fa11u;
	for (unsigned int i = 0; i < FUZZ_ROUNDS; i++) {
		const struct fuzz_base *b = &base[i % 3];
		uint8_t scratch[512 + FUZZ_SLACK], *buf;
		enum xw_refusal r;
		size_t n;

		assert_true(b->len <= 512);
		n = mutate(b->buf, b->len, scratch);
		if (n == b->len && !memcmp(scratch, b->buf, n)) {
			same++;
			continue;
		}
		/* Exactly n bytes on the heap: valgrind sees any read past. */
		buf = malloc(n ? n : 1);
		assert_non_null(buf);
		memcpy(buf, scratch, n);
		why[0] = '\0';
		r = xw_envelope_open(buf, n, b->opened.rule_id,
				     strlen(b->opened.rule_id), TOPIC, &fx->ring,
				     &got, why, sizeof(why));
		if (r >= XW_REFUSE_COUNT)
			fail_msg("round %u: refusal %d out of range", i, r);
		by_reason[r < XW_REFUSE_COUNT ? r : XW_REFUSE_COUNT]++;
		if (r == XW_REFUSE_NONE) {
			assert_signed_parts_intact(b, buf, n, &got);
			accepted++;
		} else if (!why[0]) {
			fail_msg("round %u: %s without a sentence", i,
				 xw_refusal_name(r));
		}
		free(buf);
	}
	print_message("fuzz: %u mutations, %u left the bytes unchanged, %u "
		      "accepted with the signed parts intact; refused:",
		      FUZZ_ROUNDS, same, accepted);
	for (unsigned int r = 1; r < XW_REFUSE_COUNT; r++)
		if (by_reason[r])
			print_message(" %s %u", xw_refusal_name(r), by_reason[r]);
	print_message("\n");
	/* Most mutations land in the signed body or signature. */
	assert_true(by_reason[XW_REFUSE_BAD_SIGNATURE] > FUZZ_ROUNDS / 10);
	for (size_t i = 0; i < 3; i++)
		fuzz_base_fini(&base[i]);
}

/* What a trusted but broken (or hostile) signer could send: mutated bodies,
 * signed correctly. The decoder behind the signature must hold too. */
static bool printable(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n == max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static void assert_sane(const struct xw_verdict_msg *m)
{
	const struct xw_verdict *v = &m->v;
	unsigned int bits;

	assert_true(printable(m->issuer, sizeof(m->issuer)));
	assert_true(printable(m->reason, sizeof(m->reason)));
	assert_string_equal(m->rule_id, "r1");
	if (m->kind == XW_VERDICT_KIND_WITHDRAW)
		return;
	assert_true(v->src.family == AF_INET || v->src.family == AF_INET6);
	bits = v->src.family == AF_INET ? 32 : 128;
	assert_true(v->src.len <= bits);
	for (unsigned int bit = v->src.len; bit < bits; bit++)
		assert_false(v->src.addr[bit / 8] & (0x80 >> (bit % 8)));
	assert_true(!v->dst.family || v->dst.family == v->src.family);
	assert_true(v->action <= XW_VERDICT_RATE_LIMIT);
	assert_true(v->nhosts <= XW_TARGETS_MAX && v->ngroups <= XW_TARGETS_MAX);
	for (unsigned int i = 0; i < v->nhosts; i++)
		assert_true(printable(v->hosts[i], XW_TARGET_MAX));
	for (unsigned int i = 0; i < v->ngroups; i++)
		assert_true(printable(v->groups[i], XW_TARGET_MAX));
}

static void test_fuzz_signed_body(void **state)
{
	const struct fixture *fx = *state;
	struct xw_verdict_msg m[2], got;
	struct fuzz_base base[2];
	unsigned int accepted = 0;
	char why[256];

	m[0] = verdict_msg(fx->now);
	m[0].version = 7;
	m[0].v.dst = pfx("203.0.113.0/24");
	m[0].v.l4_proto = 17;
	m[0].v.sport = 53;
	m[0].v.nhosts = 1;
	strcpy(m[0].v.hosts[0], "edge-1");
	m[1] = withdraw_msg(fx->now);
	m[1].version = 7;
	for (size_t i = 0; i < 2; i++)
		fuzz_base_init(fx, &base[i], &m[i]);

	rng_state = 0xb0d1e5u;
	for (unsigned int i = 0; i < FUZZ_BODY_ROUNDS; i++) {
		const struct fuzz_base *b = &base[i % 2];
		const ProtobufCBinaryData *body = env_body(b->env);
		uint8_t scratch[512 + FUZZ_SLACK], *buf;
		enum xw_refusal r;
		size_t n, len;

		assert_true(body->len <= 512);
		n = mutate(body->data, body->len, scratch);
		buf = craft_envelope(&fx->key, (uint8_t)b->opened.kind, "r1", 7,
				     scratch, n, &len);
		why[0] = '\0';
		r = open_as(fx, buf, len, "r1", TOPIC, &got, why, sizeof(why));
		free(buf);
		if (r == XW_REFUSE_NONE) {
			assert_sane(&got);
			accepted++;
		} else if (r >= XW_REFUSE_COUNT || !why[0]) {
			fail_msg("round %u: refusal %d \"%s\"", i, r, why);
		}
	}
	print_message("fuzz: %u signed mutated bodies, %u accepted, all sane\n",
		      FUZZ_BODY_ROUNDS, accepted);
	for (size_t i = 0; i < 2; i++)
		fuzz_base_fini(&base[i]);
}

/* ---- 5. targets ----------------------------------------------------------- */

static void test_targets(void **state)
{
	struct xw_cfg_list mine = { .count = 2 }, none = { .count = 0 };
	struct xw_verdict v;

	strcpy(mine.item[0], "core");
	strcpy(mine.item[1], "dmz");

	memset(&v, 0, sizeof(v));
	v.all_hosts = true;
	assert_true(xw_verdict_targets(&v, "edge-1", NULL));
	assert_true(xw_verdict_targets(&v, "anything", &none));

	memset(&v, 0, sizeof(v));
	v.nhosts = 2;
	strcpy(v.hosts[0], "edge-1");
	strcpy(v.hosts[1], "edge-2");
	assert_true(xw_verdict_targets(&v, "edge-2", NULL));
	assert_true(xw_verdict_targets(&v, "edge-1", &mine));
	assert_false(xw_verdict_targets(&v, "edge-3", &mine));
	assert_false(xw_verdict_targets(&v, "edge", NULL));
	assert_false(xw_verdict_targets(&v, "edge-10", NULL));
	assert_false(xw_verdict_targets(&v, "", NULL));

	memset(&v, 0, sizeof(v));
	v.ngroups = 1;
	strcpy(v.groups[0], "dmz");
	assert_true(xw_verdict_targets(&v, "edge-9", &mine));
	assert_false(xw_verdict_targets(&v, "edge-9", &none));
	assert_false(xw_verdict_targets(&v, "edge-9", NULL));
	mine.count = 1; /* only "core" */
	assert_false(xw_verdict_targets(&v, "edge-9", &mine));
	/* A host named like a targeted group is not in it. */
	assert_false(xw_verdict_targets(&v, "dmz", &mine));
	assert_false(xw_verdict_targets(&v, "dmz", NULL));

	/* Targets no one. */
	memset(&v, 0, sizeof(v));
	assert_false(xw_verdict_targets(&v, "edge-1", &mine));
	assert_false(xw_verdict_targets(&v, "edge-1", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keygen_files),
		cmocka_unit_test(test_keygen_refuses),
		cmocka_unit_test(test_signing_key_load_refuses),
		cmocka_unit_test(test_keyring_load),
		cmocka_unit_test(test_round_trip_verdicts),
		cmocka_unit_test(test_round_trip_withdraw),
		cmocka_unit_test(test_tcp_flags_absent_means_any),
		cmocka_unit_test(test_refuse_malformed_bytes),
		cmocka_unit_test(test_refuse_schema),
		cmocka_unit_test(test_refuse_unknown_key),
		cmocka_unit_test(test_refuse_bad_signature),
		cmocka_unit_test(test_refuse_kafka_key),
		cmocka_unit_test(test_refuse_body_mismatch),
		cmocka_unit_test(test_refuse_wrong_topic),
		cmocka_unit_test(test_refuse_malformed_envelope),
		cmocka_unit_test(test_seal_refuses_bad_rule_id),
		cmocka_unit_test(test_refuse_signed_body),
		cmocka_unit_test(test_refuse_sealed_content),
		cmocka_unit_test(test_refuse_content),
		cmocka_unit_test(test_refuse_withdraw_content),
		cmocka_unit_test(test_unsigned_envelope_fields),
		cmocka_unit_test(test_fuzz_envelope),
		cmocka_unit_test(test_fuzz_signed_body),
		cmocka_unit_test(test_targets),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
