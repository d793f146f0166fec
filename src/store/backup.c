/* Consistent copies of the SQLite store (eseal backup / restore).
 *
 * SQLite's online backup API copies the database page by page inside one
 * read transaction, so the copy is one committed state even while `eseal
 * serve` keeps writing; a plain file copy of eseal.db plus its WAL would not
 * be.  The copy is checked with PRAGMA integrity_check before it counts.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include "eseal/backup.h"
#include "util/util.h"

#define SNAPSHOT_BUSY_TIMEOUT_MS 10000

static int db_err(es_err *err, sqlite3 *db, const char *what, const char *path)
{
	return es_err_set(err, ES_ESTORE, "%s %s: %s", what, path,
			  db != NULL ? sqlite3_errmsg(db) : "out of memory");
}

int es_store_integrity(const char *path, es_err *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	const unsigned char *answer;
	int rc = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL) != SQLITE_OK) {
		rc = db_err(err, db, "cannot check", path);
		goto out;
	}
	if (sqlite3_step(q) != SQLITE_ROW) {
		rc = db_err(err, db, "cannot check", path);
		goto out;
	}
	answer = sqlite3_column_text(q, 0);
	if (answer == NULL || strcmp((const char *)answer, "ok") != 0)
		rc = es_err_set(err, ES_ESTORE, "%s is damaged: %.120s", path,
				answer ? (const char *)answer : "no answer");
out:
	sqlite3_finalize(q);
	sqlite3_close(db);
	return rc;
}

int es_store_snapshot(const char *src_path, const char *out_path, es_err *err)
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *b = NULL;
	int rc = 0, step;

	int fd;

	/* Created here so that it is private (0600) from its first byte. */
	fd = open(out_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return es_err_set(err, errno == EEXIST ? ES_EEXISTS : ES_EIO, "cannot create %s: %s",
				  out_path, strerror(errno));
	close(fd);
	if (sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rc = db_err(err, src, "cannot open", src_path);
		goto out;
	}
	sqlite3_busy_timeout(src, SNAPSHOT_BUSY_TIMEOUT_MS);
	if (sqlite3_open_v2(out_path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		rc = db_err(err, dst, "cannot create", out_path);
		goto out;
	}
	b = sqlite3_backup_init(dst, "main", src, "main");
	if (b == NULL) {
		rc = db_err(err, dst, "cannot copy", src_path);
		goto out;
	}
	/* All pages in one step: one read transaction, one consistent state. */
	step = sqlite3_backup_step(b, -1);
	if (sqlite3_backup_finish(b) != SQLITE_OK || step != SQLITE_DONE) {
		b = NULL;
		rc = es_err_set(err, ES_ESTORE, "cannot copy %s: %s", src_path, sqlite3_errstr(step));
		goto out;
	}
	b = NULL;
	/* A self-contained file: no WAL beside it. */
	if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_err(err, dst, "cannot finish", out_path);
		goto out;
	}
out:
	sqlite3_close(dst);
	sqlite3_close(src);
	if (rc == 0)
		rc = es_store_integrity(out_path, err);
	if (rc == 0)
		rc = es_fsync_path(out_path, err);
	if (rc < 0)
		unlink(out_path);
	return rc;
}
