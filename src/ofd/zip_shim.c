/* libzip, loaded on first use (see src/util/dl.h for why): only OFD needs
 * it, and with it come libbz2 and the shared zlib, which every start of
 * `eseal` mapped and relocated (≈ 0.3 ms of a one-page PDF verification,
 * docs/PERFORMANCE.md).
 *
 * Defines the libzip functions eseal calls, under their own names; each
 * forwards to the real one.  Where libzip cannot be loaded the calls fail as
 * libzip's own do (NULL or -1, with ZIP_ER_INTERNAL in an error given to
 * fill), and es_zip_require() names the Debian package.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <string.h>
#include <zip.h>
#include "ofd_int.h"
#include "util/dl.h"

static __typeof__(zip_close) *p_zip_close;
static __typeof__(zip_dir_add) *p_zip_dir_add;
static __typeof__(zip_discard) *p_zip_discard;
static __typeof__(zip_error_fini) *p_zip_error_fini;
static __typeof__(zip_fclose) *p_zip_fclose;
static __typeof__(zip_file_add) *p_zip_file_add;
static __typeof__(zip_file_set_mtime) *p_zip_file_set_mtime;
static __typeof__(zip_fopen_index) *p_zip_fopen_index;
static __typeof__(zip_fread) *p_zip_fread;
static __typeof__(zip_get_name) *p_zip_get_name;
static __typeof__(zip_get_num_entries) *p_zip_get_num_entries;
static __typeof__(zip_source_buffer) *p_zip_source_buffer;
static __typeof__(zip_source_close) *p_zip_source_close;
static __typeof__(zip_source_free) *p_zip_source_free;
static __typeof__(zip_source_keep) *p_zip_source_keep;
static __typeof__(zip_source_open) *p_zip_source_open;
static __typeof__(zip_source_read) *p_zip_source_read;
static __typeof__(zip_source_stat) *p_zip_source_stat;
static __typeof__(zip_source_zip) *p_zip_source_zip;
static __typeof__(zip_stat_index) *p_zip_stat_index;
static __typeof__(zip_stat) *p_zip_stat;
static __typeof__(zip_set_file_compression) *p_zip_set_file_compression;
static __typeof__(zip_error_init) *p_zip_error_init;
static __typeof__(zip_open) *p_zip_open;
static __typeof__(zip_open_from_source) *p_zip_open_from_source;
static __typeof__(zip_source_buffer_create) *p_zip_source_buffer_create;
static __typeof__(zip_stat_init) *p_zip_stat_init;
static __typeof__(zip_strerror) *p_zip_strerror;

static const char *const zip_sonames[] = {"libzip.so.4", NULL};
static const es_dl_sym zip_syms[] = {
	{"zip_close", (void **)&p_zip_close},
	{"zip_dir_add", (void **)&p_zip_dir_add},
	{"zip_discard", (void **)&p_zip_discard},
	{"zip_error_fini", (void **)&p_zip_error_fini},
	{"zip_fclose", (void **)&p_zip_fclose},
	{"zip_file_add", (void **)&p_zip_file_add},
	{"zip_file_set_mtime", (void **)&p_zip_file_set_mtime},
	{"zip_fopen_index", (void **)&p_zip_fopen_index},
	{"zip_fread", (void **)&p_zip_fread},
	{"zip_get_name", (void **)&p_zip_get_name},
	{"zip_get_num_entries", (void **)&p_zip_get_num_entries},
	{"zip_source_buffer", (void **)&p_zip_source_buffer},
	{"zip_source_close", (void **)&p_zip_source_close},
	{"zip_source_free", (void **)&p_zip_source_free},
	{"zip_source_keep", (void **)&p_zip_source_keep},
	{"zip_source_open", (void **)&p_zip_source_open},
	{"zip_source_read", (void **)&p_zip_source_read},
	{"zip_source_stat", (void **)&p_zip_source_stat},
	{"zip_source_zip", (void **)&p_zip_source_zip},
	{"zip_stat_index", (void **)&p_zip_stat_index},
	{"zip_stat", (void **)&p_zip_stat},
	{"zip_set_file_compression", (void **)&p_zip_set_file_compression},
	{"zip_error_init", (void **)&p_zip_error_init},
	{"zip_open", (void **)&p_zip_open},
	{"zip_open_from_source", (void **)&p_zip_open_from_source},
	{"zip_source_buffer_create", (void **)&p_zip_source_buffer_create},
	{"zip_stat_init", (void **)&p_zip_stat_init},
	{"zip_strerror", (void **)&p_zip_strerror},
};
static es_dl_lib zip_lib = {zip_sonames, zip_syms, sizeof(zip_syms) / sizeof(zip_syms[0]),
			    "libzip4", NULL, 0, ""};

int es_zip_require(es_err *err)
{
	return es_dl_require(&zip_lib, err);
}

#define ZIP_OK (es_zip_require(NULL) == 0)

int zip_close(zip_t *z)
{
	return ZIP_OK ? p_zip_close(z) : -1;
}

zip_int64_t zip_dir_add(zip_t *z, const char *name, zip_flags_t f)
{
	return ZIP_OK ? p_zip_dir_add(z, name, f) : -1;
}

void zip_discard(zip_t *z)
{
	if (ZIP_OK)
		p_zip_discard(z);
}

void zip_error_fini(zip_error_t *e)
{
	if (ZIP_OK)
		p_zip_error_fini(e);
}

int zip_fclose(zip_file_t *f)
{
	return ZIP_OK ? p_zip_fclose(f) : -1;
}

zip_int64_t zip_file_add(zip_t *z, const char *name, zip_source_t *s, zip_flags_t f)
{
	return ZIP_OK ? p_zip_file_add(z, name, s, f) : -1;
}

int zip_file_set_mtime(zip_t *z, zip_uint64_t i, time_t t, zip_flags_t f)
{
	return ZIP_OK ? p_zip_file_set_mtime(z, i, t, f) : -1;
}

zip_file_t *zip_fopen_index(zip_t *z, zip_uint64_t i, zip_flags_t f)
{
	return ZIP_OK ? p_zip_fopen_index(z, i, f) : NULL;
}

zip_int64_t zip_fread(zip_file_t *f, void *buf, zip_uint64_t n)
{
	return ZIP_OK ? p_zip_fread(f, buf, n) : -1;
}

const char *zip_get_name(zip_t *z, zip_uint64_t i, zip_flags_t f)
{
	return ZIP_OK ? p_zip_get_name(z, i, f) : NULL;
}

zip_int64_t zip_get_num_entries(zip_t *z, zip_flags_t f)
{
	return ZIP_OK ? p_zip_get_num_entries(z, f) : -1;
}

zip_source_t *zip_source_buffer(zip_t *z, const void *d, zip_uint64_t n, int fr)
{
	return ZIP_OK ? p_zip_source_buffer(z, d, n, fr) : NULL;
}

int zip_source_close(zip_source_t *s)
{
	return ZIP_OK ? p_zip_source_close(s) : -1;
}

void zip_source_free(zip_source_t *s)
{
	if (ZIP_OK)
		p_zip_source_free(s);
}

void zip_source_keep(zip_source_t *s)
{
	if (ZIP_OK)
		p_zip_source_keep(s);
}

int zip_source_open(zip_source_t *s)
{
	return ZIP_OK ? p_zip_source_open(s) : -1;
}

zip_int64_t zip_source_read(zip_source_t *s, void *buf, zip_uint64_t n)
{
	return ZIP_OK ? p_zip_source_read(s, buf, n) : -1;
}

int zip_source_stat(zip_source_t *s, zip_stat_t *st)
{
	return ZIP_OK ? p_zip_source_stat(s, st) : -1;
}

zip_source_t *zip_source_zip(zip_t *z, zip_t *src, zip_uint64_t i, zip_flags_t f, zip_uint64_t start, zip_int64_t len)
{
	return ZIP_OK ? p_zip_source_zip(z, src, i, f, start, len) : NULL;
}

int zip_stat_index(zip_t *z, zip_uint64_t i, zip_flags_t f, zip_stat_t *st)
{
	return ZIP_OK ? p_zip_stat_index(z, i, f, st) : -1;
}

int zip_stat(zip_t *z, const char *name, zip_flags_t f, zip_stat_t *st)
{
	return ZIP_OK ? p_zip_stat(z, name, f, st) : -1;
}

int zip_set_file_compression(zip_t *z, zip_uint64_t i, zip_int32_t method, zip_uint32_t level)
{
	return ZIP_OK ? p_zip_set_file_compression(z, i, method, level) : -1;
}

void zip_error_init(zip_error_t *e)
{
	if (ZIP_OK)
		p_zip_error_init(e);
	else
		memset(e, 0, sizeof(*e));
}

void zip_stat_init(zip_stat_t *st)
{
	if (ZIP_OK)
		p_zip_stat_init(st);
	else
		memset(st, 0, sizeof(*st));
}

zip_t *zip_open(const char *path, int flags, int *errorp)
{
	if (ZIP_OK)
		return p_zip_open(path, flags, errorp);
	if (errorp != NULL)
		*errorp = ZIP_ER_INTERNAL;
	return NULL;
}

zip_t *zip_open_from_source(zip_source_t *s, int flags, zip_error_t *e)
{
	if (ZIP_OK)
		return p_zip_open_from_source(s, flags, e);
	if (e != NULL)
		e->zip_err = ZIP_ER_INTERNAL;
	return NULL;
}

zip_source_t *zip_source_buffer_create(const void *d, zip_uint64_t n, int fr, zip_error_t *e)
{
	if (ZIP_OK)
		return p_zip_source_buffer_create(d, n, fr, e);
	if (e != NULL)
		e->zip_err = ZIP_ER_INTERNAL;
	return NULL;
}

const char *zip_strerror(zip_t *z)
{
	return ZIP_OK ? p_zip_strerror(z) : "libzip is not available";
}
