/* Detecting the cgroup layout from /proc/self/mountinfo and /proc/self/cgroup
 * text: pure v1, pure v2, hybrid (this host), and a container whose
 * hierarchies are bind mounts of sub-trees; then where a container's cgroup
 * lands for absolute and relative cgroupsPath. */
#include "tap.h"

#include "cgroup_internal.h"
#include "util.h"

static const char *const v1_mi =
	"25 1 0:22 / /sys rw - sysfs sysfs rw\n"
	"30 25 0:26 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755\n"
	"31 30 0:27 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
	"34 30 0:30 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
	"35 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
	"36 30 0:32 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
	"37 30 0:32 / /mnt/pids-again rw - cgroup cgroup rw,pids\n";
static const char *const v1_self = "5:pids:/user.slice\n4:memory:/user.slice\n"
				   "3:cpu,cpuacct:/user.slice\n1:name=systemd:/user.slice/s.scope\n";

static const char *const v2_mi = "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
static const char *const v2_self = "0::/user.slice/session-1.scope\n";

static const char *const hybrid_mi =
	"30 25 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
	"31 30 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
	"32 30 0:28 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n"
	"33 30 0:29 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
static const char *const hybrid_self = "2:freezer:/\n1:memory:/a/b\n0::/\n";

/* inside a container: each hierarchy is a bind of the container's sub-tree */
static const char *const ctr_mi =
	"40 30 0:31 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n"
	"41 30 0:32 /docker/abc /sys/fs/cgroup/pids ro - cgroup cgroup rw,pids\n"
	"42 30 0:33 /my\\040dir /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
static const char *const ctr_self = "2:pids:/docker/abc\n1:memory:/docker/abc/x\n0::/my dir/in\n";

int main(void)
{
	struct oci_err *e = NULL;
	struct run_cg_layout *l = NULL;
	const struct run_cg_hier *h;

	ok(run_cg_layout_parse(v1_mi, v1_self, false, &l, &e) == 0, "v1 parses");
	ok(l && l->mode == RUN_CG_V1 && !l->unified, "v1: mode v1, no unified");
	is_int(l->n_v1, 4, "v1: four hierarchies (a second pids mount skipped)");
	h = run_cg_layout_v1(l, "cpuacct");
	ok(h && streq(h->mount, "/sys/fs/cgroup/cpu,cpuacct") && run_cg_layout_v1(l, "cpu") == h,
	   "v1: cpu and cpuacct in one hierarchy");
	h = run_cg_layout_v1(l, "memory");
	is_str(h ? h->own : NULL, "/user.slice", "v1: own memory cgroup");
	h = run_cg_layout_v1(l, "name=systemd");
	is_str(h ? h->own : NULL, "/user.slice/s.scope", "v1: named hierarchy");
	ok(!run_cg_layout_v1(l, "hugetlb"), "v1: no hugetlb");

	struct run_cgroup *cg = NULL;
	ok(run_cg_open(l, "rel/c1", &cg, &e) == 0, "v1: open a relative path");
	size_t mi = (size_t)(run_cg_layout_v1(cg->layout, "memory") - cg->layout->v1);
	is_str(cg->v1_dirs[mi], "/sys/fs/cgroup/memory/user.slice/rel/c1",
	       "v1: relative path below our own cgroup");
	is_str(cg->path, "/user.slice/rel/c1", "v1: path as /proc/PID/cgroup shows it");
	run_cgroup_free(cg);

	l = NULL;
	ok(run_cg_layout_parse(v1_mi, v1_self, false, &l, &e) == 0, "v1 parses again");
	ok(run_cg_open(l, "/x/../../c2", &cg, &e) == 0, "v1: open an absolute path with ..");
	is_str(cg->v1_dirs[mi], "/sys/fs/cgroup/memory/c2", "v1: .. cannot climb above the root");
	run_cgroup_free(cg);

	l = NULL;
	ok(run_cg_layout_parse(v1_mi, v1_self, false, &l, &e) == 0, "v1 parses a third time");
	ok(run_cg_open(l, "/..", &cg, &e) < 0 && e && strstr(e->msg, "invalid cgroup path"),
	   "v1: the root itself is refused");
	oci_err_clear(&e);

	l = NULL;
	ok(run_cg_layout_parse(v2_mi, v2_self, true, &l, &e) == 0, "v2 parses");
	ok(l->mode == RUN_CG_V2 && streq(l->unified, "/sys/fs/cgroup") && l->n_v1 == 0,
	   "v2: mode v2 at /sys/fs/cgroup");
	is_str(l->unified_own, "/user.slice/session-1.scope", "v2: own cgroup");
	ok(run_cg_open(l, "/oci-run/c3", &cg, &e) == 0 && cg->ops == &run_cg_v2_ops &&
		   streq(cg->v2_dir, "/sys/fs/cgroup/oci-run/c3"),
	   "v2: open uses the v2 driver");
	run_cgroup_free(cg);

	l = NULL;
	ok(run_cg_layout_parse(hybrid_mi, hybrid_self, false, &l, &e) == 0, "hybrid parses");
	ok(l->mode == RUN_CG_HYBRID && streq(l->unified, "/sys/fs/cgroup/unified") && l->n_v1 == 2,
	   "hybrid: v1 hierarchies plus unified");
	is_str(run_cg_layout_v1(l, "memory")->own, "/a/b", "hybrid: own memory cgroup");
	ok(run_cg_open(l, "/oci-run/c4", &cg, &e) == 0 && cg->ops == &run_cg_v1_ops &&
		   streq(cg->v2_dir, "/sys/fs/cgroup/unified/oci-run/c4"),
	   "hybrid: v1 driver, joins unified too");
	ok((cg->v2_sections & RUN_CG_PIDS) && (cg->v2_sections & RUN_CG_HUGETLB) &&
		   !(cg->v2_sections & RUN_CG_MEMORY),
	   "hybrid: controllers without a v1 hierarchy go to v2");
	run_cgroup_free(cg);

	l = NULL;
	ok(run_cg_layout_parse(ctr_mi, ctr_self, false, &l, &e) == 0, "container parses");
	is_str(run_cg_layout_v1(l, "memory")->own, "/x", "container: own path below the bind root");
	is_str(run_cg_layout_v1(l, "pids")->own, "/", "container: at the bind root");
	is_str(l->unified, "/sys/fs/cgroup/unified", "container: unified mount");
	is_str(l->unified_own, "/in", "container: \\040 unescaped in the mount root");
	run_cg_layout_free(l);

	l = NULL;
	ok(run_cg_layout_parse("30 25 0:26 / /sys rw - sysfs sysfs rw\n", "", false, &l, &e) < 0 &&
		   e && strstr(e->msg, "no cgroup filesystem is mounted"),
	   "no cgroup mounts: error");
	oci_err_clear(&e);
	done_testing();
	return exit_status();
}
