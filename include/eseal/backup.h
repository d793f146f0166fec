/* Backup and restore of a data directory (docs/backup.md).
 *
 * A backup is a directory: eseal.db (a consistent copy of the store, taken
 * online), documents/ (the server's stored documents), BACKUP.json (what,
 * when, which platform) and MANIFEST.sha256 (every file's SHA-256, in the
 * format `sha256sum -c` reads).  The master key is never in it: keep it apart.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#ifndef ESEAL_BACKUP_H
#define ESEAL_BACKUP_H

#include <stddef.h>
#include <stdint.h>
#include "eseal/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct es_backup_info {
	size_t files;          /**< files in the manifest */
	uint64_t bytes;        /**< their total size */
	int64_t audit_entries; /**< audit entries in the copied store (restore: checked) */
} es_backup_info;

/** Write a backup of data_dir into out_dir, which must not exist; it appears
 * only when complete (built beside it, synced, renamed). */
int es_backup(const char *data_dir, const char *out_dir, es_backup_info *info, es_err *err);

/** Restore backup_dir into data_dir (absent or empty).  Every file must match
 * the manifest; the restored store must pass SQLite's integrity check and the
 * audit chain check, and the master key (data_dir/master.key after copying
 * master_key_file when given, else $ESEAL_MASTER_KEY_FILE) must open the
 * platform keys.  On any failure nothing is left at data_dir. */
int es_restore(const char *backup_dir, const char *data_dir, const char *master_key_file,
	       es_backup_info *info, es_err *err);

/* ---- store level (src/store/backup.c) ---- */

/** Consistent online copy of the SQLite file src_path into out_path (must
 * not exist): integrity-checked and synced; nothing left on failure. */
int es_store_snapshot(const char *src_path, const char *out_path, es_err *err);
/** PRAGMA integrity_check of the SQLite file at path. */
int es_store_integrity(const char *path, es_err *err);

#ifdef __cplusplus
}
#endif
#endif
