/* Platform specifiers, after containerd's platforms package: Parse,
 * Normalize, the default (host) platform, matching and formatting. */
#include "platform.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include "sbuf.h"
#include "util.h"

static void set_str(char **field, const char *value)
{
	free(*field);
	*field = value && *value ? xstrdup(value) : NULL;
}

static void lowercase(char *s)
{
	for (; s && *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static bool is_known_os(const char *os)
{
	static const char *const known[] = {
	    "aix",   "android", "darwin", "dragonfly", "freebsd", "hurd",    "illumos", "ios", "js",
	    "linux", "nacl",	"netbsd", "openbsd",   "plan9",	  "solaris", "windows", "zos",
	};
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (streq(os, known[i]))
			return true;
	return false;
}

static bool is_known_arch(const char *arch)
{
	static const char *const known[] = {
	    "386",     "amd64",	   "amd64p32",	"arm",	       "armbe",	  "arm64",
	    "arm64be", "ppc64",	   "ppc64le",	"loong64",     "mips",	  "mipsle",
	    "mips64",  "mips64le", "mips64p32", "mips64p32le", "ppc",	  "riscv",
	    "riscv64", "s390",	   "s390x",	"sparc",       "sparc64", "wasm",
	};
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (streq(arch, known[i]))
			return true;
	return false;
}

static void normalize_os(char **os)
{
	if (!*os || !**os) {
		set_str(os, "linux");
		return;
	}
	lowercase(*os);
	if (streq(*os, "macos"))
		set_str(os, "darwin");
}

/* containerd's normalizeArch: both strings are replaced (variant may become NULL). */
static void normalize_arch(char **arch, char **variant)
{
	lowercase(*arch);
	lowercase(*variant);
	const char *a = *arch ? *arch : "", *v = *variant ? *variant : "";

	if (streq(a, "i386")) {
		set_str(arch, "386");
		set_str(variant, NULL);
	} else if (streq(a, "x86_64") || streq(a, "x86-64") || streq(a, "amd64")) {
		set_str(arch, "amd64");
		if (streq(v, "v1"))
			set_str(variant, NULL);
	} else if (streq(a, "aarch64") || streq(a, "arm64")) {
		set_str(arch, "arm64");
		if (streq(v, "8") || streq(v, "v8"))
			set_str(variant, NULL);
	} else if (streq(a, "armhf")) {
		set_str(arch, "arm");
		set_str(variant, "v7");
	} else if (streq(a, "armel")) {
		set_str(arch, "arm");
		set_str(variant, "v6");
	} else if (streq(a, "arm")) {
		if (streq(v, "") || streq(v, "7")) {
			set_str(variant, "v7");
		} else if (streq(v, "5") || streq(v, "6") || streq(v, "8")) {
			_cleanup_free_ char *nv = xasprintf("v%s", v);
			set_str(variant, nv);
		}
	}
}

void oci_platform_normalize(struct oci_platform *p)
{
	normalize_os(&p->os);
	normalize_arch(&p->arch, &p->variant);
	if (p->os_version && !*p->os_version)
		set_str(&p->os_version, NULL);
}

/* The build's architecture (like Go's runtime.GOARCH), else uname's. */
static void host_arch(char **arch, char **variant)
{
#if defined(__x86_64__)
	set_str(arch, "amd64");
#elif defined(__i386__)
	set_str(arch, "386");
#elif defined(__aarch64__)
	set_str(arch, "arm64");
	set_str(variant, "v8");
#elif defined(__arm__) && defined(__ARM_ARCH)
	set_str(arch, "arm");
	_cleanup_free_ char *v = xasprintf("v%d", (int)__ARM_ARCH);
	set_str(variant, v);
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
	set_str(arch, "ppc64le");
#elif defined(__powerpc64__)
	set_str(arch, "ppc64");
#elif defined(__s390x__)
	set_str(arch, "s390x");
#elif defined(__riscv) && __riscv_xlen == 64
	set_str(arch, "riscv64");
#elif defined(__loongarch64)
	set_str(arch, "loong64");
#else
	struct utsname u;
	if (uname(&u) < 0) {
		set_str(arch, "unknown");
		return;
	}
	const char *m = u.machine;
	if (streq(m, "i486") || streq(m, "i586") || streq(m, "i686")) {
		set_str(arch, "386");
	} else if (startswith(m, "armv") && isdigit((unsigned char)m[4])) {
		_cleanup_free_ char *v = xasprintf("v%c", m[4]);
		set_str(arch, "arm");
		set_str(variant, v);
	} else if (streq(m, "loongarch64")) {
		set_str(arch, "loong64");
	} else {
		set_str(arch, m);
		normalize_arch(arch, variant);
	}
	if (*arch && streq(*arch, "arm64") && !*variant)
		set_str(variant, "v8");
#endif
}

void oci_platform_host(struct oci_platform *ret)
{
	struct utsname u;
	memset(ret, 0, sizeof(*ret));
	if (uname(&u) == 0 && *u.sysname)
		set_str(&ret->os, u.sysname);
	normalize_os(&ret->os);
	host_arch(&ret->arch, &ret->variant);
}

static bool is_specifier_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

static bool is_os_option_char(char c)
{
	return is_specifier_char(c) || c == '%';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* url.PathUnescape of an OS option (%XX escapes). */
static char *decode_os_option(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				free(out);
				return NULL;
			}
			*o++ = (char)(hi * 16 + lo);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/* <os>[(<version>[+<feature>]*)]; features are checked, then dropped. */
static int parse_os(const char *spec, const char *part, struct oci_platform *p,
		    struct oci_err **err)
{
	size_t n = strlen(part), i = 0;
	while (i < n && (isalnum((unsigned char)part[i]) || part[i] == '_' || part[i] == '-'))
		i++;
	if (i == 0 || (i < n && (part[i] != '(' || part[n - 1] != ')')))
		return oci_err_set(err, EINVAL, "invalid platform '%s': '%s' is not a valid os",
				   spec, part);
	_cleanup_free_ char *os = xstrndup(part, i);
	_cleanup_free_ char *version = NULL;
	if (i < n) {
		const char *opt = part + i + 1;
		size_t optlen = n - i - 2, vlen = 0;
		while (vlen < optlen && is_os_option_char(opt[vlen]))
			vlen++;
		/* then (+[chars]+)* */
		for (size_t j = vlen; j < optlen;) {
			if (opt[j] != '+' || j + 1 == optlen || !is_os_option_char(opt[j + 1]))
				return oci_err_set(err, EINVAL,
						   "invalid platform '%s': '%s' is not a valid os",
						   spec, part);
			j++;
			while (j < optlen && is_os_option_char(opt[j]))
				j++;
		}
		version = decode_os_option(opt, vlen);
		if (!version)
			return oci_err_set(err, EINVAL,
					   "invalid platform '%s': invalid os version '%.*s'", spec,
					   (int)vlen, opt);
	}
	set_str(&p->os, os);
	normalize_os(&p->os);
	set_str(&p->os_version, version);
	return 0;
}

int oci_platform_parse(const char *s, struct oci_platform *ret, struct oci_err **err)
{
	_cleanup_platform_ struct oci_platform p = {0};
	_cleanup_strv_ char **parts = NULL;

	if (strchr(s, '*'))
		return oci_err_set(err, EINVAL,
				   "invalid platform '%s': wildcards are not supported", s);
	const char *start = s;
	for (;;) {
		const char *slash = strchr(start, '/');
		size_t len = slash ? (size_t)(slash - start) : strlen(start);
		_cleanup_free_ char *part = xstrndup(start, len);
		oci_strv_push(&parts, part);
		if (!slash)
			break;
		start = slash + 1;
	}
	size_t n = oci_strv_len(parts);
	if (n > 3)
		return oci_err_set(
		    err, EINVAL,
		    "invalid platform '%s': too many components (expected os[/arch[/variant]])", s);

	int r = parse_os(s, parts[0], &p, err);
	if (r < 0)
		return r;
	for (size_t i = 1; i < n; i++) {
		bool valid = *parts[i] != '\0';
		for (const char *c = parts[i]; *c; c++)
			valid = valid && is_specifier_char(*c);
		if (!valid)
			return oci_err_set(err, EINVAL,
					   "invalid platform '%s': '%s' is not a valid component",
					   s, parts[i]);
	}

	switch (n) {
	case 1:
		/* A known os gets the host's architecture; anything else must be
		 * a known architecture, and gets the host's os. */
		if (is_known_os(p.os)) {
			struct oci_platform host;
			oci_platform_host(&host);
			set_str(&p.arch, host.arch);
			if (streq(host.arch, "arm") && host.variant && !streq(host.variant, "v7"))
				set_str(&p.variant, host.variant);
			oci_platform_release(&host);
			break;
		}
		set_str(&p.arch, parts[0]);
		set_str(&p.variant, NULL);
		set_str(&p.os_version, NULL);
		normalize_arch(&p.arch, &p.variant);
		if (streq(p.arch, "arm") && p.variant && streq(p.variant, "v7"))
			set_str(&p.variant, NULL);
		if (!is_known_arch(p.arch))
			return oci_err_set(
			    err, EINVAL,
			    "invalid platform '%s': unknown operating system or architecture", s);
		{
			struct oci_platform host;
			oci_platform_host(&host);
			set_str(&p.os, host.os);
			oci_platform_release(&host);
		}
		break;
	case 2:
		set_str(&p.arch, parts[1]);
		normalize_arch(&p.arch, &p.variant);
		if (streq(p.arch, "arm") && p.variant && streq(p.variant, "v7"))
			set_str(&p.variant, NULL);
		break;
	case 3:
		set_str(&p.arch, parts[1]);
		set_str(&p.variant, parts[2]);
		normalize_arch(&p.arch, &p.variant);
		if (streq(p.arch, "arm64") && !p.variant)
			set_str(&p.variant, "v8");
		break;
	}
	*ret = p;
	memset(&p, 0, sizeof(p));
	return 0;
}

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

bool oci_platform_match(const struct oci_platform *want, const struct oci_platform *have)
{
	struct oci_platform w = {0}, h = {0};
	bool match = false;

	set_str(&w.os, want->os);
	set_str(&w.arch, want->arch);
	set_str(&w.variant, want->variant);
	set_str(&h.os, have->os);
	set_str(&h.arch, have->arch);
	set_str(&h.variant, have->variant);
	oci_platform_normalize(&w);
	oci_platform_normalize(&h);

	if (streq(str_or_empty(w.os), str_or_empty(h.os)) &&
	    streq(str_or_empty(w.arch), str_or_empty(h.arch))) {
		match = true;
		/* A variant is compared only when WANT names one; normalizing
		 * made the default variants equal to a missing one. */
		if (want->variant && *want->variant &&
		    !streq(str_or_empty(w.variant), str_or_empty(h.variant)))
			match = false;
		/* An os.version asked for must be the version or a prefix of
		 * it ending at a '.' ("10.0.17763" matches "10.0.17763.5458"). */
		if (match && want->os_version && *want->os_version) {
			const char *hv = str_or_empty(have->os_version);
			size_t len = strlen(want->os_version);
			if (strncmp(hv, want->os_version, len) != 0 || (hv[len] && hv[len] != '.'))
				match = false;
		}
	}
	oci_platform_release(&w);
	oci_platform_release(&h);
	return match;
}

char *oci_platform_string(const struct oci_platform *p)
{
	if (!p->os || !*p->os)
		return xstrdup("unknown");
	struct sbuf sb = SBUF_INIT;
	sbuf_addstr(&sb, p->os);
	if (p->arch && *p->arch) {
		sbuf_addch(&sb, '/');
		sbuf_addstr(&sb, p->arch);
	}
	if (p->variant && *p->variant) {
		sbuf_addch(&sb, '/');
		sbuf_addstr(&sb, p->variant);
	}
	return sbuf_detach(&sb, NULL);
}

void oci_platform_release(struct oci_platform *p)
{
	if (!p)
		return;
	free(p->os);
	free(p->arch);
	free(p->variant);
	free(p->os_version);
	memset(p, 0, sizeof(*p));
}
