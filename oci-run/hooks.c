/* Lifecycle hooks. */
#include "hooks.h"

#include <limits.h>
#include <string.h>

#include "../common/exec.h" /* not oci-run/exec.h (oci-run exec) */
#include "util.h"

/* The hook's env ("NAME=VALUE" strings) as variables, names allocated:
 * the whole environment it gets. An entry without '=' names no variable
 * and is left out. */
static struct oci_exec_var *hook_env(char **env, size_t *ret_n)
{
	size_t n = env ? oci_strv_len(env) : 0, k = 0;
	struct oci_exec_var *v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(env[i], '=');
		if (eq)
			v[k++] =
			    (struct oci_exec_var){xstrndup(env[i], (size_t)(eq - env[i])), eq + 1};
	}
	*ret_n = k;
	return v;
}

static void hook_env_free(struct oci_exec_var *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)v[i].name);
	free(v);
}

/* The state on stdin, stdout to our stderr (never our data on stdout),
 * stderr ours, no other descriptor of ours, args as argv (args[0] its
 * argv[0]; the path alone without args), env as the whole environment,
 * the timeout in seconds. */
static int run_one(const struct run_hook *hk, const char *kind, size_t idx, const char *state,
		   struct oci_err **err)
{
	char *const defargs[] = {hk->path, NULL};
	size_t n_env = 0;
	struct oci_exec_var *env = hook_env(hk->env, &n_env);
	struct oci_exec x = {
	    .path = hk->path,
	    .argv = hk->args && hk->args[0] ? hk->args : defargs,
	    .env = env,
	    .n_env = n_env,
	    .clear_env = true,
	    .in = state,
	    .in_len = strlen(state),
	    .out_mode = OCI_EXEC_STDERR,
	    .err_mode = OCI_EXEC_INHERIT,
	    .timeout_ms = hk->timeout > INT_MAX / 1000 ? INT_MAX : hk->timeout * 1000,
	};
	_cleanup_exec_result_ struct oci_exec_result res = {0};
	_cleanup_err_ struct oci_err *e = NULL;
	int r = oci_exec_run(&x, &res, &e);
	hook_env_free(env, n_env);
	if (r == -ETIMEDOUT)
		return oci_err_set(err, ETIMEDOUT, "hooks.%s[%zu]: '%s' timed out after %d seconds",
				   kind, idx, hk->path, hk->timeout);
	if (r < 0)
		return oci_err_set(err, -r, "hooks.%s[%zu]: '%s': %s", kind, idx, hk->path,
				   strerror(-r));
	if (res.signo)
		return oci_err_set(err, EIO, "hooks.%s[%zu]: '%s' was killed by signal %d", kind,
				   idx, hk->path, res.signo);
	if (res.status != 0)
		return oci_err_set(err, EIO, "hooks.%s[%zu]: '%s' exited with status %d", kind, idx,
				   hk->path, res.status);
	return 0;
}

int run_hooks(const struct run_hooks *h, enum run_hook_kind kind, const char *state_json,
	      struct oci_err **err)
{
	for (size_t i = 0; i < h->n[kind]; i++) {
		int r = run_one(&h->v[kind][i], run_hook_names[kind], i, state_json, err);
		if (r < 0)
			return r;
	}
	return 0;
}
