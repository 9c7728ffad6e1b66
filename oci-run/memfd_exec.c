/* Re-exec from a sealed memfd (see memfd_exec.h). */
#include "memfd_exec.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "util.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

bool run_binary_is_cloned(void)
{
	_cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	int seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & SEALS) == SEALS;
}

/* The end of the last loadable segment: all the loader needs. */
static int loadable_size(int fd, size_t file_size, size_t *ret, struct oci_err **err)
{
	Elf64_Ehdr eh;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
		return oci_err_sys(err, "read the ELF header of /proc/self/exe");
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr)) {
		*ret = file_size;
		return 0;
	}
	size_t end = eh.e_phoff + (size_t)eh.e_phnum * sizeof(Elf64_Phdr);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			return oci_err_sys(err, "read the ELF program headers of /proc/self/exe");
		size_t e = ph.p_offset + ph.p_filesz;
		if (ph.p_type != PT_NULL && e > end)
			end = e;
	}
	*ret = end < file_size ? end : file_size;
	return 0;
}

int run_cloned_binary_size(size_t *ret, struct oci_err **err)
{
	_cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return oci_err_sys(err, "open /proc/self/exe");
	return loadable_size(fd, (size_t)st.st_size, ret, err);
}

int run_ensure_cloned_binary(char *const argv[], struct oci_err **err)
{
	_cleanup_close_ int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (exe < 0)
		return oci_err_sys(err, "open /proc/self/exe");
	int seals = fcntl(exe, F_GET_SEALS);
	if (seals >= 0 && (seals & SEALS) == SEALS)
		return 0;
	struct stat st;
	if (fstat(exe, &st) < 0)
		return oci_err_sys(err, "stat /proc/self/exe");
	size_t size;
	int r = loadable_size(exe, (size_t)st.st_size, &size, err);
	if (r < 0)
		return r;
	_cleanup_close_ int mfd = memfd_create("oci-run", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return oci_err_sys(err, "memfd_create");
	off_t off = 0;
	while ((size_t)off < size) {
		ssize_t n = sendfile(mfd, exe, &off, size - (size_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return oci_err_sys(err, "copy /proc/self/exe");
		}
		if (n == 0)
			return oci_err_set(err, EIO, "copy /proc/self/exe: short read");
	}
	if (size < (size_t)st.st_size) {
		/* the section headers were cut off: say so in the copy */
		Elf64_Ehdr eh;
		if (pread(mfd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh)) {
			eh.e_shoff = 0;
			eh.e_shnum = 0;
			eh.e_shstrndx = 0;
			if (pwrite(mfd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
				return oci_err_sys(err, "write the memfd copy");
		}
	}
	if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
		return oci_err_sys(err, "seal the memfd copy");
	syscall(SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH);
	return oci_err_sys(err, "execute the memfd copy of oci-run");
}
