/* Fuzzes oci-net's CNI config handling (oci-net/cni.c net_cni_main) for the
 * commands that stop before touching the store (VERSION, and ADD/DEL/CHECK
 * without CNI_CONTAINERID), and the stored network definition parser
 * (network.c net_network_from_json), the bridge plugin's VLAN keys (vlan.c
 * net_vlan_from_cni, written back and read again) and the portmap
 * conditions (portmap.c net_port_cond_nft: what it accepts must be a plain
 * nftables expression, no ';', '#', newline or unbalanced quote or brace
 * that could end the rule). The first byte picks the command. */
#include <fcntl.h>
#include <sys/socket.h>
#include <jansson.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "json.h"
#include "net.h"

static const char *command;

static char *fake_getenv(const char *name)
{
	if (strcmp(name, "CNI_COMMAND") == 0)
		return (char *)command;
	if (strcmp(name, "CNI_IFNAME") == 0)
		return (char *)"eth0";
	if (strcmp(name, "CNI_NETNS") == 0)
		return (char *)"/nonexistent/netns";
	return NULL; /* no CNI_CONTAINERID: ADD, DEL and CHECK stop early */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const commands[] = { "VERSION", "ADD", "DEL", "CHECK" };
	static int out_fd = -1;
	if (out_fd < 0 && (out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		abort();
	if (size < 1)
		return 0;
	command = commands[data[0] % 4];
	int in_fd = memfd_create("cni-in", MFD_CLOEXEC);
	if (in_fd < 0 || write(in_fd, data + 1, size - 1) != (ssize_t)(size - 1) ||
	    lseek(in_fd, 0, SEEK_SET) != 0)
		abort();
	int status = net_cni_main("/nonexistent/fuzz-store", fake_getenv, in_fd, out_fd);
	if (status < 0)
		abort();
	close(in_fd);

	json_t *j = NULL;
	if (oci_json_load_buf((const char *)data + 1, size - 1, "net.json", &j, NULL) >= 0) {
		struct net_network *n = NULL;
		struct oci_err *err = NULL;
		int rc = net_network_from_json(j, "net.json", &n, &err);
		fuzz_check_err(rc, err);
		if (rc >= 0) {
			json_t *back = net_network_to_json(n);
			struct net_network *n2 = NULL;
			if (net_network_from_json(back, "again", &n2, NULL) < 0)
				abort(); /* what is written must read back */
			net_network_free(n2);
			json_decref(back);
		}
		net_network_free(n);
		oci_err_free(err);
		err = NULL;

		struct net_vlan v = { 0 };
		rc = net_vlan_from_cni(j, &v, &err);
		fuzz_check_err(rc, err);
		oci_err_free(err);
		err = NULL;
		if (rc >= 0) {
			if (v.vid > 4094 || (v.vid && v.n_trunk))
				abort();
			for (size_t i = 0; i < v.n_trunk; i++)
				if (v.trunk[i] < 1 || v.trunk[i] > 4094 || (i && v.trunk[i] <= v.trunk[i - 1]))
					abort();
			json_t *o = json_object();
			net_vlan_to_json(&v, o);
			struct net_vlan v2 = { 0 };
			if (net_vlan_from_cni(o, &v2, NULL) < 0 || v2.vid != v.vid ||
			    v2.n_trunk != v.n_trunk || v2.drop_default != v.drop_default ||
			    (v.n_trunk && memcmp(v.trunk, v2.trunk, v.n_trunk * sizeof(*v.trunk))))
				abort(); /* what is written must read back the same */
			net_vlan_release(&v2);
			json_decref(o);
			net_vlan_release(&v);
		}

		json_t *conds = json_object_get(j, "conditionsV4");
		char **args = NULL;
		size_t n_args = json_array_size(conds);
		bool strings = true;
		args = calloc(n_args + 1, sizeof(*args));
		for (size_t i = 0; i < n_args; i++) {
			const char *a = json_string_value(json_array_get(conds, i));
			strings = strings && a;
			args[i] = (char *)a;
		}
		for (int fam = 0; strings && fam < 2; fam++) {
			char *expr = NULL;
			rc = net_port_cond_nft(args, fam ? AF_INET6 : AF_INET, &expr, &err);
			fuzz_check_err(rc, err);
			oci_err_free(err);
			err = NULL;
			if (rc >= 0) {
				int quotes = 0, braces = 0;
				for (const char *p = expr; *p; p++) {
					if (*p == ';' || *p == '#' || *p == '\n' || *p == '\\')
						abort();
					quotes += *p == '"';
					braces += (*p == '{') - (*p == '}');
					if (braces < 0 || braces > 1)
						abort();
				}
				if (quotes % 2 || braces)
					abort();
			}
			free(expr);
		}
		free(args);
		json_decref(j);
	}
	return 0;
}
