// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_config.c - the table-driven loader (common/config.c): defaults,
 * libconfig files with "path:line: reason" errors, key=value overrides,
 * help. One table below uses every option type and a nested group.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "testhelp.h"

struct tcfg {
	int64_t count;
	int64_t big;
	bool verbose;
	char name[XW_CFG_STR_MAX];
	int mode;
	struct xw_cfg_list ifaces;
	char out_path[XW_CFG_STR_MAX];
	int64_t out_batch;
};

static const char *const modes[] = { "auto", "native", "generic", NULL };

#define OFF(f) offsetof(struct tcfg, f)
static const struct xw_opt topts[] = {
	{ "count", XW_OPT_INT, OFF(count), -10, 100, "5",
	  .help = "how many widgets" },
	{ "big", XW_OPT_INT, OFF(big), 0, INT64_MAX, "0",
	  .help = "a 64-bit quantity" },
	{ "verbose", XW_OPT_BOOL, OFF(verbose), .def = "false",
	  .help = "say more" },
	{ "name", XW_OPT_STRING, OFF(name), .def = "eth0",
	  .help = "what to call it" },
	{ "mode", XW_OPT_ENUM, OFF(mode), .def = "native", .choices = modes,
	  .help = "how to attach" },
	{ "ifaces", XW_OPT_LIST, OFF(ifaces), .def = "a,b",
	  .help = "where to attach" },
	{ "output.path", XW_OPT_STRING, OFF(out_path), .def = "-",
	  .help = "where records go" },
	{ "output.batch", XW_OPT_INT, OFF(out_batch), 1, 1024, "64",
	  .help = "records per write" },
	XW_OPT_END,
};
#undef OFF

/* The test's config file: written by each test, removed after it. */
static char cfg_path[256];

static int teardown_file(void **state)
{
	if (cfg_path[0])
		unlink(cfg_path);
	cfg_path[0] = '\0';
	return 0;
}

static const char *write_cfg(const char *text)
{
	const char *dir = getenv("TMPDIR");
	FILE *f;
	int fd;

	snprintf(cfg_path, sizeof(cfg_path), "%s/xw_unit_cfg_XXXXXX",
		 dir && *dir ? dir : "/tmp");
	fd = mkstemp(cfg_path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return cfg_path;
}

static void defaults(struct tcfg *c)
{
	memset(c, 0x5a, sizeof(*c)); /* every field must be written */
	assert_int_equal(xw_config_defaults(topts, c), 0);
}

static void test_defaults(void **state)
{
	struct tcfg c;

	defaults(&c);
	assert_int_equal(c.count, 5);
	assert_int_equal(c.big, 0);
	assert_false(c.verbose);
	assert_string_equal(c.name, "eth0");
	assert_int_equal(c.mode, 1);
	assert_int_equal(c.ifaces.count, 2);
	assert_string_equal(c.ifaces.item[0], "a");
	assert_string_equal(c.ifaces.item[1], "b");
	assert_string_equal(c.out_path, "-");
	assert_int_equal(c.out_batch, 64);
}

/* A default that its own row refuses is a broken table. */
static void test_defaults_broken_table(void **state)
{
	static const struct xw_opt bad_int[] = {
		{ "n", XW_OPT_INT, 0, 1, 10, "0", .help = "h" },
		XW_OPT_END,
	};
	static const struct xw_opt bad_enum[] = {
		{ "m", XW_OPT_ENUM, 0, .def = "turbo", .choices = modes,
		  .help = "h" },
		XW_OPT_END,
	};
	static const struct xw_opt bad_bool[] = {
		{ "b", XW_OPT_BOOL, 0, .def = "maybe", .help = "h" },
		XW_OPT_END,
	};
	struct tcfg c;

	assert_int_equal(xw_config_defaults(bad_int, &c), -EINVAL);
	assert_int_equal(xw_config_defaults(bad_enum, &c), -EINVAL);
	assert_int_equal(xw_config_defaults(bad_bool, &c), -EINVAL);
}

static void test_file_valid(void **state)
{
	struct tcfg c;
	char err[512] = "";
	const char *path = write_cfg(
		"# every type, and a group\n"
		"count = -10;\n"
		"big = 9000000000L;\n"
		"verbose = true;\n"
		"name = \"ens1f0\";\n"
		"mode = \"GENERIC\";\n"
		"ifaces = [ \"eth1\", \"eth2\", \"eth3\" ];\n"
		"output = {\n"
		"  path = \"/var/log/xw.json\";\n"
		"  batch = 1024;\n"
		"};\n");

	defaults(&c);
	if (xw_config_load_file(topts, &c, path, err, sizeof(err)))
		fail_msg("refused: %s", err);
	assert_int_equal(c.count, -10);
	assert_true(c.big == 9000000000LL);
	assert_true(c.verbose);
	assert_string_equal(c.name, "ens1f0");
	assert_int_equal(c.mode, 2);
	assert_int_equal(c.ifaces.count, 3);
	assert_string_equal(c.ifaces.item[0], "eth1");
	assert_string_equal(c.ifaces.item[2], "eth3");
	assert_string_equal(c.out_path, "/var/log/xw.json");
	assert_int_equal(c.out_batch, 1024);
}

/* Keys the file leaves out keep their defaults; a list may be () too. */
static void test_file_partial(void **state)
{
	struct tcfg c;
	char err[512] = "";
	const char *path = write_cfg("output: { batch = 2; }\n"
				     "ifaces = ( \"x\" );\n"
				     "verbose = false;\n");

	defaults(&c);
	if (xw_config_load_file(topts, &c, path, err, sizeof(err)))
		fail_msg("refused: %s", err);
	assert_int_equal(c.out_batch, 2);
	assert_string_equal(c.out_path, "-");
	assert_int_equal(c.count, 5);
	assert_string_equal(c.name, "eth0");
	assert_int_equal(c.ifaces.count, 1);
	assert_string_equal(c.ifaces.item[0], "x");
	assert_false(c.verbose);
}

static void test_file_empty(void **state)
{
	struct tcfg c;
	char err[512] = "";
	const char *path = write_cfg("# nothing set\n");

	defaults(&c);
	assert_int_equal(xw_config_load_file(topts, &c, path, err, sizeof(err)),
			 0);
	assert_int_equal(c.count, 5);
}

/*
 * Load text that must be refused; the error must start "path:line: " and
 * contain each of the given words.
 */
static void file_bad(const char *text, int line, const char *w1,
		     const char *w2)
{
	struct tcfg c;
	char err[512] = "", want[320];
	const char *path = write_cfg(text);

	defaults(&c);
	assert_int_equal(xw_config_load_file(topts, &c, path, err, sizeof(err)),
			 -EINVAL);
	snprintf(want, sizeof(want), "%s:%d: ", path, line);
	if (strncmp(err, want, strlen(want)))
		fail_msg("expected \"%s...\", got \"%s\"", want, err);
	if (w1)
		assert_contains(err, w1);
	if (w2)
		assert_contains(err, w2);
	teardown_file(NULL);
}

static void test_file_unknown_key(void **state)
{
	file_bad("count = 1;\n\nbogus = 3;\n", 3, "unknown setting 'bogus'",
		 NULL);
	/* In a group the full path is named. */
	file_bad("output = {\n  path = \"x\";\n  nope = 1;\n};\n", 3,
		 "unknown setting 'output.nope'", NULL);
	/* A group the table does not know at all. */
	file_bad("name = \"a\";\nextra = {\n  x = 1;\n};\n", 3,
		 "'extra.x'", NULL);
	/* A key of the group's name at the top level is not output.path. */
	file_bad("path = \"x\";\n", 1, "unknown setting 'path'", NULL);
}

static void test_file_wrong_type(void **state)
{
	file_bad("name = \"a\";\ncount = \"five\";\n", 2, "count",
		 "expects an integer");
	file_bad("count = 1.5;\n", 1, "count", "expects an integer");
	file_bad("verbose = 1;\n", 1, "verbose", "true or false");
	file_bad("\n\nname = 42;\n", 3, "name", "string");
	file_bad("mode = 2;\n", 1, "mode", "string");
	file_bad("ifaces = \"eth0\";\n", 1, "ifaces", "list");
	file_bad("ifaces = ( \"eth0\", 7 );\n", 1, "ifaces", "item 1");
	/* A group where a value belongs, and a value where a group does. */
	file_bad("count = { a = 1; };\n", 1, "count", "integer");
	file_bad("output = 3;\n", 1, "'output'", NULL);
	file_bad("output = {\n\n  batch = \"many\";\n};\n", 3, "output.batch",
		 "integer");
}

static void test_file_out_of_range(void **state)
{
	file_bad("count = 101;\n", 1, "count", "101 is out of range [-10, 100]");
	file_bad("verbose = true;\ncount = -11;\n", 2, "count",
		 "-11 is out of range");
	file_bad("output = {\n  batch = 0;\n};\n", 2, "output.batch",
		 "out of range [1, 1024]");
	file_bad("big = -1;\n", 1, "big", "out of range");
}

static void test_file_bad_enum(void **state)
{
	file_bad("# mode\n\n\nmode = \"turbo\";\n", 4, "mode",
		 "'turbo' is not one of: auto, native, generic");
}

static void test_file_bad_list(void **state)
{
	char text[1024] = "ifaces = [";

	file_bad("ifaces = [ \"\" ];\n", 1, "ifaces", "empty");
	file_bad("ifaces = [\n \"0123456789012345678901234567890123456789012345678901234567890123456789\" ];\n",
		 1, "ifaces", "longer than 63");
	for (int i = 0; i <= XW_CFG_LIST_MAX; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "%s\"if%d\"", i ? ", " : "", i);
	strcat(text, "];\n");
	file_bad(text, 1, "ifaces", "more than 32 items");
}

static void test_file_syntax_error(void **state)
{
	file_bad("count = 1;\nname = \"x\";\nbig = ;\n", 3, "syntax error",
		 NULL);
	file_bad("count = 1;\nmode \"auto\";\nname = \"x\";\n", 2, "syntax error",
		 NULL);
	file_bad("output = {\n  path = \"x\";\n\n", 4, "syntax error", NULL);
	file_bad("count = 1;\ncount = 2;\n", 2, "duplicate", NULL);
}

/* The message names the key once: "path:3: count: ..." not "count: count:". */
static void test_file_error_names_key_once(void **state)
{
	struct tcfg c;
	char err[512] = "";
	const char *path = write_cfg("count = 500;\n");

	defaults(&c);
	assert_int_equal(xw_config_load_file(topts, &c, path, err, sizeof(err)),
			 -EINVAL);
	assert_contains(err, ":1: count: ");
	assert_not_contains(err, "count: count");
}

static void test_file_missing(void **state)
{
	struct tcfg c;
	char err[512] = "";

	defaults(&c);
	assert_int_equal(xw_config_load_file(topts, &c,
					     "/nonexistent/xw/unit.cfg", err,
					     sizeof(err)),
			 -EINVAL);
	assert_contains(err, "/nonexistent/xw/unit.cfg");
	assert_contains(err, "cannot read");
	/* Nothing was changed. */
	assert_int_equal(c.count, 5);
}

static void set_ok(struct tcfg *c, const char *kv)
{
	char err[512] = "";

	if (xw_config_set(topts, c, kv, err, sizeof(err)))
		fail_msg("'%s' refused: %s", kv, err);
}

static void set_bad(struct tcfg *c, const char *kv, const char *w1,
		    const char *w2)
{
	char err[512] = "";
	struct tcfg before = *c;

	assert_int_equal(xw_config_set(topts, c, kv, err, sizeof(err)), -EINVAL);
	if (w1)
		assert_contains(err, w1);
	if (w2)
		assert_contains(err, w2);
	/* A refused scalar override leaves the setting as it was. */
	assert_int_equal(c->count, before.count);
	assert_int_equal(c->mode, before.mode);
	assert_int_equal(c->verbose, before.verbose);
	assert_string_equal(c->name, before.name);
}

static void test_set(void **state)
{
	struct tcfg c;

	defaults(&c);
	set_ok(&c, "count=7");
	assert_int_equal(c.count, 7);
	set_ok(&c, "count=-10");
	assert_int_equal(c.count, -10);
	set_ok(&c, "count=100");
	assert_int_equal(c.count, 100);
	set_ok(&c, "big=9223372036854775807");
	assert_true(c.big == INT64_MAX);
	for (size_t i = 0; i < 3; i++) {
		static const char *const t[] = { "verbose=true", "verbose=yes",
						 "verbose=1" };
		static const char *const f[] = { "verbose=false", "verbose=NO",
						 "verbose=0" };

		set_ok(&c, t[i]);
		assert_true(c.verbose);
		set_ok(&c, f[i]);
		assert_false(c.verbose);
	}
	set_ok(&c, "name=lo");
	assert_string_equal(c.name, "lo");
	set_ok(&c, "name=a=b"); /* only the first '=' splits */
	assert_string_equal(c.name, "a=b");
	set_ok(&c, "name=");
	assert_string_equal(c.name, "");
	set_ok(&c, "mode=auto");
	assert_int_equal(c.mode, 0);
	set_ok(&c, "mode=Generic");
	assert_int_equal(c.mode, 2);
	set_ok(&c, "ifaces=eth0,eth1,eth2");
	assert_int_equal(c.ifaces.count, 3);
	assert_string_equal(c.ifaces.item[1], "eth1");
	set_ok(&c, "ifaces=lo");
	assert_int_equal(c.ifaces.count, 1);
	assert_string_equal(c.ifaces.item[0], "lo");
	set_ok(&c, "ifaces=");
	assert_int_equal(c.ifaces.count, 0);
	set_ok(&c, "output.path=/tmp/out.json");
	assert_string_equal(c.out_path, "/tmp/out.json");
	set_ok(&c, "output.batch=9");
	assert_int_equal(c.out_batch, 9);
}

static void test_set_bad(void **state)
{
	char longval[XW_CFG_STR_MAX + 16] = "name=";
	char many[512] = "ifaces=";
	struct tcfg c;

	defaults(&c);
	set_bad(&c, "count=101", "count", "out of range [-10, 100]");
	set_bad(&c, "count=-11", "count", "out of range");
	set_bad(&c, "count=abc", "count", "not a number");
	set_bad(&c, "count=", "count", NULL);
	set_bad(&c, "count=-", "count", NULL);
	set_bad(&c, "count=--5", "count", NULL);
	set_bad(&c, "count=5x", "count", NULL);
	set_bad(&c, "count= 5", "count", NULL);
	set_bad(&c, "count=- 5", "count", NULL);
	set_bad(&c, "count=1.0", "count", NULL);
	set_bad(&c, "big=9223372036854775808", "big", NULL);
	set_bad(&c, "verbose=maybe", "verbose", "not true or false");
	set_bad(&c, "verbose=", "verbose", NULL);
	set_bad(&c, "mode=turbo", "mode", "auto, native, generic");
	set_bad(&c, "mode=", "mode", NULL);
	set_bad(&c, "nokey=1", "unknown setting 'nokey'", NULL);
	set_bad(&c, "output=1", "unknown setting 'output'", NULL);
	set_bad(&c, "count", "not key=value", NULL);
	set_bad(&c, "=5", "not key=value", NULL);
	set_bad(&c, "", "not key=value", NULL);

	memset(longval + 5, 'x', XW_CFG_STR_MAX);
	longval[5 + XW_CFG_STR_MAX] = '\0';
	set_bad(&c, longval, "name", "longer than");
	for (int i = 0; i <= XW_CFG_LIST_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
			 "%sif%d", i ? "," : "", i);
	set_bad(&c, many, "ifaces", "more than 32");
	set_bad(&c, "ifaces=0123456789012345678901234567890123456789012345678901234567890123456789",
		"ifaces", NULL);
}

/* Overrides come after the file and win. */
static void test_set_after_file(void **state)
{
	struct tcfg c;
	char err[512] = "";
	const char *path = write_cfg("count = 50;\nmode = \"auto\";\n");

	defaults(&c);
	assert_int_equal(xw_config_load_file(topts, &c, path, err, sizeof(err)),
			 0);
	set_ok(&c, "count=60");
	assert_int_equal(c.count, 60);
	assert_int_equal(c.mode, 0);
}

static void test_help(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	xw_config_help(topts, f);
	assert_int_equal(fclose(f), 0);
	assert_non_null(text);
	for (const struct xw_opt *o = topts; o->name; o++) {
		assert_contains(text, o->name);
		assert_contains(text, o->help);
	}
	assert_contains(text, "[-10..100]");
	assert_contains(text, "[1..1024]");
	assert_contains(text, "{auto, native, generic}");
	assert_contains(text, "default native");
	assert_contains(text, "default a,b");
	assert_contains(text, "bool");
	assert_contains(text, "list");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_defaults_broken_table),
		cmocka_unit_test_teardown(test_file_valid, teardown_file),
		cmocka_unit_test_teardown(test_file_partial, teardown_file),
		cmocka_unit_test_teardown(test_file_empty, teardown_file),
		cmocka_unit_test_teardown(test_file_unknown_key, teardown_file),
		cmocka_unit_test_teardown(test_file_wrong_type, teardown_file),
		cmocka_unit_test_teardown(test_file_out_of_range, teardown_file),
		cmocka_unit_test_teardown(test_file_bad_enum, teardown_file),
		cmocka_unit_test_teardown(test_file_bad_list, teardown_file),
		cmocka_unit_test_teardown(test_file_syntax_error, teardown_file),
		cmocka_unit_test_teardown(test_file_error_names_key_once,
					  teardown_file),
		cmocka_unit_test(test_file_missing),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_set_bad),
		cmocka_unit_test_teardown(test_set_after_file, teardown_file),
		cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
