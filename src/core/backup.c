/* eseal backup / restore: a data directory to a checkable directory and back.
 *
 * Backup order matters: the store is copied first (one consistent state), the
 * documents after it.  The server writes a document file before the row that
 * names it, so every document the copied store refers to is in the backup
 * (later uploads may be too; they are harmless).
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <jansson.h>
#include "eseal/backup.h"
#include "eseal/platform.h"
#include "util/util.h"

#define DB_NAME "eseal.db"
#define DOCS_DIR "documents"
#define MANIFEST_NAME "MANIFEST.sha256"
#define INFO_NAME "BACKUP.json"
#define KEK_NAME "master.key"
#define COPY_CHUNK (256 * 1024)
#define MANIFEST_MAX_LEN (64u * 1024 * 1024)
#define SHA256_HEX_LEN 64
#define BACKUP_FORMAT 1

static int join(char *out, size_t cap, const char *a, const char *b, es_err *err)
{
	int n = snprintf(out, cap, "%s/%s", a, b);

	if (n < 0 || (size_t)n >= cap)
		return es_err_set(err, ES_ERANGE, "path too long: %s/%s", a, b);
	return 0;
}

/* Copy a regular file (no symlinks followed), hashing it; the copy is synced.
 * hex may be NULL. */
static int copy_file(const char *from, const char *to, int mode, char hex[65], uint64_t *bytes,
		     es_err *err)
{
	int in = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), out = -1, rc = 0;
	unsigned char *buf = malloc(COPY_CHUNK), md[32];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int mdlen = 0;
	struct stat sb;
	ssize_t n;

	if (buf == NULL || c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		rc = es_err_set(err, ES_ENOMEM, "out of memory");
		goto out;
	}
	if (in < 0 || fstat(in, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		rc = es_err_set(err, ES_EIO, "cannot read %s: %s", from,
				in < 0 ? strerror(errno) : "not a regular file");
		goto out;
	}
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0) {
		rc = es_err_set(err, ES_EIO, "cannot create %s: %s", to, strerror(errno));
		goto out;
	}
	while ((n = read(in, buf, COPY_CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(out, buf, (size_t)n) != n) {
			rc = es_err_set(err, ES_EIO, "cannot copy %s to %s: %s", from, to, strerror(errno));
			goto out;
		}
		EVP_DigestUpdate(c, buf, (size_t)n);
		if (bytes != NULL)
			*bytes += (uint64_t)n;
	}
	if (fsync(out) != 0) {
		rc = es_err_set(err, ES_EIO, "cannot sync %s: %s", to, strerror(errno));
		goto out;
	}
	if (EVP_DigestFinal_ex(c, md, &mdlen) != 1 || mdlen != sizeof(md)) {
		rc = es_err_set(err, ES_ECRYPTO, "cannot hash %s", from);
		goto out;
	}
	if (hex != NULL)
		es_hex_encode(hex, md, sizeof(md));
out:
	if (out >= 0)
		close(out);
	if (in >= 0)
		close(in);
	if (rc < 0 && out >= 0)
		unlink(to);
	EVP_MD_CTX_free(c);
	free(buf);
	return rc;
}

/* A document file name as the server writes them: no path, no dot files. */
static int plain_name(const char *n)
{
	size_t i;

	if (n[0] == '\0' || n[0] == '.' || strlen(n) > NAME_MAX)
		return 0;
	for (i = 0; n[i]; i++)
		if (n[i] == '/' || n[i] == '\\' || (unsigned char)n[i] < 0x20)
			return 0;
	return 1;
}

/* Remove a directory this module made (files and one level of subfolder). */
static void remove_tree(const char *dir)
{
	char p[PATH_MAX], q[PATH_MAX];
	DIR *d = opendir(dir), *d2;
	struct dirent *e, *e2;

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (join(p, sizeof(p), dir, e->d_name, NULL) < 0)
			continue;
		if (unlink(p) == 0 || errno != EISDIR)
			continue;
		d2 = opendir(p);
		while (d2 != NULL && (e2 = readdir(d2)) != NULL)
			if (join(q, sizeof(q), p, e2->d_name, NULL) == 0)
				unlink(q);
		if (d2 != NULL)
			closedir(d2);
		rmdir(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

static int manifest_add(es_buf *m, const char *hex, const char *name, es_err *err)
{
	return es_buf_printf(m, err, "%s  %s\n", hex, name);
}

static int copy_documents(const char *data_dir, const char *tmp, es_buf *m, es_backup_info *info,
			  es_err *err)
{
	char src[PATH_MAX], dst[PATH_MAX], from[PATH_MAX], to[PATH_MAX], name[PATH_MAX], hex[65];
	struct dirent *e;
	struct stat sb;
	DIR *d;
	int rc;

	if ((rc = join(src, sizeof(src), data_dir, DOCS_DIR, err)) < 0 ||
	    (rc = join(dst, sizeof(dst), tmp, DOCS_DIR, err)) < 0)
		return rc;
	d = opendir(src);
	if (d == NULL)
		return errno == ENOENT ? 0 : es_err_set(err, ES_EIO, "cannot read %s: %s", src, strerror(errno));
	if (mkdir(dst, 0700) != 0) {
		closedir(d);
		return es_err_set(err, ES_EIO, "cannot create %s: %s", dst, strerror(errno));
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (!plain_name(e->d_name))
			continue;
		if ((rc = join(from, sizeof(from), src, e->d_name, err)) < 0 ||
		    (rc = join(to, sizeof(to), dst, e->d_name, err)) < 0)
			break;
		if (lstat(from, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue; /* only the server's own regular files */
		snprintf(name, sizeof(name), DOCS_DIR "/%s", e->d_name);
		if ((rc = copy_file(from, to, 0600, hex, &info->bytes, err)) == 0 &&
		    (rc = manifest_add(m, hex, name, err)) == 0)
			info->files++;
	}
	closedir(d);
	return rc < 0 ? rc : es_fsync_path(dst, err);
}

static int write_info(const char *tmp, const es_backup_info *info, es_buf *m, es_err *err)
{
	char path[PATH_MAX], when[32], hex[65];
	json_t *j;
	char *text;
	int rc;

	es_time_iso(when, sizeof(when), time(NULL));
	j = json_pack("{s:i,s:s,s:s,s:I,s:I,s:s}", "format", BACKUP_FORMAT, "eseal", ESEAL_VERSION,
		      "created", when, "files", (json_int_t)info->files, "bytes", (json_int_t)info->bytes,
		      "master_key", "not included: restore needs the data directory's master.key");
	text = j ? json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII) : NULL;
	json_decref(j);
	if (text == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	if ((rc = join(path, sizeof(path), tmp, INFO_NAME, err)) == 0 &&
	    (rc = es_file_write_atomic(path, text, strlen(text), 0600, err)) == 0 &&
	    (rc = es_file_sha256(hex, path, err)) == 0)
		rc = manifest_add(m, hex, INFO_NAME, err);
	free(text);
	return rc;
}

int es_backup(const char *data_dir, const char *out_dir, es_backup_info *info, es_err *err)
{
	char db[PATH_MAX], tmp[PATH_MAX], path[PATH_MAX], hex[65];
	es_backup_info local;
	es_platform *p = NULL;
	es_buf m = {0};
	struct stat sb;
	int rc;

	if (info == NULL)
		info = &local;
	memset(info, 0, sizeof(*info));
	if ((rc = join(db, sizeof(db), data_dir, DB_NAME, err)) < 0)
		return rc;
	if (!es_path_exists(db))
		return es_err_set(err, ES_ENOTFOUND, "%s is not an eseal data directory", data_dir);
	if (lstat(out_dir, &sb) == 0)
		return es_err_set(err, ES_EEXISTS, "%s exists already; back up into a new directory", out_dir);
	if (snprintf(tmp, sizeof(tmp), "%s.partial-XXXXXX", out_dir) >= (int)sizeof(tmp))
		return es_err_set(err, ES_ERANGE, "path too long: %s", out_dir);
	if (mkdtemp(tmp) == NULL)
		return es_err_set(err, ES_EIO, "cannot create a directory beside %s: %s", out_dir,
				  strerror(errno));
	if ((rc = join(path, sizeof(path), tmp, DB_NAME, err)) < 0 ||
	    (rc = es_store_snapshot(db, path, err)) < 0 || (rc = es_file_sha256(hex, path, err)) < 0 ||
	    (rc = manifest_add(&m, hex, DB_NAME, err)) < 0)
		goto fail;
	if (stat(path, &sb) == 0)
		info->bytes += (uint64_t)sb.st_size;
	info->files = 1;
	if ((rc = copy_documents(data_dir, tmp, &m, info, err)) < 0 ||
	    (rc = write_info(tmp, info, &m, err)) < 0)
		goto fail;
	if ((rc = join(path, sizeof(path), tmp, MANIFEST_NAME, err)) < 0 ||
	    (rc = es_file_write_atomic(path, m.data, m.len, 0600, err)) < 0 || (rc = es_fsync_path(tmp, err)) < 0)
		goto fail;
	if (rename(tmp, out_dir) != 0) {
		rc = es_err_set(err, ES_EIO, "cannot create %s: %s", out_dir, strerror(errno));
		goto fail;
	}
	(void)es_fsync_parent(out_dir, NULL);
	es_buf_free(&m, 0);
	/* Recorded in the live store, after the copy: a backup does not hold its own entry. */
	if (es_platform_open(&p, data_dir, NULL) == 0) {
		snprintf(path, sizeof(path), "{\"files\":%zu,\"bytes\":%" PRIu64 "}", info->files, info->bytes);
		(void)es_audit(p, NULL, "platform.backup", out_dir, path, "ok", NULL);
		es_platform_close(p);
	}
	return 0;
fail:
	es_buf_free(&m, 0);
	remove_tree(tmp);
	return rc;
}

/* ---- restore ---- */

/* One manifest line "HEX  NAME": the name must be one eseal writes. */
static int manifest_line(const char *line, size_t len, char hex[65], char *name, size_t cap)
{
	size_t i, nlen;

	if (len < SHA256_HEX_LEN + 3 || line[SHA256_HEX_LEN] != ' ' || line[SHA256_HEX_LEN + 1] != ' ')
		return -1;
	for (i = 0; i < SHA256_HEX_LEN; i++)
		if (!((line[i] >= '0' && line[i] <= '9') || (line[i] >= 'a' && line[i] <= 'f')))
			return -1;
	memcpy(hex, line, SHA256_HEX_LEN);
	hex[SHA256_HEX_LEN] = '\0';
	nlen = len - SHA256_HEX_LEN - 2;
	if (nlen >= cap)
		return -1;
	memcpy(name, line + SHA256_HEX_LEN + 2, nlen);
	name[nlen] = '\0';
	if (strcmp(name, DB_NAME) == 0 || strcmp(name, INFO_NAME) == 0)
		return 0;
	if (strncmp(name, DOCS_DIR "/", sizeof(DOCS_DIR)) == 0 && plain_name(name + sizeof(DOCS_DIR)))
		return 0;
	return -1;
}

static int restore_files(const char *backup_dir, const char *tmp, es_backup_info *info, es_err *err)
{
	char path[PATH_MAX], from[PATH_MAX], to[PATH_MAX], name[PATH_MAX], want[65], got[65];
	es_buf m = {0};
	size_t off = 0, len;
	const char *nl;
	int rc, have_db = 0, have_docs = 0;

	if ((rc = join(path, sizeof(path), backup_dir, MANIFEST_NAME, err)) < 0)
		return rc;
	if ((rc = es_file_read(&m, path, MANIFEST_MAX_LEN, err)) < 0)
		return rc;
	while (rc == 0 && off < m.len) {
		nl = memchr(m.data + off, '\n', m.len - off);
		len = nl ? (size_t)(nl - (const char *)m.data) - off : m.len - off;
		if (manifest_line((const char *)m.data + off, len, want, name, sizeof(name)) < 0) {
			rc = es_err_set(err, ES_EFORMAT, "%s line \"%.60s\" is not a file of an eseal backup",
					MANIFEST_NAME, (const char *)m.data + off);
			break;
		}
		off += len + 1;
		if (strncmp(name, DOCS_DIR "/", sizeof(DOCS_DIR)) == 0 && !have_docs) {
			if ((rc = join(to, sizeof(to), tmp, DOCS_DIR, err)) < 0)
				break;
			if (mkdir(to, 0700) != 0) {
				rc = es_err_set(err, ES_EIO, "cannot create %s: %s", to, strerror(errno));
				break;
			}
			have_docs = 1;
		}
		if ((rc = join(from, sizeof(from), backup_dir, name, err)) < 0)
			break;
		if (strcmp(name, INFO_NAME) == 0) /* checked, not restored: it describes the backup */
			rc = es_file_sha256(got, from, err);
		else if ((rc = join(to, sizeof(to), tmp, name, err)) == 0 &&
			 (rc = copy_file(from, to, 0600, got, &info->bytes, err)) == 0)
			info->files++;
		if (rc < 0)
			break;
		if (CRYPTO_memcmp(got, want, SHA256_HEX_LEN) != 0) {
			rc = es_err_set(err, ES_EVERIFY, "%s in the backup does not match its SHA-256 in %s",
					name, MANIFEST_NAME);
			break;
		}
		have_db |= strcmp(name, DB_NAME) == 0;
	}
	es_buf_free(&m, 0);
	if (rc == 0 && !have_db)
		rc = es_err_set(err, ES_EFORMAT, "%s lists no %s", MANIFEST_NAME, DB_NAME);
	if (rc == 0 && have_docs && (rc = join(to, sizeof(to), tmp, DOCS_DIR, err)) == 0)
		rc = es_fsync_path(to, err);
	return rc;
}

/* The restored directory must be a working platform. */
static int restore_check(const char *tmp, es_backup_info *info, es_err *err)
{
	char db[PATH_MAX], why[160] = "";
	const es_pki_family *f;
	es_platform *p = NULL;
	int64_t bad = 0;
	size_t count = 0;
	int rc;

	if ((rc = join(db, sizeof(db), tmp, DB_NAME, err)) < 0 || (rc = es_store_integrity(db, err)) < 0 ||
	    (rc = es_platform_open(&p, tmp, err)) < 0)
		return rc;
	if ((rc = es_audit_verify(p, &bad, &count, why, sizeof(why), err)) < 0)
		goto out;
	if (bad != 0) {
		rc = es_err_set(err, ES_EVERIFY, "the audit log in the backup is broken at entry %" PRId64 ": %s",
				bad, why);
		goto out;
	}
	info->audit_entries = (int64_t)count;
	if (es_platform_family_keys(p, ES_ALG_SM2, ES_FAM_ALL_KEYS, &f, NULL) < 0 ||
	    es_platform_family_keys(p, ES_ALG_P256, ES_FAM_ALL_KEYS, &f, NULL) < 0)
		rc = es_err_set(err, ES_EAUTH, "the master key does not open this backup's platform keys; "
					      "use the master.key of the data directory that was backed up");
out:
	es_platform_close(p);
	return rc;
}

/* data_dir may exist when empty (a mount point, a prepared directory). */
static int target_free(const char *data_dir, int *exists, es_err *err)
{
	DIR *d = opendir(data_dir);
	struct dirent *e;
	int empty = 1;

	*exists = d != NULL;
	if (d == NULL)
		return errno == ENOENT ? 0 : es_err_set(err, ES_EIO, "cannot read %s: %s", data_dir, strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty ? 0 : es_err_set(err, ES_EEXISTS, "%s is not empty; restore into a new or empty directory",
				     data_dir);
}

int es_restore(const char *backup_dir, const char *data_dir, const char *master_key_file,
	       es_backup_info *info, es_err *err)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	es_backup_info local;
	int rc, exists = 0;

	if (info == NULL)
		info = &local;
	memset(info, 0, sizeof(*info));
	if ((rc = target_free(data_dir, &exists, err)) < 0)
		return rc;
	if (master_key_file == NULL && getenv("ESEAL_MASTER_KEY_FILE") == NULL)
		return es_err_set(err, ES_EINVAL, "restore needs the master key: --master-key FILE "
						  "(or $ESEAL_MASTER_KEY_FILE)");
	if (snprintf(tmp, sizeof(tmp), "%s.restore-XXXXXX", data_dir) >= (int)sizeof(tmp))
		return es_err_set(err, ES_ERANGE, "path too long: %s", data_dir);
	if (mkdtemp(tmp) == NULL)
		return es_err_set(err, ES_EIO, "cannot create a directory beside %s: %s", data_dir,
				  strerror(errno));
	if ((rc = restore_files(backup_dir, tmp, info, err)) < 0)
		goto fail;
	if (master_key_file != NULL &&
	    ((rc = join(path, sizeof(path), tmp, KEK_NAME, err)) < 0 ||
	     (rc = copy_file(master_key_file, path, 0600, NULL, NULL, err)) < 0))
		goto fail;
	if ((rc = restore_check(tmp, info, err)) < 0 || (rc = es_fsync_path(tmp, err)) < 0)
		goto fail;
	if ((exists && rmdir(data_dir) != 0) || rename(tmp, data_dir) != 0) {
		rc = es_err_set(err, ES_EIO, "cannot move the restored data to %s: %s", data_dir, strerror(errno));
		goto fail;
	}
	(void)es_fsync_parent(data_dir, NULL);
	return 0;
fail:
	remove_tree(tmp);
	return rc;
}
