// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* config.c - see config.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libconfig.h>

#include "config.h"
#include "errbuf.h"
#include "textparse.h"

static void *field(const struct xw_opt *o, void *cfg)
{
	return (char *)cfg + o->offset;
}

static const struct xw_opt *opt_find(const struct xw_opt *opts,
				     const char *name)
{
	for (; opts->name; opts++)
		if (!strcmp(opts->name, name))
			return opts;
	return NULL;
}

/* The XW_OPT_KV row whose name prefixes name ("kafka" for "kafka.x.y"). */
static const struct xw_opt *kv_find(const struct xw_opt *opts, const char *name,
				    const char **rest)
{
	for (; opts->name; opts++) {
		size_t n = strlen(opts->name);

		if (opts->type == XW_OPT_KV && !strncmp(name, opts->name, n) &&
		    name[n] == '.' && name[n + 1]) {
			*rest = name + n + 1;
			return opts;
		}
	}
	return NULL;
}

const char *xw_cfg_kv_get(const struct xw_cfg_kv *kv, const char *key)
{
	for (unsigned int i = 0; i < kv->count; i++)
		if (!strcmp(kv->key[i], key))
			return kv->value[i];
	return NULL;
}

/* Set key in kv; a key set twice keeps the last value. */
static int kv_put(struct xw_cfg_kv *kv, const char *key, const char *value,
		  unsigned int line, char *err, size_t errlen)
{
	unsigned int i;

	if (strlen(key) >= XW_CFG_KEY_MAX || strlen(value) >= XW_CFG_STR_MAX)
		return xw_err(err, errlen, -EINVAL, "key or value too long");
	for (i = 0; i < kv->count; i++)
		if (!strcmp(kv->key[i], key))
			break;
	if (i == kv->count) {
		if (kv->count >= XW_CFG_KV_MAX)
			return xw_err(err, errlen, -EINVAL, "more than %d settings",
				   XW_CFG_KV_MAX);
		kv->count++;
	}
	strcpy(kv->key[i], key);
	strcpy(kv->value[i], value);
	kv->line[i] = line;
	return 0;
}

static int choice_index(const struct xw_opt *o, const char *value)
{
	for (int i = 0; o->choices[i]; i++)
		if (!strcasecmp(o->choices[i], value))
			return i;
	return -1;
}

static void choices_text(const struct xw_opt *o, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; o->choices[i] && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 o->choices[i]);
}

static int list_add(struct xw_cfg_list *l, const char *item, char *err,
		    size_t errlen)
{
	if (l->count >= XW_CFG_LIST_MAX)
		return xw_err(err, errlen, -EINVAL, "more than %d items", XW_CFG_LIST_MAX);
	if (!*item || strlen(item) >= XW_CFG_ITEM_MAX)
		return xw_err(err, errlen, -EINVAL, "item '%s' is empty or longer than %d",
			   item, XW_CFG_ITEM_MAX - 1);
	strcpy(l->item[l->count++], item);
	return 0;
}

/* Set one option from text, as typed on a command line or as a default.
 * Errors say what was wrong with the value; callers name the setting. */
static int opt_set_text(const struct xw_opt *o, void *cfg, const char *value,
			char *err, size_t errlen)
{
	char why[160], choices[200];
	uint64_t u;
	int idx;

	switch (o->type) {
	case XW_OPT_INT: {
		bool neg = value[0] == '-';

		if (xw_uint_parse(neg ? value + 1 : value, 0, INT64_MAX, &u, why,
				  sizeof(why)))
			return xw_err(err, errlen, -EINVAL, "%s", why);
		if ((neg ? -(int64_t)u : (int64_t)u) < o->min ||
		    (neg ? -(int64_t)u : (int64_t)u) > o->max)
			return xw_err(err, errlen, -EINVAL, "%s is out of range [%lld, %lld]",
				   value, (long long)o->min,
				   (long long)o->max);
		*(int64_t *)field(o, cfg) = neg ? -(int64_t)u : (int64_t)u;
		return 0;
	}
	case XW_OPT_BOOL:
		if (!strcasecmp(value, "true") || !strcmp(value, "1") ||
		    !strcasecmp(value, "yes"))
			*(bool *)field(o, cfg) = true;
		else if (!strcasecmp(value, "false") || !strcmp(value, "0") ||
			 !strcasecmp(value, "no"))
			*(bool *)field(o, cfg) = false;
		else
			return xw_err(err, errlen, -EINVAL, "'%s' is not true or false",
				   value);
		return 0;
	case XW_OPT_STRING:
		if (strlen(value) >= XW_CFG_STR_MAX)
			return xw_err(err, errlen, -EINVAL, "longer than %d characters",
				   XW_CFG_STR_MAX - 1);
		strcpy(field(o, cfg), value);
		return 0;
	case XW_OPT_ENUM:
		idx = choice_index(o, value);
		if (idx < 0) {
			choices_text(o, choices, sizeof(choices));
			return xw_err(err, errlen, -EINVAL, "'%s' is not one of: %s",
				   value, choices);
		}
		*(int *)field(o, cfg) = idx;
		return 0;
	case XW_OPT_KV:
		if (*value)
			return xw_err(err, errlen, -EINVAL, "set its keys, e.g. %s.key=value",
				   o->name);
		((struct xw_cfg_kv *)field(o, cfg))->count = 0;
		return 0;
	case XW_OPT_LIST: {
		struct xw_cfg_list *l = field(o, cfg);
		char copy[XW_CFG_STR_MAX], *save = NULL, *tok;

		/* Comma-separated on the command line. */
		if (strlen(value) >= sizeof(copy))
			return xw_err(err, errlen, -EINVAL, "value too long");
		strcpy(copy, value);
		l->count = 0;
		for (tok = strtok_r(copy, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			if (list_add(l, tok, why, sizeof(why)))
				return xw_err(err, errlen, -EINVAL, "%s", why);
		}
		return 0;
	}
	}
	return xw_err(err, errlen, -EINVAL, "unknown option type");
}

int xw_config_defaults(const struct xw_opt *opts, void *cfg)
{
	char err[256];

	for (; opts->name; opts++)
		if (opt_set_text(opts, cfg, opts->def ? opts->def : "", err,
				 sizeof(err)) &&
		    opts->def)
			return -EINVAL; /* a broken table: caught by unit tests */
	return 0;
}

int xw_config_set(const struct xw_opt *opts, void *cfg, const char *assignment,
		  char *err, size_t errlen)
{
	const char *eq = strchr(assignment, '=');
	char name[128], why[200];
	const struct xw_opt *o;

	if (!eq || eq == assignment || (size_t)(eq - assignment) >= sizeof(name))
		return xw_err(err, errlen, -EINVAL, "'%s' is not key=value", assignment);
	memcpy(name, assignment, eq - assignment);
	name[eq - assignment] = '\0';
	o = opt_find(opts, name);
	if (!o) {
		const char *rest;

		o = kv_find(opts, name, &rest);
		if (o) {
			if (kv_put(field(o, cfg), rest, eq + 1, 0, why, sizeof(why)))
				return xw_err(err, errlen, -EINVAL, "%s: %s", name, why);
			return 0;
		}
	}
	if (!o)
		return xw_err(err, errlen, -EINVAL, "unknown setting '%s' (see --help)", name);
	if (opt_set_text(o, cfg, eq + 1, why, sizeof(why)))
		return xw_err(err, errlen, -EINVAL, "%s: %s", name, why);
	return 0;
}

/* One scalar or list setting from the file into a scratch copy. */
static int opt_set_setting(const struct xw_opt *o, void *cfg,
			   config_setting_t *s, char *why, size_t whylen)
{
	char num[32];
	int type = config_setting_type(s);

	switch (o->type) {
	case XW_OPT_INT:
		if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
			return xw_err(why, whylen, -EINVAL, "expects an integer");
		snprintf(num, sizeof(num), "%lld",
			 (long long)config_setting_get_int64(s));
		return opt_set_text(o, cfg, num, why, whylen);
	case XW_OPT_BOOL:
		if (type != CONFIG_TYPE_BOOL)
			return xw_err(why, whylen, -EINVAL, "expects true or false");
		*(bool *)field(o, cfg) = config_setting_get_bool(s);
		return 0;
	case XW_OPT_STRING:
	case XW_OPT_ENUM:
		if (type != CONFIG_TYPE_STRING)
			return xw_err(why, whylen, -EINVAL, "expects a string in quotes");
		return opt_set_text(o, cfg, config_setting_get_string(s), why,
				    whylen);
	case XW_OPT_LIST: {
		struct xw_cfg_list *l = field(o, cfg);

		if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
			return xw_err(why, whylen, -EINVAL, "expects a list such as [\"a\", \"b\"]");
		l->count = 0;
		for (int i = 0; i < config_setting_length(s); i++) {
			const char *item =
				config_setting_get_string_elem(s, (unsigned int)i);

			if (!item)
				return xw_err(why, whylen, -EINVAL, "item %d is not a string", i);
			if (list_add(l, item, why, whylen))
				return -EINVAL;
		}
		return 0;
	}
	case XW_OPT_KV:
		return xw_err(why, whylen, -EINVAL, "expects a group { ... }");
	}
	return xw_err(why, whylen, -EINVAL, "unknown option type");
}

/* A scalar under a XW_OPT_KV group, as the text librdkafka would take. */
static int kv_scalar(config_setting_t *s, char *out, size_t len)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
		if (strlen(config_setting_get_string(s)) >= len)
			return xw_err(out, len, -EINVAL, "value too long");
		strcpy(out, config_setting_get_string(s));
		return 0;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		snprintf(out, len, "%lld", (long long)config_setting_get_int64(s));
		return 0;
	case CONFIG_TYPE_BOOL:
		snprintf(out, len, "%s", config_setting_get_bool(s) ? "true" : "false");
		return 0;
	default:
		return xw_err(out, len, -EINVAL, "expects a string, integer or boolean");
	}
}

/* Walk every setting in the file: each must be a row of the table. */
static int walk(const struct xw_opt *opts, void *cfg, config_setting_t *group,
		const char *prefix, const char *path, char *err, size_t errlen)
{
	for (int i = 0; i < config_setting_length(group); i++) {
		config_setting_t *s = config_setting_get_elem(group, (unsigned int)i);
		const char *name = config_setting_name(s);
		unsigned int line = config_setting_source_line(s);
		const struct xw_opt *o;
		char full[128], why[200];
		int ret;

		snprintf(full, sizeof(full), "%s%s%s", prefix, *prefix ? "." : "",
			 name ? name : "?");
		o = opt_find(opts, full);
		if (o && o->type == XW_OPT_KV && !config_setting_is_group(s))
			return xw_err(err, errlen, -EINVAL, "%s:%u: %s: expects a group { ... }",
				   path, line, full);
		if (!o || o->type == XW_OPT_KV) {
			const char *rest;
			const struct xw_opt *kv = kv_find(opts, full, &rest);

			if (kv && !config_setting_is_group(s)) {
				ret = kv_scalar(s, why, sizeof(why));
				if (!ret)
					ret = kv_put(field(kv, cfg), rest, why, line,
						     why, sizeof(why));
				if (ret)
					return xw_err(err, errlen, -EINVAL, "%s:%u: %s: %s", path,
						   line, full, why);
				continue;
			}
			if (kv || o) {
				ret = walk(opts, cfg, s, full, path, err, errlen);
				if (ret)
					return ret;
				continue;
			}
		}
		if (!o && config_setting_is_group(s)) {
			ret = walk(opts, cfg, s, full, path, err, errlen);
			if (ret)
				return ret;
			continue;
		}
		if (!o)
			return xw_err(err, errlen, -EINVAL,
				   "%s:%u: unknown setting '%s' (see --help for the known ones)",
				   path, line, full);
		if (opt_set_setting(o, cfg, s, why, sizeof(why)))
			return xw_err(err, errlen, -EINVAL, "%s:%u: %s: %s", path, line, full,
				   why);
	}
	return 0;
}

/* Read by config_read_file or config_read_string, then walk the table. */
static int load(const struct xw_opt *opts, void *cfg, const char *path,
		const char *text, char *err, size_t errlen)
{
	config_t lc;
	int ok, ret = 0;

	config_init(&lc);
	if (text) {
		/* Text from a caller has no folder to include from: libconfig
		 * 1.5 has no switch to refuse @include, so point it at a
		 * folder that cannot exist; it prefixes every include path. */
		config_set_include_dir(&lc, "/nonexistent/xdpwatch-no-include");
		ok = config_read_string(&lc, text);
	} else {
		ok = config_read_file(&lc, path);
	}
	if (!ok) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			ret = xw_err(err, errlen, -EINVAL, "%s: cannot read: %s", path,
				  strerror(errno ? errno : ENOENT));
		else
			ret = xw_err(err, errlen, -EINVAL, "%s:%d: %s",
				  config_error_file(&lc) ? config_error_file(&lc) :
							   path,
				  config_error_line(&lc), config_error_text(&lc));
		goto out;
	}
	ret = walk(opts, cfg, config_root_setting(&lc), "", path, err, errlen);
out:
	config_destroy(&lc);
	return ret;
}

int xw_config_load_file(const struct xw_opt *opts, void *cfg, const char *path,
			char *err, size_t errlen)
{
	return load(opts, cfg, path, NULL, err, errlen);
}

int xw_config_load_string(const struct xw_opt *opts, void *cfg,
			  const char *text, const char *name, char *err,
			  size_t errlen)
{
	return load(opts, cfg, name ? name : "(string)", text, err, errlen);
}

void xw_config_help(const struct xw_opt *opts, FILE *out)
{
	static const char *const type_names[] = {
		[XW_OPT_INT] = "int",	    [XW_OPT_BOOL] = "bool",
		[XW_OPT_STRING] = "string", [XW_OPT_ENUM] = "enum",
		[XW_OPT_LIST] = "list",	    [XW_OPT_KV] = "group",
	};
	char choices[200];

	for (; opts->name; opts++) {
		fprintf(out, "  %-24s %-6s default %s\n", opts->name,
			type_names[opts->type],
			opts->def && *opts->def ? opts->def : "(none)");
		fprintf(out, "  %-24s %s", "", opts->help);
		if (opts->type == XW_OPT_INT)
			fprintf(out, " [%lld..%lld]", (long long)opts->min,
				(long long)opts->max);
		if (opts->type == XW_OPT_ENUM) {
			choices_text(opts, choices, sizeof(choices));
			fprintf(out, " {%s}", choices);
		}
		fputc('\n', out);
	}
}
