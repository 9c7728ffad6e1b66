/* Scope-bound cleanup attributes (after systemd's alloc-util.h and crun's utils.h). */
#ifndef OCI_CLEANUP_H
#define OCI_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

/* Defines fnp(T *p) that calls fn(*p) when *p is set. */
#define DEFINE_CLEANUP(T, fn)                                                  \
	static inline void fn##p(T *p)                                         \
	{                                                                      \
		if (*p)                                                        \
			fn(*p);                                                \
	}

#define TAKE_PTR(p)                                                            \
	({                                                                     \
		__typeof__(p) t_ = (p);                                        \
		(p) = NULL;                                                    \
		t_;                                                            \
	})

#define TAKE_FD(fd)                                                            \
	({                                                                     \
		int t_ = (fd);                                                 \
		(fd) = -1;                                                     \
		t_;                                                            \
	})

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* Frees a NULL-terminated vector of strings. */
static inline void oci_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}
DEFINE_CLEANUP(char **, oci_strv_free)

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)
#define _cleanup_strv_ _cleanup_(oci_strv_freep)

#endif
