/* Capabilities without libcap. */
#include "caps.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "fs.h"
#include "log.h"
#include "util.h"

int run_cap_last(void)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	struct oci_err *e = NULL;
	long long v;
	if (oci_read_file("/proc/sys/kernel/cap_last_cap", 64, &buf, &len, &e) < 0) {
		oci_err_free(e);
		return CAP_LAST_CAP;
	}
	buf[strcspn(buf, "\n")] = '\0';
	if (oci_parse_int64(buf, 0, 63, &v) < 0)
		return CAP_LAST_CAP;
	return (int)v;
}

int run_caps_drop_bounding(uint64_t bounding, struct oci_err **err)
{
	int last = run_cap_last();
	for (int c = 0; c <= last; c++) {
		if (bounding & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return oci_err_sys(err, "drop capability %s from the bounding set",
					   run_cap_name(c) ? run_cap_name(c) : "?");
	}
	return 0;
}

int run_caps_apply(const uint64_t sets[RUN_CAP_SETS], struct oci_err **err)
{
	int last = run_cap_last();
	uint64_t mask = last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	uint64_t eff = sets[RUN_CAP_EFFECTIVE] & mask, perm = sets[RUN_CAP_PERMITTED] & mask,
		 inh = sets[RUN_CAP_INHERITABLE] & mask;
	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	d[0].permitted = (uint32_t)perm;
	d[1].permitted = (uint32_t)(perm >> 32);
	d[0].inheritable = (uint32_t)inh;
	d[1].inheritable = (uint32_t)(inh >> 32);
	if (syscall(SYS_capset, &h, d) < 0)
		return oci_err_sys(err, "process.capabilities: capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return oci_err_sys(err, "process.capabilities: clear the ambient set");
	uint64_t amb = sets[RUN_CAP_AMBIENT] & mask;
	for (int c = 0; c <= last; c++) {
		if (!(amb & (1ULL << c)))
			continue;
		/* a capability must be permitted and inheritable to be ambient:
		 * like runc, skip the others */
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			oci_debug("cannot raise ambient capability %s: %s", run_cap_name(c),
				  strerror(errno));
	}
	return 0;
}
