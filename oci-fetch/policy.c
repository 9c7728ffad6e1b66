/* Trust policy (containers-policy.json(5)) for images pulled from
 * registries: the requirements of the most specific "docker" scope (or of
 * "default") must all hold. insecureAcceptAnything passes, reject refuses;
 * signature requirements (signedBy, sigstoreSigned) cannot be checked here
 * and refuse the image with an error that says so. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetch.h"
#include "json.h"
#include "util.h"

char *fetch_policy_path(const struct fetch_opts *o)
{
	if (o->policy)
		return xstrdup(o->policy);
	const char *x = secure_getenv("XDG_CONFIG_HOME");
	const char *h = secure_getenv("HOME");
	_cleanup_free_ char *user = x && *x ? xasprintf("%s/containers/policy.json", x)
				  : h && *h ? xasprintf("%s/.config/containers/policy.json", h)
					    : NULL;
	if (user && access(user, F_OK) == 0)
		return TAKE_PTR(user);
	if (access("/etc/containers/policy.json", F_OK) == 0)
		return xstrdup("/etc/containers/policy.json");
	return NULL;
}

/* The scopes of "host/a/b:tag" from the most specific: the full reference,
 * the repository, each namespace above it, the host, then "". */
static json_t *find_requirements(json_t *scopes, const char *full, const char *name,
				 const char **ret_scope)
{
	json_t *v;
	if ((v = json_object_get(scopes, full))) {
		*ret_scope = full;
		return v;
	}
	_cleanup_free_ char *s = xstrdup(name);
	for (;;) {
		if ((v = json_object_get(scopes, s))) {
			*ret_scope = json_object_iter_key(json_object_iter_at(scopes, s));
			return v;
		}
		char *slash = strrchr(s, '/');
		if (!slash)
			break;
		*slash = 0;
	}
	if ((v = json_object_get(scopes, ""))) {
		*ret_scope = "";
		return v;
	}
	return NULL;
}

int fetch_policy_check_json(json_t *policy, const char *file, const struct oci_ref *ref,
			    struct oci_err **err)
{
	_cleanup_free_ char *name = oci_ref_name(ref);
	_cleanup_free_ char *full = oci_ref_string(ref);
	const char *scope = NULL;
	json_t *reqs = NULL;
	json_t *transports = json_object_get(policy, "transports");
	json_t *docker = json_is_object(transports) ? json_object_get(transports, "docker") : NULL;
	if (json_is_object(docker))
		reqs = find_requirements(docker, full, name, &scope);
	if (!reqs) {
		reqs = json_object_get(policy, "default");
		scope = NULL;
	}
	if (!json_is_array(reqs) || json_array_size(reqs) == 0)
		return oci_err_set(err, EINVAL,
				   "policy '%s': no requirements for '%s' (a policy needs \"default\")",
				   file, full);
	size_t i;
	json_t *req;
	json_array_foreach(reqs, i, req) {
		const char *type = json_string_value(json_object_get(req, "type"));
		if (!type)
			return oci_err_set(err, EINVAL, "policy '%s': a requirement without \"type\"", file);
		if (streq(type, "insecureAcceptAnything"))
			continue;
		_cleanup_free_ char *where = scope ? xasprintf("transports.docker.\"%s\"", scope)
						   : xstrdup("default");
		if (streq(type, "reject"))
			return oci_err_set(err, EACCES, "'%s' is rejected by policy '%s' (%s)", full, file,
					   where);
		return oci_err_set(err, ENOTSUP,
				   "policy '%s' (%s) requires '%s' for '%s': oci-fetch does not verify signatures (use --insecure-policy to skip the policy)",
				   file, where, type, full);
	}
	return 0;
}

int fetch_policy_check(const struct fetch_opts *o, const struct oci_ref *ref, struct oci_err **err)
{
	if (o->insecure_policy)
		return 0;
	_cleanup_free_ char *file = fetch_policy_path(o);
	if (!file)
		return 0; /* no policy anywhere: as containers' default, accept */
	json_auto_t *p = NULL;
	if (oci_json_load_file(file, 4 << 20, &p, err) < 0)
		return oci_err_wrap(err, "policy '%s'", file);
	if (!json_is_object(p))
		return oci_err_set(err, EINVAL, "policy '%s': expected a JSON object", file);
	return fetch_policy_check_json(p, file, ref, err);
}
