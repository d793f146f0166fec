/* Safe OFD package reader: every entry is read once, with limits that do not
 * trust the zip headers (zip bombs), names are checked (zip-slip), duplicate
 * names are refused.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>
#include "ofd_int.h"

#define READ_CHUNK 65536

int ofd_name_ok(const char *name)
{
	const char *s = name, *seg;
	size_t n = strlen(name);

	if (n == 0 || n > OFD_MAX_NAME_LEN || name[0] == '/')
		return -1;
	if (n >= 2 && isalpha((unsigned char)name[0]) && name[1] == ':')
		return -1; /* drive letter */
	for (; *s; s++)
		if (*s == '\\' || (unsigned char)*s < 0x20 || *s == ':')
			return -1;
	/* every segment: not empty (except a final '/' of a directory), not . or .. */
	seg = name;
	while (*seg) {
		const char *slash = strchr(seg, '/');
		size_t len = slash ? (size_t)(slash - seg) : strlen(seg);

		if (len == 0)
			return -1;
		if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return -1;
		if (!slash)
			break;
		seg = slash + 1;
	}
	return 0;
}

void ofd_path_dir(char *out, size_t cap, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) + 1 : 0;

	if (n >= cap)
		n = cap - 1;
	memcpy(out, path, n);
	out[n] = 0;
}

int ofd_path_resolve(char *out, size_t cap, const char *base, const char *ref)
{
	char tmp[2 * OFD_MAX_NAME_LEN + 2];
	char *segs[512];
	size_t nseg = 0, i, o = 0;
	char *tok, *save = NULL;
	int n;

	if (ref == NULL || ref[0] == 0 || strlen(ref) > OFD_MAX_NAME_LEN)
		return ES_EFORMAT;
	if (strchr(ref, '\\') || strstr(ref, "://"))
		return ES_EFORMAT;
	if (ref[0] == '/') {
		n = snprintf(tmp, sizeof(tmp), "%s", ref + 1);
	} else {
		char dir[OFD_MAX_NAME_LEN + 1];

		ofd_path_dir(dir, sizeof(dir), base ? base : "");
		n = snprintf(tmp, sizeof(tmp), "%s%s", dir, ref);
	}
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return ES_EFORMAT;
	for (tok = strtok_r(tmp, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			if (nseg == 0)
				return ES_EFORMAT; /* escapes the package */
			nseg--;
			continue;
		}
		if (nseg >= ES_ARRAY_LEN(segs))
			return ES_EFORMAT;
		segs[nseg++] = tok;
	}
	if (nseg == 0)
		return ES_EFORMAT;
	for (i = 0; i < nseg; i++) {
		size_t l = strlen(segs[i]);

		if (o + l + 2 > cap)
			return ES_EFORMAT;
		if (i)
			out[o++] = '/';
		memcpy(out + o, segs[i], l);
		o += l;
	}
	out[o] = 0;
	return 0;
}

const ofd_entry *ofd_pkg_find(const ofd_pkg *p, const char *path)
{
	size_t i;

	if (path[0] == '/')
		path++;
	for (i = 0; i < p->n; i++)
		if (!p->e[i].is_dir && strcmp(p->e[i].name, path) == 0)
			return &p->e[i];
	for (i = 0; i < p->n; i++)
		if (!p->e[i].is_dir && strcasecmp(p->e[i].name, path) == 0)
			return &p->e[i];
	return NULL;
}

void ofd_pkg_free(ofd_pkg *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		free(p->e[i].name);
		free(p->e[i].data);
	}
	free(p->e);
	if (p->za)
		zip_discard(p->za);
	free(p->mem);
	free(p);
}

/* Read one entry, counting real bytes, never trusting the header sizes. */
static int read_entry(ofd_pkg *p, ofd_entry *e, size_t *total, es_err *err)
{
	zip_file_t *zf = zip_fopen_index(p->za, e->index, 0);
	es_buf b = {0};
	unsigned char chunk[READ_CHUNK];
	zip_stat_t st;
	int rc = 0;

	if (zf == NULL)
		return es_err_set(err, ES_EFORMAT, "cannot open package entry %s: %s", e->name,
				  zip_strerror(p->za));
	for (;;) {
		zip_int64_t got = zip_fread(zf, chunk, sizeof(chunk));

		if (got < 0) {
			rc = es_err_set(err, ES_EFORMAT, "package entry %s is corrupt", e->name);
			goto out;
		}
		if (got == 0)
			break;
		if (b.len + (size_t)got > OFD_MAX_ENTRY_BYTES ||
		    *total + (size_t)got > OFD_MAX_TOTAL_BYTES) {
			rc = es_err_set(err, ES_ERANGE,
					"package entry %s is too large (zip bomb?); limit %u MB per entry, %u MB in all",
					e->name, OFD_MAX_ENTRY_BYTES >> 20, OFD_MAX_TOTAL_BYTES >> 20);
			goto out;
		}
		if ((rc = es_buf_append(&b, chunk, (size_t)got, err)) < 0)
			goto out;
		*total += (size_t)got;
	}
	zip_stat_init(&st);
	if (zip_stat_index(p->za, e->index, 0, &st) == 0 && (st.valid & ZIP_STAT_COMP_SIZE) &&
	    b.len > OFD_RATIO_MIN_BYTES && b.len / (st.comp_size ? st.comp_size : 1) > OFD_MAX_RATIO) {
		rc = es_err_set(err, ES_ERANGE, "package entry %s compresses more than %u:1 (zip bomb?)",
				e->name, OFD_MAX_RATIO);
		goto out;
	}
	e->data = b.data ? b.data : calloc(1, 1);
	e->len = b.len;
	b.data = NULL;
	if (e->data == NULL)
		rc = es_err_set(err, ES_ENOMEM, "out of memory");
out:
	es_buf_free(&b, 0);
	zip_fclose(zf);
	return rc;
}

static int load_entries(ofd_pkg *p, es_err *err)
{
	zip_int64_t n = zip_get_num_entries(p->za, 0);
	size_t total = 0, i, j;
	int rc;

	if (n < 0 || n > OFD_MAX_ENTRIES)
		return es_err_set(err, ES_EFORMAT, "package has too many entries (limit %d)", OFD_MAX_ENTRIES);
	p->e = calloc((size_t)n + 1, sizeof(*p->e));
	if (p->e == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	for (i = 0; i < (size_t)n; i++) {
		const char *name = zip_get_name(p->za, i, ZIP_FL_ENC_GUESS);
		ofd_entry *e = &p->e[p->n];

		if (name == NULL || ofd_name_ok(name) < 0)
			return es_err_set(err, ES_EFORMAT,
					  "package entry name %s is unsafe (absolute, '..', '\\\\' or drive letter); refusing the file",
					  name ? name : "(none)");
		/* case-insensitive: readers on case-insensitive systems would mix them up */
		for (j = 0; j < p->n; j++)
			if (strcasecmp(p->e[j].name, name) == 0)
				return es_err_set(err, ES_EFORMAT,
						  "package has two entries named %s; refusing the file", name);
		if ((rc = es_strdup(&e->name, name, err)) < 0)
			return rc;
		e->index = i;
		e->is_dir = name[strlen(name) - 1] == '/';
		p->n++;
		if (!e->is_dir && (rc = read_entry(p, e, &total, err)) < 0)
			return rc;
	}
	return 0;
}

static int finish_open(ofd_pkg *p, ofd_pkg **out, es_err *err)
{
	int rc = load_entries(p, err);

	if (rc == 0 && ofd_pkg_find(p, "OFD.xml") == NULL)
		rc = es_err_set(err, ES_EFORMAT, "not an OFD: the package has no OFD.xml");
	if (rc < 0) {
		ofd_pkg_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int ofd_pkg_open(ofd_pkg **out, const char *path, es_err *err)
{
	ofd_pkg *p = calloc(1, sizeof(*p));
	int zerr = 0;

	*out = NULL;
	if (p == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	p->za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
	if (p->za == NULL) {
		free(p);
		if (zerr == ZIP_ER_NOENT || zerr == ZIP_ER_OPEN || zerr == ZIP_ER_READ)
			return es_err_set(err, ES_EIO, "cannot read %s", path);
		return es_err_set(err, ES_EFORMAT, "%s is not an OFD (not a valid zip package)", path);
	}
	return finish_open(p, out, err);
}

int ofd_pkg_open_mem(ofd_pkg **out, const unsigned char *data, size_t len, es_err *err)
{
	ofd_pkg *p = calloc(1, sizeof(*p));
	zip_source_t *src = NULL;
	zip_error_t ze;

	*out = NULL;
	if (p == NULL || (p->mem = malloc(len ? len : 1)) == NULL) {
		free(p);
		return es_err_set(err, ES_ENOMEM, "out of memory");
	}
	memcpy(p->mem, data, len);
	zip_error_init(&ze);
	src = zip_source_buffer_create(p->mem, len, 0, &ze);
	if (src)
		p->za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	zip_error_fini(&ze);
	if (p->za == NULL) {
		zip_source_free(src);
		free(p->mem);
		free(p);
		return es_err_set(err, ES_EFORMAT, "not an OFD (not a valid zip package)");
	}
	return finish_open(p, out, err);
}
