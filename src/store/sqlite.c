/* SQLite implementation of the eseal store.
 * SPDX-License-Identifier: AGPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>
#include <openssl/evp.h>
#include "eseal/store.h"
#include "util/util.h"

/* Other processes (the CLI next to a running server) still meet SQLite's
 * busy handler; threads of this process queue on st_wlock first. */
#define ES_STORE_BUSY_TIMEOUT_MS 5000
/* Read the database file through a memory map: a connection's page cache
 * is dropped whenever another connection commits, and re-reading it with
 * pread() costs dozens of system calls per request in the server.  Address
 * space only; writes still go through the WAL. */
#define ES_STORE_MMAP_PRAGMA "PRAGMA mmap_size=268435456"
/* waiting for the trust file's writers: 200 × 10 ms */
#define TRUST_LOCK_TRIES 200
#define TRUST_LOCK_SLEEP_US 10000
/* bytes the write-ahead log keeps after a checkpoint; emptied on last close */
#define ES_STORE_WAL_LIMIT "4194304"
/* Distinct SQL texts kept prepared per connection; the store has fewer. */
#define ES_STORE_STMT_CACHE_MAX 256

#include "store_int.h"

/* Versioned migrations, applied in order on open (PRAGMA user_version). */
extern const char *const es_store_migration_server;
static const char *migrations[] = {
	/* 1: foundation */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);"
	"CREATE TABLE pki (name TEXT PRIMARY KEY, cert BLOB NOT NULL, key BLOB);"
	"CREATE TABLE orgs (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
	" uscc TEXT NOT NULL UNIQUE, legal_rep_login TEXT, created_at INTEGER NOT NULL);"
	"CREATE TABLE users (id INTEGER PRIMARY KEY, login TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
	" id_number_enc BLOB, id_number_masked TEXT, id_number_hmac TEXT UNIQUE,"
	" bank_card_enc BLOB, bank_card_masked TEXT, mobile_enc BLOB, mobile_masked TEXT,"
	" totp_enc BLOB, org_id INTEGER REFERENCES orgs(id), password_hash TEXT NOT NULL,"
	" identity_checked INTEGER NOT NULL DEFAULT 0, failed_logins INTEGER NOT NULL DEFAULT 0,"
	" locked_until INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
	"CREATE TABLE user_roles (user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" role TEXT NOT NULL, PRIMARY KEY (user_id, role));"
	"CREATE TABLE seal_applications (id INTEGER PRIMARY KEY, applicant TEXT NOT NULL,"
	" owner_kind TEXT NOT NULL CHECK (owner_kind IN ('org','user')),"
	" owner_org_id INTEGER REFERENCES orgs(id), owner_login TEXT, kind TEXT NOT NULL,"
	" text TEXT, template TEXT, taxpayer_no TEXT, state TEXT NOT NULL DEFAULT 'submitted'"
	" CHECK (state IN ('submitted','approved','rejected')),"
	" reason TEXT, reviewer TEXT, seal_code TEXT, created_at INTEGER NOT NULL, decided_at INTEGER);"
	"CREATE TABLE seals (code TEXT PRIMARY KEY, app_id INTEGER REFERENCES seal_applications(id),"
	" kind TEXT NOT NULL, name TEXT NOT NULL, owner_kind TEXT NOT NULL, owner_org_id INTEGER,"
	" owner_login TEXT, template TEXT, text TEXT, taxpayer_no TEXT, state TEXT NOT NULL DEFAULT 'active'"
	" CHECK (state IN ('active','suspended','revoked')), state_reason TEXT,"
	" valid_start INTEGER NOT NULL, valid_end INTEGER NOT NULL, created_at INTEGER NOT NULL,"
	" sm2_cert BLOB NOT NULL, sm2_key BLOB NOT NULL, p256_cert BLOB NOT NULL, p256_key BLOB NOT NULL,"
	" esl BLOB NOT NULL, picture_png BLOB NOT NULL, width_mm REAL NOT NULL, height_mm REAL NOT NULL);"
	"CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"CREATE TABLE revocations (family TEXT NOT NULL, serial TEXT NOT NULL, revoked_at INTEGER NOT NULL,"
	" reason INTEGER NOT NULL, PRIMARY KEY (family, serial));"
	"CREATE TABLE audit (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, actor TEXT NOT NULL,"
	" action TEXT NOT NULL, object TEXT NOT NULL, details TEXT NOT NULL, client TEXT NOT NULL,"
	" outcome TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);",
	/* 2: server tables (src/store/server_tables.c) */
	NULL,
	/* 3: the seal's vector appearance (PDF content stream), made once at
	 * issuance so that signing needs no font */
	"ALTER TABLE seals ADD COLUMN appearance BLOB;",
	/* 4: TSA anchors of the audit chain's head (src/core/audit_anchor.c);
	 * fresh stores get it from migration 2 already */
	"CREATE TABLE IF NOT EXISTS audit_anchors (id INTEGER PRIMARY KEY, audit_id INTEGER NOT NULL,"
	" head_hash TEXT NOT NULL, tst BLOB NOT NULL, created_at INTEGER NOT NULL);",
	/* 5: the last TOTP time step each user spent: a code is accepted once
	 * (RFC 6238 section 5.2) */
	"ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;",
	/* 6: the holder certificates a seal had before a renewal (续期): its
	 * earlier signatures stay checkable, and revoking the seal revokes them */
	"CREATE TABLE seal_certs (code TEXT NOT NULL REFERENCES seals(code), family TEXT NOT NULL,"
	" cert BLOB NOT NULL, replaced_at INTEGER NOT NULL);"
	"CREATE INDEX seal_certs_code ON seal_certs(code);",
};

/* ---- in-process writer lock ----
 * SQLite admits one writer per database file.  A connection that finds the
 * file locked sleeps in the busy handler (1, 2, 5, 10 … ms) and tries again,
 * so under load the server's threads sleep instead of waiting for the lock
 * to be let go.  Every es_store of a file in this process shares one mutex,
 * taken around BEGIN IMMEDIATE … COMMIT and around a write outside a
 * transaction; the busy timeout stays for writers in other processes. */
struct st_wlock {
	dev_t dev;
	ino_t ino;
	int refs;
	pthread_mutex_t mu;        /* error-checking: a second connection of the
				    * holding thread gets EDEADLK, not a hang */
	struct st_wlock *next;
};

static pthread_mutex_t wlocks_mu = PTHREAD_MUTEX_INITIALIZER;
static struct st_wlock *wlocks;

/* The lock of the file at path (NULL when it cannot be identified: the
 * store then relies on SQLite's busy handler alone). */
static struct st_wlock *wlock_ref(const char *path)
{
	struct st_wlock *w;
	pthread_mutexattr_t a;
	struct stat sb;

	if (stat(path, &sb) != 0)
		return NULL;
	pthread_mutex_lock(&wlocks_mu);
	for (w = wlocks; w != NULL; w = w->next)
		if (w->dev == sb.st_dev && w->ino == sb.st_ino)
			break;
	if (w == NULL && (w = calloc(1, sizeof(*w))) != NULL) {
		w->dev = sb.st_dev;
		w->ino = sb.st_ino;
		pthread_mutexattr_init(&a);
		pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
		pthread_mutex_init(&w->mu, &a);
		pthread_mutexattr_destroy(&a);
		w->next = wlocks;
		wlocks = w;
	}
	if (w != NULL)
		w->refs++;
	pthread_mutex_unlock(&wlocks_mu);
	return w;
}

static void wlock_unref(struct st_wlock *w)
{
	struct st_wlock **pp;

	if (w == NULL)
		return;
	pthread_mutex_lock(&wlocks_mu);
	if (--w->refs == 0) {
		for (pp = &wlocks; *pp != NULL; pp = &(*pp)->next) {
			if (*pp == w) {
				*pp = w->next;
				break;
			}
		}
		pthread_mutex_destroy(&w->mu);
		free(w);
	}
	pthread_mutex_unlock(&wlocks_mu);
}

/* Queue for the file's writer lock.  A thread that holds it already through
 * another connection goes on without it (SQLite decides, as before). */
static void wlock_take(es_store *st)
{
	if (st->wlock == NULL || st->wlocked)
		return;
	if (pthread_mutex_lock(&st->wlock->mu) == 0)
		st->wlocked = 1;
}

static void wlock_give(es_store *st)
{
	if (!st->wlocked)
		return;
	st->wlocked = 0;
	pthread_mutex_unlock(&st->wlock->mu);
}

int st_db_err(es_store *st, es_err *err, const char *what)
{
	return es_err_set(err, ES_ESTORE, "store: %s: %s", what, sqlite3_errmsg(st->db));
}

static int exec(es_store *st, const char *sql, es_err *err)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = es_err_set(err, ES_ESTORE, "store: %s", msg ? msg : "error");
		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

int es_store_schema_version(es_store *st)
{
	sqlite3_stmt *s = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int migrate(es_store *st, es_err *err)
{
	int v = es_store_schema_version(st), rc;
	size_t i;
	char sql[64];

	if (v < 0)
		return st_db_err(st, err, "cannot read schema version");
	if ((size_t)v > ES_ARRAY_LEN(migrations))
		return es_err_set(err, ES_ESTORE,
			"store schema version %d is newer than this eseal (%zu); upgrade eseal",
			v, ES_ARRAY_LEN(migrations));
	migrations[1] = es_store_migration_server;
	for (i = (size_t)v; i < ES_ARRAY_LEN(migrations); i++) {
		if ((rc = es_store_begin(st, err)) < 0)
			return rc;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", i + 1);
		if ((rc = exec(st, migrations[i], err)) < 0 || (rc = exec(st, sql, err)) < 0) {
			es_store_rollback(st);
			return rc;
		}
		if ((rc = es_store_commit(st, err)) < 0)
			return rc;
	}
	return 0;
}

int es_store_open(es_store **out, const char *path, int create, es_err *err)
{
	es_store *st;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	int rc, persist = 1;

	*out = NULL;
	if (!create && !es_path_exists(path))
		return es_err_set(err, ES_ENOTFOUND,
			"no eseal data at %s; run 'eseal init' first or pass --data DIR", path);
	if ((rc = es_sqlite_require(err)) < 0)
		return rc;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return es_err_set(err, ES_ENOMEM, "out of memory");
	st->trust_fd = -1;
	if ((st->trust_path = malloc(strlen(path) + sizeof(ES_STORE_TRUST_SUFFIX))) != NULL)
		sprintf(st->trust_path, "%s%s", path, ES_STORE_TRUST_SUFFIX);
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		rc = es_err_set(err, ES_ESTORE, "cannot open store %s: %s", path,
				st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, ES_STORE_BUSY_TIMEOUT_MS);
	/* The write-ahead log and its index stay on disk between processes
	 * (emptied, not deleted, by the last one out): a one-shot command then
	 * creates, chowns, sizes and unlinks no files. */
	(void)sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	if ((rc = exec(st, "PRAGMA journal_mode=WAL; PRAGMA journal_size_limit=" ES_STORE_WAL_LIMIT ";"
			   "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;",
			   err)) < 0 ||
	    (rc = exec(st, ES_STORE_MMAP_PRAGMA, err)) < 0)
		goto fail;
	st->wlock = wlock_ref(path);
	if ((rc = migrate(st, err)) < 0)
		goto fail;
	*out = st;
	return 0;
fail:
	es_store_close(st);
	return rc;
}

/* ---- the verifiers' trust file (<store>-trust) ----
 *
 * `eseal verify` keeps the anchors and CRLs it read from the store in a file
 * beside it, so that the next one-shot verification need not open SQLite
 * (src/core/trust_cache.c).  It must never outlive a change of the
 * revocations: such a change locks the data directory exclusively (flock),
 * removes the file before it commits and again after, and a verifier writes
 * the file only under a shared lock, taken without waiting, after checking
 * that the revocations are still those it read.  So a file written from the
 * state before a change is either removed by it or never written; a crash
 * releases the lock with the process. */

static int trust_dir_fd(const es_store *st)
{
	char dir[PATH_MAX];

	if (st->trust_path == NULL || snprintf(dir, sizeof(dir), "%s", st->trust_path) >= (int)sizeof(dir))
		return -1;
	return open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

void st_trust_change_begin(es_store *st)
{
	int waited;

	if (st->trust_changing || st->trust_path == NULL)
		return;
	st->trust_changing = 1;
	st->trust_fd = trust_dir_fd(st);
	/* Writers hold the shared lock for one small file write.  One that is
	 * stopped (^Z) must not hold revocations up: after a while go on
	 * unlocked; the writer's re-check after its rename still removes a file
	 * it made from the old revocations (only a crash of this process
	 * between its commit and its second unlink could then leave one). */
	for (waited = 0; st->trust_fd >= 0 && flock(st->trust_fd, LOCK_EX | LOCK_NB) != 0; waited++) {
		if (waited >= TRUST_LOCK_TRIES) {
			close(st->trust_fd);
			st->trust_fd = -1;
			break;
		}
		usleep(TRUST_LOCK_SLEEP_US);
	}
	(void)unlink(st->trust_path);  /* even without the lock: it must go */
}

void st_trust_change_end(es_store *st)
{
	if (!st->trust_changing)
		return;
	(void)unlink(st->trust_path);
	if (st->trust_fd >= 0)
		close(st->trust_fd);  /* releases the lock */
	st->trust_fd = -1;
	st->trust_changing = 0;
}

const char *es_store_trust_path(const es_store *st)
{
	return st->trust_path ? st->trust_path : "";
}

int es_store_trust_lock_shared(es_store *st)
{
	int fd = st->trust_changing ? -1 : trust_dir_fd(st);

	if (fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

void es_store_trust_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

void es_store_close(es_store *st)
{
	size_t i;

	if (st == NULL)
		return;
	if (st->in_tx)
		es_store_rollback(st);
	st_trust_change_end(st);
	free(st->trust_path);
	for (i = 0; i < st->ncache; i++)
		sqlite3_finalize(st->cache[i].stmt);
	free(st->cache);
	sqlite3_close_v2(st->db);
	wlock_give(st);
	wlock_unref(st->wlock);
	free(st);
}

int es_store_begin(es_store *st, es_err *err)
{
	int rc;

	if (st->in_tx)
		return es_err_set(err, ES_ESTATE, "store: transaction already open");
	wlock_take(st);
	if ((rc = exec(st, "BEGIN IMMEDIATE", err)) == 0)
		st->in_tx = 1;
	else if (st->auto_write == NULL)
		wlock_give(st);
	return rc;
}

/* The transaction is over: let the next writer of this process in. */
static void tx_end(es_store *st)
{
	st->in_tx = 0;
	st_trust_change_end(st);
	if (st->auto_write == NULL)
		wlock_give(st);
}

int es_store_commit(es_store *st, es_err *err)
{
	int rc = exec(st, "COMMIT", err);

	if (rc < 0)
		exec(st, "ROLLBACK", NULL);
	tx_end(st);
	return rc;
}

void es_store_rollback(es_store *st)
{
	if (st->in_tx)
		exec(st, "ROLLBACK", NULL);
	tx_end(st);
}

/* ---- statement helpers ---- */

/* The cache slot of sql, or NULL.  The address finds it; the text confirms
 * it, so a caller passing a reused buffer gets its own statement. */
static st_cached *cache_find(es_store *st, const char *sql)
{
	size_t i;

	for (i = 0; i < st->ncache; i++)
		if (st->cache[i].sql == sql)
			return strcmp(sqlite3_sql(st->cache[i].stmt), sql) == 0 ? &st->cache[i] : NULL;
	return NULL;
}

static void cache_add(es_store *st, const char *sql, sqlite3_stmt *s)
{
	st_cached *grown;
	size_t i, cap;

	for (i = 0; i < st->ncache; i++)
		if (st->cache[i].sql == sql)
			return; /* same address, other text: keep that one uncached */
	if (st->ncache == st->cache_cap) {
		if (st->cache_cap >= ES_STORE_STMT_CACHE_MAX)
			return;
		cap = st->cache_cap ? st->cache_cap * 2 : 32;
		grown = realloc(st->cache, cap * sizeof(*grown));
		if (grown == NULL)
			return;
		st->cache = grown;
		st->cache_cap = cap;
	}
	st->cache[st->ncache].sql = sql;
	st->cache[st->ncache].stmt = s;
	st->cache[st->ncache].in_use = 1;
	st->ncache++;
}

int st_prep(es_store *st, sqlite3_stmt **s, const char *sql, es_err *err)
{
	st_cached *c = cache_find(st, sql);

	if (c != NULL && !c->in_use) {
		c->in_use = 1;
		*s = c->stmt;
		return 0;
	}
	/* Not seen yet, or in use further up the stack: a new statement.  The
	 * persistent flag tells SQLite it will live long (lookaside memory). */
	if (sqlite3_prepare_v3(st->db, sql, -1, c == NULL ? SQLITE_PREPARE_PERSISTENT : 0, s, NULL) != SQLITE_OK) {
		sqlite3_finalize(*s);
		*s = NULL;
		return st_db_err(st, err, "prepare");
	}
	if (c == NULL)
		cache_add(st, sql, *s);
	return 0;
}

void st_release(es_store *st, sqlite3_stmt *s)
{
	size_t i;
	int cached = 0;

	if (s == NULL)
		return;
	for (i = 0; i < st->ncache && !cached; i++) {
		if (st->cache[i].stmt == s) {
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			st->cache[i].in_use = 0;
			cached = 1;
		}
	}
	if (!cached)
		sqlite3_finalize(s);
	/* reset/finalize ended the autocommit transaction of a write */
	if (st->auto_write == s) {
		st->auto_write = NULL;
		if (!st->in_tx)
			wlock_give(st);
	}
}

int st_step(es_store *st, sqlite3_stmt *s)
{
	if (!st->in_tx && st->auto_write == NULL && !sqlite3_stmt_readonly(s)) {
		wlock_take(st);
		if (st->wlocked)
			st->auto_write = s;
	}
	return sqlite3_step(s);
}

void st_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

static void bind_blob(sqlite3_stmt *s, int i, const es_blob *b)
{
	if (b == NULL || b->data == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_blob(s, i, b->data, (int)b->len, SQLITE_TRANSIENT);
}

char *st_col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return strdup(t ? (const char *)t : "");
}

static void col_blob(sqlite3_stmt *s, int i, es_blob *b)
{
	const void *p = sqlite3_column_blob(s, i);
	int n = sqlite3_column_bytes(s, i);

	b->data = NULL;
	b->len = 0;
	if (p == NULL)
		return;
	b->data = malloc((size_t)n + 1);
	if (b->data == NULL)
		return;
	memcpy(b->data, p, (size_t)n);
	b->data[n] = '\0';
	b->len = (size_t)n;
}

static void blob_free(es_blob *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

/* Run a statement that returns no rows.  Maps UNIQUE violations to ES_EEXISTS. */
int st_step_done(es_store *st, sqlite3_stmt *s, const char *what, es_err *err)
{
	int r = st_step(st, s);
	int rc = 0;

	if (r == SQLITE_CONSTRAINT && (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_UNIQUE ||
				       sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_PRIMARYKEY))
		rc = es_err_set(err, ES_EEXISTS, "%s already exists", what);
	else if (r != SQLITE_DONE)
		rc = st_db_err(st, err, what);
	st_release(st, s);
	return rc;
}

/* ---- meta / pki ---- */

int es_store_meta_put(es_store *st, const char *key, const void *val, size_t len, es_err *err)
{
	sqlite3_stmt *s;
	es_blob b = {(unsigned char *)val, len};
	int rc;

	if ((rc = st_prep(st, &s, "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", err)) < 0)
		return rc;
	st_bind_text(s, 1, key);
	bind_blob(s, 2, &b);
	return st_step_done(st, s, "setting", err);
}

int es_store_meta_get(es_store *st, const char *key, es_blob *out, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT value FROM meta WHERE key = ?", err)) < 0)
		return rc;
	st_bind_text(s, 1, key);
	if (st_step(st, s) == SQLITE_ROW)
		col_blob(s, 0, out);
	else
		rc = es_err_set(err, ES_ENOTFOUND, "setting %s is not set", key);
	st_release(st, s);
	return rc;
}

int es_store_pki_put(es_store *st, const char *name, const es_blob *cert_der,
		     const es_blob *key_wrapped, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "INSERT INTO pki(name, cert, key) VALUES (?, ?, ?)", err)) < 0)
		return rc;
	st_bind_text(s, 1, name);
	bind_blob(s, 2, cert_der);
	bind_blob(s, 3, key_wrapped);
	return st_step_done(st, s, "PKI object", err);
}

int es_store_pki_get(es_store *st, const char *name, es_blob *cert_der,
		     es_blob *key_wrapped, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT cert, key FROM pki WHERE name = ?", err)) < 0)
		return rc;
	st_bind_text(s, 1, name);
	if (st_step(st, s) == SQLITE_ROW) {
		col_blob(s, 0, cert_der);
		if (key_wrapped != NULL)
			col_blob(s, 1, key_wrapped);
	} else {
		rc = es_err_set(err, ES_ENOTFOUND, "platform PKI object %s is missing; is the data dir initialised?", name);
	}
	st_release(st, s);
	return rc;
}

/* ---- organisations ---- */

int es_store_org_insert(es_store *st, es_org_row *row, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "INSERT INTO orgs(name, uscc, legal_rep_login, created_at)"
			       " VALUES (?, ?, ?, ?)", err)) < 0)
		return rc;
	st_bind_text(s, 1, row->name);
	st_bind_text(s, 2, row->uscc);
	st_bind_text(s, 3, row->legal_rep_login);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)row->created_at);
	if ((rc = st_step_done(st, s, "an organisation with this unified social credit code", err)) == 0)
		row->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

#define ORG_COLS "id, name, uscc, legal_rep_login, created_at"
static void org_from(sqlite3_stmt *s, es_org_row *o)
{
	o->id = sqlite3_column_int64(s, 0);
	o->name = st_col_text(s, 1);
	o->uscc = st_col_text(s, 2);
	o->legal_rep_login = st_col_text(s, 3);
	o->created_at = (time_t)sqlite3_column_int64(s, 4);
}

int es_store_org_get(es_store *st, int64_t id, es_org_row *out, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT " ORG_COLS " FROM orgs WHERE id = ?", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	if (st_step(st, s) == SQLITE_ROW)
		org_from(s, out);
	else
		rc = es_err_set(err, ES_ENOTFOUND, "organisation %lld does not exist", (long long)id);
	st_release(st, s);
	return rc;
}

int es_store_org_list(es_store *st, es_org_row **rows, size_t *n, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT " ORG_COLS " FROM orgs ORDER BY id", err)) < 0)
		return rc;
	COLLECT(st, s, rows, n, es_org_row, org_from, err);
	st_release(st, s);
	return rc;
}

void es_org_row_clear(es_org_row *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r->uscc);
	free(r->legal_rep_login);
	memset(r, 0, sizeof(*r));
}

/* ---- users ---- */

static int roles_insert(es_store *st, int64_t user_id, char **roles, size_t n, es_err *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		sqlite3_stmt *s;
		if ((rc = st_prep(st, &s, "INSERT OR IGNORE INTO user_roles(user_id, role) VALUES (?, ?)", err)) < 0)
			break;
		sqlite3_bind_int64(s, 1, user_id);
		st_bind_text(s, 2, roles[i]);
		rc = st_step_done(st, s, "role", err);
	}
	return rc;
}

int es_store_user_insert(es_store *st, es_user_row *u, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s,
		"INSERT INTO users(login, name, id_number_enc, id_number_masked, id_number_hmac,"
		" bank_card_enc, bank_card_masked, mobile_enc, mobile_masked, totp_enc, org_id,"
		" password_hash, identity_checked, created_at)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", err)) < 0)
		return rc;
	st_bind_text(s, 1, u->login);
	st_bind_text(s, 2, u->name);
	bind_blob(s, 3, &u->id_number_enc);
	st_bind_text(s, 4, u->id_number_masked);
	st_bind_text(s, 5, u->id_number_hmac);
	bind_blob(s, 6, &u->bank_card_enc);
	st_bind_text(s, 7, u->bank_card_masked);
	bind_blob(s, 8, &u->mobile_enc);
	st_bind_text(s, 9, u->mobile_masked);
	bind_blob(s, 10, &u->totp_enc);
	if (u->org_id > 0)
		sqlite3_bind_int64(s, 11, u->org_id);
	else
		sqlite3_bind_null(s, 11);
	st_bind_text(s, 12, u->password_hash);
	sqlite3_bind_int(s, 13, u->identity_checked);
	sqlite3_bind_int64(s, 14, (sqlite3_int64)u->created_at);
	if ((rc = st_step_done(st, s, "a user with this login or resident ID number", err)) < 0)
		return rc;
	u->id = sqlite3_last_insert_rowid(st->db);
	return roles_insert(st, u->id, u->roles, u->nroles, err);
}

#define USER_COLS "id, login, name, id_number_enc, id_number_masked, id_number_hmac," \
	" bank_card_enc, bank_card_masked, mobile_enc, mobile_masked, totp_enc, COALESCE(org_id, 0)," \
	" password_hash, identity_checked, failed_logins, locked_until, created_at"
static void user_from(sqlite3_stmt *s, es_user_row *u)
{
	u->id = sqlite3_column_int64(s, 0);
	u->login = st_col_text(s, 1);
	u->name = st_col_text(s, 2);
	col_blob(s, 3, &u->id_number_enc);
	u->id_number_masked = st_col_text(s, 4);
	u->id_number_hmac = st_col_text(s, 5);
	col_blob(s, 6, &u->bank_card_enc);
	u->bank_card_masked = st_col_text(s, 7);
	col_blob(s, 8, &u->mobile_enc);
	u->mobile_masked = st_col_text(s, 9);
	col_blob(s, 10, &u->totp_enc);
	u->org_id = sqlite3_column_int64(s, 11);
	u->password_hash = st_col_text(s, 12);
	u->identity_checked = sqlite3_column_int(s, 13);
	u->failed_logins = sqlite3_column_int(s, 14);
	u->locked_until = (time_t)sqlite3_column_int64(s, 15);
	u->created_at = (time_t)sqlite3_column_int64(s, 16);
}

static int roles_load(es_store *st, es_user_row *u, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT role FROM user_roles WHERE user_id = ? ORDER BY role", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, u->id);
	while (st_step(st, s) == SQLITE_ROW) {
		char **p = realloc(u->roles, (u->nroles + 1) * sizeof(*p));
		if (p == NULL) {
			rc = es_err_set(err, ES_ENOMEM, "out of memory");
			break;
		}
		u->roles = p;
		u->roles[u->nroles++] = st_col_text(s, 0);
	}
	st_release(st, s);
	return rc;
}

int es_store_user_get(es_store *st, const char *login, es_user_row *out, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT " USER_COLS " FROM users WHERE login = ?", err)) < 0)
		return rc;
	st_bind_text(s, 1, login);
	if (st_step(st, s) == SQLITE_ROW)
		user_from(s, out);
	else
		rc = es_err_set(err, ES_ENOTFOUND, "user %s does not exist", login);
	st_release(st, s);
	if (rc == 0)
		rc = roles_load(st, out, err);
	return rc;
}

int es_store_user_list(es_store *st, int64_t org_id, es_user_row **rows, size_t *n, es_err *err)
{
	sqlite3_stmt *s;
	size_t i;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT " USER_COLS " FROM users WHERE ? = 0 OR org_id = ? ORDER BY id", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, org_id);
	sqlite3_bind_int64(s, 2, org_id);
	COLLECT(st, s, rows, n, es_user_row, user_from, err);
	st_release(st, s);
	for (i = 0; rc == 0 && i < *n; i++)
		rc = roles_load(st, &(*rows)[i], err);
	return rc;
}

int es_store_user_set_login_state(es_store *st, const char *login, int failed, time_t locked_until, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "UPDATE users SET failed_logins = ?, locked_until = ? WHERE login = ?", err)) < 0)
		return rc;
	sqlite3_bind_int(s, 1, failed);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)locked_until);
	st_bind_text(s, 3, login);
	return st_step_done(st, s, "user", err);
}

int es_store_user_set_totp(es_store *st, const char *login, const es_blob *totp_enc, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "UPDATE users SET totp_enc = ? WHERE login = ?", err)) < 0)
		return rc;
	bind_blob(s, 1, totp_enc);
	st_bind_text(s, 2, login);
	return st_step_done(st, s, "user", err);
}

int es_store_user_set_password_hash(es_store *st, const char *login, const char *hash, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "UPDATE users SET password_hash = ? WHERE login = ?", err)) < 0)
		return rc;
	st_bind_text(s, 1, hash);
	st_bind_text(s, 2, login);
	return st_step_done(st, s, "user", err);
}

int es_store_user_totp_spend(es_store *st, const char *login, uint64_t step, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (step > (uint64_t)INT64_MAX)
		return es_err_set(err, ES_EINVAL, "TOTP time step out of range");
	if ((rc = st_prep(st, &s, "UPDATE users SET totp_last_step = ?1"
				  " WHERE login = ?2 AND totp_last_step < ?1", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)step);
	st_bind_text(s, 2, login);
	if ((rc = st_step_done(st, s, "user", err)) == 0 && sqlite3_changes(st->db) != 1)
		rc = es_err_set(err, ES_EAUTH, "this TOTP code was used already; wait for the next one");
	return rc;
}

void es_user_row_clear(es_user_row *u)
{
	size_t i;

	if (u == NULL)
		return;
	free(u->login);
	free(u->name);
	blob_free(&u->id_number_enc);
	blob_free(&u->bank_card_enc);
	blob_free(&u->mobile_enc);
	blob_free(&u->totp_enc);
	free(u->id_number_masked);
	free(u->bank_card_masked);
	free(u->mobile_masked);
	free(u->id_number_hmac);
	free(u->password_hash);
	for (i = 0; i < u->nroles; i++)
		free(u->roles[i]);
	free(u->roles);
	memset(u, 0, sizeof(*u));
}

int es_user_has_role(const es_user_row *u, const char *role)
{
	size_t i;

	for (i = 0; i < u->nroles; i++)
		if (strcmp(u->roles[i], role) == 0)
			return 1;
	return 0;
}

/* ---- seal applications ---- */

int es_store_app_insert(es_store *st, es_app_row *a, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "INSERT INTO seal_applications(applicant, owner_kind, owner_org_id,"
			       " owner_login, kind, text, template, taxpayer_no, created_at) VALUES (?,?,?,?,?,?,?,?,?)", err)) < 0)
		return rc;
	st_bind_text(s, 1, a->applicant ? a->applicant : "");
	st_bind_text(s, 2, a->owner_kind);
	if (a->owner_org_id > 0)
		sqlite3_bind_int64(s, 3, a->owner_org_id);
	else
		sqlite3_bind_null(s, 3);
	st_bind_text(s, 4, a->owner_login);
	st_bind_text(s, 5, a->kind);
	st_bind_text(s, 6, a->text);
	st_bind_text(s, 7, a->template_name);
	st_bind_text(s, 8, a->taxpayer_no);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)a->created_at);
	if ((rc = st_step_done(st, s, "application", err)) == 0)
		a->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

#define APP_COLS "id, applicant, owner_kind, COALESCE(owner_org_id, 0), owner_login, kind, text," \
	" template, state, reason, reviewer, seal_code, created_at, COALESCE(decided_at, 0), taxpayer_no"
static void app_from(sqlite3_stmt *s, es_app_row *a)
{
	a->id = sqlite3_column_int64(s, 0);
	a->applicant = st_col_text(s, 1);
	a->owner_kind = st_col_text(s, 2);
	a->owner_org_id = sqlite3_column_int64(s, 3);
	a->owner_login = st_col_text(s, 4);
	a->kind = st_col_text(s, 5);
	a->text = st_col_text(s, 6);
	a->template_name = st_col_text(s, 7);
	a->state = st_col_text(s, 8);
	a->reason = st_col_text(s, 9);
	a->reviewer = st_col_text(s, 10);
	a->seal_code = st_col_text(s, 11);
	a->created_at = (time_t)sqlite3_column_int64(s, 12);
	a->decided_at = (time_t)sqlite3_column_int64(s, 13);
	a->taxpayer_no = st_col_text(s, 14);
}

int es_store_app_get(es_store *st, int64_t id, es_app_row *out, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT " APP_COLS " FROM seal_applications WHERE id = ?", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	if (st_step(st, s) == SQLITE_ROW)
		app_from(s, out);
	else
		rc = es_err_set(err, ES_ENOTFOUND, "seal application %lld does not exist", (long long)id);
	st_release(st, s);
	return rc;
}

int es_store_app_decide(es_store *st, int64_t id, const char *state, const char *reason,
			const char *reviewer, const char *seal_code, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "UPDATE seal_applications SET state = ?, reason = ?, reviewer = ?,"
			       " seal_code = ?, decided_at = strftime('%s','now')"
			       " WHERE id = ? AND state = 'submitted'", err)) < 0)
		return rc;
	st_bind_text(s, 1, state);
	st_bind_text(s, 2, reason);
	st_bind_text(s, 3, reviewer);
	st_bind_text(s, 4, seal_code);
	sqlite3_bind_int64(s, 5, id);
	if ((rc = st_step_done(st, s, "application", err)) == 0 && sqlite3_changes(st->db) != 1)
		rc = es_err_set(err, ES_ESTATE, "seal application %lld has already been decided", (long long)id);
	return rc;
}

int es_store_app_list(es_store *st, const char *state, es_app_row **rows, size_t *n, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT " APP_COLS " FROM seal_applications"
			       " WHERE ?1 IS NULL OR state = ?1 ORDER BY id", err)) < 0)
		return rc;
	st_bind_text(s, 1, state);
	COLLECT(st, s, rows, n, es_app_row, app_from, err);
	st_release(st, s);
	return rc;
}

void es_app_row_clear(es_app_row *a)
{
	if (a == NULL)
		return;
	free(a->applicant);
	free(a->owner_kind);
	free(a->owner_login);
	free(a->kind);
	free(a->text);
	free(a->template_name);
	free(a->state);
	free(a->reason);
	free(a->reviewer);
	free(a->seal_code);
	free(a->taxpayer_no);
	memset(a, 0, sizeof(*a));
}

/* ---- seals ---- */

int es_store_seal_insert(es_store *st, const es_seal_row *r, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "INSERT INTO seals(code, app_id, kind, name, owner_kind, owner_org_id,"
		" owner_login, template, text, valid_start, valid_end, created_at, sm2_cert, sm2_key,"
		" p256_cert, p256_key, esl, picture_png, width_mm, height_mm, taxpayer_no, appearance)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", err)) < 0)
		return rc;
	st_bind_text(s, 1, r->code);
	if (r->app_id > 0)
		sqlite3_bind_int64(s, 2, r->app_id);
	else
		sqlite3_bind_null(s, 2);
	st_bind_text(s, 3, r->kind);
	st_bind_text(s, 4, r->name);
	st_bind_text(s, 5, r->owner_kind);
	if (r->owner_org_id > 0)
		sqlite3_bind_int64(s, 6, r->owner_org_id);
	else
		sqlite3_bind_null(s, 6);
	st_bind_text(s, 7, r->owner_login);
	st_bind_text(s, 8, r->template_name);
	st_bind_text(s, 9, r->text);
	sqlite3_bind_int64(s, 10, (sqlite3_int64)r->valid_start);
	sqlite3_bind_int64(s, 11, (sqlite3_int64)r->valid_end);
	sqlite3_bind_int64(s, 12, (sqlite3_int64)r->created_at);
	bind_blob(s, 13, &r->sm2_cert);
	bind_blob(s, 14, &r->sm2_key);
	bind_blob(s, 15, &r->p256_cert);
	bind_blob(s, 16, &r->p256_key);
	bind_blob(s, 17, &r->esl);
	bind_blob(s, 18, &r->picture_png);
	sqlite3_bind_double(s, 19, r->width_mm);
	sqlite3_bind_double(s, 20, r->height_mm);
	st_bind_text(s, 21, r->taxpayer_no);
	bind_blob(s, 22, &r->appearance);
	return st_step_done(st, s, "a seal with this code", err);
}

#define SEAL_COLS "code, COALESCE(app_id, 0), kind, name, owner_kind, COALESCE(owner_org_id, 0)," \
	" owner_login, template, text, state, state_reason, valid_start, valid_end, created_at," \
	" width_mm, height_mm, taxpayer_no"
static void seal_from(sqlite3_stmt *s, es_seal_row *r)
{
	r->code = st_col_text(s, 0);
	r->app_id = sqlite3_column_int64(s, 1);
	r->kind = st_col_text(s, 2);
	r->name = st_col_text(s, 3);
	r->owner_kind = st_col_text(s, 4);
	r->owner_org_id = sqlite3_column_int64(s, 5);
	r->owner_login = st_col_text(s, 6);
	r->template_name = st_col_text(s, 7);
	r->text = st_col_text(s, 8);
	r->state = st_col_text(s, 9);
	r->state_reason = st_col_text(s, 10);
	r->valid_start = (time_t)sqlite3_column_int64(s, 11);
	r->valid_end = (time_t)sqlite3_column_int64(s, 12);
	r->created_at = (time_t)sqlite3_column_int64(s, 13);
	r->width_mm = sqlite3_column_double(s, 14);
	r->height_mm = sqlite3_column_double(s, 15);
	r->taxpayer_no = st_col_text(s, 16);
}

int es_store_seal_get(es_store *st, const char *code, es_seal_row *out, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT " SEAL_COLS ", sm2_cert, sm2_key, p256_cert, p256_key, esl,"
			       " picture_png, appearance FROM seals WHERE code = ?", err)) < 0)
		return rc;
	st_bind_text(s, 1, code);
	if (st_step(st, s) == SQLITE_ROW) {
		seal_from(s, out);
		col_blob(s, 17, &out->sm2_cert);
		col_blob(s, 18, &out->sm2_key);
		col_blob(s, 19, &out->p256_cert);
		col_blob(s, 20, &out->p256_key);
		col_blob(s, 21, &out->esl);
		col_blob(s, 22, &out->picture_png);
		col_blob(s, 23, &out->appearance);
	} else {
		rc = es_err_set(err, ES_ENOTFOUND, "seal %s does not exist; see 'eseal seal list'", code);
	}
	st_release(st, s);
	return rc;
}

int es_store_seal_set_state(es_store *st, const char *code, const char *state,
			    const char *reason, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "UPDATE seals SET state = ?, state_reason = ? WHERE code = ?", err)) < 0)
		return rc;
	st_bind_text(s, 1, state);
	st_bind_text(s, 2, reason);
	st_bind_text(s, 3, code);
	if ((rc = st_step_done(st, s, "seal", err)) == 0 && sqlite3_changes(st->db) != 1)
		rc = es_err_set(err, ES_ENOTFOUND, "seal %s does not exist", code);
	return rc;
}

int es_store_seal_renew(es_store *st, const es_seal_row *r, time_t now, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "INSERT INTO seal_certs(code, family, cert, replaced_at)"
			  " SELECT code, 'sm2', sm2_cert, ? FROM seals WHERE code = ?"
			  " UNION ALL SELECT code, 'p256', p256_cert, ? FROM seals WHERE code = ?", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	st_bind_text(s, 2, r->code);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)now);
	st_bind_text(s, 4, r->code);
	if ((rc = st_step_done(st, s, "seal certificate history", err)) < 0)
		return rc;
	if (sqlite3_changes(st->db) != 2)
		return es_err_set(err, ES_ENOTFOUND, "seal %s does not exist", r->code);
	if ((rc = st_prep(st, &s, "UPDATE seals SET valid_start = ?, valid_end = ?, sm2_cert = ?, sm2_key = ?,"
			  " p256_cert = ?, p256_key = ?, esl = ?, picture_png = ?, width_mm = ?, height_mm = ?,"
			  " appearance = ? WHERE code = ?", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)r->valid_start);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)r->valid_end);
	bind_blob(s, 3, &r->sm2_cert);
	bind_blob(s, 4, &r->sm2_key);
	bind_blob(s, 5, &r->p256_cert);
	bind_blob(s, 6, &r->p256_key);
	bind_blob(s, 7, &r->esl);
	bind_blob(s, 8, &r->picture_png);
	sqlite3_bind_double(s, 9, r->width_mm);
	sqlite3_bind_double(s, 10, r->height_mm);
	bind_blob(s, 11, &r->appearance);
	st_bind_text(s, 12, r->code);
	if ((rc = st_step_done(st, s, "seal", err)) == 0 && sqlite3_changes(st->db) != 1)
		rc = es_err_set(err, ES_ENOTFOUND, "seal %s does not exist", r->code);
	return rc;
}

static void seal_cert_from(sqlite3_stmt *s, es_seal_cert_row *r)
{
	snprintf(r->family, sizeof(r->family), "%s", (const char *)sqlite3_column_text(s, 0));
	col_blob(s, 1, &r->cert);
	r->replaced_at = (time_t)sqlite3_column_int64(s, 2);
}

int es_store_seal_old_certs(es_store *st, const char *code, es_seal_cert_row **rows, size_t *n,
			    es_err *err)
{
	sqlite3_stmt *s;
	size_t i;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT family, cert, replaced_at FROM seal_certs WHERE code = ?"
			  " ORDER BY rowid", err)) < 0)
		return rc;
	st_bind_text(s, 1, code);
	COLLECT(st, s, rows, n, es_seal_cert_row, seal_cert_from, err);
	st_release(st, s);
	/* certificates are never empty: an empty copy is a failed allocation */
	for (i = 0; rc == 0 && i < *n; i++)
		if ((*rows)[i].cert.data == NULL)
			rc = es_err_set(err, ES_ENOMEM, "out of memory");
	if (rc < 0) {
		es_seal_cert_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
	}
	return rc;
}

void es_seal_cert_rows_free(es_seal_cert_row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(rows[i].cert.data);
	free(rows);
}

int es_store_seal_state_get(es_store *st, const char *code, char *state, size_t cap, es_err *err)
{
	sqlite3_stmt *s;
	int rc, r;

	if ((rc = st_prep(st, &s, "SELECT state FROM seals WHERE code = ?", err)) < 0)
		return rc;
	st_bind_text(s, 1, code);
	r = st_step(st, s);
	if (r == SQLITE_ROW)
		snprintf(state, cap, "%s", (const char *)sqlite3_column_text(s, 0));
	else if (r == SQLITE_DONE)
		rc = es_err_set(err, ES_ENOTFOUND, "seal %s does not exist", code);
	else
		rc = st_db_err(st, err, "seal state");
	st_release(st, s);
	return rc;
}

int es_store_seal_list(es_store *st, es_seal_row **rows, size_t *n, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "SELECT " SEAL_COLS " FROM seals ORDER BY created_at, code", err)) < 0)
		return rc;
	COLLECT(st, s, rows, n, es_seal_row, seal_from, err);
	st_release(st, s);
	return rc;
}

int es_store_next_serial(es_store *st, const char *name, int64_t *out, es_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = st_prep(st, &s, "INSERT INTO counters(name, value) VALUES (?, 1)"
			       " ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value", err)) < 0)
		return rc;
	st_bind_text(s, 1, name);
	if (st_step(st, s) == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else
		rc = st_db_err(st, err, "counter");
	st_release(st, s);
	return rc;
}

void es_seal_row_clear(es_seal_row *r)
{
	if (r == NULL)
		return;
	free(r->code);
	free(r->kind);
	free(r->name);
	free(r->owner_kind);
	free(r->owner_login);
	free(r->template_name);
	free(r->text);
	free(r->state);
	free(r->state_reason);
	free(r->taxpayer_no);
	blob_free(&r->sm2_cert);
	blob_free(&r->sm2_key);
	blob_free(&r->p256_cert);
	blob_free(&r->p256_key);
	blob_free(&r->esl);
	blob_free(&r->picture_png);
	blob_free(&r->appearance);
	memset(r, 0, sizeof(*r));
}
