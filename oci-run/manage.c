/* Commands that act on a container through its cgroup: pause, resume, ps,
 * events, update (the cgroup work itself is in cgroup*.c). */
#include "manage.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <jansson.h>

#include "cgroup.h"
#include "container.h"
#include "fs.h"
#include "log.h"
#include "resources.h"
#include "sbuf.h"
#include "spec.h"
#include "state.h"
#include "util.h"

/* Opens the container: its state (locked) and its saved config. */
static int open_container(const struct run_global *g, const char *id, bool exclusive,
			  int *ret_dirfd, struct run_state **ret_st, struct run_spec **ret_spec,
			  struct oci_err **err)
{
	_cleanup_close_ int dirfd = -1;
	_cleanup_(run_state_freep) struct run_state *st = NULL;
	int r = run_state_open(g->root, id, exclusive, &dirfd, &st, err);
	if (r < 0)
		return r;
	r = run_load_spec_copy(dirfd, st->bundle, ret_spec, err);
	if (r < 0)
		return r;
	*ret_st = TAKE_PTR(st);
	*ret_dirfd = TAKE_FD(dirfd);
	return 0;
}

int run_refine_paused(const struct run_global *g, int dirfd, struct run_state *st)
{
	if (st->status != RUN_RUNNING)
		return 0;
	_cleanup_(run_spec_freep) struct run_spec *s = NULL;
	struct oci_err *e = NULL;
	bool frozen = false;
	if (run_load_spec_copy(dirfd, st->bundle, &s, &e) < 0 ||
	    run_cgroup_is_frozen(s, st->id, g->systemd_cgroup, &frozen, &e) < 0) {
		oci_debug("container '%s': freezer state: %s", st->id, e ? e->msg : "?");
		oci_err_free(e);
		return 0;
	}
	if (frozen)
		st->status = RUN_PAUSED;
	return 0;
}

int run_pause(const struct run_global *g, const char *id, bool pause, struct oci_err **err)
{
	_cleanup_close_ int dirfd = -1;
	_cleanup_(run_state_freep) struct run_state *st = NULL;
	_cleanup_(run_spec_freep) struct run_spec *s = NULL;
	int r = open_container(g, id, true, &dirfd, &st, &s, err);
	if (r < 0)
		return r;
	run_refine_paused(g, dirfd, st);
	if (pause && st->status != RUN_RUNNING)
		return oci_err_set(err, EINVAL, "cannot pause container '%s': it is %s", id,
				   run_status_name(st->status));
	if (!pause && st->status != RUN_PAUSED)
		return oci_err_set(err, EINVAL, "cannot resume container '%s': it is %s", id,
				   run_status_name(st->status));
	return run_cgroup_freeze(s, id, g->systemd_cgroup, pause, err);
}

int run_ps(const struct run_global *g, const char *id, bool json, char **ret, struct oci_err **err)
{
	_cleanup_close_ int dirfd = -1;
	_cleanup_(run_state_freep) struct run_state *st = NULL;
	_cleanup_(run_spec_freep) struct run_spec *s = NULL;
	int r = open_container(g, id, false, &dirfd, &st, &s, err);
	if (r < 0)
		return r;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	if (st->status != RUN_STOPPED) {
		r = run_cgroup_pids(s, id, g->systemd_cgroup, &pids, &n, err);
		if (r < 0)
			return r;
	}
	_cleanup_sbuf_ struct sbuf out = SBUF_INIT;
	if (json) {
		sbuf_addch(&out, '[');
		for (size_t i = 0; i < n; i++)
			sbuf_addf(&out, "%s%d", i ? "," : "", (int)pids[i]);
		sbuf_addstr(&out, "]\n");
	} else {
		/* like runc: PID and the command line of each process */
		sbuf_addf(&out, "%-8s %s\n", "PID", "CMD");
		for (size_t i = 0; i < n; i++) {
			char path[64];
			snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pids[i]);
			_cleanup_free_ char *cmd = NULL;
			size_t len = 0;
			struct oci_err *e = NULL;
			if (oci_read_file(path, 4096, &cmd, &len, &e) < 0) {
				oci_err_free(e);
				continue;
			}
			for (size_t k = 0; k + 1 < len; k++)
				if (!cmd[k])
					cmd[k] = ' ';
			sbuf_addf(&out, "%-8d %s\n", (int)pids[i], cmd);
		}
	}
	*ret = sbuf_detach(&out, NULL);
	return 0;
}

static int print_stats(const struct run_global *g, const char *id, const struct run_spec *s,
		       struct oci_err **err)
{
	struct run_cgroup_stats stats = {0};
	int r = run_cgroup_stats(s, id, g->systemd_cgroup, &stats, err);
	if (r < 0)
		return r;
	json_t *ev = json_object();
	json_object_set_new(ev, "type", json_string("stats"));
	json_object_set_new(ev, "id", json_string(id));
	json_object_set_new(ev, "data", run_cgroup_stats_json(&stats));
	char *txt = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(ev);
	printf("%s\n", txt);
	fflush(stdout);
	free(txt);
	return 0;
}

int run_events(const struct run_global *g, const char *id, bool stats_once, int interval,
	       struct oci_err **err)
{
	_cleanup_close_ int dirfd = -1;
	_cleanup_(run_state_freep) struct run_state *st = NULL;
	_cleanup_(run_spec_freep) struct run_spec *s = NULL;
	int r = open_container(g, id, false, &dirfd, &st, &s, err);
	if (r < 0)
		return r;
	if (st->status == RUN_STOPPED)
		return oci_err_set(err, ESRCH, "container '%s' is not running", id);
	if (stats_once)
		return print_stats(g, id, s, err);
	for (;;) {
		r = print_stats(g, id, s, err);
		if (r < 0)
			return r;
		struct timespec ts = {interval > 0 ? interval : 5, 0};
		nanosleep(&ts, NULL);
		if (!run_pid_alive(st->pid, st->start_time))
			return 0;
	}
}

int run_update(const struct run_global *g, const char *id, const char *resources_file, char **flags,
	       struct oci_err **err)
{
	_cleanup_close_ int dirfd = -1;
	_cleanup_(run_state_freep) struct run_state *st = NULL;
	_cleanup_(run_spec_freep) struct run_spec *s = NULL;
	int r = open_container(g, id, true, &dirfd, &st, &s, err);
	if (r < 0)
		return r;
	if (st->status == RUN_STOPPED)
		return oci_err_set(err, ESRCH, "cannot update container '%s': it is stopped", id);
	_cleanup_(run_resources_freep) struct run_resources *res = NULL;
	if (resources_file)
		r = run_resources_load(resources_file, &res, err);
	else
		res = run_resources_new();
	if (r < 0)
		return r;
	for (size_t i = 0; flags && flags[i] && flags[i + 1]; i += 2) {
		r = run_resources_set_flag(res, flags[i], flags[i + 1], err);
		if (r < 0)
			return r;
	}
	return run_cgroup_update(s, id, g->systemd_cgroup, res, err);
}
