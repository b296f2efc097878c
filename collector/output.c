// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* output.c - see output.h. */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "output.h"
#include "record_json.h"

int xw_output__open(struct xw_output *o, const char *path)
{
	memset(o, 0, sizeof(*o));
	o->clock_offset_ns = xw_clock_offset_ns();
	if (!*path || !strcmp(path, "none"))
		return 0;
	if (!strcmp(path, "-")) {
		o->f = stdout;
	} else {
		o->f = fopen(path, "ae");
		if (!o->f) {
			int err = -errno;

			pr_err("cannot open record output %s: %s", path,
			       strerror(-err));
			return err;
		}
		o->owned = true;
	}
	/* Lines are flushed once per drain cycle, not per record. */
	setvbuf(o->f, NULL, _IOFBF, 1 << 20);
	return 0;
}

void xw_output__record(struct xw_output *o, const struct xw_record *rec,
		       const char *ifname)
{
	char line[XW_RECORD_JSON_MAX];
	int n;

	if (!o->f)
		return;
	n = xw_record_json(rec, o->clock_offset_ns, ifname, line, sizeof(line));
	if (n < 0 || fwrite(line, 1, (size_t)n, o->f) != (size_t)n) {
		o->failed++;
		return;
	}
	o->written++;
}

void xw_output__flush(struct xw_output *o)
{
	if (o->f && fflush(o->f)) {
		/* stdio drops what it could not write; say so once per cycle. */
		pr_warn("record output: %s", strerror(errno));
		clearerr(o->f);
	}
}

void xw_output__close(struct xw_output *o)
{
	xw_output__flush(o);
	if (o->owned)
		fclose(o->f);
	o->f = NULL;
}
