/* linux.memoryPolicy: parsed in oci-run/spec.c, applied by
 * run_process_mem_policy (process.c) through set_mempolicy(2). */
#include "tap.h"

#include <sys/syscall.h>

#include "process.h"
#include "spec.h"
#include "util.h"

static struct run_spec *parse(const char *policy, char **ret_err)
{
	_cleanup_free_ char *doc =
	    xasprintf("{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"}, "
		      "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"memoryPolicy\": %s}}",
		      policy);
	struct run_spec *s = NULL;
	struct oci_err *e = NULL;
	*ret_err = NULL;
	if (run_spec_parse(doc, strlen(doc), "/b", &s, &e) < 0) {
		*ret_err = xstrdup(e->msg);
		oci_err_free(e);
	}
	return s;
}

static void expect_error(const char *policy, const char *want)
{
	char *msg = NULL;
	struct run_spec *s = parse(policy, &msg);
	ok(!s && msg && strstr(msg, want), "%s: error '%s' (got '%s')", policy, want,
	   msg ? msg : "(none)");
	run_spec_free(s);
	free(msg);
}

int main(void)
{
	char *msg = NULL;
	struct run_spec *s = parse("{\"mode\": \"MPOL_BIND\", \"nodes\": \"0-2,5,64\", \"flags\": "
				   "[\"MPOL_F_STATIC_NODES\"]}",
				   &msg);
	ok(s != NULL, "bind with nodes and flags parses (%s)", msg ? msg : "ok");
	if (s) {
		ok(s->has_mem_policy, "has_mem_policy");
		is_int(s->mem_policy.mode, 2, "MPOL_BIND is 2");
		is_int((long long)s->mem_policy.flags, 1 << 15, "MPOL_F_STATIC_NODES");
		ok(s->mem_policy.has_nodes, "nodes given");
		is_int((long long)s->mem_policy.nodes[0], 0x27, "nodes 0-2,5 in the first word");
		is_int((long long)s->mem_policy.nodes[1], 1, "node 64 in the second word");
	}
	run_spec_free(s);
	free(msg);

	s = parse("{\"mode\": \"MPOL_LOCAL\"}", &msg);
	ok(s && s->mem_policy.mode == 4 && !s->mem_policy.has_nodes, "MPOL_LOCAL without nodes");
	run_spec_free(s);
	free(msg);
	s = parse("{\"mode\": \"MPOL_PREFERRED\", \"nodes\": \"\"}", &msg);
	ok(s && s->mem_policy.mode == 1, "MPOL_PREFERRED may go without nodes");
	run_spec_free(s);
	free(msg);

	expect_error("{\"mode\": \"MPOL_SOMETIMES\"}",
		     "linux.memoryPolicy.mode: unknown mode 'MPOL_SOMETIMES'");
	expect_error("{\"nodes\": \"0\"}", "linux.memoryPolicy");
	expect_error("{\"mode\": \"MPOL_BIND\"}",
		     "linux.memoryPolicy.nodes: MPOL_BIND needs nodes");
	expect_error("{\"mode\": \"MPOL_DEFAULT\", \"nodes\": \"0\"}",
		     "MPOL_DEFAULT takes no nodes");
	expect_error("{\"mode\": \"MPOL_BIND\", \"nodes\": \"0-\"}", "not a node list");
	expect_error("{\"mode\": \"MPOL_BIND\", \"nodes\": \"3-1\"}", "not a node list");
	expect_error("{\"mode\": \"MPOL_BIND\", \"nodes\": \"0,,1\"}", "not a node list");
	expect_error("{\"mode\": \"MPOL_BIND\", \"nodes\": \"a\"}", "not a node list");
	expect_error("{\"mode\": \"MPOL_BIND\", \"nodes\": \"4096\"}", "node 4096 is above 1023");
	expect_error("{\"mode\": \"MPOL_BIND\", \"nodes\": \"0\", \"flags\": [\"MPOL_F_X\"]}",
		     "linux.memoryPolicy.flags: unknown flag 'MPOL_F_X'");

	/* applied to this process: bind to node 0 (every machine has it), then
	 * read it back with get_mempolicy */
	s = parse("{\"mode\": \"MPOL_BIND\", \"nodes\": \"0\"}", &msg);
	struct oci_err *e = NULL;
	ok(s && run_process_mem_policy(s, &e) == 0, "set_mempolicy(MPOL_BIND, 0): %s",
	   e ? e->msg : "ok");
	oci_err_free(e);
	int mode = -1;
	unsigned long mask[RUN_MPOL_MAX_NODES / (8 * sizeof(unsigned long))] = {0};
	long r = syscall(SYS_get_mempolicy, &mode, mask, (unsigned long)RUN_MPOL_MAX_NODES + 1,
			 NULL, 0UL);
	ok(r == 0 && mode == 2 && mask[0] == 1, "get_mempolicy reads it back: mode %d, mask %lx",
	   mode, mask[0]);
	run_spec_free(s);
	free(msg);
	/* a node this machine lacks: the kernel's error, named */
	s = parse("{\"mode\": \"MPOL_BIND\", \"nodes\": \"1000\"}", &msg);
	e = NULL;
	int rr = s ? run_process_mem_policy(s, &e) : 0;
	ok(rr < 0 && e && strstr(e->msg, "linux.memoryPolicy"), "a missing node fails: %s",
	   e ? e->msg : "(no error)");
	oci_err_free(e);
	run_spec_free(s);
	free(msg);
	done_testing();
	return exit_status();
}
