/*
 * x86/jit_arena.c - the translator's code arena: one memfd mapped twice,
 * read-write where the emitter writes and read-execute where the host runs
 * it, so no page is ever writable and executable at once (W^X) and nothing
 * needs an mprotect flip to patch a chained jump.
 * Not what goes into it (jit.c).  Apart from jit.c because the arena needs
 * <unistd.h>, whose F_LOCK the emulator's cpu.h names otherwise.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "x86/jit_arena.h"

int jit_arena_map(size_t size, void *near, uint8_t **w, uint8_t **x)
{
	*w = *x = NULL;
	int fd = memfd_create("ember-jit", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = 0;
	if (ftruncate(fd, (off_t)size)) {
		rc = -errno;
	} else {
		void *pw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (pw == MAP_FAILED) {
			rc = -errno;
		} else {
			void *px = mmap(near, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
			if (px == MAP_FAILED) {
				rc = -errno;
				munmap(pw, size);
			} else {
				*w = pw;
				*x = px;
			}
		}
	}
	close(fd); /* the mappings keep the memory */
	return rc;
}

void jit_arena_unmap(size_t size, uint8_t *w, uint8_t *x)
{
	if (w)
		munmap(w, size);
	if (x)
		munmap(x, size);
}

void jit_arena_populate(uint8_t *w, uint8_t *x, size_t off, size_t len)
{
#ifdef MADV_POPULATE_WRITE
	if (!madvise(w + off, len, MADV_POPULATE_WRITE))
		madvise(x + off, len, MADV_POPULATE_READ);
#endif
}
