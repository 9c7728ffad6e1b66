/* Fuzzes oci-net's CNI config handling (oci-net/cni.c net_cni_main) for the
 * commands that stop before touching the store (VERSION, and ADD/DEL/CHECK
 * without CNI_CONTAINERID), and the stored network definition parser
 * (network.c net_network_from_json). The first byte picks the command. */
#include <fcntl.h>
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
		json_decref(j);
	}
	return 0;
}
