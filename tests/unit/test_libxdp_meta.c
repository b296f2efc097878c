// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_libxdp_meta.c - our XDP object as libxdp and the kernel's freplace
 * check see it, read from the ELF only: no root, no BPF, no kernel support
 * for freplace needed (the integration test needs all three).
 *
 *   - libxdp finds our XDP_RUN_CONFIG: priority XW_XDP_RUN_PRIO, the chain
 *     continues on XDP_PASS only; a set priority overrides it
 *   - xdpwatch_main's BTF prototype matches the functions libxdp's own
 *     dispatcher (xdp-dispatcher.o) lets an extension replace, as the
 *     kernel checks at load: one argument, a pointer to struct xdp_md, an
 *     int returned
 *   - the parser functions it calls are global in BTF, so the verifier
 *     checks them on their own, inside an extension as in a program
 */
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "xdpwatch.skel.h"
#include "xdpwatch_shared.h"

#include "testhelp.h"

#ifndef XW_XDP_DISPATCHER_OBJ
#define XW_XDP_DISPATCHER_OBJ "/usr/lib/x86_64-linux-gnu/bpf/xdp-dispatcher.o"
#endif

struct proto {
	int linkage; /* BTF_FUNC_STATIC, _GLOBAL, _EXTERN */
	int nargs;
	bool returns_int;
	char arg0_struct[64]; /* struct a pointer first argument points to */
};

static void proto_of(const struct btf *btf, const char *fn, struct proto *p)
{
	const struct btf_type *f, *fp, *t;
	int id = btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC);

	memset(p, 0, sizeof(*p));
	assert_true(id > 0);
	f = btf__type_by_id(btf, id);
	p->linkage = btf_vlen(f);
	fp = btf__type_by_id(btf, f->type);
	assert_true(btf_is_func_proto(fp));
	p->nargs = btf_vlen(fp);
	t = btf__type_by_id(btf, btf__resolve_type(btf, fp->type));
	p->returns_int = t && btf_is_int(t);
	if (!p->nargs)
		return;
	t = btf__type_by_id(btf, btf__resolve_type(btf, btf_params(fp)[0].type));
	if (!t || !btf_is_ptr(t))
		return;
	t = btf__type_by_id(btf, btf__resolve_type(btf, t->type));
	if (t && btf_is_struct(t))
		snprintf(p->arg0_struct, sizeof(p->arg0_struct), "%s",
			 btf__name_by_offset(btf, t->name_off));
}

static struct xdp_program *our_program(struct xdpwatch **skel)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, po, .prog_name = "xdpwatch_main");
	struct xdp_program *prog;

	*skel = xdpwatch__open();
	assert_non_null(*skel);
	po.obj = (*skel)->obj;
	prog = xdp_program__create(&po);
	assert_non_null(prog);
	return prog;
}

static void test_run_config(void **state)
{
	struct xdpwatch *skel;
	struct xdp_program *prog = our_program(&skel);

	assert_string_equal(xdp_program__name(prog), "xdpwatch_main");
	assert_int_equal(xdp_program__run_prio(prog), XW_XDP_RUN_PRIO);
	assert_true(xdp_program__chain_call_enabled(prog, XDP_PASS));
	/* A drop ends the chain: nothing after us may pass it. */
	assert_false(xdp_program__chain_call_enabled(prog, XDP_DROP));
	assert_false(xdp_program__chain_call_enabled(prog, XDP_TX));
	assert_false(xdp_program__chain_call_enabled(prog, XDP_REDIRECT));
	assert_false(xdp_program__chain_call_enabled(prog, XDP_ABORTED));
	/* Not frags-aware: libxdp loads the dispatcher without frags then. */
	assert_false(xdp_program__xdp_frags_support(prog));

	/* libxdp_priority overrides what the object says. */
	assert_int_equal(xdp_program__set_run_prio(prog, 5), 0);
	assert_int_equal(xdp_program__run_prio(prog), 5);
	xdp_program__close(prog);
	xdpwatch__destroy(skel);
}

static void test_matches_dispatcher_slots(void **state)
{
	struct xdpwatch *skel;
	struct xdp_program *prog = our_program(&skel);
	const struct btf *ours = xdp_program__btf(prog);
	struct btf *disp = btf__parse(XW_XDP_DISPATCHER_OBJ, NULL);
	/* libxdp 1.3 replaces xdp_dispatcher itself when it holds one
	 * program, a stub progN when it holds more. */
	static const char *const slots[] = { "xdp_dispatcher", "prog0", "prog9" };
	struct proto mine, slot;

	if (!disp) {
		xdp_program__close(prog);
		xdpwatch__destroy(skel);
		skip(); /* libxdp1 not installed where the test looks */
	}
	assert_non_null(ours);
	proto_of(ours, "xdpwatch_main", &mine);
	assert_int_equal(mine.linkage, BTF_FUNC_GLOBAL);
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		proto_of(disp, slots[i], &slot);
		assert_int_equal(mine.nargs, slot.nargs);
		assert_int_equal(mine.nargs, 1);
		assert_true(mine.returns_int && slot.returns_int);
		assert_string_equal(mine.arg0_struct, slot.arg0_struct);
		assert_string_equal(mine.arg0_struct, "xdp_md");
	}
	btf__free(disp);
	xdp_program__close(prog);
	xdpwatch__destroy(skel);
}

static void test_parser_functions_are_global(void **state)
{
	struct xdpwatch *skel = xdpwatch__open();
	const struct btf *btf;
	struct proto p;

	assert_non_null(skel);
	btf = bpf_object__btf(skel->obj);
	assert_non_null(btf);
	proto_of(btf, "xw_parse", &p);
	assert_int_equal(p.linkage, BTF_FUNC_GLOBAL);
	assert_string_equal(p.arg0_struct, "xdp_md");
	proto_of(btf, "xw_parse_ip", &p);
	assert_int_equal(p.linkage, BTF_FUNC_GLOBAL);
	xdpwatch__destroy(skel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_config),
		cmocka_unit_test(test_matches_dispatcher_slots),
		cmocka_unit_test(test_parser_functions_are_global),
	};

	libxdp_set_print(NULL);
	libbpf_set_print(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
