/* Reading the file to verify into one buffer.
 *
 * The verifier needs the whole file in memory (byte ranges, raw lexing,
 * MuPDF).  Growing a buffer chunk by chunk copies it several times, and on
 * a 20 MB file the 5000 page faults of a fresh buffer cost more than
 * hashing it; so the buffer is sized from fstat(2) once and, when large,
 * asks for transparent huge pages (madvise(2) MADV_HUGEPAGE: a no-op where
 * they are disabled).  The file is read, not mapped, unless the caller
 * asks for a mapping and handles SIGBUS (a file truncated while mapped
 * raises it): mapping maps the page cache itself, populated at once, and
 * is several times cheaper than any copy.  Anything that is not a plain
 * regular file keeps the generic reader (es_file_read).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "util/util.h"
#include "vint.h"

#define HUGE_PAGE_LEN ((size_t)2 * 1024 * 1024)

static unsigned char *buf_alloc(vfile *f, size_t len)
{
	size_t cap = (len + HUGE_PAGE_LEN - 1) & ~(HUGE_PAGE_LEN - 1);
	unsigned char *m, *aligned;

	if (len < HUGE_PAGE_LEN)
		return malloc(len);
	/* one huge page of slack to align the start */
	m = mmap(NULL, cap + HUGE_PAGE_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return malloc(len);
	aligned = (unsigned char *)(((uintptr_t)m + HUGE_PAGE_LEN - 1) & ~(uintptr_t)(HUGE_PAGE_LEN - 1));
	(void)madvise(aligned, cap, MADV_HUGEPAGE);
	f->map = m;
	f->map_len = cap + HUGE_PAGE_LEN;
	return aligned;
}

/* Read exactly the file's bytes into f; 1 when the file is not what
 * fstat said (grew meanwhile): the caller falls back. */
static int read_all(vfile *f, int fd, size_t want)
{
	size_t got = 0;
	unsigned char extra;
	ssize_t n;

	while (got < want) {
		n = read(fd, f->data + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;  /* shrank meanwhile: what is there now */
		got += (size_t)n;
	}
	f->len = got;
	if (got < want)
		return 0;
	do
		n = read(fd, &extra, 1);
	while (n < 0 && errno == EINTR);
	return n == 0 ? 0 : 1;
}

void vfile_free(vfile *f)
{
	if (f->map != NULL)
		munmap(f->map, f->map_len);
	else if (f->generic.data == NULL)
		free(f->data);
	es_buf_free(&f->generic, 0);
	memset(f, 0, sizeof(*f));
}

int vfile_read(vfile *f, const char *path, size_t max_len, int map, es_err *err)
{
	struct stat st;
	int fd, rc = 1;

	memset(f, 0, sizeof(*f));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		if ((uintmax_t)st.st_size > max_len) {
			close(fd);
			return es_err_set(err, ES_ERANGE, "%s is larger than %zu bytes", path, max_len);
		}
		if (map) {
			void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);

			if (m != MAP_FAILED) {
				close(fd);
				f->map = m;
				f->map_len = (size_t)st.st_size;
				f->data = m;
				f->len = (size_t)st.st_size;
				return 0;
			}
		}
		f->data = buf_alloc(f, (size_t)st.st_size);
		rc = f->data == NULL ? 1 : read_all(f, fd, (size_t)st.st_size);
	}
	int saved = errno;

	if (fd >= 0)
		close(fd);
	if (rc == 0)
		return 0;
	vfile_free(f);
	if (rc < 0)
		return es_err_set(err, ES_EIO, "cannot read %s: %s", path, strerror(saved));
	/* not a regular file, empty, grown meanwhile or no memory: generic path */
	if ((rc = es_file_read(&f->generic, path, max_len, err)) < 0) {
		es_buf_free(&f->generic, 0);
		return rc;
	}
	f->data = f->generic.data;
	f->len = f->generic.len;
	return 0;
}
