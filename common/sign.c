// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sign.c - see sign.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "errbuf.h"
#include "sign.h"

static int sodium_ready(void)
{
	static int state; /* 0 not tried, 1 ready, -1 failed */

	if (!state)
		state = sodium_init() < 0 ? -1 : 1;
	return state > 0 ? 0 : -EIO;
}

bool xw_key_id_valid(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n < XW_KEY_ID_MAX && id[0] != '.' &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* Write hex of buf to path with mode, refusing to replace a file. */
static int write_hex(const char *path, const uint8_t *buf, size_t len,
		     mode_t mode, char *err, size_t errlen)
{
	char hex[2 * XW_SK_BYTES + 2];
	int fd, ret = 0;

	sodium_bin2hex(hex, sizeof(hex) - 1, buf, len);
	strcat(hex, "\n");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return xw_err(err, errlen, -errno, "%s: %s", path, strerror(errno));
	if (write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex))
		ret = xw_err(err, errlen, -EIO, "%s: short write", path);
	if (close(fd) && !ret)
		ret = xw_err(err, errlen, -errno, "%s: %s", path, strerror(errno));
	if (ret)
		unlink(path); /* O_EXCL: ours, and half a key is no key */
	sodium_memzero(hex, sizeof(hex));
	return ret;
}

/* Read exactly len bytes of hex (surrounding blanks allowed) from path. */
static int read_hex(const char *path, uint8_t *buf, size_t len, char *err,
		    size_t errlen)
{
	char text[4 * XW_SK_BYTES];
	size_t got = 0;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return xw_err(err, errlen, -errno, "%s: %s", path, strerror(errno));
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return xw_err(err, errlen, -EIO, "%s: cannot read", path);
	text[n] = '\0';
	if (sodium_hex2bin(buf, len, text, (size_t)n, " \t\r\n", &got, NULL) ||
	    got != len)
		ret = xw_err(err, errlen, -EINVAL,
			  "%s: not a key (%zu hex bytes expected)", path, len);
	sodium_memzero(text, sizeof(text));
	return ret;
}

int xw_keygen(const char *dir, const char *key_id, char *err, size_t errlen)
{
	uint8_t pk[XW_PK_BYTES], sk[XW_SK_BYTES];
	char path[PATH_MAX];
	int ret;

	if (!xw_key_id_valid(key_id))
		return xw_err(err, errlen, -EINVAL,
			   "key id '%s': use 1 to 63 of [A-Za-z0-9._-]", key_id);
	if (sodium_ready())
		return xw_err(err, errlen, -EIO, "libsodium failed to initialise");
	crypto_sign_keypair(pk, sk);
	snprintf(path, sizeof(path), "%s/%s.key", dir, key_id);
	ret = write_hex(path, sk, sizeof(sk), 0600, err, errlen);
	sodium_memzero(sk, sizeof(sk));
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/%s.pub", dir, key_id);
	ret = write_hex(path, pk, sizeof(pk), 0644, err, errlen);
	if (ret) {
		/* A .key without its .pub would block the next try (-EEXIST)
		 * and sign what no collector can verify: remove it. */
		snprintf(path, sizeof(path), "%s/%s.key", dir, key_id);
		unlink(path);
	}
	return ret;
}

int xw_signing_key_load(const char *path, struct xw_signing_key *k, char *err,
			size_t errlen)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t n = strlen(base);
	struct stat st;

	if (sodium_ready())
		return xw_err(err, errlen, -EIO, "libsodium failed to initialise");
	if (n < 5 || strcmp(base + n - 4, ".key") || n - 4 >= XW_KEY_ID_MAX)
		return xw_err(err, errlen, -EINVAL,
			   "%s: a signing key file is named <key id>.key", path);
	memcpy(k->key_id, base, n - 4);
	k->key_id[n - 4] = '\0';
	if (!xw_key_id_valid(k->key_id))
		return xw_err(err, errlen, -EINVAL, "%s: bad key id", path);
	if (stat(path, &st) == 0 && (st.st_mode & 077))
		return xw_err(err, errlen, -EPERM,
			   "%s: readable by others (mode %o); chmod 600 it",
			   path, st.st_mode & 0777);
	return read_hex(path, k->sk, sizeof(k->sk), err, errlen);
}

int xw_keyring_load(const char *dir, struct xw_keyring *ring, char *err,
		    size_t errlen)
{
	char path[PATH_MAX], id[XW_KEY_ID_MAX];
	struct dirent *de;
	DIR *d;
	int ret = 0;

	memset(ring, 0, sizeof(*ring));
	d = opendir(dir);
	if (!d)
		return xw_err(err, errlen, -errno, "trusted keys %s: %s", dir,
			   strerror(errno));
	while (!ret && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n < 5 || strcmp(de->d_name + n - 4, ".pub"))
			continue;
		if (n - 4 >= sizeof(id)) {
			ret = xw_err(err, errlen, -EINVAL, "%s/%s: key id too long",
				  dir, de->d_name);
			break;
		}
		memcpy(id, de->d_name, n - 4);
		id[n - 4] = '\0';
		if (!xw_key_id_valid(id)) {
			ret = xw_err(err, errlen, -EINVAL, "%s/%s: bad key id", dir,
				  de->d_name);
			break;
		}
		if (ring->count >= XW_KEYRING_MAX) {
			ret = xw_err(err, errlen, -E2BIG, "%s: more than %d keys", dir,
				  XW_KEYRING_MAX);
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ret = read_hex(path, ring->keys[ring->count].pk, XW_PK_BYTES, err,
			       errlen);
		if (!ret)
			strcpy(ring->keys[ring->count++].key_id, id);
	}
	closedir(d);
	if (!ret && !ring->count)
		ret = xw_err(err, errlen, -ENOENT, "trusted keys %s: no <key id>.pub file",
			  dir);
	return ret ? ret : (sodium_ready() ? -EIO : 0);
}

const uint8_t *xw_keyring_find(const struct xw_keyring *ring,
			       const char *key_id)
{
	for (unsigned int i = 0; i < ring->count; i++)
		if (!strcmp(ring->keys[i].key_id, key_id))
			return ring->keys[i].pk;
	return NULL;
}

void xw_sign(const struct xw_signing_key *k, const uint8_t *msg, size_t len,
	     uint8_t sig[XW_SIG_BYTES])
{
	crypto_sign_detached(sig, NULL, msg, len, k->sk);
}

bool xw_verify(const uint8_t pk[XW_PK_BYTES], const uint8_t *msg, size_t len,
	       const uint8_t sig[XW_SIG_BYTES])
{
	return crypto_sign_verify_detached(sig, msg, len, pk) == 0;
}
