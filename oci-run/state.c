/* Container records under the --root directory. */
#include "state.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <jansson.h>

#include "fs.h"
#include "json.h"
#include "runtime_spec.h"
#include "util.h"

const char *run_status_name(enum run_status s)
{
	switch (s) {
	case RUN_CREATING:
		return "creating";
	case RUN_CREATED:
		return "created";
	case RUN_RUNNING:
		return "running";
	case RUN_STOPPED:
		return "stopped";
	case RUN_PAUSED:
		return "paused";
	}
	return "unknown";
}

void run_state_free(struct run_state *s)
{
	if (!s)
		return;
	free(s->id);
	free(s->bundle);
	free(s->rootfs);
	free(s->created);
	free(s->owner);
	oci_strv_free(s->annotations);
	free(s);
}

int run_check_id(const char *id, struct oci_err **err)
{
	if (!*id)
		return oci_err_set(err, EINVAL, "container id must not be empty");
	if (streq(id, ".") || streq(id, "..") || strlen(id) > 1024)
		return oci_err_set(err, EINVAL, "invalid container id '%s'", id);
	for (const char *p = id; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("_+.-", *p)))
			return oci_err_set(err, EINVAL,
					   "invalid container id '%s' (allowed: letters, digits, "
					   "'_', '+', '.', '-')",
					   id);
	}
	return 0;
}

static int lock_fd(int fd, bool exclusive, const char *id, struct oci_err **err)
{
	while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		if (errno != EINTR)
			return oci_err_sys(err, "lock container '%s'", id);
	}
	return 0;
}

int run_state_dir_create(const char *root, const char *id, int *ret_dirfd, struct oci_err **err)
{
	int r = oci_mkdir_p(root, 0711, err);
	if (r < 0)
		return r;
	_cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return oci_err_sys(err, "open '%s'", root);
	if (mkdirat(rootfd, id, 0711) < 0) {
		if (errno == EEXIST)
			return oci_err_set(err, EEXIST, "container '%s' already exists", id);
		return oci_err_sys(err, "create '%s/%s'", root, id);
	}
	int fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return oci_err_sys(err, "open '%s/%s'", root, id);
	r = lock_fd(fd, true, id, err);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_dirfd = fd;
	return 0;
}

int run_state_dir_open_unlocked(const char *root, const char *id, int *ret_dirfd,
				struct oci_err **err)
{
	int r = run_check_id(id, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *dir = oci_path_join(root, id);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return oci_err_set(err, ENOENT, "container '%s' does not exist", id);
		return oci_err_sys(err, "open '%s'", dir);
	}
	*ret_dirfd = fd;
	return 0;
}

int run_state_dir_open(const char *root, const char *id, bool exclusive, int *ret_dirfd,
		       struct oci_err **err)
{
	int r = run_check_id(id, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *dir = oci_path_join(root, id);
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return oci_err_set(err, ENOENT, "container '%s' does not exist", id);
		return oci_err_sys(err, "open '%s'", dir);
	}
	r = lock_fd(fd, exclusive, id, err);
	if (r < 0)
		return r;
	*ret_dirfd = TAKE_FD(fd);
	return 0;
}

int run_state_open(const char *root, const char *id, bool exclusive, int *ret_dirfd,
		   struct run_state **ret, struct oci_err **err)
{
	_cleanup_close_ int dirfd = -1;
	int r = run_state_dir_open(root, id, exclusive, &dirfd, err);
	if (r < 0)
		return r;
	r = run_state_read(dirfd, id, ret, err);
	if (r < 0)
		return r;
	*ret_dirfd = TAKE_FD(dirfd);
	return 0;
}

uint64_t run_pid_start_time(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	struct oci_err *e = NULL;
	if (oci_read_file(path, 4096, &buf, &len, &e) < 0) {
		oci_err_free(e);
		return 0;
	}
	/* comm may hold spaces and parentheses: fields start after the last ')' */
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	/* field 3 is the state; field 22 the start time */
	char state = 0;
	unsigned long long start = 0;
	int field = 2;
	char *save = NULL;
	for (char *tok = strtok_r(p, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		field++;
		if (field == 3)
			state = tok[0];
		if (field == 22) {
			start = strtoull(tok, NULL, 10);
			break;
		}
	}
	if (state == 'Z' || state == 'X')
		return 0;
	return start;
}

bool run_pid_alive(pid_t pid, uint64_t start_time)
{
	if (pid <= 0)
		return false;
	uint64_t st = run_pid_start_time(pid);
	return st != 0 && st == start_time;
}

int run_state_write(int dirfd, const struct run_state *s, struct oci_err **err)
{
	json_auto_t *o = json_object();
	json_object_set_new(o, "id", json_string(s->id));
	json_object_set_new(o, "pid", json_integer(s->pid));
	json_object_set_new(o, "startTime", json_integer((json_int_t)s->start_time));
	json_object_set_new(o, "bundle", json_string(s->bundle));
	json_object_set_new(o, "rootfs", json_string(s->rootfs ? s->rootfs : ""));
	json_object_set_new(o, "created", json_string(s->created ? s->created : ""));
	json_object_set_new(o, "owner", json_string(s->owner ? s->owner : ""));
	json_object_set_new(o, "hasPidns", json_boolean(s->has_pidns));
	json_object_set_new(o, "started", json_boolean(s->started));
	json_object_set_new(o, "ready", json_boolean(s->ready));
	json_t *ann = json_object();
	for (size_t i = 0; s->annotations && s->annotations[i] && s->annotations[i + 1]; i += 2)
		json_object_set_new(ann, s->annotations[i], json_string(s->annotations[i + 1]));
	json_object_set_new(o, "annotations", ann);
	_cleanup_free_ char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	return run_state_write_file(dirfd, "state.json", text, strlen(text), err);
}

int run_state_write_file(int dirfd, const char *name, const void *data, size_t len,
			 struct oci_err **err)
{
	_cleanup_free_ char *tmp = xasprintf(".%s.tmp", name);
	_cleanup_close_ int fd =
	    openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return oci_err_sys(err, "create '%s'", tmp);
	if (oci_write_all(fd, data, len) < 0)
		return oci_err_sys(err, "write '%s'", tmp);
	if (renameat(dirfd, tmp, dirfd, name) < 0)
		return oci_err_sys(err, "rename '%s'", tmp);
	return 0;
}

int run_state_read(int dirfd, const char *id, struct run_state **ret, struct oci_err **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	json_auto_t *o = NULL;
	int r = oci_read_fileat(dirfd, "state.json", 1 << 20, &buf, &len, err);
	if (r < 0) {
		if (r == -ENOENT) {
			/* create has made the directory but not written the state yet */
			oci_err_clear(err);
			struct run_state *s = xcalloc(1, sizeof(*s));
			s->id = xstrdup(id);
			s->bundle = xstrdup("");
			s->status = RUN_CREATING;
			*ret = s;
			return 0;
		}
		return oci_err_wrap(err, "container '%s'", id);
	}
	r = oci_json_load_buf(buf, len, "state.json", &o, err);
	if (r < 0)
		return oci_err_wrap(err, "container '%s'", id);
	const char *str;
	int64_t v;
	_cleanup_(run_state_freep) struct run_state *s = xcalloc(1, sizeof(*s));
	s->id = xstrdup(id);
	if (oci_json_get_int(o, "", "pid", &v, err) < 0)
		return oci_err_wrap(err, "container '%s': state.json", id);
	s->pid = (pid_t)v;
	if (oci_json_get_int(o, "", "startTime", &v, err) < 0)
		return oci_err_wrap(err, "container '%s': state.json", id);
	s->start_time = (uint64_t)v;
	if (oci_json_get_str(o, "", "bundle", &str, err) < 0)
		return oci_err_wrap(err, "container '%s': state.json", id);
	s->bundle = xstrdup(str);
	if (oci_json_opt_str(o, "", "rootfs", &str, err) > 0)
		s->rootfs = xstrdup(str);
	if (oci_json_opt_str(o, "", "created", &str, err) > 0)
		s->created = xstrdup(str);
	if (oci_json_opt_str(o, "", "owner", &str, err) > 0)
		s->owner = xstrdup(str);
	oci_json_opt_bool(o, "", "hasPidns", &s->has_pidns, err);
	oci_json_opt_bool(o, "", "started", &s->started, err);
	oci_json_opt_bool(o, "", "ready", &s->ready, err);
	oci_json_opt_str_map(o, "", "annotations", &s->annotations, err);
	if (*err)
		return oci_err_wrap(err, "container '%s': state.json", id);

	if (s->pid <= 0)
		s->status = RUN_CREATING;
	else if (!run_pid_alive(s->pid, s->start_time))
		s->status = RUN_STOPPED;
	else if (!s->ready)
		s->status = RUN_CREATING;
	else if (faccessat(dirfd, "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		s->status = RUN_CREATED;
	else
		s->status = RUN_RUNNING;
	*ret = TAKE_PTR(s);
	return 0;
}

char *run_state_json(const struct run_state *s, bool indent)
{
	json_auto_t *o = json_object();
	json_object_set_new(o, "ociVersion", json_string(OCI_RUNTIME_SPEC_VERSION));
	json_object_set_new(o, "id", json_string(s->id));
	json_object_set_new(o, "status", json_string(run_status_name(s->status)));
	json_object_set_new(o, "pid", json_integer(s->status == RUN_STOPPED ? 0 : s->pid));
	json_object_set_new(o, "bundle", json_string(s->bundle));
	json_object_set_new(o, "rootfs", json_string(s->rootfs ? s->rootfs : ""));
	json_object_set_new(o, "created", json_string(s->created ? s->created : ""));
	json_object_set_new(o, "owner", json_string(s->owner ? s->owner : ""));
	if (s->annotations && s->annotations[0]) {
		json_t *ann = json_object();
		for (size_t i = 0; s->annotations[i] && s->annotations[i + 1]; i += 2)
			json_object_set_new(ann, s->annotations[i],
					    json_string(s->annotations[i + 1]));
		json_object_set_new(o, "annotations", ann);
	}
	return json_dumps(o, (indent ? JSON_INDENT(2) : JSON_COMPACT) | JSON_SORT_KEYS);
}

int run_state_dir_remove(const char *root, const char *id, struct oci_err **err)
{
	_cleanup_free_ char *dir = oci_path_join(root, id);
	return oci_rm_rf(dir, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int run_state_list_ids(const char *root, char ***ret, struct oci_err **err)
{
	_cleanup_closedir_ DIR *d = opendir(root);
	char **v = xcalloc(1, sizeof(char *));
	if (!d) {
		if (errno == ENOENT) {
			*ret = v;
			return 0;
		}
		free(v);
		return oci_err_sys(err, "open '%s'", root);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		oci_strv_push(&v, de->d_name);
	}
	qsort(v, oci_strv_len(v), sizeof(char *), cmp_str);
	*ret = v;
	return 0;
}
