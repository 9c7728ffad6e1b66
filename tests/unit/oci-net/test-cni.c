/* CNI configuration handling through net_cni_main() with a fake
 * environment (commands that need no network changes), and DNS question
 * parsing. */
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "net.h"
#include "tap.h"
#include "util.h"

static const char *env_cmd, *env_cid, *env_netns, *env_ifname;

static char *fake_getenv(const char *k)
{
	const char *v = NULL;
	if (streq(k, "CNI_COMMAND"))
		v = env_cmd;
	else if (streq(k, "CNI_CONTAINERID"))
		v = env_cid;
	else if (streq(k, "CNI_NETNS"))
		v = env_netns;
	else if (streq(k, "CNI_IFNAME"))
		v = env_ifname;
	return (char *)v;
}

/* Runs the plugin with conf on stdin; returns its status and output JSON. */
static int run(const char *conf, json_t **out)
{
	char in_path[] = "/tmp/oci-net-cni-in.XXXXXX", out_path[] = "/tmp/oci-net-cni-out.XXXXXX";
	int in = mkstemp(in_path), o = mkstemp(out_path);
	if (write(in, conf, strlen(conf)) < 0)
		diag("write failed");
	lseek(in, 0, SEEK_SET);
	int st = net_cni_main("/nonexistent/oci-net-store", fake_getenv, in, o);
	lseek(o, 0, SEEK_SET);
	char buf[8192];
	ssize_t n = read(o, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	*out = n > 0 ? json_loads(buf, 0, NULL) : NULL;
	close(in);
	close(o);
	unlink(in_path);
	unlink(out_path);
	return st;
}

static int code_of(json_t *j)
{
	return (int)json_integer_value(json_object_get(j, "code"));
}

int main(void)
{
	json_t *j = NULL;

	env_cmd = "VERSION";
	is_int(run("{\"cniVersion\":\"1.0.0\"}", &j), 0, "VERSION succeeds");
	is_str(json_string_value(json_object_get(j, "cniVersion")), "1.0.0", "VERSION answers in the asked version");
	json_t *sv = json_object_get(j, "supportedVersions");
	ok(json_array_size(sv) == 5, "five supported versions");
	bool has04 = false, has11 = false;
	for (size_t i = 0; i < json_array_size(sv); i++) {
		const char *v = json_string_value(json_array_get(sv, i));
		has04 |= streq(v, "0.4.0");
		has11 |= streq(v, "1.1.0");
	}
	ok(has04 && has11, "0.4.0 and 1.1.0 are supported");
	json_decref(j);
	is_int(run("", &j), 0, "VERSION with empty stdin");
	is_str(json_string_value(json_object_get(j, "cniVersion")), "1.1.0", "defaults to 1.1.0");
	json_decref(j);

	env_cmd = "ADD";
	env_cid = "c1";
	env_netns = "/run/netns/none";
	env_ifname = "eth0";
	is_int(run("{\"cniVersion\":\"2.0.0\",\"name\":\"n\",\"type\":\"oci-net\"}", &j), 1,
	       "unknown version fails");
	is_int(code_of(j), 1, "code 1: incompatible version");
	json_decref(j);
	is_int(run("{\"cniVersion\":", &j), 1, "bad JSON fails");
	is_int(code_of(j), 6, "code 6: decode failure");
	ok(json_string_value(json_object_get(j, "details")) != NULL, "details say where");
	json_decref(j);
	is_int(run("{\"cniVersion\":\"1.0.0\",\"name\":\"bad name\",\"type\":\"oci-net\"}", &j), 1,
	       "invalid network name fails");
	is_int(code_of(j), 7, "code 7: invalid configuration");
	json_decref(j);
	env_cid = NULL;
	is_int(run("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"oci-net\"}", &j), 1,
	       "missing CNI_CONTAINERID fails");
	is_int(code_of(j), 4, "code 4: invalid environment");
	is_str(json_string_value(json_object_get(j, "cniVersion")), "1.0.0", "error in the config's version");
	json_decref(j);
	env_cid = "c1";
	/* Bad VLAN and portmap settings: code 7 before anything is made. */
	const struct {
		const char *extra, *msg, *details;
	} badconf[] = {
		{ "\"vlan\":5000", "invalid VLAN configuration", "vlan must be a number from 0 to 4094" },
		{ "\"vlan\":10,\"vlanTrunk\":[{\"id\":11}]", "invalid VLAN configuration",
		  "vlan and vlanTrunk cannot be set together" },
		{ "\"conditionsV4\":[\"-j\",\"ACCEPT\"]", "invalid port mapping conditions",
		  "conditionsV4: '-j' is not supported" },
		{ "\"conditionsV6\":[\"-s\",\"10.0.0.1\"]", "invalid port mapping conditions",
		  "conditionsV6: '-s 10.0.0.1': '10.0.0.1' is not an IPv6 address" },
		{ "\"conditionsV4\":\"-s 1.2.3.4\"", "invalid port mapping conditions",
		  "conditionsV4 must be a list of strings" },
		{ "\"masqAll\":\"yes\"", "invalid port mapping configuration",
		  "masqAll must be true or false" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(badconf); i++) {
		char *conf = xasprintf("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"oci-net\",%s}",
				       badconf[i].extra);
		is_int(run(conf, &j), 1, "ADD with %s fails", badconf[i].extra);
		is_int(code_of(j), 7, "code 7");
		is_str(json_string_value(json_object_get(j, "msg")), badconf[i].msg, "msg");
		const char *d = json_string_value(json_object_get(j, "details"));
		ok(d && startswith(d, badconf[i].details), "details start '%s': %s", badconf[i].details,
		   d ? d : "(none)");
		json_decref(j);
		free(conf);
	}
	env_cmd = "GC";
	is_int(run("{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"type\":\"oci-net\"}", &j), 1,
	       "GC with a 0.4.0 config fails");
	is_int(code_of(j), 1, "code 1");
	json_decref(j);
	env_cmd = "CHECK";
	is_int(run("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"oci-net\"}", &j), 1,
	       "CHECK without prevResult fails");
	is_int(code_of(j), 7, "code 7");
	json_decref(j);

	/* DNS questions. */
	const unsigned char q[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
				    5, 'A', 'l', 'p', 'h', 'a', 2, 't', 'd', 0, 0, 1, 0, 1 };
	char name[256];
	uint16_t type = 0;
	size_t end = 0;
	is_int(net_dns_parse_question(q, sizeof(q), name, sizeof(name), &type, &end), 0,
	       "DNS question parses");
	is_str(name, "alpha.td", "name, lowercased");
	is_int(type, 1, "type A");
	is_int(end, sizeof(q), "end of the question");
	is_int(net_dns_parse_question(q, sizeof(q) - 3, name, sizeof(name), &type, &end), -EINVAL,
	       "truncated question refused");
	unsigned char bad[sizeof(q)];
	memcpy(bad, q, sizeof(q));
	bad[12] = 0xc0;
	is_int(net_dns_parse_question(bad, sizeof(bad), name, sizeof(name), &type, &end), -EINVAL,
	       "compression pointer in a question refused");
	memcpy(bad, q, sizeof(q));
	bad[12] = 60;
	is_int(net_dns_parse_question(bad, sizeof(bad), name, sizeof(name), &type, &end), -EINVAL,
	       "label past the end refused");
	memcpy(bad, q, sizeof(q));
	bad[5] = 2;
	is_int(net_dns_parse_question(bad, sizeof(bad), name, sizeof(name), &type, &end), -EINVAL,
	       "two questions refused");
	done_testing();
	return exit_status();
}
